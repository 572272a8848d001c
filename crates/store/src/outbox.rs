//! The outbox: work for the workers, written in the same transaction as the
//! change that calls for it (a notification, later an index update), so a
//! change and its follow-up are never one without the other.

use jiff::Timestamp;

use crate::{Result, Store, instant, micros};

/// One piece of follow-up work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    /// What kind of work (`notification`, …).
    pub kind: String,
    /// Its details, as JSON.
    pub payload: String,
    pub created_at: Timestamp,
}

impl OutboxMessage {
    pub fn new(kind: &str, payload: &impl serde::Serialize, now: Timestamp) -> Self {
        Self {
            id: crate::new_id(),
            kind: kind.to_owned(),
            payload: serde_json::to_string(payload).expect("outbox payloads serialize"),
            created_at: now,
        }
    }
}

/// Inserts outbox rows inside a transaction body, in one statement.
macro_rules! insert_outbox {
    ($tx:ident, $messages:expr) => {
        let messages = $messages;
        if !messages.is_empty() {
            let sql = $crate::cases::insert_rows(
                "outbox",
                "id, kind, payload, created_at, available_at, attempts",
                messages.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for message in messages {
                query = query
                    .bind(&message.id)
                    .bind(&message.kind)
                    .bind(&message.payload)
                    .bind($crate::micros(message.created_at))
                    .bind($crate::micros(message.created_at))
                    .bind(0i32);
            }
            query.execute(&mut *$tx).await?;
        }
    };
}

impl Store {
    /// Work not done yet, oldest first.
    pub async fn pending_outbox(&self, kind: &str, now: Timestamp, limit: i64) -> Result<Vec<OutboxMessage>> {
        let rows: Vec<(String, String, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT id, kind, payload, created_at FROM outbox \
             WHERE done_at IS NULL AND kind = $1 AND available_at <= $2 ORDER BY created_at, id LIMIT $3"
        )
        .bind(kind)
        .bind(micros(now))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, kind, payload, created_at)| {
                Ok(OutboxMessage {
                    id,
                    kind,
                    payload,
                    created_at: instant(created_at)?,
                })
            })
            .collect()
    }

    /// Marks all pending work of `kind` created before `before` as done
    /// (the demo data's notifications, which nobody should receive).
    pub async fn complete_outbox_before(&self, kind: &str, before: Timestamp, now: Timestamp) -> Result<u64> {
        write!(self, |c| sqlx::query(
            "UPDATE outbox SET done_at = $3 WHERE done_at IS NULL AND kind = $1 AND created_at <= $2"
        )
        .bind(kind)
        .bind(micros(before))
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
    }

    pub async fn complete_outbox(&self, id: &str, now: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE outbox SET done_at = $2, attempts = attempts + 1 WHERE id = $1"
        )
        .bind(id)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|_| ()))
    }
}
