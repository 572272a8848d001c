//! `guichet`: the support portal in one binary.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use guichet::Server;
use guichet::config::Config;
use guichet::sla_cli::{self, SlaCommand};
use guichet_web::Clock;

/// Guichet: a support portal for designated support users.
///
/// Configuration comes from an optional TOML file (`--config`), then
/// `GUICHET_*` environment variables (`GUICHET_DATABASE_URL`,
/// `GUICHET_DATA_DIR`, `GUICHET_LISTEN`, `GUICHET_HTTP__SECURE_COOKIES`, …),
/// then the flags below.
#[derive(Debug, Parser)]
#[command(name = "guichet", version)]
struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Flags that override the configuration.
#[derive(Debug, clap::Args)]
struct Overrides {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDRESS")]
    listen: Option<String>,
    /// The data directory (SQLite database and other files).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: migrate the database, then serve the portal and API.
    Serve {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Run the server on the demo data set, loaded once into its data
    /// directory (default ./guichet-demo); prints the URL and demo logins.
    Demo {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// The knowledge base as a folder of Markdown or HTML files with YAML
    /// front matter (slug, lang, title, products, areas, tags, error_codes,
    /// page_keys, audience, status), one per article and language.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Rebuild this node's search index from the database (stop the server
    /// of this data directory first).
    Reindex {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// The audit log (R26).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The email channel.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Administration commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// SLA arithmetic on a country's business calendar (R21): when a
    /// duration is due, whether support is open. Needs no database and no
    /// configuration.
    Sla {
        #[command(subcommand)]
        command: SlaCommand,
    },
    /// Maintenance windows (R23): the next ones of a product, from the
    /// configured database (the demo's weekly windows when it holds none).
    Maintenance {
        #[command(subcommand)]
        command: guichet::maintenance_cli::MaintenanceCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KbCommand {
    /// Import every .md and .html file of DIR (idempotent by slug and
    /// language); bad files are reported by name with the reason, the rest
    /// still import (exit status 2 when any was refused).
    Import {
        dir: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Write every article to DIR, one file per translation, in the format
    /// `kb import` reads.
    Export {
        dir: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Chain what waits, then recompute the whole hash chain and name the
    /// first entry that does not match (exit status 1).
    Verify {
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Take one RFC 5322 message from standard input (a mail server's pipe
    /// delivery) and print its outcome as JSON. Exit status 75 asks the
    /// mail server to try again later (the sender could not be checked).
    Ingest {
        /// A JSON file `{ "name": ["TXT record", ...] }` answering the DKIM
        /// and DMARC lookups instead of DNS (overrides mail.dns_records).
        #[arg(long, value_name = "FILE")]
        dns_records: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create the vendor company (if none exists) and an administrator in
    /// it. Reads the password from GUICHET_ADMIN_PASSWORD or the first line
    /// of standard input.
    Bootstrap {
        /// The vendor company's name.
        #[arg(long, default_value = "Support")]
        vendor: String,
        /// The vendor company's country (ISO 3166 code).
        #[arg(long, default_value = "US")]
        country: String,
        /// The administrator's email; its domain becomes the vendor's.
        #[arg(long)]
        email: String,
        /// The administrator's display name.
        #[arg(long, default_value = "Administrator")]
        name: String,
        #[command(flatten)]
        overrides: Overrides,
    },
}

fn load(cli_config: Option<&PathBuf>, overrides: &Overrides, demo: bool) -> anyhow::Result<Config> {
    let loaded = Config::load(cli_config.map(PathBuf::as_path), std::env::vars())?;
    let mut config = loaded.config;
    guichet::init_logging(&config.log_format);
    for name in loaded.ignored_variables {
        if !name.starts_with("GUICHET_TEST_") && name != "GUICHET_ADMIN_PASSWORD" {
            tracing::warn!(variable = %name, "not a configuration key; ignored");
        }
    }
    let data_dir_chosen = cli_config.is_some() || std::env::var_os("GUICHET_DATA_DIR").is_some();
    if demo && !data_dir_chosen {
        config.data_dir = PathBuf::from("./guichet-demo");
    }
    if let Some(listen) = &overrides.listen {
        config.listen.clone_from(listen);
    }
    if let Some(dir) = &overrides.data_dir {
        config.data_dir.clone_from(dir);
    }
    config.listen_address()?;
    Ok(config)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Sla { command } => {
            println!("{}", sla_cli::run(&command, jiff::Timestamp::now())?);
            Ok(())
        }
        Command::Maintenance { command } => {
            let overrides = Overrides {
                listen: None,
                data_dir: command.data_dir().cloned(),
            };
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            let answer = guichet::maintenance_cli::run(&command, &store, jiff::Timestamp::now()).await;
            store.close().await;
            let (lines, defaults) = answer?;
            if defaults {
                eprintln!("no maintenance window stored for this product: the demo's weekly windows");
            }
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        Command::Serve { overrides } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            let server = Server::start(&config, store, Clock::system()).await?;
            tracing::info!(url = %server.url(), engine = ?server.store.engine(), "Guichet is serving");
            server.run_until_signalled().await
        }
        Command::Demo { overrides } => {
            let config = load(cli.config.as_ref(), &overrides, true)?;
            let store = guichet::open_store(&config).await?;
            let now = jiff::Timestamp::now();
            let loaded = guichet::demo::seed(&store, now)
                .await
                .context("loading the demo data")?;
            guichet::demo::cases::seed(&store, &config.support_policy()?, &config.web_settings(), now)
                .await
                .context("loading the demo cases")?;
            guichet::demo::knowledge::seed(&store, now)
                .await
                .context("loading the demo knowledge base")?;
            guichet::demo::status::seed(&store, now)
                .await
                .context("loading the demo status page")?;
            guichet::demo::community::seed(&store, now)
                .await
                .context("loading the demo community")?;
            guichet::demo::training::seed(&store, now)
                .await
                .context("loading the demo training catalogue")?;
            let server = Server::start(&config, store, Clock::system()).await?;
            let banner = format!(
                "Guichet demo at {}/ ({})\nData directory: {}\n{}",
                server.url(),
                if loaded {
                    "demo data loaded"
                } else {
                    "existing demo data kept"
                },
                config.data_dir.display(),
                guichet::demo::logins(),
            );
            // One write, and no panic if whoever started us stopped reading.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), banner.as_bytes());
            server.run_until_signalled().await
        }
        Command::Kb {
            command: KbCommand::Import { dir, overrides },
        } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            let report = guichet::kb::import_dir(&store, &dir, jiff::Timestamp::now()).await;
            store.close().await;
            let report = report.with_context(|| format!("reading {}", dir.display()))?;
            for (name, slug, lang, what) in &report.imported {
                println!(
                    "{:<10} {name} ({slug}, {})",
                    format!("{what:?}").to_lowercase(),
                    lang.code()
                );
            }
            for (name, reason) in &report.refused {
                println!("{:<10} {name}: {reason}", "refused");
            }
            println!(
                "{} created, {} updated, {} unchanged, {} refused",
                report.count(guichet_web::knowledge::Imported::Created),
                report.count(guichet_web::knowledge::Imported::Updated),
                report.count(guichet_web::knowledge::Imported::Unchanged),
                report.refused.len()
            );
            if !report.refused.is_empty() {
                std::process::exit(2);
            }
            Ok(())
        }
        Command::Kb {
            command: KbCommand::Export { dir, overrides },
        } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            let written = guichet::kb::export_dir(&store, &dir).await;
            store.close().await;
            println!("{} files written to {}", written?, dir.display());
            Ok(())
        }
        Command::Reindex { overrides } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            let Some(dir) = config.search_index_dir() else {
                anyhow::bail!("the search index is kept in memory (search.index_dir = \"memory\"): nothing to rebuild");
            };
            let (index, _) = guichet_search::SearchIndex::open(&dir)
                .with_context(|| format!("opening the search index in {}", dir.display()))?;
            let search = guichet_web::knowledge::Search::new(index);
            let started = std::time::Instant::now();
            let count = guichet_web::knowledge::rebuild(&store, &search, jiff::Timestamp::now()).await?;
            store.close().await;
            println!(
                "search index rebuilt in {}: {count} articles searchable ({} documents) in {:.1} s",
                dir.display(),
                search.index.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { overrides },
        } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            while store.chain_audit(10_000).await? > 0 {}
            let check = store.verify_audit().await?;
            store.close().await;
            match check.broken {
                None => {
                    println!("audit chain verified: {} entries", check.checked);
                    Ok(())
                }
                Some((seq, why)) => {
                    eprintln!(
                        "audit chain broken at entry {seq}: {why} ({} entries before it verified)",
                        check.checked
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Mail {
            command: MailCommand::Ingest { dns_records, overrides },
        } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            std::process::exit(guichet::mail_cli::run(&config, dns_records).await);
        }
        Command::Migrate { overrides } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let store = guichet::open_store(&config).await?;
            store.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Bootstrap {
                    vendor,
                    country,
                    email,
                    name,
                    overrides,
                },
        } => {
            let config = load(cli.config.as_ref(), &overrides, false)?;
            let password = match std::env::var("GUICHET_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprintln!("Password for {email}:");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("reading the password")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let store = guichet::open_store(&config).await?;
            let request = guichet::admin::Bootstrap {
                vendor_name: vendor,
                country,
                email: email.clone(),
                display_name: name,
                password,
            };
            let id = guichet::admin::bootstrap(&store, request, &config.support.sla_tiers[0]).await?;
            store.close().await;
            println!("administrator {email} created ({id})");
            Ok(())
        }
    }
}
