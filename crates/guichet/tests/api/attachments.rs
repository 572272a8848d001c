//! Attachments and problem recordings (R17): upload requests and their
//! checklist, secrets scrubbed before storage, limits, authorization,
//! audit, retention; on local storage and, when `GUICHET_TEST_S3_ENDPOINT`
//! names an S3-compatible service (CI runs moto) and the `s3` feature is
//! built, on S3 too.

use std::time::Duration;

use guichet::config::{ByteSize, Config};
use guichet_web::attachments::{Files, Storage};
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_each_engine_with, problem};

/// Runs `story` on each engine with local storage, then with S3 storage
/// when a service is configured.
async fn on_each_storage<F, Fut>(configure: impl Fn(&mut Config) + Clone, story: F)
where
    F: Fn(App) -> Fut + Clone,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    on_each_engine_with(configure.clone(), story.clone()).await;
    if let Some(endpoint) = s3_endpoint() {
        // A bucket of its own for each engine's run (`configure` is called
        // once per run), so that a story sees only its own objects.
        let stem = format!("guichet-test-{}", uuid_like());
        let buckets = [format!("{stem}-sqlite"), format!("{stem}-postgres")];
        for bucket in &buckets {
            // moto creates buckets on a plain PUT.
            let created = reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .expect("the S3 test service answers");
            assert!(
                created.status().is_success(),
                "creating bucket {bucket}: {}",
                created.status()
            );
        }
        let runs = std::sync::atomic::AtomicUsize::new(0);
        on_each_engine_with(
            move |config: &mut Config| {
                configure(config);
                let run = runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                config.files.storage = "s3".into();
                config.files.s3.bucket = buckets[run % buckets.len()].clone();
                config.files.s3.endpoint = endpoint.clone();
                config.files.s3.region = "us-east-1".into();
                config.files.s3.access_key_id = "testing".into();
                config.files.s3.secret_access_key = "testing".into();
                config.files.s3.allow_http = true;
            },
            story,
        )
        .await;
    }
}

fn s3_endpoint() -> Option<String> {
    let endpoint = std::env::var("GUICHET_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())?;
    if cfg!(feature = "s3") {
        Some(endpoint.trim_end_matches('/').to_owned())
    } else {
        eprintln!("GUICHET_TEST_S3_ENDPOINT is set but the tests were built without the `s3` feature");
        None
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}

/// Every object the server stored, with its bytes: the local folder's
/// files or the bucket's objects.
async fn stored_objects(app: &App) -> Vec<(String, Vec<u8>)> {
    let files = Files::new(app.config.web_settings().files);
    let store = files.store().await.unwrap();
    let mut objects = Vec::new();
    let mut prefixes = vec![None::<ObjectPath>];
    while let Some(prefix) = prefixes.pop() {
        let listed = store.list_with_delimiter(prefix.as_ref()).await.unwrap();
        prefixes.extend(listed.common_prefixes.into_iter().map(Some));
        for object in listed.objects {
            let bytes = object_store::ObjectStoreExt::get(store.as_ref(), &object.location)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            objects.push((object.location.to_string(), bytes.to_vec()));
        }
    }
    if let Storage::Local { root } = &app.config.web_settings().files.storage {
        // Nothing else under the folder either (no partial files).
        let mut on_disk = 0;
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if entry.file_type().unwrap().is_dir() {
                    dirs.push(entry.path());
                } else {
                    on_disk += 1;
                }
            }
        }
        assert_eq!(
            on_disk,
            objects.len(),
            "files under {} that are not objects",
            root.display()
        );
    }
    objects
}

/// What is left in the staging folder: nothing once a request is answered.
fn staged_files(app: &App) -> usize {
    std::fs::read_dir(app.data_dir.join("tmp"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

async fn open_case(app: &App, token: &str) -> i64 {
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/cases",
            Some(token),
            json!({
                "product": "financials", "area": "general_ledger", "environment": "production",
                "impact": "blocked", "scope": "group", "subject": "The ledger page hangs",
                "description": "It hangs after login."
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["number"].as_i64().unwrap()
}

async fn upload(app: &App, token: &str, number: i64, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    app.request(
        Method::POST,
        &format!("/api/v1/cases/{number}/attachments"),
        Some(token),
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

const SESSION: &str = "sess-7f3a9c1e5b2d4086";
const CSRF: &str = "csrf-e1d2c3b4a5968778";
const JWT: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkYW5hIiwiZXhwIjoxOTAwMDAwMDAwfQ.q8mPrT4vXk2sLwY0aBcDeFgHiJkLmNoP";

/// A HAR file with a session cookie, a bearer token and a CSRF header, as
/// a browser records them (the same values in several places).
fn recording() -> Vec<u8> {
    serde_json::to_vec(&json!({"log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [{"startedDateTime": "2024-05-01T10:00:00.000Z", "id": "page_1",
                   "title": format!("https://app.example/ledger?session={SESSION}"), "pageTimings": {}}],
        "entries": [{
            "startedDateTime": "2024-05-01T10:00:01.000Z", "time": 84.2,
            "request": {"method": "GET", "url": "https://app.example/api/ledger", "httpVersion": "HTTP/1.1",
                "headers": [
                    {"name": "Cookie", "value": format!("sid={SESSION}; lang=en-GB")},
                    {"name": "Authorization", "value": format!("Bearer {JWT}")},
                    {"name": "X-CSRF-Token", "value": CSRF}
                ],
                "cookies": [{"name": "sid", "value": SESSION}, {"name": "lang", "value": "en-GB"}],
                "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Set-Cookie", "value": format!("sid={SESSION}; Path=/; HttpOnly")},
                            {"name": "Content-Type", "value": "application/json"}],
                "cookies": [{"name": "sid", "value": SESSION, "path": "/", "httpOnly": true}],
                "content": {"size": 80, "mimeType": "application/json",
                            "text": format!("{{\"entries\":[1,2,3],\"csrf\":\"{CSRF}\",\"user\":\"dana\"}}")},
                "redirectURL": "", "headersSize": -1, "bodySize": 80},
            "cache": {}, "timings": {"blocked": 1.0, "send": 0.5, "wait": 80.1, "receive": 2.6}
        }]
    }}))
    .unwrap()
}

#[tokio::test]
async fn r17_the_checklist_is_ticked_by_the_customers_uploads_and_notifies_the_analyst() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let analyst = app.token("analyst@support.example").await;
            let analyst_id = app.user_id("analyst@support.example").await;
            let number = open_case(&app, &dana).await;
            let base = format!("/api/v1/cases/{number}");

            let refused = app
                .send_json(Method::POST, &format!("{base}/upload-requests"), Some(&dana), json!({}))
                .await;
            problem(refused, StatusCode::FORBIDDEN, "analysts_only").await;
            let response = app
                .send_json(
                    Method::POST,
                    &format!("{base}/upload-requests"),
                    Some(&analyst),
                    json!({"note": "Please record the hang."}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let request = json(response).await;
            assert_eq!(request["items"].as_array().unwrap().len(), 2);
            assert_eq!(request["items"][0]["kind"], "recording");
            assert_eq!(request["items"][1]["kind"], "log");

            // The customer sees the checklist with instructions in their
            // language.
            let seen = json(app.get(&format!("{base}/upload-requests"), &dana).await).await;
            assert_eq!(seen[0]["complete"], false);
            assert!(seen[0]["instructions"].as_str().unwrap().contains("HAR"));
            assert_eq!(
                seen[0]["items"][0]["label"],
                "The problem recording: a HAR file, a video or screenshots, or a zip"
            );

            let har = upload(&app, &dana, number, "hang.har", recording()).await;
            assert_eq!(har.status(), StatusCode::CREATED);
            let har = json(har).await;
            assert_eq!(har["ticked"]["item"], 0);
            let completed = |app: App| async move {
                let rows = app
                    .store
                    .pending_outbox("notification", jiff::Timestamp::now(), 500)
                    .await
                    .unwrap();
                rows.into_iter()
                    .map(|row| serde_json::from_str::<Value>(&row.payload).unwrap())
                    .filter(|payload| payload["event"] == "upload_request_completed")
                    .collect::<Vec<_>>()
            };
            assert!(completed(app.clone()).await.is_empty(), "not complete yet");

            let log = upload(
                &app,
                &dana,
                number,
                "app.log",
                b"10:00 INFO start\n10:01 DEBUG password=hunter2hunter2\n".to_vec(),
            )
            .await;
            assert_eq!(log.status(), StatusCode::CREATED);
            let log = json(log).await;
            assert_eq!(log["ticked"]["item"], 1);
            assert_eq!(log["removed"]["parameters"], 1);

            let seen = json(app.get(&format!("{base}/upload-requests"), &dana).await).await;
            assert_eq!(seen[0]["complete"], true);
            assert_eq!(seen[0]["items"][1]["attachment"], log["id"]);
            let notices = completed(app.clone()).await;
            assert_eq!(notices.len(), 1, "{notices:?}");
            assert!(
                notices[0]["recipients"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(analyst_id)),
                "{notices:?}"
            );
            let case = json(app.get(&base, &analyst).await).await;
            let kinds: Vec<&str> = case["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap())
                .collect();
            for kind in ["upload_requested", "attachment_added", "upload_request_completed"] {
                assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
            }
        },
    )
    .await;
}

#[tokio::test]
async fn r17_a_recording_is_stored_without_its_secrets_and_the_case_says_what_was_removed() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let response = upload(&app, &dana, number, "../../etc/hang\t.har", recording()).await;
            assert_eq!(
                response.status(),
                StatusCode::CREATED,
                "{}",
                response.text().await.unwrap()
            );
            let stored = json(response).await;
            assert_eq!(stored["name"], "hang.har");
            assert_eq!(stored["kind"], "har");
            assert_eq!(stored["removed"]["cookies"], 3, "{stored}");
            assert_eq!(stored["removed"]["authorization_headers"], 1);
            assert_eq!(stored["removed"]["credential_headers"], 1);
            assert_eq!(
                stored["removed_words"].as_str().unwrap().split(',').count(),
                4,
                "{stored}"
            );

            let objects = stored_objects(&app).await;
            assert_eq!(objects.len(), 1);
            for (key, bytes) in &objects {
                let text = String::from_utf8_lossy(bytes);
                for secret in [SESSION, CSRF, JWT, &JWT[..20]] {
                    assert!(!text.contains(secret), "{secret} stored in {key}");
                }
                let har: Value = serde_json::from_slice(bytes).expect("the stored file is JSON");
                assert_eq!(har["log"]["entries"][0]["timings"]["wait"], 80.1);
                assert_eq!(
                    har["log"]["entries"][0]["request"]["headers"][1]["value"],
                    "Bearer [removed]"
                );
                use sha2::Digest;
                let digest: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(stored["sha256"], digest);
                assert_eq!(stored["size"], bytes.len());
            }
            assert_eq!(staged_files(&app), 0, "the original bytes stay nowhere");

            // The download is the stored file, as an attachment.
            let download = app.get(stored["url"].as_str().unwrap(), &dana).await;
            assert_eq!(download.status(), StatusCode::OK);
            let headers = download.headers().clone();
            assert!(
                headers["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment; filename=\"hang.har\"")
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(download.bytes().await.unwrap().as_ref(), objects[0].1.as_slice());

            // The case says what was removed, in the reader's language.
            let case = json(app.get(&format!("/api/v1/cases/{number}"), &dana).await).await;
            let added = case["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["kind"] == "attachment_added")
                .unwrap()
                .clone();
            assert_eq!(added["data"]["removed"]["cookies"], 3);
            let files = json(app.get(&format!("/api/v1/cases/{number}/attachments"), &dana).await).await;
            assert!(
                files[0]["removed_words"]
                    .as_str()
                    .unwrap()
                    .starts_with("3 cookies, 1 authorization header, 1 credential header")
            );

            // Claims HAR, is not: refused, nothing stored.
            let fake = upload(&app, &dana, number, "trace.har", b"<html>not json</html>".to_vec()).await;
            problem(fake, StatusCode::UNPROCESSABLE_ENTITY, "invalid_har").await;
            let gz = upload(&app, &dana, number, "app.log.gz", b"\x1f\x8b\x08\x00rest".to_vec()).await;
            problem(gz, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file_type").await;
            assert_eq!(stored_objects(&app).await.len(), 1);
            assert_eq!(staged_files(&app), 0);
        },
    )
    .await;
}

#[tokio::test]
async fn r17_html_is_never_served_as_html() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let page = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
            let form = Form::new().part(
                "file",
                Part::bytes(page).file_name("page.html").mime_str("text/html").unwrap(),
            );
            let response = app
                .request(
                    Method::POST,
                    &format!("/api/v1/cases/{number}/attachments"),
                    Some(&dana),
                )
                .multipart(form)
                .send()
                .await
                .unwrap();
            let stored = json(response).await;
            assert_eq!(stored["content_type"], "text/plain; charset=utf-8");
            let download = app.get(stored["url"].as_str().unwrap(), &dana).await;
            assert_eq!(download.headers()["content-type"], "text/plain; charset=utf-8");
            assert!(
                download.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("sandbox")
            );
            assert!(
                download.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment")
            );
        },
    )
    .await;
}

#[tokio::test]
async fn r17_an_oversized_upload_gets_413_and_leaves_nothing() {
    on_each_storage(
        |config: &mut Config| {
            config.files.max_file_size = ByteSize(1024 * 1024);
            config.files.max_case_size = ByteSize(1536 * 1024);
        },
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let big = upload(&app, &dana, number, "big.bin", vec![7u8; 3 * 1024 * 1024]).await;
            let refused = problem(big, StatusCode::PAYLOAD_TOO_LARGE, "file_too_large").await;
            assert!(refused["detail"].as_str().unwrap().contains("1 MB"), "{refused}");
            assert!(stored_objects(&app).await.is_empty());
            assert_eq!(staged_files(&app), 0);
            let files = json(app.get(&format!("/api/v1/cases/{number}/attachments"), &dana).await).await;
            assert_eq!(files.as_array().unwrap().len(), 0);

            // The case's limit counts what it already holds.
            let first = upload(&app, &dana, number, "a.bin", vec![1u8; 1000 * 1024]).await;
            assert_eq!(first.status(), StatusCode::CREATED);
            let second = upload(&app, &dana, number, "b.bin", vec![2u8; 1000 * 1024]).await;
            problem(second, StatusCode::PAYLOAD_TOO_LARGE, "case_files_too_large").await;
            assert_eq!(stored_objects(&app).await.len(), 1);
            assert_eq!(staged_files(&app), 0);

            // Not multipart, or no file.
            let plain = app
                .send_json(
                    Method::POST,
                    &format!("/api/v1/cases/{number}/attachments"),
                    Some(&dana),
                    json!({}),
                )
                .await;
            problem(plain, StatusCode::UNSUPPORTED_MEDIA_TYPE, "multipart_required").await;
            let empty = app
                .request(
                    Method::POST,
                    &format!("/api/v1/cases/{number}/attachments"),
                    Some(&dana),
                )
                .multipart(Form::new().text("item", "0"))
                .send()
                .await
                .unwrap();
            problem(empty, StatusCode::UNPROCESSABLE_ENTITY, "invalid_file").await;
        },
    )
    .await;
}

/// The resident memory of this process, in bytes.
fn resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Runs the test `name` (of this module) alone in a child process of this
/// test binary, so that what other tests allocate meanwhile does not count
/// in its process's memory. True in that child, where the test goes on;
/// false in the parent once the child has passed.
fn alone(name: &str) -> bool {
    const CHILD: &str = "GUICHET_TEST_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let module = module_path!().split_once("::").map_or("", |(_, module)| module);
    let test = format!("{module}::{name}");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{test} failed alone:\n{stdout}");
    assert!(stdout.contains("1 passed"), "{test} did not run alone:\n{stdout}");
    false
}

#[tokio::test]
async fn r17_a_200_mb_upload_streams_through_flat_memory() {
    if !alone("r17_a_200_mb_upload_streams_through_flat_memory") {
        return;
    }
    on_each_storage(
        |config: &mut Config| {
            config.files.max_file_size = ByteSize(256 * 1024 * 1024);
            config.files.max_case_size = ByteSize(256 * 1024 * 1024);
            config.http.request_timeout_secs = 300;
        },
        |app| async move {
            const SIZE: usize = 200 * 1024 * 1024;
            const CHUNK: usize = 1024 * 1024;
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            // The client generates the bytes as it sends them: neither side
            // holds the file.
            let chunks = (0..SIZE / CHUNK).map(|i| {
                let mut chunk = vec![0u8; CHUNK];
                chunk[0] = 0xff;
                chunk[1] = i as u8;
                Ok::<_, std::io::Error>(chunk)
            });
            let body = reqwest::Body::wrap_stream(tokio_stream_iter(chunks));
            let part = Part::stream_with_length(body, SIZE as u64).file_name("capture.bin");
            let baseline = resident();
            let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(baseline));
            let sampling = {
                let peak = peak.clone();
                tokio::spawn(async move {
                    loop {
                        peak.fetch_max(resident(), std::sync::atomic::Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            };
            let response = app
                .request(
                    Method::POST,
                    &format!("/api/v1/cases/{number}/attachments"),
                    Some(&dana),
                )
                .multipart(Form::new().part("file", part))
                .send()
                .await
                .unwrap();
            sampling.abort();
            let status = response.status();
            let stored = json(response).await;
            assert_eq!(status, StatusCode::CREATED, "{stored}");
            assert_eq!(stored["size"], SIZE);
            let grown = peak.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(baseline);
            eprintln!(
                "resident memory grew by {} MB during a 200 MB upload",
                grown / (1024 * 1024)
            );
            // Alone, it grows by about 20 MB at first (buffers, the
            // allocator's arenas) and hardly at all after: a file held in
            // memory would add 200 MB or more.
            assert!(grown < 64 * 1024 * 1024, "memory grew by {grown} bytes");
            assert_eq!(staged_files(&app), 0);
        },
    )
    .await;
}

/// A stream of the iterator's items.
fn tokio_stream_iter<I>(items: I) -> impl futures_core::Stream<Item = I::Item> + Send + 'static
where
    I: Iterator + Send + Unpin + 'static,
    I::Item: Send,
{
    struct Iter<I>(I);
    impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
        type Item = I::Item;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<I::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(items)
}

#[tokio::test]
async fn r17_another_companys_user_gets_404_and_staff_downloads_are_audited() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let fiona = app.token("fiona@thistle.example").await;
            let analyst = app.token("analyst@support.example").await;
            let number = open_case(&app, &dana).await;
            let stored = json(upload(&app, &dana, number, "app.log", b"hello\n".to_vec()).await).await;
            let url = stored["url"].as_str().unwrap();

            problem(app.get(url, &fiona).await, StatusCode::NOT_FOUND, "not_found").await;
            problem(
                app.get("/api/v1/attachments/nothing-here", &fiona).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
            problem(
                app.get(&format!("/api/v1/cases/{number}/attachments"), &fiona).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
            problem(
                upload(&app, &fiona, number, "x.log", b"x".to_vec()).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;

            let download = app.get(url, &analyst).await;
            assert_eq!(download.status(), StatusCode::OK);
            assert_eq!(download.bytes().await.unwrap().as_ref(), b"hello\n");
            // R26: the customer's audit log shows the staff download.
            let log = json(app.get("/api/v1/audit?action=attachment", &dana).await).await;
            let entries = log["entries"].as_array().expect("entries");
            let downloaded = entries
                .iter()
                .find(|e| e["action"] == "attachment.downloaded")
                .unwrap_or_else(|| panic!("no download in {log}"));
            assert_eq!(downloaded["number"], number);
            assert_eq!(downloaded["actor"], "analyst@support.example");
            // The customer's own download is not staff access.
            app.get(url, &dana).await;
            let log = json(app.get("/api/v1/audit?action=attachment.downloaded", &dana).await).await;
            assert_eq!(log["entries"].as_array().unwrap().len(), 1);
        },
    )
    .await;
}

#[tokio::test]
async fn r17_a_closed_cases_files_are_deleted_after_the_retention_period() {
    on_each_storage(
        // Configured: 30 days (the default is 90).
        |config: &mut Config| config.files.retention_days = 30,
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let stored = json(upload(&app, &dana, number, "app.log", b"hello\n".to_vec()).await).await;
            assert_eq!(stored_objects(&app).await.len(), 1);

            let mut case = app
                .store
                .case_by_number(guichet_domain::case::CaseNumber(number))
                .await
                .unwrap()
                .unwrap();
            let state = guichet_web::AppState::new(
                app.store.clone(),
                app.config.support_policy().unwrap(),
                app.config.web_settings(),
                guichet_web::Clock::system(),
            );
            // Closed 29 days ago: kept.
            case.status = guichet_domain::case::CaseStatus::Closed;
            case.closed_at = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 29));
            app.store.change_case(&case, Default::default()).await.unwrap();
            assert_eq!(guichet_web::attachments::apply_retention(&state).await.unwrap(), 0);
            // Closed 31 days ago: deleted, with an event on the case.
            let mut case = app
                .store
                .case_by_number(guichet_domain::case::CaseNumber(number))
                .await
                .unwrap()
                .unwrap();
            case.closed_at = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 31));
            app.store.change_case(&case, Default::default()).await.unwrap();
            assert_eq!(guichet_web::attachments::apply_retention(&state).await.unwrap(), 1);
            assert!(stored_objects(&app).await.is_empty());
            problem(
                app.get(stored["url"].as_str().unwrap(), &dana).await,
                StatusCode::GONE,
                "attachment_deleted",
            )
            .await;
            let files = json(app.get(&format!("/api/v1/cases/{number}/attachments"), &dana).await).await;
            assert!(files[0]["deleted_at"].is_string());
            let case = json(app.get(&format!("/api/v1/cases/{number}"), &dana).await).await;
            let deleted = case["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["kind"] == "attachments_deleted")
                .expect("an event on the case")
                .clone();
            assert_eq!(deleted["data"]["count"], 1);
            assert_eq!(guichet_web::attachments::apply_retention(&state).await.unwrap(), 0);
        },
    )
    .await;
}

#[tokio::test]
async fn r17_analysts_attach_files_too_to_the_case_or_a_comment_and_a_closed_case_takes_none() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let analyst = app.token("analyst@support.example").await;
            let number = open_case(&app, &dana).await;
            let base = format!("/api/v1/cases/{number}");

            // The analyst attaches a file to the case; dana reads it.
            let fix = upload(&app, &analyst, number, "fix.log", b"apply patch 4711\n".to_vec()).await;
            assert_eq!(fix.status(), StatusCode::CREATED);
            let fix = json(fix).await;
            let analyst_id = app.user_id("analyst@support.example").await;
            assert_eq!(fix["uploaded_by"]["id"], analyst_id.as_str(), "{fix}");
            assert!(fix["comment"].is_null());
            let download = app.get(fix["url"].as_str().unwrap(), &dana).await;
            assert_eq!(download.bytes().await.unwrap().as_ref(), b"apply patch 4711\n");

            // dana attaches a file to her comment.
            let commented = app
                .send_json(
                    Method::POST,
                    &format!("{base}/comments"),
                    Some(&dana),
                    json!({"body": "The log of this morning is attached."}),
                )
                .await;
            assert_eq!(commented.status(), StatusCode::CREATED);
            let comment = json(app.get(&base, &dana).await).await["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .rev()
                .find(|e| e["kind"] == "commented")
                .expect("the comment on the timeline")["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let form = Form::new().text("comment", comment.clone()).part(
                "file",
                Part::bytes(b"09:00 ERROR ledger timeout\n".to_vec()).file_name("morning.log"),
            );
            let response = app
                .request(Method::POST, &format!("{base}/attachments"), Some(&dana))
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(json(response).await["comment"], comment.as_str());
            let files = json(app.get(&format!("{base}/attachments"), &analyst).await).await;
            let on_comment: Vec<_> = files
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["comment"] == comment.as_str())
                .collect();
            assert_eq!(on_comment.len(), 1, "{files}");
            assert_eq!(on_comment[0]["name"], "morning.log");

            // A comment the case does not have: refused, nothing stored.
            let form = Form::new()
                .text("comment", "no-such-comment")
                .part("file", Part::bytes(b"x\n".to_vec()).file_name("x.log"));
            let response = app
                .request(Method::POST, &format!("{base}/attachments"), Some(&dana))
                .multipart(form)
                .send()
                .await
                .unwrap();
            problem(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_comment").await;
            assert_eq!(stored_objects(&app).await.len(), 2);
            assert_eq!(staged_files(&app), 0);

            // A closed case takes no more files.
            let mut case = app
                .store
                .case_by_number(guichet_domain::case::CaseNumber(number))
                .await
                .unwrap()
                .unwrap();
            case.status = guichet_domain::case::CaseStatus::Closed;
            case.closed_at = Some(jiff::Timestamp::now());
            app.store.change_case(&case, Default::default()).await.unwrap();
            let refused = upload(&app, &dana, number, "late.log", b"late\n".to_vec()).await;
            problem(refused, StatusCode::CONFLICT, "case_closed").await;
            assert_eq!(stored_objects(&app).await.len(), 2);
            assert_eq!(staged_files(&app), 0);
        },
    )
    .await;
}

/// A zip archive of `entries`, stored without compression (what a zip tool
/// writes for `zip -0`).
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let (crc, size, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
        // Version 2.0, no flags, stored, 1980-01-01 00:00.
        let common = |v: &mut Vec<u8>| {
            for half in [20u16, 0, 0, 0, 0x21] {
                v.extend_from_slice(&half.to_le_bytes());
            }
            for word in [crc, size, size] {
                v.extend_from_slice(&word.to_le_bytes());
            }
            v.extend_from_slice(&name_len.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        for half in [0u16, 0, 0] {
            central.extend_from_slice(&half.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (count, central_at, central_size) = (entries.len() as u16, out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for half in [0u16, 0, count, count] {
        out.extend_from_slice(&half.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[tokio::test]
async fn r17_a_zips_recording_and_log_are_scrubbed_and_a_zip_nested_too_deep_is_refused() {
    on_each_storage(
        |_: &mut Config| {},
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let log = b"10:00 INFO start\n10:01 DEBUG password=hunter2hunter2\n";
            let archive = stored_zip(&[("capture/hang.har", &recording()), ("app.log", log)]);
            let response = upload(&app, &dana, number, "diagnostics.zip", archive).await;
            assert_eq!(
                response.status(),
                StatusCode::CREATED,
                "{}",
                response.text().await.unwrap()
            );
            let stored = json(response).await;
            assert_eq!(stored["kind"], "zip");
            assert_eq!(stored["removed"]["cookies"], 3, "{stored}");
            assert_eq!(stored["removed"]["authorization_headers"], 1, "{stored}");
            assert_eq!(stored["removed"]["credential_headers"], 1, "{stored}");
            // The session in the page's title and the CSRF token in the
            // response (the HAR), the password (the log).
            assert_eq!(stored["removed"]["parameters"], 3, "{stored}");
            let objects = stored_objects(&app).await;
            assert_eq!(objects.len(), 1);
            assert!(objects[0].1.starts_with(b"PK\x03\x04"), "the stored file is a zip");

            // Five archives deep: refused, nothing stored.
            let mut nested = stored_zip(&[("deep.log", b"x\n")]);
            for level in 0..5 {
                nested = stored_zip(&[(&format!("level{level}.zip"), &nested)]);
            }
            let refused = upload(&app, &dana, number, "nested.zip", nested).await;
            problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "zip_bomb").await;
            let broken = upload(&app, &dana, number, "broken.zip", b"PK\x03\x04broken".to_vec()).await;
            problem(broken, StatusCode::UNPROCESSABLE_ENTITY, "invalid_archive").await;
            assert_eq!(stored_objects(&app).await.len(), 1);
            assert_eq!(staged_files(&app), 0);
        },
    )
    .await;
}

#[tokio::test]
async fn r17_on_the_case_page_the_analyst_asks_the_customer_uploads_and_the_checklist_ticks() {
    use crate::portal_cases::{page, post, signed_in};
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let number = open_case(&app, &dana).await;
        let path = format!("/cases/{number}");

        // The analyst asks for the recording and something of their own.
        let (analyst, analyst_csrf) = signed_in(&app, "analyst@support.example").await;
        let asked = post(
            &analyst,
            &app,
            &format!("{path}/upload-requests"),
            &[
                ("csrf", &analyst_csrf),
                ("recording", "1"),
                ("other", "A screenshot of the error"),
                ("note", "Please record the hang."),
            ],
        )
        .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        let requests = json(app.get(&format!("/api/v1/cases/{number}/upload-requests"), &dana).await).await;
        assert_eq!(requests[0]["items"].as_array().unwrap().len(), 2);

        // Dana sees the checklist and the instructions, and uploads the
        // recording through the page's form.
        let (customer, customer_csrf) = signed_in(&app, "dana@acme.example").await;
        let (status, html) = page(&customer, &app, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Diagnostics requested"), "{html}");
        assert!(html.contains("A screenshot of the error"));
        assert!(html.contains("Export HAR"), "the instructions show while items wait");
        assert!(
            html.contains(
                "action=\"/cases/{number}/files\""
                    .replace("{number}", &number.to_string())
                    .as_str()
            )
        );
        assert!(
            !html.contains("id=\"form-upload-request\""),
            "customers do not ask for diagnostics"
        );

        let form = |csrf: Option<&str>| {
            let mut form = Form::new();
            if let Some(csrf) = csrf {
                form = form.text("csrf", csrf.to_owned());
            }
            form.text("item", "0")
                .part("file", Part::bytes(recording()).file_name("hang.har"))
        };
        // A forged form stores nothing.
        let forged = customer
            .post(format!("{}{path}/files", app.url))
            .multipart(form(None))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let files = json(app.get(&format!("/api/v1/cases/{number}/attachments"), &dana).await).await;
        assert!(files.as_array().unwrap().is_empty(), "{files}");

        let uploaded = customer
            .post(format!("{}{path}/files", app.url))
            .multipart(form(Some(&customer_csrf)))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
        let (_, html) = page(&customer, &app, &path).await;
        assert!(html.contains(">hang.har</a>"), "the file is listed with its link");
        assert!(
            html.contains("removed before it was stored"),
            "the page says what was scrubbed"
        );
        assert!(html.contains("☑"), "the recording's item is ticked");
        assert!(!html.contains(SESSION), "no secret reaches the page");
        let requests = json(app.get(&format!("/api/v1/cases/{number}/upload-requests"), &dana).await).await;
        assert!(requests[0]["items"][0]["attachment"].is_string(), "{requests}");
        assert!(requests[0]["items"][1]["attachment"].is_null());

        // The analyst's page has the form to ask again.
        let (_, staff_html) = page(&analyst, &app, &path).await;
        assert!(staff_html.contains("id=\"form-upload-request\""));

        // Someone of another company does not see the case.
        let (stranger, _) = signed_in(&app, "chef@lumiere.example").await;
        assert_eq!(page(&stranger, &app, &path).await.0, StatusCode::NOT_FOUND);
    })
    .await;
}

/// A body that arrives in `chunks` pieces, `pause` apart, like a large
/// file over a slow link.
fn slow_body(chunks: Vec<Vec<u8>>, pause: Duration) -> reqwest::Body {
    struct Receiver(tokio::sync::mpsc::Receiver<Vec<u8>>);
    impl futures_core::Stream for Receiver {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            context: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0.poll_recv(context).map(|chunk| chunk.map(Ok))
        }
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for chunk in chunks {
            tokio::time::sleep(pause).await;
            if sender.send(chunk).await.is_err() {
                return;
            }
        }
    });
    reqwest::Body::wrap_stream(Receiver(receiver))
}

#[tokio::test]
async fn r17_uploads_get_their_own_deadline_other_requests_keep_theirs() {
    on_each_engine_with(
        |config: &mut Config| {
            config.http.request_timeout_secs = 1;
        },
        |app| async move {
            let dana = app.token("dana@acme.example").await;
            let number = open_case(&app, &dana).await;
            let pause = Duration::from_millis(600);

            // A log that takes about 2.4 s to arrive is still taken.
            let lines: Vec<Vec<u8>> = (0..4).map(|i| format!("line {i}\n").into_bytes()).collect();
            let length = lines.iter().map(Vec::len).sum::<usize>() as u64;
            let part = Part::stream_with_length(slow_body(lines, pause), length).file_name("slow.log");
            let uploaded = app
                .request(
                    Method::POST,
                    &format!("/api/v1/cases/{number}/attachments"),
                    Some(&dana),
                )
                .multipart(Form::new().part("file", part))
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.status(), StatusCode::CREATED);

            // A comment as slow is cut off at the request deadline.
            let body = br#"{"body": "a comment that takes its time"}"#;
            let pieces: Vec<Vec<u8>> = body.chunks(12).map(<[u8]>::to_vec).collect();
            let slow_comment = app
                .request(Method::POST, &format!("/api/v1/cases/{number}/comments"), Some(&dana))
                .header("content-type", "application/json")
                .body(slow_body(pieces, pause))
                .send()
                .await
                .unwrap();
            assert_eq!(slow_comment.status(), StatusCode::REQUEST_TIMEOUT);
        },
    )
    .await;
}
