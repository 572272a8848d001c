//! The status page (R23, R24): maintenance windows expanded to the right
//! instants, incidents on the page, in the feeds, in the log-a-case form and
//! on linked cases, operators' changes, email subscriptions with double
//! opt-in and one-click unsubscribe, signed webhooks with retries, and
//! `guichet maintenance next`.

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_sqlite, problem};
use crate::portal_cases::signed_in;

/// The demo's status page on top of the demo's foundation.
async fn with_demo_status(app: &App) {
    guichet::demo::status::seed(&app.store, jiff::Timestamp::now())
        .await
        .expect("seed the demo status page");
}

async fn get_json(app: &App, path: &str) -> Value {
    let response = app.request(Method::GET, path, None).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    json(response).await
}

async fn get_text(app: &App, path: &str, accept_language: &str) -> (StatusCode, String, String) {
    let response = app
        .request(Method::GET, path, None)
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), content_type, response.text().await.unwrap())
}

fn starts_and_ends(occurrences: &Value) -> Vec<(String, String)> {
    occurrences
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["start"].as_str().unwrap().to_owned(),
                o["end"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(start: &str, end: &str) -> (String, String) {
    (start.to_owned(), end.to_owned())
}

#[tokio::test]
async fn r23_the_demo_windows_expand_to_the_right_utc_instants_in_winter_and_summer() {
    on_each_engine(|app| async move {
        with_demo_status(&app).await;
        // Financials, Fridays 19:30–23:30 Pacific, across the March change.
        let march = get_json(
            &app,
            "/api/v1/maintenance?product=financials&from=2026-03-06T00:00:00Z&to=2026-03-21T00:00:00Z",
        )
        .await;
        assert_eq!(
            starts_and_ends(&march),
            [
                pair("2026-03-07T03:30:00Z", "2026-03-07T07:30:00Z"),
                pair("2026-03-14T02:30:00Z", "2026-03-14T06:30:00Z"),
            ]
        );
        assert_eq!(march[0]["time_zone"], "America/Los_Angeles");
        assert_eq!(march[0]["local_start"], "2026-03-06T19:30:00-08:00");
        assert_eq!(march[1]["local_start"], "2026-03-13T19:30:00-07:00");
        assert_eq!(march[1]["local_end"], "2026-03-13T23:30:00-07:00");
        assert_eq!(march[0]["recurring"], true);
        assert_eq!(march[0]["status"], "completed", "March 2026 is past");

        // Financials across the November change.
        let november = get_json(
            &app,
            "/api/v1/maintenance?product=financials&from=2026-10-30T00:00:00Z&to=2026-11-14T00:00:00Z",
        )
        .await;
        assert_eq!(
            starts_and_ends(&november),
            [
                pair("2026-10-31T02:30:00Z", "2026-10-31T06:30:00Z"),
                pair("2026-11-07T03:30:00Z", "2026-11-07T07:30:00Z"),
            ]
        );

        // Intelligent Time, Saturdays 23:00 to Sunday 01:00 Pacific.
        let it = get_json(
            &app,
            "/api/v1/maintenance?product=time&from=2026-10-31T00:00:00Z&to=2026-11-09T00:00:00Z",
        )
        .await;
        assert_eq!(
            starts_and_ends(&it),
            [
                pair("2026-11-01T06:00:00Z", "2026-11-01T08:00:00Z"),
                pair("2026-11-08T07:00:00Z", "2026-11-08T09:00:00Z"),
            ]
        );
        assert_eq!(it[0]["local_start"], "2026-10-31T23:00:00-07:00");
        assert_eq!(it[0]["local_end"], "2026-11-01T01:00:00-07:00");
        assert_eq!(it[1]["local_end"], "2026-11-08T01:00:00-08:00");
        let spring = get_json(
            &app,
            "/api/v1/maintenance?product=time&from=2026-03-07T00:00:00Z&to=2026-03-16T00:00:00Z",
        )
        .await;
        assert_eq!(
            starts_and_ends(&spring),
            [
                pair("2026-03-08T07:00:00Z", "2026-03-08T09:00:00Z"),
                pair("2026-03-15T06:00:00Z", "2026-03-15T08:00:00Z"),
            ]
        );

        // Bad questions are named.
        let bad = |path: &'static str| app.request(Method::GET, path, None).send();
        problem(
            bad("/api/v1/maintenance?product=payroll").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "unknown_product",
        )
        .await;
        problem(
            bad("/api/v1/maintenance?from=yesterday").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_from",
        )
        .await;
        problem(
            bad("/api/v1/maintenance?from=2026-03-06T00:00:00Z&to=2028-03-06T00:00:00Z")
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_to",
        )
        .await;
    })
    .await;
}

/// Opens an incident as the administrator; returns it.
async fn open_incident(app: &App, admin: &str, product: &str, component: &str, title: &str) -> Value {
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/incidents",
            Some(admin),
            json!({
                "product": product,
                "title": title,
                "impact": "major",
                "status": "investigating",
                "components": [{"component": component, "status": "partial_outage"}],
                "body": "Exports fail with a timeout. We are investigating.",
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await
}

#[tokio::test]
async fn r24_an_incident_shows_on_the_page_in_the_feeds_in_the_case_form_and_on_linked_cases() {
    on_each_engine(|app| async move {
        with_demo_status(&app).await;
        let admin = app.token("admin@support.example").await;
        let dana = app.token("dana@acme.example").await;

        // Only operators open incidents.
        let refused = app
            .send_json(
                Method::POST,
                "/api/v1/incidents",
                Some(&dana),
                json!({"product": "financials", "title": "x", "body": "x"}),
            )
            .await;
        problem(refused, StatusCode::FORBIDDEN, "operator_required").await;

        let title = "Exports to Excel fail";
        let incident = open_incident(&app, &admin, "financials", "reporting", title).await;
        let id = incident["id"].as_str().unwrap().to_owned();
        assert_eq!(incident["status"], "investigating");

        // The status API, with no sign-in.
        let status = get_json(&app, "/api/v1/status?product=financials").await;
        let financials = &status["products"][0];
        assert!(
            financials["active_incidents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str())
        );
        let reporting = financials["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == "reporting")
            .unwrap();
        assert_eq!(reporting["status"], "partial_outage");
        assert_eq!(reporting["set_status"], "operational");
        assert_eq!(financials["status"], "partial_outage");
        assert!(
            !financials["history"].as_array().unwrap().is_empty(),
            "the demo's resolved incidents"
        );

        // The page, in English and French, without signing in.
        let (code, _, english) = get_text(&app, "/status", "en").await;
        assert_eq!(code, StatusCode::OK);
        assert!(english.contains(title) && english.contains("Active incidents"));
        assert!(english.contains(&format!("id=\"incident-{id}\"")));
        let (_, _, french) = get_text(&app, "/status?tz=Europe/Paris", "fr").await;
        assert!(french.contains("<html lang=\"fr\">") && french.contains("Incidents en cours"));
        assert!(french.contains("Panne partielle") && french.contains(title));
        assert!(french.contains("Europe/Paris"));
        assert!(!french.contains("<script"), "no JavaScript");

        // Atom and RSS, parsed back, with the incident and the maintenance.
        let (code, content_type, atom) = get_text(&app, "/status/feed.atom", "en").await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(content_type, "application/atom+xml; charset=utf-8");
        let feed = atom_syndication::Feed::read_from(atom.as_bytes()).expect("valid Atom");
        let uuid = format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        );
        let entry = feed
            .entries()
            .iter()
            .find(|e| e.id() == uuid)
            .expect("an entry for the incident");
        assert!(entry.title().as_str().contains(title));
        assert!(
            feed.entries()
                .iter()
                .any(|e| e.title().as_str().contains("Reporting database upgrade"))
        );
        assert!(
            feed.entries()
                .iter()
                .any(|e| e.title().as_str().contains("Weekly maintenance"))
        );
        let (_, content_type, rss) = get_text(&app, "/status/feed.rss?product=financials", "en").await;
        assert_eq!(content_type, "application/rss+xml; charset=utf-8");
        let channel = rss::Channel::read_from(rss.as_bytes()).expect("valid RSS");
        let item = channel
            .items()
            .iter()
            .find(|i| i.guid().map(|g| g.value()) == Some(uuid.as_str()))
            .expect("an item for the incident");
        assert!(item.pub_date().is_some_and(|d| d.ends_with("GMT")));
        assert!(
            channel
                .items()
                .iter()
                .all(|i| !i.title().unwrap_or("").contains("[Intelligent Time]")),
            "one product's feed"
        );
        let (code, _, _) = get_text(&app, "/status/feed.rss?product=payroll", "en").await;
        assert_eq!(code, StatusCode::NOT_FOUND);

        // Opening a case about Financials: the answer tells of it.
        let opened = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&dana),
                json!({
                    "product": "financials", "area": "reporting", "environment": "production",
                    "impact": "blocked", "scope": "group", "subject": "Excel export fails",
                    "description": "Every export times out since this morning.",
                }),
            )
            .await;
        assert_eq!(opened.status(), StatusCode::CREATED);
        let case = json(opened).await;
        let known = &case["known_issues"];
        assert!(
            known["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str())
        );
        let number = case["number"].as_i64().unwrap();

        // The wizard's second step shows it before the case is submitted.
        let (browser, csrf) = signed_in(&app, "dana@acme.example").await;
        let step_two = browser
            .post(format!("{}/cases/new", app.url))
            .form(&[
                ("csrf", csrf.as_str()),
                ("step", "choose"),
                ("product_area", "financials/reporting"),
                ("environment", "production"),
                ("impact", "blocked"),
                ("scope", "group"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(step_two.status(), StatusCode::OK);
        let html = step_two.text().await.unwrap();
        assert!(html.contains("id=\"known-issues\"") && html.contains(title), "{html}");
        assert!(html.contains(&format!("value=\"{id}\"")), "the incident can be chosen");

        // Link the case; the timeline says so.
        let linked = app
            .send_json(
                Method::POST,
                &format!("/api/v1/incidents/{id}/cases"),
                Some(&dana),
                json!({"case": number.to_string()}),
            )
            .await;
        assert_eq!(linked.status(), StatusCode::OK);
        let as_staff = json(app.get(&format!("/api/v1/incidents/{id}"), &admin).await).await;
        assert_eq!(as_staff["linked_cases"], json!([number]));
        let as_anyone = get_json(&app, &format!("/api/v1/incidents/{id}")).await;
        assert!(as_anyone.get("linked_cases").is_none(), "only staff see linked cases");

        // Resolving posts the resolution on the case.
        let resolved = app
            .send_json(
                Method::POST,
                &format!("/api/v1/incidents/{id}/updates"),
                Some(&admin),
                json!({"status": "resolved", "body": "Exports work again."}),
            )
            .await;
        assert_eq!(resolved.status(), StatusCode::OK);
        let resolved = json(resolved).await;
        assert_eq!(resolved["status"], "resolved");
        assert!(resolved["resolved_at"].is_string());
        let timeline = json(app.get(&format!("/api/v1/cases/{number}"), &dana).await).await["timeline"].clone();
        let kinds: Vec<&str> = timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"incident_linked"), "{kinds:?}");
        let update = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "incident_updated")
            .expect("the resolution on the case");
        assert_eq!(update["data"]["status"], "resolved");
        assert_eq!(update["data"]["body"], "Exports work again.");
        let (_, case_page) = {
            let response = browser.get(format!("{}/cases/{number}", app.url)).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        };
        assert!(
            case_page.contains("Incident update: Resolved"),
            "the case page says it in words"
        );

        // A resolved incident takes no more updates, and no more cases.
        let again = app
            .send_json(
                Method::POST,
                &format!("/api/v1/incidents/{id}/updates"),
                Some(&admin),
                json!({"status": "monitoring", "body": "x"}),
            )
            .await;
        problem(again, StatusCode::CONFLICT, "incident_resolved").await;
        let status = get_json(&app, "/api/v1/status?product=financials").await;
        assert!(
            status["products"][0]["active_incidents"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["id"] != id.as_str())
        );
        assert!(
            status["products"][0]["history"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn r23_operators_plan_skip_cancel_and_end_windows_and_the_calendar_follows() {
    on_each_engine(|app| async move {
        with_demo_status(&app).await;
        let admin = app.token("lead@support.example").await;
        let windows = get_json(&app, "/api/v1/maintenance/windows?product=financials").await;
        let weekly = windows
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["kind"] == "weekly")
            .unwrap();
        assert_eq!(weekly["weekday"], "friday");
        assert_eq!((weekly["start_time"].as_str(), weekly["end_time"].as_str()), (Some("19:30"), Some("23:30")));
        let weekly_id = weekly["id"].as_str().unwrap().to_owned();

        // Skip Friday 13 March 2026 by its local date.
        let skipped = app
            .send_json(
                Method::POST,
                &format!("/api/v1/maintenance/windows/{weekly_id}/skips"),
                Some(&admin),
                json!({"occurrence": "2026-03-13", "body": "No maintenance this week."}),
            )
            .await;
        assert_eq!(skipped.status(), StatusCode::OK);
        assert_eq!(json(skipped).await["skipped"], json!(["2026-03-14T02:30:00Z"]));
        let march = get_json(
            &app,
            "/api/v1/maintenance?product=financials&from=2026-03-13T00:00:00Z&to=2026-03-15T00:00:00Z",
        )
        .await;
        assert_eq!(march[0]["status"], "cancelled");
        assert_eq!(march[0]["updates"][0]["body"], "No maintenance this week.");
        let wrong = app
            .send_json(
                Method::POST,
                &format!("/api/v1/maintenance/windows/{weekly_id}/skips"),
                Some(&admin),
                json!({"occurrence": "2026-03-14T03:30:00Z"}),
            )
            .await;
        problem(wrong, StatusCode::UNPROCESSABLE_ENTITY, "unknown_occurrence").await;

        // A one-off window, then cancelled; another under way, ended early.
        let create = |body: Value| app.send_json(Method::POST, "/api/v1/maintenance/windows", Some(&admin), body);
        let now = jiff::Timestamp::now();
        let planned = create(json!({
            "product": "time", "title": "Storage migration", "components": ["api"],
            "starts_at": (now + jiff::SignedDuration::from_hours(48)).to_string(),
            "ends_at": (now + jiff::SignedDuration::from_hours(50)).to_string(),
        }))
        .await;
        assert_eq!(planned.status(), StatusCode::CREATED);
        let planned = json(planned).await;
        assert_eq!(planned["time_zone"], "America/Los_Angeles", "the product's zone");
        let planned_id = planned["id"].as_str().unwrap().to_owned();
        let status = get_json(&app, "/api/v1/status?product=time").await;
        assert!(status["products"][0]["maintenance_upcoming"].as_array().unwrap().iter().any(|o| o["window"] == planned_id.as_str()));
        let cancel = app
            .request(Method::POST, &format!("/api/v1/maintenance/windows/{planned_id}/cancel"), Some(&admin))
            .send()
            .await
            .unwrap();
        assert_eq!(cancel.status(), StatusCode::OK);
        assert!(json(cancel).await["cancelled_at"].is_string());

        let under_way = json(
            create(json!({
                "product": "time", "title": "Network switch replacement", "components": ["web_application"],
                "starts_at": (now - jiff::SignedDuration::from_hours(1)).to_string(),
                "ends_at": (now + jiff::SignedDuration::from_hours(1)).to_string(),
            }))
            .await,
        )
        .await;
        let under_way_id = under_way["id"].as_str().unwrap().to_owned();
        let status = get_json(&app, "/api/v1/status?product=time").await;
        let time = &status["products"][0];
        assert_eq!(time["maintenance_in_progress"][0]["window"], under_way_id.as_str());
        let web = time["components"].as_array().unwrap().iter().find(|c| c["key"] == "web_application").unwrap();
        assert_eq!(web["status"], "under_maintenance");
        let update = app
            .send_json(
                Method::POST,
                &format!("/api/v1/maintenance/windows/{under_way_id}/updates"),
                Some(&admin),
                json!({"body": "Half of the switches are replaced."}),
            )
            .await;
        assert_eq!(update.status(), StatusCode::CREATED);
        let done = app
            .request(Method::POST, &format!("/api/v1/maintenance/windows/{under_way_id}/complete"), Some(&admin))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        let status = get_json(&app, "/api/v1/status?product=time").await;
        assert!(status["products"][0]["maintenance_in_progress"].as_array().unwrap().is_empty());
        let weekly_time = get_json(&app, "/api/v1/maintenance/windows?product=time").await;
        let weekly_time_id = weekly_time
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["kind"] == "weekly")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let not_one_off = app
            .request(Method::POST, &format!("/api/v1/maintenance/windows/{weekly_time_id}/complete"), Some(&admin))
            .send()
            .await
            .unwrap();
        problem(not_one_off, StatusCode::CONFLICT, "window_weekly").await;

        // The calendar: RRULE with its zone, the EXDATE, the cancelled one.
        let (code, content_type, ics) = get_text(&app, "/status/maintenance.ics", "en").await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(content_type, "text/calendar; charset=utf-8");
        let unfolded = icalendar::parser::unfold(&ics);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
        let events: Vec<_> = calendar.components.iter().filter(|c| c.name.as_str() == "VEVENT").collect();
        let property = |event: &icalendar::parser::Component, name: &str| {
            event.find_prop(name).map(|p| p.val.as_str().to_owned())
        };
        let financials = events
            .iter()
            .find(|e| property(e, "UID").unwrap() == format!("{weekly_id}@guichet"))
            .expect("the weekly window");
        assert_eq!(property(financials, "RRULE").unwrap(), "FREQ=WEEKLY;BYDAY=FR");
        assert_eq!(property(financials, "DURATION").unwrap(), "PT4H");
        assert!(unfolded.contains("DTSTART;TZID=America/Los_Angeles:20250103T193000"), "{unfolded}");
        assert!(unfolded.contains("EXDATE;TZID=America/Los_Angeles:20260313T193000"), "{unfolded}");
        assert!(calendar.components.iter().any(|c| c.name.as_str() == "VTIMEZONE"));
        let cancelled = events
            .iter()
            .find(|e| property(e, "UID").unwrap() == format!("{planned_id}@guichet"))
            .unwrap();
        assert_eq!(property(cancelled, "STATUS").unwrap(), "CANCELLED");
        let time_only = get_text(&app, "/status/maintenance.ics?product=time", "en").await.2;
        assert!(!time_only.contains(&weekly_id), "one product's calendar");

        // Customers do not operate the page.
        let dana = app.token("dana@acme.example").await;
        let refused = app
            .send_json(
                Method::POST,
                "/api/v1/maintenance/windows",
                Some(&dana),
                json!({"product": "time", "title": "x", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T01:00:00Z"}),
            )
            .await;
        problem(refused, StatusCode::FORBIDDEN, "operator_required").await;
    })
    .await;
}

/// The mails of the outbox, oldest first, as JSON.
async fn mails(app: &App) -> Vec<Value> {
    app.store
        .outbox_of_kind("mail")
        .await
        .unwrap()
        .into_iter()
        .map(|row| serde_json::from_str(&row.message.payload).unwrap())
        .collect()
}

fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn r24_email_subscribers_confirm_first_and_unsubscribe_in_one_click() {
    on_each_engine(|app| async move {
        with_demo_status(&app).await;
        let admin = app.token("admin@support.example").await;
        let subscribe = app
            .send_json(
                Method::POST,
                "/api/v1/status/subscriptions",
                None,
                json!({"email": "ops@lumiere.example", "product": "financials", "language": "fr"}),
            )
            .await;
        assert_eq!(subscribe.status(), StatusCode::ACCEPTED);
        let bad = app
            .send_json(
                Method::POST,
                "/api/v1/status/subscriptions",
                None,
                json!({"email": "nobody"}),
            )
            .await;
        problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_email").await;
        let sent = mails(&app).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["to"], "ops@lumiere.example");
        assert_eq!(sent[0]["language"], "fr");
        assert!(
            sent[0]["subject"]
                .as_str()
                .unwrap()
                .starts_with("Confirmez votre abonnement")
        );
        let body = sent[0]["body"].as_str().unwrap();
        assert!(body.contains("/status/subscriptions/confirm?token="));
        let token = token_in(body);

        // Not confirmed yet: an incident sends nothing.
        open_incident(&app, &admin, "financials", "api", "API errors").await;
        assert_eq!(mails(&app).await.len(), 1);

        // Confirming: the page asks, the button confirms.
        let confirm_path = format!("/status/subscriptions/confirm?token={token}");
        let (code, _, page) = get_text(&app, &confirm_path, "en").await;
        assert_eq!(code, StatusCode::OK);
        assert!(page.contains("lang=\"fr\"") && page.contains("action=\"/status/subscriptions/confirm?token="));
        let confirmed = app.request(Method::POST, &confirm_path, None).send().await.unwrap();
        assert_eq!(confirmed.status(), StatusCode::OK);
        assert!(confirmed.text().await.unwrap().contains("abonnement est confirmé"));

        // Now an incident of Financials is mailed in French, with RFC 8058
        // one-click unsubscribe; one of Intelligent Time is not.
        let incident = open_incident(&app, &admin, "financials", "reporting", "Slow reports").await;
        open_incident(&app, &admin, "time", "api", "Time API errors").await;
        let sent = mails(&app).await;
        assert_eq!(sent.len(), 2, "{sent:#?}");
        let notice = &sent[1];
        assert_eq!(notice["subject"], "[Financials] Slow reports : En cours d'analyse");
        let headers = notice["headers"].as_array().unwrap();
        assert!(headers.contains(&json!(["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"])));
        let unsubscribe_url = headers.iter().find(|h| h[0] == "List-Unsubscribe").unwrap()[1]
            .as_str()
            .unwrap()
            .trim_matches(['<', '>'])
            .to_owned();
        assert_eq!(token_in(&unsubscribe_url), token);

        // One click: the mail client POSTs the header's URL.
        let path = &unsubscribe_url[unsubscribe_url.find("/status/").unwrap()..];
        let one_click = app
            .request(Method::POST, path, None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(one_click.status(), StatusCode::OK);
        app.send_json(
            Method::POST,
            &format!("/api/v1/incidents/{}/updates", incident["id"].as_str().unwrap()),
            Some(&admin),
            json!({"status": "resolved", "body": "Fixed."}),
        )
        .await;
        assert_eq!(mails(&app).await.len(), 2, "no more mail once unsubscribed");
        let gone = app
            .send_json(
                Method::POST,
                "/api/v1/status/subscriptions/confirm",
                None,
                json!({"token": token}),
            )
            .await;
        problem(gone, StatusCode::NOT_FOUND, "unknown_token").await;
    })
    .await;
}

#[tokio::test]
async fn r24_the_page_subscribes_by_email_with_its_own_form() {
    on_sqlite(|app| async move {
        with_demo_status(&app).await;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = browser
            .get(format!("{}/status", app.url))
            .header("accept-language", "fr")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).unwrap() + marker.len();
        let csrf = &page[start..start + page[start..].find('"').unwrap()];
        let sent = browser
            .post(format!("{}/status/subscribe", app.url))
            .header("accept-language", "fr")
            .form(&[("csrf", csrf), ("email", "lecteur@example.com"), ("product", "time")])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
        let mails = mails(&app).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0]["language"], "fr");
        assert!(mails[0]["subject"].as_str().unwrap().contains("Intelligent Time"));
        let forged = browser
            .post(format!("{}/status/subscribe", app.url))
            .form(&[("csrf", "forged"), ("email", "x@example.com")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

/// What a webhook receiver got: headers and body of each request.
type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A receiver on port 0 that answers 500 to its first request and 204 to
/// the others.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn wait_for(received: &Received, count: usize) {
    for _ in 0..200 {
        if received.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the receiver did not get {count} request(s)");
}

/// The housekeeping worker's delivery, run now or later.
fn worker(app: &App, at: jiff::Timestamp) -> guichet_web::AppState {
    let config = guichet::config::Config::default();
    guichet_web::AppState::new(
        app.store.clone(),
        config.support_policy().unwrap(),
        config.web_settings(),
        guichet_web::Clock::fixed(at),
    )
}

#[tokio::test]
async fn r24_signed_webhooks_are_verified_with_the_secret_and_retried() {
    on_each_engine(|app| async move {
        with_demo_status(&app).await;
        let admin = app.token("admin@support.example").await;
        let (url, received) = receiver().await;
        let created = app
            .send_json(
                Method::POST,
                "/api/v1/status/webhooks",
                Some(&admin),
                json!({"url": url}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let webhook = json(created).await;
        let secret = webhook["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"));
        let listed = json(app.get("/api/v1/status/webhooks", &admin).await).await;
        assert!(listed[0].get("secret").is_none(), "the secret is shown once");
        let dana = app.token("dana@acme.example").await;
        problem(
            app.get("/api/v1/status/webhooks", &dana).await,
            StatusCode::FORBIDDEN,
            "operator_required",
        )
        .await;

        let incident = open_incident(&app, &admin, "time", "api", "Timesheets do not save").await;
        let now = jiff::Timestamp::now();
        // The first try fails (500): the housekeeping worker or this one
        // makes it.
        guichet_web::status::deliver_webhooks(&worker(&app, now)).await.unwrap();
        wait_for(&received, 1).await;
        let rows = app.store.outbox_of_kind("webhook").await.unwrap();
        assert_eq!(rows.len(), 1);
        // Wait for the failure to be written down (a worker may be mid-try).
        for _ in 0..200 {
            if app.store.outbox_of_kind("webhook").await.unwrap()[0].attempts == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let failed = &app.store.outbox_of_kind("webhook").await.unwrap()[0];
        assert_eq!(failed.attempts, 1);
        assert_eq!(failed.last_error.as_deref(), Some("HTTP 500"));
        assert!(failed.done_at.is_none(), "to be retried");
        // Not before its backoff…
        assert_eq!(
            guichet_web::status::deliver_webhooks(&worker(&app, now)).await.unwrap(),
            0
        );
        assert_eq!(received.lock().unwrap().len(), 1);
        // …but after it.
        let later = now + jiff::SignedDuration::from_mins(5);
        assert_eq!(
            guichet_web::status::deliver_webhooks(&worker(&app, later))
                .await
                .unwrap(),
            1
        );
        let done = &app.store.outbox_of_kind("webhook").await.unwrap()[0];
        assert_eq!((done.attempts, done.done_at.is_some()), (2, true), "two tries");

        // The receiver verifies the signature with the documented secret.
        let (headers, body) = received.lock().unwrap()[1].clone();
        let timestamp: i64 = headers["x-guichet-timestamp"].to_str().unwrap().parse().unwrap();
        assert_eq!(timestamp, later.as_second());
        let signature = headers["x-guichet-signature"].to_str().unwrap();
        assert_eq!(signature, guichet_web::status::signature(&secret, timestamp, &body));
        assert_ne!(
            signature,
            guichet_web::status::signature("whsec_wrong", timestamp, &body)
        );
        assert_eq!(headers["x-guichet-event"], "incident.created");
        let payload: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(payload["event"], "incident.created");
        assert_eq!(payload["product"], "time");
        assert_eq!(payload["data"]["id"], incident["id"]);
        assert_eq!(received.lock().unwrap()[0].1, body, "the retry sends the same body");

        // A removed webhook gets nothing more.
        let id = webhook["id"].as_str().unwrap();
        let removed = app
            .request(Method::DELETE, &format!("/api/v1/status/webhooks/{id}"), Some(&admin))
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
        open_incident(&app, &admin, "time", "api", "Another one").await;
        assert_eq!(app.store.outbox_of_kind("webhook").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn r24_a_receiver_that_keeps_failing_is_given_up_after_the_attempts() {
    on_sqlite(|app| async move {
        with_demo_status(&app).await;
        let admin = app.token("admin@support.example").await;
        // Nothing listens there.
        let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", dead.local_addr().unwrap());
        drop(dead);
        app.send_json(
            Method::POST,
            "/api/v1/status/webhooks",
            Some(&admin),
            json!({"url": url}),
        )
        .await;
        open_incident(&app, &admin, "financials", "api", "Unreachable receiver").await;
        let mut at = jiff::Timestamp::now();
        let attempts = guichet_web::status::StatusSettings::default().webhook_attempts;
        for _ in 0..attempts {
            guichet_web::status::deliver_webhooks(&worker(&app, at)).await.unwrap();
            at += jiff::SignedDuration::from_hours(2);
        }
        let row = &app.store.outbox_of_kind("webhook").await.unwrap()[0];
        assert_eq!(row.attempts, attempts);
        assert!(row.done_at.is_some(), "given up");
        assert_eq!(row.last_error.as_deref(), Some("not delivered: could not connect"));
    })
    .await;
}

fn guichet() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"));
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

#[test]
fn r23_guichet_maintenance_next_prints_the_next_windows_in_utc() {
    let dir = tempfile::tempdir().unwrap();
    let output = guichet()
        .args([
            "maintenance",
            "next",
            "--product",
            "financials",
            "--after",
            "2026-03-06T00:00:00Z",
            "--count",
            "3",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "2026-03-07T03:30:00Z 2026-03-07T07:30:00Z\n\
         2026-03-14T02:30:00Z 2026-03-14T06:30:00Z\n\
         2026-03-21T02:30:00Z 2026-03-21T06:30:00Z\n"
    );
    let output = guichet()
        .args([
            "maintenance",
            "next",
            "--product",
            "time",
            "--after",
            "2026-10-31T00:00:00Z",
            "--count",
            "2",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "2026-11-01T06:00:00Z 2026-11-01T08:00:00Z\n2026-11-08T07:00:00Z 2026-11-08T09:00:00Z\n"
    );
    let output = guichet()
        .args(["maintenance", "next", "--product", "payroll", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("payroll"));
    let help = guichet().args(["maintenance", "next", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--after"));
}
