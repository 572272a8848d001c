//! SLA clocks on cases (R15, R16, R21): they start, pause, resume and
//! raise their alarms once; a P1/P2 breach escalates.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_sqlite};

fn case_body(impact: &str, scope: &str) -> Value {
    json!({
        "product": "financials", "area": "general_ledger", "environment": "production",
        "impact": impact, "scope": scope,
        "subject": "Journal entries will not post", "description": "Since this morning.",
    })
}

async fn open(app: &App, token: &str, impact: &str, scope: &str) -> Value {
    let response = app
        .send_json(Method::POST, "/api/v1/cases", Some(token), case_body(impact, scope))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await
}

fn clock<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clock"] == name)
        .unwrap_or(&Value::Null)
}

fn instant(value: &Value) -> jiff::Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

/// Runs the watcher as if it were `later` from now.
async fn watch_at(app: &App, later: jiff::SignedDuration) -> usize {
    let state = guichet_web::AppState::new(
        app.store.clone(),
        Default::default(),
        Default::default(),
        guichet_web::Clock::fixed(jiff::Timestamp::now() + later),
    );
    guichet_web::cases::watch_clocks(&state).await.unwrap()
}

#[tokio::test]
async fn r15_clocks_start_pause_on_the_customer_and_resume_on_the_reply() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let opened_at = jiff::Timestamp::now();
        let case = open(&app, &dana, "outage", "organization").await;
        assert_eq!(case["priority"], "P1");
        let first = clock(&case, "first_response");
        assert_eq!(first["state"], "running");
        assert_eq!(first["hours"], "around_the_clock");
        assert_eq!(first["target"], "2h");
        // P1, standard: two hours around the clock (R21: priority requests after hours too).
        let due = instant(&first["due_at"]);
        assert!(due >= opened_at + jiff::SignedDuration::from_hours(2));
        assert!(due <= jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2));

        let base = format!("/api/v1/cases/{}", case["number"]);
        let asked = app
            .send_json(
                Method::POST,
                &format!("{base}/answers"),
                Some(&analyst),
                json!({"kind": "need_info", "body": "Which journal?"}),
            )
            .await;
        let asked = json(asked).await;
        assert_eq!(clock(&asked, "first_response")["state"], "met");
        assert_eq!(clock(&asked, "next_update")["state"], "paused");
        assert!(clock(&asked, "next_update")["due_at"].is_null());

        let replied = app
            .send_json(
                Method::POST,
                &format!("{base}/comments"),
                Some(&dana),
                json!({"body": "The sales journal."}),
            )
            .await;
        let replied = json(replied).await;
        let update = clock(&replied, "next_update");
        assert_eq!(update["state"], "running");
        assert_eq!(update["target"], "4h");
        assert!(instant(&update["due_at"]) > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(3));
    })
    .await;
}

#[tokio::test]
async fn r15_a_p1_breach_raises_alarms_once_and_escalates() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let lead = app.token("lead@support.example").await;
        let case = open(&app, &dana, "outage", "organization").await;
        let quiet = open(&app, &dana, "question", "individual").await;
        let base = format!("/api/v1/cases/{}", case["number"]);

        assert_eq!(
            watch_at(&app, jiff::SignedDuration::from_mins(30)).await,
            0,
            "nothing due yet"
        );
        // 1 h 40: 75 % of two hours used.
        assert_eq!(watch_at(&app, jiff::SignedDuration::from_mins(100)).await, 1);
        let warned = json(app.get(&base, &lead).await).await;
        assert_eq!(clock(&warned, "first_response")["warned"], true);
        assert_eq!(warned["escalated"], false);
        // Three hours later: breached, escalated, and only once.
        assert_eq!(watch_at(&app, jiff::SignedDuration::from_hours(3)).await, 1);
        assert_eq!(
            watch_at(&app, jiff::SignedDuration::from_hours(3)).await,
            0,
            "raised once"
        );
        let breached = json(app.get(&base, &lead).await).await;
        assert_eq!(breached["escalated"], true);
        assert_eq!(clock(&breached, "first_response")["breached"], true);
        let kinds: Vec<&str> = breached["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "sla_alarm").count(), 2, "{kinds:?}");
        assert!(kinds.contains(&"escalated_automatically"));
        // Customers see the escalation, not the internal alarms.
        let hers = json(app.get(&base, &dana).await).await;
        assert!(
            !hers["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "sla_alarm")
        );
        // The breached case heads the manager's queue, marked in words.
        let (browser, _) = crate::portal_cases::signed_in(&app, "lead@support.example").await;
        let page = browser
            .get(format!("{}/queue", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("badge alarm breached"), "{page}");
        assert!(page.contains("target missed"));
        let case_page = browser
            .get(format!("{}{base}", app.url).replace("/api/v1", ""))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            case_page.contains("id=\"sla\"") && case_page.contains("target missed"),
            "{case_page}"
        );
        let queue = json(app.get("/api/v1/queue", &lead).await).await;
        assert_eq!(queue["cases"][0]["number"], case["number"]);
        assert!(
            queue["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["number"] == quiet["number"])
        );
        let notified: Vec<String> = app
            .store
            // Pending or already turned into mails by the mail worker.
            .outbox_of_kind("notification")
            .await
            .unwrap()
            .iter()
            .map(|row| {
                serde_json::from_str::<Value>(&row.message.payload).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        for event in ["sla_warning", "sla_breach", "case_escalated"] {
            assert!(notified.contains(&event.to_owned()), "{event} missing: {notified:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn r16_a_case_waiting_on_the_customer_does_not_breach() {
    on_sqlite(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let case = open(&app, &dana, "outage", "organization").await;
        let base = format!("/api/v1/cases/{}", case["number"]);
        app.send_json(
            Method::POST,
            &format!("{base}/answers"),
            Some(&analyst),
            json!({"kind": "need_info", "body": "Logs, please."}),
        )
        .await;
        assert_eq!(watch_at(&app, jiff::SignedDuration::from_hours(48)).await, 0);
        let seen = json(app.get(&base, &analyst).await).await;
        assert_eq!(seen["escalated"], false);
        assert_eq!(clock(&seen, "next_update")["breached"], false);
    })
    .await;
}

#[tokio::test]
async fn r21_a_new_contract_moves_the_open_clocks() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let admin = app.token("admin@support.example").await;
        // P3 (blocked, one person): 24 business hours on standard, 12 on premium.
        let case = open(&app, &dana, "blocked", "individual").await;
        assert_eq!(case["priority"], "P3");
        let before = instant(&clock(&case, "first_response")["due_at"]);
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/companies/{acme}"),
                Some(&admin),
                json!({"sla_tier": "premium"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let after = json(app.get(&format!("/api/v1/cases/{}", case["number"]), &dana).await).await;
        let first = clock(&after, "first_response");
        assert_eq!(first["target"], "12h");
        assert!(instant(&first["due_at"]) < before, "premium is due sooner");
    })
    .await;
}

#[tokio::test]
async fn r21_company_calendars_take_a_subdivision_closures_and_ical_imports() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let bruce = app.token("bruce@koala.example").await;
        let koala = app.company_id("Koala Freight Pty Ltd").await;
        let base = format!("/api/v1/companies/{koala}");

        let response = app.send_json(Method::PATCH, &base, Some(&admin), json!({"subdivision": "nsw"})).await;
        assert_eq!(json(response).await["subdivision"], "NSW");
        let bad = app.send_json(Method::PATCH, &base, Some(&admin), json!({"subdivision": "XX"})).await;
        crate::helpers::problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "unknown_subdivision").await;

        let calendar = json(app.get(&format!("{base}/calendar?from=2026-01-01&to=2026-12-31"), &bruce).await).await;
        let holidays: Vec<&str> = calendar["holidays"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
        assert!(holidays.contains(&"2026-04-25"), "Anzac Day: {holidays:?}");
        assert!(holidays.contains(&"2026-10-05"), "NSW Labour Day: {holidays:?}");

        let closed = app
            .send_json(Method::POST, &format!("{base}/closures"), Some(&admin), json!({"date": "2026-12-24", "reason": "Office party"}))
            .await;
        assert_eq!(closed.status(), StatusCode::CREATED);
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Koala//EN\r\n\
                   BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261229\r\nDTEND;VALUE=DATE:20261231\r\nSUMMARY:Shutdown\r\nEND:VEVENT\r\n\
                   END:VCALENDAR\r\n";
        let imported = app
            .request(Method::POST, &format!("{base}/closures/import"), Some(&admin))
            .header("content-type", "text/calendar")
            .body(ics)
            .send()
            .await
            .unwrap();
        assert_eq!(imported.status(), StatusCode::CREATED);
        assert_eq!(json(imported).await["dates"], json!(["2026-12-29", "2026-12-30"]));
        let not_ics = app
            .request(Method::POST, &format!("{base}/closures/import"), Some(&admin))
            .header("content-type", "text/calendar")
            .body("hello")
            .send()
            .await
            .unwrap();
        crate::helpers::problem(not_ics, StatusCode::UNPROCESSABLE_ENTITY, "invalid_calendar").await;
        let by_customer = app
            .send_json(Method::POST, &format!("{base}/closures"), Some(&bruce), json!({"date": "2026-12-23", "reason": "x"}))
            .await;
        crate::helpers::problem(by_customer, StatusCode::FORBIDDEN, "administrator_required").await;

        let calendar = json(app.get(&format!("{base}/calendar?from=2026-12-01&to=2026-12-31"), &bruce).await).await;
        let closures: Vec<&str> = calendar["closures"].as_array().unwrap().iter().map(|c| c["date"].as_str().unwrap()).collect();
        assert_eq!(closures, ["2026-12-24", "2026-12-29", "2026-12-30"]);

        // The preview follows the calendar: 8 business hours (P2, standard)
        // from Wednesday 23 Dec 14:00 Sydney: 4 h that day, then the 24th
        // (closed), 25th, 26th (holidays) and the weekend, 28 Dec (the
        // Boxing Day substitute), 29th and 30th (closed), so Thursday 31 Dec
        // 06:00 + 4 h = 10:00 Sydney (UTC+11) = 23:00Z on the 30th.
        let preview = app
            .send_json(Method::POST, "/api/v1/sla/preview", Some(&admin), json!({"company": koala, "priority": "P2", "start": "2026-12-23T03:00:00Z"}))
            .await;
        let preview = json(preview).await;
        let first = preview["due"].as_array().unwrap().iter().find(|d| d["clock"] == "first_response").unwrap();
        assert_eq!(first["due_at"], "2026-12-30T23:00:00Z", "{preview}");

        let reopened = app.request(Method::DELETE, &format!("{base}/closures/2026-12-30"), Some(&admin)).send().await.unwrap();
        assert_eq!(reopened.status(), StatusCode::NO_CONTENT);
        let again = app.request(Method::DELETE, &format!("{base}/closures/2026-12-30"), Some(&admin)).send().await.unwrap();
        crate::helpers::problem(again, StatusCode::NOT_FOUND, "not_found").await;
        let preview = app
            .send_json(Method::POST, "/api/v1/sla/preview", Some(&admin), json!({"company": koala, "priority": "P2", "start": "2026-12-23T03:00:00Z"}))
            .await;
        let preview = json(preview).await;
        let first = preview["due"].as_array().unwrap().iter().find(|d| d["clock"] == "first_response").unwrap();
        assert_eq!(first["due_at"], "2026-12-29T23:00:00Z", "the 30th is open again: {preview}");
        // Another company's calendar is not Bruce's to read.
        let acme = app.company_id("Acme Outdoor Inc.").await;
        crate::helpers::problem(app.get(&format!("/api/v1/companies/{acme}/calendar"), &bruce).await, StatusCode::NOT_FOUND, "not_found").await;
    })
    .await;
}
