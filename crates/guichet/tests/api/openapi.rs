//! The OpenAPI document describes every API route, and every described
//! route exists.

use reqwest::{Method, StatusCode};

use crate::helpers::{json, on_sqlite};

#[tokio::test]
async fn the_document_names_the_contract_routes() {
    on_sqlite(|app| async move {
        let response = app
            .request(Method::GET, "/api/openapi.json", None)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let document = json(response).await;
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        for (path, method) in [
            ("/api/v1/auth/token", "post"),
            ("/api/v1/auth/logout", "post"),
            ("/api/v1/me", "get"),
            ("/api/v1/me/support-options", "get"),
            ("/api/v1/companies", "post"),
            ("/api/v1/companies/{id}", "get"),
            ("/api/v1/users", "post"),
            ("/api/v1/users/{id}", "patch"),
        ] {
            assert!(
                document["paths"][path][method].is_object(),
                "{method} {path} is not documented"
            );
        }
        let options = &document["components"]["schemas"]["SupportOptionsView"]["properties"];
        for field in [
            "may_open_case",
            "reason",
            "open_for",
            "designated_contacts",
            "partner_contact",
            "account_manager",
            "phone",
        ] {
            assert!(
                options[field].is_object(),
                "support options lack `{field}` in the document"
            );
        }
    })
    .await;
}

/// Documented ⇒ routed: a call without credentials reaches the route (401,
/// or 4xx on the body for the token endpoint), never "no such route".
#[tokio::test]
async fn every_documented_operation_is_routed() {
    on_sqlite(|app| async move {
        let document = json(
            app.request(Method::GET, "/api/openapi.json", None)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, _) in item.as_object().unwrap() {
                let response = app
                    .request(
                        Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                        &path.replace("{id}", "some-id"),
                        None,
                    )
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                    .unwrap();
                let mut status = response.status();
                if status == StatusCode::NOT_FOUND {
                    // A public route answers 404 for an id that names
                    // nothing; a routed path answers another method 405.
                    let probe = app.request(Method::TRACE, &path.replace("{id}", "some-id"), None);
                    if probe.send().await.unwrap().status() == StatusCode::METHOD_NOT_ALLOWED {
                        status = StatusCode::OK;
                    }
                }
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but not routed ({status})"
                );
                operations += 1;
            }
        }
        assert_eq!(
            operations,
            documented_handlers(),
            "documented operations ≠ handlers carrying #[utoipa::path]"
        );
    })
    .await;
}

fn api_sources() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/api");
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            sources.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert!(sources.len() > 3);
    sources
}

fn documented_handlers() -> usize {
    api_sources()
        .iter()
        .map(|(_, text)| text.matches("#[utoipa::path(").count())
        .sum()
}

/// Routed ⇒ documented: API routes are only added through
/// `utoipa_axum::routes!`, which refuses a handler without a description.
#[test]
fn api_routes_are_only_registered_through_the_documenting_macro() {
    for (file, text) in api_sources() {
        for forbidden in [".route(", ".route_service(", ".nest(", ".nest_service(", ".merge("] {
            assert!(
                !text.contains(forbidden),
                "{file} registers a route with `{forbidden}`: use `routes!` so it is documented"
            );
        }
    }
}
