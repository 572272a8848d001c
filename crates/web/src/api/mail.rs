//! The email channel through the API: a provider's webhook hands over an
//! inbound message; administrators read what came in and which mails could
//! not be delivered.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use guichet_domain::{Invalid, InvalidKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::require_administrator;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::mail::{Mail, Received};

/// Whether `given` is `expected`, in time that does not depend on where
/// they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Takes one raw RFC 5322 message from a mail provider's webhook,
/// authenticated with `Authorization: Bearer <mail.inbound_secret>`.
/// Every message that reaches Guichet is recorded with its outcome (a
/// refused one too, with the reason, and its sender answered): the answer
/// is 200 with that outcome. A DNS failure while checking the sender is a
/// 503: send the message again later.
#[utoipa::path(
    post,
    path = "/api/v1/inbound-mail",
    tag = "mail",
    request_body(content = String, content_type = "message/rfc822", description = "The whole message, headers and body, as received"),
    responses(
        (status = 200, body = Received, description = "What became of the message"),
        (status = 401, description = "`invalid_inbound_secret`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`inbound_mail_disabled`: `mail.inbound_secret` is not set", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`mail_auth_unavailable`: DNS did not answer; try again later", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inbound_mail(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, ApiError> {
    let secret = &state.settings.mail.inbound_secret;
    if secret.is_empty() {
        return Err(ApiError::forbidden(
            "inbound_mail_disabled",
            "Inbound mail over HTTP is off: set mail.inbound_secret.",
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or("");
    if !same_secret(given, secret.expose()) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_inbound_secret",
            "Send the inbound mail secret as `Authorization: Bearer <secret>`.",
        ));
    }
    Ok(Json(crate::mail::receive(&state, &body).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundQuery {
    /// Messages received before this instant (`received_at` of the last
    /// one of the previous page).
    pub before: Option<String>,
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// A list's `limit`: `default` when absent, refused outside 1..=`max`.
pub(crate) fn limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            "limit",
            Invalid::new(InvalidKind::Format, format!("`limit` is from 1 to {max}")),
        )),
    }
}

/// The inbound messages, newest first, with what became of each and why
/// (administrators).
#[utoipa::path(
    get,
    path = "/api/v1/mail/inbound",
    tag = "mail",
    params(InboundQuery),
    responses(
        (status = 200, body = Vec<Received>),
        (status = 422, description = "`invalid_before`, `invalid_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inbound_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<InboundQuery>,
) -> Result<Json<Vec<Received>>, ApiError> {
    require_administrator(&caller)?;
    let before = match query.before.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(before) => Some(before.parse::<jiff::Timestamp>().map_err(|_| {
            ApiError::invalid(
                "before",
                Invalid::new(InvalidKind::Format, "`before` is an RFC 3339 instant"),
            )
        })?),
        None => None,
    };
    let limit = limit(query.limit, 100, 500)?;
    let mails = state.store.inbound_mails(before, limit).await?;
    Ok(Json(mails.into_iter().map(Received::from).collect()))
}

/// A mail given up for good.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailFailure {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub attempts: i32,
    /// The last error: the SMTP server's answer, or why it could not be
    /// built or written.
    pub error: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub failed_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailureQuery {
    /// At most 500 (default 100).
    pub limit: Option<i64>,
}

/// The mails that could not be delivered, most recent first
/// (administrators): refused by the receiving server, or still failing
/// after the last retry.
#[utoipa::path(
    get,
    path = "/api/v1/mail/failures",
    tag = "mail",
    params(FailureQuery),
    responses(
        (status = 200, body = Vec<MailFailure>),
        (status = 422, description = "`invalid_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn mail_failures(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<FailureQuery>,
) -> Result<Json<Vec<MailFailure>>, ApiError> {
    require_administrator(&caller)?;
    let limit = limit(query.limit, 100, 500)?;
    let failures = state.store.mail_failures(limit).await?;
    Ok(Json(
        failures
            .into_iter()
            .map(|delivery| {
                let mail = serde_json::from_str::<Mail>(&delivery.message.payload).ok();
                MailFailure {
                    id: delivery.message.id,
                    to: mail.as_ref().map(|m| m.to.clone()).unwrap_or_default(),
                    subject: mail.map(|m| m.subject).unwrap_or_default(),
                    attempts: delivery.attempts,
                    error: delivery.last_error.unwrap_or_default(),
                    created_at: delivery.message.created_at,
                    failed_at: delivery.done_at,
                }
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("", "s3cret"));
    }
}
