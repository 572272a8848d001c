//! Cases end to end (R12–R20).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_sqlite, problem};

fn case_body(impact: &str, scope: &str, environment: &str) -> Value {
    json!({
        "product": "financials",
        "area": "general_ledger",
        "environment": environment,
        "impact": impact,
        "scope": scope,
        "subject": "Journal entries will not post",
        "description": "Posting fails with error GL-4012 since this morning.",
        "steps": "1. Open a journal entry\n2. Post",
        "expected": "The entry is posted",
    })
}

async fn open(app: &App, token: &str, body: Value) -> Value {
    let response = app.send_json(Method::POST, "/api/v1/cases", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await
}

async fn post(app: &App, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.send_json(Method::POST, path, Some(token), body).await
}

#[tokio::test]
async fn r3_r12_who_may_open_a_case_and_where_it_goes() {
    on_each_engine(|app| async move {
        let ulysse = app.token("ulysse@acme.example").await;
        let refused = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&ulysse),
                case_body("outage", "organization", "production"),
            )
            .await;
        problem(refused, StatusCode::FORBIDDEN, "designated_contact_required").await;
        let oscar = app.token("oscar@acme.example").await;
        let refused = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&oscar),
                case_body("outage", "organization", "production"),
            )
            .await;
        problem(refused, StatusCode::FORBIDDEN, "inactive_user").await;

        let dana = app.token("dana@acme.example").await;
        let first = open(&app, &dana, case_body("outage", "organization", "production")).await;
        assert_eq!(first["status"], "new");
        assert_eq!(first["priority"], "P1");
        assert!(first["number"].as_i64().unwrap() > 1000);
        // Routed: general ledger → an analyst skilled in financials; the
        // next goes to the other one (fewest open cases).
        let second = open(&app, &dana, case_body("question", "individual", "production")).await;
        assert_eq!(
            second["number"].as_i64().unwrap(),
            first["number"].as_i64().unwrap() + 1
        );
        let assignees = [
            first["assignee"]["name"].as_str().unwrap(),
            second["assignee"]["name"].as_str().unwrap(),
        ];
        assert!(
            assignees.contains(&"Noah Kim") && assignees.contains(&"Inès Moreau"),
            "{assignees:?}"
        );
        // Timesheets: only Noah is skilled in time.
        let mut timesheets = case_body("degraded", "group", "production");
        timesheets["product"] = json!("time");
        timesheets["area"] = json!("timesheets");
        assert_eq!(open(&app, &dana, timesheets).await["assignee"]["name"], "Noah Kim");

        let marie = app.token("marie@lumiere.example").await;
        let hers = open(&app, &marie, case_body("degraded", "organization", "production")).await;
        assert_eq!(hers["company"]["name"], "Bistro Lumière SARL");

        let pat = app.token("pat@northwind.example").await;
        let redwood = app.company_id("Redwood Dental LLC").await;
        let mut for_redwood = case_body("blocked", "group", "production");
        for_redwood["company"] = json!(redwood);
        let partner_case = open(&app, &pat, for_redwood).await;
        assert_eq!(partner_case["company"]["name"], "Redwood Dental LLC");
        let without_company = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&pat),
                case_body("blocked", "group", "production"),
            )
            .await;
        problem(without_company, StatusCode::UNPROCESSABLE_ENTITY, "invalid_company").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let mut for_acme = case_body("blocked", "group", "production");
        for_acme["company"] = json!(acme);
        let not_theirs = app.send_json(Method::POST, "/api/v1/cases", Some(&pat), for_acme).await;
        problem(not_theirs, StatusCode::UNPROCESSABLE_ENTITY, "unknown_company").await;
        // Rita (Redwood) sees the partner's case; Dana does not.
        let rita = app.token("rita@redwood.example").await;
        let path = format!("/api/v1/cases/{}", partner_case["number"]);
        assert_eq!(app.get(&path, &rita).await.status(), StatusCode::OK);
        problem(app.get(&path, &dana).await, StatusCode::NOT_FOUND, "not_found").await;

        let analyst = app.token("analyst@support.example").await;
        let staff = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&analyst),
                case_body("outage", "organization", "production"),
            )
            .await;
        problem(staff, StatusCode::FORBIDDEN, "vendor_staff").await;
    })
    .await;
}

#[tokio::test]
async fn r15_priority_explains_itself_in_the_readers_language() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let p1 = open(&app, &marie, case_body("outage", "individual", "production")).await;
        assert_eq!(p1["priority"], "P1");
        let p2 = open(&app, &marie, case_body("outage", "organization", "sandbox")).await;
        assert_eq!(p2["priority"], "P2");
        let reasons: Vec<&str> = p2["priority_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].contains("inutilisable"), "{reasons:?}");
        assert!(reasons[1].contains("bac à sable"), "{reasons:?}");
        let p4 = open(&app, &marie, case_body("question", "organization", "implementation")).await;
        assert_eq!(p4["priority"], "P4");
        // The analyst reads the same case in English.
        let analyst = app.token("analyst@support.example").await;
        let seen = json(app.get(&format!("/api/v1/cases/{}", p2["number"]), &analyst).await).await;
        assert!(
            seen["priority_reasons"][0].as_str().unwrap().contains("cannot be used"),
            "{seen}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_case_input_names_the_field_and_stores_nothing() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let mut long = case_body("outage", "group", "production");
        long["subject"] = json!("x".repeat(201));
        let mut missing = case_body("outage", "group", "production");
        missing.as_object_mut().unwrap().remove("subject");
        let mut product = case_body("outage", "group", "production");
        product["product"] = json!("payroll");
        let mut area = case_body("outage", "group", "production");
        area["area"] = json!("timesheets");
        let mut impact = case_body("outage", "group", "production");
        impact["impact"] = json!("apocalypse");
        let mut contacts = case_body("outage", "group", "production");
        contacts["contacts"] = json!(["chef@lumiere.example"]);
        for (body, code) in [
            (long, "invalid_subject"),
            (missing, "invalid_subject"),
            (product, "unknown_product"),
            (area, "unknown_area"),
            (impact, "unknown_impact"),
            (contacts, "unknown_contacts"),
        ] {
            let response = app.send_json(Method::POST, "/api/v1/cases", Some(&dana), body).await;
            problem(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        }
        // A product the company does not subscribe to.
        let admin = app.token("admin@support.example").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        app.send_json(
            Method::PATCH,
            &format!("/api/v1/companies/{acme}"),
            Some(&admin),
            json!({"products": ["time"]}),
        )
        .await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&dana),
                case_body("outage", "group", "production"),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_product").await;
        let listed = json(app.get("/api/v1/cases", &dana).await).await;
        assert!(listed["cases"].as_array().unwrap().is_empty(), "{listed}");
    })
    .await;
}

#[tokio::test]
async fn a_customer_never_reaches_another_companys_case() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let case = open(&app, &dana, case_body("blocked", "group", "production")).await;
        let number = &case["number"];
        let chef = app.token("chef@lumiere.example").await;
        problem(
            app.get(&format!("/api/v1/cases/{number}"), &chef).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        for (path, body) in [
            (format!("/api/v1/cases/{number}/comments"), json!({"body": "Hello"})),
            (
                format!("/api/v1/cases/{number}/escalation-requests"),
                json!({"reason": "Urgent"}),
            ),
            (format!("/api/v1/cases/{number}/update-requests"), json!({})),
            (format!("/api/v1/cases/{number}/reopen"), json!({})),
        ] {
            problem(post(&app, &chef, &path, body).await, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert!(
            json(app.get("/api/v1/cases", &chef).await).await["cases"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        // A colleague who is neither designated nor involved does not see it.
        let ulysse = app.token("ulysse@acme.example").await;
        problem(
            app.get(&format!("/api/v1/cases/{number}"), &ulysse).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        // Copied on the next one, he does.
        let mut copied = case_body("blocked", "group", "production");
        copied["contacts"] = json!(["ulysse@acme.example"]);
        let case = open(&app, &dana, copied).await;
        assert_eq!(
            app.get(&format!("/api/v1/cases/{}", case["number"]), &ulysse)
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            json(app.get("/api/v1/cases", &ulysse).await).await["cases"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn r16_r19_answers_move_the_case_and_update_requests_are_rationed() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let analyst = app.token("analyst@support.example").await;
        let case = open(&app, &marie, case_body("degraded", "group", "production")).await;
        let base = format!("/api/v1/cases/{}", case["number"]);

        let need_info = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "need_info", "body": "Which journal?"}),
        )
        .await;
        assert_eq!(need_info.status(), StatusCode::CREATED);
        assert_eq!(json(need_info).await["status"], "waiting_on_customer");
        let reply = post(
            &app,
            &marie,
            &format!("{base}/comments"),
            json!({"body": "The sales journal."}),
        )
        .await;
        assert_eq!(json(reply).await["status"], "in_progress");

        let workaround = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "workaround", "body": "Post from the batch screen."}),
        )
        .await;
        assert_eq!(json(workaround).await["status"], "workaround_provided");
        let update = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "update", "done": "Reproduced it.", "next": "A fix ships Friday."}),
        )
        .await;
        let updated = json(update).await;
        assert_eq!(updated["status"], "workaround_provided", "the workaround still stands");
        let missing = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "update", "done": "Reproduced it."}),
        )
        .await;
        problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_next").await;
        let referral = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "doc_referral", "body": "See this."}),
        )
        .await;
        problem(referral, StatusCode::UNPROCESSABLE_ENTITY, "invalid_articles").await;
        let by_customer = post(
            &app,
            &marie,
            &format!("{base}/answers"),
            json!({"kind": "solution", "body": "Done"}),
        )
        .await;
        problem(by_customer, StatusCode::FORBIDDEN, "analysts_only").await;

        let first = post(
            &app,
            &marie,
            &format!("{base}/update-requests"),
            json!({"body": "Any news?"}),
        )
        .await;
        assert_eq!(first.status(), StatusCode::CREATED);
        let second = post(&app, &marie, &format!("{base}/update-requests"), json!({})).await;
        let refused = problem(second, StatusCode::TOO_MANY_REQUESTS, "update_request_too_soon").await;
        assert!(refused["retry_at"].as_str().is_some());

        // An internal note stays inside.
        post(
            &app,
            &analyst,
            &format!("{base}/comments"),
            json!({"body": "Customer is on an old build.", "internal": true}),
        )
        .await;
        let note = post(
            &app,
            &marie,
            &format!("{base}/comments"),
            json!({"body": "x", "internal": true}),
        )
        .await;
        problem(note, StatusCode::FORBIDDEN, "staff_only").await;
        let hers = json(app.get(&base, &marie).await).await;
        let theirs = json(app.get(&base, &analyst).await).await;
        let kinds = |view: &Value| {
            view["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert!(!kinds(&hers).contains(&"noted".to_owned()));
        assert!(kinds(&theirs).contains(&"noted".to_owned()));
        assert!(!hers.to_string().contains("old build"));
        assert!(hers["next_update_request_at"].is_string());
        let answered = hers["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "answered" && e["data"]["answer"]["kind"] == "update")
            .unwrap();
        assert_eq!(answered["data"]["answer"]["done"], "Reproduced it.");
        assert_eq!(answered["data"]["answer"]["next"], "A fix ships Friday.");

        // A proposed solution: accepted, the case closes; closed, it takes nothing more.
        let solution = post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "solution", "body": "Fixed in 24.3."}),
        )
        .await;
        assert_eq!(json(solution).await["status"], "solved");
        let accepted = post(&app, &marie, &format!("{base}/accept-solution"), json!({})).await;
        assert_eq!(json(accepted).await["status"], "closed");
        problem(
            post(
                &app,
                &marie,
                &format!("{base}/comments"),
                json!({"body": "One more thing"}),
            )
            .await,
            StatusCode::CONFLICT,
            "case_closed",
        )
        .await;
        problem(
            post(&app, &marie, &format!("{base}/reopen"), json!({})).await,
            StatusCode::CONFLICT,
            "case_closed",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn solved_cases_reopen_on_reply_or_close_after_the_period() {
    on_sqlite(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let case = open(&app, &dana, case_body("question", "individual", "production")).await;
        let base = format!("/api/v1/cases/{}", case["number"]);
        post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "solution", "body": "Use the report builder."}),
        )
        .await;
        let reply = post(
            &app,
            &dana,
            &format!("{base}/comments"),
            json!({"body": "That did not work."}),
        )
        .await;
        assert_eq!(json(reply).await["status"], "in_progress");
        post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "solution", "body": "Now it will."}),
        )
        .await;

        // A week and a day later, the housekeeping closes it.
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 8);
        let state = guichet_web::AppState::new(
            app.store.clone(),
            Default::default(),
            Default::default(),
            guichet_web::Clock::fixed(later),
        );
        assert_eq!(guichet_web::cases::close_solved_cases(&state).await.unwrap(), 1);
        let closed = json(app.get(&base, &dana).await).await;
        assert_eq!(closed["status"], "closed");
        assert!(
            closed["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "closed_automatically")
        );
    })
    .await;
}

#[tokio::test]
async fn r20_escalations_are_reviewed_by_a_manager_and_the_customer_sees_the_decision() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let lead = app.token("lead@support.example").await;
        let analyst = app.token("analyst@support.example").await;
        let case = open(&app, &dana, case_body("blocked", "organization", "production")).await;
        let base = format!("/api/v1/cases/{}", case["number"]);

        let request = post(
            &app,
            &dana,
            &format!("{base}/escalation-requests"),
            json!({"reason": "Month-end close is blocked."}),
        )
        .await;
        assert_eq!(request.status(), StatusCode::CREATED);
        let request = json(request).await;
        assert_eq!(request["status"], "pending");
        let again = post(
            &app,
            &dana,
            &format!("{base}/escalation-requests"),
            json!({"reason": "Still blocked."}),
        )
        .await;
        problem(again, StatusCode::CONFLICT, "escalation_pending").await;

        problem(
            app.get("/api/v1/escalation-requests", &analyst).await,
            StatusCode::FORBIDDEN,
            "support_managers_only",
        )
        .await;
        let queue = json(app.get("/api/v1/escalation-requests", &lead).await).await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        assert_eq!(queue[0]["id"], request["id"]);
        assert_eq!(queue[0]["case_number"], case["number"]);
        let due: jiff::Timestamp = queue[0]["review_due_at"].as_str().unwrap().parse().unwrap();
        let asked: jiff::Timestamp = queue[0]["requested_at"].as_str().unwrap().parse().unwrap();
        assert!(
            due >= asked + jiff::SignedDuration::from_hours(1),
            "one business hour at least"
        );

        let review = format!("/api/v1/escalation-requests/{}/review", request["id"].as_str().unwrap());
        problem(
            post(&app, &analyst, &review, json!({"decision": "accept", "note": "x"})).await,
            StatusCode::FORBIDDEN,
            "support_managers_only",
        )
        .await;
        let ines = app.user_id("analyst2@support.example").await;
        let reviewed = post(
            &app,
            &lead,
            &review,
            json!({"decision": "accept", "note": "Escalated: Inès takes it now.", "assignee": ines}),
        )
        .await;
        assert_eq!(reviewed.status(), StatusCode::OK);
        assert_eq!(json(reviewed).await["status"], "accepted");
        problem(
            post(&app, &lead, &review, json!({"decision": "decline", "note": "x"})).await,
            StatusCode::CONFLICT,
            "already_reviewed",
        )
        .await;

        let seen = json(app.get(&base, &dana).await).await;
        assert_eq!(seen["escalated"], true);
        assert_eq!(seen["assignee"]["name"], "Inès Moreau");
        assert_eq!(seen["escalation"]["status"], "accepted");
        assert_eq!(seen["escalation"]["note"], "Escalated: Inès takes it now.");
        let reviewed_entry = seen["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "escalation_reviewed")
            .unwrap();
        assert_eq!(reviewed_entry["data"]["decision"], "accept");
        assert!(
            json(app.get("/api/v1/escalation-requests", &lead).await)
                .await
                .as_array()
                .unwrap()
                .is_empty()
        );
        problem(
            post(
                &app,
                &dana,
                &format!("{base}/escalation-requests"),
                json!({"reason": "More"}),
            )
            .await,
            StatusCode::CONFLICT,
            "already_escalated",
        )
        .await;
        // Escalated cases come first in the queue.
        let other = open(&app, &dana, case_body("outage", "organization", "production")).await;
        let queue = json(app.get("/api/v1/queue", &lead).await).await;
        let numbers: Vec<&Value> = queue["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["number"])
            .collect();
        assert_eq!(numbers, [&case["number"], &other["number"]]);
    })
    .await;
}

#[tokio::test]
async fn r18_experts_work_inside_while_customers_see_specialists_are_involved() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let eng = app.token("eng@support.example").await;
        let case = open(&app, &dana, case_body("blocked", "group", "production")).await;
        let base = format!("/api/v1/cases/{}", case["number"]);
        let eng_id = app.user_id("eng@support.example").await;
        let engaged = post(
            &app,
            &analyst,
            &format!("{base}/experts"),
            json!({"expert": eng_id, "question": "Is GL-4012 a known bug?"}),
        )
        .await;
        assert_eq!(engaged.status(), StatusCode::CREATED);
        let engagement = json(engaged).await;
        assert_eq!(engagement["status"], "open");
        let ulysse_id = app.user_id("ulysse@acme.example").await;
        let not_expert = post(
            &app,
            &analyst,
            &format!("{base}/experts"),
            json!({"expert": ulysse_id, "question": "?"}),
        )
        .await;
        problem(not_expert, StatusCode::UNPROCESSABLE_ENTITY, "invalid_expert").await;

        let mine = json(app.get("/api/v1/expert-engagements", &eng).await).await;
        assert_eq!(mine[0]["id"], engagement["id"]);
        let thread = format!("/api/v1/expert-engagements/{}", engagement["id"].as_str().unwrap());
        let answered = post(
            &app,
            &eng,
            &format!("{thread}/messages"),
            json!({"body": "Yes, fixed in 24.3."}),
        )
        .await;
        assert_eq!(json(answered).await["status"], "answered");
        let closed = post(&app, &analyst, &format!("{thread}/close"), json!({})).await;
        assert_eq!(json(closed).await["status"], "closed");
        problem(
            post(&app, &eng, &format!("{thread}/messages"), json!({"body": "More"})).await,
            StatusCode::CONFLICT,
            "engagement_closed",
        )
        .await;
        problem(
            post(&app, &dana, &format!("{thread}/messages"), json!({"body": "Me too"})).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;

        let hers = json(app.get(&base, &dana).await).await;
        assert_eq!(hers["experts_involved"], true);
        assert!(!hers.to_string().contains("GL-4012 a known bug"));
        assert!(!hers.to_string().contains("fixed in 24.3"));
        let theirs = json(app.get(&base, &analyst).await).await;
        assert!(theirs.to_string().contains("fixed in 24.3"));
    })
    .await;
}

#[tokio::test]
async fn r13_a_case_splits_into_a_linked_case_with_the_chosen_comments() {
    on_each_engine(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let mut body = case_body("blocked", "group", "production");
        body["contacts"] = json!(["ulysse@acme.example"]);
        let case = open(&app, &dana, body).await;
        let base = format!("/api/v1/cases/{}", case["number"]);
        post(
            &app,
            &dana,
            &format!("{base}/comments"),
            json!({"body": "Also, the AP aging report is empty."}),
        )
        .await;
        let timeline = json(app.get(&base, &analyst).await).await["timeline"].clone();
        let comment = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "commented")
            .unwrap()["id"]
            .clone();
        let split = post(
            &app,
            &analyst,
            &format!("{base}/split"),
            json!({"subject": "AP aging report is empty", "comments": [comment]}),
        )
        .await;
        assert_eq!(split.status(), StatusCode::CREATED);
        let new_case = json(split).await;
        assert_eq!(new_case["split_from"], case["number"]);
        assert_eq!(new_case["company"], case["company"]);
        assert_eq!(new_case["contacts"][0]["name"], "Ulysse Grant");
        let copied = json(app.get(&format!("/api/v1/cases/{}", new_case["number"]), &dana).await).await;
        assert!(copied.to_string().contains("AP aging report is empty."));
        let original = json(app.get(&base, &dana).await).await;
        let link = original["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "split_into")
            .unwrap();
        assert_eq!(link["data"]["number"], new_case["number"]);
        let bad = post(
            &app,
            &analyst,
            &format!("{base}/split"),
            json!({"subject": "X", "comments": ["nope"]}),
        )
        .await;
        problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "unknown_comments").await;
    })
    .await;
}

#[tokio::test]
async fn listings_filter_and_page() {
    on_sqlite(|app| async move {
        let dana = app.token("dana@acme.example").await;
        for impact in ["outage", "question", "question", "degraded", "question"] {
            open(&app, &dana, case_body(impact, "organization", "production")).await;
        }
        let page = json(app.get("/api/v1/cases?limit=2", &dana).await).await;
        assert_eq!(page["cases"].as_array().unwrap().len(), 2);
        let cursor = page["next_cursor"].as_str().unwrap();
        let next = json(app.get(&format!("/api/v1/cases?limit=2&cursor={cursor}"), &dana).await).await;
        assert_eq!(next["cases"].as_array().unwrap().len(), 2);
        assert!(next["cases"][0]["number"].as_i64() < page["cases"][1]["number"].as_i64());
        let last = json(
            app.get(
                &format!("/api/v1/cases?limit=2&cursor={}", next["next_cursor"].as_str().unwrap()),
                &dana,
            )
            .await,
        )
        .await;
        assert_eq!(last["cases"].as_array().unwrap().len(), 1);
        assert!(last["next_cursor"].is_null());
        let p4 = json(app.get("/api/v1/cases?priority=P4", &dana).await).await;
        assert_eq!(p4["cases"].as_array().unwrap().len(), 3);
        let open_now = json(app.get("/api/v1/cases?status=open&escalated=false", &dana).await).await;
        assert_eq!(open_now["cases"].as_array().unwrap().len(), 5);
        let mine = app.token("analyst@support.example").await;
        let assigned = json(app.get("/api/v1/cases?assignee=me", &mine).await).await;
        assert!(!assigned["cases"].as_array().unwrap().is_empty());
        problem(
            app.get("/api/v1/cases?status=lost", &dana).await,
            StatusCode::BAD_REQUEST,
            "unknown_status",
        )
        .await;
        problem(
            app.get("/api/v1/cases?limit=1000", &dana).await,
            StatusCode::BAD_REQUEST,
            "invalid_limit",
        )
        .await;
        problem(
            app.get("/api/v1/queue", &dana).await,
            StatusCode::FORBIDDEN,
            "analysts_only",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn every_event_a_person_should_hear_about_leaves_a_notification() {
    on_sqlite(|app| async move {
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let case = open(&app, &dana, case_body("blocked", "group", "production")).await;
        let base = format!("/api/v1/cases/{}", case["number"]);
        post(
            &app,
            &analyst,
            &format!("{base}/answers"),
            json!({"kind": "recreating", "body": "Trying it."}),
        )
        .await;
        post(&app, &dana, &format!("{base}/update-requests"), json!({})).await;
        post(
            &app,
            &dana,
            &format!("{base}/escalation-requests"),
            json!({"reason": "Please"}),
        )
        .await;
        // Pending or already turned into mails by the mail worker.
        let rows = app.store.outbox_of_kind("notification").await.unwrap();
        let events: Vec<String> = rows
            .iter()
            .map(|row| {
                serde_json::from_str::<Value>(&row.message.payload).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        for expected in [
            "case_opened",
            "case_assigned",
            "case_answered",
            "update_requested",
            "escalation_requested",
        ] {
            assert!(
                events.contains(&expected.to_owned()),
                "{expected} missing from {events:?}"
            );
        }
    })
    .await;
}
