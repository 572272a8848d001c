//! The audit log (R26): who did what, when, on what, from where. Entries
//! are chained by hash so that an edited or deleted entry shows; this
//! module says what an entry is and what of it is hashed (its canonical
//! content), the store does the hashing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::CaseNumber;
use crate::company::CompanyId;
use crate::user::UserId;

/// One thing done, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: Timestamp,
    /// Who did it; `None` for Guichet itself (the SLA watcher, automatic
    /// closing).
    pub actor: Option<UserId>,
    /// The actor's email when it was done (people change their address).
    pub actor_email: Option<String>,
    /// The client address it came from.
    pub address: Option<String>,
    /// What was done: `case.opened`, `case.answered`, `case.viewed`,
    /// `company.updated`, `user.created`…
    pub action: String,
    /// What it was done on: `case`, `company`, `user`…
    pub subject_kind: String,
    pub subject_id: String,
    /// The customer company it concerns, whose people may read it.
    pub company: Option<CompanyId>,
    /// For a case, its number.
    pub case_number: Option<CaseNumber>,
    /// More about it, as short text (the events of a case change, the
    /// fields of a company that changed).
    pub details: String,
}

/// `\` and line breaks escaped, so that no value can fake another field.
fn escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r")
}

impl AuditEntry {
    /// What the chain hashes: every field, in a fixed order, one per line.
    /// Changing any of them changes this text.
    pub fn canonical(&self) -> String {
        let optional = |value: Option<&str>| value.map_or_else(|| "-".to_owned(), |v| format!("={}", escaped(v)));
        [
            format!("id={}", escaped(&self.id)),
            format!("at={}", self.at.as_microsecond()),
            format!("actor{}", optional(self.actor.as_ref().map(|a| a.0.as_str()))),
            format!("actor_email{}", optional(self.actor_email.as_deref())),
            format!("address{}", optional(self.address.as_deref())),
            format!("action={}", escaped(&self.action)),
            format!("subject={}:{}", escaped(&self.subject_kind), escaped(&self.subject_id)),
            format!("company{}", optional(self.company.as_ref().map(|c| c.0.as_str()))),
            format!("case{}", optional(self.case_number.map(|n| n.to_string()).as_deref())),
            format!("details={}", escaped(&self.details)),
        ]
        .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            id: "e1".into(),
            at: Timestamp::from_second(1_800_000_000).unwrap(),
            actor: Some(UserId("u1".into())),
            actor_email: Some("analyst@support.example".into()),
            address: Some("192.0.2.1".into()),
            action: "case.viewed".into(),
            subject_kind: "case".into(),
            subject_id: "c1".into(),
            company: Some(CompanyId("acme".into())),
            case_number: Some(CaseNumber(1001)),
            details: String::new(),
        }
    }

    #[test]
    fn r26_every_field_is_in_the_canonical_content() {
        let base = entry().canonical();
        let mut changes: Vec<AuditEntry> = Vec::new();
        let mut e = entry();
        e.at += jiff::SignedDuration::from_micros(1);
        changes.push(e);
        changes.push(AuditEntry { actor: None, ..entry() });
        changes.push(AuditEntry {
            actor_email: Some("other@support.example".into()),
            ..entry()
        });
        changes.push(AuditEntry {
            address: None,
            ..entry()
        });
        changes.push(AuditEntry {
            action: "case.answered".into(),
            ..entry()
        });
        changes.push(AuditEntry {
            subject_id: "c2".into(),
            ..entry()
        });
        changes.push(AuditEntry {
            company: None,
            ..entry()
        });
        changes.push(AuditEntry {
            case_number: Some(CaseNumber(1002)),
            ..entry()
        });
        changes.push(AuditEntry {
            details: "x".into(),
            ..entry()
        });
        for changed in changes {
            assert_ne!(changed.canonical(), base, "{changed:?}");
        }
    }

    #[test]
    fn values_cannot_forge_other_fields() {
        let forged = AuditEntry {
            details: "x\naction=case.deleted".into(),
            ..entry()
        };
        assert_eq!(forged.canonical().lines().count(), entry().canonical().lines().count());
        let empty = AuditEntry {
            actor_email: Some(String::new()),
            ..entry()
        };
        assert_ne!(
            empty.canonical(),
            AuditEntry {
                actor_email: None,
                ..entry()
            }
            .canonical()
        );
    }
}
