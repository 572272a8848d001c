//! Training (R10) through the API: the catalogue (anyone may browse it),
//! courses and sessions (training editors), enrolment with its waiting
//! list, cancellation, completion, the training record and each
//! enrolment's iCalendar invitation.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_domain::Invalid;
use guichet_domain::product::ProductKey;
use guichet_domain::training::{CourseDraft, CourseFormat, Level};
use guichet_domain::user::Language;
use guichet_store::{CourseFilter, StoredCourse, StoredEnrolment, TrainingSession};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::community::MemberRef;
use crate::api::json::ApiJson;
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, Problem};
use crate::status::base_url;
use crate::training::{self, SessionInput};

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseSummaryView {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// `fr` or `en`.
    pub lang: &'static str,
    /// `e-learning`, `virtual_class` or `classroom`.
    pub format: &'static str,
    pub duration_minutes: u32,
    pub product: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub level: &'static str,
    pub prerequisites: Vec<String>,
    /// The learning paths it belongs to.
    pub paths: Vec<String>,
    /// The course's page in the portal.
    pub url: String,
}

impl CourseSummaryView {
    pub(crate) fn of(course: &StoredCourse) -> Self {
        let c = &course.content;
        Self {
            id: course.id.0.clone(),
            slug: c.slug.as_str().to_owned(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            lang: c.language.code(),
            format: c.format.as_str(),
            duration_minutes: c.duration_minutes,
            product: c.product.as_str().to_owned(),
            level: c.level.as_str(),
            prerequisites: c.prerequisites.clone(),
            paths: c.paths.clone(),
            url: format!("/training/courses/{}", c.slug),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub course: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// The session's own time zone (IANA).
    pub time_zone: String,
    /// The start as the session's clocks read it (`2026-03-12T09:00:00`).
    pub starts_local: String,
    pub ends_local: String,
    pub capacity: u32,
    pub seats_taken: i64,
    pub seats_left: i64,
    /// People on the waiting list.
    pub waiting: i64,
    /// A classroom's address.
    pub place: Option<String>,
    /// A virtual class: the joining link is given to those enrolled.
    pub online: bool,
    pub trainer: MemberRef,
}

impl SessionView {
    pub(crate) fn of(session: &TrainingSession) -> Self {
        let zone = session.plan.time_zone.time_zone();
        Self {
            id: session.id.0.clone(),
            course: session.course.0.clone(),
            starts_at: session.plan.starts_at.to_string(),
            ends_at: session.plan.ends_at.to_string(),
            time_zone: session.plan.time_zone.as_str().to_owned(),
            starts_local: zone.to_datetime(session.plan.starts_at).to_string(),
            ends_local: zone.to_datetime(session.plan.ends_at).to_string(),
            capacity: session.plan.capacity,
            seats_taken: session.seats_taken,
            seats_left: session.seats_left(),
            waiting: session.waiting,
            place: session.plan.place.clone(),
            online: session.plan.join_url.is_some(),
            trainer: MemberRef {
                id: session.plan.trainer.0.clone(),
                name: session.trainer_name.clone(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseView {
    #[serde(flatten)]
    pub course: CourseSummaryView,
    pub version: i64,
    /// Sessions not over yet, soonest first (none for e-learning).
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseListView {
    pub courses: Vec<CourseSummaryView>,
    /// Pass as `offset` for the next page; absent on the last one.
    pub next_offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseRef {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub format: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    pub id: String,
    pub course: CourseRef,
    /// None for an e-learning course.
    pub session: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub time_zone: Option<String>,
    /// The start as the session's clocks read it.
    pub starts_local: Option<String>,
    /// `enrolled`, `waiting`, `cancelled` or `completed`.
    pub status: &'static str,
    /// On the waiting list: 1 is next.
    pub waiting_position: Option<i64>,
    pub place: Option<String>,
    /// A virtual class's joining link, for those holding a seat.
    pub join_url: Option<String>,
    pub learner: MemberRef,
    /// Who enrolled them (themselves or a designated colleague).
    pub enrolled_by: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    /// The session's iCalendar invitation.
    pub invitation: Option<String>,
}

impl EnrolmentView {
    pub(crate) fn of(e: &StoredEnrolment) -> Self {
        let holds_seat = e.status.holds_seat();
        Self {
            id: e.id.0.clone(),
            course: CourseRef {
                id: e.course.0.clone(),
                slug: e.course_slug.clone(),
                title: e.course_title.clone(),
                format: e.format.as_str(),
            },
            session: e.session.as_ref().map(|s| s.0.clone()),
            starts_at: e.starts_at.map(|at| at.to_string()),
            ends_at: e.ends_at.map(|at| at.to_string()),
            time_zone: e.time_zone.as_ref().map(|z| z.as_str().to_owned()),
            starts_local: match (e.starts_at, &e.time_zone) {
                (Some(at), Some(zone)) => Some(zone.time_zone().to_datetime(at).to_string()),
                _ => None,
            },
            status: e.status.as_str(),
            waiting_position: e.waiting_before.map(|before| before + 1),
            place: e.place.clone(),
            join_url: if holds_seat { e.join_url.clone() } else { None },
            learner: MemberRef {
                id: e.user.0.clone(),
                name: e.user_name.clone(),
            },
            enrolled_by: e.enrolled_by.0.clone(),
            created_at: e.created_at.to_string(),
            completed_at: e.completed_at.map(|at| at.to_string()),
            invitation: e
                .session
                .as_ref()
                .map(|_| format!("/api/v1/training/enrolments/{}/invitation.ics", e.id)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CancelView {
    pub enrolment: EnrolmentView,
    /// The seat went to the first of the waiting list (who was told).
    pub seat_passed_on: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterView {
    pub session: SessionView,
    /// Seats first, then the waiting list in order.
    pub enrolments: Vec<EnrolmentView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PathView {
    pub key: String,
    pub courses: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    /// Only this product's courses.
    pub product: Option<String>,
    /// `fr` or `en`.
    pub lang: Option<String>,
    /// `e-learning`, `virtual_class` or `classroom`.
    pub format: Option<String>,
    /// `beginner`, `intermediate` or `advanced`.
    pub level: Option<String>,
    /// Only the courses of this learning path.
    pub path: Option<String>,
    pub offset: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    /// a-z, 0-9 and single hyphens.
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// `fr` or `en`.
    pub lang: String,
    /// `e-learning`, `virtual_class` or `classroom`.
    pub format: String,
    pub duration_minutes: i64,
    pub product: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub level: String,
    #[serde(default)]
    pub prerequisites: Vec<String>,
    /// The learning paths' keys.
    #[serde(default)]
    pub paths: Vec<String>,
    /// On a change: the version it was made from.
    pub version: Option<i64>,
}

impl CourseInput {
    fn draft(self) -> (CourseDraft, Option<i64>) {
        (
            CourseDraft {
                slug: self.slug,
                title: self.title,
                summary: self.summary,
                language: self.lang,
                format: self.format,
                duration_minutes: self.duration_minutes,
                product: self.product,
                level: self.level,
                prerequisites: self.prerequisites,
                paths: self.paths,
            },
            self.version,
        )
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInputView {
    /// RFC 3339 (`2026-03-12T09:00:00+01:00`).
    pub starts_at: String,
    pub ends_at: String,
    /// The session's own IANA time zone (`Europe/Paris`).
    pub time_zone: String,
    /// 1 to 500 seats.
    pub capacity: i64,
    /// A classroom's address (classrooms need one).
    pub place: Option<String>,
    /// A virtual class's `https://` joining link (virtual classes need one).
    pub join_url: Option<String>,
    /// The trainer: a user of the vendor's staff.
    pub trainer: String,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    /// A colleague to enrol (designated support users); default: the
    /// caller.
    pub user: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Whose record: default the caller; a colleague's for designated
    /// users; anyone's for training editors.
    pub user: Option<String>,
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |e| ApiError::invalid(name, e)
}

/// The catalogue's filters, parsed; the error names the filter.
pub(crate) fn catalogue_filter(query: &CatalogueQuery) -> Result<CourseFilter, ApiError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(CourseFilter {
        product: given(&query.product)
            .map(|p| ProductKey::parse(&p))
            .transpose()
            .map_err(field("product"))?,
        lang: given(&query.lang)
            .map(|l| Language::parse(&l))
            .transpose()
            .map_err(field("lang"))?,
        format: given(&query.format)
            .map(|f| CourseFormat::parse(&f))
            .transpose()
            .map_err(field("format"))?,
        level: given(&query.level)
            .map(|l| Level::parse(&l))
            .transpose()
            .map_err(field("level"))?,
        path: given(&query.path),
        offset: query.offset.unwrap_or(0).clamp(0, 100_000),
        limit: query.limit.unwrap_or(50).clamp(1, 200),
    })
}

/// R10: the catalogue, by title, filtered by product, language, format,
/// level or learning path. Anyone may browse it.
#[utoipa::path(
    get,
    path = "/api/v1/training/courses",
    tag = "training",
    params(CatalogueQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = CourseListView),
        (status = 422, description = "`invalid_product`, `unknown_lang`, `unknown_format`, `unknown_level`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_courses(
    State(state): State<AppState>,
    Query(query): Query<CatalogueQuery>,
) -> Result<Json<CourseListView>, ApiError> {
    let mut filter = catalogue_filter(&query)?;
    let limit = filter.limit;
    filter.limit += 1;
    let mut courses = state.store.courses(&filter).await?;
    let more = courses.len() as i64 > limit;
    courses.truncate(limit as usize);
    Ok(Json(CourseListView {
        courses: courses.iter().map(CourseSummaryView::of).collect(),
        next_offset: more.then_some(filter.offset + limit),
    }))
}

/// A new course (training editors: support coaches, product management,
/// support managers, administrators).
#[utoipa::path(
    post,
    path = "/api/v1/training/courses",
    tag = "training",
    request_body = CourseInput,
    responses(
        (status = 201, body = CourseView),
        (status = 403, description = "`training_editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_slug`, `invalid_title`, `unknown_format`, `unknown_level`, `unknown_product`, `invalid_duration_minutes`…", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_course(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<CourseInput>,
) -> Result<(StatusCode, Json<CourseView>), ApiError> {
    let (draft, _) = input.draft();
    let course = training::create_course(&state, &caller, draft).await?;
    Ok((StatusCode::CREATED, Json(course_view(&state, &course).await?)))
}

async fn course_view(state: &AppState, course: &StoredCourse) -> Result<CourseView, ApiError> {
    let sessions = state.store.sessions_of(&course.id, state.clock.now()).await?;
    Ok(CourseView {
        course: CourseSummaryView::of(course),
        version: course.version,
        sessions: sessions.iter().map(SessionView::of).collect(),
    })
}

/// R10: a course, by id or slug, with its sessions to come.
#[utoipa::path(
    get,
    path = "/api/v1/training/courses/{course}",
    tag = "training",
    params(("course" = String, Path, description = "Id or slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = CourseView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_course(
    State(state): State<AppState>,
    MaybeCaller(_caller): MaybeCaller,
    Path(course): Path<String>,
) -> Result<Json<CourseView>, ApiError> {
    let course = training::find_course(&state, &course).await?;
    Ok(Json(course_view(&state, &course).await?))
}

/// Change a course (training editors).
#[utoipa::path(
    put,
    path = "/api/v1/training/courses/{course}",
    tag = "training",
    params(("course" = String, Path, description = "Id or slug")),
    request_body = CourseInput,
    responses(
        (status = 200, body = CourseView),
        (status = 403, description = "`training_editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`course_changed`, `slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_format` (a course with sessions keeps its format)…", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(course): Path<String>,
    ApiJson(input): ApiJson<CourseInput>,
) -> Result<Json<CourseView>, ApiError> {
    let (draft, version) = input.draft();
    let course = training::update_course(&state, &caller, &course, draft, version).await?;
    Ok(Json(course_view(&state, &course).await?))
}

/// R10: a new session of a course (training editors).
#[utoipa::path(
    post,
    path = "/api/v1/training/courses/{course}/sessions",
    tag = "training",
    params(("course" = String, Path, description = "Id or slug")),
    request_body = SessionInputView,
    responses(
        (status = 201, body = SessionView),
        (status = 403, description = "`training_editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_starts_at`, `invalid_ends_at`, `unknown_time_zone`, `invalid_capacity`, `empty place` as `invalid_place`, `invalid_join_url`, `unknown_trainer`, `invalid_course` (e-learning)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(course): Path<String>,
    ApiJson(input): ApiJson<SessionInputView>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let session = training::create_session(
        &state,
        &caller,
        &course,
        SessionInput {
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            time_zone: input.time_zone,
            capacity: input.capacity,
            place: input.place,
            join_url: input.join_url,
            trainer: input.trainer,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(SessionView::of(&session))))
}

/// R10: start an e-learning course (the caller, or a colleague named by a
/// designated support user).
#[utoipa::path(
    post,
    path = "/api/v1/training/courses/{course}/enrolments",
    tag = "training",
    params(("course" = String, Path, description = "Id or slug")),
    request_body = EnrolInput,
    responses(
        (status = 201, body = EnrolmentView),
        (status = 403, description = "`designated_user_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_enrolled`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_course` (given in sessions), `unknown_user`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_course(
    State(state): State<AppState>,
    caller: Caller,
    Path(course): Path<String>,
    ApiJson(input): ApiJson<EnrolInput>,
) -> Result<(StatusCode, Json<EnrolmentView>), ApiError> {
    let enrolment = training::start_course(&state, &caller, &course, input.user.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(EnrolmentView::of(&enrolment))))
}

/// A session, with its seats.
#[utoipa::path(
    get,
    path = "/api/v1/training/sessions/{session}",
    tag = "training",
    params(("session" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SessionView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_session(
    State(state): State<AppState>,
    Path(session): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let session = training::find_session(&state, &session).await?;
    Ok(Json(SessionView::of(&session)))
}

/// R10: enrol in a session (the caller, or a colleague named by a
/// designated support user): a seat while there is one (`enrolled`), else
/// the waiting list (`waiting`), promoted in order when a seat frees.
#[utoipa::path(
    post,
    path = "/api/v1/training/sessions/{session}/enrolments",
    tag = "training",
    params(("session" = String, Path)),
    request_body = EnrolInput,
    responses(
        (status = 201, body = EnrolmentView),
        (status = 403, description = "`designated_user_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_enrolled`, `session_started`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_user`, `invalid_user` (inactive)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    Path(session): Path<String>,
    ApiJson(input): ApiJson<EnrolInput>,
) -> Result<(StatusCode, Json<EnrolmentView>), ApiError> {
    let enrolment = training::enrol(&state, &caller, &session, input.user.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(EnrolmentView::of(&enrolment))))
}

/// R10: a session's roster, seats then waiting list (its trainer, training
/// editors).
#[utoipa::path(
    get,
    path = "/api/v1/training/sessions/{session}/roster",
    tag = "training",
    params(("session" = String, Path)),
    responses(
        (status = 200, body = RosterView),
        (status = 403, description = "`trainer_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn roster(
    State(state): State<AppState>,
    caller: Caller,
    Path(session): Path<String>,
) -> Result<Json<RosterView>, ApiError> {
    let (session, enrolments) = training::roster(&state, &caller, &session).await?;
    Ok(Json(RosterView {
        session: SessionView::of(&session),
        enrolments: enrolments.iter().map(EnrolmentView::of).collect(),
    }))
}

/// R10: a training record: enrolments newest first, completed ones
/// included.
#[utoipa::path(
    get,
    path = "/api/v1/training/enrolments",
    tag = "training",
    params(RecordQuery),
    responses(
        (status = 200, body = Vec<EnrolmentView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (someone whose record the caller may not read)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RecordQuery>,
) -> Result<Json<Vec<EnrolmentView>>, ApiError> {
    let record = training::record(&state, &caller, query.user.as_deref()).await?;
    Ok(Json(record.iter().map(EnrolmentView::of).collect()))
}

/// One enrolment.
#[utoipa::path(
    get,
    path = "/api/v1/training/enrolments/{enrolment}",
    tag = "training",
    params(("enrolment" = String, Path)),
    responses(
        (status = 200, body = EnrolmentView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_enrolment(
    State(state): State<AppState>,
    caller: Caller,
    Path(enrolment): Path<String>,
) -> Result<Json<EnrolmentView>, ApiError> {
    let enrolment = training::readable_enrolment(&state, &caller, &enrolment).await?;
    Ok(Json(EnrolmentView::of(&enrolment)))
}

/// R10: give up a seat (until `training.cancel_deadline_hours` before the
/// session) or a place on the waiting list. A freed seat goes to the first
/// of the waiting list, who gets a mail.
#[utoipa::path(
    post,
    path = "/api/v1/training/enrolments/{enrolment}/cancel",
    tag = "training",
    params(("enrolment" = String, Path)),
    responses(
        (status = 200, body = CancelView),
        (status = 403, description = "`designated_user_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cancel_deadline_passed`, `session_started`, `enrolment_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(enrolment): Path<String>,
) -> Result<Json<CancelView>, ApiError> {
    let (enrolment, promoted) = training::cancel(&state, &caller, &enrolment, &base_url(&state, &headers)).await?;
    Ok(Json(CancelView {
        enrolment: EnrolmentView::of(&enrolment),
        seat_passed_on: promoted.is_some(),
    }))
}

/// R10: record completion: the session's trainer (or a training editor)
/// once it started; the learner at the end of an e-learning course.
#[utoipa::path(
    post,
    path = "/api/v1/training/enrolments/{enrolment}/completion",
    tag = "training",
    params(("enrolment" = String, Path)),
    responses(
        (status = 200, body = EnrolmentView),
        (status = 403, description = "`trainer_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`session_not_started`, `enrolment_closed`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(enrolment): Path<String>,
) -> Result<Json<EnrolmentView>, ApiError> {
    let enrolment = training::complete(&state, &caller, &enrolment).await?;
    Ok(Json(EnrolmentView::of(&enrolment)))
}

/// R10: the enrolment's iCalendar invitation: the session in its own time
/// zone (with a `VTIMEZONE`), its place or joining link; `TENTATIVE` while
/// waiting, `CANCELLED` once given up.
#[utoipa::path(
    get,
    path = "/api/v1/training/enrolments/{enrolment}/invitation.ics",
    tag = "training",
    params(("enrolment" = String, Path)),
    responses(
        (status = 200, description = "An iCalendar file", content_type = "text/calendar", body = String),
        (status = 404, description = "`not_found` (also an e-learning course, which has no date)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn invitation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(enrolment): Path<String>,
) -> Result<Response, ApiError> {
    let enrolment = training::readable_enrolment(&state, &caller, &enrolment).await?;
    let course = state
        .store
        .course(&enrolment.course)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let text = training::invitation(&enrolment, &course, &base_url(&state, &headers), state.clock.now())
        .ok_or_else(ApiError::not_found)?;
    let disposition = format!("attachment; filename=\"{}.ics\"", course.content.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

/// R10: the learning paths and how many courses each holds.
#[utoipa::path(
    get,
    path = "/api/v1/training/paths",
    tag = "training",
    security((), ("bearer" = [])),
    responses((status = 200, body = Vec<PathView>))
)]
pub async fn paths(State(state): State<AppState>) -> Result<Json<Vec<PathView>>, ApiError> {
    let paths = state.store.learning_paths().await?;
    Ok(Json(
        paths
            .into_iter()
            .map(|(key, courses)| PathView { key, courses })
            .collect(),
    ))
}
