//! `guichet maintenance`: a product's maintenance windows (R23) on the
//! command line, from the configured database; a database that holds no
//! window for the product (a fresh install) answers with the demo's
//! weekly windows, and says so on standard error.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use guichet_domain::maintenance;
use guichet_domain::product::ProductKey;
use guichet_store::Store;
use jiff::Timestamp;

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Print a product's next maintenance windows, one per line: start and
    /// end as RFC 3339 UTC, separated by a space. Skipped and cancelled
    /// occurrences are left out; a window under way at --after is first.
    Next {
        /// The product's key (`financials`, `time`).
        #[arg(long)]
        product: String,
        /// Windows that end after this instant (RFC 3339; default now).
        #[arg(long, value_name = "INSTANT")]
        after: Option<String>,
        /// How many windows.
        #[arg(long, default_value_t = 3)]
        count: usize,
        /// The data directory (SQLite database).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

impl MaintenanceCommand {
    pub fn data_dir(&self) -> Option<&PathBuf> {
        match self {
            Self::Next { data_dir, .. } => data_dir.as_ref(),
        }
    }
}

/// What `guichet maintenance` prints, and whether the demo's windows stood
/// in for a database without any.
pub async fn run(command: &MaintenanceCommand, store: &Store, now: Timestamp) -> anyhow::Result<(Vec<String>, bool)> {
    let MaintenanceCommand::Next {
        product, after, count, ..
    } = command;
    let product = ProductKey::parse(product).map_err(|e| anyhow::anyhow!("--product: {e}"))?;
    let after: Timestamp = match after {
        Some(text) => text
            .trim()
            .parse()
            .with_context(|| format!("--after `{text}` is not an RFC 3339 instant such as 2026-03-06T00:00:00Z"))?,
        None => now,
    };
    let stored = store.windows(Some(&product)).await?;
    let (windows, defaults) = if stored.is_empty() {
        let defaults: Vec<_> = crate::demo::status::weekly_windows(now)
            .into_iter()
            .filter(|w| w.product == product)
            .collect();
        let known = store.products().await?.iter().any(|p| p.key == product);
        if defaults.is_empty() && !known {
            anyhow::bail!("there is no product `{}`", product.as_str());
        }
        (defaults, true)
    } else {
        (stored, false)
    };
    let lines = maintenance::next(&windows, after, *count, now)
        .into_iter()
        .map(|o| format!("{} {}", o.start, o.end))
        .collect();
    Ok((lines, defaults))
}
