//! Bringing in experts (R18): support coaches, product management and
//! engineering answer an analyst's question on a case, in a thread of its
//! own that customers never see.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::CaseId;
use crate::user::UserId;
use crate::{Invalid, InvalidKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementStatus {
    /// The question waits for the expert.
    Open,
    /// The expert answered; the analyst may ask more or close it.
    Answered,
    Closed,
}

impl EngagementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "open" => Ok(Self::Open),
            "answered" => Ok(Self::Answered),
            "closed" => Ok(Self::Closed),
            other => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("`{other}` is not an engagement status"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertEngagement {
    pub id: String,
    pub case_id: CaseId,
    pub expert: UserId,
    pub requested_by: UserId,
    pub question: String,
    pub status: EngagementStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this expert engagement is closed")]
pub struct EngagementClosed;

/// The status after a message in the engagement's thread: the expert's
/// reply answers it; the analyst's follow-up opens it again.
pub fn after_message(status: EngagementStatus, from_expert: bool) -> Result<EngagementStatus, EngagementClosed> {
    match (status, from_expert) {
        (EngagementStatus::Closed, _) => Err(EngagementClosed),
        (_, true) => Ok(EngagementStatus::Answered),
        (_, false) => Ok(EngagementStatus::Open),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r18_the_thread_moves_between_expert_and_analyst() {
        assert_eq!(
            after_message(EngagementStatus::Open, true),
            Ok(EngagementStatus::Answered)
        );
        assert_eq!(
            after_message(EngagementStatus::Answered, false),
            Ok(EngagementStatus::Open)
        );
        assert_eq!(after_message(EngagementStatus::Closed, true), Err(EngagementClosed));
        assert_eq!(EngagementStatus::parse("answered").unwrap(), EngagementStatus::Answered);
    }
}
