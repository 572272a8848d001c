//! Asking for an update and asking for escalation (R19, R20), and routing a
//! new case to the right specialist (R12).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::case::CaseId;
use crate::product::{AreaKey, ProductKey, Skill};
use crate::user::UserId;
use crate::{Invalid, InvalidKind};

/// R19: at most one update request per case per `period`. `Err` holds when
/// the next one is allowed.
pub fn may_request_update(
    last_request: Option<Timestamp>,
    now: Timestamp,
    period: SignedDuration,
) -> Result<(), Timestamp> {
    match last_request {
        Some(last) if now < last + period => Err(last + period),
        _ => Ok(()),
    }
}

/// What a support manager decides about an escalation request (R20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accept,
    Decline,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "accept" => Ok(Self::Accept),
            "decline" => Ok(Self::Decline),
            other => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("`{other}` is not a decision (accept or decline)"),
            )),
        }
    }
}

/// Where an escalation request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStatus {
    Pending,
    Accepted,
    Declined,
}

impl EscalationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "declined" => Ok(Self::Declined),
            other => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("`{other}` is not an escalation status"),
            )),
        }
    }

    pub fn after(decision: Decision) -> Self {
        match decision {
            Decision::Accept => Self::Accepted,
            Decision::Decline => Self::Declined,
        }
    }
}

/// A customer's request to escalate a case, and its review (R20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRequest {
    pub id: String,
    pub case_id: CaseId,
    pub requested_by: UserId,
    pub reason: String,
    pub status: EscalationStatus,
    pub requested_at: Timestamp,
    /// Reviews have their own target time (1 business hour by default).
    pub review_due_at: Timestamp,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<Timestamp>,
    /// The manager's note, which the customer sees.
    pub note: Option<String>,
}

/// Why an escalation cannot be requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EscalationRefusal {
    #[error("the case is already escalated")]
    AlreadyEscalated,
    #[error("an escalation request for this case is already waiting for review")]
    AlreadyRequested,
    #[error("the case is no longer open")]
    NotOpen,
}

/// R20: whether the customer may ask for escalation now.
pub fn may_request_escalation(
    case_open: bool,
    escalated: bool,
    pending_request: bool,
) -> Result<(), EscalationRefusal> {
    if !case_open {
        Err(EscalationRefusal::NotOpen)
    } else if escalated {
        Err(EscalationRefusal::AlreadyEscalated)
    } else if pending_request {
        Err(EscalationRefusal::AlreadyRequested)
    } else {
        Ok(())
    }
}

/// An analyst as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalystLoad {
    pub user: UserId,
    pub skills: Vec<Skill>,
    pub open_cases: u32,
    /// Active and taking cases.
    pub available: bool,
}

/// R12: the available analyst skilled in the case's area with the fewest
/// open cases (ties go to the lowest id, so routing is repeatable).
pub fn route(product: &ProductKey, area: &AreaKey, analysts: &[AnalystLoad]) -> Option<UserId> {
    analysts
        .iter()
        .filter(|a| a.available && a.skills.iter().any(|skill| skill.covers(product, area)))
        .min_by(|a, b| a.open_cases.cmp(&b.open_cases).then_with(|| a.user.cmp(&b.user)))
        .map(|a| a.user.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_hours(hours)
    }

    #[test]
    fn r19_one_update_request_per_period() {
        let period = SignedDuration::from_hours(4);
        assert_eq!(may_request_update(None, at(0), period), Ok(()));
        assert_eq!(may_request_update(Some(at(0)), at(3), period), Err(at(4)));
        assert_eq!(may_request_update(Some(at(0)), at(4), period), Ok(()));
    }

    #[test]
    fn r20_one_escalation_at_a_time_on_open_cases() {
        assert_eq!(may_request_escalation(true, false, false), Ok(()));
        assert_eq!(
            may_request_escalation(true, true, false),
            Err(EscalationRefusal::AlreadyEscalated)
        );
        assert_eq!(
            may_request_escalation(true, false, true),
            Err(EscalationRefusal::AlreadyRequested)
        );
        assert_eq!(
            may_request_escalation(false, false, false),
            Err(EscalationRefusal::NotOpen)
        );
    }

    fn analyst(id: &str, skills: &[&str], open: u32) -> AnalystLoad {
        AnalystLoad {
            user: UserId(id.into()),
            skills: skills.iter().map(|s| Skill::parse(s).unwrap()).collect(),
            open_cases: open,
            available: true,
        }
    }

    #[test]
    fn r12_the_least_loaded_skilled_analyst_gets_the_case() {
        let financials = ProductKey::parse("financials").unwrap();
        let ledger = AreaKey::parse("general_ledger").unwrap();
        let payables = AreaKey::parse("accounts_payable").unwrap();
        let analysts = vec![
            analyst("a", &["financials", "time"], 5),
            analyst("b", &["financials"], 3),
            analyst("c", &["financials.general_ledger"], 1),
            analyst("d", &["time"], 0),
        ];
        assert_eq!(route(&financials, &ledger, &analysts), Some(UserId("c".into())));
        assert_eq!(route(&financials, &payables, &analysts), Some(UserId("b".into())));
        let time = ProductKey::parse("time").unwrap();
        let timesheets = AreaKey::parse("timesheets").unwrap();
        assert_eq!(route(&time, &timesheets, &analysts), Some(UserId("d".into())));
        let mut away = analysts.clone();
        away[3].available = false;
        assert_eq!(route(&time, &timesheets, &away), Some(UserId("a".into())));
        assert_eq!(route(&time, &timesheets, &[]), None);
        // Ties: the lowest id, every time.
        let tied = vec![analyst("y", &["time"], 2), analyst("x", &["time"], 2)];
        assert_eq!(route(&time, &timesheets, &tied), Some(UserId("x".into())));
    }
}
