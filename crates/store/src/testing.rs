//! Throw-away databases for tests: every story runs on SQLite and, when
//! `GUICHET_TEST_POSTGRES_URL` is set, on PostgreSQL too, each in a database
//! of its own that is dropped afterwards.

use std::future::Future;

use sqlx::Connection;

use crate::{Engine, Store};

/// The environment variable naming a PostgreSQL server tests may use (a URL
/// to a database they can connect to and create databases from).
pub const POSTGRES_URL_VAR: &str = "GUICHET_TEST_POSTGRES_URL";

/// A database made for one test.
pub struct TestDatabase {
    pub url: String,
    pub engine: Engine,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// An empty SQLite database in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("guichet.db").display());
        Self {
            url,
            engine: Engine::Sqlite,
            cleanup: Cleanup::Directory(dir),
        }
    }

    /// A new, empty PostgreSQL database, if the environment names a server.
    pub async fn postgres() -> Option<Self> {
        let admin_url = std::env::var(POSTGRES_URL_VAR).ok().filter(|url| !url.is_empty())?;
        let name = format!("guichet_test_{}", crate::new_id());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        Some(Self {
            url: with_database(&admin_url, &name),
            engine: Engine::Postgres,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }

    /// Drops the database (PostgreSQL) or its directory (SQLite).
    pub async fn remove(self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            admin.close().await.ok();
        }
    }
}

/// Runs `story` once per engine on a fresh, migrated store, and drops each
/// database afterwards even when the story fails.
pub async fn on_each_engine<F, Fut>(story: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_on(TestDatabase::sqlite(), &story).await;
    // Made only once SQLite passed, so a failure there leaves nothing behind.
    if let Some(database) = TestDatabase::postgres().await {
        run_on(database, &story).await;
    }
}

async fn run_on<F, Fut>(database: TestDatabase, story: &F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let store = database.store().await;
    let engine = database.engine;
    let outcome = tokio::spawn(story(store.clone())).await;
    store.close().await;
    database.remove().await;
    if let Err(failure) = outcome {
        eprintln!("the story failed on {engine:?}");
        std::panic::resume_unwind(failure.into_panic());
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map(|i| i + authority_start);
    let root = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

/// Benchmark support: bulk data no test needs.
impl Store {
    /// Writes `count` open cases of Dana's company (the demo must be loaded),
    /// the first `due` of them with the `due_clocks`, the others with the
    /// `fresh_clocks` (SQLite only).
    pub async fn bench_fill_cases(
        &self,
        count: u64,
        due: u64,
        due_clocks: &str,
        due_alarm: Option<jiff::Timestamp>,
        fresh_clocks: &str,
        fresh_alarm: Option<jiff::Timestamp>,
    ) -> crate::Result<()> {
        let crate::engine::Db::Sqlite { .. } = &self.db else {
            return Err(crate::StoreError::Corrupt("the bench fills SQLite only".into()));
        };
        let (user, company): (String, String) = read!(self, |c| sqlx::query_as(
            "SELECT id, company_id FROM users WHERE email = 'dana@acme.example'"
        )
        .fetch_one(c)
        .await)?;
        let now = crate::micros(jiff::Timestamp::now());
        write!(self, |c| sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO cases (id, number, company_id, opened_by, product_key, area_key, environment, impact, scope, \
             subject, description, status, priority, priority_reasons, escalated, experts_involved, created_at, \
             updated_at, version, sla, sla_alarm_at, sla_due_at) \
             SELECT 'bench-' || i, 100000 + i, $2, $3, 'financials', 'general_ledger', 'production', 'degraded', \
             'group', 'Load case ' || i, 'Written by the benchmark.', 'in_progress', 'P3', '[]', 0, 0, $4, $4, 1, \
             CASE WHEN i <= $5 THEN $6 ELSE $7 END, CASE WHEN i <= $5 THEN $8 ELSE $9 END, NULL FROM n"
        )
        .bind(count as i64)
        .bind(&company)
        .bind(&user)
        .bind(now)
        .bind(due as i64)
        .bind(due_clocks)
        .bind(fresh_clocks)
        .bind(due_alarm.map(crate::micros))
        .bind(fresh_alarm.map(crate::micros))
        .execute(c)
        .await
        .map(|_| ()))
    }

    /// Every open case's clocks, as stored (the naive watcher's read).
    pub async fn bench_all_open_clocks(&self) -> crate::Result<Vec<String>> {
        Ok(read!(self, |c| sqlx::query_scalar(
            "SELECT sla FROM cases WHERE status NOT IN ('solved', 'closed')"
        )
        .fetch_all(c)
        .await)?)
    }
}

impl Store {
    /// Every outbox row of `kind`, done or not, oldest first: what tests
    /// read to see the mails a change sent.
    pub async fn test_outbox(&self, kind: &str) -> crate::Result<Vec<String>> {
        Ok(read!(self, |c| sqlx::query_scalar(
            "SELECT payload FROM outbox WHERE kind = $1 ORDER BY created_at, id"
        )
        .bind(kind)
        .fetch_all(c)
        .await)?)
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://127.0.0.1", "t1"), "postgres://127.0.0.1/t1");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
    }
}
