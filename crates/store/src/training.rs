//! Training (R10): courses and their learning paths, sessions, and
//! enrolments. Seats are given inside a transaction that first locks the
//! session's row (an `UPDATE` of its version, on both engines), so
//! concurrent enrolments queue on it and a session never holds more people
//! than its capacity; cancelling a seat promotes the first of the waiting
//! list in the same transaction, with its notification.

use std::collections::HashMap;

use guichet_domain::country::TimeZoneName;
use guichet_domain::product::ProductKey;
use guichet_domain::training::{
    CourseContent, CourseFormat, CourseId, CourseSlug, EnrolmentId, EnrolmentStatus, Level, Placement, SessionId,
    SessionPlan, placement,
};
use guichet_domain::user::{Language, UserId};
use jiff::Timestamp;

use crate::cases::insert_rows;
use crate::error::constraint;
use crate::{OutboxMessage, Result, Store, StoreError, instant, micros};

/// A course as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCourse {
    pub id: CourseId,
    pub content: CourseContent,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A session as stored, with its trainer's name and how full it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingSession {
    pub id: SessionId,
    pub course: CourseId,
    pub plan: SessionPlan,
    pub trainer_name: String,
    /// Enrolled or completed.
    pub seats_taken: i64,
    pub waiting: i64,
    pub created_at: Timestamp,
}

impl TrainingSession {
    pub fn seats_left(&self) -> i64 {
        (i64::from(self.plan.capacity) - self.seats_taken).max(0)
    }
}

/// An enrolment with what pages, mails and invitations show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEnrolment {
    pub id: EnrolmentId,
    pub course: CourseId,
    pub course_slug: String,
    pub course_title: String,
    pub format: CourseFormat,
    pub session: Option<SessionId>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub time_zone: Option<TimeZoneName>,
    pub place: Option<String>,
    pub join_url: Option<String>,
    pub trainer: Option<UserId>,
    pub user: UserId,
    pub user_name: String,
    pub user_email: String,
    pub user_language: Language,
    pub user_company: String,
    pub enrolled_by: UserId,
    pub status: EnrolmentStatus,
    pub queued_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// On the waiting list: how many are before (0 is next).
    pub waiting_before: Option<i64>,
}

/// A new enrolment, before the session decides seat or waiting list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    pub id: EnrolmentId,
    pub course: CourseId,
    pub session: Option<SessionId>,
    pub user: UserId,
    pub enrolled_by: UserId,
    pub at: Timestamp,
}

/// Which courses the catalogue shows.
#[derive(Debug, Clone, Default)]
pub struct CourseFilter {
    pub product: Option<ProductKey>,
    pub lang: Option<Language>,
    pub format: Option<CourseFormat>,
    pub level: Option<Level>,
    pub path: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// The demo catalogue, inserted in bulk.
#[derive(Debug, Default)]
pub struct TrainingBulk {
    pub courses: Vec<(CourseId, CourseContent, Timestamp)>,
    pub sessions: Vec<(SessionId, CourseId, SessionPlan, Timestamp)>,
    /// Inserted in order: the first `capacity` of a session hold seats,
    /// the others wait (the bulk does not decide; its maker does).
    pub enrolments: Vec<(NewEnrolment, EnrolmentStatus)>,
    pub outbox: Vec<OutboxMessage>,
}

#[derive(sqlx::FromRow)]
struct CourseRow {
    id: String,
    slug: String,
    title: String,
    summary: String,
    lang: String,
    format: String,
    duration_minutes: i64,
    product_key: String,
    level: String,
    prerequisites: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl CourseRow {
    fn into_course(self, paths: &mut HashMap<String, Vec<String>>) -> Result<StoredCourse> {
        let paths = paths.remove(&self.id).unwrap_or_default();
        Ok(StoredCourse {
            id: CourseId(self.id),
            content: CourseContent {
                slug: CourseSlug::parse(&self.slug)?,
                title: self.title,
                summary: self.summary,
                language: Language::parse(&self.lang)?,
                format: CourseFormat::parse(&self.format)?,
                duration_minutes: u32::try_from(self.duration_minutes)
                    .map_err(|_| StoreError::Corrupt(format!("duration {}", self.duration_minutes)))?,
                product: ProductKey::parse(&self.product_key)?,
                level: Level::parse(&self.level)?,
                prerequisites: serde_json::from_str(&self.prerequisites)
                    .map_err(|e| StoreError::Corrupt(format!("prerequisites: {e}")))?,
                paths,
            },
            version: self.version,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

macro_rules! course_select {
    ($where:literal) => {
        concat!(
            "SELECT c.id, c.slug, c.title, c.summary, c.lang, c.format, c.duration_minutes, c.product_key, \
             c.level, c.prerequisites, c.version, c.created_at, c.updated_at FROM training_courses c ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    course_id: String,
    starts_at: i64,
    ends_at: i64,
    time_zone: String,
    capacity: i64,
    place: Option<String>,
    join_url: Option<String>,
    trainer_id: String,
    trainer_name: String,
    seats_taken: i64,
    waiting: i64,
    created_at: i64,
}

impl SessionRow {
    fn into_session(self) -> Result<TrainingSession> {
        Ok(TrainingSession {
            id: SessionId(self.id),
            course: CourseId(self.course_id),
            plan: SessionPlan {
                starts_at: instant(self.starts_at)?,
                ends_at: instant(self.ends_at)?,
                time_zone: TimeZoneName::parse(&self.time_zone)?,
                capacity: u32::try_from(self.capacity)
                    .map_err(|_| StoreError::Corrupt(format!("capacity {}", self.capacity)))?,
                place: self.place,
                join_url: self.join_url,
                trainer: UserId(self.trainer_id),
            },
            trainer_name: self.trainer_name,
            seats_taken: self.seats_taken,
            waiting: self.waiting,
            created_at: instant(self.created_at)?,
        })
    }
}

macro_rules! session_select {
    ($where:literal) => {
        concat!(
            "SELECT s.id, s.course_id, s.starts_at, s.ends_at, s.time_zone, s.capacity, s.place, s.join_url, \
             s.trainer_id, u.display_name AS trainer_name, \
             (SELECT COUNT(*) FROM training_enrolments e WHERE e.session_id = s.id \
                 AND e.status IN ('enrolled', 'completed')) AS seats_taken, \
             (SELECT COUNT(*) FROM training_enrolments e WHERE e.session_id = s.id AND e.status = 'waiting') AS waiting, \
             s.created_at FROM training_sessions s JOIN users u ON u.id = s.trainer_id ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct EnrolmentRow {
    id: String,
    course_id: String,
    course_slug: String,
    course_title: String,
    format: String,
    session_id: Option<String>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    time_zone: Option<String>,
    place: Option<String>,
    join_url: Option<String>,
    trainer_id: Option<String>,
    user_id: String,
    user_name: String,
    user_email: String,
    user_language: String,
    user_company: String,
    enrolled_by: String,
    status: String,
    queued_at: i64,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
    waiting_before: Option<i64>,
}

impl EnrolmentRow {
    fn into_enrolment(self) -> Result<StoredEnrolment> {
        let status = EnrolmentStatus::parse(&self.status)?;
        Ok(StoredEnrolment {
            id: EnrolmentId(self.id),
            course: CourseId(self.course_id),
            course_slug: self.course_slug,
            course_title: self.course_title,
            format: CourseFormat::parse(&self.format)?,
            session: self.session_id.map(SessionId),
            starts_at: self.starts_at.map(instant).transpose()?,
            ends_at: self.ends_at.map(instant).transpose()?,
            time_zone: self.time_zone.as_deref().map(TimeZoneName::parse).transpose()?,
            place: self.place,
            join_url: self.join_url,
            trainer: self.trainer_id.map(UserId),
            user: UserId(self.user_id),
            user_name: self.user_name,
            user_email: self.user_email,
            user_language: Language::parse(&self.user_language)?,
            user_company: self.user_company,
            enrolled_by: UserId(self.enrolled_by),
            status,
            queued_at: instant(self.queued_at)?,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
            completed_at: self.completed_at.map(instant).transpose()?,
            waiting_before: (status == EnrolmentStatus::Waiting).then_some(self.waiting_before.unwrap_or(0)),
        })
    }
}

macro_rules! enrolment_select {
    ($where:literal) => {
        concat!(
            "SELECT e.id, e.course_id, c.slug AS course_slug, c.title AS course_title, c.format, e.session_id, \
             s.starts_at, s.ends_at, s.time_zone, s.place, s.join_url, s.trainer_id, e.user_id, \
             u.display_name AS user_name, u.email AS user_email, u.language AS user_language, \
             u.company_id AS user_company, e.enrolled_by, e.status, e.queued_at, e.created_at, e.updated_at, \
             e.completed_at, \
             (SELECT COUNT(*) FROM training_enrolments w WHERE w.session_id = e.session_id AND w.status = 'waiting' \
                 AND (w.queued_at < e.queued_at OR (w.queued_at = e.queued_at AND w.id < e.id))) AS waiting_before \
             FROM training_enrolments e JOIN training_courses c ON c.id = e.course_id \
             JOIN users u ON u.id = e.user_id LEFT JOIN training_sessions s ON s.id = e.session_id ",
            $where
        )
    };
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists serialize")
}

impl Store {
    /// A new course (`expected_version` `None`) or a change to one made
    /// from `expected_version` (`Conflict("course_version")` otherwise);
    /// its learning paths replaced; a slug taken: `Conflict("slug")`.
    pub async fn save_course(
        &self,
        id: &CourseId,
        content: &CourseContent,
        expected_version: Option<i64>,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            match expected_version {
                None => {
                    sqlx::query(
                        "INSERT INTO training_courses (id, slug, title, summary, lang, format, duration_minutes, \
                         product_key, level, prerequisites, version, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)",
                    )
                    .bind(&id.0)
                    .bind(content.slug.as_str())
                    .bind(&content.title)
                    .bind(&content.summary)
                    .bind(content.language.code())
                    .bind(content.format.as_str())
                    .bind(i64::from(content.duration_minutes))
                    .bind(content.product.as_str())
                    .bind(content.level.as_str())
                    .bind(json(&content.prerequisites))
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict("slug"),
                        _ => constraint("product")(e),
                    })?;
                }
                Some(expected) => {
                    let done = sqlx::query(
                        "UPDATE training_courses SET slug = $3, title = $4, summary = $5, lang = $6, format = $7, \
                         duration_minutes = $8, product_key = $9, level = $10, prerequisites = $11, \
                         version = version + 1, updated_at = $12 WHERE id = $1 AND version = $2",
                    )
                    .bind(&id.0)
                    .bind(expected)
                    .bind(content.slug.as_str())
                    .bind(&content.title)
                    .bind(&content.summary)
                    .bind(content.language.code())
                    .bind(content.format.as_str())
                    .bind(i64::from(content.duration_minutes))
                    .bind(content.product.as_str())
                    .bind(content.level.as_str())
                    .bind(json(&content.prerequisites))
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict("slug"),
                        _ => constraint("product")(e),
                    })?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict("course_version"));
                    }
                    sqlx::query("DELETE FROM training_course_paths WHERE course_id = $1")
                        .bind(&id.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for path in &content.paths {
                sqlx::query("INSERT INTO training_course_paths (course_id, path) VALUES ($1, $2)")
                    .bind(&id.0)
                    .bind(path)
                    .execute(&mut *tx)
                    .await?;
            }
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn course(&self, id: &CourseId) -> Result<Option<StoredCourse>> {
        let row: Option<CourseRow> = read!(self, |c| sqlx::query_as(course_select!("WHERE c.id = $1"))
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        self.with_paths(row.into_iter().collect()).await.map(|mut c| c.pop())
    }

    pub async fn course_by_slug(&self, slug: &CourseSlug) -> Result<Option<StoredCourse>> {
        let row: Option<CourseRow> = read!(self, |c| sqlx::query_as(course_select!("WHERE c.slug = $1"))
            .bind(slug.as_str())
            .fetch_optional(c)
            .await)?;
        self.with_paths(row.into_iter().collect()).await.map(|mut c| c.pop())
    }

    /// Courses with their learning paths (one read for all of them).
    async fn with_paths(&self, rows: Vec<CourseRow>) -> Result<Vec<StoredCourse>> {
        let single = match rows.as_slice() {
            [] => return Ok(Vec::new()),
            [one] => Some(one.id.clone()),
            _ => None,
        };
        let pairs: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT course_id, path FROM training_course_paths WHERE $1 IS NULL OR course_id = $1 \
             ORDER BY course_id, path"
        )
        .bind(single.as_deref())
        .fetch_all(c)
        .await)?;
        let mut paths: HashMap<String, Vec<String>> = HashMap::new();
        for (course, path) in pairs {
            paths.entry(course).or_default().push(path);
        }
        rows.into_iter().map(|row| row.into_course(&mut paths)).collect()
    }

    /// R10: the catalogue, by title, filtered.
    pub async fn courses(&self, filter: &CourseFilter) -> Result<Vec<StoredCourse>> {
        let rows: Vec<CourseRow> = read!(self, |c| {
            sqlx::query_as(course_select!(
            "WHERE ($1 IS NULL OR c.product_key = $1) AND ($2 IS NULL OR c.lang = $2) \
             AND ($3 IS NULL OR c.format = $3) AND ($4 IS NULL OR c.level = $4) \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM training_course_paths x WHERE x.course_id = c.id AND x.path = $5)) \
             ORDER BY c.title, c.id LIMIT $6 OFFSET $7"
        ))
        .bind(filter.product.as_ref().map(ProductKey::as_str))
            .bind(filter.lang.map(Language::code))
            .bind(filter.format.map(CourseFormat::as_str))
            .bind(filter.level.map(Level::as_str))
            .bind(filter.path.as_deref())
            .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(c)
        .await
        })?;
        self.with_paths(rows).await
    }

    /// Courses in id order after `after`, for the search rebuild.
    pub async fn courses_after(&self, after: Option<&CourseId>, limit: i64) -> Result<Vec<StoredCourse>> {
        let rows: Vec<CourseRow> = read!(self, |c| sqlx::query_as(course_select!(
            "WHERE c.id > $1 ORDER BY c.id LIMIT $2"
        ))
        .bind(after.map_or("", |id| id.0.as_str()))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        self.with_paths(rows).await
    }

    /// The learning paths and how many courses each holds.
    pub async fn learning_paths(&self) -> Result<Vec<(String, i64)>> {
        Ok(read!(self, |c| sqlx::query_as(
            "SELECT path, COUNT(*) FROM training_course_paths GROUP BY path ORDER BY path"
        )
        .fetch_all(c)
        .await)?)
    }

    pub async fn create_session(
        &self,
        id: &SessionId,
        course: &CourseId,
        plan: &SessionPlan,
        at: Timestamp,
    ) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO training_sessions (id, course_id, starts_at, ends_at, time_zone, capacity, place, join_url, \
             trainer_id, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10)"
        )
        .bind(&id.0)
        .bind(&course.0)
        .bind(micros(plan.starts_at))
        .bind(micros(plan.ends_at))
        .bind(plan.time_zone.as_str())
        .bind(i64::from(plan.capacity))
        .bind(plan.place.as_deref())
        .bind(plan.join_url.as_deref())
        .bind(&plan.trainer.0)
        .bind(micros(at))
        .execute(c)
        .await
        .map(|_| ()))
        .map_err(|e| match e {
            StoreError::Database(e) => constraint("trainer")(e),
            other => other,
        })
    }

    pub async fn training_session(&self, id: &SessionId) -> Result<Option<TrainingSession>> {
        let row: Option<SessionRow> = read!(self, |c| sqlx::query_as(session_select!("WHERE s.id = $1"))
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        row.map(SessionRow::into_session).transpose()
    }

    /// A course's sessions ending after `from`, soonest first.
    pub async fn sessions_of(&self, course: &CourseId, from: Timestamp) -> Result<Vec<TrainingSession>> {
        let rows: Vec<SessionRow> = read!(self, |c| sqlx::query_as(session_select!(
            "WHERE s.course_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at, s.id"
        ))
        .bind(&course.0)
        .bind(micros(from))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(SessionRow::into_session).collect()
    }

    /// Sessions `trainer` gives ending after `from`, soonest first.
    pub async fn sessions_given_by(&self, trainer: &UserId, from: Timestamp) -> Result<Vec<TrainingSession>> {
        let rows: Vec<SessionRow> = read!(self, |c| sqlx::query_as(session_select!(
            "WHERE s.trainer_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at, s.id"
        ))
        .bind(&trainer.0)
        .bind(micros(from))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(SessionRow::into_session).collect()
    }

    /// R10: enrols: a seat while the session has one, else the waiting
    /// list; an e-learning course (no session) starts at once. The
    /// session's row is locked first, so enrolments of one session happen
    /// one after the other and never take more seats than it has.
    /// `Conflict("enrolment")` when the person is already enrolled.
    pub async fn enrol(&self, enrolment: &NewEnrolment, outbox: &[OutboxMessage]) -> Result<EnrolmentStatus> {
        transaction!(self, |tx| {
            let status = match &enrolment.session {
                None => EnrolmentStatus::Enrolled,
                Some(session) => {
                    let capacity: Option<i64> = sqlx::query_scalar(
                        "UPDATE training_sessions SET version = version + 1 WHERE id = $1 AND course_id = $2 \
                         RETURNING capacity",
                    )
                    .bind(&session.0)
                    .bind(&enrolment.course.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(capacity) = capacity else {
                        return Err(StoreError::Dangling("session"));
                    };
                    let taken: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM training_enrolments WHERE session_id = $1 \
                         AND status IN ('enrolled', 'completed')",
                    )
                    .bind(&session.0)
                    .fetch_one(&mut *tx)
                    .await?;
                    match placement(taken, u32::try_from(capacity).unwrap_or(0)) {
                        Placement::Seat => EnrolmentStatus::Enrolled,
                        Placement::WaitingList => EnrolmentStatus::Waiting,
                    }
                }
            };
            sqlx::query(
                "INSERT INTO training_enrolments (id, course_id, session_id, user_id, enrolled_by, status, queued_at, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)",
            )
            .bind(&enrolment.id.0)
            .bind(&enrolment.course.0)
            .bind(enrolment.session.as_ref().map(|s| s.0.as_str()))
            .bind(&enrolment.user.0)
            .bind(&enrolment.enrolled_by.0)
            .bind(status.as_str())
            .bind(micros(enrolment.at))
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict("enrolment"),
                _ => constraint("user")(e),
            })?;
            insert_outbox!(tx, outbox);
            status
        })
    }

    pub async fn enrolment(&self, id: &EnrolmentId) -> Result<Option<StoredEnrolment>> {
        let row: Option<EnrolmentRow> = read!(self, |c| sqlx::query_as(enrolment_select!("WHERE e.id = $1"))
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        row.map(EnrolmentRow::into_enrolment).transpose()
    }

    /// R10: a person's enrolments, their training record, newest first.
    pub async fn enrolments_of(&self, user: &UserId) -> Result<Vec<StoredEnrolment>> {
        let rows: Vec<EnrolmentRow> = read!(self, |c| sqlx::query_as(enrolment_select!(
            "WHERE e.user_id = $1 ORDER BY COALESCE(s.starts_at, e.created_at) DESC, e.id DESC"
        ))
        .bind(&user.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EnrolmentRow::into_enrolment).collect()
    }

    /// A session's roster: seats first, then the waiting list in order.
    pub async fn roster(&self, session: &SessionId) -> Result<Vec<StoredEnrolment>> {
        let rows: Vec<EnrolmentRow> = read!(self, |c| sqlx::query_as(enrolment_select!(
            "WHERE e.session_id = $1 AND e.status <> 'cancelled' \
             ORDER BY CASE WHEN e.status = 'waiting' THEN 1 ELSE 0 END, e.queued_at, e.id"
        ))
        .bind(&session.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(EnrolmentRow::into_enrolment).collect()
    }

    /// R10: gives up a seat or a place on the waiting list. A seat given
    /// up goes to the first of the waiting list, in the same transaction,
    /// with the rows `notify` writes for them. Returns the promoted
    /// enrolment. `Conflict("enrolment_status")` when it was neither
    /// enrolled nor waiting.
    pub async fn cancel_enrolment(
        &self,
        id: &EnrolmentId,
        at: Timestamp,
        notify: impl FnOnce(&StoredEnrolment) -> Vec<OutboxMessage>,
    ) -> Result<Option<StoredEnrolment>> {
        transaction!(self, |tx| {
            let session: Option<Option<String>> =
                sqlx::query_scalar("SELECT session_id FROM training_enrolments WHERE id = $1")
                    .bind(&id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(session) = session else {
                return Err(StoreError::Dangling("enrolment"));
            };
            let capacity: Option<i64> = match &session {
                Some(session) => {
                    sqlx::query_scalar(
                        "UPDATE training_sessions SET version = version + 1 WHERE id = $1 RETURNING capacity",
                    )
                    .bind(session)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            let status: String = sqlx::query_scalar("SELECT status FROM training_enrolments WHERE id = $1")
                .bind(&id.0)
                .fetch_one(&mut *tx)
                .await?;
            let status = EnrolmentStatus::parse(&status)?;
            if !matches!(status, EnrolmentStatus::Enrolled | EnrolmentStatus::Waiting) {
                return Err(StoreError::Conflict("enrolment_status"));
            }
            sqlx::query("UPDATE training_enrolments SET status = 'cancelled', updated_at = $2 WHERE id = $1")
                .bind(&id.0)
                .bind(micros(at))
                .execute(&mut *tx)
                .await?;
            let mut promoted = None;
            if let (Some(session), Some(capacity), EnrolmentStatus::Enrolled) = (&session, capacity, status) {
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM training_enrolments WHERE session_id = $1 \
                     AND status IN ('enrolled', 'completed')",
                )
                .bind(session)
                .fetch_one(&mut *tx)
                .await?;
                let next: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM training_enrolments WHERE session_id = $1 AND status = 'waiting' \
                     ORDER BY queued_at, id LIMIT 1",
                )
                .bind(session)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(next) = next
                    && placement(taken, u32::try_from(capacity).unwrap_or(0)) == Placement::Seat
                {
                    sqlx::query("UPDATE training_enrolments SET status = 'enrolled', updated_at = $2 WHERE id = $1")
                        .bind(&next)
                        .bind(micros(at))
                        .execute(&mut *tx)
                        .await?;
                    let row: EnrolmentRow = sqlx::query_as(enrolment_select!("WHERE e.id = $1"))
                        .bind(&next)
                        .fetch_one(&mut *tx)
                        .await?;
                    let enrolment = row.into_enrolment()?;
                    let outbox = notify(&enrolment);
                    insert_outbox!(tx, outbox.as_slice());
                    promoted = Some(enrolment);
                }
            }
            promoted
        })
    }

    /// R10: completion recorded; `Conflict("enrolment_status")` unless the
    /// enrolment holds a seat (or has started its e-learning course).
    pub async fn complete_enrolment(&self, id: &EnrolmentId, by: &UserId, at: Timestamp) -> Result<()> {
        let done = write!(self, |c| sqlx::query(
            "UPDATE training_enrolments SET status = 'completed', completed_at = $2, completed_by = $3, \
             updated_at = $2 WHERE id = $1 AND status = 'enrolled'"
        )
        .bind(&id.0)
        .bind(micros(at))
        .bind(&by.0)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict("enrolment_status"))
        }
    }

    /// The demo catalogue in a few multi-row statements.
    pub async fn import_training(&self, bulk: &TrainingBulk) -> Result<()> {
        const CHUNK: usize = 200;
        transaction!(self, |tx| {
            for chunk in bulk.courses.chunks(CHUNK) {
                let sql = insert_rows(
                    "training_courses",
                    "id, slug, title, summary, lang, format, duration_minutes, product_key, level, prerequisites, \
                     version, created_at, updated_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, c, at) in chunk {
                    query = query
                        .bind(&id.0)
                        .bind(c.slug.as_str())
                        .bind(&c.title)
                        .bind(&c.summary)
                        .bind(c.language.code())
                        .bind(c.format.as_str())
                        .bind(i64::from(c.duration_minutes))
                        .bind(c.product.as_str())
                        .bind(c.level.as_str())
                        .bind(json(&c.prerequisites))
                        .bind(1i64)
                        .bind(micros(*at))
                        .bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
            }
            let paths: Vec<(&CourseId, &String)> = bulk
                .courses
                .iter()
                .flat_map(|(id, c, _)| c.paths.iter().map(move |p| (id, p)))
                .collect();
            for chunk in paths.chunks(CHUNK) {
                let sql = insert_rows("training_course_paths", "course_id, path", chunk.len());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, path) in chunk {
                    query = query.bind(&id.0).bind(path.as_str());
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.sessions.chunks(CHUNK) {
                let sql = insert_rows(
                    "training_sessions",
                    "id, course_id, starts_at, ends_at, time_zone, capacity, place, join_url, trainer_id, version, \
                     created_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, course, plan, at) in chunk {
                    query = query
                        .bind(&id.0)
                        .bind(&course.0)
                        .bind(micros(plan.starts_at))
                        .bind(micros(plan.ends_at))
                        .bind(plan.time_zone.as_str())
                        .bind(i64::from(plan.capacity))
                        .bind(plan.place.as_deref())
                        .bind(plan.join_url.as_deref())
                        .bind(&plan.trainer.0)
                        .bind(1i64)
                        .bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.enrolments.chunks(CHUNK) {
                let sql = insert_rows(
                    "training_enrolments",
                    "id, course_id, session_id, user_id, enrolled_by, status, queued_at, created_at, updated_at, \
                     completed_at, completed_by",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (e, status) in chunk {
                    let completed = *status == EnrolmentStatus::Completed;
                    query = query
                        .bind(&e.id.0)
                        .bind(&e.course.0)
                        .bind(e.session.as_ref().map(|s| s.0.as_str()))
                        .bind(&e.user.0)
                        .bind(&e.enrolled_by.0)
                        .bind(status.as_str())
                        .bind(micros(e.at))
                        .bind(micros(e.at))
                        .bind(micros(e.at))
                        .bind(completed.then_some(micros(e.at)))
                        .bind(completed.then_some(e.enrolled_by.0.as_str()));
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.outbox.chunks(CHUNK) {
                insert_outbox!(tx, chunk);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use guichet_domain::company::CompanyKind;
    use guichet_domain::training::CourseDraft;
    use guichet_domain::user::Role;
    use jiff::SignedDuration;

    use super::*;
    use crate::testing::on_each_engine;
    use crate::tests::{company, now, product, user};

    fn content(slug: &str, format: &str) -> CourseContent {
        CourseContent::parse(CourseDraft {
            slug: slug.into(),
            title: format!("Cours {slug}"),
            summary: "Fermer une période.".into(),
            language: "fr".into(),
            format: format.into(),
            duration_minutes: 120,
            product: "financials".into(),
            level: "beginner".into(),
            prerequisites: vec!["Les bases".into()],
            paths: vec!["comptable".into(), "cloture".into()],
        })
        .unwrap()
    }

    fn plan(trainer: &UserId, capacity: u32) -> SessionPlan {
        SessionPlan {
            starts_at: now() + SignedDuration::from_hours(72),
            ends_at: now() + SignedDuration::from_hours(75),
            time_zone: TimeZoneName::parse("Europe/Paris").unwrap(),
            capacity,
            place: Some("Paris".into()),
            join_url: None,
            trainer: trainer.clone(),
        }
    }

    #[tokio::test]
    async fn r10_courses_paths_and_sessions() {
        on_each_engine(|store| async move {
            store.create_product(&product("financials", &[])).await.unwrap();
            let vendor = company("Vendor", CompanyKind::Vendor, "support.example");
            store.create_company(&vendor, now()).await.unwrap();
            let trainer = user(&vendor, "coach@support.example", &[Role::SupportCoach]);
            store.create_user(&trainer, None, now()).await.unwrap();
            let id = CourseId(crate::new_id());
            let course = content("cloture", "classroom");
            store.save_course(&id, &course, None, now(), &[]).await.unwrap();
            assert!(matches!(
                store
                    .save_course(&CourseId(crate::new_id()), &course, None, now(), &[])
                    .await,
                Err(StoreError::Conflict("slug"))
            ));
            let online = content("bases", "e-learning");
            store
                .save_course(&CourseId(crate::new_id()), &online, None, now(), &[])
                .await
                .unwrap();
            let stored = store.course(&id).await.unwrap().unwrap();
            assert_eq!(stored.content.paths, ["cloture", "comptable"]);
            assert_eq!(
                stored.content,
                CourseContent {
                    paths: vec!["cloture".into(), "comptable".into()],
                    ..course.clone()
                }
            );
            let mut changed = course.clone();
            changed.paths = vec!["cloture".into()];
            store.save_course(&id, &changed, Some(1), now(), &[]).await.unwrap();
            assert!(matches!(
                store.save_course(&id, &changed, Some(1), now(), &[]).await,
                Err(StoreError::Conflict("course_version"))
            ));
            assert_eq!(
                store.learning_paths().await.unwrap(),
                [("cloture".into(), 2), ("comptable".into(), 1)]
            );
            let filtered = store
                .courses(&CourseFilter {
                    format: Some(CourseFormat::ELearning),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(filtered.len(), 1);
            assert_eq!(filtered[0].content.slug.as_str(), "bases");
            let by_path = store
                .courses(&CourseFilter {
                    path: Some("comptable".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(by_path.len(), 1);

            let session = SessionId(crate::new_id());
            store
                .create_session(&session, &id, &plan(&trainer.id, 3), now())
                .await
                .unwrap();
            let stored = store.training_session(&session).await.unwrap().unwrap();
            assert_eq!((stored.seats_left(), stored.trainer_name.as_str()), (3, "coach"));
            assert_eq!(store.sessions_of(&id, now()).await.unwrap().len(), 1);
            assert!(
                store
                    .sessions_of(&id, now() + SignedDuration::from_hours(80))
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(store.sessions_given_by(&trainer.id, now()).await.unwrap().len(), 1);
        })
        .await;
    }

    #[tokio::test]
    async fn r10_a_full_session_waits_and_promotes_in_order() {
        on_each_engine(|store| async move {
            store.create_product(&product("financials", &[])).await.unwrap();
            let vendor = company("Vendor", CompanyKind::Vendor, "support.example");
            let lumiere = company("Lumière", CompanyKind::Customer, "lumiere.example");
            store.create_company(&vendor, now()).await.unwrap();
            store.create_company(&lumiere, now()).await.unwrap();
            let trainer = user(&vendor, "coach@support.example", &[Role::SupportCoach]);
            let people: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|n| user(&lumiere, &format!("{n}@lumiere.example"), &[]))
                .collect();
            store.create_user(&trainer, None, now()).await.unwrap();
            for p in &people {
                store.create_user(p, None, now()).await.unwrap();
            }
            let course = CourseId(crate::new_id());
            store
                .save_course(&course, &content("cloture", "classroom"), None, now(), &[])
                .await
                .unwrap();
            let session = SessionId(crate::new_id());
            store
                .create_session(&session, &course, &plan(&trainer.id, 1), now())
                .await
                .unwrap();
            let enrol = |who: &UserId, minutes: i64| NewEnrolment {
                id: EnrolmentId(crate::new_id()),
                course: course.clone(),
                session: Some(session.clone()),
                user: who.clone(),
                enrolled_by: who.clone(),
                at: now() + SignedDuration::from_mins(minutes),
            };
            let first = enrol(&people[0].id, 1);
            let second = enrol(&people[1].id, 2);
            let third = enrol(&people[2].id, 3);
            assert_eq!(store.enrol(&first, &[]).await.unwrap(), EnrolmentStatus::Enrolled);
            assert_eq!(store.enrol(&second, &[]).await.unwrap(), EnrolmentStatus::Waiting);
            assert_eq!(store.enrol(&third, &[]).await.unwrap(), EnrolmentStatus::Waiting);
            assert!(matches!(
                store.enrol(&enrol(&people[0].id, 4), &[]).await,
                Err(StoreError::Conflict("enrolment"))
            ));
            let third_stored = store.enrolment(&third.id).await.unwrap().unwrap();
            assert_eq!(third_stored.waiting_before, Some(1));
            assert_eq!(third_stored.place.as_deref(), Some("Paris"));

            // The first gives up the seat: the second has it, with a notice.
            let promoted = store
                .cancel_enrolment(&first.id, now(), |promoted| {
                    vec![OutboxMessage::new(
                        "mail",
                        &serde_json::json!({"to": promoted.user_email}),
                        now(),
                    )]
                })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(promoted.id, second.id);
            assert_eq!(promoted.status, EnrolmentStatus::Enrolled);
            let mails = store.pending_outbox("mail", now(), 10).await.unwrap();
            assert_eq!(mails.len(), 1);
            assert!(mails[0].payload.contains("b@lumiere.example"));
            assert!(matches!(
                store.cancel_enrolment(&first.id, now(), |_| Vec::new()).await,
                Err(StoreError::Conflict("enrolment_status"))
            ));
            // Leaving the waiting list promotes nobody.
            assert!(
                store
                    .cancel_enrolment(&third.id, now(), |_| Vec::new())
                    .await
                    .unwrap()
                    .is_none()
            );
            // Cancelled, a person may enrol again.
            assert_eq!(
                store.enrol(&enrol(&people[0].id, 5), &[]).await.unwrap(),
                EnrolmentStatus::Waiting
            );
            let roster = store.roster(&session).await.unwrap();
            assert_eq!(
                roster.iter().map(|e| (e.user.clone(), e.status)).collect::<Vec<_>>(),
                [
                    (people[1].id.clone(), EnrolmentStatus::Enrolled),
                    (people[0].id.clone(), EnrolmentStatus::Waiting)
                ]
            );
            store.complete_enrolment(&second.id, &trainer.id, now()).await.unwrap();
            assert!(matches!(
                store.complete_enrolment(&second.id, &trainer.id, now()).await,
                Err(StoreError::Conflict("enrolment_status"))
            ));
            let record = store.enrolments_of(&people[1].id).await.unwrap();
            assert_eq!(record[0].status, EnrolmentStatus::Completed);
            let stored = store.training_session(&session).await.unwrap().unwrap();
            assert_eq!((stored.seats_taken, stored.waiting), (1, 1));
        })
        .await;
    }

    #[tokio::test]
    async fn r10_concurrent_enrolments_never_exceed_capacity() {
        on_each_engine(|store| async move {
            store.create_product(&product("financials", &[])).await.unwrap();
            let vendor = company("Vendor", CompanyKind::Vendor, "support.example");
            let lumiere = company("Lumière", CompanyKind::Customer, "lumiere.example");
            store.create_company(&vendor, now()).await.unwrap();
            store.create_company(&lumiere, now()).await.unwrap();
            let trainer = user(&vendor, "coach@support.example", &[Role::SupportCoach]);
            store.create_user(&trainer, None, now()).await.unwrap();
            let course = CourseId(crate::new_id());
            store
                .save_course(&course, &content("cloture", "classroom"), None, now(), &[])
                .await
                .unwrap();
            let session = SessionId(crate::new_id());
            store
                .create_session(&session, &course, &plan(&trainer.id, 3), now())
                .await
                .unwrap();
            let mut tasks = Vec::new();
            for n in 0..24 {
                let person = user(&lumiere, &format!("p{n}@lumiere.example"), &[]);
                store.create_user(&person, None, now()).await.unwrap();
                let store = store.clone();
                let enrolment = NewEnrolment {
                    id: EnrolmentId(crate::new_id()),
                    course: course.clone(),
                    session: Some(session.clone()),
                    user: person.id.clone(),
                    enrolled_by: person.id.clone(),
                    at: now(),
                };
                tasks.push(tokio::spawn(async move { store.enrol(&enrolment, &[]).await.unwrap() }));
            }
            let mut seats = 0;
            for task in tasks {
                if task.await.unwrap() == EnrolmentStatus::Enrolled {
                    seats += 1;
                }
            }
            assert_eq!(seats, 3);
            let stored = store.training_session(&session).await.unwrap().unwrap();
            assert_eq!((stored.seats_taken, stored.waiting), (3, 21));
        })
        .await;
    }
}
