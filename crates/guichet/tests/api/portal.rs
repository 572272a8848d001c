//! The portal through a browser's eyes: sign-in with CSRF, sessions, the
//! contact page in the user's language, the language switch, escaping.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::json as body;

use crate::helpers::{App, PASSWORD, on_each_engine, on_sqlite};

/// A browser: keeps cookies, does not follow redirects.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page(client: &Client, app: &App, path: &str) -> (StatusCode, String) {
    let response = client.get(format!("{}{path}", app.url)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn post(client: &Client, app: &App, path: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(format!("{}{path}", app.url))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn location(response: &Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

async fn sign_in(client: &Client, app: &App, email: &str) -> Response {
    let (_, html) = page(client, app, "/login").await;
    let token = csrf(&html);
    post(
        client,
        app,
        "/login",
        &[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &token),
            ("next", "/contact"),
        ],
    )
    .await
}

#[tokio::test]
async fn marie_reads_the_contact_page_in_french_switches_to_english_and_signs_out() {
    on_each_engine(|app| async move {
        let client = browser();
        let (status, login) = page(&client, &app, "/login").await;
        assert_eq!(status, StatusCode::OK);
        assert!(login.contains("<html lang=\"en\">"));

        let response = sign_in(&client, &app, "marie@lumiere.example").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/contact");
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.starts_with("guichet_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let (_, home) = page(&client, &app, "/").await;
        assert!(home.contains("<html lang=\"fr\">"));
        assert!(home.contains("Bonjour, Marie Curien"));
        let (status, contact) = page(&client, &app, "/contact").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            contact.contains("Vous pouvez ouvrir une demande d&#39;assistance")
                || contact.contains("Vous pouvez ouvrir une demande d'assistance"),
            "{contact}"
        );
        assert!(contact.contains("data-reason=\"active_user\""));
        assert!(contact.contains("01 70 73 16 40"));
        assert!(contact.contains("Claire Fontaine"));
        assert!(contact.contains("gestionnaire de compte"));

        let token = csrf(&contact);
        let response = post(
            &client,
            &app,
            "/language",
            &[("language", "en"), ("csrf", &token), ("next", "/contact")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/contact");
        let (_, contact) = page(&client, &app, "/contact").await;
        assert!(contact.contains("<html lang=\"en\">"));
        assert!(contact.contains("You may open a support case"));
        // The choice is her preference now, through the API too.
        let api = app.token("marie@lumiere.example").await;
        let me: serde_json::Value = app.get("/api/v1/me", &api).await.json().await.unwrap();
        assert_eq!(me["user"]["language"], "en");

        let token = csrf(&contact);
        let response = post(&client, &app, "/logout", &[("csrf", &token)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/login");
        let response = client.get(format!("{}/contact", app.url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/login?next=/contact");
    })
    .await;
}

#[tokio::test]
async fn ulysse_is_shown_who_to_go_through() {
    on_sqlite(|app| async move {
        let client = browser();
        sign_in(&client, &app, "ulysse@acme.example").await;
        let (_, contact) = page(&client, &app, "/contact").await;
        assert!(contact.contains("data-reason=\"designated_contact_required\""));
        assert!(contact.contains("You may not open a support case"));
        assert!(contact.contains("mailto:dana@acme.example"));
        assert!(contact.contains("Only the people who may open a case may call support."));

        let client = browser();
        sign_in(&client, &app, "rita@redwood.example").await;
        let (_, contact) = page(&client, &app, "/contact").await;
        let partner = contact.find("Northwind Partners").expect("the partner is named");
        let status = contact.find("id=\"may-open-case\"").unwrap();
        assert!(partner < status, "the partner comes first");
        assert!(contact.contains("support@northwind.example"));
    })
    .await;
}

#[tokio::test]
async fn forms_need_the_sessions_csrf_token() {
    on_sqlite(|app| async move {
        let client = browser();
        page(&client, &app, "/login").await;
        for token in ["", "forged"] {
            let response = post(
                &client,
                &app,
                "/login",
                &[
                    ("email", "marie@lumiere.example"),
                    ("password", PASSWORD),
                    ("csrf", token),
                ],
            )
            .await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        // Another browser's token is no good either.
        let other = browser();
        let (_, html) = page(&other, &app, "/login").await;
        let response = post(
            &client,
            &app,
            "/login",
            &[
                ("email", "marie@lumiere.example"),
                ("password", PASSWORD),
                ("csrf", &csrf(&html)),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        // A cross-site form post is refused before it reaches the handler.
        let response = client
            .post(format!("{}/login", app.url))
            .header("sec-fetch-site", "cross-site")
            .form(&[("email", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn sign_in_renews_the_session_and_follows_only_local_paths() {
    on_sqlite(|app| async move {
        let client = browser();
        let response = client.get(format!("{}/login", app.url)).send().await.unwrap();
        let before = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let token = csrf(&response.text().await.unwrap());
        let response = post(
            &client,
            &app,
            "/login",
            &[
                ("email", "dana@acme.example"),
                ("password", PASSWORD),
                ("csrf", &token),
                ("next", "//evil.example/steal"),
            ],
        )
        .await;
        assert_eq!(location(&response), "/");
        let after = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_ne!(before, after, "the session id changes at sign-in");

        let client = browser();
        let (_, html) = page(&client, &app, "/login").await;
        let response = post(
            &client,
            &app,
            "/login",
            &[
                ("email", "dana@acme.example"),
                ("password", "wrong password"),
                ("csrf", &csrf(&html)),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let html = response.text().await.unwrap();
        assert!(html.contains("role=\"alert\""));
        assert!(html.contains("value=\"dana@acme.example\""), "the email is kept");
    })
    .await;
}

#[tokio::test]
async fn visitors_get_their_browsers_language_and_user_text_is_escaped() {
    on_sqlite(|app| async move {
        let response = app
            .client
            .get(format!("{}/login", app.url))
            .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap();
        let html = response.text().await.unwrap();
        assert!(html.contains("<html lang=\"fr\">") && html.contains("Mot de passe"));

        let (status, html) = page(&browser(), &app, "/no/such/page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("There is nothing at this address."));

        let admin = app.token("admin@support.example").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/users",
                Some(&admin),
                body!({"company_id": acme, "email": "mallory@acme.example", "display_name": "<script>alert(1)</script>", "password": "mallory's password"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let client = browser();
        let (_, html) = page(&client, &app, "/login").await;
        post(&client, &app, "/login", &[("email", "mallory@acme.example"), ("password", "mallory's password"), ("csrf", &csrf(&html))]).await;
        let (_, home) = page(&client, &app, "/").await;
        assert!(home.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{home}");
        assert!(!home.contains("<script>"), "{home}");
    })
    .await;
}
