//! The portal's pages.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use guichet_domain::contact::{Reason, SupportOptions};
use guichet_domain::user::Language;
use serde::Deserialize;
use tower_sessions::Session;

use super::{Chrome, csrf_valid, language, page_error, render, safe_next};
use crate::AppState;
use crate::auth::{ClientAddress, MaybeCaller, SESSION_USER, SignInError, sign_in};
use crate::i18n::{LANGUAGE_COOKIE, Tr};
use crate::support;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    greeting: Option<String>,
    company_name: Option<String>,
}

pub(super) async fn home(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let chrome = Chrome::new(&session, caller.as_ref(), language, "/", "home").await?;
    let page = HomePage {
        greeting: caller
            .as_ref()
            .map(|c| chrome.tr.t1("home-greeting", "name", c.user.display_name.as_str())),
        company_name: caller.as_ref().map(|c| c.company.name.as_str().to_owned()),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

pub(super) async fn login_form(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, Response> {
    let next = safe_next(&query.next).to_owned();
    if caller.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let language = language(None, &cookies, &headers);
    let chrome = Chrome::new(&session, None, language, "/login", "login").await?;
    Ok(render(
        &LoginPage {
            chrome,
            email: String::new(),
            next,
            error: None,
        },
        StatusCode::OK,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
    State(state): State<AppState>,
    session: Session,
    cookies: CookieJar,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Result<Response, Response> {
    let language = language(None, &cookies, &headers);
    if !csrf_valid(&session, &form.csrf).await {
        return Err(page_error(StatusCode::FORBIDDEN, language, "error-csrf"));
    }
    let next = safe_next(&form.next).to_owned();
    let tr = Tr::new(language);
    let (status, error) = match sign_in(&state, &form.email, &form.password, address).await {
        Ok(user) => {
            // A new session id at sign-in: a planted id is worth nothing.
            let signed_in = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER, &user.id.0).await?;
                session.remove::<String>("csrf").await
            };
            if let Err(error) = signed_in.await {
                tracing::error!(%error, "session");
                return Err(page_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    language,
                    "error-internal",
                ));
            }
            return Ok(Redirect::to(&next).into_response());
        }
        Err(SignInError::InvalidCredentials) => (StatusCode::UNAUTHORIZED, tr.t("login-invalid")),
        Err(SignInError::AccountLocked(until)) => {
            (StatusCode::TOO_MANY_REQUESTS, tr.t1("login-locked", "until", until))
        }
        Err(SignInError::AddressLocked(until)) => (
            StatusCode::TOO_MANY_REQUESTS,
            tr.t1("login-address-locked", "until", until),
        ),
        Err(SignInError::Internal(error)) => {
            tracing::error!(%error, "sign-in");
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let chrome = Chrome::new(&session, None, language, "/login", "login").await?;
    Ok(render(
        &LoginPage {
            chrome,
            email: form.email,
            next,
            error: Some(error),
        },
        status,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout(
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_valid(&session, &form.csrf).await {
        return page_error(
            StatusCode::FORBIDDEN,
            language(caller.as_ref(), &cookies, &headers),
            "error-csrf",
        );
    }
    let _ = session.flush().await;
    // The language stays what the user was reading in.
    let language = language(caller.as_ref(), &cookies, &headers);
    (language_cookie(language), Redirect::to("/login")).into_response()
}

fn language_cookie(language: Language) -> CookieJar {
    let cookie = Cookie::build((LANGUAGE_COOKIE, language.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(tower_sessions::cookie::time::Duration::days(365))
        .build();
    CookieJar::new().add(cookie)
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    chrome: Chrome,
    company_name: String,
    options: SupportOptions,
    explanation: String,
    refused_for_designation: bool,
    is_partner: bool,
}

pub(super) async fn contact(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let Some(caller) = caller else {
        return Ok(Redirect::to("/login?next=/contact").into_response());
    };
    let language = language(Some(&caller), &cookies, &headers);
    let options = match support::support_options(&state, &caller).await {
        Ok(options) => options,
        Err(error) => {
            tracing::error!(%error, "support options");
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let chrome = Chrome::new(&session, Some(&caller), language, "/contact", "contact").await?;
    let page = ContactPage {
        explanation: support::explain(&chrome.tr, &options),
        chrome,
        company_name: caller.company.name.as_str().to_owned(),
        refused_for_designation: options.reason == Reason::DesignatedContactRequired,
        is_partner: options.reason == Reason::PartnerUser,
        options,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn switch_language(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let current = language(caller.as_ref(), &cookies, &headers);
    if !csrf_valid(&session, &form.csrf).await {
        return page_error(StatusCode::FORBIDDEN, current, "error-csrf");
    }
    let Ok(chosen) = Language::parse(&form.language) else {
        return page_error(StatusCode::BAD_REQUEST, current, "error-language");
    };
    if let Some(caller) = &caller
        && let Err(error) = state
            .store
            .set_language(&caller.user.id, chosen, state.clock.now())
            .await
    {
        tracing::error!(%error, "language");
        return page_error(StatusCode::INTERNAL_SERVER_ERROR, current, "error-internal");
    }
    (language_cookie(chosen), Redirect::to(safe_next(&form.next))).into_response()
}
