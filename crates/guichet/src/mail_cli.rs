//! `guichet mail ingest`: one RFC 5322 message on standard input, as a
//! mail server's pipe delivery hands it over (Postfix `pipe`, a
//! `.forward`/`aliases` entry `|guichet mail ingest`); its outcome on
//! standard output as JSON.
//!
//! Exit status: 0 when the message was taken (accepted or refused: either
//! way it is recorded and the sender answered), 75 (`EX_TEMPFAIL`) when
//! its sender could not be checked for now (DNS), so the mail server tries
//! again later, 1 on any other error.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use guichet_web::mail::{MAX_MESSAGE_BYTES, Received};
use guichet_web::{AppState, Clock};

use crate::config::Config;

/// `EX_TEMPFAIL` (sysexits.h): the mail server keeps the message and
/// tries again.
pub const TEMPORARY_FAILURE: i32 = 75;

/// Reads at most one byte more than a message may have, so a larger one
/// is refused rather than read whole.
pub fn read_message(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    input.take(MAX_MESSAGE_BYTES as u64 + 1).read_to_end(&mut raw)?;
    Ok(raw)
}

/// Takes `raw` with the configured store; `dns_records` replaces
/// `mail.dns_records`. Returns the outcome, or the exit status of a
/// failure with its message.
pub async fn ingest(
    config: &Config,
    dns_records: Option<PathBuf>,
    raw: &[u8],
) -> Result<Received, (i32, anyhow::Error)> {
    let fail = |error: anyhow::Error| (1, error);
    let mut settings = config.web_settings();
    if let Some(path) = dns_records {
        guichet_web::mail::auth::DnsRecords::load(&path).map_err(|e| fail(anyhow::anyhow!("--dns-records: {e}")))?;
        settings.mail.dns_records = Some(path);
    }
    let store = crate::open_store(config).await.map_err(fail)?;
    let policy = config.support_policy().map_err(fail)?;
    let state = AppState::new(store.clone(), policy, settings, Clock::system());
    let outcome = guichet_web::mail::receive(&state, raw).await;
    store.close().await;
    outcome.map_err(|error| {
        let status = if error.code == "mail_auth_unavailable" {
            TEMPORARY_FAILURE
        } else {
            1
        };
        (status, anyhow::anyhow!("{}: {}", error.code, error.detail))
    })
}

/// Runs the command: reads standard input, prints the outcome.
pub async fn run(config: &Config, dns_records: Option<PathBuf>) -> i32 {
    let raw = match read_message(&mut std::io::stdin().lock()).context("reading the message") {
        Ok(raw) => raw,
        Err(error) => {
            eprintln!("{error:#}");
            return TEMPORARY_FAILURE;
        }
    };
    match ingest(config, dns_records, &raw).await {
        Ok(received) => {
            println!("{}", serde_json::to_string(&received).expect("an outcome serializes"));
            0
        }
        Err((status, error)) => {
            eprintln!("{error:#}");
            status
        }
    }
}
