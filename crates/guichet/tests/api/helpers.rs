//! `on_each_engine` starts the demo server on every engine and hands the
//! story a client; `App` has the calls stories make.

use std::future::Future;

use guichet::Server;
use guichet::config::{Config, DatabaseUrl};
use guichet_store::testing::TestDatabase;
use guichet_web::Clock;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = guichet::demo::PASSWORD;

/// A running demo server, seen from outside.
#[derive(Clone)]
pub struct App {
    pub url: String,
    pub client: reqwest::Client,
    /// The server's store, for what a test must arrange behind its back.
    pub store: guichet_store::Store,
    /// Where that store is.
    pub database_url: String,
    /// The server's data directory (attachments live under `files`).
    pub data_dir: std::path::PathBuf,
    /// The server's configuration.
    pub config: Config,
}

/// Runs `story` against a fresh demo server on SQLite, then on PostgreSQL
/// when configured; each engine's database is dropped afterwards.
pub async fn on_each_engine<F, Fut>(story: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run(TestDatabase::sqlite(), &story).await;
    if let Some(database) = TestDatabase::postgres().await {
        run(database, &story).await;
    }
}

/// Runs `story` on SQLite only: for what does not touch the engine.
pub async fn on_sqlite<F, Fut>(story: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run(TestDatabase::sqlite(), &story).await;
}

/// `on_each_engine` with the configuration changed by `configure` first.
pub async fn on_each_engine_with<F, Fut>(configure: impl Fn(&mut Config), story: F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(TestDatabase::sqlite(), &configure, &story).await;
    if let Some(database) = TestDatabase::postgres().await {
        run_with(database, &configure, &story).await;
    }
}

async fn run<F, Fut>(database: TestDatabase, story: &F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(database, &|_| {}, story).await;
}

async fn run_with<F, Fut>(database: TestDatabase, configure: &dyn Fn(&mut Config), story: &F)
where
    F: Fn(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let data_dir = tempfile::tempdir().expect("a data directory");
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: DatabaseUrl(database.url.clone()),
        search: guichet::config::SearchConfig::in_memory(),
        data_dir: data_dir.path().to_owned(),
        ..Config::default()
    };
    configure(&mut config);
    let store = guichet::open_store(&config).await.expect("open the test database");
    guichet::demo::seed(&store, jiff::Timestamp::now())
        .await
        .expect("seed the demo data");
    let server = Server::start(&config, store, Clock::system())
        .await
        .expect("start the server");
    let app = App {
        store: server.store.clone(),
        database_url: database.url.clone(),
        data_dir: data_dir.path().to_owned(),
        config: config.clone(),
        url: server.url(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let outcome = tokio::spawn(story(app)).await;
    server.shutdown().await.expect("shut down");
    let engine = database.engine;
    database.remove().await;
    if let Err(failure) = outcome {
        eprintln!("the story failed on {engine:?}");
        std::panic::resume_unwind(failure.into_panic());
    }
}

impl App {
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.url));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token)).send().await.unwrap()
    }

    pub async fn send_json(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(method, path, token).json(&body).send().await.unwrap()
    }

    /// A bearer token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        let response = self
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                serde_json::json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "signing in as {email}");
        json(response).await["token"].as_str().unwrap().to_owned()
    }

    /// The id of the demo company called `name`, as the administrator sees it.
    pub async fn company_id(&self, name: &str) -> String {
        let admin = self.token("admin@support.example").await;
        let companies = json(self.get("/api/v1/companies", &admin).await).await;
        companies
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no company {name}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The id of a demo user.
    pub async fn user_id(&self, email: &str) -> String {
        let token = self.token(email).await;
        json(self.get("/api/v1/me", &token).await).await["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub async fn json(response: Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
}

/// Asserts `response` is a problem+json with `status` and `code`; returns it.
pub async fn problem(response: Response, status: StatusCode, code: &str) -> Value {
    let actual = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = json(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}
