//! Portal sessions kept in the database, so they survive restarts and are
//! shared by every node.

use async_trait::async_trait;
use guichet_store::{Store, StoredSession};
use jiff::Timestamp;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "guichet_session";

pub(crate) fn layer(state: &AppState) -> SessionManagerLayer<DatabaseSessions> {
    SessionManagerLayer::new(DatabaseSessions(state.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(Duration::seconds(
            state.settings.session_idle.as_secs(),
        )))
}

#[derive(Debug, Clone)]
pub struct DatabaseSessions(Store);

fn backend(error: impl std::fmt::Display) -> Error {
    Error::Backend(error.to_string())
}

fn stored(record: &Record) -> Result<StoredSession> {
    Ok(StoredSession {
        id: record.id.to_string(),
        data: serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at: Timestamp::from_second(record.expiry_date.unix_timestamp()).map_err(backend)?,
    })
}

#[async_trait]
impl SessionStore for DatabaseSessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh id until one is free: ids are 128 random bits, so this
        // loops only in theory.
        while !self.0.insert_session(&stored(record)?).await.map_err(backend)? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.0.save_session(&stored(record)?).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some(session) = self
            .0
            .load_session(&id.to_string(), Timestamp::now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&session.data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(session.expires_at.as_second()).map_err(backend)?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.0.delete_session(&id.to_string()).await.map_err(backend)
    }
}
