//! Persistence over SQLite (embedded, the default) and PostgreSQL, chosen at
//! run time from the database URL.
//!
//! One set of portable SQL (numbered `$1` parameters, `RETURNING`,
//! `ON CONFLICT`, INTEGER instants, TEXT ids) runs on both engines through
//! the `read!`, `write!` and `transaction!` macros, which expand a query once
//! per engine so each runs on its native driver. SQLite takes writes on one
//! connection (no `SQLITE_BUSY` under load) and reads on several.

#[macro_use]
mod engine;
#[macro_use]
mod outbox;
#[macro_use]
mod audit;
mod articles;
mod attachments;
mod cases;
mod community;
mod companies;
mod error;
mod group_commit;
mod mail;
mod products;
mod sessions;
mod settings;
mod status;
mod throttle;
mod tokens;
mod training;
#[macro_use]
mod users;
// After `users`, whose macro it uses.
mod authorization;

#[cfg(test)]
mod tests;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use articles::{DeflectionLine, StoredArticle};
pub use attachments::FilesChange;
pub use audit::{AuditCheck, AuditFilter, AuditRecord, GENESIS, link_hash};
pub use authorization::{Carrying, RequestsOf};
pub use cases::{CaseChange, CaseFilter, CaseOrder, CaseScope};
pub use community::{
    CommunityBulk, Expert, Follower, MemberStats, NewQuestion, PostKind, PostRef, PostRevision, QuestionFilter,
    StoredAnswer, StoredComment, StoredFlag, StoredQuestion,
};
pub use companies::CompanyScope;
pub use engine::{Engine, Store, redact};
pub use error::StoreError;
pub use group_commit::WriteStats;
pub use mail::InboundMail;
pub use outbox::OutboxMessage;
pub use sessions::StoredSession;
pub use status::{Delivery, Subscriber, SubscriberKind};
pub use tokens::{ApiToken, TokenId};
pub use training::{CourseFilter, NewEnrolment, StoredCourse, StoredEnrolment, TrainingBulk, TrainingSession};
pub use users::Credentials;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A new identifier: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn micros(at: jiff::Timestamp) -> i64 {
    at.as_microsecond()
}

fn instant(micros: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(micros).map_err(|e| StoreError::Corrupt(format!("instant {micros}: {e}")))
}
