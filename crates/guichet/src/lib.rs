//! The `guichet` binary's wiring: configuration, the store, the HTTP
//! server, background housekeeping, demo data and admin commands. `main.rs`
//! is only the command line.

pub mod admin;
pub mod config;
pub mod demo;
pub mod sla_cli;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use guichet_store::Store;
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

/// A running server.
pub struct Server {
    pub address: SocketAddr,
    pub store: Store,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    housekeeping: JoinHandle<()>,
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
        let state = AppState::new(store.clone(), config.support_policy()?, config.web_settings(), clock);
        let app = guichet_web::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, mut stopped) = watch::channel(false);
        let mut stopped_too = stopped.clone();
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
            stop,
            task,
            housekeeping,
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
    match guichet_web::cases::watch_clocks(state).await {
        Ok(count) if count > 0 => tracing::info!(count, "SLA alarms raised"),
        Ok(_) => {}
        Err(error) => tracing::warn!(code = %error.code, "watching SLA clocks"),
    }
    if tick.is_multiple_of(4) {
        match guichet_web::cases::close_solved_cases(state).await {
            Ok(count) if count > 0 => tracing::info!(count, "solved cases closed"),
            Ok(_) => {}
            Err(error) => tracing::warn!(code = %error.code, "closing solved cases"),
        }
    }
    if tick.is_multiple_of(240) {
        match state.store.delete_expired_sessions(state.clock.now()).await {
            Ok(count) if count > 0 => tracing::info!(count, "expired sessions deleted"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "deleting expired sessions"),
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
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
