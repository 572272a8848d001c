//! The email channel against real peers: messages signed by Python's
//! dkimpy with keys this test makes (published through the DNS records
//! file), mail delivered to Python's aiosmtpd. `.ci/run` installs both
//! (tools/mail_peer.py names the versions).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use guichet::config::Config;
use guichet_web::mail::SmtpTls;
use guichet_web::{AppState, Clock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine_with, problem};

pub const SECRET: &str = "inbound-test-secret";

fn peer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/mail_peer.py")
}

fn python(args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("python3")
        .arg(peer())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (install dkimpy and aiosmtpd: see .ci/run)");
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "tools/mail_peer.py {args:?} failed (are dkimpy and aiosmtpd installed? see .ci/run): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// DKIM keys for some domains, made by dkimpy, and the DNS records file
/// that publishes them with each domain's DMARC policy.
pub struct Keys {
    pub dir: tempfile::TempDir,
}

impl Keys {
    /// `domains`: (domain, DMARC record or "" for none).
    pub fn new(domains: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut records = serde_json::Map::new();
        for (domain, dmarc) in domains {
            let record = python(&["keygen", dir.path().to_str().unwrap(), "sel", domain], None);
            let record = String::from_utf8(record).unwrap().trim().to_owned();
            records.insert(format!("sel._domainkey.{domain}"), json!([record]));
            if !dmarc.is_empty() {
                records.insert(format!("_dmarc.{domain}"), json!([dmarc]));
            }
        }
        std::fs::write(dir.path().join("dns.json"), Value::Object(records).to_string()).unwrap();
        Self { dir }
    }

    pub fn records(&self) -> PathBuf {
        self.dir.path().join("dns.json")
    }

    /// What signs with these keys, for a story to keep.
    pub fn signer(&self) -> Signer {
        Signer(self.dir.path().to_owned())
    }
}

/// Signs messages with the keys of a `Keys` folder.
#[derive(Clone)]
pub struct Signer(PathBuf);

impl Signer {
    /// `message` signed by `domain`'s key.
    pub fn sign(&self, domain: &str, message: &str) -> Vec<u8> {
        let key = self.0.join(format!("sel.{domain}.pem"));
        python(
            &["sign", key.to_str().unwrap(), "sel", domain],
            Some(message.as_bytes()),
        )
    }
}

/// A configuration that takes inbound mail with `keys`' DNS records.
pub fn configured(keys: &Keys) -> impl Fn(&mut Config) + use<> {
    let records = keys.records().display().to_string();
    move |config: &mut Config| {
        config.mail.inbound_secret = guichet_web::mail::Secret(SECRET.into());
        config.mail.dns_records = records.clone();
    }
}

/// A message with CRLF line ends.
pub fn message(headers: &[(&str, &str)], body: &str) -> String {
    let mut text = String::new();
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&body.replace('\n', "\r\n"));
    text
}

pub fn message_id() -> String {
    format!("<{}@mail.test>", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}.{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Hands `raw` to the webhook; returns the outcome.
pub async fn post_mail(app: &App, raw: &[u8]) -> Value {
    let response = app
        .request(Method::POST, "/api/v1/inbound-mail", Some(SECRET))
        .header("content-type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

/// The application as the mail worker sees it, with `mail` settings.
pub fn state(app: &App, configure: impl FnOnce(&mut Config)) -> AppState {
    let mut config = app.config.clone();
    configure(&mut config);
    AppState::new(
        app.store.clone(),
        config.support_policy().unwrap(),
        config.web_settings(),
        Clock::system(),
    )
}

/// Runs the mail worker until nothing is left to do.
pub async fn deliver(state: &AppState) {
    for _ in 0..5 {
        let round = guichet_web::mail::deliver_mail(state).await.unwrap();
        if round.queued + round.sent + round.failed == 0 {
            return;
        }
    }
}

/// The `.eml` files written so far, as text.
pub fn outgoing(app: &App) -> Vec<String> {
    let dir = app.config.data_dir.join("mail").join("outgoing");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| decoded(&std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// A header's value in a raw mail (unfolded).
pub fn header(mail: &str, name: &str) -> Option<String> {
    let unfolded = mail.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().take_while(|line| !line.is_empty()).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

/// A mail's text with its quoted-printable body decoded.
pub fn decoded(mail: &str) -> String {
    if !mail.contains("quoted-printable") {
        return mail.to_owned();
    }
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The address in `Name <address>` or a bare address.
pub fn address(value: &str) -> String {
    value
        .rsplit_once('<')
        .map_or(value, |(_, rest)| rest.trim_end_matches('>'))
        .trim()
        .to_owned()
}

async fn open_case(app: &App, token: &str, subject: &str) -> i64 {
    let body = json!({
        "product": "financials", "area": "reporting", "environment": "production",
        "impact": "degraded", "scope": "group", "subject": subject, "description": "Since Monday.",
    });
    let response = app.send_json(Method::POST, "/api/v1/cases", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["number"].as_i64().unwrap()
}

async fn comments(app: &App, token: &str, number: i64) -> Vec<String> {
    let case = json(app.get(&format!("/api/v1/cases/{number}"), token).await).await;
    case["timeline"]
        .as_array()
        .unwrap_or_else(|| panic!("no timeline: {case}"))
        .iter()
        .filter(|e| e["kind"] == "commented")
        .map(|e| e["data"]["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_customer_reply_by_email_lands_on_the_right_case_as_a_comment() {
    let keys = Keys::new(&[("acme.example", "v=DMARC1; p=reject")]);
    on_each_engine_with(configured(&keys), |app| {
        let signer = keys.signer();
        async move {
            let dana = app.token("dana@acme.example").await;
            let first = open_case(&app, &dana, "Report totals are off").await;
            let second = open_case(&app, &dana, "Exports are slow").await;
            deliver(&state(&app, |_| {})).await;

            // Dana's notification of the first case carries its reply address.
            let mails = outgoing(&app);
            let notice = mails
                .iter()
                .find(|m| {
                    header(m, "To").is_some_and(|to| to.contains("dana@acme.example"))
                        && header(m, "Subject").is_some_and(|s| s.contains(&first.to_string()))
                })
                .unwrap_or_else(|| panic!("no notification for case {first} in {mails:#?}"));
            let reply_to = address(&header(notice, "Reply-To").expect("a Reply-To"));
            assert!(reply_to.starts_with("support+c-") && reply_to.ends_with("@support.example"), "{reply_to}");
            assert!(notice.contains(&format!("/cases/{first}")), "a link to the case: {notice}");
            let notice_id = header(notice, "Message-ID").unwrap();

            let reply = message(
                &[
                    ("From", "Dana Whitfield <dana@acme.example>"),
                    ("To", &reply_to),
                    ("Subject", &format!("Re: [Case {first}] Report totals are off")),
                    ("Date", "Mon, 2 Mar 2026 10:00:00 +0000"),
                    ("Message-ID", &message_id()),
                    ("In-Reply-To", &notice_id),
                ],
                "The totals are still off after the patch.\n\nOn Mon, 2 Mar 2026, Guichet <support@support.example> wrote:\n> Case opened\n",
            );
            let signed = signer.sign("acme.example", &reply);
            let outcome = post_mail(&app, &signed).await;
            assert_eq!(outcome["outcome"], "comment_added", "{outcome}");
            assert_eq!(outcome["case"], first);
            assert_eq!(outcome["authentication"], "pass");
            assert_eq!(
                comments(&app, &dana, first).await,
                ["The totals are still off after the patch."],
                "the comment, without the quoted mail"
            );
            assert!(comments(&app, &dana, second).await.is_empty(), "not on the other case");

            // The same message again is a replay, recorded and changing nothing.
            let again = post_mail(&app, &signed).await;
            assert_eq!(again["outcome"], "refused");
            assert_eq!(again["reason"], "replayed");
            assert_eq!(comments(&app, &dana, first).await.len(), 1);

            // Acme says mail failing DMARC is forged: an unsigned reply is refused.
            let forged = message(
                &[
                    ("From", "dana@acme.example"),
                    ("To", &reply_to),
                    ("Subject", "Re: totals"),
                    ("Message-ID", &message_id()),
                ],
                "Close it.\n",
            );
            let refused = post_mail(&app, forged.as_bytes()).await;
            assert_eq!(refused["reason"], "dmarc_failed", "{refused}");
            assert_eq!(comments(&app, &dana, first).await.len(), 1);

            // The inbound log shows administrators what came in and why.
            let admin = app.token("admin@support.example").await;
            let log = json(app.get("/api/v1/mail/inbound", &admin).await).await;
            let reasons: Vec<&str> = log
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["reason"].as_str().unwrap_or(m["outcome"].as_str().unwrap()))
                .collect();
            assert_eq!(reasons, ["dmarc_failed", "replayed", "comment_added"]);
            problem(
                app.get("/api/v1/mail/inbound", &dana).await,
                StatusCode::FORBIDDEN,
                "administrator_required",
            )
            .await;
        }
    })
    .await;
}

#[tokio::test]
async fn r3_mail_to_support_opens_a_case_only_for_those_who_may_and_answers_the_others() {
    let keys = Keys::new(&[("acme.example", "v=DMARC1; p=none")]);
    on_each_engine_with(configured(&keys), |app| async move {
        let mail = |from: &str, subject: &str, body: &str| {
            message(
                &[
                    ("From", from),
                    ("To", "Support <support@support.example>"),
                    ("Subject", subject),
                    ("Message-ID", &message_id()),
                ],
                body,
            )
        };
        // Dana is designated: her unsigned mail (Acme publishes p=none) opens a case.
        let opened = post_mail(
            &app,
            mail(
                "dana@acme.example",
                "Payroll export fails",
                "Every export stops at 80 %.\n\n-- \nDana",
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(opened["outcome"], "case_opened", "{opened}");
        assert_eq!(opened["authentication"], "not_signed");
        let number = opened["case"].as_i64().unwrap();
        let dana = app.token("dana@acme.example").await;
        let case = json(app.get(&format!("/api/v1/cases/{number}"), &dana).await).await;
        assert_eq!(case["subject"], "Payroll export fails");
        assert_eq!(case["description"], "Every export stops at 80 %.");

        // R3: Ulysse (US, not designated) and a stranger are answered, not served.
        let ulysse = post_mail(&app, mail("ulysse@acme.example", "Help", "Please.").as_bytes()).await;
        assert_eq!(ulysse["outcome"], "refused");
        assert_eq!(ulysse["reason"], "designated_contact_required");
        assert_eq!(ulysse["answered"], true);
        let stranger = post_mail(&app, mail("someone@elsewhere.example", "Help", "Please.").as_bytes()).await;
        assert_eq!(stranger["reason"], "unknown_sender");
        deliver(&state(&app, |_| {})).await;
        let answers = outgoing(&app);
        let to_stranger = answers
            .iter()
            .find(|m| header(m, "To").is_some_and(|to| to.contains("someone@elsewhere.example")))
            .expect("the stranger is answered");
        assert!(to_stranger.contains("Who may contact support"), "{to_stranger}");
        assert!(
            to_stranger.contains("Qui peut contacter"),
            "in French too: {to_stranger}"
        );
        assert_eq!(header(to_stranger, "Auto-Submitted").as_deref(), Some("auto-replied"));
        let to_ulysse = answers
            .iter()
            .find(|m| header(m, "To").is_some_and(|to| to.contains("ulysse@acme.example")))
            .expect("Ulysse is answered");
        assert!(to_ulysse.contains("designated"), "{to_ulysse}");

        // An auto-reply is recorded and never answered (no mail loops).
        let auto = message(
            &[
                ("From", "someone@elsewhere.example"),
                ("To", "support@support.example"),
                ("Subject", "Out of office"),
                ("Auto-Submitted", "auto-replied"),
                ("Message-ID", &message_id()),
            ],
            "Away.",
        );
        let outcome = post_mail(&app, auto.as_bytes()).await;
        assert_eq!(outcome["reason"], "automatic_message");
        assert_eq!(outcome["answered"], false);
    })
    .await;
}

#[tokio::test]
async fn the_webhook_needs_its_secret_and_malformed_mail_is_recorded_never_a_crash() {
    let keys = Keys::new(&[]);
    on_each_engine_with(configured(&keys), |app| async move {
        let send = |secret: Option<&str>, body: &[u8]| {
            app.request(Method::POST, "/api/v1/inbound-mail", secret)
                .header("content-type", "message/rfc822")
                .body(body.to_vec())
                .send()
        };
        problem(
            send(None, b"From: a@b.example\r\n\r\nx").await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_inbound_secret",
        )
        .await;
        problem(
            send(Some("wrong"), b"From: a@b.example\r\n\r\nx").await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_inbound_secret",
        )
        .await;
        for garbage in [
            &b""[..],
            b"\xff\xfe\x00\x01 not a mail",
            b"Subject: no sender\r\n\r\nhello",
            b"From: a@b.example, c@d.example\r\nMessage-ID: <x@y>\r\n\r\nhello",
            b"From: someone@elsewhere.example\r\nSubject: no id\r\n\r\nhello",
            b"From: =?utf-8?B?////?= <\x80@\x81>\r\n\r\n",
        ] {
            let outcome = post_mail(&app, garbage).await;
            assert_eq!(outcome["outcome"], "refused", "{outcome}");
            assert!(
                ["malformed", "several_senders"].contains(&outcome["reason"].as_str().unwrap()),
                "{outcome}"
            );
        }
        // A message without a Message-ID is answered, since it has a sender.
        let admin = app.token("admin@support.example").await;
        let log = json(app.get("/api/v1/mail/inbound?limit=2", &admin).await).await;
        assert_eq!(log.as_array().unwrap().len(), 2);
        assert!(log.as_array().unwrap().iter().any(|m| m["answered"] == true), "{log}");
        problem(
            app.get("/api/v1/mail/inbound?limit=0", &admin).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_limit",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_webhook_is_off_without_a_secret() {
    crate::helpers::on_sqlite(|app| async move {
        let response = app
            .request(Method::POST, "/api/v1/inbound-mail", Some("anything"))
            .body("From: a@b.example\r\n\r\nx")
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN, "inbound_mail_disabled").await;
    })
    .await;
}

#[tokio::test]
async fn arbitrary_bytes_into_the_entry_point_are_recorded_never_a_panic() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let keys = Keys::new(&[("acme.example", "v=DMARC1; p=reject")]);
    let records = keys.records().display().to_string();
    crate::helpers::on_sqlite(move |app| {
        let records = records.clone();
        async move {
            {
                let state = state(&app, |config| config.mail.dns_records = records);
                let real = message(
                    &[
                        ("From", "Dana <dana@acme.example>"),
                        ("To", "support+c-aaaaaaaaaaaaaaaaaaaaaaaa@support.example"),
                        ("Subject", "=?utf-8?q?R=C3=A9ponse?="),
                        ("Message-ID", "<fuzz@acme.example>"),
                        ("Content-Type", "multipart/alternative; boundary=b"),
                    ],
                    "--b\nContent-Type: text/html\n\n<p>hi</p>\n--b--\n",
                );
                let strategy = prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..600),
                    proptest::collection::vec((0..real.len(), any::<u8>()), 1..12).prop_map(move |edits| {
                        let mut bytes = real.clone().into_bytes();
                        for (at, byte) in edits {
                            bytes[at] = byte;
                        }
                        bytes
                    }),
                ];
                let mut runner = TestRunner::deterministic();
                for _ in 0..150 {
                    let raw = strategy.new_tree(&mut runner).unwrap().current();
                    let outcome = guichet_web::mail::receive(&state, &raw)
                        .await
                        .unwrap_or_else(|e| panic!("{} for {raw:?}", e.code));
                    assert!(!outcome.outcome.is_empty());
                }
            }
        }
    })
    .await;
}

/// An SMTP server (aiosmtpd) writing what it receives to a folder.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("python3")
            .arg(peer())
            .args(["smtp-sink", dir.path().to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("the SMTP sink did not start (is aiosmtpd installed?): {line:?}"))
            .parse()
            .unwrap();
        Self { child, port, dir }
    }

    /// Every message received in `dir`: its envelope and its text.
    pub fn received_in(dir: &Path) -> Vec<(Value, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "eml") {
                let envelope = std::fs::read_to_string(path.with_extension("json")).unwrap();
                found.push((
                    serde_json::from_str(&envelope).unwrap(),
                    decoded(&std::fs::read_to_string(&path).unwrap()),
                ));
            }
        }
        found
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn notifications_go_out_through_a_real_smtp_server_and_failures_are_shown() {
    let sink = SmtpSink::start();
    let port = sink.port;
    let keys = Keys::new(&[]);
    let inbound = configured(&keys);
    let through_sink = move |config: &mut Config| {
        inbound(config);
        config.mail.smtp.host = "127.0.0.1".into();
        config.mail.smtp.port = port;
        config.mail.smtp.tls = SmtpTls::None;
    };
    on_each_engine_with(through_sink, |app| {
        let sink_dir = sink.dir.path().to_owned();
        async move {
            let chef = app.token("chef@lumiere.example").await;
            let number = open_case(&app, &chef, "Les totaux sont faux").await;
            deliver(&state(&app, |_| {})).await;
            let received = SmtpSink::received_in(&sink_dir);
            let (envelope, mail) = received
                .iter()
                .find(|(envelope, mail)| {
                    envelope["to"][0] == "chef@lumiere.example"
                        && header(mail, "Subject").is_some_and(|s| s.contains(&number.to_string()))
                })
                .unwrap_or_else(|| panic!("nothing for Chef in {received:#?}"));
            assert_eq!(envelope["from"], "support@support.example");
            // Chef reads French.
            assert_eq!(header(mail, "Content-Language").as_deref(), Some("fr"));
            assert!(mail.contains("Répondez au-dessus de cette ligne"), "{mail}");
            assert!(
                mail.contains(&format!("La demande d'assistance {number} a été ouverte.")),
                "{mail}"
            );
            assert!(header(mail, "Reply-To").unwrap().contains("support+c-"));
            assert_eq!(header(mail, "Auto-Submitted").as_deref(), Some("auto-generated"));

            // The server refuses a mailbox for good (550): the answer to
            // its mail is given up at once and shown to administrators.
            let from_nowhere = message(
                &[
                    ("From", "nobody@nowhere.invalid"),
                    ("To", "support@support.example"),
                    ("Subject", "Hello"),
                    ("Message-ID", &message_id()),
                ],
                "Hello",
            );
            assert_eq!(post_mail(&app, from_nowhere.as_bytes()).await["answered"], true);
            deliver(&state(&app, |_| {})).await;
            let admin = app.token("admin@support.example").await;
            let failures = json(app.get("/api/v1/mail/failures", &admin).await).await;
            let failure = failures
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["to"] == "nobody@nowhere.invalid")
                .unwrap_or_else(|| panic!("{failures}"));
            assert_eq!(failure["attempts"], 1, "a 5xx is not retried");
            assert!(failure["error"].as_str().unwrap().contains("550"), "{failure}");
            problem(
                app.get("/api/v1/mail/failures", &chef).await,
                StatusCode::FORBIDDEN,
                "administrator_required",
            )
            .await;
        }
    })
    .await;
}

#[test]
fn mail_ingest_reads_standard_input_and_prints_the_outcome() {
    let keys = Keys::new(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .args(["mail", "ingest", "--data-dir"])
        .arg(dir.path())
        .arg("--dns-records")
        .arg(keys.records())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: someone@elsewhere.example\r\nTo: support@support.example\r\nMessage-ID: <cli@x>\r\nSubject: Help\r\n\r\nHello\r\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(outcome["outcome"], "refused");
    assert_eq!(outcome["reason"], "unknown_sender");
    assert_eq!(outcome["from"], "someone@elsewhere.example");

    let missing = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["mail", "ingest", "--data-dir"])
        .arg(dir.path())
        .args(["--dns-records", "/nonexistent/records.json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("records.json"));
}

/// Moves an authorization request's expiry into the past, behind
/// Guichet's back.
async fn expire(app: &App, id: &str) {
    let sql = "UPDATE authorization_requests SET expires_at = 1 WHERE id = $1";
    if app.database_url.starts_with("postgres") {
        let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql).bind(id).execute(&mut db).await.unwrap();
    } else {
        let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql).bind(id).execute(&mut db).await.unwrap();
    }
}

#[tokio::test]
async fn r25_an_emailed_decision_counts_only_when_authentic_and_every_spoof_is_refused() {
    let keys = Keys::new(&[
        ("lumiere.example", "v=DMARC1; p=reject"),
        ("evil.example", "v=DMARC1; p=reject"),
        ("acme.example", "v=DMARC1; p=reject"),
    ]);
    on_each_engine_with(configured(&keys), |app| {
        let signer = keys.signer();
        async move {
            let chef = app.token("chef@lumiere.example").await;
            let analyst = app.token("analyst@support.example").await;
            let number = open_case(&app, &chef, "Marie doit pouvoir ouvrir des demandes").await;
            let raise = |body: Value| {
                let app = app.clone();
                let analyst = analyst.clone();
                async move {
                    let path = format!("/api/v1/cases/{number}/authorization-requests");
                    let response = app.send_json(Method::POST, &path, Some(&analyst), body).await;
                    assert_eq!(response.status(), StatusCode::CREATED);
                    json(response).await["id"].as_str().unwrap().to_owned()
                }
            };
            let id = raise(json!({"kind": "designate_support_user", "user": "marie@lumiere.example"})).await;
            deliver(&state(&app, |_| {})).await;
            let reply_addresses = |app: &App| -> Vec<String> {
                outgoing(app)
                    .iter()
                    .filter(|m| header(m, "To").is_some_and(|to| to.contains("chef@lumiere.example")))
                    .filter_map(|m| header(m, "Reply-To"))
                    .map(|r| address(&r))
                    .filter(|r| r.starts_with("support+a-"))
                    .collect()
            };
            let reply_to = reply_addresses(&app)
                .pop()
                .expect("Chef is asked by mail, with the request's reply address");
            let reply = |from: &str, body: &str| {
                message(
                    &[
                        ("From", from),
                        ("To", &reply_to),
                        ("Subject", "Re: Demande d'autorisation"),
                        ("Date", "Mon, 2 Mar 2026 10:00:00 +0100"),
                        ("Message-ID", &message_id()),
                    ],
                    body,
                )
            };
            let status = || {
                let app = app.clone();
                let chef = chef.clone();
                let id = id.clone();
                async move { json(app.get(&format!("/api/v1/authorization-requests/{id}"), &chef).await).await }
            };
            let admin = app.token("admin@support.example").await;
            let marie_id = app.user_id("marie@lumiere.example").await;
            let marie_designated = || {
                let app = app.clone();
                let admin = admin.clone();
                let marie_id = marie_id.clone();
                async move {
                    json(app.get(&format!("/api/v1/users/{marie_id}"), &admin).await).await["roles"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|role| role == "designated_support_user")
                }
            };
            assert!(!marie_designated().await);

            let altered = {
                let signed =
                    String::from_utf8(signer.sign("lumiere.example", &reply("chef@lumiere.example", "REFUSE\n")))
                        .unwrap();
                signed.replace("REFUSE", "AUTHORIZE").into_bytes()
            };
            let spoofs: Vec<(&str, Vec<u8>, &str)> = vec![
                (
                    "unsigned",
                    reply("Auguste Lumière <chef@lumiere.example>", "AUTHORIZE\n").into_bytes(),
                    "not_signed",
                ),
                (
                    "a signature by another domain",
                    signer.sign("evil.example", &reply("chef@lumiere.example", "AUTHORIZE\n")),
                    "not_aligned",
                ),
                (
                    "a forged From display name",
                    signer.sign(
                        "evil.example",
                        &reply("\"chef@lumiere.example\" <mallory@evil.example>", "AUTHORIZE\n"),
                    ),
                    "not_authorized_manager",
                ),
                ("a valid signature with an altered body", altered, "dkim_failed"),
                (
                    "a manager of another company",
                    signer.sign("acme.example", &reply("dana@acme.example", "AUTHORIZE\n")),
                    "not_authorized_manager",
                ),
                (
                    "a non-manager of the same company",
                    signer.sign("lumiere.example", &reply("marie@lumiere.example", "AUTHORIZE\n")),
                    "not_authorized_manager",
                ),
            ];
            for (spoof, raw, reason) in spoofs {
                let outcome = post_mail(&app, &raw).await;
                assert_eq!(outcome["outcome"], "refused", "{spoof}: {outcome}");
                assert_eq!(outcome["reason"], reason, "{spoof}: {outcome}");
                assert_eq!(outcome["answered"], true, "{spoof}: the sender is told why");
                assert_eq!(status().await["status"], "pending", "{spoof} changed nothing");
                assert!(!marie_designated().await, "{spoof} changed nothing");
            }
            // The refusals tell how to authorize in the portal.
            deliver(&state(&app, |_| {})).await;
            assert!(
                outgoing(&app).iter().any(
                    |m| header(m, "To").is_some_and(|to| to.contains("mallory@evil.example"))
                        && m.contains("I authorize")
                ),
                "the forger is told how to authorize in the portal"
            );

            // Chef's own signed reply decides it.
            let good = signer.sign(
                "lumiere.example",
                &reply(
                    "Auguste Lumière <chef@lumiere.example>",
                    "J'AUTORISE\n\nLe lun. 2 mars 2026, Guichet <support@support.example> a écrit :\n> REFUSE\n",
                ),
            );
            let decided = post_mail(&app, &good).await;
            assert_eq!(decided["outcome"], "authorization_decided", "{decided}");
            assert_eq!(decided["reason"], "authorized");
            assert_eq!(decided["authorization_request"], id.as_str());
            let request = status().await;
            assert_eq!(request["status"], "authorized");
            assert_eq!(request["decided_by"], "chef@lumiere.example");
            assert_eq!(request["decided_via"], "mail");
            assert!(marie_designated().await, "Marie is designated");

            // The same message again is a replay.
            let again = post_mail(&app, &good).await;
            assert_eq!(again["reason"], "replayed", "{again}");

            // A reply after expiry changes nothing.
            let second =
                raise(json!({"kind": "password_reset", "user": "marie@lumiere.example", "account": "portal"})).await;
            deliver(&state(&app, |_| {})).await;
            let second_address = reply_addresses(&app)
                .into_iter()
                .find(|a| *a != reply_to)
                .expect("the second request has its own reply address");
            expire(&app, &second).await;
            let late = message(
                &[
                    ("From", "chef@lumiere.example"),
                    ("To", &second_address),
                    ("Subject", "Re: Demande d'autorisation"),
                    ("Message-ID", &message_id()),
                ],
                "AUTHORIZE\n",
            );
            let outcome = post_mail(&app, &signer.sign("lumiere.example", &late)).await;
            assert_eq!(outcome["reason"], "expired", "{outcome}");
            let second_status = json(
                app.get(&format!("/api/v1/authorization-requests/{second}"), &chef)
                    .await,
            )
            .await;
            assert_ne!(second_status["status"], "authorized");
        }
    })
    .await;
}
