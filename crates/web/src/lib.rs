//! Guichet's HTTP edge: the JSON API under `/api/v1` (described by an
//! OpenAPI document), the server-rendered portal, sessions, CSRF, i18n,
//! health and metrics.
//!
//! Handlers are short: parse input into domain types, ask `guichet_domain`
//! what to do, let `guichet_store` keep it, answer. The API and the portal
//! call the same functions (`auth`, `support`).

pub mod api;
pub mod attachments;
pub mod auth;
pub mod authorization;
mod caches;
pub mod cases;
pub mod community;
mod edge;
pub mod error;
pub mod i18n;
pub mod knowledge;
pub mod mail;
pub mod markdown;
mod portal;
mod session_store;
pub mod status;
mod support;
mod text;
pub mod training;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use guichet_domain::contact::SupportPolicy;
use guichet_store::Store;
use jiff::{SignedDuration, Timestamp};

pub use edge::metrics_handle;

/// Settings of the HTTP edge, read from the configuration by the binary.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// R9: new accounts' posting rate, the experts' queue.
    pub community: community::CommunitySettings,
    /// R10: the cancellation deadline.
    pub training: training::TrainingSettings,
    /// SLA contract tiers a company may have (the first is the default).
    pub sla_tiers: Vec<String>,
    /// How long an API token lives.
    pub token_ttl: SignedDuration,
    /// A portal session ends after this long without a request.
    pub session_idle: SignedDuration,
    /// Set the `Secure` flag on cookies and send HSTS (behind HTTPS).
    pub secure_cookies: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A request taking longer is answered 408.
    pub request_timeout: Duration,
    /// The same for a file upload (R17), whose body may take long to come.
    pub upload_timeout: Duration,
    /// Header holding the client address when behind a trusted reverse
    /// proxy (`x-forwarded-for`); `None` uses the peer address.
    pub client_ip_header: Option<String>,
    /// Serve `/metrics`.
    pub metrics: bool,
    pub cases: cases::CaseSettings,
    /// R15/R21: the SLA targets per contract tier and priority.
    pub sla: guichet_domain::sla::SlaPolicy,
    /// R24: the status page's links and webhook retries.
    pub status: status::StatusSettings,
    /// R17: attachments' limits, retention and storage.
    pub files: attachments::FileSettings,
    /// The email channel: addresses, SMTP, the inbound secret.
    pub mail: mail::MailSettings,
    /// R25: how long a request waits, where product resets go.
    pub authorization: authorization::AuthorizationSettings,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            community: community::CommunitySettings::default(),
            training: training::TrainingSettings::default(),
            sla_tiers: vec!["standard".into(), "premium".into()],
            token_ttl: SignedDuration::from_hours(24 * 30),
            session_idle: SignedDuration::from_hours(12),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(60 * 60),
            client_ip_header: None,
            metrics: true,
            cases: cases::CaseSettings::default(),
            sla: guichet_domain::sla::SlaPolicy::default(),
            status: status::StatusSettings::default(),
            files: attachments::FileSettings::default(),
            mail: mail::MailSettings::default(),
            authorization: authorization::AuthorizationSettings::default(),
        }
    }
}

/// The time, as the application sees it: the system clock, or a fixed one
/// in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(Timestamp::now))
    }

    pub fn fixed(at: Timestamp) -> Self {
        Self(Arc::new(move || at))
    }

    /// A clock that reads the time from `now` (tests, replaying demo data).
    pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub policy: SupportPolicy,
    pub settings: WebSettings,
    pub clock: Clock,
    pub passwords: auth::Passwords,
    pub(crate) caches: caches::Caches,
    /// This node's search index (R7, R8, R11).
    pub search: Arc<knowledge::Search>,
    /// R17: where attachments are kept.
    pub files: attachments::Files,
    /// Checks inbound mail's senders (DKIM, DMARC).
    pub(crate) mail: mail::Channel,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, policy: SupportPolicy, settings: WebSettings, clock: Clock) -> Self {
        let search = knowledge::Search::new(guichet_search::SearchIndex::in_memory());
        Self::with_search(store, policy, settings, clock, search)
    }

    /// A state whose search index is `search` (the binary's, on disk).
    pub fn with_search(
        store: Store,
        policy: SupportPolicy,
        settings: WebSettings,
        clock: Clock,
        search: Arc<knowledge::Search>,
    ) -> Self {
        Self(Arc::new(Inner {
            files: attachments::Files::new(settings.files.clone()),
            store,
            policy,
            settings,
            clock,
            passwords: auth::Passwords::new(),
            caches: caches::Caches::default(),
            search,
            mail: mail::Channel::default(),
        }))
    }
}

/// The whole application: API, portal, health and metrics, behind the
/// edge middleware (request ids, tracing, security headers, CSRF, limits).
pub fn app(state: AppState) -> Router {
    // Installed before the first request is counted.
    metrics_handle();
    let (api, _) = api::router().split_for_parts();
    let sessions = session_store::layer(&state);
    let routes = Router::new()
        .merge(api)
        .merge(portal::router())
        .merge(edge::operations_router(state.settings.metrics))
        .with_state(state.clone())
        .route_layer(axum::middleware::from_fn(edge::record_metrics))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes));
    edge::wrap(routes, &state)
}
