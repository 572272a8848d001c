//! The server-rendered portal: sign-in, home, "Contact support", the
//! language switch, and cases (logging one, the list, the case page, the
//! analysts' queue, the managers' escalation review). Pages are askama
//! templates (escaped by default), in the reader's language; every form
//! carries a CSRF token bound to the session.

mod audit;
mod authorization;
mod cases;
mod community;
mod files;
mod help;
mod pages;
pub(crate) mod status;
mod training;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use guichet_domain::user::Language;
use tower_sessions::Session;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::{LANGUAGE_COOKIE, Tr};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/contact", get(pages::contact))
        .route("/language", post(pages::switch_language))
        .route("/cases", get(cases::list))
        .route("/cases/new", get(cases::new_case).post(cases::new_case_step))
        .route("/cases/{number}", get(cases::show))
        .route("/cases/{number}/answers", post(cases::answer))
        .route("/cases/{number}/comments", post(cases::comment))
        .route("/cases/{number}/update-requests", post(cases::request_update))
        .route("/cases/{number}/escalation-requests", post(cases::request_escalation))
        .route("/cases/{number}/accept-solution", post(cases::accept_solution))
        .route("/cases/{number}/reopen", post(cases::reopen))
        .route("/cases/{number}/assignment", post(cases::assign))
        .route("/audit", get(audit::page))
        .route("/cases/{number}/authorization-requests", post(authorization::raise))
        // R17: files stream past the global body limit, bounded by
        // `files.max_file_size` as they are read.
        .route(
            "/cases/{number}/files",
            post(files::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/cases/{number}/upload-requests", post(files::request))
        .route("/authorization-requests", get(authorization::list))
        .route("/authorization-requests/{id}", get(authorization::show))
        .route("/authorization-requests/{id}/decision", post(authorization::decide))
        .route(
            "/password/{token}",
            get(authorization::password_form).post(authorization::set_password),
        )
        .route("/queue", get(cases::queue))
        .route("/escalations", get(cases::escalations))
        .route("/escalations/{id}/review", post(cases::review_escalation))
        .route("/status", get(status::page))
        .route("/status/subscribe", post(status::subscribe))
        .route(
            "/status/subscriptions/confirm",
            get(status::confirm_form).post(status::confirm),
        )
        .route(
            "/status/subscriptions/unsubscribe",
            get(status::unsubscribe_form).post(status::unsubscribe),
        )
        .route("/status/feed.atom", get(status::atom))
        .route("/status/feed.rss", get(status::rss))
        .route("/status/maintenance.ics", get(status::calendar))
        .route("/community", get(community::list))
        .route("/community/ask", get(community::ask_form).post(community::ask))
        .route("/community/questions/{id}", get(community::question))
        .route("/community/questions/{id}/answers", post(community::answer))
        .route("/community/questions/{id}/comments", post(community::comment))
        .route("/community/questions/{id}/accept", post(community::accept))
        .route("/community/questions/{id}/follow", post(community::follow))
        .route("/community/questions/{id}/article", post(community::make_article))
        .route("/community/answers/{id}/vote", post(community::vote))
        .route("/community/posts/{id}/flag", post(community::flag))
        .route("/community/posts/{id}/moderation", post(community::moderate))
        .route(
            "/community/posts/{id}/edit",
            get(community::edit_form).post(community::edit),
        )
        .route("/community/queue", get(community::queue))
        .route("/community/moderation", get(community::moderation))
        .route("/community/members/{id}", get(community::member))
        .route("/training", get(training::catalogue))
        .route("/training/me", get(training::mine))
        .route("/training/courses/{slug}", get(training::course))
        .route("/training/courses/{slug}/start", post(training::start))
        .route("/training/sessions/{id}", get(training::roster))
        .route("/training/sessions/{id}/enrol", post(training::enrol))
        .route("/training/enrolments/{id}/cancel", post(training::cancel))
        .route("/training/enrolments/{id}/complete", post(training::complete))
        .route(
            "/training/enrolments/{enrolment}/invitation.ics",
            get(crate::api::training::invitation),
        )
        .route("/help", get(help::home))
        .route("/help/articles/{slug}", get(help::article))
        .route("/help/articles/{slug}/vote", post(help::vote))
        .route("/widget.js", get(help::widget_script))
        .route("/widget/demo", get(help::widget_demo))
        .route("/static/widget.css", get(help::widget_stylesheet))
        .route("/static/case_suggest.js", get(help::suggest_script))
        .route("/static/guichet.css", get(stylesheet))
        .route("/api/openapi.json", get(crate::api::openapi_json))
        .fallback(not_found)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/guichet.css"),
    )
        .into_response()
}

/// No route: a problem under `/api`, a page elsewhere.
async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        return ApiError::not_found().into_response();
    }
    let language = language(None, &CookieJar::from_headers(request.headers()), request.headers());
    page_error(StatusCode::NOT_FOUND, language, "error-not-found")
}

/// The language of a page: the user's preference, else the language switch's
/// cookie, else `Accept-Language`, else English.
pub(crate) fn language(caller: Option<&Caller>, cookies: &CookieJar, headers: &HeaderMap) -> Language {
    if let Some(caller) = caller {
        return caller.user.language;
    }
    cookies
        .get(LANGUAGE_COOKIE)
        .and_then(|cookie| Language::parse(cookie.value()).ok())
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Language::negotiate)
        })
        .unwrap_or_default()
}

/// What the frame of every page needs.
pub(crate) struct Chrome {
    pub tr: Tr,
    /// The session's CSRF token; empty on pages without forms of the frame.
    pub csrf: String,
    pub user_name: Option<String>,
    /// The current path, where the language switch comes back to.
    pub path: String,
    /// The navigation entry of this page.
    pub current: &'static str,
    /// The reader is on the customer side (a customer's or a partner's
    /// user): "Log a case" and "My cases".
    pub customer: bool,
    /// The reader answers cases: "Queue".
    pub answers_cases: bool,
    /// The reader reviews escalations: "Escalations".
    pub manages_support: bool,
    /// The reader may read an audit log (R26): staff, and a company's
    /// designated users and authorized managers.
    pub reads_audit: bool,
    /// The reader decides authorization requests (R25): "Authorizations".
    pub decides_authorizations: bool,
}

impl Chrome {
    pub(crate) async fn new(
        session: &Session,
        caller: Option<&Caller>,
        language: Language,
        path: &str,
        current: &'static str,
    ) -> Result<Self, Response> {
        Ok(Self {
            tr: Tr::new(language),
            csrf: csrf_token(session)
                .await
                .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?,
            user_name: caller.map(|c| c.user.display_name.as_str().to_owned()),
            path: path.to_owned(),
            current,
            customer: caller.is_some_and(|c| !c.actor.is_vendor_staff()),
            answers_cases: caller.is_some_and(|c| c.actor.answers_cases()),
            manages_support: caller.is_some_and(|c| c.actor.manages_support()),
            reads_audit: caller.is_some_and(|c| {
                use guichet_domain::user::Role;
                c.actor.is_vendor_staff()
                    || c.actor.has(Role::DesignatedSupportUser)
                    || c.actor.has(Role::AuthorizedManager)
            }),
            decides_authorizations: caller.is_some_and(authorization::reads_requests),
        })
    }

    /// The language switch's buttons, each named in its own language.
    pub fn language_choices(&self) -> [LanguageChoice; 2] {
        [(Language::Fr, "Français"), (Language::En, "English")].map(|(language, name)| LanguageChoice {
            code: language.code(),
            name,
            current: self.tr.language == language,
        })
    }
}

pub(crate) struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

const SESSION_CSRF: &str = "csrf";

/// The session's CSRF token, made on first use.
pub(crate) async fn csrf_token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(token) = session.get::<String>(SESSION_CSRF).await? {
        return Ok(token);
    }
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    session.insert(SESSION_CSRF, &token).await?;
    Ok(token)
}

/// Whether a submitted form carries the session's token.
pub(crate) async fn csrf_valid(session: &Session, submitted: &str) -> bool {
    match session.get::<String>(SESSION_CSRF).await {
        Ok(Some(token)) => !submitted.is_empty() && constant_time_eq(token.as_bytes(), submitted.as_bytes()),
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to go after a form: only a path on this site.
pub(crate) fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    if local && !next.chars().any(char::is_control) {
        next
    } else {
        "/"
    }
}

pub(crate) fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

/// An error as a page, in the reader's language.
pub(crate) fn page_error(status: StatusCode, language: Language, message_id: &str) -> Response {
    let tr = Tr::new(language);
    let message = tr.t(message_id);
    let chrome = Chrome {
        tr,
        csrf: String::new(),
        user_name: None,
        path: "/".into(),
        current: "",
        customer: false,
        answers_cases: false,
        manages_support: false,
        reads_audit: false,
        decides_authorizations: false,
    };
    error_page(chrome, status, message)
}

/// An error as a page in the reader's own frame (their name, their
/// navigation), for a signed-in reader.
pub(crate) fn error_page(chrome: Chrome, status: StatusCode, message: String) -> Response {
    let page = ErrorPage {
        chrome,
        status: status.as_u16(),
        message,
    };
    render(&page, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_a_form() {
        assert_eq!(safe_next("/contact"), "/contact");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
