//! Company authorization of privileged requests (R25): raised on a case,
//! decided only by the company's authorized managers, carried out only
//! once authorized; refused, expired and forced requests change nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_each_engine_with, on_sqlite, problem};
use crate::portal_cases::{browser, csrf, location, page, post, signed_in};

async fn open_case(app: &App, token: &str) -> i64 {
    let body = json!({
        "product": "financials", "area": "reporting", "environment": "production",
        "impact": "degraded", "scope": "group", "subject": "Le rapport mensuel est faux",
        "description": "Depuis lundi.",
    });
    let response = app.send_json(Method::POST, "/api/v1/cases", Some(token), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["number"].as_i64().unwrap()
}

async fn raise(app: &App, token: &str, number: i64, body: Value) -> reqwest::Response {
    app.send_json(
        Method::POST,
        &format!("/api/v1/cases/{number}/authorization-requests"),
        Some(token),
        body,
    )
    .await
}

async fn decide(app: &App, token: &str, id: &str, verb: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/authorization-requests/{id}/{verb}"),
        Some(token),
    )
    .send()
    .await
    .unwrap()
}

/// The user's roles, as the vendor's administrators see them.
async fn roles(app: &App, email: &str) -> Vec<String> {
    let admin = app.token("admin@support.example").await;
    let user = json(
        app.get(&format!("/api/v1/users/{}", app.user_id(email).await), &admin)
            .await,
    )
    .await;
    user["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

/// The mails sent so far (the outbox's `mail` rows), as JSON.
async fn mails(app: &App) -> Vec<Value> {
    app.store
        .test_outbox("mail")
        .await
        .unwrap()
        .iter()
        .map(|payload| serde_json::from_str(payload).unwrap())
        .collect()
}

#[tokio::test]
async fn r25_marie_is_designated_only_once_chef_authorizes_it_on_the_case() {
    on_each_engine(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let analyst = app.token("analyst@support.example").await;
        let marie = app.token("marie@lumiere.example").await;
        let number = open_case(&app, &chef).await;
        // Marie is not designated: she does not see Chef's case.
        assert_eq!(
            app.get(&format!("/api/v1/cases/{number}"), &marie).await.status(),
            StatusCode::NOT_FOUND
        );

        let response = raise(
            &app,
            &analyst,
            number,
            json!({"kind": "designate_support_user", "user": "marie@lumiere.example"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let request = json(response).await;
        assert_eq!(request["status"], "pending");
        assert_eq!(request["kind"], "designate_support_user");
        assert_eq!(request["user"], "marie@lumiere.example");
        assert_eq!(request["requested_by"], "analyst@support.example");
        assert_eq!(request["number"], number);
        assert!(request.get("reply_token").is_none(), "the token is for mails only");
        let id = request["id"].as_str().unwrap().to_owned();

        // Chef, the authorized manager, is mailed in French with a reply
        // address of the request's own.
        let sent = mails(&app).await;
        let to_chef = sent
            .iter()
            .find(|m| m["to"] == "chef@lumiere.example" && m["reply_token"].as_str().is_some())
            .expect("a mail to Chef");
        assert_eq!(to_chef["language"], "fr");
        assert!(to_chef["reply_token"].as_str().unwrap().starts_with("a-"));
        assert!(to_chef["body"].as_str().unwrap().contains("AUTORISER"), "{to_chef}");
        assert!(
            to_chef["body"]
                .as_str()
                .unwrap()
                .contains(&format!("/authorization-requests/{id}"))
        );

        // Until then nothing changes, and nobody else can force it.
        assert!(
            !roles(&app, "marie@lumiere.example")
                .await
                .contains(&"designated_support_user".to_owned())
        );
        problem(
            decide(&app, &analyst, &id, "authorize").await,
            StatusCode::FORBIDDEN,
            "not_authorized_manager",
        )
        .await;
        let admin = app.token("admin@support.example").await;
        problem(
            decide(&app, &admin, &id, "authorize").await,
            StatusCode::FORBIDDEN,
            "not_authorized_manager",
        )
        .await;
        problem(
            decide(&app, &marie, &id, "authorize").await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let dana = app.token("dana@acme.example").await;
        problem(
            decide(&app, &dana, &id, "authorize").await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_eq!(
            app.get(&format!("/api/v1/authorization-requests/{id}"), &dana)
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert!(
            !roles(&app, "marie@lumiere.example")
                .await
                .contains(&"designated_support_user".to_owned())
        );

        let response = decide(&app, &chef, &id, "authorize").await;
        assert_eq!(response.status(), StatusCode::OK);
        let decided = json(response).await;
        assert_eq!(decided["status"], "authorized");
        assert_eq!(decided["decided_by"], "chef@lumiere.example");
        assert_eq!(decided["decided_via"], "api");
        assert_eq!(decided["outcome"], "designated");
        assert!(
            roles(&app, "marie@lumiere.example")
                .await
                .contains(&"designated_support_user".to_owned())
        );
        // As a designated user, Marie now sees every case of her company.
        assert_eq!(
            app.get(&format!("/api/v1/cases/{number}"), &marie).await.status(),
            StatusCode::OK
        );
        let listed = json(
            app.get(
                &format!(
                    "/api/v1/companies/{}/designated-users",
                    app.company_id("Bistro Lumière SARL").await
                ),
                &chef,
            )
            .await,
        )
        .await;
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["email"] == "marie@lumiere.example"),
            "{listed}"
        );

        // Decided once: a second decision is refused.
        problem(
            decide(&app, &chef, &id, "refuse").await,
            StatusCode::CONFLICT,
            "not_pending",
        )
        .await;
        // The analyst hears of it.
        assert!(
            mails(&app)
                .await
                .iter()
                .any(|m| m["to"] == "analyst@support.example" && m["subject"].as_str().unwrap().contains("authorized"))
        );

        // The case and the company list it; the audit log keeps every step.
        let on_case = json(
            app.get(&format!("/api/v1/cases/{number}/authorization-requests"), &analyst)
                .await,
        )
        .await;
        assert_eq!(on_case[0]["id"], id.as_str());
        let pending = json(app.get("/api/v1/authorization-requests?status=authorized", &chef).await).await;
        assert!(pending.as_array().unwrap().iter().any(|r| r["id"] == id.as_str()));
        app.store.chain_audit(1000).await.unwrap();
        let log = json(app.get("/api/v1/audit?action=authorization", &chef).await).await;
        let actions: Vec<&str> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"authorization.requested"), "{actions:?}");
        assert!(actions.contains(&"authorization.authorized"), "{actions:?}");
        let users = json(app.get("/api/v1/audit?action=user", &chef).await).await;
        assert!(
            users["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "user.updated"
                    && e["actor"] == "chef@lumiere.example"
                    && e["details"].as_str().unwrap().contains("designated_support_user"))
        );
    })
    .await;
}

#[tokio::test]
async fn r25_a_refused_or_expired_request_changes_nothing() {
    on_each_engine(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let number = open_case(&app, &chef).await;
        let ask = json!({"kind": "permission_change", "user": "marie@lumiere.example", "authorized_manager": true});
        let response = raise(&app, &chef, number, ask.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let request = json(response).await;
        assert_eq!(request["change"]["authorized_manager"], true);
        assert!(
            request["summary"].as_str().unwrap().contains("responsable autorisé"),
            "{request}"
        );
        let id = request["id"].as_str().unwrap().to_owned();
        // The same request twice is one request.
        problem(
            raise(&app, &chef, number, ask.clone()).await,
            StatusCode::CONFLICT,
            "already_pending",
        )
        .await;

        let refused = json(decide(&app, &chef, &id, "refuse").await).await;
        assert_eq!(refused["status"], "refused");
        assert!(refused["outcome"].is_null());
        assert!(
            !roles(&app, "marie@lumiere.example")
                .await
                .contains(&"authorized_manager".to_owned())
        );

        // No answer in time: it expires, and can no longer be authorized.
        let id = json(raise(&app, &chef, number, ask).await).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 8);
        // The housekeeping worker, eight days on.
        let worker = guichet_web::AppState::new(
            app.store.clone(),
            app.config.support_policy().unwrap(),
            app.config.web_settings(),
            guichet_web::Clock::fixed(later),
        );
        assert_eq!(guichet_web::authorization::expire(&worker).await.unwrap(), 1);
        assert_eq!(guichet_web::authorization::expire(&worker).await.unwrap(), 0, "once");
        let shown = json(app.get(&format!("/api/v1/authorization-requests/{id}"), &chef).await).await;
        assert_eq!(shown["status"], "expired");
        problem(
            decide(&app, &chef, &id, "authorize").await,
            StatusCode::CONFLICT,
            "not_pending",
        )
        .await;
        assert!(
            !roles(&app, "marie@lumiere.example")
                .await
                .contains(&"authorized_manager".to_owned())
        );
    })
    .await;
}

#[tokio::test]
async fn r25_requests_are_checked_before_anyone_is_asked() {
    on_sqlite(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let dana = app.token("dana@acme.example").await;
        let number = open_case(&app, &chef).await;
        let cases = [
            (
                json!({"kind": "make_admin", "user": "marie@lumiere.example"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_kind",
            ),
            (
                json!({"kind": "designate_support_user", "user": "not an address"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_user",
            ),
            // Someone of another company.
            (
                json!({"kind": "designate_support_user", "user": "dana@acme.example"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_user",
            ),
            // A new person outside the company's verified domains.
            (
                json!({"kind": "designate_support_user", "user": "eve@evil.example", "display_name": "Eve"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_user",
            ),
            // A new person needs a name.
            (
                json!({"kind": "designate_support_user", "user": "nina@lumiere.example"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_display_name",
            ),
            (
                json!({"kind": "designate_support_user", "user": "chef@lumiere.example"}),
                StatusCode::CONFLICT,
                "nothing_to_change",
            ),
            (
                json!({"kind": "permission_change", "user": "marie@lumiere.example"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_designated",
            ),
            (
                json!({"kind": "permission_change", "user": "marie@lumiere.example", "active": true}),
                StatusCode::CONFLICT,
                "nothing_to_change",
            ),
            (
                json!({"kind": "permission_change", "user": "ghost@lumiere.example", "active": true}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_user",
            ),
            // Chef is the only authorized manager: the company would have none.
            (
                json!({"kind": "permission_change", "user": "chef@lumiere.example", "authorized_manager": false}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_authorized_manager",
            ),
            (
                json!({"kind": "password_reset", "user": "marie@lumiere.example", "account": "bank"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_account",
            ),
            (
                json!({"kind": "password_reset", "user": "marie@lumiere.example", "account": "product"}),
                StatusCode::CONFLICT,
                "identity_webhook_not_configured",
            ),
            (
                json!({"kind": "password_reset", "user": "marie@lumiere.example", "designated": true}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_designated",
            ),
        ];
        for (body, status, code) in cases {
            problem(raise(&app, &chef, number, body.clone()).await, status, code).await;
        }
        // Another company's case does not exist for Dana; malformed JSON is a 4xx.
        problem(
            raise(
                &app,
                &dana,
                number,
                json!({"kind": "password_reset", "user": "dana@acme.example"}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let garbled = app
            .request(
                Method::POST,
                &format!("/api/v1/cases/{number}/authorization-requests"),
                Some(&chef),
            )
            .header("content-type", "application/json")
            .body("{\"kind\":")
            .send()
            .await
            .unwrap();
        assert!(garbled.status().is_client_error());
        assert_eq!(
            app.get("/api/v1/authorization-requests/..%2F..%2Fetc", &chef)
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        // None of this was stored.
        let listed = json(
            app.get(&format!("/api/v1/cases/{number}/authorization-requests"), &chef)
                .await,
        )
        .await;
        assert_eq!(listed, json!([]));
    })
    .await;
}

#[tokio::test]
async fn r25_vendor_administrators_cannot_bypass_the_company() {
    on_sqlite(|app| async move {
        let admin = app.token("admin@support.example").await;
        let marie = app.user_id("marie@lumiere.example").await;
        // Taking access away is theirs to do at once (someone left)...
        let deactivated = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{marie}"),
                Some(&admin),
                json!({"active": false}),
            )
            .await;
        assert_eq!(deactivated.status(), StatusCode::OK);
        // ...giving it, back or anew, is the company's to decide.
        for change in [
            json!({"roles": ["designated_support_user"]}),
            json!({"active": true}),
            json!({"password": "a-brand-new-password"}),
        ] {
            problem(
                app.send_json(Method::PATCH, &format!("/api/v1/users/{marie}"), Some(&admin), change)
                    .await,
                StatusCode::CONFLICT,
                "authorization_required",
            )
            .await;
        }
        // Her name is not privileged.
        let renamed = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{marie}"),
                Some(&admin),
                json!({"display_name": "Marie Curie"}),
            )
            .await;
        assert_eq!(renamed.status(), StatusCode::OK);
        problem(
            app.send_json(
                Method::POST,
                "/api/v1/users",
                Some(&admin),
                json!({"company_id": app.company_id("Bistro Lumière SARL").await, "email": "nina@lumiere.example",
                       "display_name": "Nina", "roles": ["designated_support_user"]}),
            )
            .await,
            StatusCode::CONFLICT,
            "authorization_required",
        )
        .await;
        assert!(
            !roles(&app, "marie@lumiere.example")
                .await
                .contains(&"designated_support_user".to_owned())
        );
    })
    .await;
}

#[tokio::test]
async fn r25_an_invited_person_chooses_a_password_with_a_one_time_link() {
    on_each_engine(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let number = open_case(&app, &chef).await;
        let response = raise(
            &app,
            &chef,
            number,
            json!({"kind": "designate_support_user", "user": "nina@lumiere.example", "display_name": "Nina Lumière", "language": "fr"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let id = json(response).await["id"].as_str().unwrap().to_owned();
        let authorized = json(decide(&app, &chef, &id, "authorize").await).await;
        assert_eq!(authorized["outcome"], "invited", "{authorized}");
        assert!(authorized["user_id"].as_str().is_some());

        let invitation = mails(&app)
            .await
            .into_iter()
            .find(|m| m["to"] == "nina@lumiere.example")
            .expect("Nina is invited");
        let body = invitation["body"].as_str().unwrap();
        let start = body.find("/password/").unwrap();
        let path = body[start..].split_whitespace().next().unwrap().to_owned();

        let browser = browser();
        let (status, html) = page(&browser, &app, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("nina@lumiere.example"));
        let token = csrf(&html);
        let mismatch = post(&browser, &app, &path, &[("csrf", &token), ("password", "correct-horse-1"), ("confirm", "other-horse-22")]).await;
        assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let forged = post(&browser, &app, &path, &[("password", "correct-horse-1"), ("confirm", "correct-horse-1")]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let done = post(&browser, &app, &path, &[("csrf", &token), ("password", "correct-horse-1"), ("confirm", "correct-horse-1")]).await;
        assert_eq!(done.status(), StatusCode::OK);

        let signed_in = app
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                json!({"email": "nina@lumiere.example", "password": "correct-horse-1"}),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::CREATED);
        let nina = json(signed_in).await["token"].as_str().unwrap().to_owned();
        // The link works once.
        assert_eq!(page(&browser, &app, &path).await.0, StatusCode::NOT_FOUND);
        let again = post(&browser, &app, &path, &[("csrf", &token), ("password", "another-pass-9"), ("confirm", "another-pass-9")]).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
        let me = json(app.get("/api/v1/me", &nina).await).await;
        assert_eq!(me["user"]["roles"], json!(["designated_support_user"]));
    })
    .await;
}

#[tokio::test]
async fn r25_password_reset_sends_a_link_and_the_old_password_keeps_working_until_it_is_used() {
    on_sqlite(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let marie = app.token("marie@lumiere.example").await;
        let number = open_case(&app, &marie).await;
        let id = json(
            raise(
                &app,
                &marie,
                number,
                json!({"kind": "password_reset", "user": "marie@lumiere.example"}),
            )
            .await,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            json(decide(&app, &chef, &id, "authorize").await).await["outcome"],
            "password_link_sent"
        );
        let link = mails(&app)
            .await
            .into_iter()
            .find(|m| m["to"] == "marie@lumiere.example" && m["body"].as_str().unwrap().contains("/password/"))
            .expect("a link for Marie");
        assert_eq!(link["language"], "fr");
        // Until used, nothing else changed: her token still works.
        assert_eq!(app.get("/api/v1/me", &marie).await.status(), StatusCode::OK);
        let body = link["body"].as_str().unwrap();
        let path = body[body.find("/password/").unwrap()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let browser = browser();
        let (_, html) = page(&browser, &app, &path).await;
        let token = csrf(&html);
        let done = post(
            &browser,
            &app,
            &path,
            &[
                ("csrf", &token),
                ("password", "a-new-secret-1"),
                ("confirm", "a-new-secret-1"),
            ],
        )
        .await;
        assert_eq!(done.status(), StatusCode::OK);
        // Setting it revokes her API tokens.
        assert_eq!(app.get("/api/v1/me", &marie).await.status(), StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn r25_chef_authorizes_in_the_portal_and_the_analyst_only_sees_it_waiting() {
    on_sqlite(|app| async move {
        let analyst = app.token("analyst@support.example").await;
        let chef = app.token("chef@lumiere.example").await;
        let number = open_case(&app, &chef).await;
        let id = json(
            raise(
                &app,
                &analyst,
                number,
                json!({"kind": "designate_support_user", "user": "marie@lumiere.example"}),
            )
            .await,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/authorization-requests/{id}");

        let (staff, _) = signed_in(&app, "analyst@support.example").await;
        let (status, html) = page(&staff, &app, &format!("/cases/{number}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&path), "the case page links the request");
        let (_, html) = page(&staff, &app, &path).await;
        assert!(html.contains("id=\"authorization-waiting\""));
        assert!(!html.contains("/decision"), "no button to force it");
        let staff_token = csrf(&html);
        let forced = post(
            &staff,
            &app,
            &format!("{path}/decision"),
            &[("csrf", &staff_token), ("decision", "authorize")],
        )
        .await;
        assert_eq!(forced.status(), StatusCode::FORBIDDEN);

        let (manager, token) = signed_in(&app, "chef@lumiere.example").await;
        let (_, list) = page(&manager, &app, "/authorization-requests").await;
        assert!(list.contains(&path), "Chef's list has it");
        let (_, html) = page(&manager, &app, &path).await;
        assert!(html.contains("J&#39;autorise") || html.contains("J'autorise"), "{html}");
        let forged = post(
            &manager,
            &app,
            &format!("{path}/decision"),
            &[("decision", "authorize")],
        )
        .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let response = post(
            &manager,
            &app,
            &format!("{path}/decision"),
            &[("csrf", &token), ("decision", "authorize")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), path);
        let shown = json(app.get(&format!("/api/v1/authorization-requests/{id}"), &chef).await).await;
        assert_eq!(shown["status"], "authorized");
        assert_eq!(shown["decided_via"], "portal");

        // A request raised from the case page form.
        let (customer, token) = signed_in(&app, "chef@lumiere.example").await;
        let raised = post(
            &customer,
            &app,
            &format!("/cases/{number}/authorization-requests"),
            &[
                ("csrf", &token),
                ("kind", "password_reset"),
                ("user", "marie@lumiere.example"),
                ("account", "portal"),
                ("designated", "keep"),
                ("authorized_manager", "keep"),
                ("active", "keep"),
                ("display_name", ""),
            ],
        )
        .await;
        assert_eq!(raised.status(), StatusCode::SEE_OTHER);
        let on_case = json(
            app.get(&format!("/api/v1/cases/{number}/authorization-requests"), &chef)
                .await,
        )
        .await;
        assert_eq!(on_case[0]["kind"], "password_reset");
        let refused = post(
            &customer,
            &app,
            &format!("/cases/{number}/authorization-requests"),
            &[
                ("csrf", &token),
                ("kind", "designate_support_user"),
                ("user", "eve@evil.example"),
                ("display_name", "Eve"),
            ],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().await.unwrap().contains("id=\"form-error\""));
    })
    .await;
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A stand-in for the product's identity system: records what it is sent.
async fn identity_system() -> (String, Received) {
    let received = Received::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/reset",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/reset", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn r25_a_product_password_reset_reaches_the_identity_system_signed_once_authorized() {
    const SECRET: &str = "identity-secret-0123456789";
    let (url, received) = identity_system().await;
    let configure = move |config: &mut guichet::config::Config| {
        config.authorization.identity_webhook_url = url.clone();
        config.authorization.identity_webhook_secret = SECRET.into();
    };
    on_each_engine_with(configure, |app| {
        let received = received.clone();
        async move {
            received.lock().unwrap().clear();
            let worker = guichet_web::AppState::new(
                app.store.clone(),
                app.config.support_policy().unwrap(),
                app.config.web_settings(),
                guichet_web::Clock::system(),
            );
            let chef = app.token("chef@lumiere.example").await;
            let marie = app.token("marie@lumiere.example").await;
            let number = open_case(&app, &marie).await;
            let raised = raise(
                &app,
                &marie,
                number,
                json!({"kind": "password_reset", "user": "marie@lumiere.example", "account": "product"}),
            )
            .await;
            assert_eq!(raised.status(), StatusCode::CREATED);
            let id = json(raised).await["id"].as_str().unwrap().to_owned();

            // Pending: the identity system hears nothing.
            assert_eq!(
                guichet_web::authorization::deliver_identity_webhooks(&worker)
                    .await
                    .unwrap(),
                0
            );
            assert!(received.lock().unwrap().is_empty());

            let decided = json(decide(&app, &chef, &id, "authorize").await).await;
            assert_eq!(decided["outcome"], "identity_system_notified");
            assert_eq!(
                guichet_web::authorization::deliver_identity_webhooks(&worker)
                    .await
                    .unwrap(),
                1
            );
            let (headers, body) = received.lock().unwrap().pop().expect("the reset was sent");
            assert_eq!(headers["x-guichet-event"], "password_reset");
            let timestamp: i64 = headers["x-guichet-timestamp"].to_str().unwrap().parse().unwrap();
            assert_eq!(
                headers["x-guichet-signature"].to_str().unwrap(),
                guichet_web::status::signature(SECRET, timestamp, &body),
                "signed with the configured secret"
            );
            let reset: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(reset["email"], "marie@lumiere.example");
            assert_eq!(reset["authorized_by"], "chef@lumiere.example");
            assert_eq!(reset["request"], id.as_str());
            // Sent once.
            assert_eq!(
                guichet_web::authorization::deliver_identity_webhooks(&worker)
                    .await
                    .unwrap(),
                0
            );
        }
    })
    .await;
}

#[tokio::test]
async fn r25_a_reset_the_identity_system_never_takes_is_listed_for_administrators() {
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/reset", dead.local_addr().unwrap());
    drop(dead);
    let configure = move |config: &mut guichet::config::Config| {
        config.authorization.identity_webhook_url = url.clone();
        config.authorization.identity_webhook_secret = "identity-secret-0123456789".into();
    };
    on_each_engine_with(configure, |app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let admin = app.token("admin@support.example").await;
        let number = open_case(&app, &chef).await;
        let raised = raise(
            &app,
            &chef,
            number,
            json!({"kind": "password_reset", "user": "marie@lumiere.example", "account": "product"}),
        )
        .await;
        let id = json(raised).await["id"].as_str().unwrap().to_owned();
        decide(&app, &chef, &id, "authorize").await;

        // Each round a day later, past any backoff.
        let failures = || async { json(app.get("/api/v1/identity-webhooks/failures", &admin).await).await };
        for day in 0..guichet_web::authorization::IDENTITY_ATTEMPTS {
            assert_eq!(failures().await, json!([]), "still being tried on day {day}");
            let worker = guichet_web::AppState::new(
                app.store.clone(),
                app.config.support_policy().unwrap(),
                app.config.web_settings(),
                guichet_web::Clock::fixed(
                    jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * i64::from(day)),
                ),
            );
            assert_eq!(
                guichet_web::authorization::deliver_identity_webhooks(&worker)
                    .await
                    .unwrap(),
                0
            );
        }
        let listed = failures().await;
        assert_eq!(listed[0]["request"], id.as_str(), "{listed}");
        assert_eq!(listed[0]["email"], "marie@lumiere.example");
        assert_eq!(listed[0]["attempts"], guichet_web::authorization::IDENTITY_ATTEMPTS);
        assert!(
            listed[0]["error"].as_str().unwrap().contains("not delivered"),
            "{listed}"
        );
        problem(
            app.get("/api/v1/identity-webhooks/failures", &chef).await,
            StatusCode::FORBIDDEN,
            "administrator_required",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn r25_two_demotions_raised_together_cannot_leave_the_company_without_a_manager() {
    on_each_engine(|app| async move {
        let chef = app.token("chef@lumiere.example").await;
        let marie = app.token("marie@lumiere.example").await;
        let number = open_case(&app, &chef).await;
        let raised = |body: Value| {
            let (app, chef) = (app.clone(), chef.clone());
            async move {
                let response = raise(&app, &chef, number, body).await;
                assert_eq!(response.status(), StatusCode::CREATED);
                json(response).await["id"].as_str().unwrap().to_owned()
            }
        };
        // Marie becomes a second authorized manager.
        let promote = raised(json!({"kind": "permission_change", "user": "marie@lumiere.example",
                                    "authorized_manager": true}))
        .await;
        assert_eq!(
            decide(&app, &chef, &promote, "authorize").await.status(),
            StatusCode::OK
        );

        // Each demotion alone would leave one manager, so both may be raised...
        let demote_chef = raised(json!({"kind": "permission_change", "user": "chef@lumiere.example",
                                        "authorized_manager": false}))
        .await;
        let demote_marie = raised(json!({"kind": "permission_change", "user": "marie@lumiere.example",
                                         "authorized_manager": false}))
        .await;
        assert_eq!(
            decide(&app, &marie, &demote_chef, "authorize").await.status(),
            StatusCode::OK
        );
        // ...but the second is checked again when it is carried out.
        problem(
            decide(&app, &marie, &demote_marie, "authorize").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_authorized_manager",
        )
        .await;
        assert!(
            roles(&app, "marie@lumiere.example")
                .await
                .contains(&"authorized_manager".to_owned())
        );
        let request = json(
            app.get(&format!("/api/v1/authorization-requests/{demote_marie}"), &marie)
                .await,
        )
        .await;
        assert_eq!(request["status"], "pending", "nothing changed");
    })
    .await;
}
