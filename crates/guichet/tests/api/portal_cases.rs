//! The case pages of the portal through a browser's eyes (R11–R20): the
//! two-step wizard, the list, the case page and its forms, the queue and
//! the escalation review, in French and English, with CSRF on every form.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

/// A form post without its token: who sends it, where, with what.
type Forged<'a> = (&'a Client, String, Vec<(&'a str, &'a str)>);

use crate::helpers::{App, PASSWORD, json, on_each_engine, on_sqlite};

/// A browser: keeps cookies, does not follow redirects.
pub(crate) fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn page(client: &Client, app: &App, path: &str) -> (StatusCode, String) {
    let response = client.get(format!("{}{path}", app.url)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

pub(crate) fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

pub(crate) async fn post(client: &Client, app: &App, path: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(format!("{}{path}", app.url))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub(crate) fn location(response: &Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

/// A browser signed in as `email`, and a CSRF token of its session.
pub(crate) async fn signed_in(app: &App, email: &str) -> (Client, String) {
    let client = browser();
    let (_, html) = page(&client, app, "/login").await;
    let response = post(
        &client,
        app,
        "/login",
        &[("email", email), ("password", PASSWORD), ("csrf", &csrf(&html))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {email}");
    // The token is renewed at sign-in.
    let (_, home) = page(&client, app, "/").await;
    let token = csrf(&home);
    (client, token)
}

/// Opens a case through the API (for stories about what comes after).
async fn open_case(app: &App, email: &str, subject: &str) -> i64 {
    let token = app.token(email).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/cases",
            Some(&token),
            json!({
                "product": "financials",
                "area": "general_ledger",
                "environment": "production",
                "impact": "degraded",
                "scope": "group",
                "subject": subject,
                "description": "Posting fails with error GL-4012.",
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json(response).await["number"].as_i64().unwrap()
}

async fn timeline_kinds(app: &App, email: &str, number: i64) -> Vec<String> {
    let token = app.token(email).await;
    let case = json(app.get(&format!("/api/v1/cases/{number}"), &token).await).await;
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn r12_r15_marie_logs_a_case_in_two_steps_in_french_and_finds_it_in_her_cases() {
    on_each_engine(|app| async move {
        let (marie, token) = signed_in(&app, "marie@lumiere.example").await;
        let (status, step_one) = page(&marie, &app, "/cases/new").await;
        assert_eq!(status, StatusCode::OK);
        assert!(step_one.contains("<html lang=\"fr\">"));
        assert!(step_one.contains("<h1>Consigner une demande</h1>"), "{step_one}");
        assert!(step_one.contains("aria-current=\"step\">Étape 1 sur 2"));
        assert!(
            step_one.contains("Limitez chaque demande à un problème spécifique"),
            "R13"
        );
        assert_eq!(step_one.matches("<fieldset").count(), 3, "environment, impact, scope");
        assert!(step_one.contains("<legend>Environnement</legend>"));
        assert!(step_one.contains("value=\"financials/general_ledger\""));
        assert!(step_one.contains("Financials — General ledger"));
        assert!(
            !step_one.contains("name=\"company\""),
            "only partners choose the company"
        );
        // The navigation marks where she is.
        assert!(step_one.contains("href=\"/cases/new\" aria-current=\"page\""));

        let choices = [
            ("csrf", token.as_str()),
            ("step", "choose"),
            ("product_area", "financials/general_ledger"),
            ("environment", "sandbox"),
            ("impact", "outage"),
            ("scope", "organization"),
        ];
        let response = post(&marie, &app, "/cases/new", &choices).await;
        assert_eq!(response.status(), StatusCode::OK);
        let step_two = response.text().await.unwrap();
        assert!(step_two.contains("aria-current=\"step\">Étape 2 sur 2"));
        assert!(step_two.contains("Cette demande sera en P2 parce que :"), "{step_two}");
        assert!(
            step_two.contains("inutilisable") && step_two.contains("plus bas"),
            "{step_two}"
        );
        assert!(
            step_two.contains("name=\"impact\" value=\"outage\""),
            "step 1 is carried"
        );
        assert!(step_two.contains("Bac à sable (sandbox)"));

        let mut details = choices.to_vec();
        details[1] = ("step", "describe");
        details.extend([
            ("subject", "Les écritures ne se valident plus"),
            ("description", "Erreur GL-4012 depuis ce matin."),
            ("steps", "1. Ouvrir une écriture\n2. Valider"),
            ("expected", "L'écriture est validée"),
        ]);
        let response = post(&marie, &app, "/cases/new", &details).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let case_path = location(&response).to_owned();
        assert!(case_path.starts_with("/cases/"), "{case_path}");
        let number = case_path.trim_start_matches("/cases/").to_owned();

        let (status, case) = page(&marie, &app, &case_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(case.contains("<h1>Les écritures ne se valident plus</h1>"), "{case}");
        assert!(case.contains(&format!("Demande {number}")));
        assert!(case.contains("P2 parce que :"));
        assert!(case.contains("Nouvelle"), "the status in words");
        assert!(case.contains("Financials — General ledger"));
        assert!(case.contains("Demande consignée, priorité P2"), "the timeline");
        assert!(case.contains("Les heures sont indiquées dans le fuseau Europe/Paris"));
        assert!(case.contains("Demander une mise à jour"));

        let (status, list) = page(&marie, &app, "/cases").await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("<h1>Mes demandes</h1>"));
        assert!(list.contains(&format!("href=\"{case_path}\">Les écritures ne se valident plus</a>")));
        let (_, open) = page(&marie, &app, "/cases?status=open").await;
        assert!(open.contains(&case_path));
        let (_, closed) = page(&marie, &app, "/cases?status=closed").await;
        assert!(!closed.contains(&case_path));
        let (status, _) = page(&marie, &app, "/cases?status=lost").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn r3_ulysse_is_shown_who_to_go_through_instead_of_the_form() {
    on_sqlite(|app| async move {
        let (ulysse, token) = signed_in(&app, "ulysse@acme.example").await;
        let (status, html) = page(&ulysse, &app, "/cases/new").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(html.contains("data-reason=\"designated_contact_required\""));
        assert!(html.contains("You may not open a support case"));
        assert!(html.contains("mailto:dana@acme.example"));
        assert!(!html.contains("action=\"/cases/new\""), "no form");
        // Sending the form anyway opens nothing.
        let response = post(
            &ulysse,
            &app,
            "/cases/new",
            &[
                ("csrf", &token),
                ("step", "describe"),
                ("product_area", "financials/general_ledger"),
                ("environment", "production"),
                ("impact", "outage"),
                ("scope", "organization"),
                ("subject", "Down"),
                ("description", "Down"),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.unwrap().contains("mailto:dana@acme.example"));
        let dana = app.token("dana@acme.example").await;
        let cases = json(app.get("/api/v1/cases", &dana).await).await;
        assert!(cases["cases"].as_array().unwrap().is_empty(), "{cases}");

        // A partner chooses the company among those it implemented (R4).
        let (pat, _) = signed_in(&app, "pat@northwind.example").await;
        let (status, html) = page(&pat, &app, "/cases/new").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("name=\"company\""));
        assert!(html.contains("Redwood Dental LLC"));
    })
    .await;
}

#[tokio::test]
async fn r16_r19_an_update_reads_in_two_parts_notes_stay_inside_and_update_requests_wait() {
    on_each_engine(|app| async move {
        let number = open_case(&app, "marie@lumiere.example", "Journal will not post").await;
        let case_path = format!("/cases/{number}");

        let (analyst, token) = signed_in(&app, "analyst@support.example").await;
        let (status, queue) = page(&analyst, &app, "/queue").await;
        assert_eq!(status, StatusCode::OK);
        assert!(queue.contains(&format!("href=\"{case_path}\"")), "{queue}");
        let (status, html) = page(&analyst, &app, &case_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"form-answer\""));
        assert!(html.contains("id=\"form-note\""));
        assert!(
            !html.contains("id=\"form-update-request\""),
            "staff do not ask for updates"
        );

        let response = post(
            &analyst,
            &app,
            &format!("{case_path}/answers"),
            &[
                ("csrf", &token),
                ("kind", "update"),
                ("done", "Reproduced GL-4012 on a copy of your ledger."),
                ("next", "Engineering ships a fix on Friday."),
                ("body", ""),
                ("articles", ""),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), case_path);
        let response = post(
            &analyst,
            &app,
            &format!("{case_path}/comments"),
            &[
                ("csrf", &token),
                ("body", "Customer runs an old build."),
                ("internal", "1"),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, html) = page(&analyst, &app, &case_path).await;
        assert!(html.contains("Customer runs an old build."));
        assert!(
            html.contains("class=\"badge internal\">Internal</span> Internal note"),
            "{html}"
        );

        let (marie, token) = signed_in(&app, "marie@lumiere.example").await;
        let (_, html) = page(&marie, &app, &case_path).await;
        assert!(html.contains("Point d&#39;avancement") || html.contains("Point d'avancement"));
        assert!(html.contains("<h4>Ce qui a été fait</h4>"), "{html}");
        assert!(html.contains("Reproduced GL-4012 on a copy of your ledger."));
        assert!(html.contains("<h4>Ce qui va suivre</h4>"));
        assert!(html.contains("Engineering ships a fix on Friday."));
        assert!(!html.contains("old build"), "internal notes never reach the customer");
        assert!(!html.contains("id=\"form-answer\""));
        assert!(html.contains("Noah Kim"), "the analyst is named");

        // R19: one update request, then the page says when the next is possible.
        let response = post(
            &marie,
            &app,
            &format!("{case_path}/update-requests"),
            &[("csrf", &token), ("body", "Des nouvelles ?")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, html) = page(&marie, &app, &case_path).await;
        assert!(html.contains("Mise à jour demandée"));
        assert!(html.contains("id=\"update-possible-at\""), "{html}");
        assert!(html.contains("Vous pourrez en demander une autre à partir du 20"));
        assert!(!html.contains(&format!("action=\"{case_path}/update-requests\"")));
        let response = post(
            &marie,
            &app,
            &format!("{case_path}/update-requests"),
            &[("csrf", &token), ("body", "Toujours rien ?")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("à partir du 20"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn r20_a_manager_accepts_an_escalation_and_marie_reads_the_decision() {
    on_each_engine(|app| async move {
        let number = open_case(&app, "marie@lumiere.example", "Month-end close blocked").await;
        let case_path = format!("/cases/{number}");
        let (marie, token) = signed_in(&app, "marie@lumiere.example").await;
        let response = post(
            &marie,
            &app,
            &format!("{case_path}/escalation-requests"),
            &[("csrf", &token), ("reason", "La clôture mensuelle est bloquée.")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, html) = page(&marie, &app, &case_path).await;
        assert!(html.contains("Escalade demandée"));
        assert!(
            html.contains("attend l&#39;examen") || html.contains("attend l'examen"),
            "{html}"
        );
        assert!(!html.contains(&format!("action=\"{case_path}/escalation-requests\"")));

        // Only support managers review.
        let (analyst, _) = signed_in(&app, "analyst@support.example").await;
        assert_eq!(page(&analyst, &app, "/escalations").await.0, StatusCode::FORBIDDEN);
        assert_eq!(page(&marie, &app, "/escalations").await.0, StatusCode::FORBIDDEN);
        assert_eq!(page(&marie, &app, "/queue").await.0, StatusCode::FORBIDDEN);

        let (lead, token) = signed_in(&app, "lead@support.example").await;
        let (status, html) = page(&lead, &app, "/escalations").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("href=\"{case_path}\"")));
        assert!(html.contains("La clôture mensuelle est bloquée."));
        assert!(html.contains("Marie Curien"));
        let marker = "action=\"/escalations/";
        let start = html.find(marker).unwrap() + marker.len();
        let id = &html[start..start + html[start..].find('/').unwrap()];
        let ines = app.user_id("analyst2@support.example").await;
        assert!(html.contains(&format!("<option value=\"{ines}\">Inès Moreau</option>")));

        let review = format!("/escalations/{id}/review");
        let response = post(
            &lead,
            &app,
            &review,
            &[("csrf", &token), ("decision", "accept"), ("note", "")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Write a note for the customer.")
        );
        let response = post(
            &lead,
            &app,
            &review,
            &[
                ("csrf", &token),
                ("decision", "accept"),
                ("note", "Escalated: Inès takes it now."),
                ("assignee", &ines),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/escalations");
        let (_, html) = page(&lead, &app, "/escalations").await;
        assert!(!html.contains(&format!("href=\"{case_path}\"")), "reviewed");

        let (_, html) = page(&marie, &app, &case_path).await;
        assert!(html.contains("Escalated: Inès takes it now."), "{html}");
        assert!(
            html.contains("Acceptée : la demande fait l&#39;objet d&#39;une escalade")
                || html.contains("Acceptée : la demande fait l'objet d'une escalade")
        );
        assert!(html.contains("Inès Moreau"));
    })
    .await;
}

#[tokio::test]
async fn every_case_form_needs_the_sessions_csrf_token() {
    on_sqlite(|app| async move {
        let number = open_case(&app, "marie@lumiere.example", "Journal will not post").await;
        let marie_token = app.token("marie@lumiere.example").await;
        app.send_json(
            Method::POST,
            &format!("/api/v1/cases/{number}/escalation-requests"),
            Some(&marie_token),
            json!({"reason": "Blocked"}),
        )
        .await;
        let lead_token = app.token("lead@support.example").await;
        let pending: Value = json(app.get("/api/v1/escalation-requests", &lead_token).await).await;
        let request = pending[0]["id"].as_str().unwrap().to_owned();
        let before = timeline_kinds(&app, "analyst@support.example", number).await;

        let (marie, _) = signed_in(&app, "marie@lumiere.example").await;
        let (analyst, _) = signed_in(&app, "analyst@support.example").await;
        let (lead, _) = signed_in(&app, "lead@support.example").await;
        let case = format!("/cases/{number}");
        let forms: Vec<Forged> = vec![
            (
                &marie,
                "/cases/new".into(),
                vec![("step", "describe"), ("subject", "x"), ("description", "x")],
            ),
            (&marie, format!("{case}/comments"), vec![("body", "Forged")]),
            (&marie, format!("{case}/update-requests"), vec![("body", "Forged")]),
            (
                &marie,
                format!("{case}/escalation-requests"),
                vec![("reason", "Forged")],
            ),
            (&marie, format!("{case}/accept-solution"), vec![]),
            (&marie, format!("{case}/reopen"), vec![]),
            (
                &analyst,
                format!("{case}/answers"),
                vec![("kind", "need_info"), ("body", "Forged")],
            ),
            (
                &analyst,
                format!("{case}/comments"),
                vec![("body", "Forged"), ("internal", "1")],
            ),
            (&analyst, format!("{case}/assignment"), vec![("assignee", "")]),
            (
                &lead,
                format!("/escalations/{request}/review"),
                vec![("decision", "decline"), ("note", "Forged")],
            ),
        ];
        for (client, path, fields) in forms {
            for token in ["", "forged"] {
                let mut form = fields.clone();
                form.push(("csrf", token));
                let response = post(client, &app, &path, &form).await;
                assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} with `{token}`");
                let html = response.text().await.unwrap();
                assert!(
                    html.contains("did not come from this site") || html.contains("ne venait pas de ce site"),
                    "{path}: {html}"
                );
            }
        }
        assert_eq!(timeline_kinds(&app, "analyst@support.example", number).await, before);
        let still: Value = json(app.get("/api/v1/escalation-requests", &lead_token).await).await;
        assert_eq!(still[0]["status"], "pending");
    })
    .await;
}

#[tokio::test]
async fn another_companys_user_finds_nothing_at_the_case_page() {
    on_sqlite(|app| async move {
        let number = open_case(&app, "marie@lumiere.example", "Journal will not post").await;
        let case = format!("/cases/{number}");
        let (dana, token) = signed_in(&app, "dana@acme.example").await;
        let (status, html) = page(&dana, &app, &case).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!html.contains("Journal will not post"));
        let response = post(
            &dana,
            &app,
            &format!("{case}/comments"),
            &[("csrf", &token), ("body", "Hello")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let response = post(
            &dana,
            &app,
            &format!("{case}/escalation-requests"),
            &[("csrf", &token), ("reason", "Hello")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        for path in ["/cases/0", "/cases/abc", "/cases/999999"] {
            assert_eq!(page(&dana, &app, path).await.0, StatusCode::NOT_FOUND, "{path}");
        }
        let (_, list) = page(&dana, &app, "/cases").await;
        assert!(!list.contains(&case));
        // Her colleague Auguste, a designated user, sees every case of theirs.
        let (chef, _) = signed_in(&app, "chef@lumiere.example").await;
        assert_eq!(page(&chef, &app, &case).await.0, StatusCode::OK);
        // Signed out, the page asks to sign in first.
        let response = browser().get(format!("{}{case}", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), format!("/login?next={case}"));
    })
    .await;
}

#[tokio::test]
async fn validation_errors_keep_what_was_typed() {
    on_sqlite(|app| async move {
        let (marie, token) = signed_in(&app, "marie@lumiere.example").await;
        // Step 1 without an impact stays on step 1, with the message.
        let response = post(
            &marie,
            &app,
            "/cases/new",
            &[
                ("csrf", &token),
                ("step", "choose"),
                ("product_area", "financials/general_ledger"),
                ("environment", "production"),
                ("scope", "group"),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("Choisissez l&#39;impact") || html.contains("Choisissez l'impact"));
        assert!(html.contains("aria-current=\"step\">Étape 1 sur 2"));
        assert!(
            html.contains("value=\"production\" required aria-describedby=\"environment-production-hint\" checked")
        );

        // Step 2 without a subject keeps the description.
        let response = post(
            &marie,
            &app,
            "/cases/new",
            &[
                ("csrf", &token),
                ("step", "describe"),
                ("product_area", "financials/general_ledger"),
                ("environment", "production"),
                ("impact", "blocked"),
                ("scope", "group"),
                ("subject", "  "),
                ("description", "Le lot de paiements bloque depuis lundi."),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("Donnez un objet à la demande"), "{html}");
        assert!(html.contains("Le lot de paiements bloque depuis lundi.</textarea>"));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("aria-current=\"step\">Étape 2 sur 2"));
        // A product area that does not exist sends her back to step 1.
        let response = post(
            &marie,
            &app,
            "/cases/new",
            &[
                ("csrf", &token),
                ("step", "describe"),
                ("product_area", "financials/payroll"),
                ("environment", "production"),
                ("impact", "blocked"),
                ("scope", "group"),
                ("subject", "Paie"),
                ("description", "Le lot de paiements bloque depuis lundi."),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("aria-current=\"step\">Étape 1 sur 2"));
        assert!(html.contains("name=\"description\" value=\"Le lot de paiements bloque depuis lundi.\""));

        // An update without its second part keeps the first.
        let number = open_case(&app, "marie@lumiere.example", "Journal will not post").await;
        let (analyst, token) = signed_in(&app, "analyst@support.example").await;
        let response = post(
            &analyst,
            &app,
            &format!("/cases/{number}/answers"),
            &[
                ("csrf", &token),
                ("kind", "update"),
                ("done", "Checked the posting logs."),
                ("next", ""),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("Say what happens next"), "{html}");
        assert!(html.contains("Checked the posting logs.</textarea>"));
        assert!(html.contains("<option value=\"update\" selected>"));
        // A customer's comment on a case that is closed says so.
        let (marie, token) = signed_in(&app, "marie@lumiere.example").await;
        let response = post(
            &marie,
            &app,
            &format!("/cases/{number}/accept-solution"),
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Seule une demande pour laquelle une solution")
        );
    })
    .await;
}
