//! The status page through the API (R23, R24): the status of every product,
//! expanded maintenance windows, incidents with their history, and what
//! operators (vendor administrators and support managers) do with them;
//! subscriptions by email and webhooks. Reading needs no sign-in.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use guichet_domain::maintenance::{MaintenanceUpdate, MaintenanceWindow, Schedule, weekday_name};
use guichet_domain::product::ProductKey;
use guichet_domain::status::{Component, ComponentStatus, Incident};
use guichet_domain::user::Language;
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{Subscriber, SubscriberKind};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::json::ApiJson;
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, Problem};
use crate::portal::language;
use crate::status::{
    self, ComponentChange, ComponentInput, IncidentInput, IncidentUpdateInput, MaintenanceUpdateInput, Planned,
    ProductStatus, SkipInput, WebhookInput, WindowInput,
};

// ---------------------------------------------------------------------------
// Views

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AffectedView {
    pub component: String,
    /// `degraded_performance`, `partial_outage`, `major_outage`, …
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentUpdateView {
    pub id: String,
    pub at: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub product: String,
    pub title: String,
    /// `none`, `minor`, `major` or `critical`.
    pub impact: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    pub components: Vec<AffectedView>,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    /// Oldest first.
    pub updates: Vec<IncidentUpdateView>,
    /// The numbers of the cases linked to it (vendor staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_cases: Option<Vec<i64>>,
}

impl IncidentView {
    pub(crate) fn of(incident: &Incident, linked_cases: Option<Vec<i64>>) -> Self {
        Self {
            id: incident.id.clone(),
            product: incident.product.as_str().to_owned(),
            title: incident.title.clone(),
            impact: incident.impact.as_str().to_owned(),
            status: incident.status.as_str().to_owned(),
            components: incident
                .components
                .iter()
                .map(|a| AffectedView {
                    component: a.component.as_str().to_owned(),
                    status: a.status.as_str().to_owned(),
                })
                .collect(),
            created_at: incident.created_at.to_string(),
            updated_at: incident.updated_at.to_string(),
            resolved_at: incident.resolved_at.map(|at| at.to_string()),
            updates: incident
                .updates
                .iter()
                .map(|u| IncidentUpdateView {
                    id: u.id.clone(),
                    at: u.at.to_string(),
                    status: u.status.as_str().to_owned(),
                    body: u.body.clone(),
                })
                .collect(),
            linked_cases,
        }
    }
}

/// A maintenance window as defined (a weekly rule or a one-off).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowView {
    pub id: String,
    pub product: String,
    /// `weekly` or `once`.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// Component keys; empty: the whole product.
    pub components: Vec<String>,
    /// The IANA zone of its local times.
    pub time_zone: String,
    /// Weekly: `monday` … `sunday`.
    pub weekday: Option<String>,
    /// Weekly: local start, `19:30`.
    pub start_time: Option<String>,
    /// Weekly: local end, `23:30` (the next day when at or before the start).
    pub end_time: Option<String>,
    pub duration_minutes: Option<i64>,
    /// One-off: the start; weekly: when the rule took effect (RFC 3339).
    pub starts_at: String,
    /// One-off: the end; weekly: when the rule was retired, if it was.
    pub ends_at: Option<String>,
    /// Weekly: the starts of the occurrences called off (RFC 3339).
    pub skipped: Vec<String>,
    pub cancelled_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl WindowView {
    pub(crate) fn of(window: &MaintenanceWindow) -> Self {
        let (kind, weekday, start_time, end_time, duration, starts_at, ends_at, skipped) = match &window.schedule {
            Schedule::Weekly {
                rule,
                from,
                until,
                skipped,
            } => (
                "weekly",
                Some(weekday_name(rule.weekday).to_owned()),
                Some(rule.start.strftime("%H:%M").to_string()),
                Some(rule.end().strftime("%H:%M").to_string()),
                Some(rule.duration.as_mins()),
                *from,
                *until,
                skipped.iter().map(|at| at.to_string()).collect(),
            ),
            Schedule::Once { start, end } => ("once", None, None, None, None, *start, Some(*end), Vec::new()),
        };
        Self {
            id: window.id.clone(),
            product: window.product.as_str().to_owned(),
            kind: kind.to_owned(),
            title: window.title.clone(),
            description: window.description.clone(),
            components: window.components.iter().map(|c| c.as_str().to_owned()).collect(),
            time_zone: window.zone.as_str().to_owned(),
            weekday,
            start_time,
            end_time,
            duration_minutes: duration,
            starts_at: starts_at.to_string(),
            ends_at: ends_at.map(|at| at.to_string()),
            skipped,
            cancelled_at: window.cancelled_at.map(|at| at.to_string()),
            completed_at: window.completed_at.map(|at| at.to_string()),
            created_at: window.created_at.to_string(),
            updated_at: window.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaintenanceUpdateView {
    pub id: String,
    /// The occurrence it is about (its start), for weekly windows.
    pub occurrence: Option<String>,
    pub at: String,
    pub body: String,
}

impl MaintenanceUpdateView {
    fn of(update: &MaintenanceUpdate) -> Self {
        Self {
            id: update.id.clone(),
            occurrence: update.occurrence.map(|at| at.to_string()),
            at: update.at.to_string(),
            body: update.body.clone(),
        }
    }
}

/// One occurrence of a maintenance window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OccurrenceView {
    /// The window's id.
    pub window: String,
    pub product: String,
    pub title: String,
    pub description: String,
    pub components: Vec<String>,
    /// From a weekly window.
    pub recurring: bool,
    /// `scheduled`, `in_progress`, `completed` or `cancelled` (skipped).
    pub status: String,
    /// RFC 3339, UTC.
    pub start: String,
    /// RFC 3339, UTC.
    pub end: String,
    /// The product's time zone (the window's).
    pub time_zone: String,
    /// RFC 3339 with the zone's offset (`2026-03-06T19:30:00-08:00`).
    pub local_start: String,
    pub local_end: String,
    pub updates: Vec<MaintenanceUpdateView>,
}

/// RFC 3339 with the offset `zone` has at `at`.
pub(crate) fn local_rfc3339(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

impl OccurrenceView {
    pub(crate) fn of(planned: &Planned) -> Self {
        let window = &planned.window;
        let zone = window.zone.time_zone();
        Self {
            window: window.id.clone(),
            product: window.product.as_str().to_owned(),
            title: window.title.clone(),
            description: window.description.clone(),
            components: window.components.iter().map(|c| c.as_str().to_owned()).collect(),
            recurring: planned.occurrence.recurring,
            status: planned.occurrence.life.as_str().to_owned(),
            start: planned.occurrence.start.to_string(),
            end: planned.occurrence.end.to_string(),
            time_zone: window.zone.as_str().to_owned(),
            local_start: local_rfc3339(planned.occurrence.start, &zone),
            local_end: local_rfc3339(planned.occurrence.end, &zone),
            updates: planned.updates.iter().map(MaintenanceUpdateView::of).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentView {
    pub product: String,
    pub key: String,
    pub name: String,
    /// As the page shows it: the worst of the operator's status, active
    /// incidents and maintenance under way.
    pub status: String,
    /// What an operator set.
    pub set_status: String,
}

impl ComponentView {
    fn of(component: &Component, status: ComponentStatus) -> Self {
        Self {
            product: component.product.as_str().to_owned(),
            key: component.key.as_str().to_owned(),
            name: component.name.clone(),
            status: status.as_str().to_owned(),
            set_status: component.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductStatusView {
    pub key: String,
    pub name: String,
    /// Its worst component's status.
    pub status: String,
    pub components: Vec<ComponentView>,
    pub active_incidents: Vec<IncidentView>,
    pub maintenance_in_progress: Vec<OccurrenceView>,
    /// Starting in the next 7 days.
    pub maintenance_upcoming: Vec<OccurrenceView>,
    pub weekly_windows: Vec<WindowView>,
    /// Incidents resolved in the last 90 days, newest first.
    pub history: Vec<IncidentView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// The instant this answer describes (RFC 3339).
    pub at: String,
    pub products: Vec<ProductStatusView>,
}

impl ProductStatusView {
    fn of(status: &ProductStatus) -> Self {
        Self {
            key: status.product.key.as_str().to_owned(),
            name: status.product.name.clone(),
            status: status.overall.as_str().to_owned(),
            components: status
                .components
                .iter()
                .map(|(c, s)| ComponentView::of(c, *s))
                .collect(),
            active_incidents: status.active.iter().map(|i| IncidentView::of(i, None)).collect(),
            maintenance_in_progress: status.in_progress.iter().map(OccurrenceView::of).collect(),
            maintenance_upcoming: status.upcoming.iter().map(OccurrenceView::of).collect(),
            weekly_windows: status.weekly.iter().map(WindowView::of).collect(),
            history: status.history.iter().map(|i| IncidentView::of(i, None)).collect(),
        }
    }
}

/// What a new case's answer tells about its product (R24): active
/// incidents, and maintenance under way or starting within a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnownIssuesView {
    pub incidents: Vec<IncidentView>,
    pub maintenance: Vec<OccurrenceView>,
}

pub(crate) async fn known_issues_view(state: &AppState, product: &ProductKey) -> Result<KnownIssuesView, ApiError> {
    let issues = status::known_issues(state, product, state.clock.now()).await?;
    Ok(KnownIssuesView {
        incidents: issues.incidents.iter().map(|i| IncidentView::of(i, None)).collect(),
        maintenance: issues.maintenance.iter().map(OccurrenceView::of).collect(),
    })
}

fn bad_query(error: ApiError) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        ..error
    }
}

async fn product_filter(state: &AppState, product: Option<&str>) -> Result<Option<ProductKey>, ApiError> {
    match product.map(str::trim).filter(|p| !p.is_empty()) {
        Some(key) => Ok(Some(status::known_product(state, key).await.map_err(bad_query)?.key)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------
// Reading: anyone

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// A product key (`financials`); default every product.
    pub product: Option<String>,
}

/// The status of every product (or one): components, active incidents,
/// maintenance in progress and in the next 7 days, 90 days of history.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    tag = "status",
    security((), ("bearer" = [])),
    params(ProductQuery),
    responses(
        (status = 200, body = StatusView),
        (status = 400, description = "`unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_status(
    State(state): State<AppState>,
    Query(query): Query<ProductQuery>,
) -> Result<Json<StatusView>, ApiError> {
    let product = product_filter(&state, query.product.as_deref()).await?;
    let now = state.clock.now();
    let products = status::snapshot(&state, product.as_ref(), now).await?;
    Ok(Json(StatusView {
        at: now.to_string(),
        products: products.iter().map(ProductStatusView::of).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceQuery {
    /// A product key; default every product.
    pub product: Option<String>,
    /// RFC 3339; default now. Occurrences that end after it.
    pub from: Option<String>,
    /// RFC 3339; default 7 days after `from`, at most 400 days after it.
    /// Occurrences that start before it.
    pub to: Option<String>,
}

/// R23: the maintenance windows of a product between two instants, every
/// occurrence of the weekly ones expanded in the product's time zone
/// (skipped ones are there as `cancelled`).
#[utoipa::path(
    get,
    path = "/api/v1/maintenance",
    tag = "status",
    security((), ("bearer" = [])),
    params(MaintenanceQuery),
    responses(
        (status = 200, body = Vec<OccurrenceView>),
        (status = 400, description = "`unknown_product`, `invalid_from`, `invalid_to`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn maintenance(
    State(state): State<AppState>,
    Query(query): Query<MaintenanceQuery>,
) -> Result<Json<Vec<OccurrenceView>>, ApiError> {
    let product = product_filter(&state, query.product.as_deref()).await?;
    let now = state.clock.now();
    let from = match query.from.as_deref() {
        Some(from) => status::parse_instant(from, "from").map_err(bad_query)?,
        None => now,
    };
    let to = match query.to.as_deref() {
        Some(to) => status::parse_instant(to, "to").map_err(bad_query)?,
        None => from + status::UPCOMING,
    };
    if to <= from || to.duration_since(from) > SignedDuration::from_hours(24 * 400) {
        return Err(bad_query(ApiError::invalid(
            "to",
            Invalid::new(InvalidKind::Format, "`to` comes after `from`, at most 400 days later"),
        )));
    }
    let windows = state.store.windows(product.as_ref()).await?;
    let updates = state.store.maintenance_updates(product.as_ref()).await?;
    let planned = status::expand(&windows, &updates, from, to, now);
    Ok(Json(planned.iter().map(OccurrenceView::of).collect()))
}

/// The maintenance windows as defined: weekly rules and one-off windows.
#[utoipa::path(
    get,
    path = "/api/v1/maintenance/windows",
    tag = "status",
    security((), ("bearer" = [])),
    params(ProductQuery),
    responses(
        (status = 200, body = Vec<WindowView>),
        (status = 400, description = "`unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_windows(
    State(state): State<AppState>,
    Query(query): Query<ProductQuery>,
) -> Result<Json<Vec<WindowView>>, ApiError> {
    let product = product_filter(&state, query.product.as_deref()).await?;
    let windows = state.store.windows(product.as_ref()).await?;
    Ok(Json(windows.iter().map(WindowView::of).collect()))
}

/// The components of every product (or one), with their current status.
#[utoipa::path(
    get,
    path = "/api/v1/status/components",
    tag = "status",
    security((), ("bearer" = [])),
    params(ProductQuery),
    responses(
        (status = 200, body = Vec<ComponentView>),
        (status = 400, description = "`unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_components(
    State(state): State<AppState>,
    Query(query): Query<ProductQuery>,
) -> Result<Json<Vec<ComponentView>>, ApiError> {
    let product = product_filter(&state, query.product.as_deref()).await?;
    let products = status::snapshot(&state, product.as_ref(), state.clock.now()).await?;
    Ok(Json(
        products
            .iter()
            .flat_map(|p| p.components.iter().map(|(c, s)| ComponentView::of(c, *s)))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// A product key; default every product.
    pub product: Option<String>,
    /// Only the incidents under way.
    pub active: Option<bool>,
}

/// Every incident (the whole history, newest first), with its updates.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "status",
    security((), ("bearer" = [])),
    params(IncidentQuery),
    responses(
        (status = 200, body = Vec<IncidentView>),
        (status = 400, description = "`unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_incidents(
    State(state): State<AppState>,
    Query(query): Query<IncidentQuery>,
) -> Result<Json<Vec<IncidentView>>, ApiError> {
    let product = product_filter(&state, query.product.as_deref()).await?;
    let incidents = state
        .store
        .incidents(product.as_ref(), None, query.active.unwrap_or(false))
        .await?;
    Ok(Json(incidents.iter().map(|i| IncidentView::of(i, None)).collect()))
}

async fn linked_numbers(
    state: &AppState,
    caller: Option<&Caller>,
    incident: &Incident,
) -> Result<Option<Vec<i64>>, ApiError> {
    if !caller.is_some_and(|c| c.actor.is_vendor_staff()) {
        return Ok(None);
    }
    Ok(Some(state.store.linked_case_numbers(&incident.id).await?))
}

/// One incident with its updates (and, for vendor staff, its linked cases).
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "status",
    security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = IncidentView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_incident(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let incident = status::incident(&state, &id).await?;
    let linked = linked_numbers(&state, caller.as_ref(), &incident).await?;
    Ok(Json(IncidentView::of(&incident, linked)))
}

// ---------------------------------------------------------------------------
// Operating: vendor administrators and support managers

/// Add a component to a product (operators).
#[utoipa::path(
    post,
    path = "/api/v1/status/components",
    tag = "status",
    request_body = ComponentInput,
    responses(
        (status = 201, body = ComponentView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`component_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_product`, `invalid_key`, `invalid_name`, `unknown_status`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_component(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ComponentInput>,
) -> Result<(StatusCode, Json<ComponentView>), ApiError> {
    let component = status::create_component(&state, &caller, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ComponentView::of(&component, component.status)),
    ))
}

/// Rename a component or set its status (operators).
#[utoipa::path(
    patch,
    path = "/api/v1/status/components/{product}/{key}",
    tag = "status",
    params(("product" = String, Path), ("key" = String, Path)),
    request_body = ComponentChange,
    responses(
        (status = 200, body = ComponentView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_name`, `unknown_status`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_component(
    State(state): State<AppState>,
    caller: Caller,
    Path((product, key)): Path<(String, String)>,
    ApiJson(change): ApiJson<ComponentChange>,
) -> Result<Json<ComponentView>, ApiError> {
    let component = status::change_component(&state, &caller, &product, &key, change).await?;
    Ok(Json(ComponentView::of(&component, component.status)))
}

/// Plan maintenance (operators): a weekly window (`weekday`, `start_time`,
/// `end_time` or `duration_minutes`, `time_zone`) or a one-off window
/// (`starts_at`, `ends_at`). Subscribers are told.
#[utoipa::path(
    post,
    path = "/api/v1/maintenance/windows",
    tag = "status",
    request_body = WindowInput,
    responses(
        (status = 201, body = WindowView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>` (product, title, components, time_zone, weekday, start_time, end_time, duration_minutes, starts_at, ends_at)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_window(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<WindowInput>,
) -> Result<(StatusCode, Json<WindowView>), ApiError> {
    let base = status::base_url(&state, &headers);
    let window = status::create_window(&state, &caller, input, &base).await?;
    Ok((StatusCode::CREATED, Json(WindowView::of(&window))))
}

/// Skip one occurrence of a weekly window (operators): it shows as
/// cancelled, and is an `EXDATE` in the calendar feed.
#[utoipa::path(
    post,
    path = "/api/v1/maintenance/windows/{id}/skips",
    tag = "status",
    params(("id" = String, Path)),
    request_body = SkipInput,
    responses(
        (status = 200, body = WindowView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_occurrence`, `unknown_occurrence`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn skip_occurrence(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SkipInput>,
) -> Result<Json<WindowView>, ApiError> {
    let base = status::base_url(&state, &headers);
    let window = status::skip_occurrence(&state, &caller, &id, input, &base).await?;
    Ok(Json(WindowView::of(&window)))
}

/// Cancel a one-off window, or retire a weekly one (operators).
#[utoipa::path(
    post,
    path = "/api/v1/maintenance/windows/{id}/cancel",
    tag = "status",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = WindowView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`window_over`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel_window(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<WindowView>, ApiError> {
    let base = status::base_url(&state, &headers);
    let window = status::end_window(&state, &caller, &id, false, &base).await?;
    Ok(Json(WindowView::of(&window)))
}

/// End a one-off window under way before its planned end (operators).
#[utoipa::path(
    post,
    path = "/api/v1/maintenance/windows/{id}/complete",
    tag = "status",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = WindowView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`window_over`, `window_weekly`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete_window(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<WindowView>, ApiError> {
    let base = status::base_url(&state, &headers);
    let window = status::end_window(&state, &caller, &id, true, &base).await?;
    Ok(Json(WindowView::of(&window)))
}

/// Post an update on a window, or on one occurrence of a weekly window
/// (operators).
#[utoipa::path(
    post,
    path = "/api/v1/maintenance/windows/{id}/updates",
    tag = "status",
    params(("id" = String, Path)),
    request_body = MaintenanceUpdateInput,
    responses(
        (status = 201, body = MaintenanceUpdateView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_occurrence`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn window_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MaintenanceUpdateInput>,
) -> Result<(StatusCode, Json<MaintenanceUpdateView>), ApiError> {
    let (_, update) = status::post_maintenance_update(&state, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(MaintenanceUpdateView::of(&update))))
}

/// Open an incident on components of a product (operators). Subscribers are
/// told.
#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    tag = "status",
    request_body = IncidentInput,
    responses(
        (status = 201, body = IncidentView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>` (product, title, impact, status, components, body)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_incident(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<IncidentInput>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let base = status::base_url(&state, &headers);
    let incident = status::open_incident(&state, &caller, input, &base).await?;
    Ok((StatusCode::CREATED, Json(IncidentView::of(&incident, Some(Vec::new())))))
}

/// Post an update on an incident (operators); `resolved` closes it and
/// posts the resolution on every linked case.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/updates",
    tag = "status",
    params(("id" = String, Path)),
    request_body = IncidentUpdateInput,
    responses(
        (status = 200, body = IncidentView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`incident_resolved`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_status`, `unknown_status`, `invalid_body`, `unknown_components`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn incident_update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IncidentUpdateInput>,
) -> Result<Json<IncidentView>, ApiError> {
    let base = status::base_url(&state, &headers);
    let incident = status::post_incident_update(&state, &caller, &id, input, &base).await?;
    let linked = linked_numbers(&state, Some(&caller), &incident).await?;
    Ok(Json(IncidentView::of(&incident, linked)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCaseInput {
    /// The case's number.
    pub case: String,
}

/// Link a case to an active incident of its product: anyone who may read
/// the case. The case's timeline says so, and its resolution is posted on
/// the case.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/cases",
    tag = "status",
    params(("id" = String, Path)),
    request_body = LinkCaseInput,
    responses(
        (status = 200, body = IncidentView),
        (status = 404, description = "`not_found` (the incident or the case)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`incident_resolved`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_case` (another product)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn link_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LinkCaseInput>,
) -> Result<Json<IncidentView>, ApiError> {
    let (incident, _) = status::link_case(&state, &caller, &id, &input.case).await?;
    let linked = linked_numbers(&state, Some(&caller), &incident).await?;
    Ok(Json(IncidentView::of(&incident, linked)))
}

// ---------------------------------------------------------------------------
// Subscriptions

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub email: Option<String>,
    /// A product key; none: every product.
    pub product: Option<String>,
    /// `en` or `fr`: the mails' language. Default the caller's, else
    /// `Accept-Language`.
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionAccepted {
    /// `confirmation_sent`: the address receives a link to confirm.
    pub status: String,
}

/// Subscribe an email address to status updates (double opt-in: a mail
/// with a confirmation link is sent). Anyone may ask; the answer is the
/// same whether or not the address was already subscribed.
#[utoipa::path(
    post,
    path = "/api/v1/status/subscriptions",
    tag = "status",
    security((), ("bearer" = [])),
    request_body = SubscriptionRequest,
    responses(
        (status = 202, body = SubscriptionAccepted),
        (status = 422, description = "`invalid_email`, `unknown_product`, `invalid_language`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn subscribe(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SubscriptionRequest>,
) -> Result<(StatusCode, Json<SubscriptionAccepted>), ApiError> {
    let language = match request.language.as_deref() {
        Some(code) => Language::parse(code).map_err(|e| ApiError::invalid("language", e))?,
        None => language(caller.as_ref(), &cookies, &headers),
    };
    let base = status::base_url(&state, &headers);
    status::subscribe(
        &state,
        request.email.as_deref().unwrap_or(""),
        request.product.as_deref(),
        language,
        &base,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SubscriptionAccepted {
            status: "confirmation_sent".into(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// The token of the mail's link.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub email: String,
    /// `None`: every product.
    pub product: Option<String>,
    pub language: String,
    pub confirmed: bool,
    pub unsubscribed: bool,
}

impl SubscriptionView {
    fn of(subscriber: &Subscriber) -> Self {
        Self {
            email: match &subscriber.kind {
                SubscriberKind::Email { address, .. } => address.clone(),
                SubscriberKind::Webhook { .. } => String::new(),
            },
            product: subscriber.product.as_ref().map(|p| p.as_str().to_owned()),
            language: subscriber.language.clone(),
            confirmed: subscriber.confirmed_at.is_some(),
            unsubscribed: subscriber.unsubscribed_at.is_some(),
        }
    }
}

/// Confirm a subscription with the token of the confirmation mail.
#[utoipa::path(
    post,
    path = "/api/v1/status/subscriptions/confirm",
    tag = "status",
    security((), ("bearer" = [])),
    request_body = TokenInput,
    responses(
        (status = 200, body = SubscriptionView),
        (status = 404, description = "`unknown_token`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_subscription(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TokenInput>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let subscriber = status::confirm(&state, &input.token).await?;
    Ok(Json(SubscriptionView::of(&subscriber)))
}

/// Unsubscribe with the token of any status mail (one click).
#[utoipa::path(
    post,
    path = "/api/v1/status/subscriptions/unsubscribe",
    tag = "status",
    security((), ("bearer" = [])),
    request_body = TokenInput,
    responses(
        (status = 200, body = SubscriptionView),
        (status = 404, description = "`unknown_token`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<TokenInput>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let subscriber = status::unsubscribe(&state, &input.token).await?;
    Ok(Json(SubscriptionView::of(&subscriber)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    /// `None`: every product.
    pub product: Option<String>,
    pub created_at: String,
    /// Signs every delivery (`X-Guichet-Signature`): shown once, when the
    /// webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn of(subscriber: &Subscriber, with_secret: bool) -> Self {
        let (url, secret) = match &subscriber.kind {
            SubscriberKind::Webhook { url, secret } => (url.clone(), with_secret.then(|| secret.clone())),
            SubscriberKind::Email { .. } => (String::new(), None),
        };
        Self {
            id: subscriber.id.clone(),
            url,
            product: subscriber.product.as_ref().map(|p| p.as_str().to_owned()),
            created_at: subscriber.created_at.to_string(),
            secret,
        }
    }
}

/// The webhook receivers (operators).
#[utoipa::path(
    get,
    path = "/api/v1/status/webhooks",
    tag = "status",
    responses(
        (status = 200, body = Vec<WebhookView>),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_webhooks(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<WebhookView>>, ApiError> {
    status::require_operator(&caller)?;
    let webhooks = state.store.webhooks().await?;
    Ok(Json(webhooks.iter().map(|w| WebhookView::of(w, false)).collect()))
}

/// Register a webhook receiver (operators). Every incident and maintenance
/// change is POSTed to it as JSON, signed: `X-Guichet-Signature: sha256=`
/// HMAC-SHA256 of `{X-Guichet-Timestamp}.{body}` with the secret answered
/// here, retried with backoff until it answers 2xx.
#[utoipa::path(
    post,
    path = "/api/v1/status/webhooks",
    tag = "status",
    request_body = WebhookInput,
    responses(
        (status = 201, body = WebhookView),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_url`, `unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let webhook = status::create_webhook(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::of(&webhook, true))))
}

/// Remove a webhook receiver (operators).
#[utoipa::path(
    delete,
    path = "/api/v1/status/webhooks/{id}",
    tag = "status",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`operator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    status::delete_webhook(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
