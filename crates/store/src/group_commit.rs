//! Group commit for SQLite: every write goes through one connection, and the
//! writes that queue up while a commit is on its way to disk are committed
//! together with the next one, one `fsync` for all of them. Throughput comes
//! from sharing the commit, not from weaker durability: a caller hears back
//! only once its batch is on disk (`synchronous = FULL`).
//!
//! How a batch forms: a job locks the connection (a fair, FIFO lock),
//! opens the batch transaction if none is open, runs its statements inside
//! a savepoint, and lets go. Then it locks again to commit: every job that
//! was already waiting gets the connection first and adds its statements to
//! the same batch, so the commit covers them all. A job that fails rolls
//! back to its savepoint and leaves the others alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{Result, StoreError};

pub(crate) struct GroupWriter {
    state: Arc<Mutex<WriterState>>,
    jobs: AtomicU64,
    counters: Arc<Counters>,
}

/// What the writer did, for `WriteStats`.
#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    /// Time jobs held the connection for their statements.
    job_micros: AtomicU64,
    /// Time spent in `COMMIT` (mostly waiting for the disk).
    commit_micros: AtomicU64,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").finish_non_exhaustive()
    }
}

struct WriterState {
    connection: Option<SqliteConnection>,
    /// The batch whose transaction is open, if one is.
    open_batch: Option<u64>,
    next_batch: u64,
    /// Every batch up to this one is over (committed or rolled back).
    finished: u64,
    /// The last batch whose commit failed, with why.
    failed: Option<(u64, String)>,
    /// A job's savepoint is open: its caller went away in the middle.
    job_open: bool,
}

impl WriterState {
    fn connection(&mut self) -> Result<&mut SqliteConnection> {
        self.connection
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("the store is closed".into()))
    }

    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql).execute(self.connection()?).await?;
        Ok(())
    }

    /// Undoes what a cancelled job left in the batch.
    async fn recover(&mut self) -> Result<()> {
        if self.job_open {
            // The savepoint may already be released if the job was cancelled
            // between its last statement and the release: then its writes
            // stay in the batch, like a commit that raced a disconnect.
            let _ = self.execute("ROLLBACK TO job").await;
            let _ = self.execute("RELEASE job").await;
            self.job_open = false;
        }
        Ok(())
    }
}

/// How many write jobs and how many commits the writer has done: their
/// ratio is the size of the average batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub jobs: u64,
    pub commits: u64,
    /// Time jobs held the writer for their statements, in microseconds.
    pub job_micros: u64,
    /// Time spent committing, in microseconds.
    pub commit_micros: u64,
}

impl GroupWriter {
    pub(crate) fn new(connection: SqliteConnection) -> Self {
        Self {
            state: Arc::new(Mutex::new(WriterState {
                connection: Some(connection),
                open_batch: None,
                next_batch: 1,
                finished: 0,
                failed: None,
                job_open: false,
            })),
            jobs: AtomicU64::new(0),
            counters: Arc::new(Counters::default()),
        }
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            jobs: self.jobs.load(Ordering::Relaxed),
            commits: self.counters.commits.load(Ordering::Relaxed),
            job_micros: self.counters.job_micros.load(Ordering::Relaxed),
            commit_micros: self.counters.commit_micros.load(Ordering::Relaxed),
        }
    }

    /// Starts a job: the connection is the caller's until `finish`.
    pub(crate) async fn begin(&self, savepoint: Savepoint) -> Result<Job> {
        let mut state = self.state.clone().lock_owned().await;
        let started = Instant::now();
        state.recover().await?;
        let batch = match state.open_batch {
            Some(batch) => batch,
            None => {
                state.execute("BEGIN IMMEDIATE").await?;
                let batch = state.next_batch;
                state.next_batch += 1;
                state.open_batch = Some(batch);
                batch
            }
        };
        match savepoint {
            Savepoint::Now => {
                state.execute("SAVEPOINT job").await?;
                state.job_open = true;
            }
            // Should the query be cut short, the next job rolls back to the
            // savepoint if the query got to make it.
            Savepoint::InQuery => state.job_open = true,
            Savepoint::None => {}
        }
        self.jobs.fetch_add(1, Ordering::Relaxed);
        Ok(Job {
            state,
            batch,
            started,
            savepoint,
            writer: self.state.clone(),
            counters: self.counters.clone(),
        })
    }

    /// Runs `work` on the connection outside any batch (migrations).
    pub(crate) async fn exclusive<T>(&self, work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T>) -> Result<T> {
        let mut state = self.state.lock().await;
        state.recover().await?;
        if state.open_batch.is_some() {
            commit_open_batch(&mut state, &self.counters).await;
        }
        work(state.connection()?).await
    }

    pub(crate) async fn close(&self) {
        let mut state = self.state.lock().await;
        let _ = state.recover().await;
        if state.open_batch.is_some() {
            commit_open_batch(&mut state, &self.counters).await;
        }
        if let Some(connection) = state.connection.take() {
            let _ = connection.close().await;
        }
    }
}

/// Commits the open batch; records a failure for its jobs to find.
async fn commit_open_batch(state: &mut WriterState, counters: &Counters) {
    let Some(batch) = state.open_batch.take() else {
        return;
    };
    let started = Instant::now();
    let committed = state.execute("COMMIT").await;
    counters
        .commit_micros
        .fetch_add(micros_since(started), Ordering::Relaxed);
    if let Err(error) = committed {
        tracing::error!(%error, batch, "group commit failed");
        let _ = state.execute("ROLLBACK").await;
        state.failed = Some((batch, error.to_string()));
    } else {
        counters.commits.fetch_add(1, Ordering::Relaxed);
    }
    state.finished = batch;
}

/// How a job keeps its statements apart from its batch mates'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Savepoint {
    /// A savepoint before the job's statements, released after them.
    Now,
    /// The job's one (multi-statement) query opens `SAVEPOINT job` and
    /// ends with `RELEASE job` itself: one round trip for the whole job.
    InQuery,
    /// A single statement, atomic on its own.
    None,
}

/// One caller's turn on the writer.
pub(crate) struct Job {
    state: OwnedMutexGuard<WriterState>,
    batch: u64,
    started: Instant,
    savepoint: Savepoint,
    writer: Arc<Mutex<WriterState>>,
    counters: Arc<Counters>,
}

fn micros_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl Job {
    pub(crate) fn connection(&mut self) -> &mut SqliteConnection {
        self.state
            .connection
            .as_mut()
            .expect("a job starts only on an open store")
    }

    /// Ends the job: on success its statements join the batch and it
    /// returns once the batch is on disk; on failure they are undone. The
    /// commit runs to the end even if the caller stops waiting.
    pub(crate) async fn finish<T: Send + 'static>(self, outcome: Result<T>) -> Result<T> {
        let Job {
            mut state,
            batch,
            started,
            savepoint,
            writer,
            counters,
        } = self;
        let outcome = match (outcome, savepoint) {
            (Ok(value), Savepoint::Now) => match state.execute("RELEASE job").await {
                Ok(()) => Ok(value),
                Err(error) => Err(error),
            },
            (outcome, Savepoint::None) | (outcome @ Ok(_), Savepoint::InQuery) => outcome,
            (Err(error), _) => Err(error),
        };
        if outcome.is_err() && savepoint != Savepoint::None {
            let _ = state.execute("ROLLBACK TO job").await;
            let _ = state.execute("RELEASE job").await;
        }
        state.job_open = false;
        counters.job_micros.fetch_add(micros_since(started), Ordering::Relaxed);
        // Let the jobs already waiting add theirs to the batch.
        drop(state);
        let value = outcome?;
        let committing = tokio::spawn(async move {
            let mut state = writer.lock().await;
            if state.finished < batch {
                state.recover().await?;
                commit_open_batch(&mut state, &counters).await;
            }
            match &state.failed {
                Some((failed, why)) if *failed == batch => {
                    Err(StoreError::Corrupt(format!("the commit failed: {why}")))
                }
                _ => Ok(()),
            }
        });
        committing
            .await
            .map_err(|e| StoreError::Corrupt(format!("the writer task failed: {e}")))??;
        Ok(value)
    }
}
