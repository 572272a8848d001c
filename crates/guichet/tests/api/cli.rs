//! The command line: `--help` everywhere, `migrate`, `admin bootstrap`,
//! `demo` on port 0 and again on the same data directory.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn guichet() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    // The tests' own variables are not the binary's configuration.
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "bootstrap", "--help"],
    ] {
        let output = guichet().args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
}

#[test]
fn migrate_then_bootstrap_an_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = guichet().args(["migrate", "--data-dir"]).arg(&data).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied"));
    assert!(data.join("guichet.db").is_file());

    let bootstrap = || {
        guichet()
            .args([
                "admin",
                "bootstrap",
                "--email",
                "root@vendor.example",
                "--vendor",
                "Vendor Support",
                "--data-dir",
            ])
            .arg(&data)
            .env("GUICHET_ADMIN_PASSWORD", "a very long password")
            .output()
            .unwrap()
    };
    let output = bootstrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("administrator root@vendor.example created"));
    let again = bootstrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn bad_configuration_is_named() {
    let output = guichet()
        .args(["migrate"])
        .env("GUICHET_LISTEN", "nowhere")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("listen"));
    let output = guichet()
        .args(["migrate"])
        .env("GUICHET_DATABASE_URL", "mysql://root:pw@localhost/x")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unsupported database URL") && !stderr.contains(":pw@"),
        "{stderr}"
    );
}

/// Starts `guichet demo` on port 0 and returns its first line and URL.
fn start_demo(data: &std::path::Path, database_url: Option<&str>) -> (std::process::Child, String, String) {
    let mut command = guichet();
    if let Some(url) = database_url {
        command.env("GUICHET_DATABASE_URL", url);
    }
    let mut child = command
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    // Keep reading what else it prints, so it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (child, line, url)
}

/// A process's resident memory in KiB, where the system tells (Linux).
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test]
async fn the_demo_serves_and_keeps_its_data_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, line, url) = start_demo(dir.path(), None);
    assert!(line.contains("demo data loaded"), "{line}");
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let login = reqwest::get(format!("{url}/login")).await.unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::OK);
    // Loading the demo once left 2 GB behind (an index writer per demo
    // actor); it needs about a tenth of this bound, even unoptimized.
    if let Some(resident) = resident_kib(first.id()) {
        assert!(
            resident < 600 * 1024,
            "the demo holds {} MiB after loading",
            resident / 1024
        );
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, line, _) = start_demo(dir.path(), None);
    assert!(line.contains("existing demo data kept"), "{line}");
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test]
async fn the_same_binary_runs_on_postgresql_with_only_the_database_url_changed() {
    let Some(database) = guichet_store::testing::TestDatabase::postgres().await else {
        eprintln!("GUICHET_TEST_POSTGRES_URL is not set: PostgreSQL run skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut child, line, url) = start_demo(dir.path(), Some(&database.url));
    assert!(line.contains("demo data loaded"), "{line}");
    let ready = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    let token = reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "marie@lumiere.example", "password": guichet::demo::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), reqwest::StatusCode::CREATED);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!dir.path().join("guichet.db").exists(), "nothing was written to SQLite");
    database.remove().await;
}
