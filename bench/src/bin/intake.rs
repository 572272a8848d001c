//! Case intake under load: `POST /api/v1/cases` on SQLite at N concurrent
//! connections, against a baseline run in the same command — a bare axum
//! server that inserts one row of the same size per request through the
//! same group-commit writer at the same durability (WAL, synchronous =
//! FULL). Afterwards, every acknowledged case is counted on disk.
//!
//!     cargo run --release -p guichet-bench --bin intake -- --seconds 10 --connections 64

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use guichet::Server;
use guichet::config::{Config, DatabaseUrl};
use guichet_store::Store;
use guichet_store::testing::TestDatabase;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// How long each run lasts (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections (one request in flight on each).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Run Guichet only (for profiling), without the baseline.
    #[arg(long)]
    guichet_only: bool,
}

/// The request body: a realistic case.
fn case_body(n: usize) -> Value {
    const AREAS: [&str; 5] = [
        "general_ledger",
        "accounts_payable",
        "accounts_receivable",
        "cash_management",
        "reporting",
    ];
    const IMPACTS: [&str; 3] = ["blocked", "degraded", "question"];
    json!({
        "product": "financials",
        "area": AREAS[n % 5],
        "environment": "production",
        "impact": IMPACTS[n % 3],
        "scope": "group",
        "subject": format!("Journal entries will not post (load test {n})"),
        "description": "Posting fails with error GL-4012 since this morning. Several users in accounting are affected; \
                        the period is open and the entries balance. Screenshots are available on request.",
        "steps": "1. Open General ledger > Journal entries\n2. Create a two-line entry\n3. Post",
        "expected": "The entry is posted and appears in the trial balance.",
    })
}

struct Outcome {
    label: &'static str,
    acknowledged: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.acknowledged as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }

    fn print(&self) {
        println!(
            "{:<10} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} acknowledged, {} failed)",
            self.label,
            self.rps(),
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
            self.acknowledged,
            self.failed,
        );
    }
}

/// Drives `connections` loops of POSTs at `url` for the warm-up and then
/// the measured time; only the measured requests count.
async fn load(label: &'static str, url: String, tokens: Vec<String>, args: &Args) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..args.connections {
        let client = client.clone();
        let url = url.clone();
        let token = tokens[worker % tokens.len()].clone();
        let (measuring, stop) = (measuring.clone(), stop.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            let mut n = worker;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let response = client.post(&url).bearer_auth(&token).json(&case_body(n)).send().await;
                let ok = matches!(&response, Ok(r) if r.status() == StatusCode::CREATED);
                if measuring.load(Ordering::Relaxed) {
                    if ok {
                        latencies.push(started.elapsed());
                    } else {
                        failed += 1;
                    }
                }
                n += 1;
            }
            (latencies, failed)
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failed = 0;
    while let Some(worker) = workers.join_next().await {
        let (mut l, f) = worker?;
        latencies.append(&mut l);
        failed += f;
    }
    latencies.sort();
    Ok(Outcome {
        label,
        acknowledged: latencies.len(),
        failed,
        elapsed,
        latencies,
    })
}

/// The baseline: one handler, one row per request, group commit.
async fn baseline(args: &Args) -> anyhow::Result<(Outcome, i64)> {
    let database = TestDatabase::sqlite();
    let store = database.store().await;
    async fn intake(State(store): State<Store>, Json(body): Json<Value>) -> StatusCode {
        let key = guichet_store::new_id();
        match store.put_setting(&key, &body.to_string()).await {
            Ok(()) => StatusCode::CREATED,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    let app = axum::Router::new()
        .route("/cases", post(intake))
        .with_state(store.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address: SocketAddr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let before = count(&database, "settings").await?;
    let outcome = load("baseline", format!("http://{address}/cases"), vec![String::new()], args).await?;
    server.abort();
    if let Some(stats) = store.write_stats() {
        print_stats(stats);
    }
    store.close().await;
    let stored = count(&database, "settings").await? - before;
    database.remove().await;
    Ok((outcome, stored))
}

/// Guichet: the real server, the real route, demo users.
async fn guichet(args: &Args) -> anyhow::Result<(Outcome, i64)> {
    let database = TestDatabase::sqlite();
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: DatabaseUrl(database.url.clone()),
        search: guichet::config::SearchConfig::in_memory(),
        ..Config::default()
    };
    let store = guichet::open_store(&config).await?;
    guichet::demo::seed(&store, jiff::Timestamp::now()).await?;
    let server = Server::start(&config, store, guichet_web::Clock::system()).await?;
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for email in [
        "dana@acme.example",
        "marie@lumiere.example",
        "chef@lumiere.example",
        "bruce@koala.example",
        "jonas@brezel.example",
    ] {
        let response = client
            .post(format!("{}/api/v1/auth/token", server.url()))
            .json(&json!({"email": email, "password": guichet::demo::PASSWORD}))
            .send()
            .await?;
        let body: Value = response.json().await?;
        tokens.push(body["token"].as_str().context("a token")?.to_owned());
    }
    let before = count(&database, "cases").await?;
    let outcome = load("guichet", format!("{}/api/v1/cases", server.url()), tokens, args).await?;
    let stats = server.store.write_stats();
    server.shutdown().await?;
    let stored = count(&database, "cases").await? - before;
    if let Some(stats) = stats {
        print_stats(stats);
    }
    database.remove().await;
    Ok((outcome, stored))
}

fn print_stats(stats: guichet_store::WriteStats) {
    {
        println!(
            "           group commit: {} writes in {} commits; per write {:.0} µs of statements; per commit {:.0} µs",
            stats.jobs,
            stats.commits,
            stats.job_micros as f64 / stats.jobs.max(1) as f64,
            stats.commit_micros as f64 / stats.commits.max(1) as f64,
        );
    }
}

/// Rows in `table`, read through a fresh connection: what is on disk.
async fn count(database: &TestDatabase, table: &'static str) -> anyhow::Result<i64> {
    let store = Store::connect(&database.url).await?;
    let n = store.count_rows(table).await?;
    store.close().await;
    Ok(n)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "Case intake on SQLite (WAL, synchronous = FULL), {} connections, {} s each after 1 s warm-up",
        args.connections, args.seconds
    );
    if args.guichet_only {
        let (ours, _) = guichet(&args).await?;
        ours.print();
        return Ok(());
    }
    let (base, base_stored) = baseline(&args).await?;
    base.print();
    let (ours, stored) = guichet(&args).await?;
    ours.print();
    let ratio = ours.rps() / base.rps();
    let p99_ms = ours.percentile(0.99).as_secs_f64() * 1000.0;
    println!("ratio guichet / baseline: {ratio:.2} (target ≥ 0.50); guichet p99 {p99_ms:.2} ms (target ≤ 20 ms)");
    // Every acknowledged request is on disk (the warm-up's too, so ≥).
    println!(
        "on disk: baseline {base_stored} rows ≥ {} acknowledged; guichet {stored} cases ≥ {} acknowledged",
        base.acknowledged, ours.acknowledged
    );
    if base_stored < base.acknowledged as i64 || stored < ours.acknowledged as i64 {
        bail!("an acknowledged write is missing from disk");
    }
    if ours.failed > 0 {
        bail!("{} case requests failed", ours.failed);
    }
    Ok(())
}
