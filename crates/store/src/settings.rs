//! Small facts about the installation itself (which demo data set was
//! loaded, …).

use crate::{Result, Store};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(read!(self, |c| sqlx::query_scalar(
            "SELECT value FROM settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(c)
        .await)?)
    }

    pub async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        .bind(key)
        .bind(value)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
