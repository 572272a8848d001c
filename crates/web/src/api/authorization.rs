//! Authorization requests through the API (R25).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use guichet_domain::authorization::{AuthorizationRequest, Change, Channel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::json::ApiJson;
use crate::auth::Caller;
use crate::authorization::{self, AuthorizationInput};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;

/// What a request would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// A new person invited as a designated support user: their name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A permission change: the roles and state it sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized_manager: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// A password reset: `portal` or `product`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizationView {
    pub id: String,
    /// `designate_support_user`, `permission_change` or `password_reset`.
    pub kind: String,
    /// `pending`, `authorized`, `refused` or `expired`.
    pub status: String,
    /// The email of the person concerned.
    pub user: String,
    /// Their account, once they have one.
    pub user_id: Option<String>,
    pub change: ChangeView,
    /// What will change, for whom, in the caller's language.
    pub summary: String,
    /// The case it was raised on.
    pub number: i64,
    /// The company whose authorized managers decide.
    pub company: String,
    /// Who asked (email).
    pub requested_by: String,
    pub requested_at: String,
    /// Undecided by then, it expires without effect.
    pub expires_at: String,
    /// Who decided (email).
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// `portal`, `api` or `mail`.
    pub decided_via: Option<String>,
    /// What was carried out once authorized: `designated`, `invited`,
    /// `roles_changed`, `password_link_sent`, `identity_system_notified`.
    pub outcome: Option<String>,
}

impl AuthorizationView {
    pub(crate) fn new(request: &AuthorizationRequest, tr: &Tr, now: jiff::Timestamp) -> Self {
        let mut change = ChangeView {
            display_name: None,
            language: None,
            designated: None,
            authorized_manager: None,
            active: None,
            account: None,
        };
        match &request.change {
            Change::DesignateSupportUser { invitation } => {
                if let Some(invitation) = invitation {
                    change.display_name = Some(invitation.display_name.as_str().to_owned());
                    change.language = Some(invitation.language.code().to_owned());
                }
            }
            Change::PermissionChange { permissions } => {
                change.designated = permissions.designated;
                change.authorized_manager = permissions.authorized_manager;
                change.active = permissions.active;
            }
            Change::PasswordReset { account } => change.account = Some(account.as_str().to_owned()),
        }
        let decision = request.decision.as_ref();
        Self {
            id: request.id.0.clone(),
            kind: request.change.kind().as_str().to_owned(),
            status: request.status_at(now).as_str().to_owned(),
            user: request.user_email.to_string(),
            user_id: request.user.as_ref().map(|u| u.0.clone()),
            change,
            summary: authorization::summary(tr, request),
            number: request.case_number.0,
            company: request.company.0.clone(),
            requested_by: request.requested_by_email.to_string(),
            requested_at: request.requested_at.to_string(),
            expires_at: request.expires_at.to_string(),
            decided_by: decision.map(|d| d.by_email.to_string()),
            decided_at: decision.map(|d| d.at.to_string()),
            decided_via: decision.map(|d| d.via.as_str().to_owned()),
            outcome: request.outcome.clone(),
        }
    }
}

fn view(state: &AppState, caller: &Caller, request: &AuthorizationRequest) -> AuthorizationView {
    AuthorizationView::new(request, &Tr::new(caller.user.language), state.clock.now())
}

/// Raise an authorization request on an open case: anyone who may read
/// the case. Nothing changes until an authorized manager of the company
/// authorizes it; each of them is mailed.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{number}/authorization-requests",
    tag = "authorization",
    params(("number" = i64, Path)),
    request_body = AuthorizationInput,
    responses(
        (status = 201, body = AuthorizationView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`case_not_open`, `not_a_customer`, `already_pending`, `nothing_to_change`, `identity_webhook_not_configured`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>` (`unknown_kind`, `invalid_user`, `unknown_user`, `invalid_display_name`, `invalid_authorized_manager`…)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn raise(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(number): Path<String>,
    ApiJson(input): ApiJson<AuthorizationInput>,
) -> Result<(StatusCode, Json<AuthorizationView>), ApiError> {
    let base = crate::status::base_url(&state, &headers);
    let request = authorization::raise(&state, &caller, &number, &input, &base).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &caller, &request))))
}

/// The authorization requests raised on a case, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{number}/authorization-requests",
    tag = "authorization",
    params(("number" = i64, Path)),
    responses(
        (status = 200, body = Vec<AuthorizationView>),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn of_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<String>,
) -> Result<Json<Vec<AuthorizationView>>, ApiError> {
    let requests = authorization::of_case(&state, &caller, &number).await?;
    Ok(Json(requests.iter().map(|r| view(&state, &caller, r)).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizationQuery {
    /// The company (vendor staff); customers read their own.
    pub company: Option<String>,
    /// `pending`, `authorized`, `refused` or `expired`.
    pub status: Option<String>,
}

/// A company's authorization requests, newest first: for its authorized
/// managers and designated users; vendor staff name the company.
#[utoipa::path(
    get,
    path = "/api/v1/authorization-requests",
    tag = "authorization",
    params(AuthorizationQuery),
    responses(
        (status = 200, body = Vec<AuthorizationView>),
        (status = 403, description = "`not_authorized_manager`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_company`, `unknown_status`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuthorizationQuery>,
) -> Result<Json<Vec<AuthorizationView>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(guichet_domain::authorization::AuthorizationStatus::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("status", e))?;
    let requests = authorization::of_company(&state, &caller, query.company.as_deref()).await?;
    let now = state.clock.now();
    Ok(Json(
        requests
            .iter()
            .filter(|r| status.is_none_or(|s| r.status_at(now) == s))
            .map(|r| view(&state, &caller, r))
            .collect(),
    ))
}

/// One authorization request: what will change, for whom, who asked, and
/// where it stands.
#[utoipa::path(
    get,
    path = "/api/v1/authorization-requests/{id}",
    tag = "authorization",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = AuthorizationView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AuthorizationView>, ApiError> {
    let request = authorization::get(&state, &caller, &id).await?;
    Ok(Json(view(&state, &caller, &request)))
}

async fn decide(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    id: String,
    authorize: bool,
) -> Result<Json<AuthorizationView>, ApiError> {
    let base = crate::status::base_url(&state, &headers);
    let request = authorization::decide(&state, &caller, &id, authorize, Channel::Api, &base).await?;
    Ok(Json(view(&state, &caller, &request)))
}

/// Authorize a pending request (an authorized manager of its company): the
/// change is carried out at once.
#[utoipa::path(
    post,
    path = "/api/v1/authorization-requests/{id}/authorize",
    tag = "authorization",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = AuthorizationView),
        (status = 403, description = "`not_authorized_manager`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_pending`, `expired`, `no_longer_possible`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn authorize(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AuthorizationView>, ApiError> {
    decide(state, caller, headers, id, true).await
}

/// Refuse a pending request (an authorized manager of its company):
/// nothing changes.
#[utoipa::path(
    post,
    path = "/api/v1/authorization-requests/{id}/refuse",
    tag = "authorization",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = AuthorizationView),
        (status = 403, description = "`not_authorized_manager`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_pending`, `expired`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refuse(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AuthorizationView>, ApiError> {
    decide(state, caller, headers, id, false).await
}

/// An identity webhook given up for good: the product password reset it
/// carried did not reach the identity system.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityFailure {
    pub id: String,
    /// The authorization request it carried out.
    pub request: String,
    /// Whose product password was to be reset.
    pub email: String,
    pub attempts: i32,
    /// The identity system's last answer, or why it was not reached.
    pub error: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub failed_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdentityFailureQuery {
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// The authorized product password resets that never reached the identity
/// system, most recent first (administrators): each was tried
/// `IDENTITY_ATTEMPTS` times with backoff.
#[utoipa::path(
    get,
    path = "/api/v1/identity-webhooks/failures",
    tag = "authorization",
    params(IdentityFailureQuery),
    responses(
        (status = 200, body = Vec<IdentityFailure>),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_limit`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn identity_failures(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<IdentityFailureQuery>,
) -> Result<Json<Vec<IdentityFailure>>, ApiError> {
    super::require_administrator(&caller)?;
    let limit = super::mail::limit(query.limit, 100, 500)?;
    let failures = state.store.outbox_failures("identity_webhook", limit).await?;
    Ok(Json(
        failures
            .into_iter()
            .map(|delivery| {
                let reset = serde_json::from_str::<authorization::IdentityReset>(&delivery.message.payload).ok();
                IdentityFailure {
                    id: delivery.message.id,
                    request: reset.as_ref().map(|r| r.request.clone()).unwrap_or_default(),
                    email: reset.map(|r| r.email).unwrap_or_default(),
                    attempts: delivery.attempts,
                    error: delivery.last_error.unwrap_or_default(),
                    created_at: delivery.message.created_at,
                    failed_at: delivery.done_at,
                }
            })
            .collect(),
    ))
}
