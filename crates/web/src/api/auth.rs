//! Tokens for the API, and signing out.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use guichet_domain::invalid::bounded_text;
use guichet_store::{ApiToken, TokenId};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::json::ApiJson;
use crate::auth::{Caller, ClientAddress, issue_token, sign_in};
use crate::error::{ApiError, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    /// A label to recognise the token by (default `api`).
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: String,
    /// The secret, shown once: send it as `Authorization: Bearer …`.
    pub token: String,
    pub name: String,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

impl From<&ApiToken> for TokenView {
    fn from(token: &ApiToken) -> Self {
        Self {
            id: token.id.0.clone(),
            name: token.name.clone(),
            created_at: token.created_at.to_string(),
            expires_at: token.expires_at.to_string(),
            last_used_at: token.last_used_at.map(|at| at.to_string()),
        }
    }
}

/// Exchange an email and password for a bearer token.
///
/// Failed attempts are throttled per account and per address: a locked
/// account answers 429 `account_locked` with `retry_at`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 201, description = "Signed in", body = TokenResponse),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `invalid_name`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`account_locked` or `too_many_attempts`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    let name = match request.name.as_deref() {
        Some(name) => bounded_text(name, "the token name", 100).map_err(|e| ApiError::invalid("name", e))?,
        None => "api".to_owned(),
    };
    let user = sign_in(&state, &request.email, &request.password, address).await?;
    let (secret, token) = issue_token(&state, &user.id, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            id: token.id.0,
            token: secret,
            name: token.name,
            expires_at: token.expires_at.to_string(),
        }),
    ))
}

/// Sign out: revokes the token used for this request, or ends the session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(State(state): State<AppState>, session: Session, caller: Caller) -> Result<StatusCode, ApiError> {
    match &caller.token {
        Some(token) => {
            state
                .store
                .revoke_token(&caller.user.id, token, state.clock.now())
                .await?;
        }
        None => session.flush().await.map_err(ApiError::internal)?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's live tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/auth/tokens",
    tag = "auth",
    responses(
        (status = 200, body = Vec<TokenView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state.store.tokens_of(&caller.user.id, state.clock.now()).await?;
    Ok(Json(tokens.iter().map(TokenView::from).collect()))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/tokens/{id}",
    tag = "auth",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "`not_found`: no such live token of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = guichet_domain::invalid::opaque_id(&id, "token").map_err(|_| ApiError::not_found())?;
    if state
        .store
        .revoke_token(&caller.user.id, &TokenId(id), state.clock.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
