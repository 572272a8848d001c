//! SLA clock figures, each against a baseline in the same run:
//!
//! - `add` over a business calendar (France, with its holidays) against a
//!   naive clock that steps minute by minute;
//! - the breach watcher over 1,000,000 open cases on SQLite, which finds
//!   its work through the `sla_alarm_at` index, against a watcher that
//!   reads every open case's clocks.
//!
//!     cargo run --release -p guichet-bench --bin sla -- --cases 1000000

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use guichet::config::{Config, DatabaseUrl};
use guichet_domain::calendar::BusinessCalendar;
use guichet_domain::case_sla::{CaseClocks, SlaContext};
use guichet_domain::country::CountryCode;
use guichet_domain::holidays::business_calendar_for;
use guichet_domain::priority::Priority;
use guichet_domain::sla::SlaPolicy;
use guichet_store::testing::TestDatabase;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Parser)]
struct Args {
    /// Open cases in the database for the watcher run.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Of which this many have an alarm due now.
    #[arg(long, default_value_t = 1_000)]
    due: u64,
    /// `add` computations in each timed loop.
    #[arg(long, default_value_t = 200_000)]
    additions: u64,
}

/// The naive clock: one minute at a time.
fn add_minute_by_minute(calendar: &BusinessCalendar, start: Timestamp, duration: SignedDuration) -> Timestamp {
    let mut at = start;
    let mut left = duration.as_mins();
    while left > 0 {
        if calendar.is_open(at) {
            left -= 1;
        }
        at += SignedDuration::from_mins(1);
    }
    at
}

fn starts(n: u64) -> impl Iterator<Item = (Timestamp, SignedDuration)> {
    let origin = Timestamp::from_second(1_780_000_020).expect("a valid instant (a whole minute)");
    (0..n).map(move |i| {
        // Spread over a year, at odd minutes, with targets of 1 to 48 hours.
        let start = origin + SignedDuration::from_mins(((i * 7919) % (365 * 24 * 60)) as i64);
        let duration = SignedDuration::from_hours(1 + (i % 48) as i64);
        (start, duration)
    })
}

fn additions(args: &Args) -> anyhow::Result<()> {
    let france = CountryCode::parse("FR")?;
    let calendar = business_calendar_for(france, france.default_time_zone().time_zone(), None, 2026..=2028)?;
    let started = Instant::now();
    let mut checksum = 0i64;
    for (start, duration) in starts(args.additions) {
        checksum ^= calendar.add(start, duration).context("the calendar opens")?.as_second();
    }
    let ours = started.elapsed();
    // The naive clock is far slower: time fewer of them, and check they agree.
    let naive_count = (args.additions / 200).max(100);
    let started = Instant::now();
    for (start, duration) in starts(naive_count) {
        let naive = add_minute_by_minute(&calendar, start, duration);
        anyhow::ensure!(
            Some(naive) == calendar.add(start, duration),
            "the clocks disagree at {start}"
        );
    }
    let naive = started.elapsed();
    let per_second = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "add (France, 1–48 business hours): {:.0} /s; minute by minute: {:.0} /s; ratio {:.0}× (checksum {checksum})",
        per_second(args.additions, ours),
        per_second(naive_count, naive),
        per_second(args.additions, ours) / per_second(naive_count, naive),
    );
    Ok(())
}

async fn watcher(args: &Args) -> anyhow::Result<()> {
    let database = TestDatabase::sqlite();
    let config = Config {
        database_url: DatabaseUrl(database.url.clone()),
        ..Config::default()
    };
    let store = guichet::open_store(&config).await?;
    guichet::demo::seed(&store, Timestamp::now()).await?;
    let now = Timestamp::now();
    // Clocks as Guichet writes them: a P3 first response running on the
    // company's calendar, started a week ago (due long ago) or just now.
    let policy = SlaPolicy::default();
    let france = CountryCode::parse("FR")?;
    let calendar = business_calendar_for(france, france.default_time_zone().time_zone(), None, 2025..=2028)?;
    let context = SlaContext {
        policy: &policy,
        tier: "standard",
        calendar: &calendar,
    };
    let overdue = CaseClocks::opened(context, Priority::P3, now - SignedDuration::from_hours(24 * 7));
    let fresh = CaseClocks::opened(context, Priority::P3, now);
    let started = Instant::now();
    store
        .bench_fill_cases(
            args.cases,
            args.due,
            &serde_json::to_string(&overdue)?,
            overdue.next_alarm(),
            &serde_json::to_string(&fresh)?,
            fresh.next_alarm(),
        )
        .await?;
    println!(
        "{} open cases written in {:.1} s ({} with an alarm due)",
        args.cases,
        started.elapsed().as_secs_f64(),
        args.due
    );

    // Baseline: read every open case's clocks and ask each.
    let started = Instant::now();
    let all = store.bench_all_open_clocks().await?;
    let mut due = 0;
    for clocks in &all {
        let mut clocks: CaseClocks = serde_json::from_str(clocks)?;
        if !clocks.raise_alarms(now).is_empty() {
            due += 1;
        }
    }
    let scan = started.elapsed();
    anyhow::ensure!(due == args.due as usize, "the scan found {due} due cases");

    // Guichet: the watcher itself, through the index, raising and saving.
    let state = guichet_web::AppState::new(
        store.clone(),
        Default::default(),
        config.web_settings(),
        guichet_web::Clock::fixed(now),
    );
    let started = Instant::now();
    let mut raised = 0;
    loop {
        let round = guichet_web::cases::watch_clocks(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
        if round == 0 {
            break;
        }
        raised += round;
    }
    let watched = started.elapsed();
    // A round with nothing due: what the watcher costs every 15 seconds.
    let started = Instant::now();
    let idle_rounds = 100;
    for _ in 0..idle_rounds {
        guichet_web::cases::watch_clocks(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    }
    let idle = started.elapsed() / idle_rounds;
    println!(
        "watcher over {} open cases: raised {raised} alarms in {:.0} ms (found through the index, each written with its event); \
         an idle round {:.2} ms",
        args.cases,
        watched.as_secs_f64() * 1000.0,
        idle.as_secs_f64() * 1000.0
    );
    println!(
        "baseline (read every open case's clocks, no writes): {:.0} ms; idle round ratio {:.0}× faster",
        scan.as_secs_f64() * 1000.0,
        scan.as_secs_f64() / idle.as_secs_f64()
    );
    store.close().await;
    database.remove().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    additions(&args)?;
    watcher(&args).await
}
