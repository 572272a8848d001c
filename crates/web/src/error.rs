//! Errors at the edge: `application/problem+json` (RFC 9457) with a stable
//! `code` for the API. Internal details are logged, never sent.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem, as the API answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:guichet:problem:` followed by the code.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    pub status: u16,
    /// What went wrong in this case, for people.
    pub detail: String,
    /// Stable and machine-readable: clients branch on this.
    pub code: String,
    /// The request field the problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When a locked account or address may try again (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub detail: String,
    pub field: Option<String>,
    pub retry_at: Option<jiff::Timestamp>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            field: None,
            retry_at: None,
        }
    }

    /// Nothing there, or nothing the caller may see: the two are one answer
    /// so existence does not leak.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "There is nothing here.")
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in first: send a bearer token or a session cookie.",
        )
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// A field of the request that does not parse: 422 with a code that
    /// names it (`invalid_email`, `unknown_product`).
    pub fn invalid(field: &str, invalid: Invalid) -> Self {
        let prefix = if invalid.kind == InvalidKind::Unknown {
            "unknown"
        } else {
            "invalid"
        };
        Self {
            field: Some(field.to_owned()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{prefix}_{field}"),
                invalid.message,
            )
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; it has been logged.",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:guichet:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            field: self.field.clone(),
            retry_at: self.retry_at.map(|at| at.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => {
                let mut error = Self::new(
                    StatusCode::CONFLICT,
                    format!("{what}_taken"),
                    format!("That {} is already taken.", what.replace('_', " ")),
                );
                error.field = Some(what.to_owned());
                error
            }
            StoreError::Dangling(what) => {
                let mut error = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("unknown_{what}"),
                    format!("The {} named does not exist.", what.replace('_', " ")),
                );
                error.field = Some(what.to_owned());
                error
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(at) = self.retry_at {
            let seconds = at.duration_since(jiff::Timestamp::now()).as_secs().max(1);
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// The code of a bare status, for responses that did not come from a
/// handler (no route, wrong method, CSRF refusal, timeout).
pub(crate) fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "internal_error",
        _ => "error",
    }
}
