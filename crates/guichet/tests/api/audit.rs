//! The audit log (R26): what it records, who reads it, and that the chain
//! shows an entry changed behind Guichet's back.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_sqlite, problem};

async fn open_case(app: &App, token: &str) -> i64 {
    let body = json!({
        "product": "financials", "area": "reporting", "environment": "production",
        "impact": "degraded", "scope": "group", "subject": "Report totals are off", "description": "Since Monday.",
    });
    let response = app.send_json(Method::POST, "/api/v1/cases", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["number"].as_i64().unwrap()
}

fn actions(log: &Value) -> Vec<(String, String)> {
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn r26_dana_sees_that_the_analyst_opened_acmes_case() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let number = open_case(&app, &dana).await;
        assert_eq!(
            app.get(&format!("/api/v1/cases/{number}"), &analyst).await.status(),
            StatusCode::OK
        );
        app.send_json(
            Method::POST,
            &format!("/api/v1/cases/{number}/answers"),
            Some(&analyst),
            json!({"kind": "recreating", "body": "Trying it."}),
        )
        .await;

        let log = json(app.get("/api/v1/audit", &dana).await).await;
        let entries = log["entries"].as_array().unwrap();
        let viewed = entries
            .iter()
            .find(|e| e["action"] == "case.viewed")
            .expect("the view is recorded");
        assert_eq!(viewed["actor"], "analyst@support.example");
        assert_eq!(viewed["number"], number);
        assert!(viewed["seq"].as_i64().is_some(), "chained: {viewed}");
        assert!(viewed["address"].as_str().is_some_and(|a| a.starts_with("127.")));
        let seen = actions(&log);
        assert!(
            seen.contains(&("case.opened".to_owned(), "dana@acme.example".to_owned())),
            "{seen:?}"
        );
        assert!(
            seen.contains(&("case.answered".to_owned(), "analyst@support.example".to_owned())),
            "{seen:?}"
        );
        let opened = entries.iter().find(|e| e["action"] == "case.opened").unwrap();
        assert_eq!(opened["number"], number, "the opening names the case by number");
        // Dana reading her own case is not recorded: only staff reads are.
        app.get(&format!("/api/v1/cases/{number}"), &dana).await;
        let log = json(app.get("/api/v1/audit?action=case.viewed", &dana).await).await;
        assert_eq!(log["entries"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn r26_only_the_companys_trusted_users_and_staff_read_its_log() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        open_case(&app, &dana).await;
        let admin = app.token("admin@support.example").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let lumiere = app.company_id("Bistro Lumière SARL").await;
        let ulysse = app.token("ulysse@acme.example").await;
        problem(
            app.get("/api/v1/audit", &ulysse).await,
            StatusCode::FORBIDDEN,
            "designated_users_only",
        )
        .await;
        let pat = app.token("pat@northwind.example").await;
        problem(
            app.get("/api/v1/audit", &pat).await,
            StatusCode::FORBIDDEN,
            "designated_users_only",
        )
        .await;
        let chef = app.token("chef@lumiere.example").await;
        problem(
            app.get(&format!("/api/v1/audit?company={acme}"), &chef).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let chefs = json(app.get("/api/v1/audit", &chef).await).await;
        assert!(
            chefs["entries"].as_array().unwrap().is_empty(),
            "nothing of Acme's: {chefs}"
        );
        let staff = json(app.get(&format!("/api/v1/audit?company={acme}"), &admin).await).await;
        assert!(!staff["entries"].as_array().unwrap().is_empty());
        let other = json(app.get(&format!("/api/v1/audit?company={lumiere}"), &admin).await).await;
        assert!(other["entries"].as_array().unwrap().is_empty());
        problem(
            app.get("/api/v1/audit?from=yesterday", &dana).await,
            StatusCode::BAD_REQUEST,
            "invalid_from",
        )
        .await;
        problem(
            app.get("/api/v1/audit?action=x%25", &dana).await,
            StatusCode::BAD_REQUEST,
            "invalid_action",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn r26_changes_to_the_company_and_its_users_are_recorded_and_export_as_csv() {
    on_sqlite(|app| async move {
        let admin = app.token("admin@support.example").await;
        let dana = app.token("dana@acme.example").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let ulysse = app.user_id("ulysse@acme.example").await;
        app.send_json(
            Method::PATCH,
            &format!("/api/v1/users/{ulysse}"),
            Some(&admin),
            json!({"active": false}),
        )
        .await;
        app.send_json(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}"),
            Some(&admin),
            json!({"sla_tier": "premium"}),
        )
        .await;
        let log = json(app.get("/api/v1/audit?action=user", &dana).await).await;
        let entry = &log["entries"][0];
        assert_eq!(entry["action"], "user.updated");
        assert_eq!(entry["actor"], "admin@support.example");
        assert_eq!(entry["details"], "active=false");
        let log = json(app.get("/api/v1/audit?action=company", &dana).await).await;
        assert_eq!(log["entries"][0]["details"], "sla_tier");

        let response = app.get("/api/v1/audit?format=csv", &dana).await;
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = response.text().await.unwrap();
        assert!(
            csv.starts_with("seq,at,actor,action,subject_kind,subject_id,number,address,details\n"),
            "{csv}"
        );
        assert!(csv.contains("\"user.updated\""));
        let page = json(app.get("/api/v1/audit?limit=1", &dana).await).await;
        let cursor = page["next_cursor"].as_str().unwrap();
        let next = json(app.get(&format!("/api/v1/audit?limit=1&cursor={cursor}"), &dana).await).await;
        assert_ne!(next["entries"][0]["action"], page["entries"][0]["action"]);
    })
    .await;
}

#[tokio::test]
async fn r26_audit_verify_names_the_entry_edited_behind_guichets_back() {
    on_sqlite(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        for _ in 0..3 {
            let number = open_case(&app, &dana).await;
            app.get(&format!("/api/v1/cases/{number}"), &analyst).await;
        }
        let log = json(app.get("/api/v1/audit", &dana).await).await;
        let victim = log["entries"].as_array().unwrap().iter().find(|e| e["action"] == "case.viewed").unwrap().clone();
        let verify = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
                .args(["audit", "verify"])
                .env("GUICHET_DATABASE_URL", &app.database_url)
                .env("RUST_LOG", "error")
                .output()
                .unwrap()
        };
        let output = verify();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).contains("audit chain verified"));

        // Someone with database access hides that the analyst looked.
        let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap();
        sqlx::query("UPDATE audit_entries SET actor_email = 'nobody@support.example' WHERE id = (SELECT entry_id FROM audit_chain WHERE seq = $1)")
            .bind(victim["seq"].as_i64().unwrap())
            .execute(&mut db)
            .await
            .unwrap();
        let output = verify();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("broken at entry {}", victim["seq"])), "{stderr}");
    })
    .await;
}

#[tokio::test]
async fn r26_the_portal_shows_the_log_in_the_readers_language() {
    on_sqlite(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let analyst = app.token("analyst@support.example").await;
        let number = open_case(&app, &chef).await;
        app.get(&format!("/api/v1/cases/{number}"), &analyst).await;
        let (browser, _) = crate::portal_cases::signed_in(&app, "chef@lumiere.example").await;
        let page = browser
            .get(format!("{}/audit", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Journal d&#39;audit") || page.contains("Journal d'audit"),
            "{page}"
        );
        assert!(
            page.contains("Demande consultée par l&#39;assistance")
                || page.contains("Demande consultée par l'assistance")
        );
        assert!(page.contains("analyst@support.example"));
        let (marie, _) = crate::portal_cases::signed_in(&app, "marie@lumiere.example").await;
        let refused = marie.get(format!("{}/audit", app.url)).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    })
    .await;
}
