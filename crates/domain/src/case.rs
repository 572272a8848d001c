//! Cases (R12–R20): what a case is made of, its states, the answers an
//! analyst gives and how each moves the case along.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::company::CompanyId;
use crate::escalation::Decision;
use crate::invalid::bounded_text;
use crate::priority::{Environment, Impact, Priority, PriorityReason, Scope};
use crate::product::{AreaKey, ProductKey};
use crate::user::UserId;
use crate::{Invalid, InvalidKind};

/// A case's human-friendly number: sequential, shown as is (`1042`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseNumber(pub i64);

impl CaseNumber {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let digits = input.trim().trim_start_matches('#');
        match digits.parse::<i64>() {
            Ok(number) if number > 0 && digits.chars().all(|c| c.is_ascii_digit()) => Ok(Self(number)),
            _ => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("there is no case `{}`", input.escape_debug()),
            )),
        }
    }
}

impl std::fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    InProgress,
    /// The analyst asked the customer something; the next-update clock
    /// pauses.
    WaitingOnCustomer,
    /// A workaround was given; the case stays open (R16).
    WorkaroundProvided,
    /// A solution was proposed: the customer accepts it or reopens the
    /// case; it closes by itself after the reopen period.
    Solved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::New,
        CaseStatus::InProgress,
        CaseStatus::WaitingOnCustomer,
        CaseStatus::WorkaroundProvided,
        CaseStatus::Solved,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::InProgress => "in_progress",
            Self::WaitingOnCustomer => "waiting_on_customer",
            Self::WorkaroundProvided => "workaround_provided",
            Self::Solved => "solved",
            Self::Closed => "closed",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| Invalid::new(InvalidKind::Unknown, format!("`{}` is not a case status", input.trim())))
    }

    /// Still being worked on: on the queues, counted in analysts' loads.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Solved | Self::Closed)
    }
}

/// A case's subject: one line, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subject(String);

impl Subject {
    pub const MAX_LEN: usize = 200;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        bounded_text(input, "the subject", Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Subject {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<Subject> for String {
    fn from(value: Subject) -> Self {
        value.0
    }
}

/// The longest free text of a case (description, comment, answer).
pub const MAX_TEXT: usize = 20_000;

/// A multi-line text: 1 to `MAX_TEXT` characters; line breaks and tabs are
/// kept, other control characters refused.
pub fn parse_text(input: &str, what: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Invalid::new(InvalidKind::Empty, format!("{what} is empty")));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(Invalid::new(
            InvalidKind::TooLong,
            format!("{what} is longer than {MAX_TEXT} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Invalid::new(
            InvalidKind::Format,
            format!("{what} contains control characters"),
        ));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// An optional text: absent or blank is `None`.
pub fn parse_optional_text(input: Option<&str>, what: &str) -> Result<Option<String>, Invalid> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_text(text, what).map(Some),
    }
}

/// The kinds of public answer an analyst gives (R16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Update,
    DocReferral,
    Workaround,
    NeedInfo,
    Recreating,
    Solution,
}

impl AnswerKind {
    pub const ALL: [AnswerKind; 6] = [
        AnswerKind::Update,
        AnswerKind::DocReferral,
        AnswerKind::Workaround,
        AnswerKind::NeedInfo,
        AnswerKind::Recreating,
        AnswerKind::Solution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::DocReferral => "doc_referral",
            Self::Workaround => "workaround",
            Self::NeedInfo => "need_info",
            Self::Recreating => "recreating",
            Self::Solution => "solution",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|k| k.as_str() == input.trim()).ok_or_else(|| {
            Invalid::new(
                InvalidKind::Unknown,
                format!(
                    "`{}` is not an answer kind (update, doc_referral, workaround, need_info, recreating, solution)",
                    input.trim()
                ),
            )
        })
    }
}

/// An analyst's public answer, with the fields its kind needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// What was done and what happens next; both required.
    Update { done: String, next: String },
    /// Articles or documents expected to solve it.
    DocReferral { body: String, articles: Vec<String> },
    /// A reasonable workaround while work continues.
    Workaround { body: String },
    /// Questions for the customer.
    NeedInfo { body: String },
    /// The analyst is trying to reproduce the problem.
    Recreating { body: String },
    /// Proposes that the case be solved.
    Solution { body: String },
}

/// The raw fields of an answer, as a form or the API sends them.
#[derive(Debug, Default, Clone)]
pub struct AnswerFields<'a> {
    pub done: Option<&'a str>,
    pub next: Option<&'a str>,
    pub body: Option<&'a str>,
    pub articles: &'a [String],
}

impl Answer {
    /// Builds an answer of `kind`, naming the field that is missing or
    /// wrong.
    pub fn parse(kind: AnswerKind, fields: AnswerFields<'_>) -> Result<Self, (&'static str, Invalid)> {
        let required = |value: Option<&str>, field: &'static str, what: &str| {
            parse_text(value.unwrap_or(""), what).map_err(|e| (field, e))
        };
        Ok(match kind {
            AnswerKind::Update => Answer::Update {
                done: required(fields.done, "done", "what was done")?,
                next: required(fields.next, "next", "what happens next")?,
            },
            AnswerKind::DocReferral => {
                let articles: Vec<String> = fields
                    .articles
                    .iter()
                    .map(|a| bounded_text(a, "an article reference", 500))
                    .collect::<Result<_, _>>()
                    .map_err(|e| ("articles", e))?;
                if articles.is_empty() {
                    return Err((
                        "articles",
                        Invalid::new(InvalidKind::Empty, "name at least one article or document"),
                    ));
                }
                Answer::DocReferral {
                    body: required(fields.body, "body", "the answer")?,
                    articles,
                }
            }
            AnswerKind::Workaround => Answer::Workaround {
                body: required(fields.body, "body", "the workaround")?,
            },
            AnswerKind::NeedInfo => Answer::NeedInfo {
                body: required(fields.body, "body", "the questions")?,
            },
            AnswerKind::Recreating => Answer::Recreating {
                body: required(fields.body, "body", "the answer")?,
            },
            AnswerKind::Solution => Answer::Solution {
                body: required(fields.body, "body", "the solution")?,
            },
        })
    }

    pub fn kind(&self) -> AnswerKind {
        match self {
            Self::Update { .. } => AnswerKind::Update,
            Self::DocReferral { .. } => AnswerKind::DocReferral,
            Self::Workaround { .. } => AnswerKind::Workaround,
            Self::NeedInfo { .. } => AnswerKind::NeedInfo,
            Self::Recreating { .. } => AnswerKind::Recreating,
            Self::Solution { .. } => AnswerKind::Solution,
        }
    }
}

/// A case's internal identifier (the number is for people).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub String);

/// A case as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    pub number: CaseNumber,
    pub company_id: CompanyId,
    pub opened_by: UserId,
    /// The people copied on the case (they see it and hear of it).
    pub contacts: Vec<UserId>,
    pub product: ProductKey,
    pub area: AreaKey,
    pub environment: Environment,
    pub impact: Impact,
    pub scope: Scope,
    pub subject: Subject,
    pub description: String,
    pub steps: Option<String>,
    pub expected: Option<String>,
    pub status: CaseStatus,
    pub priority: Priority,
    pub priority_reasons: Vec<PriorityReason>,
    pub assignee: Option<UserId>,
    pub escalated: bool,
    /// R18: customers see only that specialists are involved.
    pub experts_involved: bool,
    /// The case this one was split from (R13).
    pub split_from: Option<CaseNumber>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub solved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub last_update_request_at: Option<Timestamp>,
    /// R15/R21: the first-response and next-update clocks.
    pub clocks: crate::case_sla::CaseClocks,
    /// Bumped by every change; a change made from a stale copy is refused.
    pub version: i64,
}

/// Something that happened on a case: its timeline (R26 begins here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: String,
    pub at: Timestamp,
    /// Who did it; `None` for Guichet itself (automatic closing).
    pub actor: Option<UserId>,
    /// Internal events are never shown to customers.
    pub internal: bool,
    pub happening: Happening,
}

/// What happened, with what the timeline shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Happening {
    Opened {
        priority: Priority,
    },
    Answered {
        answer: Answer,
    },
    Commented {
        body: String,
    },
    /// An internal note.
    Noted {
        body: String,
    },
    StatusChanged {
        from: CaseStatus,
        to: CaseStatus,
    },
    Assigned {
        to: Option<UserId>,
    },
    UpdateRequested {
        body: Option<String>,
    },
    EscalationRequested {
        request: String,
        reason: String,
    },
    EscalationReviewed {
        request: String,
        decision: Decision,
        note: String,
    },
    ExpertEngaged {
        engagement: String,
        expert: UserId,
        question: String,
    },
    ExpertReplied {
        engagement: String,
        body: String,
    },
    ExpertEngagementClosed {
        engagement: String,
    },
    SplitInto {
        number: CaseNumber,
    },
    SplitFrom {
        number: CaseNumber,
    },
    SolutionAccepted,
    Reopened,
    ClosedAutomatically,
    /// A clock used 75 % (warning) or all (breach) of its target.
    SlaAlarm {
        clock: crate::sla::Clock,
        alarm: crate::case_sla::Alarm,
    },
    /// A P1 or P2 breach put the case on the managers' queue.
    EscalatedAutomatically {
        clock: crate::sla::Clock,
    },
    /// R24: the case was linked to an incident of the status page.
    IncidentLinked {
        incident: String,
        title: String,
    },
    /// R24: a linked incident moved on (its resolution is posted here).
    IncidentUpdated {
        incident: String,
        title: String,
        status: crate::status::IncidentStatus,
        body: String,
    },
    /// R17: a file was attached, with what was scrubbed from it before it
    /// was stored.
    AttachmentAdded {
        attachment: String,
        name: String,
        size: u64,
        removed: crate::attachment::Removed,
    },
    /// R17: an analyst asked for diagnostics (the checklist).
    UploadRequested {
        request: String,
        items: Vec<crate::attachment::ChecklistItem>,
        note: Option<String>,
    },
    /// R17: every item of an upload request was uploaded.
    UploadRequestCompleted {
        request: String,
    },
    /// The files of a closed case were deleted after the retention period.
    AttachmentsDeleted {
        count: u64,
    },
}

impl Happening {
    /// The kind, as stored and as the API names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Answered { .. } => "answered",
            Self::Commented { .. } => "commented",
            Self::Noted { .. } => "noted",
            Self::StatusChanged { .. } => "status_changed",
            Self::Assigned { .. } => "assigned",
            Self::UpdateRequested { .. } => "update_requested",
            Self::EscalationRequested { .. } => "escalation_requested",
            Self::EscalationReviewed { .. } => "escalation_reviewed",
            Self::ExpertEngaged { .. } => "expert_engaged",
            Self::ExpertReplied { .. } => "expert_replied",
            Self::ExpertEngagementClosed { .. } => "expert_engagement_closed",
            Self::SplitInto { .. } => "split_into",
            Self::SplitFrom { .. } => "split_from",
            Self::SolutionAccepted => "solution_accepted",
            Self::Reopened => "reopened",
            Self::ClosedAutomatically => "closed_automatically",
            Self::SlaAlarm { .. } => "sla_alarm",
            Self::EscalatedAutomatically { .. } => "escalated_automatically",
            Self::IncidentLinked { .. } => "incident_linked",
            Self::IncidentUpdated { .. } => "incident_updated",
            Self::AttachmentAdded { .. } => "attachment_added",
            Self::UploadRequested { .. } => "upload_requested",
            Self::UploadRequestCompleted { .. } => "upload_request_completed",
            Self::AttachmentsDeleted { .. } => "attachments_deleted",
        }
    }

    /// Whether customers may see it: notes, assignments and the experts'
    /// thread stay inside (R18: customers see only that specialists are
    /// involved).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Noted { .. }
                | Self::Assigned { .. }
                | Self::SlaAlarm { .. }
                | Self::ExpertEngaged { .. }
                | Self::ExpertReplied { .. }
                | Self::ExpertEngagementClosed { .. }
        )
    }
}

/// Why a case cannot do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("the case is closed: open a new case and mention this one")]
    Closed,
    #[error("only a case whose solution was proposed can be accepted or reopened")]
    NotSolved,
    #[error("the reopen period has passed")]
    ReopenPeriodOver,
}

/// The status after an analyst's public answer.
pub fn after_answer(status: CaseStatus, answer: &Answer) -> Result<CaseStatus, CaseError> {
    if status == CaseStatus::Closed {
        return Err(CaseError::Closed);
    }
    Ok(match answer.kind() {
        AnswerKind::NeedInfo => CaseStatus::WaitingOnCustomer,
        AnswerKind::Workaround => CaseStatus::WorkaroundProvided,
        AnswerKind::Solution => CaseStatus::Solved,
        // Work goes on; a workaround already given stays given.
        AnswerKind::Update | AnswerKind::DocReferral | AnswerKind::Recreating => match status {
            CaseStatus::WorkaroundProvided => CaseStatus::WorkaroundProvided,
            _ => CaseStatus::InProgress,
        },
    })
}

/// The status after a customer's comment: a reply to a question resumes
/// the work; a comment on a solved case reopens it (within the period).
pub fn after_customer_comment(
    status: CaseStatus,
    solved_at: Option<Timestamp>,
    now: Timestamp,
    reopen_period: SignedDuration,
) -> Result<CaseStatus, CaseError> {
    match status {
        CaseStatus::Closed => Err(CaseError::Closed),
        CaseStatus::WaitingOnCustomer => Ok(CaseStatus::InProgress),
        CaseStatus::Solved => reopen(status, solved_at, now, reopen_period),
        other => Ok(other),
    }
}

/// The customer accepts the proposed solution: the case closes.
pub fn accept_solution(status: CaseStatus) -> Result<CaseStatus, CaseError> {
    match status {
        CaseStatus::Solved => Ok(CaseStatus::Closed),
        CaseStatus::Closed => Err(CaseError::Closed),
        _ => Err(CaseError::NotSolved),
    }
}

/// The customer reopens a solved case within the reopen period.
pub fn reopen(
    status: CaseStatus,
    solved_at: Option<Timestamp>,
    now: Timestamp,
    reopen_period: SignedDuration,
) -> Result<CaseStatus, CaseError> {
    match status {
        CaseStatus::Solved if solved_at.is_none_or(|at| now.duration_since(at) < reopen_period) => {
            Ok(CaseStatus::InProgress)
        }
        CaseStatus::Solved => Err(CaseError::ReopenPeriodOver),
        CaseStatus::Closed => Err(CaseError::Closed),
        _ => Err(CaseError::NotSolved),
    }
}

/// Whether a solved case closes by itself now.
pub fn closes_automatically(
    status: CaseStatus,
    solved_at: Option<Timestamp>,
    now: Timestamp,
    reopen_period: SignedDuration,
) -> bool {
    status == CaseStatus::Solved && solved_at.is_some_and(|at| now.duration_since(at) >= reopen_period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    fn answer(kind: AnswerKind) -> Answer {
        let articles = vec!["kb-1042".to_owned()];
        Answer::parse(
            kind,
            AnswerFields {
                done: Some("Checked the logs."),
                next: Some("Patch on Friday."),
                body: Some("Text"),
                articles: &articles,
            },
        )
        .unwrap()
    }

    #[test]
    fn r16_each_answer_moves_the_case_its_way() {
        assert_eq!(after_answer(New, &answer(AnswerKind::Update)), Ok(InProgress));
        assert_eq!(
            after_answer(InProgress, &answer(AnswerKind::NeedInfo)),
            Ok(WaitingOnCustomer)
        );
        assert_eq!(
            after_answer(InProgress, &answer(AnswerKind::Workaround)),
            Ok(WorkaroundProvided)
        );
        assert!(WorkaroundProvided.is_open(), "a workaround keeps the case open");
        assert_eq!(
            after_answer(WorkaroundProvided, &answer(AnswerKind::Update)),
            Ok(WorkaroundProvided)
        );
        assert_eq!(after_answer(New, &answer(AnswerKind::Recreating)), Ok(InProgress));
        assert_eq!(after_answer(New, &answer(AnswerKind::DocReferral)), Ok(InProgress));
        assert_eq!(after_answer(InProgress, &answer(AnswerKind::Solution)), Ok(Solved));
        assert_eq!(
            after_answer(Closed, &answer(AnswerKind::Update)),
            Err(CaseError::Closed)
        );
    }

    #[test]
    fn r16_answers_need_their_fields() {
        let missing_next = Answer::parse(
            AnswerKind::Update,
            AnswerFields {
                done: Some("x"),
                ..Default::default()
            },
        );
        assert_eq!(missing_next.unwrap_err().0, "next");
        let no_articles = Answer::parse(
            AnswerKind::DocReferral,
            AnswerFields {
                body: Some("x"),
                ..Default::default()
            },
        );
        assert_eq!(no_articles.unwrap_err().0, "articles");
        let blank = Answer::parse(
            AnswerKind::Workaround,
            AnswerFields {
                body: Some("   "),
                ..Default::default()
            },
        );
        assert_eq!(blank.unwrap_err().0, "body");
    }

    #[test]
    fn a_reply_to_a_question_resumes_the_work() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let period = SignedDuration::from_hours(24 * 7);
        assert_eq!(
            after_customer_comment(WaitingOnCustomer, None, now, period),
            Ok(InProgress)
        );
        assert_eq!(after_customer_comment(InProgress, None, now, period), Ok(InProgress));
        assert_eq!(
            after_customer_comment(WorkaroundProvided, None, now, period),
            Ok(WorkaroundProvided)
        );
        assert_eq!(
            after_customer_comment(Closed, None, now, period),
            Err(CaseError::Closed)
        );
    }

    #[test]
    fn solved_cases_are_accepted_reopened_or_close_by_themselves() {
        let solved = Timestamp::from_second(1_800_000_000).unwrap();
        let period = SignedDuration::from_hours(24 * 7);
        let soon = solved + SignedDuration::from_hours(1);
        let late = solved + SignedDuration::from_hours(24 * 8);
        assert_eq!(accept_solution(Solved), Ok(Closed));
        assert_eq!(accept_solution(InProgress), Err(CaseError::NotSolved));
        assert_eq!(reopen(Solved, Some(solved), soon, period), Ok(InProgress));
        assert_eq!(
            reopen(Solved, Some(solved), late, period),
            Err(CaseError::ReopenPeriodOver)
        );
        assert_eq!(
            after_customer_comment(Solved, Some(solved), soon, period),
            Ok(InProgress)
        );
        assert!(!closes_automatically(Solved, Some(solved), soon, period));
        assert!(closes_automatically(Solved, Some(solved), late, period));
        assert!(!closes_automatically(InProgress, Some(solved), late, period));
    }

    #[test]
    fn subjects_are_one_bounded_line() {
        assert!(Subject::parse("Journal entry will not post").is_ok());
        assert_eq!(Subject::parse("").unwrap_err().kind, InvalidKind::Empty);
        assert_eq!(Subject::parse(&"x".repeat(201)).unwrap_err().kind, InvalidKind::TooLong);
        assert!(Subject::parse(&"é".repeat(200)).is_ok());
        assert_eq!(Subject::parse("two\nlines").unwrap_err().kind, InvalidKind::Format);
        assert_eq!(
            parse_text("line one\r\nline two", "text").unwrap(),
            "line one\nline two"
        );
    }

    #[test]
    fn numbers_are_positive_integers() {
        assert_eq!(CaseNumber::parse("1042").unwrap(), CaseNumber(1042));
        assert_eq!(CaseNumber::parse("#7").unwrap(), CaseNumber(7));
        for bad in ["0", "-1", "12a", "", "+5", "99999999999999999999"] {
            assert!(CaseNumber::parse(bad).is_err(), "{bad}");
        }
    }
}
