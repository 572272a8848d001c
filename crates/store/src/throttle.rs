//! Failed-login counters, per account and per address.

use guichet_domain::login::Failures;

use crate::{Result, Store, instant, micros};

impl Store {
    pub async fn login_failures(&self, key: &str) -> Result<Option<Failures>> {
        let row: Option<(i32, i64, Option<i64>)> = read!(self, |c| sqlx::query_as(
            "SELECT failures, window_started_at, locked_until FROM login_failures WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(c)
        .await)?;
        row.map(|(count, started, locked)| {
            Ok(Failures {
                count: u32::try_from(count).unwrap_or(0),
                window_started_at: instant(started)?,
                locked_until: locked.map(instant).transpose()?,
            })
        })
        .transpose()
    }

    pub async fn put_login_failures(&self, key: &str, failures: &Failures) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO login_failures (key, failures, window_started_at, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             window_started_at = excluded.window_started_at, locked_until = excluded.locked_until"
        )
        .bind(key)
        .bind(i32::try_from(failures.count).unwrap_or(i32::MAX))
        .bind(micros(failures.window_started_at))
        .bind(failures.locked_until.map(micros))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        write!(self, |c| sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
