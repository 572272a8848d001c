//! Authorization requests in the portal (R25): raised on the case page,
//! listed for a company's authorized managers, each on a page of its own
//! where a manager authorizes or refuses it; and the one-time page where a
//! person chooses a password once a reset or an invitation is authorized.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use guichet_domain::authorization::{AuthorizationRequest, AuthorizationStatus, Channel};
use guichet_domain::user::Language;
use serde::Deserialize;
use tower_sessions::Session;

use super::cases::{Moment, Reader, Visit, failure_page};
use super::{Chrome, csrf_valid, page_error, render};
use crate::AppState;
use crate::auth::Caller;
use crate::authorization::{self, AuthorizationInput};
use crate::i18n::Tr;

/// One request as a line of the case page or the company's list.
pub(super) struct AuthorizationLine {
    pub id: String,
    pub summary: String,
    pub status: String,
    pub status_code: &'static str,
    pub requested_by: String,
    pub requested_at: Moment,
    pub expires_at: Moment,
    pub number: String,
}

impl AuthorizationLine {
    pub(super) fn new(
        request: &AuthorizationRequest,
        tr: &Tr,
        zone: &jiff::tz::TimeZone,
        now: jiff::Timestamp,
    ) -> Self {
        let status = request.status_at(now);
        Self {
            id: request.id.0.clone(),
            summary: authorization::summary(tr, request),
            status: authorization::status_words(tr, status),
            status_code: status.as_str(),
            requested_by: request.requested_by_email.to_string(),
            requested_at: Moment::new(request.requested_at, zone),
            expires_at: Moment::new(request.expires_at, zone),
            number: request.case_number.to_string(),
        }
    }
}

/// The case page's part: its requests, and whether a new one may be
/// raised there.
pub(super) async fn case_lines(
    state: &AppState,
    reader: &Reader,
    case: &guichet_domain::case::Case,
) -> Result<Vec<AuthorizationLine>, crate::error::ApiError> {
    let requests = state
        .store
        .authorizations(guichet_store::RequestsOf::Case(&case.id), 50)
        .await?;
    let now = state.clock.now();
    Ok(requests
        .iter()
        .map(|r| AuthorizationLine::new(r, &reader.tr(), &reader.zone(), now))
        .collect())
}

/// The raise form of the case page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RaiseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    language: String,
    /// `keep`, `grant` or `remove`.
    #[serde(default)]
    designated: String,
    #[serde(default)]
    authorized_manager: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    account: String,
}

fn setting(choice: &str) -> Option<bool> {
    match choice {
        "grant" => Some(true),
        "remove" => Some(false),
        _ => None,
    }
}

fn given(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

impl RaiseForm {
    /// The API's input: only the fields of the chosen kind.
    fn input(&self) -> AuthorizationInput {
        let mut input = AuthorizationInput {
            kind: self.kind.clone(),
            user: self.user.clone(),
            ..AuthorizationInput::default()
        };
        match self.kind.as_str() {
            "designate_support_user" => {
                input.display_name = given(&self.display_name);
                if input.display_name.is_some() {
                    input.language = given(&self.language);
                }
            }
            "permission_change" => {
                input.designated = setting(&self.designated);
                input.authorized_manager = setting(&self.authorized_manager);
                input.active = setting(&self.active);
            }
            "password_reset" => input.account = given(&self.account),
            _ => {}
        }
        input
    }
}

pub(super) async fn raise(
    State(state): State<AppState>,
    visit: Visit,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<RaiseForm>,
) -> Result<Response, Response> {
    let (reader, number) = super::cases::case_form(visit, &number, &form.csrf).await?;
    let base = crate::status::base_url(&state, &headers);
    let outcome = authorization::raise(&state, &reader.caller, &number.to_string(), &form.input(), &base).await;
    super::cases::after_form(&state, reader, number, "authorization", Default::default(), outcome).await
}

// ---------------------------------------------------------------------------
// A company's requests, one request

#[derive(Template)]
#[template(path = "authorization_list.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<AuthorizationLine>,
}

pub(super) async fn list(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let chrome = reader.chrome("/authorization-requests", "authorizations").await?;
    let requests = match authorization::of_company(&state, &reader.caller, None).await {
        Ok(requests) => requests,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let now = state.clock.now();
    let (tr, zone) = (reader.tr(), reader.zone());
    let lines = requests
        .iter()
        .map(|r| AuthorizationLine::new(r, &tr, &zone, now))
        .collect();
    Ok(render(&ListPage { chrome, lines }, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "authorization_page.html")]
struct RequestPage {
    chrome: Chrome,
    line: AuthorizationLine,
    /// Who decided, when and how, in words.
    decided: Option<String>,
    outcome: Option<String>,
    /// The reader may decide it now.
    decides: bool,
    /// Why the reader sees no buttons while it is pending.
    waiting: Option<String>,
    /// The reader may open the case it was raised on.
    case_link: bool,
    error: Option<String>,
}

async fn request_page(
    state: &AppState,
    reader: &Reader,
    id: &str,
    error: Option<(StatusCode, String)>,
) -> Result<Response, Response> {
    let chrome = reader
        .chrome(&format!("/authorization-requests/{id}"), "authorizations")
        .await?;
    let request = match authorization::get(state, &reader.caller, id).await {
        Ok(request) => request,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let now = state.clock.now();
    let (tr, zone) = (reader.tr(), reader.zone());
    let pending = request.status_at(now) == AuthorizationStatus::Pending;
    let decides = pending && request.may_decide(&reader.caller.user);
    let waiting = (pending && !decides).then(|| {
        if reader.caller.actor.is_vendor_staff() {
            tr.t("authorization-waiting-staff")
        } else {
            tr.t("authorization-waiting-other")
        }
    });
    let decided = request.decision.as_ref().map(|d| {
        tr.t3(
            "authorization-decided",
            ("who", d.by_email.as_str()),
            ("at", &Moment::new(d.at, &zone).text),
            ("via", &tr.t(&format!("authorization-via-{}", d.via.as_str()))),
        )
    });
    let outcome = request
        .outcome
        .as_deref()
        .map(|o| tr.t(&format!("authorization-outcome-{o}")));
    let case_link = crate::cases::readable(state, &reader.caller, &request.case_number.to_string())
        .await
        .is_ok();
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = RequestPage {
        line: AuthorizationLine::new(&request, &tr, &zone, now),
        decided,
        outcome,
        decides,
        waiting,
        case_link,
        error,
        chrome,
    };
    Ok(render(&page, status))
}

pub(super) async fn show(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    request_page(&state, &reader, &id, None).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `authorize` or `refuse`.
    #[serde(default)]
    decision: String,
}

pub(super) async fn decide(
    State(state): State<AppState>,
    visit: Visit,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Response> {
    let reader = visit.form(&form.csrf, &format!("/authorization-requests/{id}")).await?;
    let authorize = match form.decision.as_str() {
        "authorize" => true,
        "refuse" => false,
        _ => {
            return Err(page_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                reader.language(),
                "error-not-found",
            ));
        }
    };
    let base = crate::status::base_url(&state, &headers);
    match authorization::decide(&state, &reader.caller, &id, authorize, Channel::Portal, &base).await {
        Ok(request) => Ok(Redirect::to(&format!("/authorization-requests/{}", request.id.0)).into_response()),
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() => {
            let chrome = reader
                .chrome(&format!("/authorization-requests/{id}"), "authorizations")
                .await?;
            Err(failure_page(chrome, &error))
        }
        Err(error) => request_page(&state, &reader, &id, Some((error.status, error.detail))).await,
    }
}

/// Whether the reader sees "Authorizations" in the navigation: those who
/// may read their company's requests.
pub(super) fn reads_requests(caller: &Caller) -> bool {
    guichet_domain::authorization::reads_company_requests(&caller.user)
}

// ---------------------------------------------------------------------------
// Choosing a password

/// The client's address, for the audit log of a signed-out form.
pub(super) struct Address(std::net::IpAddr);

impl axum::extract::FromRequestParts<AppState> for Address {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::auth::client_address(parts, state)))
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    token: String,
    email: String,
    error: Option<String>,
    done: bool,
}

async fn password_page(
    session: &Session,
    language: Language,
    token: &str,
    email: String,
    error: Option<String>,
    done: bool,
    status: StatusCode,
) -> Result<Response, Response> {
    // The path holds the secret: the language switch comes back home.
    let chrome = Chrome::new(session, None, language, "/", "").await?;
    Ok(render(
        &PasswordPage {
            chrome,
            token: token.to_owned(),
            email,
            error,
            done,
        },
        status,
    ))
}

pub(super) async fn password_form(
    State(state): State<AppState>,
    visit: Visit,
    Path(token): Path<String>,
) -> Result<Response, Response> {
    let language = visit.language();
    match authorization::password_link_user(&state, &token).await {
        Ok(Some(user)) => {
            password_page(
                visit.session(),
                user.language,
                &token,
                user.email.to_string(),
                None,
                false,
                StatusCode::OK,
            )
            .await
        }
        Ok(None) => Err(page_error(StatusCode::NOT_FOUND, language, "password-link-gone")),
        Err(_) => Err(page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            language,
            "error-internal",
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub(super) async fn set_password(
    State(state): State<AppState>,
    visit: Visit,
    Address(address): Address,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Response> {
    let language = visit.language();
    if !csrf_valid(visit.session(), &form.csrf).await {
        return Err(page_error(StatusCode::FORBIDDEN, language, "error-csrf"));
    }
    let user = match authorization::password_link_user(&state, &token).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(page_error(StatusCode::NOT_FOUND, language, "password-link-gone")),
        Err(_) => {
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                language,
                "error-internal",
            ));
        }
    };
    let tr = Tr::new(user.language);
    let email = user.email.to_string();
    if form.password != form.confirm {
        let error = Some(tr.t("password-mismatch"));
        return password_page(
            visit.session(),
            user.language,
            &token,
            email,
            error,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match authorization::set_password(&state, &token, &form.password, Some(address.to_string())).await {
        Ok(_) => password_page(visit.session(), user.language, "", email, None, true, StatusCode::OK).await,
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            Err(page_error(StatusCode::NOT_FOUND, language, "password-link-gone"))
        }
        Err(error) if error.status.is_client_error() => {
            password_page(
                visit.session(),
                user.language,
                &token,
                email,
                Some(error.detail),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(_) => Err(page_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            language,
            "error-internal",
        )),
    }
}
