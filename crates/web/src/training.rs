//! What people do with training (R10), for the API and the portal alike:
//! editors keep the catalogue (courses, learning paths, sessions); members
//! enrol in a session or start an e-learning course, a full session puts
//! them on its waiting list, giving up a seat before the deadline promotes
//! the next one with a mail; designated users enrol colleagues; trainers
//! record completion; each enrolment has an iCalendar invitation.

use axum::http::StatusCode;
use guichet_domain::access::Actor;
use guichet_domain::article::Audience;
use guichet_domain::company::CompanyKind;
use guichet_domain::country::TimeZoneName;
use guichet_domain::training::{
    self, CourseContent, CourseDraft, CourseId, CourseSlug, EnrolmentId, EnrolmentStatus, Refusal, SessionId,
    SessionPlan,
};
use guichet_domain::user::{Role, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_search::{Change, Document, Kind};
use guichet_store::{NewEnrolment, OutboxMessage, Store, StoreError, StoredCourse, StoredEnrolment, TrainingSession};
use icalendar::{Calendar, CalendarComponent, Component, Event, EventLike, EventStatus, Property};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::knowledge;
use crate::mail::Mail;
use crate::status::feeds::{ics_local, ics_utc, vtimezone};

/// R10's settings, from the `[training]` section of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingSettings {
    /// A seat is given up at the latest this long before its session.
    pub cancel_deadline: SignedDuration,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            cancel_deadline: SignedDuration::from_hours(48),
        }
    }
}

pub(crate) fn refusal(refusal: Refusal) -> ApiError {
    let detail = refusal.to_string();
    match refusal {
        Refusal::NotDesignated => ApiError::forbidden("designated_user_required", detail),
        Refusal::NotTrainer => ApiError::forbidden("trainer_required", detail),
        Refusal::NotEditor => ApiError::forbidden("training_editor_required", detail),
        Refusal::DeadlinePassed { .. } => ApiError::new(StatusCode::CONFLICT, "cancel_deadline_passed", detail),
        Refusal::SessionStarted => ApiError::new(StatusCode::CONFLICT, "session_started", detail),
        Refusal::NotStarted => ApiError::new(StatusCode::CONFLICT, "session_not_started", detail),
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict("enrolment") => ApiError::new(
            StatusCode::CONFLICT,
            "already_enrolled",
            "Already enrolled (or on the waiting list) for this.",
        ),
        StoreError::Conflict("enrolment_status") => ApiError::new(
            StatusCode::CONFLICT,
            "enrolment_closed",
            "This enrolment is already cancelled or completed.",
        ),
        StoreError::Conflict("course_version") => ApiError::new(
            StatusCode::CONFLICT,
            "course_changed",
            "The course changed since you read it: read it again and redo your change.",
        ),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------
// The search feed

pub(crate) fn index_message(id: &CourseId, now: Timestamp) -> OutboxMessage {
    knowledge::feed_message(Kind::Course, &id.0, now)
}

/// R10: a course's searchable document: anyone may find the catalogue.
pub fn documents(course: &StoredCourse) -> Vec<Document> {
    let c = &course.content;
    let mut body = c.summary.clone();
    for prerequisite in &c.prerequisites {
        body.push('\n');
        body.push_str(prerequisite);
    }
    vec![Document {
        kind: Kind::Course,
        id: course.id.0.clone(),
        slug: c.slug.as_str().to_owned(),
        lang: c.language,
        title: c.title.clone(),
        body,
        products: vec![c.product.as_str().to_owned()],
        areas: Vec::new(),
        tags: c.paths.clone(),
        error_codes: Vec::new(),
        error_messages: Vec::new(),
        page_keys: Vec::new(),
        audience: Audience::Public,
        helpful: 0,
    }]
}

pub fn change(course: &StoredCourse) -> Change {
    Change {
        kind: Kind::Course,
        id: course.id.0.clone(),
        documents: documents(course),
    }
}

pub(crate) async fn index_change(store: &Store, id: &str) -> Result<Change, StoreError> {
    Ok(match store.course(&CourseId(id.to_owned())).await? {
        Some(course) => change(&course),
        None => Change {
            kind: Kind::Course,
            id: id.to_owned(),
            documents: Vec::new(),
        },
    })
}

// ---------------------------------------------------------------------------
// The catalogue

/// A course by id or slug; 404 otherwise.
pub async fn find_course(state: &AppState, id_or_slug: &str) -> Result<StoredCourse, ApiError> {
    if let Ok(slug) = CourseSlug::parse(id_or_slug)
        && let Some(course) = state.store.course_by_slug(&slug).await?
    {
        return Ok(course);
    }
    let id = CourseId::parse(id_or_slug).map_err(|_| ApiError::not_found())?;
    state.store.course(&id).await?.ok_or_else(ApiError::not_found)
}

fn parse_course(draft: CourseDraft) -> Result<CourseContent, ApiError> {
    CourseContent::parse(draft).map_err(|(field, invalid)| ApiError::invalid(field, invalid))
}

async fn known_product(state: &AppState, content: &CourseContent) -> Result<(), ApiError> {
    let catalogue = state.caches.products(&state.store).await?;
    if catalogue.iter().any(|p| p.key == content.product) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "product",
            Invalid::new(
                InvalidKind::Unknown,
                format!("there is no product `{}`", content.product.as_str()),
            ),
        ))
    }
}

/// A new course (training editors).
pub async fn create_course(state: &AppState, caller: &Caller, draft: CourseDraft) -> Result<StoredCourse, ApiError> {
    training::may_edit_catalogue(&caller.actor).map_err(refusal)?;
    let content = parse_course(draft)?;
    known_product(state, &content).await?;
    let id = CourseId(guichet_store::new_id());
    let now = state.clock.now();
    state
        .store
        .save_course(&id, &content, None, now, &[index_message(&id, now)])
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state.store.course(&id).await?.ok_or_else(ApiError::not_found)
}

/// A course changed (training editors), made from `version`.
pub async fn update_course(
    state: &AppState,
    caller: &Caller,
    id_or_slug: &str,
    draft: CourseDraft,
    version: Option<i64>,
) -> Result<StoredCourse, ApiError> {
    training::may_edit_catalogue(&caller.actor).map_err(refusal)?;
    let current = find_course(state, id_or_slug).await?;
    let content = parse_course(draft)?;
    known_product(state, &content).await?;
    if content.format != current.content.format
        && !state.store.sessions_of(&current.id, Timestamp::MIN).await?.is_empty()
    {
        return Err(ApiError::invalid(
            "format",
            Invalid::new(InvalidKind::NotAllowed, "a course with sessions keeps its format"),
        ));
    }
    let now = state.clock.now();
    state
        .store
        .save_course(
            &current.id,
            &content,
            Some(version.unwrap_or(current.version)),
            now,
            &[index_message(&current.id, now)],
        )
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state.store.course(&current.id).await?.ok_or_else(ApiError::not_found)
}

/// A session as an editor writes it, before it is checked.
#[derive(Debug, Clone)]
pub struct SessionInput {
    pub starts_at: String,
    pub ends_at: String,
    pub time_zone: String,
    pub capacity: i64,
    pub place: Option<String>,
    pub join_url: Option<String>,
    pub trainer: String,
}

fn instant(field: &'static str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        ApiError::invalid(
            field,
            Invalid::new(
                InvalidKind::Format,
                "an instant is RFC 3339 (2026-03-12T09:00:00+01:00)",
            ),
        )
    })
}

/// A new session of a course given in sessions (training editors); its
/// trainer is one of the vendor's staff.
pub async fn create_session(
    state: &AppState,
    caller: &Caller,
    course: &str,
    input: SessionInput,
) -> Result<TrainingSession, ApiError> {
    training::may_edit_catalogue(&caller.actor).map_err(refusal)?;
    let course = find_course(state, course).await?;
    let trainer_id = UserId::parse(&input.trainer).map_err(|e| ApiError::invalid("trainer", e))?;
    let trainer = state.store.user(&trainer_id).await?;
    let staff = match &trainer {
        Some(user) => state
            .store
            .company(&user.company_id)
            .await?
            .is_some_and(|c| c.kind == CompanyKind::Vendor),
        None => false,
    };
    if !staff {
        return Err(ApiError::invalid(
            "trainer",
            Invalid::new(InvalidKind::Unknown, "the trainer is one of the vendor's staff"),
        ));
    }
    let plan = SessionPlan {
        starts_at: instant("starts_at", &input.starts_at)?,
        ends_at: instant("ends_at", &input.ends_at)?,
        time_zone: TimeZoneName::parse(&input.time_zone).map_err(|e| ApiError::invalid("time_zone", e))?,
        capacity: u32::try_from(input.capacity).unwrap_or(0),
        place: input.place,
        join_url: input.join_url,
        trainer: trainer_id,
    }
    .check(course.content.format)
    .map_err(|(field, invalid)| ApiError::invalid(field, invalid))?;
    let id = SessionId(guichet_store::new_id());
    state
        .store
        .create_session(&id, &course.id, &plan, state.clock.now())
        .await
        .map_err(store_error)?;
    state.store.training_session(&id).await?.ok_or_else(ApiError::not_found)
}

pub async fn find_session(state: &AppState, id: &str) -> Result<TrainingSession, ApiError> {
    let id = SessionId::parse(id).map_err(|_| ApiError::not_found())?;
    state.store.training_session(&id).await?.ok_or_else(ApiError::not_found)
}

// ---------------------------------------------------------------------------
// Enrolment

/// Who is enrolled: the caller, or the colleague a designated user names.
async fn learner(state: &AppState, caller: &Caller, user: Option<&str>) -> Result<UserId, ApiError> {
    let Some(user) = user.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(caller.user.id.clone());
    };
    let unknown = || ApiError::invalid("user", Invalid::new(InvalidKind::Unknown, "no such colleague"));
    let id = UserId::parse(user).map_err(|_| unknown())?;
    let learner = state.store.user(&id).await?.ok_or_else(unknown)?;
    training::may_enrol(&caller.actor, &learner.id, &learner.company_id).map_err(refusal)?;
    if !learner.active {
        return Err(ApiError::invalid(
            "user",
            Invalid::new(InvalidKind::NotAllowed, "that colleague's account is inactive"),
        ));
    }
    Ok(learner.id)
}

/// R10: enrols the caller (or a colleague) in a session: a seat if one is
/// free, else the waiting list.
pub async fn enrol(
    state: &AppState,
    caller: &Caller,
    session: &str,
    user: Option<&str>,
) -> Result<StoredEnrolment, ApiError> {
    let session = find_session(state, session).await?;
    let learner = learner(state, caller, user).await?;
    let now = state.clock.now();
    training::may_take_seat(now, session.plan.starts_at).map_err(refusal)?;
    let enrolment = NewEnrolment {
        id: EnrolmentId(guichet_store::new_id()),
        course: session.course.clone(),
        session: Some(session.id.clone()),
        user: learner,
        enrolled_by: caller.user.id.clone(),
        at: now,
    };
    state.store.enrol(&enrolment, &[]).await.map_err(store_error)?;
    state
        .store
        .enrolment(&enrolment.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// R10: starts an e-learning course (for the caller or a colleague).
pub async fn start_course(
    state: &AppState,
    caller: &Caller,
    course: &str,
    user: Option<&str>,
) -> Result<StoredEnrolment, ApiError> {
    let course = find_course(state, course).await?;
    if course.content.format.has_sessions() {
        return Err(ApiError::invalid(
            "course",
            Invalid::new(
                InvalidKind::NotAllowed,
                "this course is given in sessions: enrol in one of them",
            ),
        ));
    }
    let learner = learner(state, caller, user).await?;
    let enrolment = NewEnrolment {
        id: EnrolmentId(guichet_store::new_id()),
        course: course.id.clone(),
        session: None,
        user: learner,
        enrolled_by: caller.user.id.clone(),
        at: state.clock.now(),
    };
    state.store.enrol(&enrolment, &[]).await.map_err(store_error)?;
    state
        .store
        .enrolment(&enrolment.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Training editors read every enrolment; trainers those of their
/// sessions; a company's designated users those of their colleagues.
fn may_read_enrolment(actor: &Actor, enrolment: &StoredEnrolment) -> bool {
    actor.user_id == enrolment.user
        || actor.user_id == enrolment.enrolled_by
        || enrolment.trainer.as_ref() == Some(&actor.user_id)
        || training::may_edit_catalogue(actor).is_ok()
        || (actor.company_id.0 == enrolment.user_company && actor.has(Role::DesignatedSupportUser))
}

/// An enrolment the caller may read; 404 otherwise.
pub async fn readable_enrolment(state: &AppState, caller: &Caller, id: &str) -> Result<StoredEnrolment, ApiError> {
    let id = EnrolmentId::parse(id).map_err(|_| ApiError::not_found())?;
    let enrolment = state.store.enrolment(&id).await?.ok_or_else(ApiError::not_found)?;
    if may_read_enrolment(&caller.actor, &enrolment) {
        Ok(enrolment)
    } else {
        Err(ApiError::not_found())
    }
}

/// The mail that tells a person on the waiting list they have a seat, in
/// their language, the session's time in its own zone.
fn promotion_mail(enrolment: &StoredEnrolment, base: &str, now: Timestamp) -> OutboxMessage {
    let tr = Tr::new(enrolment.user_language);
    let when = match (enrolment.starts_at, &enrolment.time_zone) {
        (Some(at), Some(zone)) => format!(
            "{} ({})",
            zone.time_zone().to_datetime(at).strftime("%Y-%m-%d %H:%M"),
            zone.as_str()
        ),
        _ => String::new(),
    };
    let mail = Mail {
        to: enrolment.user_email.clone(),
        subject: tr.t1("training-mail-promoted-subject", "course", &enrolment.course_title),
        body: format!(
            "{}\n\n{}\n{base}/training/enrolments/{}/invitation.ics\n",
            tr.t2(
                "training-mail-promoted-body",
                ("course", &enrolment.course_title),
                ("when", &when)
            ),
            tr.t("training-mail-promoted-calendar"),
            enrolment.id
        ),
        language: enrolment.user_language.code().to_owned(),
        headers: Vec::new(),
        reply_token: None,
    };
    OutboxMessage::new("mail", &mail, now)
}

/// R10: gives up a seat (before the deadline) or a place on the waiting
/// list; the first of the waiting list gets the seat and a mail.
/// Returns the enrolment as it is now, and whoever was promoted.
pub async fn cancel(
    state: &AppState,
    caller: &Caller,
    id: &str,
    base: &str,
) -> Result<(StoredEnrolment, Option<StoredEnrolment>), ApiError> {
    let enrolment = readable_enrolment(state, caller, id).await?;
    let own = enrolment.user == caller.user.id
        || enrolment.enrolled_by == caller.user.id
        || (caller.actor.company_id.0 == enrolment.user_company && caller.actor.has(Role::DesignatedSupportUser))
        || training::may_edit_catalogue(&caller.actor).is_ok();
    if !own {
        return Err(refusal(Refusal::NotDesignated));
    }
    let now = state.clock.now();
    if matches!(enrolment.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waiting) {
        training::may_cancel(
            enrolment.status,
            now,
            enrolment.starts_at,
            state.settings.training.cancel_deadline,
        )
        .map_err(refusal)?;
    }
    let promoted = state
        .store
        .cancel_enrolment(&enrolment.id, now, |promoted| vec![promotion_mail(promoted, base, now)])
        .await
        .map_err(store_error)?;
    let now_enrolment = state
        .store
        .enrolment(&enrolment.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((now_enrolment, promoted))
}

/// R10: completion recorded by the session's trainer (or a training
/// editor) once it started, or by the learner at the end of an e-learning
/// course.
pub async fn complete(state: &AppState, caller: &Caller, id: &str) -> Result<StoredEnrolment, ApiError> {
    let enrolment = readable_enrolment(state, caller, id).await?;
    let now = state.clock.now();
    training::may_record_completion(
        &caller.actor,
        &enrolment.user,
        enrolment.trainer.as_ref(),
        enrolment.starts_at,
        now,
    )
    .map_err(refusal)?;
    state
        .store
        .complete_enrolment(&enrolment.id, &caller.user.id, now)
        .await
        .map_err(store_error)?;
    state
        .store
        .enrolment(&enrolment.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// R10: a person's training record: the caller's own, a colleague's for a
/// designated user, anyone's for training editors.
pub async fn record(state: &AppState, caller: &Caller, user: Option<&str>) -> Result<Vec<StoredEnrolment>, ApiError> {
    let id = match user.map(str::trim).filter(|u| !u.is_empty()) {
        None => caller.user.id.clone(),
        Some(user) => {
            let id = UserId::parse(user).map_err(|_| ApiError::not_found())?;
            let person = state.store.user(&id).await?.ok_or_else(ApiError::not_found)?;
            let allowed = person.id == caller.user.id
                || training::may_edit_catalogue(&caller.actor).is_ok()
                || (person.company_id == caller.actor.company_id && caller.actor.has(Role::DesignatedSupportUser));
            if !allowed {
                return Err(ApiError::not_found());
            }
            id
        }
    };
    Ok(state.store.enrolments_of(&id).await?)
}

/// R10: a session's roster, for its trainer and training editors.
pub async fn roster(
    state: &AppState,
    caller: &Caller,
    session: &str,
) -> Result<(TrainingSession, Vec<StoredEnrolment>), ApiError> {
    let session = find_session(state, session).await?;
    if session.plan.trainer != caller.user.id && training::may_edit_catalogue(&caller.actor).is_err() {
        return Err(refusal(Refusal::NotTrainer));
    }
    let roster = state.store.roster(&session.id).await?;
    Ok((session, roster))
}

/// R10: the iCalendar invitation of an enrolment's session: the session in
/// its own time zone (with the zone's `VTIMEZONE`), its place or joining
/// link; tentative while on the waiting list, cancelled once given up.
pub fn invitation(enrolment: &StoredEnrolment, course: &StoredCourse, base: &str, now: Timestamp) -> Option<String> {
    let (Some(starts_at), Some(ends_at), Some(zone)) = (enrolment.starts_at, enrolment.ends_at, &enrolment.time_zone)
    else {
        return None;
    };
    let tr = Tr::new(course.content.language);
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//Guichet//Training//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    let tz: TimeZone = zone.time_zone();
    let text = vtimezone(
        zone.as_str(),
        &tz,
        starts_at - SignedDuration::from_hours(24 * 366),
        ends_at + SignedDuration::from_hours(24 * 366),
    );
    if let Ok(component) = icalendar::parser::Component::try_from(text.as_str()) {
        calendar.push(CalendarComponent::from(component));
    }
    let mut event = Event::new();
    event.uid(&format!("{}@guichet", enrolment.id));
    event.append_property(Property::new("DTSTAMP", ics_utc(now)));
    let mut start = Property::new("DTSTART", ics_local(tz.to_datetime(starts_at)));
    start.add_parameter("TZID", zone.as_str());
    event.append_property(start);
    let mut end = Property::new("DTEND", ics_local(tz.to_datetime(ends_at)));
    end.add_parameter("TZID", zone.as_str());
    event.append_property(end);
    event.summary(&course.content.title);
    let mut description = course.content.summary.clone();
    if let Some(link) = &enrolment.join_url {
        description.push_str(&format!("\n\n{}: {link}", tr.t("training-join-link")));
    }
    event.description(&description);
    if let Some(place) = enrolment.place.as_deref().or(enrolment.join_url.as_deref()) {
        event.location(place);
    }
    event.url(&format!("{base}/training/courses/{}", course.content.slug));
    event.status(match enrolment.status {
        EnrolmentStatus::Cancelled => EventStatus::Cancelled,
        EnrolmentStatus::Waiting => EventStatus::Tentative,
        EnrolmentStatus::Enrolled | EnrolmentStatus::Completed => EventStatus::Confirmed,
    });
    calendar.push(event.done());
    Some(calendar.done().to_string())
}

async fn index_now(state: &AppState) {
    crate::api::articles::index_now(state).await;
}
