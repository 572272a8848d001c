//! Tokens, sign-out, throttled sign-in, `GET /api/v1/me`.

use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{PASSWORD, json, on_each_engine, problem};

#[tokio::test]
async fn a_token_signs_in_until_it_is_revoked() {
    on_each_engine(|app| async move {
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                body!({"email": "Dana@Acme.example", "password": PASSWORD, "name": "laptop"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let issued = json(response).await;
        let token = issued["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("gch_"));
        assert_eq!(issued["name"], "laptop");
        assert!(
            issued["expires_at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok()
        );

        let me = json(app.get("/api/v1/me", &token).await).await;
        assert_eq!(me["user"]["email"], "dana@acme.example");
        assert_eq!(me["company"]["name"], "Acme Outdoor Inc.");
        assert_eq!(me["company"]["country"], "US");
        assert_eq!(me["company"]["time_zone"], "America/Los_Angeles");
        assert_eq!(me["roles"], body!(["designated_support_user", "authorized_manager"]));

        let tokens = json(app.get("/api/v1/auth/tokens", &token).await).await;
        assert_eq!(tokens.as_array().unwrap().len(), 1);
        assert_eq!(tokens[0]["name"], "laptop");
        assert!(tokens[0].get("token").is_none(), "secrets are never listed");

        let response = app
            .request(Method::POST, "/api/v1/auth/logout", Some(&token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem(
            app.get("/api/v1/me", &token).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn tokens_are_revoked_one_by_one_by_their_owner_only() {
    on_each_engine(|app| async move {
        let first = app.token("marie@lumiere.example").await;
        let second = app.token("marie@lumiere.example").await;
        let other = app.token("chef@lumiere.example").await;
        let tokens = json(app.get("/api/v1/auth/tokens", &first).await).await;
        let ids: Vec<String> = tokens
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 2);
        // Someone else's token id is not found.
        let response = app
            .request(Method::DELETE, &format!("/api/v1/auth/tokens/{}", ids[0]), Some(&other))
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::NOT_FOUND, "not_found").await;
        // Newest first: ids[0] is `second`.
        let response = app
            .request(Method::DELETE, &format!("/api/v1/auth/tokens/{}", ids[0]), Some(&first))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem(
            app.get("/api/v1/me", &second).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;
        assert_eq!(app.get("/api/v1/me", &first).await.status(), StatusCode::OK);
        let response = app
            .request(Method::DELETE, &format!("/api/v1/auth/tokens/{}", ids[1]), Some(&first))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        problem(
            app.get("/api/v1/me", &first).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;
        assert_eq!(app.get("/api/v1/me", &other).await.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_which_says_so() {
    on_each_engine(|app| async move {
        let attempt = |password: &'static str| {
            let app = app.clone();
            async move {
                app.send_json(
                    Method::POST,
                    "/api/v1/auth/token",
                    None,
                    body!({"email": "fiona@thistle.example", "password": password}),
                )
                .await
            }
        };
        for _ in 0..5 {
            problem(
                attempt("not the password").await,
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
            )
            .await;
        }
        let locked = attempt(PASSWORD).await;
        assert!(locked.headers().get("retry-after").is_some());
        let locked = problem(locked, StatusCode::TOO_MANY_REQUESTS, "account_locked").await;
        assert!(locked["retry_at"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok());
        // Other accounts are not locked by it.
        app.token("jonas@brezel.example").await;
    })
    .await;
}

#[tokio::test]
async fn unknown_accounts_and_bad_tokens_are_refused_alike() {
    on_each_engine(|app| async move {
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                body!({"email": "nobody@acme.example", "password": PASSWORD}),
            )
            .await;
        problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                body!({"email": "not an email", "password": PASSWORD}),
            )
            .await;
        problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
        let response = app.request(Method::GET, "/api/v1/me", None).send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        problem(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        problem(
            app.get("/api/v1/me", "gch_forged").await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn users_change_their_own_name_and_language() {
    on_each_engine(|app| async move {
        let token = app.token("bruce@koala.example").await;
        let response = app
            .send_json(
                Method::PATCH,
                "/api/v1/me",
                Some(&token),
                body!({"language": "fr", "display_name": "Bruce W."}),
            )
            .await;
        let me = json(response).await;
        assert_eq!(me["user"]["language"], "fr");
        assert_eq!(me["user"]["display_name"], "Bruce W.");
        let me = json(app.get("/api/v1/me", &token).await).await;
        assert_eq!(me["user"]["language"], "fr");
        let response = app
            .send_json(Method::PATCH, "/api/v1/me", Some(&token), body!({"language": "de"}))
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_language").await;
        // Roles are not the user's to change.
        let response = app
            .send_json(
                Method::PATCH,
                "/api/v1/me",
                Some(&token),
                body!({"roles": ["administrator"]}),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    })
    .await;
}
