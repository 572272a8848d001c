//! The public status page (R24), its feeds, and the pages the subscription
//! mails link to. Nothing here needs a sign-in; times are shown in the
//! reader's time zone (`?tz=`, else their company's, else UTC).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use guichet_domain::country::TimeZoneName;
use guichet_domain::maintenance::{Schedule, WindowLife};
use guichet_domain::product::Product;
use guichet_domain::status::{ComponentStatus, Incident};
use guichet_store::SubscriberKind;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use tower_sessions::Session;

use super::{Chrome, csrf_valid, language, page_error, render};
use crate::AppState;
use crate::auth::MaybeCaller;
use crate::i18n::Tr;
use crate::status::feeds::{self, FeedContent};
use crate::status::{self, Planned, words};

/// An instant as the reader reads it, with the exact instant for
/// `<time datetime>`.
pub(crate) struct Moment {
    pub text: String,
    pub iso: String,
}

impl Moment {
    pub(crate) fn new(at: Timestamp, zone: &TimeZone) -> Self {
        Self {
            text: zone.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string(),
            iso: at.to_string(),
        }
    }
}

pub(crate) struct UpdateLine {
    pub at: Moment,
    pub status: String,
    pub body: String,
}

pub(crate) struct IncidentBlock {
    pub id: String,
    pub product: String,
    pub title: String,
    pub status: String,
    pub impact: String,
    /// `minor`, `major`, …: a CSS class.
    pub impact_key: &'static str,
    pub affects: String,
    pub started: Moment,
    pub resolved: Option<Moment>,
    /// Newest first.
    pub updates: Vec<UpdateLine>,
}

pub(crate) struct WindowLine {
    pub id: String,
    pub title: String,
    pub start: Moment,
    pub end: Moment,
    pub life: String,
    pub affects: String,
    pub description: String,
    pub updates: Vec<UpdateLine>,
}

struct ComponentLine {
    name: String,
    status: String,
    key: &'static str,
}

struct ProductBlock {
    key: String,
    name: String,
    status: String,
    status_key: &'static str,
    components: Vec<ComponentLine>,
    active: Vec<IncidentBlock>,
    in_progress: Vec<WindowLine>,
    upcoming: Vec<WindowLine>,
    weekly: Vec<String>,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    chrome: Chrome,
    all_operational: bool,
    products: Vec<ProductBlock>,
    history: Vec<IncidentBlock>,
    zone: String,
    zone_unknown: bool,
    product_choices: Vec<Choice>,
    email: String,
    subscribed: bool,
    error: Option<String>,
}

fn affects(tr: &Tr, names: Vec<String>) -> String {
    if names.is_empty() {
        tr.t1("status-affects", "components", tr.t("status-whole-product"))
    } else {
        tr.t1("status-affects", "components", names.join(", "))
    }
}

pub(crate) fn incident_block(
    tr: &Tr,
    zone: &TimeZone,
    incident: &Incident,
    product: &str,
    component_name: &dyn Fn(&str) -> String,
) -> IncidentBlock {
    IncidentBlock {
        id: incident.id.clone(),
        product: product.to_owned(),
        title: incident.title.clone(),
        status: words::incident_status(tr, incident.status),
        impact: words::impact(tr, incident.impact),
        impact_key: incident.impact.as_str(),
        affects: affects(
            tr,
            incident
                .components
                .iter()
                .map(|a| {
                    format!(
                        "{} ({})",
                        component_name(a.component.as_str()),
                        words::component_status(tr, a.status)
                    )
                })
                .collect(),
        ),
        started: Moment::new(incident.created_at, zone),
        resolved: incident.resolved_at.map(|at| Moment::new(at, zone)),
        updates: incident
            .updates
            .iter()
            .rev()
            .map(|u| UpdateLine {
                at: Moment::new(u.at, zone),
                status: words::incident_status(tr, u.status),
                body: u.body.clone(),
            })
            .collect(),
    }
}

pub(crate) fn window_line(
    tr: &Tr,
    zone: &TimeZone,
    planned: &Planned,
    component_name: &dyn Fn(&str) -> String,
) -> WindowLine {
    WindowLine {
        id: planned.window.id.clone(),
        title: planned.window.title.clone(),
        start: Moment::new(planned.occurrence.start, zone),
        end: Moment::new(planned.occurrence.end, zone),
        life: words::window_life(tr, planned.occurrence.life),
        affects: affects(
            tr,
            planned
                .window
                .components
                .iter()
                .map(|c| component_name(c.as_str()))
                .collect(),
        ),
        description: planned.window.description.clone(),
        updates: planned
            .updates
            .iter()
            .rev()
            .map(|u| UpdateLine {
                at: Moment::new(u.at, zone),
                status: String::new(),
                body: u.body.clone(),
            })
            .collect(),
    }
}

fn status_key(status: ComponentStatus) -> &'static str {
    status.as_str()
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusQuery {
    #[serde(default)]
    tz: String,
    #[serde(default)]
    subscribed: String,
}

/// The reader's zone: `?tz=`, else their company's, else UTC; and whether
/// the one asked for was unknown.
fn reader_zone(asked: &str, caller: Option<&crate::auth::Caller>) -> (TimeZoneName, bool) {
    let utc = || TimeZoneName::parse("UTC").expect("UTC is a zone");
    match asked.trim() {
        "" => (caller.map_or_else(utc, |c| c.company.time_zone.clone()), false),
        asked => match TimeZoneName::parse(asked) {
            Ok(zone) => (zone, false),
            Err(_) => (utc(), true),
        },
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<StatusQuery>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let chrome = Chrome::new(&session, caller.as_ref(), language, "/status", "status").await?;
    let (zone, zone_unknown) = reader_zone(&query.tz, caller.as_ref());
    status_page(
        &state,
        chrome,
        zone,
        zone_unknown,
        String::new(),
        query.subscribed == "1",
        None,
    )
    .await
}

async fn status_page(
    state: &AppState,
    chrome: Chrome,
    zone_name: TimeZoneName,
    zone_unknown: bool,
    email: String,
    subscribed: bool,
    error: Option<String>,
) -> Result<Response, Response> {
    let tr = chrome.tr;
    let now = state.clock.now();
    let snapshot = match status::snapshot(state, None, now).await {
        Ok(snapshot) => snapshot,
        Err(_) => {
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                tr.language,
                "error-internal",
            ));
        }
    };
    let zone = zone_name.time_zone();
    let mut history = Vec::new();
    let mut products = Vec::new();
    for product in &snapshot {
        let names: Vec<(String, String)> = product
            .components
            .iter()
            .map(|(c, _)| (c.key.as_str().to_owned(), c.name.clone()))
            .collect();
        let component_name = |key: &str| {
            names
                .iter()
                .find(|(k, _)| k == key)
                .map_or_else(|| key.to_owned(), |(_, name)| name.clone())
        };
        history.extend(product.history.iter().map(|i| {
            (
                i.created_at,
                incident_block(&tr, &zone, i, &product.product.name, &component_name),
            )
        }));
        products.push(ProductBlock {
            key: product.product.key.as_str().to_owned(),
            name: product.product.name.clone(),
            status: words::component_status(&tr, product.overall),
            status_key: status_key(product.overall),
            components: product
                .components
                .iter()
                .map(|(component, status)| ComponentLine {
                    name: component.name.clone(),
                    status: words::component_status(&tr, *status),
                    key: status_key(*status),
                })
                .collect(),
            active: product
                .active
                .iter()
                .map(|i| incident_block(&tr, &zone, i, &product.product.name, &component_name))
                .collect(),
            in_progress: product
                .in_progress
                .iter()
                .map(|p| window_line(&tr, &zone, p, &component_name))
                .collect(),
            upcoming: product
                .upcoming
                .iter()
                .map(|p| window_line(&tr, &zone, p, &component_name))
                .collect(),
            weekly: product
                .weekly
                .iter()
                .filter_map(|w| match &w.schedule {
                    Schedule::Weekly { rule, .. } => Some(tr.t3(
                        "status-weekly-window",
                        ("weekday", &words::weekday(&tr, rule.weekday)),
                        ("hours", &status::weekly_hours(rule)),
                        ("zone", w.zone.as_str()),
                    )),
                    Schedule::Once { .. } => None,
                })
                .collect(),
        });
    }
    history.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let all_operational = snapshot.iter().all(|p| p.overall == ComponentStatus::Operational);
    let product_choices = snapshot
        .iter()
        .map(|p| Choice {
            value: p.product.key.as_str().to_owned(),
            label: p.product.name.clone(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = StatusPage {
        chrome,
        all_operational,
        products,
        history: history.into_iter().map(|(_, block)| block).collect(),
        zone: zone_name.as_str().to_owned(),
        zone_unknown,
        product_choices,
        email,
        subscribed,
        error,
    };
    Ok(render(&page, status))
}

#[derive(Debug, Deserialize)]
pub(super) struct SubscribeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    product: String,
}

/// The page's subscription form: a confirmation mail goes out, the page
/// says so.
pub(super) async fn subscribe(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Form(form): Form<SubscribeForm>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    if !csrf_valid(&session, &form.csrf).await {
        return Err(page_error(StatusCode::FORBIDDEN, language, "error-csrf"));
    }
    let base = status::base_url(&state, &headers);
    match status::subscribe(&state, &form.email, Some(&form.product), language, &base).await {
        Ok(()) => Ok(Redirect::to("/status?subscribed=1#subscribe").into_response()),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let chrome = Chrome::new(&session, caller.as_ref(), language, "/status", "status").await?;
            let message = chrome.tr.t("status-subscribe-invalid");
            let (zone, _) = reader_zone("", caller.as_ref());
            status_page(&state, chrome, zone, false, form.email, false, Some(message)).await
        }
        Err(_) => Err(page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            language,
            "error-internal",
        )),
    }
}

#[derive(Template)]
#[template(path = "status_subscription.html")]
struct SubscriptionPage {
    chrome: Chrome,
    title: String,
    message: String,
    /// The form's action and button, when there is something to do.
    action: Option<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// What a subscription page does: show the question, or carry it out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Ask,
    Do,
}

async fn subscription_page(
    state: &AppState,
    session: &Session,
    cookies: &CookieJar,
    headers: &HeaderMap,
    token: &str,
    confirming: bool,
    step: Step,
) -> Result<Response, Response> {
    let subscriber = match step {
        Step::Ask => status::subscriber_of(state, token).await,
        Step::Do if confirming => status::confirm(state, token).await,
        Step::Do => status::unsubscribe(state, token).await,
    };
    let language = match &subscriber {
        Ok(subscriber) => guichet_domain::user::Language::parse(&subscriber.language).unwrap_or_default(),
        Err(_) => language(None, cookies, headers),
    };
    let path = if confirming {
        "/status/subscriptions/confirm"
    } else {
        "/status/subscriptions/unsubscribe"
    };
    let chrome = Chrome::new(session, None, language, "/status", "status").await?;
    let tr = chrome.tr;
    let title = tr.t(if confirming {
        "status-confirm-title"
    } else {
        "status-unsubscribe-title"
    });
    let subscriber = match subscriber {
        Ok(subscriber) => subscriber,
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            let page = SubscriptionPage {
                message: tr.t("status-token-unknown"),
                chrome,
                title,
                action: None,
            };
            return Ok(render(&page, StatusCode::NOT_FOUND));
        }
        Err(_) => {
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let email = match &subscriber.kind {
        SubscriberKind::Email { address, .. } => address.clone(),
        SubscriberKind::Webhook { .. } => String::new(),
    };
    let Ok(catalogue) = state.caches.products(&state.store).await else {
        return Err(page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            language,
            "error-internal",
        ));
    };
    let product = match &subscriber.product {
        Some(key) => catalogue
            .iter()
            .find(|p| p.key == *key)
            .map_or_else(|| key.as_str().to_owned(), |p| p.name.clone()),
        None => tr.t("status-all-products"),
    };
    let args = [("email", email.as_str()), ("product", product.as_str())];
    let (message, action) = match (confirming, step) {
        (true, Step::Ask) if subscriber.confirmed_at.is_none() => (
            tr.t2("status-confirm-lead", args[0], args[1]),
            Some((format!("{path}?token={token}"), tr.t("status-confirm-submit"))),
        ),
        (true, _) => (tr.t1("status-confirmed", "product", &product), None),
        (false, Step::Ask) => (
            tr.t2("status-unsubscribe-lead", args[1], args[0]),
            Some((format!("{path}?token={token}"), tr.t("status-unsubscribe-submit"))),
        ),
        (false, Step::Do) => (tr.t2("status-unsubscribed", args[0], args[1]), None),
    };
    let page = SubscriptionPage {
        chrome,
        title,
        message,
        action,
    };
    Ok(render(&page, StatusCode::OK))
}

pub(super) async fn confirm_form(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, Response> {
    subscription_page(&state, &session, &cookies, &headers, &query.token, true, Step::Ask).await
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, Response> {
    subscription_page(&state, &session, &cookies, &headers, &query.token, true, Step::Do).await
}

pub(super) async fn unsubscribe_form(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, Response> {
    subscription_page(&state, &session, &cookies, &headers, &query.token, false, Step::Ask).await
}

/// RFC 8058 one-click unsubscribe: mail clients POST here (the token is in
/// the URL of the `List-Unsubscribe` header); so does the page's button.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, Response> {
    subscription_page(&state, &session, &cookies, &headers, &query.token, false, Step::Do).await
}

// ---------------------------------------------------------------------------
// Feeds

#[derive(Debug, Deserialize)]
pub(super) struct FeedQuery {
    #[serde(default)]
    product: String,
}

enum Format {
    Atom,
    Rss,
    Calendar,
}

async fn feed(state: &AppState, cookies: &CookieJar, headers: &HeaderMap, product: &str, format: Format) -> Response {
    let language = language(None, cookies, headers);
    let tr = Tr::new(language);
    let built = async {
        let catalogue = state.caches.products(&state.store).await?;
        let product = match product.trim() {
            "" => None,
            key => match catalogue.iter().find(|p| p.key.as_str() == key) {
                Some(product) => Some(product.clone()),
                None => return Ok(None),
            },
        };
        let key = product.as_ref().map(|p| p.key.clone());
        let content = FeedContent {
            catalogue: &catalogue,
            product: product.as_ref(),
            incidents: state.store.incidents(key.as_ref(), None, false).await?,
            windows: state.store.windows(key.as_ref()).await?,
            updates: state.store.maintenance_updates(key.as_ref()).await?,
            base: status::base_url(state, headers),
            now: state.clock.now(),
        };
        Ok::<_, guichet_store::StoreError>(Some(match format {
            Format::Atom => ("application/atom+xml; charset=utf-8", feeds::atom(&content, &tr)),
            Format::Rss => ("application/rss+xml; charset=utf-8", feeds::rss(&content, &tr)),
            Format::Calendar => ("text/calendar; charset=utf-8", feeds::icalendar(&content, &tr)),
        }))
    }
    .await;
    match built {
        Ok(Some((content_type, body))) => (
            [
                (header::CONTENT_TYPE, content_type),
                // Feed readers poll: let caches keep a copy for a minute.
                (header::CACHE_CONTROL, "public, max-age=60"),
            ],
            body,
        )
            .into_response(),
        Ok(None) => page_error(StatusCode::NOT_FOUND, language, "error-not-found"),
        Err(error) => {
            tracing::error!(%error, "building a status feed");
            page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal")
        }
    }
}

pub(super) async fn atom(
    State(state): State<AppState>,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Response {
    feed(&state, &cookies, &headers, &query.product, Format::Atom).await
}

pub(super) async fn rss(
    State(state): State<AppState>,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Response {
    feed(&state, &cookies, &headers, &query.product, Format::Rss).await
}

pub(super) async fn calendar(
    State(state): State<AppState>,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<FeedQuery>,
) -> Response {
    feed(&state, &cookies, &headers, &query.product, Format::Calendar).await
}

/// What the log-a-case form shows about the chosen product before the case
/// is submitted (R24): its active incidents and maintenance under way or
/// starting within a day, in the reader's zone.
pub(crate) struct KnownIssuesBlock {
    pub product: String,
    pub incidents: Vec<IncidentBlock>,
    pub maintenance: Vec<WindowLine>,
    /// Maintenance under way: "planned maintenance until 23:30".
    pub headline: Option<String>,
}

pub(crate) async fn known_issues_block(
    state: &AppState,
    tr: &Tr,
    zone: &TimeZone,
    product: &Product,
) -> Option<KnownIssuesBlock> {
    let issues = status::known_issues(state, &product.key, state.clock.now())
        .await
        .ok()?;
    if issues.is_empty() {
        return None;
    }
    let components = state.store.components(Some(&product.key)).await.unwrap_or_default();
    let component_name = |key: &str| {
        components
            .iter()
            .find(|c| c.key.as_str() == key)
            .map_or_else(|| key.to_owned(), |c| c.name.clone())
    };
    let headline = issues
        .maintenance
        .iter()
        .find(|p| p.occurrence.life == WindowLife::InProgress)
        .map(|p| {
            let end = zone.to_datetime(p.occurrence.end).strftime("%H:%M").to_string();
            tr.t1("status-maintenance-until", "end", end)
        });
    Some(KnownIssuesBlock {
        product: product.name.clone(),
        incidents: issues
            .incidents
            .iter()
            .map(|i| incident_block(tr, zone, i, &product.name, &component_name))
            .collect(),
        maintenance: issues
            .maintenance
            .iter()
            .map(|p| window_line(tr, zone, p, &component_name))
            .collect(),
        headline,
    })
}
