//! Health, readiness, metrics, request ids, security headers, demo data.

use guichet_domain::email::EmailAddress;
use guichet_domain::user::Language;
use guichet_store::testing::on_each_engine as on_each_store;
use reqwest::{Method, StatusCode};

use crate::helpers::{on_each_engine, on_sqlite};

#[tokio::test]
async fn health_readiness_and_metrics() {
    on_each_engine(|app| async move {
        let health = app.request(Method::GET, "/healthz", None).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        let ready = app.request(Method::GET, "/readyz", None).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        let token = app.token("marie@lumiere.example").await;
        app.get("/api/v1/me", &token).await;
        let metrics = app.request(Method::GET, "/metrics", None).send().await.unwrap();
        assert!(
            metrics.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = metrics.text().await.unwrap();
        assert!(text.contains("guichet_http_requests_total"), "{text}");
        assert!(
            text.contains("route=\"/api/v1/me\""),
            "routes are labelled by template: {text}"
        );
        assert!(text.contains("guichet_http_request_duration_seconds_bucket"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    on_sqlite(|app| async move {
        for path in ["/", "/login", "/api/v1/me", "/api/openapi.json", "/nowhere"] {
            let response = app.request(Method::GET, path, None).send().await.unwrap();
            let headers = response.headers();
            assert!(headers.get("x-request-id").is_some_and(|id| id.len() >= 32), "{path}");
            assert!(
                headers["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("frame-ancestors 'none'"),
                "{path}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
        let response = app
            .request(Method::GET, "/healthz", None)
            .header("x-request-id", "trace-me-123")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "trace-me-123");
        let css = app
            .request(Method::GET, "/static/guichet.css", None)
            .send()
            .await
            .unwrap();
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        assert!(css.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    })
    .await;
}

#[tokio::test]
async fn the_demo_data_loads_once_and_keeps_what_users_did() {
    on_each_store(|store| async move {
        let now = jiff::Timestamp::now();
        assert!(guichet::demo::seed(&store, now).await.unwrap());
        let marie = EmailAddress::parse("marie@lumiere.example").unwrap();
        let user = store.user_by_email(&marie).await.unwrap().unwrap();
        assert_eq!(user.language, Language::Fr);
        store.set_language(&user.id, Language::En, now).await.unwrap();
        let companies = store.companies(&guichet_store::CompanyScope::All).await.unwrap().len();
        assert_eq!(companies, 9);

        assert!(!guichet::demo::seed(&store, now).await.unwrap(), "loaded twice");
        assert_eq!(
            store.companies(&guichet_store::CompanyScope::All).await.unwrap().len(),
            companies
        );
        assert_eq!(
            store.user_by_email(&marie).await.unwrap().unwrap().language,
            Language::En
        );
        for demo in guichet::demo::USERS {
            let user = store
                .user_by_email(&EmailAddress::parse(demo.email).unwrap())
                .await
                .unwrap();
            assert!(user.is_some(), "{} is missing", demo.email);
        }
    })
    .await;
}
