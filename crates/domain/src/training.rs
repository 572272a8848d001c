//! Training (R10): a catalogue of courses with sessions, enrolment with a
//! waiting list promoted in order, cancellation before a deadline,
//! colleagues enrolled by a company's designated users, and completion.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::invalid::bounded_text;
use crate::user::{Role, UserId};
use crate::{Invalid, InvalidKind};

macro_rules! opaque_id {
    ($name:ident, $what:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// An id received from outside (a path or a body).
            pub fn parse(input: &str) -> Result<Self, Invalid> {
                crate::invalid::opaque_id(input, $what).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(CourseId, "course");
opaque_id!(SessionId, "session");
opaque_id!(EnrolmentId, "enrolment");

/// How a course is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CourseFormat {
    /// Self-paced, online: started at any time, no sessions.
    #[serde(rename = "e-learning")]
    ELearning,
    #[serde(rename = "virtual_class")]
    VirtualClass,
    #[serde(rename = "classroom")]
    Classroom,
}

impl CourseFormat {
    pub const ALL: [CourseFormat; 3] = [Self::ELearning, Self::VirtualClass, Self::Classroom];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ELearning => "e-learning",
            Self::VirtualClass => "virtual_class",
            Self::Classroom => "classroom",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!(
                        "`{}` is not a course format (e-learning, virtual_class, classroom)",
                        input.trim()
                    ),
                )
            })
    }

    /// Whether the course is given in sessions (with dates and seats).
    pub fn has_sessions(self) -> bool {
        self != Self::ELearning
    }
}

/// Who a course is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: [Level; 3] = [Self::Beginner, Self::Intermediate, Self::Advanced];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beginner => "beginner",
            Self::Intermediate => "intermediate",
            Self::Advanced => "advanced",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not a level (beginner, intermediate, advanced)", input.trim()),
                )
            })
    }
}

/// Where an enrolment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStatus {
    /// Holds a seat (or has started the e-learning course).
    Enrolled,
    /// On the session's waiting list.
    Waiting,
    Cancelled,
    Completed,
}

impl EnrolmentStatus {
    pub const ALL: [EnrolmentStatus; 4] = [Self::Enrolled, Self::Waiting, Self::Cancelled, Self::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enrolled => "enrolled",
            Self::Waiting => "waiting",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not an enrolment status", input.trim()),
                )
            })
    }

    /// Holds a seat of its session.
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Enrolled | Self::Completed)
    }
}

/// A course's stable name in addresses (`financials-month-end-close-fr`).
pub use crate::article::Slug as CourseSlug;

/// What a course is, as an editor writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseContent {
    pub slug: CourseSlug,
    pub title: String,
    pub summary: String,
    pub language: crate::user::Language,
    pub format: CourseFormat,
    /// How long the course takes, in minutes.
    pub duration_minutes: u32,
    pub product: crate::product::ProductKey,
    pub level: Level,
    /// What to know before, in words (`Comptabilité générale : les bases`).
    pub prerequisites: Vec<String>,
    /// The learning paths it belongs to (keys, `month-end-close`).
    pub paths: Vec<String>,
}

/// A course as received, before it is parsed.
#[derive(Debug, Clone, Default)]
pub struct CourseDraft {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub language: String,
    pub format: String,
    pub duration_minutes: i64,
    pub product: String,
    pub level: String,
    pub prerequisites: Vec<String>,
    pub paths: Vec<String>,
}

impl CourseContent {
    pub const TITLE_MAX: usize = 200;
    pub const SUMMARY_MAX: usize = 4_000;
    pub const PREREQUISITE_MAX: usize = 200;
    /// A course lasts at most a working month (in minutes of training).
    pub const DURATION_MAX: i64 = 60 * 8 * 20;

    /// Parses a draft; the error names the field that is wrong.
    pub fn parse(draft: CourseDraft) -> Result<Self, (&'static str, Invalid)> {
        let slug = CourseSlug::parse(&draft.slug).map_err(|e| ("slug", e))?;
        let title = bounded_text(&draft.title, "the title", Self::TITLE_MAX).map_err(|e| ("title", e))?;
        let summary = draft.summary.trim();
        if summary.is_empty() {
            return Err(("summary", Invalid::new(InvalidKind::Empty, "the summary is empty")));
        }
        if summary.chars().count() > Self::SUMMARY_MAX {
            return Err((
                "summary",
                Invalid::new(
                    InvalidKind::TooLong,
                    format!("the summary is longer than {} characters", Self::SUMMARY_MAX),
                ),
            ));
        }
        if !(1..=Self::DURATION_MAX).contains(&draft.duration_minutes) {
            return Err((
                "duration_minutes",
                Invalid::new(
                    InvalidKind::Format,
                    format!("a course lasts 1 to {} minutes", Self::DURATION_MAX),
                ),
            ));
        }
        let mut prerequisites = Vec::new();
        for p in &draft.prerequisites {
            prerequisites
                .push(bounded_text(p, "a prerequisite", Self::PREREQUISITE_MAX).map_err(|e| ("prerequisites", e))?);
        }
        let mut paths: Vec<String> = Vec::new();
        for p in &draft.paths {
            let key = CourseSlug::parse(p).map_err(|e| ("paths", e))?.as_str().to_owned();
            if !paths.contains(&key) {
                paths.push(key);
            }
        }
        Ok(Self {
            slug,
            title,
            summary: summary.to_owned(),
            language: crate::user::Language::parse(&draft.language).map_err(|e| ("language", e))?,
            format: CourseFormat::parse(&draft.format).map_err(|e| ("format", e))?,
            duration_minutes: draft.duration_minutes as u32,
            product: crate::product::ProductKey::parse(&draft.product).map_err(|e| ("product", e))?,
            level: Level::parse(&draft.level).map_err(|e| ("level", e))?,
            prerequisites,
            paths,
        })
    }
}

/// A session of a course, as an editor writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPlan {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The session's own time zone (where the classroom is, or the
    /// trainer's for a virtual class).
    pub time_zone: crate::country::TimeZoneName,
    pub capacity: u32,
    /// A classroom's address.
    pub place: Option<String>,
    /// A virtual class's joining link.
    pub join_url: Option<String>,
    pub trainer: UserId,
}

impl SessionPlan {
    pub const CAPACITY_MAX: u32 = 500;
    pub const PLACE_MAX: usize = 300;

    /// Checks a plan for a course given in `format`; the error names the
    /// field.
    pub fn check(self, format: CourseFormat) -> Result<Self, (&'static str, Invalid)> {
        if !format.has_sessions() {
            return Err((
                "course",
                Invalid::new(InvalidKind::NotAllowed, "an e-learning course has no sessions"),
            ));
        }
        if self.ends_at <= self.starts_at {
            return Err((
                "ends_at",
                Invalid::new(InvalidKind::Format, "a session ends after it starts"),
            ));
        }
        if self.ends_at - self.starts_at > SignedDuration::from_hours(24 * 31) {
            return Err((
                "ends_at",
                Invalid::new(InvalidKind::TooLong, "a session lasts at most 31 days"),
            ));
        }
        if !(1..=Self::CAPACITY_MAX).contains(&self.capacity) {
            return Err((
                "capacity",
                Invalid::new(
                    InvalidKind::Format,
                    format!("a session has 1 to {} seats", Self::CAPACITY_MAX),
                ),
            ));
        }
        let place = self
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| bounded_text(p, "the place", Self::PLACE_MAX))
            .transpose()
            .map_err(|e| ("place", e))?;
        let join_url = self
            .join_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(parse_join_url)
            .transpose()
            .map_err(|e| ("join_url", e))?;
        match format {
            CourseFormat::Classroom if place.is_none() => {
                return Err((
                    "place",
                    Invalid::new(InvalidKind::Empty, "a classroom session needs a place"),
                ));
            }
            CourseFormat::VirtualClass if join_url.is_none() => {
                return Err((
                    "join_url",
                    Invalid::new(InvalidKind::Empty, "a virtual class needs a joining link"),
                ));
            }
            _ => {}
        }
        Ok(Self {
            place,
            join_url,
            ..self
        })
    }
}

/// A joining link: `https://…`, no spaces or quotes, at most 500.
fn parse_join_url(input: &str) -> Result<String, Invalid> {
    let url = input.trim();
    let well_formed = url.len() <= 500
        && url.starts_with("https://")
        && url.len() > "https://".len()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    if well_formed {
        Ok(url.to_owned())
    } else {
        Err(Invalid::new(
            InvalidKind::Format,
            "a joining link is an https:// address",
        ))
    }
}

/// Where a new enrolment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Seat,
    WaitingList,
}

/// R10: a seat while the session has one free, else the waiting list.
pub fn placement(seats_taken: i64, capacity: u32) -> Placement {
    if seats_taken < i64::from(capacity) {
        Placement::Seat
    } else {
        Placement::WaitingList
    }
}

/// Why training refuses something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only a designated support user of the same company may enrol a colleague")]
    NotDesignated,
    #[error("seats may be given up until {deadline}; after that, tell the trainer")]
    DeadlinePassed { deadline: Timestamp },
    #[error("the session has started or is over")]
    SessionStarted,
    #[error("completion is recorded by the session's trainer, or by the learner at the end of an e-learning course")]
    NotTrainer,
    #[error("completion is recorded once the session has started")]
    NotStarted,
    #[error("only training editors may do this")]
    NotEditor,
}

/// Training editors: the vendor's support coaches, product management,
/// support managers and administrators keep the catalogue.
pub fn may_edit_catalogue(actor: &Actor) -> Result<(), Refusal> {
    let editor = actor.is_vendor_staff()
        && [
            Role::SupportCoach,
            Role::ProductManagement,
            Role::SupportManager,
            Role::Administrator,
        ]
        .into_iter()
        .any(|role| actor.has(role));
    if editor { Ok(()) } else { Err(Refusal::NotEditor) }
}

/// R10: members enrol themselves; a company's designated support users
/// also enrol their colleagues (users of the same company).
pub fn may_enrol(actor: &Actor, learner: &UserId, learner_company: &crate::company::CompanyId) -> Result<(), Refusal> {
    if &actor.user_id == learner || (learner_company == &actor.company_id && actor.has(Role::DesignatedSupportUser)) {
        Ok(())
    } else {
        Err(Refusal::NotDesignated)
    }
}

/// Seats are taken until the session starts.
pub fn may_take_seat(now: Timestamp, starts_at: Timestamp) -> Result<(), Refusal> {
    if now < starts_at {
        Ok(())
    } else {
        Err(Refusal::SessionStarted)
    }
}

/// R10: a seat is given up until `deadline` before the session starts; a
/// place on the waiting list may be left at any time before the start.
pub fn may_cancel(
    status: EnrolmentStatus,
    now: Timestamp,
    starts_at: Option<Timestamp>,
    deadline: SignedDuration,
) -> Result<(), Refusal> {
    let Some(starts_at) = starts_at else {
        return Ok(());
    };
    if now >= starts_at {
        return Err(Refusal::SessionStarted);
    }
    let last = starts_at - deadline;
    if status == EnrolmentStatus::Enrolled && now > last {
        return Err(Refusal::DeadlinePassed { deadline: last });
    }
    Ok(())
}

/// R10: the trainer records completion once the session has started (or a
/// training editor); the learner records the end of an e-learning course.
pub fn may_record_completion(
    actor: &Actor,
    learner: &UserId,
    trainer: Option<&UserId>,
    starts_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), Refusal> {
    match (trainer, starts_at) {
        (None, _) => {
            if &actor.user_id == learner || may_edit_catalogue(actor).is_ok() {
                Ok(())
            } else {
                Err(Refusal::NotTrainer)
            }
        }
        (Some(trainer), Some(starts_at)) => {
            if &actor.user_id != trainer && may_edit_catalogue(actor).is_err() {
                Err(Refusal::NotTrainer)
            } else if now < starts_at {
                Err(Refusal::NotStarted)
            } else {
                Ok(())
            }
        }
        (Some(_), None) => Err(Refusal::NotTrainer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::{CompanyId, CompanyKind};

    fn actor(id: &str, company: &str, kind: CompanyKind, roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId(id.into()),
            company_id: CompanyId(company.into()),
            company_kind: kind,
            roles: roles.to_vec(),
        }
    }

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + hours * 3600).unwrap()
    }

    fn draft() -> CourseDraft {
        CourseDraft {
            slug: "cloture-mensuelle".into(),
            title: "Clôture mensuelle".into(),
            summary: "Fermer une période.".into(),
            language: "fr".into(),
            format: "classroom".into(),
            duration_minutes: 420,
            product: "financials".into(),
            level: "intermediate".into(),
            prerequisites: vec!["Les bases".into()],
            paths: vec!["comptable".into(), "comptable".into()],
        }
    }

    #[test]
    fn r10_courses_name_their_format_level_and_paths() {
        let course = CourseContent::parse(draft()).unwrap();
        assert_eq!(course.format, CourseFormat::Classroom);
        assert_eq!(course.paths, ["comptable"]);
        assert_eq!(CourseFormat::parse("e-learning").unwrap(), CourseFormat::ELearning);
        for (field, bad) in [
            (
                "format",
                CourseDraft {
                    format: "webinar".into(),
                    ..draft()
                },
            ),
            (
                "level",
                CourseDraft {
                    level: "expert".into(),
                    ..draft()
                },
            ),
            (
                "duration_minutes",
                CourseDraft {
                    duration_minutes: 0,
                    ..draft()
                },
            ),
            (
                "language",
                CourseDraft {
                    language: "de".into(),
                    ..draft()
                },
            ),
            (
                "summary",
                CourseDraft {
                    summary: " ".into(),
                    ..draft()
                },
            ),
            (
                "paths",
                CourseDraft {
                    paths: vec!["Not a key".into()],
                    ..draft()
                },
            ),
        ] {
            assert_eq!(CourseContent::parse(bad).unwrap_err().0, field);
        }
    }

    fn plan() -> SessionPlan {
        SessionPlan {
            starts_at: at(24),
            ends_at: at(31),
            time_zone: crate::country::TimeZoneName::parse("Europe/Paris").unwrap(),
            capacity: 1,
            place: Some(" Paris, salle 3 ".into()),
            join_url: None,
            trainer: UserId("t".into()),
        }
    }

    #[test]
    fn r10_sessions_have_seats_a_place_or_a_link() {
        assert_eq!(
            plan().check(CourseFormat::Classroom).unwrap().place.as_deref(),
            Some("Paris, salle 3")
        );
        assert_eq!(plan().check(CourseFormat::ELearning).unwrap_err().0, "course");
        assert_eq!(plan().check(CourseFormat::VirtualClass).unwrap_err().0, "join_url");
        let virtual_class = SessionPlan {
            join_url: Some("https://meet.example/abc".into()),
            ..plan()
        };
        assert!(virtual_class.check(CourseFormat::VirtualClass).is_ok());
        let javascript = SessionPlan {
            join_url: Some("javascript:alert(1)".into()),
            ..plan()
        };
        assert_eq!(javascript.check(CourseFormat::VirtualClass).unwrap_err().0, "join_url");
        let backwards = SessionPlan {
            ends_at: at(1),
            ..plan()
        };
        assert_eq!(backwards.check(CourseFormat::Classroom).unwrap_err().0, "ends_at");
        let empty = SessionPlan { capacity: 0, ..plan() };
        assert_eq!(empty.check(CourseFormat::Classroom).unwrap_err().0, "capacity");
    }

    #[test]
    fn r10_a_full_session_puts_people_on_the_waiting_list() {
        assert_eq!(placement(0, 1), Placement::Seat);
        assert_eq!(placement(1, 1), Placement::WaitingList);
        assert_eq!(placement(5, 1), Placement::WaitingList);
    }

    #[test]
    fn r10_designated_users_enrol_colleagues() {
        let acme = CompanyId("acme".into());
        let dana = actor("dana", "acme", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let ulysse = actor("ulysse", "acme", CompanyKind::Customer, &[]);
        assert!(may_enrol(&ulysse, &UserId("ulysse".into()), &acme).is_ok());
        assert!(may_enrol(&dana, &UserId("ulysse".into()), &acme).is_ok());
        assert_eq!(
            may_enrol(&ulysse, &UserId("dana".into()), &acme),
            Err(Refusal::NotDesignated)
        );
        let other = CompanyId("lumiere".into());
        assert_eq!(
            may_enrol(&dana, &UserId("marie".into()), &other),
            Err(Refusal::NotDesignated)
        );
    }

    #[test]
    fn r10_seats_are_given_up_before_the_deadline() {
        let deadline = SignedDuration::from_hours(48);
        let starts = Some(at(100));
        assert!(may_cancel(EnrolmentStatus::Enrolled, at(52), starts, deadline).is_ok());
        assert_eq!(
            may_cancel(EnrolmentStatus::Enrolled, at(53), starts, deadline),
            Err(Refusal::DeadlinePassed { deadline: at(52) })
        );
        // The waiting list may be left until the start.
        assert!(may_cancel(EnrolmentStatus::Waiting, at(99), starts, deadline).is_ok());
        assert_eq!(
            may_cancel(EnrolmentStatus::Waiting, at(100), starts, deadline),
            Err(Refusal::SessionStarted)
        );
        // E-learning has no start.
        assert!(may_cancel(EnrolmentStatus::Enrolled, at(1000), None, deadline).is_ok());
        assert!(may_take_seat(at(99), at(100)).is_ok());
        assert!(may_take_seat(at(100), at(100)).is_err());
    }

    #[test]
    fn r10_trainers_record_completion_learners_finish_e_learning() {
        let trainer = actor("t", "vendor", CompanyKind::Vendor, &[Role::SupportAnalyst]);
        let marie = actor("marie", "lumiere", CompanyKind::Customer, &[]);
        let coach = actor("coach", "vendor", CompanyKind::Vendor, &[Role::SupportCoach]);
        let learner = UserId("marie".into());
        let t = UserId("t".into());
        assert!(may_record_completion(&trainer, &learner, Some(&t), Some(at(0)), at(1)).is_ok());
        assert_eq!(
            may_record_completion(&trainer, &learner, Some(&t), Some(at(2)), at(1)),
            Err(Refusal::NotStarted)
        );
        assert_eq!(
            may_record_completion(&marie, &learner, Some(&t), Some(at(0)), at(1)),
            Err(Refusal::NotTrainer)
        );
        assert!(may_record_completion(&coach, &learner, Some(&t), Some(at(0)), at(1)).is_ok());
        assert!(may_record_completion(&marie, &learner, None, None, at(1)).is_ok());
        assert_eq!(
            may_record_completion(&trainer, &learner, None, None, at(1)),
            Err(Refusal::NotTrainer)
        );
    }
}
