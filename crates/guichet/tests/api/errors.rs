//! Malformed input anywhere in the API is a problem+json 4xx, never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{json, on_each_engine, on_sqlite, problem};

#[tokio::test]
async fn malformed_bodies_get_stable_codes() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let send = |body: &'static str, content_type: Option<&'static str>| {
            let app = app.clone();
            let admin = admin.clone();
            async move {
                let mut request = app.request(Method::POST, "/api/v1/companies", Some(&admin)).body(body);
                if let Some(content_type) = content_type {
                    request = request.header("content-type", content_type);
                }
                request.send().await.unwrap()
            }
        };
        let json_type = Some("application/json");
        problem(
            send("{\"name\": ", json_type).await,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        )
        .await;
        problem(
            send("{\"name\": 5, \"country\": \"FR\"}", json_type).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        let unknown = problem(
            send("{\"name\": \"X\", \"country\": \"FR\", \"colour\": \"red\"}", json_type).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        assert!(unknown["detail"].as_str().unwrap().contains("colour"), "{unknown}");
        problem(
            send("[]", json_type).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        )
        .await;
        problem(
            send("{\"name\": \"X\"}", None).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        problem(
            send("{\"name\": \"X\"}", Some("text/plain")).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;

        let huge = format!("{{\"name\": \"{}\", \"country\": \"FR\"}}", "x".repeat(2 * 1024 * 1024));
        let response = app
            .request(Method::POST, "/api/v1/companies", Some(&admin))
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    })
    .await;
}

#[tokio::test]
async fn routing_errors_are_problems_too() {
    on_sqlite(|app| async move {
        let token = app.token("marie@lumiere.example").await;
        problem(
            app.get("/api/v1/nothing-here", &token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        problem(app.get("/api/v2/me", &token).await, StatusCode::NOT_FOUND, "not_found").await;
        let response = app
            .request(Method::PUT, "/api/v1/me", Some(&token))
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("allow").is_some());
        problem(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
        // A browser's cross-site request is refused before any handler.
        let response = app
            .request(Method::POST, "/api/v1/auth/logout", Some(&token))
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::FORBIDDEN, "forbidden").await;
        assert_eq!(
            app.get("/api/v1/me", &token).await.status(),
            StatusCode::OK,
            "the token was not revoked"
        );
    })
    .await;
}

/// Every documented operation, sent bodies of every wrong shape, answers
/// a 4xx problem (or succeeds where it takes no body): never a 5xx.
#[tokio::test]
async fn no_malformed_input_reaches_a_500() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let document = json(app.request(Method::GET, "/api/openapi.json", None).send().await.unwrap()).await;
        let bodies = ["", "{", "null", "[]", "\"x\"", "42", "{\"name\": []}", "{\"email\": {}, \"password\": 1}", "{\"a\":{\"b\":{\"c\":[[[[[]]]]]}}}", "\u{0}\u{1}",
            // NUL inside strings: PostgreSQL refuses it in TEXT, so it must never get that far.
            r#"{"name": "a\u0000b", "country": "F\u0000", "email": "a\u0000@b.example", "password": "x\u0000xxxxxxxxxxx", "display_name": "\u0000", "company_id": "\u0000", "implemented_by": "\u0000"}"#,
            r#"{"email": "dana@acme.example\u0000", "password": "guichet-demo\u0000"}"#];
        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            // Signing out takes no body: it would succeed, and end the sweep's token.
            if path == "/api/v1/auth/logout" {
                continue;
            }
            for method in ["get", "post", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let concrete = path.replace("{id}", "x%2F..%2F%00");
                for body in bodies {
                    for token in [Some(admin.as_str()), None] {
                        let response = app
                            .request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), &concrete, token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap();
                        let status = response.status();
                        assert!(!status.is_server_error(), "{method} {path} with {body:?} → {status}");
                        if status.is_client_error() {
                            let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
                            assert_eq!(content_type, "application/problem+json", "{method} {path} with {body:?}");
                            let problem: Value = json(response).await;
                            assert!(problem["code"].is_string());
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 200, "only {checked} requests");
        // Nothing the sweep sent changed who the administrator is.
        assert_eq!(app.get("/api/v1/me", &admin).await.status(), StatusCode::OK);
    })
    .await;
}
