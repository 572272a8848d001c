//! The status page (R23, R24), for the API, the portal and the feeds alike:
//! what each product looks like now, what operators do to components,
//! maintenance windows and incidents, subscriptions, and the notices that
//! go out to subscribers through the outbox (mails in the subscriber's
//! language, webhooks signed with HMAC-SHA256 and retried with backoff).

pub mod feeds;
pub(crate) mod webhooks;
pub(crate) mod words;

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use guichet_domain::case::{Happening, parse_text};
use guichet_domain::country::TimeZoneName;
use guichet_domain::email::EmailAddress;
use guichet_domain::maintenance::{
    self, MaintenanceUpdate, MaintenanceWindow, Occurrence, Schedule, WeeklyRule, WindowError, WindowLife,
};
use guichet_domain::product::{Product, ProductKey};
use guichet_domain::status::{
    self as rules, AffectedComponent, Component, ComponentKey, ComponentStatus, Incident, IncidentError,
    IncidentImpact, IncidentStatus, IncidentUpdate,
};
use guichet_domain::user::{Language, Role};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{OutboxMessage, Subscriber, SubscriberKind};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use crate::mail::Mail;
pub use webhooks::{SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver_webhooks, signature};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Tr;

/// The status page's settings, from the configuration.
#[derive(Debug, Clone)]
pub struct StatusSettings {
    /// The portal's public address (`https://support.example.com`), for the
    /// links of feeds and mails; empty: the request's `Host`.
    pub public_url: String,
    /// A webhook delivery is tried this many times, then given up.
    pub webhook_attempts: i32,
}

impl Default for StatusSettings {
    fn default() -> Self {
        Self {
            public_url: String::new(),
            webhook_attempts: 8,
        }
    }
}

/// R24: the page shows 90 days of history (the API all of it).
pub const HISTORY: SignedDuration = SignedDuration::from_hours(24 * 90);
/// R24: upcoming maintenance for the next 7 days.
pub const UPCOMING: SignedDuration = SignedDuration::from_hours(24 * 7);
/// The log-a-case form tells of maintenance starting within a day.
const SOON: SignedDuration = SignedDuration::from_hours(24);

/// One occurrence of a window, with the window and the updates posted on
/// it.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub window: MaintenanceWindow,
    pub occurrence: Occurrence,
    pub updates: Vec<MaintenanceUpdate>,
}

/// A product as the status page shows it.
pub(crate) struct ProductStatus {
    pub product: Product,
    /// Each component with its current status.
    pub components: Vec<(Component, ComponentStatus)>,
    pub overall: ComponentStatus,
    pub active: Vec<Incident>,
    pub in_progress: Vec<Planned>,
    pub upcoming: Vec<Planned>,
    pub weekly: Vec<MaintenanceWindow>,
    /// Resolved incidents of the last 90 days.
    pub history: Vec<Incident>,
}

fn planned(window: &MaintenanceWindow, occurrence: Occurrence, updates: &[MaintenanceUpdate]) -> Planned {
    let updates = updates
        .iter()
        .filter(|u| u.window == window.id && u.occurrence.is_none_or(|at| at == occurrence.start))
        .cloned()
        .collect();
    Planned {
        window: window.clone(),
        occurrence,
        updates,
    }
}

/// The occurrences of `windows` overlapping `[from, to)`, with their
/// windows and updates.
pub(crate) fn expand(
    windows: &[MaintenanceWindow],
    updates: &[MaintenanceUpdate],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<Planned> {
    maintenance::expand(windows, from, to, now)
        .into_iter()
        .filter_map(|occurrence| {
            let window = windows.iter().find(|w| w.id == occurrence.window)?;
            Some(planned(window, occurrence, updates))
        })
        .collect()
}

/// Every product (or one) as the status page shows it at `now`.
pub(crate) async fn snapshot(
    state: &AppState,
    only: Option<&ProductKey>,
    now: Timestamp,
) -> Result<Vec<ProductStatus>, ApiError> {
    let catalogue = state.caches.products(&state.store).await?;
    let components = state.store.components(only).await?;
    let incidents = state.store.incidents(only, Some(now - HISTORY), false).await?;
    let windows = state.store.windows(only).await?;
    let updates = state.store.maintenance_updates(only).await?;
    let mut products = Vec::new();
    for product in catalogue.iter().filter(|p| only.is_none_or(|key| *key == p.key)) {
        let own_windows: Vec<MaintenanceWindow> =
            windows.iter().filter(|w| w.product == product.key).cloned().collect();
        let soon = expand(&own_windows, &updates, now, now + UPCOMING, now);
        let (in_progress, upcoming): (Vec<Planned>, Vec<Planned>) = soon
            .into_iter()
            .filter(|p| matches!(p.occurrence.life, WindowLife::InProgress | WindowLife::Scheduled))
            .partition(|p| p.occurrence.life == WindowLife::InProgress);
        let own_incidents: Vec<Incident> = incidents.iter().filter(|i| i.product == product.key).cloned().collect();
        let components: Vec<(Component, ComponentStatus)> = components
            .iter()
            .filter(|c| c.product == product.key)
            .map(|component| {
                let maintained = in_progress
                    .iter()
                    .any(|p| p.window.components.is_empty() || p.window.components.contains(&component.key));
                let status = rules::current_status(component, &own_incidents, maintained);
                (component.clone(), status)
            })
            .collect();
        let mut overall = rules::overall(components.iter().map(|(_, status)| *status));
        if components.is_empty() && !in_progress.is_empty() {
            overall = overall.max(ComponentStatus::UnderMaintenance);
        }
        let (active, history): (Vec<Incident>, Vec<Incident>) =
            own_incidents.into_iter().partition(Incident::is_active);
        products.push(ProductStatus {
            product: product.clone(),
            components,
            overall,
            active,
            in_progress,
            upcoming,
            weekly: own_windows
                .into_iter()
                .filter(|w| match &w.schedule {
                    Schedule::Weekly { until, .. } => until.is_none_or(|until| until > now),
                    Schedule::Once { .. } => false,
                })
                .collect(),
            history,
        });
    }
    Ok(products)
}

/// What the log-a-case form and a new case's answer tell about a product:
/// its active incidents and its maintenance under way or starting within a
/// day.
pub(crate) struct KnownIssues {
    pub incidents: Vec<Incident>,
    pub maintenance: Vec<Planned>,
}

impl KnownIssues {
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.maintenance.is_empty()
    }
}

pub(crate) async fn known_issues(
    state: &AppState,
    product: &ProductKey,
    now: Timestamp,
) -> Result<KnownIssues, ApiError> {
    let incidents = state.store.incidents(Some(product), None, true).await?;
    let windows = state.store.windows(Some(product)).await?;
    let updates = state.store.maintenance_updates(Some(product)).await?;
    let maintenance = expand(&windows, &updates, now, now + SOON, now)
        .into_iter()
        .filter(|p| matches!(p.occurrence.life, WindowLife::InProgress | WindowLife::Scheduled))
        .collect();
    Ok(KnownIssues { incidents, maintenance })
}

// ---------------------------------------------------------------------------
// Who may operate the status page

/// R24: vendor administrators and support managers run the status page.
pub(crate) fn require_operator(caller: &Caller) -> Result<(), ApiError> {
    let actor = &caller.actor;
    if actor.is_vendor_staff() && (actor.has(Role::Administrator) || actor.has(Role::SupportManager)) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "operator_required",
            "Only vendor administrators and support managers run the status page.",
        ))
    }
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |invalid| ApiError::invalid(name, invalid)
}

fn required(name: &'static str) -> ApiError {
    ApiError::invalid(name, Invalid::new(InvalidKind::Empty, format!("`{name}` is required")))
}

/// A product of the catalogue; 422 `unknown_product` otherwise.
pub(crate) async fn known_product(state: &AppState, key: &str) -> Result<Product, ApiError> {
    let key = ProductKey::parse(key).map_err(field("product"))?;
    let catalogue = state.caches.products(&state.store).await?;
    catalogue.iter().find(|p| p.key == key).cloned().ok_or_else(|| {
        ApiError::invalid(
            "product",
            Invalid::new(InvalidKind::Unknown, format!("there is no product `{}`", key.as_str())),
        )
    })
}

/// Parses an instant (RFC 3339; an unencoded `+` in a query reads as a
/// space).
pub(crate) fn parse_instant(input: &str, name: &'static str) -> Result<Timestamp, ApiError> {
    input.trim().replace(' ', "+").parse().map_err(|_| {
        ApiError::invalid(
            name,
            Invalid::new(
                InvalidKind::Format,
                format!(
                    "`{}` is not an RFC 3339 instant such as 2026-03-06T00:00:00Z",
                    input.trim()
                ),
            ),
        )
    })
}

/// The address links in feeds and mails start with: the configured public
/// URL, else this request's host.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let configured = state.settings.status.public_url.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)))
        .unwrap_or("localhost");
    let scheme = if state.settings.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

// ---------------------------------------------------------------------------
// Components

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    pub product: Option<String>,
    /// a-z, 0-9 and `_`, unique within the product.
    pub key: Option<String>,
    pub name: Option<String>,
    /// Default `operational`.
    pub status: Option<String>,
}

pub(crate) async fn create_component(
    state: &AppState,
    caller: &Caller,
    input: ComponentInput,
) -> Result<Component, ApiError> {
    require_operator(caller)?;
    let product = known_product(state, input.product.as_deref().ok_or_else(|| required("product"))?).await?;
    let component = Component {
        product: product.key,
        key: ComponentKey::parse(input.key.as_deref().unwrap_or("")).map_err(field("key"))?,
        name: rules::parse_name(input.name.as_deref().unwrap_or("")).map_err(field("name"))?,
        status: match input.status.as_deref() {
            None => ComponentStatus::Operational,
            Some(status) => ComponentStatus::parse(status).map_err(field("status"))?,
        },
    };
    state.store.create_component(&component, state.clock.now()).await?;
    Ok(component)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentChange {
    pub name: Option<String>,
    /// What the operator sets; incidents and maintenance may show worse.
    pub status: Option<String>,
}

pub(crate) async fn change_component(
    state: &AppState,
    caller: &Caller,
    product: &str,
    key: &str,
    change: ComponentChange,
) -> Result<Component, ApiError> {
    require_operator(caller)?;
    let product = ProductKey::parse(product).map_err(|_| ApiError::not_found())?;
    let key = ComponentKey::parse(key).map_err(|_| ApiError::not_found())?;
    let mut component = state
        .store
        .components(Some(&product))
        .await?
        .into_iter()
        .find(|c| c.key == key)
        .ok_or_else(ApiError::not_found)?;
    if let Some(name) = change.name.as_deref() {
        component.name = rules::parse_name(name).map_err(field("name"))?;
    }
    if let Some(status) = change.status.as_deref() {
        component.status = ComponentStatus::parse(status).map_err(field("status"))?;
    }
    state.store.update_component(&component, state.clock.now()).await?;
    Ok(component)
}

/// Checks that every key names a component of `product`.
async fn parse_components(
    state: &AppState,
    product: &ProductKey,
    keys: impl IntoIterator<Item = String>,
) -> Result<Vec<ComponentKey>, ApiError> {
    let known = state.store.components(Some(product)).await?;
    keys.into_iter()
        .map(|key| {
            let key = ComponentKey::parse(&key).map_err(field("components"))?;
            if known.iter().any(|c| c.key == key) {
                Ok(key)
            } else {
                Err(ApiError::invalid(
                    "components",
                    Invalid::new(
                        InvalidKind::Unknown,
                        format!("{} has no component `{}`", product.as_str(), key.as_str()),
                    ),
                ))
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Maintenance windows

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowInput {
    pub product: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Component keys; none: the whole product.
    #[serde(default)]
    pub components: Vec<String>,
    /// IANA zone its local times are in. Default: the zone of the
    /// product's other windows, else `UTC`.
    pub time_zone: Option<String>,
    /// A weekly window: `monday` … `sunday`.
    pub weekday: Option<String>,
    /// A weekly window's local start, `19:30`.
    pub start_time: Option<String>,
    /// A weekly window's local end, `23:30`; at or before the start, it is
    /// the next day (`23:00`–`01:00`).
    pub end_time: Option<String>,
    /// A weekly window's length instead of `end_time`.
    pub duration_minutes: Option<i64>,
    /// A one-off window's start (RFC 3339); a weekly window's first day in
    /// force (default now).
    pub starts_at: Option<String>,
    /// A one-off window's end (RFC 3339).
    pub ends_at: Option<String>,
}

fn window_error(error: WindowError) -> ApiError {
    let (status, code) = match error {
        WindowError::NoSuchOccurrence => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_occurrence"),
        WindowError::Over => (StatusCode::CONFLICT, "window_over"),
        WindowError::NotOneOff => (StatusCode::CONFLICT, "window_weekly"),
    };
    ApiError::new(status, code, error.to_string())
}

pub(crate) async fn create_window(
    state: &AppState,
    caller: &Caller,
    input: WindowInput,
    base: &str,
) -> Result<MaintenanceWindow, ApiError> {
    require_operator(caller)?;
    let now = state.clock.now();
    let product = known_product(state, input.product.as_deref().ok_or_else(|| required("product"))?).await?;
    let title = rules::parse_title(input.title.as_deref().unwrap_or("")).map_err(field("title"))?;
    let description = match input.description.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(text) => parse_text(text, "the description").map_err(field("description"))?,
    };
    let components = parse_components(state, &product.key, input.components).await?;
    let others = state.store.windows(Some(&product.key)).await?;
    let zone = match input.time_zone.as_deref() {
        Some(zone) => TimeZoneName::parse(zone).map_err(field("time_zone"))?,
        None => match others.first() {
            Some(other) => other.zone.clone(),
            None => TimeZoneName::parse("UTC").map_err(ApiError::internal)?,
        },
    };
    let schedule = match input.weekday.as_deref() {
        Some(weekday) => {
            let weekday = maintenance::parse_weekday(weekday).map_err(field("weekday"))?;
            let start = maintenance::parse_time(input.start_time.as_deref().ok_or_else(|| required("start_time"))?)
                .map_err(field("start_time"))?;
            let rule = match (input.end_time.as_deref(), input.duration_minutes) {
                (Some(end), None) => {
                    let end = maintenance::parse_time(end).map_err(field("end_time"))?;
                    WeeklyRule::from_times(weekday, start, end).map_err(field("end_time"))?
                }
                (None, Some(minutes)) => WeeklyRule::new(weekday, start, SignedDuration::from_mins(minutes))
                    .map_err(field("duration_minutes"))?,
                _ => {
                    return Err(ApiError::invalid(
                        "end_time",
                        Invalid::new(InvalidKind::Empty, "give `end_time` or `duration_minutes`, not both"),
                    ));
                }
            };
            let from = match input.starts_at.as_deref() {
                Some(at) => parse_instant(at, "starts_at")?,
                None => now,
            };
            Schedule::Weekly {
                rule,
                from,
                until: None,
                skipped: Default::default(),
            }
        }
        None => {
            let start = parse_instant(
                input.starts_at.as_deref().ok_or_else(|| required("starts_at"))?,
                "starts_at",
            )?;
            let end = parse_instant(input.ends_at.as_deref().ok_or_else(|| required("ends_at"))?, "ends_at")?;
            if end <= start {
                return Err(ApiError::invalid(
                    "ends_at",
                    Invalid::new(InvalidKind::Format, "the window ends before it starts"),
                ));
            }
            Schedule::Once { start, end }
        }
    };
    let window = MaintenanceWindow {
        id: guichet_store::new_id(),
        product: product.key.clone(),
        title,
        description,
        components,
        zone,
        schedule,
        cancelled_at: None,
        completed_at: None,
        created_at: now,
        updated_at: now,
    };
    let outbox = notices(
        state,
        &product,
        Notice::Maintenance(&window, "maintenance.planned"),
        base,
    )
    .await?;
    state.store.save_window(&window, None, &outbox).await?;
    Ok(window)
}

async fn window_of(state: &AppState, id: &str) -> Result<MaintenanceWindow, ApiError> {
    let id = guichet_domain::invalid::opaque_id(id, "window").map_err(|_| ApiError::not_found())?;
    state.store.window(&id).await?.ok_or_else(ApiError::not_found)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipInput {
    /// The occurrence: its start (RFC 3339) or its local date
    /// (`2026-03-13`).
    pub occurrence: Option<String>,
    /// Why, for the page and the subscribers.
    pub body: Option<String>,
}

/// Calls off one occurrence of a weekly window.
pub(crate) async fn skip_occurrence(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: SkipInput,
    base: &str,
) -> Result<MaintenanceWindow, ApiError> {
    require_operator(caller)?;
    let mut window = window_of(state, id).await?;
    let written = input.occurrence.as_deref().ok_or_else(|| required("occurrence"))?;
    let (start, date) = match written.trim().parse::<Date>() {
        Ok(date) => (None, Some(date)),
        Err(_) => (Some(parse_instant(written, "occurrence")?), None),
    };
    let now = state.clock.now();
    let start = window
        .find_occurrence(start, date)
        .ok_or_else(|| window_error(WindowError::NoSuchOccurrence))?;
    window.skip(start, now).map_err(window_error)?;
    let update = match input.body.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(body) => Some(MaintenanceUpdate {
            id: guichet_store::new_id(),
            window: window.id.clone(),
            occurrence: Some(start),
            at: now,
            body: parse_text(body, "the message").map_err(field("body"))?,
        }),
    };
    let product = known_product(state, window.product.as_str()).await?;
    let outbox = notices(
        state,
        &product,
        Notice::Maintenance(&window, "maintenance.skipped"),
        base,
    )
    .await?;
    state.store.save_window(&window, update.as_ref(), &outbox).await?;
    Ok(window)
}

/// Cancels a one-off window, or retires a weekly one; or ends a one-off
/// window under way (`complete`).
pub(crate) async fn end_window(
    state: &AppState,
    caller: &Caller,
    id: &str,
    complete: bool,
    base: &str,
) -> Result<MaintenanceWindow, ApiError> {
    require_operator(caller)?;
    let mut window = window_of(state, id).await?;
    let now = state.clock.now();
    let event = if complete {
        window.complete(now).map_err(window_error)?;
        "maintenance.completed"
    } else {
        window.cancel(now).map_err(window_error)?;
        "maintenance.cancelled"
    };
    let product = known_product(state, window.product.as_str()).await?;
    let outbox = notices(state, &product, Notice::Maintenance(&window, event), base).await?;
    state.store.save_window(&window, None, &outbox).await?;
    Ok(window)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceUpdateInput {
    pub body: Option<String>,
    /// For a weekly window: the occurrence's start (RFC 3339).
    pub occurrence: Option<String>,
}

pub(crate) async fn post_maintenance_update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: MaintenanceUpdateInput,
) -> Result<(MaintenanceWindow, MaintenanceUpdate), ApiError> {
    require_operator(caller)?;
    let window = window_of(state, id).await?;
    let occurrence = match input.occurrence.as_deref() {
        Some(at) => Some(
            window
                .find_occurrence(Some(parse_instant(at, "occurrence")?), None)
                .ok_or_else(|| window_error(WindowError::NoSuchOccurrence))?,
        ),
        None => None,
    };
    let update = MaintenanceUpdate {
        id: guichet_store::new_id(),
        window: window.id.clone(),
        occurrence,
        at: state.clock.now(),
        body: parse_text(input.body.as_deref().unwrap_or(""), "the message").map_err(field("body"))?,
    };
    state.store.save_window(&window, Some(&update), &[]).await?;
    Ok((window, update))
}

// ---------------------------------------------------------------------------
// Incidents

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AffectedInput {
    pub component: String,
    /// Default `partial_outage`.
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub product: Option<String>,
    pub title: Option<String>,
    /// `none`, `minor` (default), `major` or `critical`.
    pub impact: Option<String>,
    /// Default `investigating`.
    pub status: Option<String>,
    #[serde(default)]
    pub components: Vec<AffectedInput>,
    /// The first message.
    pub body: Option<String>,
}

async fn affected(
    state: &AppState,
    product: &ProductKey,
    input: Vec<AffectedInput>,
) -> Result<Vec<AffectedComponent>, ApiError> {
    let statuses = input
        .iter()
        .map(|a| match a.status.as_deref() {
            None => Ok(ComponentStatus::PartialOutage),
            Some(status) => ComponentStatus::parse(status).map_err(field("components")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let keys = parse_components(state, product, input.into_iter().map(|a| a.component)).await?;
    Ok(keys
        .into_iter()
        .zip(statuses)
        .map(|(component, status)| AffectedComponent { component, status })
        .collect())
}

fn incident_error(error: IncidentError) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "incident_resolved", error.to_string())
}

pub(crate) async fn open_incident(
    state: &AppState,
    caller: &Caller,
    input: IncidentInput,
    base: &str,
) -> Result<Incident, ApiError> {
    require_operator(caller)?;
    let product = known_product(state, input.product.as_deref().ok_or_else(|| required("product"))?).await?;
    let title = rules::parse_title(input.title.as_deref().unwrap_or("")).map_err(field("title"))?;
    let impact = match input.impact.as_deref() {
        None => IncidentImpact::Minor,
        Some(impact) => IncidentImpact::parse(impact).map_err(field("impact"))?,
    };
    let status = match input.status.as_deref() {
        None => IncidentStatus::Investigating,
        Some(status) => IncidentStatus::parse(status).map_err(field("status"))?,
    };
    let components = affected(state, &product.key, input.components).await?;
    let first = IncidentUpdate {
        id: guichet_store::new_id(),
        at: state.clock.now(),
        status,
        body: parse_text(input.body.as_deref().unwrap_or(""), "the message").map_err(field("body"))?,
    };
    let incident = Incident::open(
        guichet_store::new_id(),
        product.key.clone(),
        title,
        impact,
        status,
        components,
        first,
    );
    let outbox = notices(state, &product, Notice::Incident(&incident, "incident.created"), base).await?;
    state.store.save_incident(&incident, &incident.updates, &outbox).await?;
    Ok(incident)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdateInput {
    /// The incident's new status; `resolved` closes it.
    pub status: Option<String>,
    pub body: Option<String>,
    /// Replaces the affected components, if given.
    pub components: Option<Vec<AffectedInput>>,
    pub impact: Option<String>,
}

async fn incident_of(state: &AppState, id: &str) -> Result<Incident, ApiError> {
    let id = guichet_domain::invalid::opaque_id(id, "incident").map_err(|_| ApiError::not_found())?;
    state.store.incident(&id).await?.ok_or_else(ApiError::not_found)
}

pub(crate) async fn incident(state: &AppState, id: &str) -> Result<Incident, ApiError> {
    incident_of(state, id).await
}

/// Posts an update; resolving closes the incident and posts the
/// resolution on every linked case.
pub(crate) async fn post_incident_update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: IncidentUpdateInput,
    base: &str,
) -> Result<Incident, ApiError> {
    require_operator(caller)?;
    let mut incident = incident_of(state, id).await?;
    let status =
        IncidentStatus::parse(input.status.as_deref().ok_or_else(|| required("status"))?).map_err(field("status"))?;
    let update = IncidentUpdate {
        id: guichet_store::new_id(),
        at: state.clock.now(),
        status,
        body: parse_text(input.body.as_deref().unwrap_or(""), "the message").map_err(field("body"))?,
    };
    if let Some(components) = input.components {
        incident.components = affected(state, &incident.product, components).await?;
    }
    if let Some(impact) = input.impact.as_deref() {
        incident.impact = IncidentImpact::parse(impact).map_err(field("impact"))?;
    }
    let resolved = incident.post(update.clone()).map_err(incident_error)?;
    let product = known_product(state, incident.product.as_str()).await?;
    let event = if resolved {
        "incident.resolved"
    } else {
        "incident.updated"
    };
    let outbox = notices(state, &product, Notice::Incident(&incident, event), base).await?;
    state
        .store
        .save_incident(&incident, std::slice::from_ref(&update), &outbox)
        .await?;
    if resolved {
        // R24: the cases opened about it hear that it is over.
        for case in state.store.linked_cases(&incident.id).await? {
            let happening = Happening::IncidentUpdated {
                incident: incident.id.clone(),
                title: incident.title.clone(),
                status: update.status,
                body: update.body.clone(),
            };
            crate::cases::post_status_happening(state, &case, None, happening).await?;
        }
    }
    Ok(incident)
}

/// Links a case the caller may read to an active incident of its product.
pub(crate) async fn link_case(
    state: &AppState,
    caller: &Caller,
    id: &str,
    number: &str,
) -> Result<(Incident, guichet_domain::case::Case), ApiError> {
    let incident = incident_of(state, id).await?;
    let (case, _) = crate::cases::readable(state, caller, number).await?;
    if case.product != incident.product {
        return Err(ApiError::invalid(
            "case",
            Invalid::new(
                InvalidKind::NotAllowed,
                format!(
                    "the case is about {}, the incident about {}",
                    case.product.as_str(),
                    incident.product.as_str()
                ),
            ),
        ));
    }
    if !incident.is_active() {
        return Err(incident_error(IncidentError::Resolved));
    }
    if state.store.link_case(&incident.id, &case.id, state.clock.now()).await? {
        let happening = Happening::IncidentLinked {
            incident: incident.id.clone(),
            title: incident.title.clone(),
        };
        crate::cases::post_status_happening(state, &case.id, Some(&caller.user.id), happening).await?;
    }
    Ok((incident, case))
}

// ---------------------------------------------------------------------------
// Subscriptions

fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn product_words(tr: &Tr, product: Option<&Product>) -> String {
    product.map_or_else(|| tr.t("status-all-products"), |p| p.name.clone())
}

/// R24: asks `email` to confirm a subscription (double opt-in). An address
/// already subscribed gets nothing new, and the answer is the same, so it
/// tells nobody who is subscribed.
pub(crate) async fn subscribe(
    state: &AppState,
    email: &str,
    product: Option<&str>,
    language: Language,
    base: &str,
) -> Result<(), ApiError> {
    let email = EmailAddress::parse(email).map_err(field("email"))?;
    let product = match product.map(str::trim).filter(|p| !p.is_empty()) {
        Some(key) => Some(known_product(state, key).await?),
        None => None,
    };
    let key = product.as_ref().map(|p| p.key.clone());
    if state.store.is_subscribed(email.as_str(), key.as_ref()).await? {
        return Ok(());
    }
    let now = state.clock.now();
    let token = new_secret();
    let subscriber = Subscriber {
        id: guichet_store::new_id(),
        kind: SubscriberKind::Email {
            address: email.as_str().to_owned(),
            token: token.clone(),
        },
        product: key,
        language: language.code().to_owned(),
        created_at: now,
        confirmed_at: None,
        unsubscribed_at: None,
    };
    let tr = Tr::new(language);
    let name = product_words(&tr, product.as_ref());
    let link = format!("{base}/status/subscriptions/confirm?token={token}");
    let mail = Mail {
        to: email.as_str().to_owned(),
        subject: tr.t1("status-mail-confirm-subject", "product", &name),
        body: format!(
            "{}\n\n{link}\n\n{}\n",
            tr.t1("status-mail-confirm-body", "product", &name),
            tr.t("status-mail-confirm-ignore")
        ),
        language: language.code().to_owned(),
        headers: Vec::new(),
        reply_token: None,
    };
    let outbox = [OutboxMessage::new("mail", &mail, now)];
    state
        .store
        .create_subscriber(&subscriber, Some(&token_hash(&token)), &outbox)
        .await?;
    Ok(())
}

/// The email subscriber a token names; 404 `unknown_token` otherwise.
pub(crate) async fn subscriber_of(state: &AppState, token: &str) -> Result<Subscriber, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_token",
            "This link is no longer valid: subscribe again.",
        )
    };
    if token.trim().is_empty() || token.len() > 100 {
        return Err(unknown());
    }
    state
        .store
        .subscriber_by_token(&token_hash(token.trim()))
        .await?
        .filter(|s| s.unsubscribed_at.is_none())
        .ok_or_else(unknown)
}

/// Confirms a subscription (the second step of double opt-in).
pub(crate) async fn confirm(state: &AppState, token: &str) -> Result<Subscriber, ApiError> {
    let mut subscriber = subscriber_of(state, token).await?;
    let now = state.clock.now();
    if state.store.confirm_subscriber(&subscriber.id, now).await? {
        subscriber.confirmed_at = Some(now);
    }
    Ok(subscriber)
}

/// Ends a subscription (one click from any mail).
pub(crate) async fn unsubscribe(state: &AppState, token: &str) -> Result<Subscriber, ApiError> {
    let mut subscriber = subscriber_of(state, token).await?;
    let now = state.clock.now();
    state.store.unsubscribe(&subscriber.id, now).await?;
    subscriber.unsubscribed_at = Some(now);
    Ok(subscriber)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed (`http` or `https`).
    pub url: Option<String>,
    /// Only this product's changes; none: every product.
    pub product: Option<String>,
}

/// R24: registers a webhook receiver; the answer holds the secret its
/// deliveries are signed with.
pub(crate) async fn create_webhook(
    state: &AppState,
    caller: &Caller,
    input: WebhookInput,
) -> Result<Subscriber, ApiError> {
    require_operator(caller)?;
    let url = input.url.as_deref().unwrap_or("").trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        ApiError::invalid(
            "url",
            Invalid::new(InvalidKind::Format, format!("`{url}` is not a URL: {e}")),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(ApiError::invalid(
            "url",
            Invalid::new(InvalidKind::Format, "a webhook URL is http:// or https:// with a host"),
        ));
    }
    let product = match input.product.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(key) => Some(known_product(state, key).await?.key),
        None => None,
    };
    let now = state.clock.now();
    let subscriber = Subscriber {
        id: guichet_store::new_id(),
        kind: SubscriberKind::Webhook {
            url: parsed.to_string(),
            secret: format!("whsec_{}", new_secret()),
        },
        product,
        language: caller.user.language.code().to_owned(),
        created_at: now,
        confirmed_at: Some(now),
        unsubscribed_at: None,
    };
    state.store.create_subscriber(&subscriber, None, &[]).await?;
    Ok(subscriber)
}

pub(crate) async fn delete_webhook(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    require_operator(caller)?;
    let id = guichet_domain::invalid::opaque_id(id, "webhook").map_err(|_| ApiError::not_found())?;
    match state.store.subscriber(&id).await? {
        Some(Subscriber {
            kind: SubscriberKind::Webhook { .. },
            unsubscribed_at: None,
            ..
        }) => {
            state.store.unsubscribe(&id, state.clock.now()).await?;
            Ok(())
        }
        _ => Err(ApiError::not_found()),
    }
}

// ---------------------------------------------------------------------------
// Notices to subscribers

/// What changed, with the event name webhooks carry.
pub(crate) enum Notice<'a> {
    Incident(&'a Incident, &'static str),
    Maintenance(&'a MaintenanceWindow, &'static str),
}

/// A webhook delivery waiting in the outbox: whom to send it to and the
/// exact body to sign.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WebhookDelivery {
    pub subscriber: String,
    pub event: String,
    pub body: String,
}

/// The outbox rows that tell every active subscriber of `product` about a
/// change: a mail in each email subscriber's language, a webhook delivery
/// to each receiver.
pub(crate) async fn notices(
    state: &AppState,
    product: &Product,
    notice: Notice<'_>,
    base: &str,
) -> Result<Vec<OutboxMessage>, ApiError> {
    let subscribers = state.store.subscribers_for(&product.key).await?;
    if subscribers.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let event = match notice {
        Notice::Incident(_, event) | Notice::Maintenance(_, event) => event,
    };
    let data = match notice {
        Notice::Incident(incident, _) => {
            serde_json::to_value(crate::api::status::IncidentView::of(incident, None)).map_err(ApiError::internal)?
        }
        Notice::Maintenance(window, _) => {
            serde_json::to_value(crate::api::status::WindowView::of(window)).map_err(ApiError::internal)?
        }
    };
    let body = serde_json::to_string(&serde_json::json!({
        "event": event,
        "product": product.key.as_str(),
        "created_at": now.to_string(),
        "data": data,
    }))
    .map_err(ApiError::internal)?;
    let mut outbox = Vec::new();
    for subscriber in subscribers {
        match &subscriber.kind {
            SubscriberKind::Webhook { .. } => {
                let delivery = WebhookDelivery {
                    subscriber: subscriber.id.clone(),
                    event: event.to_owned(),
                    body: body.clone(),
                };
                outbox.push(OutboxMessage::new("webhook", &delivery, now));
            }
            SubscriberKind::Email { address, token } => {
                let language = Language::parse(&subscriber.language).unwrap_or_default();
                let tr = Tr::new(language);
                let (subject, text) = notice_text(&tr, product, &notice);
                let unsubscribe = format!("{base}/status/subscriptions/unsubscribe?token={token}");
                let mail = Mail {
                    to: address.clone(),
                    subject,
                    body: format!(
                        "{text}\n\n{}\n{}\n",
                        tr.t1("status-mail-page", "link", format!("{base}/status")),
                        tr.t1("status-mail-unsubscribe", "link", &unsubscribe)
                    ),
                    language: language.code().to_owned(),
                    headers: vec![
                        ("List-Unsubscribe".into(), format!("<{unsubscribe}>")),
                        ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
                    ],
                    reply_token: None,
                };
                outbox.push(OutboxMessage::new("mail", &mail, now));
            }
        }
    }
    Ok(outbox)
}

/// A notice's subject and text, in `tr`'s language.
fn notice_text(tr: &Tr, product: &Product, notice: &Notice<'_>) -> (String, String) {
    match notice {
        Notice::Incident(incident, _) => {
            let status = words::incident_status(tr, incident.status);
            let subject = tr.t3(
                "status-mail-incident-subject",
                ("product", &product.name),
                ("title", &incident.title),
                ("status", &status),
            );
            let latest = incident.updates.last().map_or("", |u| u.body.as_str());
            (subject, format!("{}\n\n{status}: {latest}", incident.title))
        }
        Notice::Maintenance(window, _) => {
            let subject = tr.t2(
                "status-mail-maintenance-subject",
                ("product", &product.name),
                ("title", &window.title),
            );
            let zone = window.zone.time_zone();
            let local = |at: Timestamp| zone.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string();
            let when = match &window.schedule {
                Schedule::Once { start, end } => tr.t3(
                    "status-mail-maintenance-when",
                    ("start", &local(*start)),
                    ("end", &local(*end)),
                    ("zone", window.zone.as_str()),
                ),
                Schedule::Weekly { rule, .. } => tr.t3(
                    "status-weekly-window",
                    ("weekday", &words::weekday(tr, rule.weekday)),
                    ("hours", &weekly_hours(rule)),
                    ("zone", window.zone.as_str()),
                ),
            };
            let status = window
                .cancelled_at
                .map(|_| format!("\n{}", words::window_life(tr, WindowLife::Cancelled)))
                .unwrap_or_default();
            (
                subject,
                format!("{}\n{when}{status}\n\n{}", window.title, window.description),
            )
        }
    }
}

/// A weekly window's local hours, `19:30–23:30`.
pub(crate) fn weekly_hours(rule: &WeeklyRule) -> String {
    format!("{}–{}", rule.start.strftime("%H:%M"), rule.end().strftime("%H:%M"))
}
