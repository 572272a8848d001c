//! Training in the portal (R10): the catalogue with its filters and
//! search (anyone may browse it), the course page with its sessions in
//! their own time zone and the reader's, enrolling (oneself or, for
//! designated users, a colleague), "My training" with the waiting list,
//! cancelling, invitations and the training record, and the trainer's
//! roster where completion is recorded.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use guichet_domain::product::ProductKey;
use guichet_domain::training::{CourseFormat, EnrolmentStatus, Level};
use guichet_domain::user::Role;
use guichet_search::{Kind, Mode, SearchRequest};
use guichet_store::{StoredCourse, StoredEnrolment, TrainingSession};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use tower_sessions::Session;

use super::cases::{Reader, failure_page};
use super::{Chrome, csrf_valid, language, page_error, render};
use crate::AppState;
use crate::api::training::{CatalogueQuery, catalogue_filter};
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::status::base_url;
use crate::training;

fn format_words(tr: &Tr, format: CourseFormat) -> String {
    tr.t(match format {
        CourseFormat::ELearning => "training-format-e-learning",
        CourseFormat::VirtualClass => "training-format-virtual_class",
        CourseFormat::Classroom => "training-format-classroom",
    })
}

fn level_words(tr: &Tr, level: Level) -> String {
    tr.t(match level {
        Level::Beginner => "training-level-beginner",
        Level::Intermediate => "training-level-intermediate",
        Level::Advanced => "training-level-advanced",
    })
}

fn status_words(tr: &Tr, status: EnrolmentStatus) -> String {
    tr.t(match status {
        EnrolmentStatus::Enrolled => "training-status-enrolled",
        EnrolmentStatus::Waiting => "training-status-waiting",
        EnrolmentStatus::Cancelled => "training-status-cancelled",
        EnrolmentStatus::Completed => "training-status-completed",
    })
}

fn duration_words(tr: &Tr, minutes: u32) -> String {
    let (hours, rest) = (minutes / 60, minutes % 60);
    match (hours, rest) {
        (0, m) => tr.t1("training-minutes", "minutes", m),
        (h, 0) => tr.t1("training-hours", "hours", h),
        (h, m) => tr.t2(
            "training-hours-minutes",
            ("hours", &h.to_string()),
            ("minutes", &m.to_string()),
        ),
    }
}

/// An instant as the session's clocks show it, and as the reader's do
/// when their zone differs.
pub(crate) struct When {
    pub iso: String,
    /// `2026-03-12 09:00 (Europe/Paris)`.
    pub session: String,
    /// The reader's local time, when in another zone.
    pub reader: Option<String>,
}

impl When {
    fn new(at: Timestamp, session_zone: &str, reader_zone: &TimeZone) -> Self {
        let zone = TimeZone::get(session_zone).unwrap_or(TimeZone::UTC);
        let local = |z: &TimeZone| z.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string();
        let reader_name = reader_zone.iana_name().unwrap_or("UTC");
        let same = reader_name == session_zone || zone.to_offset(at) == reader_zone.to_offset(at);
        Self {
            iso: at.to_string(),
            session: format!("{} ({session_zone})", local(&zone)),
            reader: (!same).then(|| format!("{} ({reader_name})", local(reader_zone))),
        }
    }
}

/// Times are shown in the reader's company's time zone (UTC when signed
/// out).
fn reader_zone(caller: Option<&Caller>) -> TimeZone {
    caller.map_or(TimeZone::UTC, |c| c.company.time_zone.time_zone())
}

async fn products(
    state: &AppState,
    language: guichet_domain::user::Language,
) -> Result<Vec<(String, String)>, Response> {
    let catalogue = state
        .caches
        .products(&state.store)
        .await
        .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?;
    Ok(catalogue
        .iter()
        .map(|p| (p.key.as_str().to_owned(), p.name.clone()))
        .collect())
}

fn product_name(products: &[(String, String)], key: &ProductKey) -> String {
    products
        .iter()
        .find(|(k, _)| k == key.as_str())
        .map_or_else(|| key.as_str().to_owned(), |(_, name)| name.clone())
}

// ---------------------------------------------------------------------------
// The catalogue

pub(crate) struct CourseLine {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub lang: &'static str,
    pub format: String,
    pub level: String,
    pub duration: String,
    pub product: String,
}

fn course_line(tr: &Tr, course: &StoredCourse, products: &[(String, String)]) -> CourseLine {
    let c = &course.content;
    CourseLine {
        slug: c.slug.as_str().to_owned(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        lang: c.language.code(),
        format: format_words(tr, c.format),
        level: level_words(tr, c.level),
        duration: duration_words(tr, c.duration_minutes),
        product: product_name(products, &c.product),
    }
}

/// A choice of a filter: (value, label, selected).
pub(crate) type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "training_catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    courses: Vec<CourseLine>,
    q: String,
    products: Vec<Choice>,
    languages: Vec<Choice>,
    formats: Vec<Choice>,
    levels: Vec<Choice>,
    paths: Vec<Choice>,
    next: Option<String>,
    signed_in: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct CatalogueForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    offset: i64,
}

fn choices(all_label: String, items: Vec<(String, String)>, chosen: &str) -> Vec<Choice> {
    let mut choices = vec![(String::new(), all_label, chosen.is_empty())];
    choices.extend(items.into_iter().map(|(value, label)| {
        let selected = value == chosen;
        (value, label, selected)
    }));
    choices
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) async fn catalogue(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(form): Query<CatalogueForm>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let chrome = Chrome::new(&session, caller.as_ref(), language, "/training", "training").await?;
    let tr = chrome.tr;
    let products = products(&state, language).await?;
    let query = CatalogueQuery {
        product: Some(form.product.clone()),
        lang: Some(form.lang.clone()),
        format: Some(form.format.clone()),
        level: Some(form.level.clone()),
        path: Some(form.path.clone()),
        offset: Some(form.offset),
        limit: Some(30),
    };
    // A filter that does not parse is left out, as if not chosen.
    let mut filter = catalogue_filter(&query).unwrap_or_default();
    filter.offset = form.offset.clamp(0, 100_000);
    filter.limit = 31;
    let q: String = form.q.chars().take(200).collect();
    let mut next = None;
    let courses = if q.trim().is_empty() {
        let mut courses = state
            .store
            .courses(&filter)
            .await
            .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?;
        if courses.len() > 30 {
            courses.truncate(30);
            next = Some(format!(
                "/training?product={}&lang={}&format={}&level={}&path={}&offset={}",
                encode(&form.product),
                encode(&form.lang),
                encode(&form.format),
                encode(&form.level),
                encode(&form.path),
                filter.offset + 30
            ));
        }
        courses
    } else {
        let audiences = guichet_domain::article::Reader::of(caller.as_ref().map(|c| &c.actor)).audiences();
        let page = state
            .search
            .index
            .search(&SearchRequest {
                text: &q,
                lang: filter.lang,
                kinds: &[Kind::Course],
                product: filter.product.as_ref().map(ProductKey::as_str),
                area: None,
                audiences,
                limit: 30,
                offset: 0,
                mode: Mode::Search,
            })
            .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?;
        let mut found = Vec::new();
        for hit in page.hits {
            if let Ok(course) = training::find_course(&state, &hit.id).await
                && filter.format.is_none_or(|f| f == course.content.format)
                && filter.level.is_none_or(|l| l == course.content.level)
            {
                found.push(course);
            }
        }
        found
    };
    let paths = state
        .store
        .learning_paths()
        .await
        .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?;
    let page = CataloguePage {
        courses: courses.iter().map(|c| course_line(&tr, c, &products)).collect(),
        q,
        languages: choices(
            tr.t("training-all"),
            vec![("fr".into(), "Français".into()), ("en".into(), "English".into())],
            &form.lang,
        ),
        formats: choices(
            tr.t("training-all"),
            CourseFormat::ALL
                .iter()
                .map(|f| (f.as_str().to_owned(), format_words(&tr, *f)))
                .collect(),
            &form.format,
        ),
        levels: choices(
            tr.t("training-all"),
            Level::ALL
                .iter()
                .map(|l| (l.as_str().to_owned(), level_words(&tr, *l)))
                .collect(),
            &form.level,
        ),
        paths: choices(
            tr.t("training-all"),
            paths.into_iter().map(|(key, _)| (key.clone(), key)).collect(),
            &form.path,
        ),
        products: choices(tr.t("training-all"), products, &form.product),
        next,
        signed_in: caller.is_some(),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

// ---------------------------------------------------------------------------
// The course page

pub(crate) struct SessionLine {
    pub id: String,
    pub starts: When,
    pub ends: When,
    pub where_: String,
    pub trainer: String,
    pub seats_left: i64,
    pub waiting: i64,
    pub full: bool,
    /// The reader's enrolment in it, in words.
    pub mine: Option<String>,
}

#[derive(Template)]
#[template(path = "training_course.html")]
struct CoursePage {
    chrome: Chrome,
    slug: String,
    title: String,
    lang: &'static str,
    summary: String,
    format: String,
    level: String,
    duration: String,
    product: String,
    prerequisites: Vec<String>,
    paths: Vec<String>,
    e_learning: bool,
    sessions: Vec<SessionLine>,
    signed_in: bool,
    /// A designated user's colleagues: (id, name).
    colleagues: Vec<(String, String)>,
    /// The reader's enrolment in the e-learning course, in words.
    started: Option<String>,
    done: Option<String>,
    failure: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CourseQuery {
    done: Option<String>,
}

pub(super) async fn course(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<CourseQuery>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let tr = Tr::new(language);
    let done = match query.done.as_deref() {
        Some("enrolled") => Some(tr.t("training-done-enrolled")),
        Some("waiting") => Some(tr.t("training-done-waiting")),
        Some("colleague") => Some(tr.t("training-done-colleague")),
        _ => None,
    };
    course_page(&state, &session, caller.as_ref(), language, &slug, done, None).await
}

async fn course_page(
    state: &AppState,
    session: &Session,
    caller: Option<&Caller>,
    language: guichet_domain::user::Language,
    slug: &str,
    done: Option<String>,
    failure: Option<(StatusCode, String)>,
) -> Result<Response, Response> {
    let course = match training::find_course(state, slug).await {
        Ok(course) => course,
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            return Err(page_error(StatusCode::NOT_FOUND, language, "error-not-found"));
        }
        Err(_) => {
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let path = format!("/training/courses/{}", course.content.slug);
    let chrome = Chrome::new(session, caller, language, &path, "training").await?;
    let tr = chrome.tr;
    let internal = |_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal");
    let products = products(state, language).await?;
    let sessions = state
        .store
        .sessions_of(&course.id, state.clock.now())
        .await
        .map_err(internal)?;
    let mine: Vec<StoredEnrolment> = match caller {
        Some(c) => state.store.enrolments_of(&c.user.id).await.map_err(internal)?,
        None => Vec::new(),
    };
    let live = |e: &&StoredEnrolment| matches!(e.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waiting);
    let enrolment_words = |e: &StoredEnrolment| match e.waiting_before {
        Some(before) => tr.t1("training-waiting-position", "position", before + 1),
        None => status_words(&tr, e.status),
    };
    let zone = reader_zone(caller);
    let colleagues = match caller {
        Some(c) if c.actor.has(Role::DesignatedSupportUser) => state
            .store
            .users_of(&c.user.company_id)
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|u| u.active && u.id != c.user.id)
            .map(|u| (u.id.0, u.display_name.as_str().to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    let c = &course.content;
    let status = failure.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let page = CoursePage {
        slug: c.slug.as_str().to_owned(),
        title: c.title.clone(),
        lang: c.language.code(),
        summary: c.summary.clone(),
        format: format_words(&tr, c.format),
        level: level_words(&tr, c.level),
        duration: duration_words(&tr, c.duration_minutes),
        product: product_name(&products, &c.product),
        prerequisites: c.prerequisites.clone(),
        paths: c.paths.clone(),
        e_learning: !c.format.has_sessions(),
        sessions: sessions
            .iter()
            .map(|s| {
                session_line(
                    &tr,
                    s,
                    &zone,
                    mine.iter()
                        .filter(live)
                        .find(|e| e.session.as_ref() == Some(&s.id))
                        .map(enrolment_words),
                )
            })
            .collect(),
        signed_in: caller.is_some(),
        colleagues,
        started: mine
            .iter()
            .find(|e| e.course == course.id && e.session.is_none() && e.status != EnrolmentStatus::Cancelled)
            .map(enrolment_words),
        done,
        failure: failure.map(|(_, m)| m),
        chrome,
    };
    Ok(render(&page, status))
}

fn session_line(tr: &Tr, session: &TrainingSession, zone: &TimeZone, mine: Option<String>) -> SessionLine {
    let name = session.plan.time_zone.as_str();
    SessionLine {
        id: session.id.0.clone(),
        starts: When::new(session.plan.starts_at, name, zone),
        ends: When::new(session.plan.ends_at, name, zone),
        where_: match &session.plan.place {
            Some(place) => place.clone(),
            None => tr.t("training-online"),
        },
        trainer: session.trainer_name.clone(),
        seats_left: session.seats_left(),
        waiting: session.waiting,
        full: session.seats_left() == 0,
        mine,
    }
}

/// The words of a refusal of `crate::training`.
fn error_message(tr: &Tr, error: &ApiError) -> String {
    const CODES: &[&str] = &[
        "already_enrolled",
        "session_started",
        "cancel_deadline_passed",
        "enrolment_closed",
        "designated_user_required",
        "trainer_required",
        "session_not_started",
    ];
    if CODES.contains(&error.code.as_ref()) {
        tr.t(&format!("training-error-{}", error.code))
    } else {
        tr.t("training-error-other")
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct EnrolForm {
    #[serde(default)]
    csrf: String,
    /// A colleague (designated users); empty: oneself.
    #[serde(default)]
    user: String,
}

async fn csrf(session: &Session, reader: &Reader, token: &str) -> Result<(), Response> {
    if csrf_valid(session, token).await {
        Ok(())
    } else {
        Err(page_error(StatusCode::FORBIDDEN, reader.tr().language, "error-csrf"))
    }
}

pub(super) async fn enrol(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, Response> {
    csrf(&session, &reader, &form.csrf).await?;
    let colleague = Some(form.user.as_str()).filter(|u| !u.is_empty());
    let course_slug = match training::find_session(&state, &id).await {
        Ok(s) => state
            .store
            .course(&s.course)
            .await
            .ok()
            .flatten()
            .map(|c| c.content.slug.as_str().to_owned()),
        Err(_) => None,
    };
    let Some(slug) = course_slug else {
        return Err(page_error(
            StatusCode::NOT_FOUND,
            reader.tr().language,
            "error-not-found",
        ));
    };
    match training::enrol(&state, &reader.caller, &id, colleague).await {
        Ok(enrolment) => {
            let done = if colleague.is_some() {
                "colleague"
            } else if enrolment.status == EnrolmentStatus::Waiting {
                "waiting"
            } else {
                "enrolled"
            };
            Ok(Redirect::to(&format!("/training/courses/{slug}?done={done}")).into_response())
        }
        Err(error) if error.status.is_server_error() => {
            Err(page_error(error.status, reader.tr().language, "error-internal"))
        }
        Err(error) => {
            let message = error_message(&reader.tr(), &error);
            course_page(
                &state,
                &session,
                Some(&reader.caller),
                reader.tr().language,
                &slug,
                None,
                Some((error.status, message)),
            )
            .await
        }
    }
}

pub(super) async fn start(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(slug): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, Response> {
    csrf(&session, &reader, &form.csrf).await?;
    let colleague = Some(form.user.as_str()).filter(|u| !u.is_empty());
    match training::start_course(&state, &reader.caller, &slug, colleague).await {
        Ok(enrolment) => {
            let done = if colleague.is_some() { "colleague" } else { "enrolled" };
            Ok(Redirect::to(&format!("/training/courses/{}?done={done}", enrolment.course_slug)).into_response())
        }
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() => {
            let chrome = reader.chrome(&format!("/training/courses/{slug}"), "training").await?;
            Err(failure_page(chrome, &error))
        }
        Err(error) => {
            let message = error_message(&reader.tr(), &error);
            course_page(
                &state,
                &session,
                Some(&reader.caller),
                reader.tr().language,
                &slug,
                None,
                Some((error.status, message)),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------
// My training

pub(crate) struct EnrolmentLine {
    pub id: String,
    pub course_slug: String,
    pub title: String,
    pub status: String,
    pub starts: Option<When>,
    pub where_: Option<String>,
    pub join_url: Option<String>,
    pub may_cancel: bool,
    pub may_finish: bool,
    pub invitation: bool,
    pub completed: Option<String>,
}

fn enrolment_line(tr: &Tr, e: &StoredEnrolment, zone: &TimeZone, me: &guichet_domain::user::UserId) -> EnrolmentLine {
    let live = matches!(e.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waiting);
    EnrolmentLine {
        id: e.id.0.clone(),
        course_slug: e.course_slug.clone(),
        title: e.course_title.clone(),
        status: match e.waiting_before {
            Some(before) => tr.t1("training-waiting-position", "position", before + 1),
            None => status_words(tr, e.status),
        },
        starts: match (e.starts_at, &e.time_zone) {
            (Some(at), Some(z)) => Some(When::new(at, z.as_str(), zone)),
            _ => None,
        },
        where_: e
            .place
            .clone()
            .or_else(|| e.session.as_ref().map(|_| tr.t("training-online"))),
        join_url: if e.status == EnrolmentStatus::Enrolled {
            e.join_url.clone()
        } else {
            None
        },
        may_cancel: live,
        may_finish: e.session.is_none() && e.status == EnrolmentStatus::Enrolled && &e.user == me,
        invitation: e.session.is_some() && e.status != EnrolmentStatus::Cancelled,
        completed: e
            .completed_at
            .map(|at| zone.to_datetime(at).strftime("%Y-%m-%d").to_string()),
    }
}

#[derive(Template)]
#[template(path = "training_mine.html")]
struct MinePage {
    chrome: Chrome,
    current: Vec<EnrolmentLine>,
    record: Vec<EnrolmentLine>,
    teaching: Vec<(String, String, When)>,
    done: Option<String>,
    failure: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct MineQuery {
    done: Option<String>,
}

pub(super) async fn mine(
    State(state): State<AppState>,
    reader: Reader,
    Query(query): Query<MineQuery>,
) -> Result<Response, Response> {
    let tr = reader.tr();
    let done = match query.done.as_deref() {
        Some("cancelled") => Some(tr.t("training-done-cancelled")),
        Some("passed") => Some(tr.t("training-done-passed")),
        Some("completed") => Some(tr.t("training-done-completed")),
        _ => None,
    };
    mine_page(&state, &reader, done, None).await
}

async fn mine_page(
    state: &AppState,
    reader: &Reader,
    done: Option<String>,
    failure: Option<(StatusCode, String)>,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/training/me", "training").await?;
    let tr = chrome.tr;
    let zone = reader.zone();
    let internal = |_| page_error(StatusCode::INTERNAL_SERVER_ERROR, tr.language, "error-internal");
    let all = state
        .store
        .enrolments_of(&reader.caller.user.id)
        .await
        .map_err(internal)?;
    let me = &reader.caller.user.id;
    let teaching = state
        .store
        .sessions_given_by(me, state.clock.now())
        .await
        .map_err(internal)?;
    let mut titles = Vec::new();
    for session in &teaching {
        let title = state
            .store
            .course(&session.course)
            .await
            .map_err(internal)?
            .map_or_else(String::new, |c| c.content.title);
        titles.push((
            session.id.0.clone(),
            title,
            When::new(session.plan.starts_at, session.plan.time_zone.as_str(), &zone),
        ));
    }
    let status = failure.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let page = MinePage {
        current: all
            .iter()
            .filter(|e| matches!(e.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waiting))
            .map(|e| enrolment_line(&tr, e, &zone, me))
            .collect(),
        record: all
            .iter()
            .filter(|e| matches!(e.status, EnrolmentStatus::Completed | EnrolmentStatus::Cancelled))
            .map(|e| enrolment_line(&tr, e, &zone, me))
            .collect(),
        teaching: titles,
        done,
        failure: failure.map(|(_, m)| m),
        chrome,
    };
    Ok(render(&page, status))
}

#[derive(Debug, Deserialize)]
pub(super) struct EnrolmentForm {
    #[serde(default)]
    csrf: String,
    /// Where to go back to: `roster` (the trainer's page) or `me`.
    #[serde(default)]
    back: String,
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<EnrolmentForm>,
) -> Result<Response, Response> {
    csrf(&session, &reader, &form.csrf).await?;
    match training::cancel(&state, &reader.caller, &id, &base_url(&state, &headers)).await {
        Ok((_, promoted)) => {
            let done = if promoted.is_some() { "passed" } else { "cancelled" };
            Ok(Redirect::to(&format!("/training/me?done={done}")).into_response())
        }
        Err(error) => after_error(&state, &reader, error).await,
    }
}

pub(super) async fn complete(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<EnrolmentForm>,
) -> Result<Response, Response> {
    csrf(&session, &reader, &form.csrf).await?;
    match training::complete(&state, &reader.caller, &id).await {
        Ok(enrolment) => match (&enrolment.session, form.back.as_str()) {
            (Some(session), "roster") => Ok(Redirect::to(&format!("/training/sessions/{session}")).into_response()),
            _ => Ok(Redirect::to("/training/me?done=completed").into_response()),
        },
        Err(error) => after_error(&state, &reader, error).await,
    }
}

async fn after_error(state: &AppState, reader: &Reader, error: ApiError) -> Result<Response, Response> {
    if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() {
        let chrome = reader.chrome("/training/me", "training").await?;
        return Err(failure_page(chrome, &error));
    }
    let message = error_message(&reader.tr(), &error);
    mine_page(state, reader, None, Some((error.status, message))).await
}

// ---------------------------------------------------------------------------
// The trainer's roster

#[derive(Template)]
#[template(path = "training_session.html")]
struct RosterPage {
    chrome: Chrome,
    course: String,
    course_slug: String,
    starts: When,
    where_: String,
    seats: String,
    people: Vec<(String, String, String, bool)>,
    started: bool,
}

pub(super) async fn roster(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let chrome = reader.chrome(&format!("/training/sessions/{id}"), "training").await?;
    let (session, enrolments) = match training::roster(&state, &reader.caller, &id).await {
        Ok(found) => found,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let tr = chrome.tr;
    let course = state
        .store
        .course(&session.course)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| page_error(StatusCode::NOT_FOUND, tr.language, "error-not-found"))?;
    let zone = reader.zone();
    let page = RosterPage {
        course: course.content.title.clone(),
        course_slug: course.content.slug.as_str().to_owned(),
        starts: When::new(session.plan.starts_at, session.plan.time_zone.as_str(), &zone),
        where_: session.plan.place.clone().unwrap_or_else(|| tr.t("training-online")),
        seats: tr.t2(
            "training-seats-taken",
            ("taken", &session.seats_taken.to_string()),
            ("capacity", &session.plan.capacity.to_string()),
        ),
        people: enrolments
            .iter()
            .map(|e| {
                (
                    e.id.0.clone(),
                    e.user_name.clone(),
                    match e.waiting_before {
                        Some(before) => tr.t1("training-waiting-position", "position", before + 1),
                        None => status_words(&tr, e.status),
                    },
                    e.status == EnrolmentStatus::Enrolled,
                )
            })
            .collect(),
        started: state.clock.now() >= session.plan.starts_at,
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}
