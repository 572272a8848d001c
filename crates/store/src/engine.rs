//! The two engines behind one `Store`.

use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::group_commit::{GroupWriter, WriteStats};
use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Db {
    /// Writes go through one connection with group commit; reads through
    /// several (WAL lets them run beside the writer).
    Sqlite {
        read: SqlitePool,
        writer: Arc<GroupWriter>,
    },
    Postgres(PgPool),
}

/// The database, on whichever engine the URL names. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
}

/// Runs `$body` with `$c` bound to the reading pool of the engine.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.db {
            $crate::engine::Db::Sqlite { read: $c, .. } => $body,
            $crate::engine::Db::Postgres($c) => $body,
        }
    };
}

/// Like `read!`, for a query whose SQL differs between engines only in
/// the name of the string aggregate (`group_concat` in SQLite, `string_agg`
/// in PostgreSQL): `$sql` names a macro that takes that name and gives the
/// SQL; `$q` is bound to `sqlx::query_as` of it, `$c` to the pool.
macro_rules! read_aggregating {
    ($store:expr, $sql:ident, |$q:ident, $c:ident| $body:expr) => {
        match &$store.db {
            $crate::engine::Db::Sqlite { read: $c, .. } => {
                let $q = sqlx::query_as($sql!("group_concat"));
                $body
            }
            $crate::engine::Db::Postgres($c) => {
                let $q = sqlx::query_as($sql!("string_agg"));
                $body
            }
        }
    };
}

/// Runs one write, `$body`, with `$c` bound to the writing connection
/// (SQLite: a job of the group-commit writer) or pool (PostgreSQL).
/// Evaluates to `Result<T>`.
macro_rules! write {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.db {
            $crate::engine::Db::Sqlite { writer, .. } => {
                let mut job = writer.begin($crate::group_commit::Savepoint::None).await?;
                let outcome: $crate::Result<_> = {
                    let $c = job.connection();
                    $body.map_err($crate::StoreError::from)
                };
                job.finish(outcome).await
            }
            $crate::engine::Db::Postgres($c) => $body.map_err($crate::StoreError::from),
        }
    };
}

/// Runs `$body` in one transaction, with `$tx` bound to its connection;
/// commits when the body completes, rolls back when `?` leaves it early.
/// Evaluates to `Result<T>` with `T` the body's value.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.db {
            $crate::engine::Db::Sqlite { writer, .. } => {
                let mut job = writer.begin($crate::group_commit::Savepoint::Now).await?;
                let outcome: $crate::Result<_> = async {
                    let $tx = job.connection();
                    Ok($body)
                }
                .await;
                job.finish(outcome).await
            }
            $crate::engine::Db::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                let outcome: $crate::Result<_> = async {
                    let $tx = &mut *transaction;
                    Ok($body)
                }
                .await;
                match outcome {
                    Ok(value) => {
                        transaction.commit().await?;
                        Ok(value)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    };
}

impl Store {
    /// Connects to `url`: `sqlite://path` (created if missing) or
    /// `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged write is on disk.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // Each job's savepoint keeps a sub-journal of the pages it
            // changes; in memory rather than in a temporary file, a case's
            // batch takes a sixth less time (bench/README.md).
            let writer_options = options.clone().pragma("temp_store", "memory");
            let writer = Arc::new(GroupWriter::new(writer_options.connect().await?));
            let read = SqlitePoolOptions::new()
                .max_connections(read_connections())
                .connect_with(options.read_only(true))
                .await?;
            Ok(Self {
                db: Db::Sqlite { read, writer },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Self { db: Db::Postgres(pool) })
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    pub fn engine(&self) -> Engine {
        match self.db {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Brings the schema up to date with the migrations embedded in the
    /// binary for this engine.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite { writer, .. } => {
                writer
                    .exclusive(async |connection| Ok(SQLITE_MIGRATIONS.run(connection).await?))
                    .await?
            }
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        read!(self, |c| sqlx::query("SELECT 1")
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, writer } => {
                read.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Write jobs and commits so far (SQLite's group commit; `None` on
    /// PostgreSQL, where transactions commit on their own).
    pub fn write_stats(&self) -> Option<WriteStats> {
        match &self.db {
            Db::Sqlite { writer, .. } => Some(writer.stats()),
            Db::Postgres(_) => None,
        }
    }

    /// How many rows `table` holds (benchmarks and checks).
    pub async fn count_rows(&self, table: &'static str) -> Result<i64> {
        let sql = match table {
            "cases" => "SELECT COUNT(*) FROM cases",
            "settings" => "SELECT COUNT(*) FROM settings",
            "outbox" => "SELECT COUNT(*) FROM outbox",
            other => return Err(StoreError::Corrupt(format!("no count for table `{other}`"))),
        };
        Ok(read!(self, |c| sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)?)
    }

    /// Every table and its columns, sorted: what the two engines' schemas
    /// must agree on.
    pub async fn schema(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = match &self.db {
            Db::Sqlite { read, .. } => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%'",
                )
                .fetch_all(read)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (table, column) in rows {
            tables.entry(table).or_default().push(column);
        }
        Ok(tables
            .into_iter()
            .map(|(table, mut columns)| {
                columns.sort();
                (table, columns)
            })
            .collect())
    }
}

/// A database URL fit for logs and errors: no password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Readers beside the writer: two per core. Each runs on a thread of its
/// own; more only add context switches (measured with `bench/intake`: 4
/// readers on 2 cores beat 2 and 8).
fn read_connections() -> u32 {
    std::thread::available_parallelism().map_or(4, |n| (n.get() as u32 * 2).clamp(2, 16))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact("postgres://guichet:s3cret@db:5432/guichet"),
            "postgres://guichet:***@db:5432/guichet"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }
}
