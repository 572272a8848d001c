//! The `guichet` binary's wiring: configuration, the store, the HTTP
//! server, background housekeeping, demo data and admin commands. `main.rs`
//! is only the command line.

pub mod admin;
pub mod config;
pub mod demo;
pub mod kb;
pub mod mail_cli;
pub mod maintenance_cli;
pub mod sla_cli;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use guichet_search::{Opened, SearchIndex};
use guichet_store::Store;
use guichet_web::knowledge::{self, Search};
use guichet_web::{AppState, Clock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// Connects to the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database_url()?;
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("connecting to {}", guichet_store::redact(&url)))?;
    store.migrate().await.context("running migrations")?;
    Ok(store)
}

/// Opens this node's search index (R8) and brings it up to date: rebuilt
/// from the database when it is new, of another version or too far behind
/// the outbox, else caught up with the changes it missed.
pub async fn open_search(config: &Config, store: &Store) -> anyhow::Result<Arc<Search>> {
    let (index, opened) = match config.search_index_dir() {
        None => (SearchIndex::in_memory(), Opened::Empty),
        Some(dir) => {
            SearchIndex::open(&dir).with_context(|| format!("opening the search index in {}", dir.display()))?
        }
    };
    let search = Search::new(index);
    let now = jiff::Timestamp::now();
    if opened == Opened::Empty || knowledge::needs_rebuild(&search, now)? {
        let count = knowledge::rebuild(store, &search, now)
            .await
            .context("building the search index")?;
        tracing::info!(articles = count, "search index built");
    }
    knowledge::catch_up(store, &search)
        .await
        .context("updating the search index")?;
    Ok(search)
}

/// A running server.
pub struct Server {
    pub address: SocketAddr,
    pub store: Store,
    /// This node's search index.
    pub search: Arc<Search>,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    housekeeping: JoinHandle<()>,
    indexer: JoinHandle<()>,
}

impl Server {
    /// Binds the configured address (port 0 picks a free one), migrates
    /// and serves until `shutdown` is called.
    pub async fn start(config: &Config, store: Store, clock: Clock) -> anyhow::Result<Self> {
        let address = config.listen_address()?;
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address}"))?;
        let address = listener.local_addr()?;
        let search = open_search(config, &store).await?;
        let state = AppState::with_search(
            store.clone(),
            config.support_policy()?,
            config.web_settings(),
            clock,
            search.clone(),
        );
        let app = guichet_web::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, mut stopped) = watch::channel(false);
        let mut stopped_too = stopped.clone();
        let mut indexer_stopped = stopped.clone();
        let (indexer_store, indexer_search) = (store.clone(), search.clone());
        let indexer = tokio::spawn(async move {
            // Every second: index what any node changed (the outbox feed).
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        if let Err(error) = knowledge::catch_up(&indexer_store, &indexer_search).await {
                            tracing::warn!(%error, "updating the search index");
                        }
                    }
                    _ = indexer_stopped.changed() => break,
                }
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        let housekeeping = tokio::spawn(async move {
            // Every 15 s: raise the SLA alarms that are due; every minute:
            // close solved cases whose reopen period is over; every hour:
            // delete expired sessions.
            let mut every = tokio::time::interval(Duration::from_secs(15));
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        housekeep(&state, ticks).await;
                        ticks += 1;
                    }
                    _ = stopped_too.changed() => break,
                }
            }
        });
        Ok(Self {
            address,
            store,
            search,
            stop,
            task,
            housekeeping,
            indexer,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops taking connections, lets requests in flight finish, closes
    /// the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("server task")??;
        let _ = self.housekeeping.await;
        let _ = self.indexer.await;
        self.store.close().await;
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

async fn housekeep(state: &AppState, tick: u64) {
    // R26: chain the audit entries written since the last round.
    if let Err(error) = state.store.chain_audit(10_000).await {
        tracing::warn!(%error, "chaining the audit log");
    }
    // R24: webhook deliveries that are due (new ones and retries).
    match guichet_web::status::deliver_webhooks(state).await {
        Ok(count) if count > 0 => tracing::info!(count, "status webhooks delivered"),
        Ok(_) => {}
        Err(error) => tracing::warn!(code = %error.code, "delivering status webhooks"),
    }
    // Notifications into mails in each reader's language; due mails out
    // (SMTP, or .eml files), retried with backoff.
    match guichet_web::mail::deliver_mail(state).await {
        Ok(round) if round.queued + round.sent + round.failed > 0 => {
            tracing::info!(queued = round.queued, sent = round.sent, failed = round.failed, "mail");
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(code = %error.code, "delivering mail"),
    }
    match guichet_web::cases::watch_clocks(state).await {
        Ok(count) if count > 0 => tracing::info!(count, "SLA alarms raised"),
        Ok(_) => {}
        Err(error) => tracing::warn!(code = %error.code, "watching SLA clocks"),
    }
    // R25: product password resets for the identity system.
    match guichet_web::authorization::deliver_identity_webhooks(state).await {
        Ok(count) if count > 0 => tracing::info!(count, "identity webhooks delivered"),
        Ok(_) => {}
        Err(error) => tracing::warn!(code = %error.code, "delivering identity webhooks"),
    }
    if tick.is_multiple_of(4) {
        match guichet_web::authorization::expire(state).await {
            Ok(count) if count > 0 => tracing::info!(count, "authorization requests expired"),
            Ok(_) => {}
            Err(error) => tracing::warn!(code = %error.code, "expiring authorization requests"),
        }
        match guichet_web::cases::close_solved_cases(state).await {
            Ok(count) if count > 0 => tracing::info!(count, "solved cases closed"),
            Ok(_) => {}
            Err(error) => tracing::warn!(code = %error.code, "closing solved cases"),
        }
    }
    if tick.is_multiple_of(240) {
        // R17: closed cases' files, after the retention period.
        match guichet_web::attachments::apply_retention(state).await {
            Ok(count) if count > 0 => tracing::info!(count, "attachments deleted after the retention period"),
            Ok(_) => {}
            Err(error) => tracing::warn!(code = %error.code, "deleting attachments after the retention period"),
        }
        match state.store.delete_expired_sessions(state.clock.now()).await {
            Ok(count) if count > 0 => tracing::info!(count, "expired sessions deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "deleting expired sessions"),
        }
        match knowledge::prune_feed(&state.store, state.clock.now()).await {
            Ok(count) if count > 0 => tracing::info!(count, "old search index feed rows deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "pruning the search index feed"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Logs as text or JSON lines, filtered by `RUST_LOG` (default `info`).
pub fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    // Logs go to standard error: standard output is for what a command
    // answers (`guichet maintenance next`, the demo's banner).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
