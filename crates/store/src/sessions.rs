//! Portal sessions: the records behind the session cookie.

use jiff::Timestamp;

use crate::{Result, Store, micros};

/// A session record: its id, its data (JSON) and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    pub data: String,
    pub expires_at: Timestamp,
}

impl Store {
    /// Inserts a new session; false if the id is taken (the caller draws
    /// another).
    pub async fn insert_session(&self, session: &StoredSession) -> Result<bool> {
        let done = write!(self, |c| sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
        )
        .bind(&session.id)
        .bind(&session.data)
        .bind(micros(session.expires_at))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    pub async fn save_session(&self, session: &StoredSession) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at"
        )
        .bind(&session.id)
        .bind(&session.data)
        .bind(micros(session.expires_at))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The session with this id, unless it expired before `now`.
    pub async fn load_session(&self, id: &str, now: Timestamp) -> Result<Option<StoredSession>> {
        let row: Option<(String, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2"
        )
        .bind(id)
        .bind(micros(now))
        .fetch_optional(c)
        .await)?;
        row.map(|(id, data, expires_at)| {
            Ok(StoredSession {
                id,
                data,
                expires_at: crate::instant(expires_at)?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        write!(self, |c| sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Deletes sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let done = write!(self, |c| sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(micros(now))
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done)
    }
}
