//! Cases through the API (R12–R20).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guichet_domain::case::{AnswerFields, Case, CaseEvent, CaseNumber, CaseStatus, Happening};
use guichet_domain::company::CompanyId;
use guichet_domain::escalation::{self, EscalationRequest, EscalationStatus};
use guichet_domain::expert::ExpertEngagement;
use guichet_domain::priority::Priority;
use guichet_domain::user::UserId;
use guichet_store::{CaseFilter, CaseOrder, CaseScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::json::ApiJson;
use crate::api::views::CompanyRefView;
use crate::auth::Caller;
use crate::cases::{self, OpenCase};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::text;

/// A person named on a case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// Names people by id, looking each up once.
pub(crate) struct People<'a> {
    state: &'a AppState,
    known: HashMap<UserId, Option<PersonRef>>,
}

impl<'a> People<'a> {
    pub(crate) fn new(state: &'a AppState) -> Self {
        Self {
            state,
            known: HashMap::new(),
        }
    }

    /// Adds someone already loaded (the caller).
    pub(crate) fn knows(&mut self, user: &guichet_domain::user::User) {
        let person = PersonRef {
            id: user.id.0.clone(),
            name: user.display_name.as_str().to_owned(),
        };
        self.known.insert(user.id.clone(), Some(person));
    }

    pub(crate) async fn get(&mut self, id: &UserId) -> Result<Option<PersonRef>, ApiError> {
        if let Some(known) = self.known.get(id) {
            return Ok(known.clone());
        }
        let person = self.state.store.user(id).await?.map(|user| PersonRef {
            id: user.id.0.clone(),
            name: user.display_name.as_str().to_owned(),
        });
        self.known.insert(id.clone(), person.clone());
        Ok(person)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationView {
    pub id: String,
    pub case_number: i64,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    pub reason: String,
    pub requested_by: Option<PersonRef>,
    pub requested_at: String,
    /// The review's target time.
    pub review_due_at: String,
    pub reviewed_by: Option<PersonRef>,
    pub reviewed_at: Option<String>,
    /// The manager's note, which the customer sees.
    pub note: Option<String>,
}

pub(crate) async fn escalation_view(
    people: &mut People<'_>,
    request: &EscalationRequest,
    number: CaseNumber,
) -> Result<EscalationView, ApiError> {
    Ok(EscalationView {
        id: request.id.clone(),
        case_number: number.0,
        status: request.status.as_str().to_owned(),
        reason: request.reason.clone(),
        requested_by: people.get(&request.requested_by).await?,
        requested_at: request.requested_at.to_string(),
        review_due_at: request.review_due_at.to_string(),
        reviewed_by: match &request.reviewed_by {
            Some(id) => people.get(id).await?,
            None => None,
        },
        reviewed_at: request.reviewed_at.map(|at| at.to_string()),
        note: request.note.clone(),
    })
}

/// One entry of a case's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub at: String,
    /// `opened`, `answered`, `commented`, `noted`, `status_changed`,
    /// `assigned`, `update_requested`, `escalation_requested`,
    /// `escalation_reviewed`, `expert_engaged`, `expert_replied`,
    /// `expert_engagement_closed`, `split_into`, `split_from`,
    /// `solution_accepted`, `reopened`, `closed_automatically`.
    pub kind: String,
    pub actor: Option<PersonRef>,
    /// Internal entries are shown to staff only.
    pub internal: bool,
    /// The entry's fields (for `answered`: `answer` with its `kind` and
    /// fields).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// One SLA clock of a case (R15, R21).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    /// `first_response` or `next_update`.
    pub clock: String,
    /// `running`, `paused` (waiting on the customer) or `met`.
    pub state: String,
    /// The target, such as `8h`.
    pub target: String,
    /// `business` (the company's hours) or `around_the_clock`.
    pub hours: String,
    /// When a running clock is due (RFC 3339).
    pub due_at: Option<String>,
    /// When a running clock reaches 75 % of its target.
    pub warning_at: Option<String>,
    /// Counted so far, in minutes.
    pub used_minutes: i64,
    /// What is left of the target, in minutes (negative once breached).
    pub remaining_minutes: i64,
    pub warned: bool,
    pub breached: bool,
}

pub(crate) fn clock_views(state: &AppState, company: &guichet_domain::company::Company, case: &Case) -> Vec<ClockView> {
    use guichet_domain::sla::{ClockPhase, TargetHours, format_duration};
    let now = state.clock.now();
    let calendar = crate::cases::calendar_of(company, now);
    let clocks = [
        ("first_response", case.clocks.first_response),
        ("next_update", case.clocks.next_update),
    ];
    clocks
        .into_iter()
        .filter_map(|(name, clock)| clock.map(|clock| (name, clock)))
        .map(|(name, clock)| {
            let used = clock.state.used(&calendar, now);
            ClockView {
                clock: name.to_owned(),
                state: match clock.state.phase {
                    ClockPhase::Running { .. } => "running",
                    ClockPhase::Paused { .. } => "paused",
                    ClockPhase::Met { .. } => "met",
                }
                .to_owned(),
                target: format_duration(clock.state.target.duration),
                hours: match clock.state.target.hours {
                    TargetHours::Business => "business",
                    TargetHours::AroundTheClock => "around_the_clock",
                }
                .to_owned(),
                due_at: clock.state.due_at().map(|at| at.to_string()),
                warning_at: clock.state.warning_at().map(|at| at.to_string()),
                used_minutes: used.as_mins(),
                remaining_minutes: (clock.state.target.duration - used).as_mins(),
                warned: clock.warned,
                breached: clock.breached || clock.state.is_breached(&calendar, now),
            }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub number: i64,
    /// `new`, `in_progress`, `waiting_on_customer`, `workaround_provided`,
    /// `solved`, `closed`.
    pub status: String,
    /// `P1` … `P4`.
    pub priority: String,
    /// Why it has that priority, in the reader's language.
    pub priority_reasons: Vec<String>,
    pub subject: String,
    pub description: String,
    pub steps: Option<String>,
    pub expected: Option<String>,
    pub product: String,
    pub area: String,
    pub environment: String,
    pub impact: String,
    pub scope: String,
    pub company: CompanyRefView,
    pub opened_by: Option<PersonRef>,
    pub contacts: Vec<PersonRef>,
    pub assignee: Option<PersonRef>,
    pub escalated: bool,
    /// R18: specialists are involved (customers see no more than this).
    pub experts_involved: bool,
    pub split_from: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    pub first_response_at: Option<String>,
    pub solved_at: Option<String>,
    pub closed_at: Option<String>,
    /// R19: when the next update request is allowed, if not now.
    pub next_update_request_at: Option<String>,
    /// The latest escalation request, if any.
    pub escalation: Option<EscalationView>,
    /// The SLA clocks, with their due instants.
    pub sla: Vec<ClockView>,
    /// The timeline, oldest first (only in `GET /api/v1/cases/{number}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventView>>,
    /// R24, only when a case is opened: the product's active incidents and
    /// maintenance under way or starting within a day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_issues: Option<crate::api::status::KnownIssuesView>,
}

pub(crate) async fn case_view(
    state: &AppState,
    caller: &Caller,
    case: &Case,
    with_timeline: bool,
) -> Result<CaseView, ApiError> {
    let mut people = People::new(state);
    people.knows(&caller.user);
    let tr = Tr::new(caller.user.language);
    let company = if case.company_id == caller.company.id {
        caller.company.clone()
    } else {
        state
            .store
            .company(&case.company_id)
            .await?
            .ok_or_else(ApiError::not_found)?
    };
    let mut contacts = Vec::new();
    for id in &case.contacts {
        contacts.extend(people.get(id).await?);
    }
    // Escalation requests come with a change, so a case never changed has
    // none (and opening a case need not look).
    let escalation = if case.version == 1 {
        None
    } else {
        match state.store.escalation_requests_of(&case.id).await?.last() {
            Some(request) => Some(escalation_view(&mut people, request, case.number).await?),
            None => None,
        }
    };
    let timeline = if with_timeline {
        let events = timeline(state, caller, case).await?;
        let mut views = Vec::with_capacity(events.len());
        for event in &events {
            views.push(event_view(&mut people, event).await?);
        }
        Some(views)
    } else {
        None
    };
    let next_update_request_at = escalation::may_request_update(
        case.last_update_request_at,
        state.clock.now(),
        state.settings.cases.update_request_period,
    )
    .err()
    .map(|at| at.to_string());
    Ok(CaseView {
        number: case.number.0,
        status: case.status.as_str().to_owned(),
        priority: case.priority.as_str().to_owned(),
        priority_reasons: text::priority_reasons(&tr, &case.priority_reasons),
        subject: case.subject.as_str().to_owned(),
        description: case.description.clone(),
        steps: case.steps.clone(),
        expected: case.expected.clone(),
        product: case.product.as_str().to_owned(),
        area: case.area.as_str().to_owned(),
        environment: case.environment.as_str().to_owned(),
        impact: case.impact.as_str().to_owned(),
        scope: case.scope.as_str().to_owned(),
        company: CompanyRefView {
            id: company.id.0.clone(),
            name: company.name.as_str().to_owned(),
        },
        opened_by: people.get(&case.opened_by).await?,
        contacts,
        assignee: match &case.assignee {
            Some(id) => people.get(id).await?,
            None => None,
        },
        escalated: case.escalated,
        experts_involved: case.experts_involved,
        split_from: case.split_from.map(|n| n.0),
        created_at: case.created_at.to_string(),
        updated_at: case.updated_at.to_string(),
        first_response_at: case.first_response_at.map(|at| at.to_string()),
        solved_at: case.solved_at.map(|at| at.to_string()),
        closed_at: case.closed_at.map(|at| at.to_string()),
        next_update_request_at,
        escalation,
        sla: clock_views(state, &company, case),
        timeline,
        known_issues: None,
    })
}

/// The timeline entries the caller may see, oldest first: internal ones
/// (notes, assignments, the experts' thread) for staff only.
pub(crate) async fn timeline(state: &AppState, caller: &Caller, case: &Case) -> Result<Vec<CaseEvent>, ApiError> {
    let staff = caller.actor.is_vendor_staff();
    Ok(state.store.case_events(&case.id, staff).await?)
}

async fn event_view(people: &mut People<'_>, event: &CaseEvent) -> Result<EventView, ApiError> {
    let mut data = serde_json::to_value(&event.happening).map_err(ApiError::internal)?;
    if let Some(fields) = data.as_object_mut() {
        fields.remove("kind");
        // Name the people an entry refers to.
        let named = match &event.happening {
            Happening::Assigned { to: Some(id) } => Some(("to", id)),
            Happening::ExpertEngaged { expert, .. } => Some(("expert", expert)),
            _ => None,
        };
        if let Some((key, id)) = named
            && let Some(person) = people.get(id).await?
        {
            fields.insert(
                key.to_owned(),
                serde_json::to_value(person).map_err(ApiError::internal)?,
            );
        }
    }
    Ok(EventView {
        id: event.id.clone(),
        at: event.at.to_string(),
        kind: event.happening.kind().to_owned(),
        actor: match &event.actor {
            Some(id) => people.get(id).await?,
            None => None,
        },
        internal: event.internal,
        data,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseRequest {
    pub product: Option<String>,
    pub area: Option<String>,
    /// `production`, `sandbox` or `implementation`.
    pub environment: Option<String>,
    /// `outage`, `blocked`, `degraded` or `question`.
    pub impact: Option<String>,
    /// `organization`, `group` or `individual`.
    pub scope: Option<String>,
    /// One specific problem, at most 200 characters.
    pub subject: Option<String>,
    pub description: Option<String>,
    pub steps: Option<String>,
    pub expected: Option<String>,
    /// The company's id, for partner users (R4).
    pub company: Option<String>,
    /// Colleagues to copy, by email.
    #[serde(default)]
    pub contacts: Vec<String>,
}

/// Open a case (R12–R15): only for users `support-options` allows; routed
/// to the area's queue and the least loaded skilled analyst; priority
/// assessed with its reasons.
#[utoipa::path(
    post,
    path = "/api/v1/cases",
    tag = "cases",
    request_body = OpenCaseRequest,
    responses(
        (status = 201, body = CaseView),
        (status = 403, description = "`designated_contact_required`, `inactive_user`, `vendor_staff`, `partner_without_customers`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>` (subject, product, area, environment, impact, scope, description, company, contacts)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<OpenCaseRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let request = OpenCase {
        product: request.product,
        area: request.area,
        environment: request.environment,
        impact: request.impact,
        scope: request.scope,
        subject: request.subject,
        description: request.description,
        steps: request.steps,
        expected: request.expected,
        company: request.company,
        contacts: request.contacts,
    };
    let case = cases::open(&state, &caller, request).await?;
    let mut view = case_view(&state, &caller, &case, false).await?;
    view.known_issues = Some(crate::api::status::known_issues_view(&state, &case.product).await?);
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// A status (`new`, `in_progress`, …), or `open` for every status but
    /// `solved` and `closed`.
    pub status: Option<String>,
    pub priority: Option<String>,
    /// A user id, `me`, or `none` for unassigned cases.
    pub assignee: Option<String>,
    /// A company id.
    pub company: Option<String>,
    pub escalated: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// At most 100 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn bad_query(name: &'static str, invalid: guichet_domain::Invalid) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(name, invalid)
    }
}

/// The cases the caller may see, newest first, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(CaseQuery),
    responses(
        (status = 200, body = CaseList),
        (status = 400, description = "`invalid_<filter>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CaseQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let mut filter = CaseFilter::new(CaseScope::All);
    match query.status.as_deref() {
        None | Some("") => {}
        Some("open") => filter.open_only = true,
        Some(status) => filter.status = Some(CaseStatus::parse(status).map_err(|e| bad_query("status", e))?),
    }
    if let Some(priority) = query.priority.as_deref().filter(|p| !p.is_empty()) {
        filter.priority = Some(Priority::parse(priority).map_err(|e| bad_query("priority", e))?);
    }
    filter.assignee = match query.assignee.as_deref() {
        None | Some("") => None,
        Some("none") => Some(None),
        Some("me") => Some(Some(caller.user.id.clone())),
        Some(id) => Some(Some(UserId::parse(id).map_err(|e| bad_query("assignee", e))?)),
    };
    if let Some(company) = query.company.as_deref().filter(|c| !c.is_empty()) {
        filter.company = Some(CompanyId::parse(company).map_err(|e| bad_query("company", e))?);
    }
    filter.escalated = query.escalated;
    if let Some(cursor) = query.cursor.as_deref().filter(|c| !c.is_empty()) {
        filter.before = Some(CaseNumber::parse(cursor).map_err(|e| bad_query("cursor", e))?);
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(bad_query(
            "limit",
            guichet_domain::Invalid::new(guichet_domain::InvalidKind::Format, "the limit is between 1 and 100"),
        ));
    }
    filter.limit = limit + 1;
    let mut found = cases::list(&state, &caller, filter).await?;
    let next_cursor = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(|case| case.number.to_string())
    } else {
        None
    };
    let mut views = Vec::with_capacity(found.len());
    for case in &found {
        views.push(case_view(&state, &caller, case, false).await?);
    }
    Ok(Json(CaseList {
        cases: views,
        next_cursor,
    }))
}

/// The caller's work queue: for an analyst, the open cases of the areas they
/// are skilled in and those assigned to them; for a support manager, every
/// open case. Escalated first, then by priority, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/queue",
    tag = "cases",
    responses(
        (status = 200, body = CaseList),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn queue(State(state): State<AppState>, caller: Caller) -> Result<Json<CaseList>, ApiError> {
    let found = queue_cases(&state, &caller).await?;
    let mut views = Vec::with_capacity(found.len());
    for case in &found {
        views.push(case_view(&state, &caller, case, false).await?);
    }
    Ok(Json(CaseList {
        cases: views,
        next_cursor: None,
    }))
}

pub(crate) async fn queue_cases(state: &AppState, caller: &Caller) -> Result<Vec<Case>, ApiError> {
    if !caller.actor.answers_cases() {
        return Err(ApiError::forbidden(
            "analysts_only",
            "Queues are for support analysts and managers.",
        ));
    }
    let mut filter = CaseFilter::new(CaseScope::All);
    filter.open_only = true;
    filter.order = CaseOrder::Queue;
    filter.limit = 200;
    if !caller.actor.manages_support() {
        filter.queue_of = Some(caller.user.id.clone());
    }
    cases::list(state, caller, filter).await
}

/// One case with its timeline (internal entries for staff only).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}",
    tag = "cases",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = CaseView),
        (status = 404, description = "`not_found`: no such case, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let (case, _) = cases::readable(&state, &caller, &number).await?;
    cases::record_view(&state, &caller, &case).await?;
    Ok(Json(case_view(&state, &caller, &case, true).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// `update`, `doc_referral`, `workaround`, `need_info`, `recreating`,
    /// `solution`.
    pub kind: String,
    /// `update`: what was done.
    pub done: Option<String>,
    /// `update`: what happens next.
    pub next: Option<String>,
    /// Every other kind: the answer.
    pub body: Option<String>,
    /// `doc_referral`: the articles or documents.
    #[serde(default)]
    pub articles: Vec<String>,
}

/// An analyst's public answer (R16): `update` (done and next), `doc_referral`,
/// `workaround` (the case stays open), `need_info` (waits on the customer),
/// `recreating`, `solution`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/answers",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = AnswerRequest,
    responses(
        (status = 201, body = CaseView),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`case_closed`, `case_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_kind`, `invalid_done`, `invalid_next`, `invalid_body`, `invalid_articles`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<AnswerRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let fields = AnswerFields {
        done: request.done.as_deref(),
        next: request.next.as_deref(),
        body: request.body.as_deref(),
        articles: &request.articles,
    };
    let case = cases::answer(&state, &caller, &number, &request.kind, fields).await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, &caller, &case, false).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
    /// An internal note (staff only), never shown to customers.
    #[serde(default)]
    pub internal: bool,
}

/// A comment on a case. A customer's reply to a question resumes the case
/// (`waiting_on_customer` → `in_progress`); on a solved case it reopens it.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/comments",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = CommentRequest,
    responses(
        (status = 201, body = CaseView),
        (status = 403, description = "`staff_only` (internal notes)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`case_closed`, `reopen_period_over`, `case_changed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<CommentRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let case = cases::comment(&state, &caller, &number, &request.body, request.internal).await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, &caller, &case, false).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequestBody {
    pub body: Option<String>,
}

/// Ask for an update (R19): notifies the assignee; at most one per case per
/// period (4 hours by default).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/update-requests",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = UpdateRequestBody,
    responses(
        (status = 201, body = CaseView),
        (status = 403, description = "`customers_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`update_request_too_soon`, with `retry_at`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<UpdateRequestBody>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let case = cases::request_update(&state, &caller, &number, request.body.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, &caller, &case, false).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRequestBody {
    pub reason: String,
}

/// Ask for escalation with a reason (R20): a support manager reviews it.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/escalation-requests",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = EscalationRequestBody,
    responses(
        (status = 201, body = EscalationView),
        (status = 403, description = "`customers_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_escalated`, `escalation_pending`, `case_not_open`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_escalation(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<EscalationRequestBody>,
) -> Result<(StatusCode, Json<EscalationView>), ApiError> {
    let (case, _) = cases::readable(&state, &caller, &number).await?;
    let request = cases::request_escalation(&state, &caller, &number, &request.reason).await?;
    let view = escalation_view(&mut People::new(&state), &request, case.number).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EscalationQuery {
    /// `pending` (default), `accepted`, `declined` or `all`.
    pub status: Option<String>,
}

/// The support managers' review queue: escalation requests, the most
/// urgent review first.
#[utoipa::path(
    get,
    path = "/api/v1/escalation-requests",
    tag = "cases",
    params(EscalationQuery),
    responses(
        (status = 200, body = Vec<EscalationView>),
        (status = 403, description = "`support_managers_only`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_escalations(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<EscalationQuery>,
) -> Result<Json<Vec<EscalationView>>, ApiError> {
    let requests = review_queue(&state, &caller, query.status.as_deref()).await?;
    let mut people = People::new(&state);
    let mut views = Vec::with_capacity(requests.len());
    for (request, number) in &requests {
        views.push(escalation_view(&mut people, request, *number).await?);
    }
    Ok(Json(views))
}

pub(crate) async fn review_queue(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
) -> Result<Vec<(EscalationRequest, CaseNumber)>, ApiError> {
    if !caller.actor.manages_support() {
        return Err(ApiError::forbidden(
            "support_managers_only",
            "The review queue is for support managers.",
        ));
    }
    let status = match status {
        None | Some("") | Some("pending") => Some(EscalationStatus::Pending),
        Some("all") => None,
        Some(other) => Some(EscalationStatus::parse(other).map_err(|e| bad_query("status", e))?),
    };
    let mut found = Vec::new();
    for request in state.store.escalation_requests(status).await? {
        if let Some(case) = state.store.case_by_id(&request.case_id).await? {
            found.push((request, case.number));
        }
    }
    Ok(found)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `accept` or `decline`.
    pub decision: String,
    /// Shown to the customer.
    pub note: String,
    /// On `accept`: reassign the case to this analyst.
    pub assignee: Option<String>,
}

/// Review an escalation request (support managers): accepting marks the case
/// escalated (higher in the queues) and may reassign it.
#[utoipa::path(
    post,
    path = "/api/v1/escalation-requests/{id}/review",
    tag = "cases",
    params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses(
        (status = 200, body = EscalationView),
        (status = 403, description = "`support_managers_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_reviewed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_decision`, `invalid_note`, `invalid_assignee`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn review_escalation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> Result<Json<EscalationView>, ApiError> {
    let (reviewed, case) = cases::review_escalation(
        &state,
        &caller,
        &id,
        &request.decision,
        &request.note,
        request.assignee.as_deref(),
    )
    .await?;
    Ok(Json(
        escalation_view(&mut People::new(&state), &reviewed, case.number).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    /// An analyst's id; `null` releases the case to the queue.
    pub assignee: Option<String>,
}

/// Take, reassign or release a case (analysts).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/assignment",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = AssignmentRequest,
    responses(
        (status = 200, body = CaseView),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_assignee`, `unknown_assignee`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<AssignmentRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let case = cases::assign(&state, &caller, &number, request.assignee.as_deref()).await?;
    Ok(Json(case_view(&state, &caller, &case, false).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementView {
    pub id: String,
    pub case_number: i64,
    pub expert: Option<PersonRef>,
    pub requested_by: Option<PersonRef>,
    pub question: String,
    /// `open`, `answered` or `closed`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

async fn engagement_view(state: &AppState, engagement: &ExpertEngagement) -> Result<EngagementView, ApiError> {
    let mut people = People::new(state);
    let case = state
        .store
        .case_by_id(&engagement.case_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(EngagementView {
        id: engagement.id.clone(),
        case_number: case.number.0,
        expert: people.get(&engagement.expert).await?,
        requested_by: people.get(&engagement.requested_by).await?,
        question: engagement.question.clone(),
        status: engagement.status.as_str().to_owned(),
        created_at: engagement.created_at.to_string(),
        updated_at: engagement.updated_at.to_string(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EngageRequest {
    /// The id of a support coach, product manager or engineer.
    pub expert: String,
    pub question: String,
}

/// Bring in an expert (R18) with a question; customers see only that
/// specialists are involved.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/experts",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = EngageRequest,
    responses(
        (status = 201, body = EngagementView),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_expert`, `unknown_expert`, `invalid_question`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn engage_expert(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<EngageRequest>,
) -> Result<(StatusCode, Json<EngagementView>), ApiError> {
    let engagement = cases::engage_expert(&state, &caller, &number, &request.expert, &request.question).await?;
    Ok((StatusCode::CREATED, Json(engagement_view(&state, &engagement).await?)))
}

/// The engagements the caller is the expert on that are not closed.
#[utoipa::path(
    get,
    path = "/api/v1/expert-engagements",
    tag = "cases",
    responses(
        (status = 200, body = Vec<EngagementView>),
        (status = 403, description = "`staff_only`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_engagements(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<EngagementView>>, ApiError> {
    if !caller.actor.is_vendor_staff() {
        return Err(ApiError::forbidden(
            "staff_only",
            "Expert engagements are for support staff.",
        ));
    }
    let mut views = Vec::new();
    for engagement in state.store.engagements_for(&caller.user.id).await? {
        views.push(engagement_view(&state, &engagement).await?);
    }
    Ok(Json(views))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    pub body: String,
}

/// A message in an engagement's internal thread: the expert's answer or the
/// analyst's follow-up.
#[utoipa::path(
    post,
    path = "/api/v1/expert-engagements/{id}/messages",
    tag = "cases",
    params(("id" = String, Path)),
    request_body = MessageRequest,
    responses(
        (status = 201, body = EngagementView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`engagement_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn engagement_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MessageRequest>,
) -> Result<(StatusCode, Json<EngagementView>), ApiError> {
    let engagement = cases::engagement_message(&state, &caller, &id, Some(&request.body), false).await?;
    Ok((StatusCode::CREATED, Json(engagement_view(&state, &engagement).await?)))
}

/// Close an engagement (the analyst or the expert).
#[utoipa::path(
    post,
    path = "/api/v1/expert-engagements/{id}/close",
    tag = "cases",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = EngagementView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`engagement_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close_engagement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EngagementView>, ApiError> {
    let engagement = cases::engagement_message(&state, &caller, &id, None, true).await?;
    Ok(Json(engagement_view(&state, &engagement).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    /// The new case's subject: the unrelated problem.
    pub subject: String,
    /// Defaults to the original description.
    pub description: Option<String>,
    /// Ids of the comments (timeline entries) to copy to the new case.
    #[serde(default)]
    pub comments: Vec<String>,
}

/// Split an unrelated problem into a new case (R13), which keeps the company,
/// contacts and chosen comments; each case links to the other.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/split",
    tag = "cases",
    params(("number" = i64, Path)),
    request_body = SplitRequest,
    responses(
        (status = 201, description = "The new case", body = CaseView),
        (status = 403, description = "`analysts_only`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_subject`, `unknown_comments`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn split(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<SplitRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let case = cases::split(
        &state,
        &caller,
        &number,
        &request.subject,
        request.description.as_deref(),
        &request.comments,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(case_view(&state, &caller, &case, false).await?),
    ))
}

/// Accept the proposed solution: the case closes.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/accept-solution",
    tag = "cases",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = CaseView),
        (status = 409, description = "`case_not_solved`, `case_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accept_solution(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let case = cases::settle(&state, &caller, &number, true).await?;
    Ok(Json(case_view(&state, &caller, &case, false).await?))
}

/// Reopen a solved case within the reopen period.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/reopen",
    tag = "cases",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = CaseView),
        (status = 409, description = "`case_not_solved`, `reopen_period_over`, `case_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let case = cases::settle(&state, &caller, &number, false).await?;
    Ok(Json(case_view(&state, &caller, &case, false).await?))
}
