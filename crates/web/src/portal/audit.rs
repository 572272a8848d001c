//! The audit log in the portal (R26): a company's designated users and
//! authorized managers read their company's; staff read any.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::cases::{Moment, Reader, failure_page};
use super::render;
use crate::AppState;
use crate::api::audit::{AuditQuery, read_log};
use crate::i18n::Tr;

struct Line {
    seq: String,
    at: Moment,
    actor: String,
    action: String,
    number: Option<String>,
    subject: String,
    address: String,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: super::Chrome,
    lines: Vec<Line>,
    action: String,
    actor: String,
    from: String,
    to: String,
    next: Option<String>,
    csv: String,
}

/// An action in words, or as written when it has none.
fn action_words(tr: &Tr, action: &str) -> String {
    let id = format!("audit-{}", action.replace(['.', '_'], "-"));
    if tr.has(&id) { tr.t(&id) } else { action.to_owned() }
}

fn query_string(query: &AuditQuery) -> String {
    let pairs = [
        ("action", query.action.as_deref()),
        ("actor", query.actor.as_deref()),
        ("from", query.from.as_deref()),
        ("to", query.to.as_deref()),
        ("company", query.company.as_deref()),
    ];
    pairs
        .iter()
        .filter_map(|(key, value)| value.filter(|v| !v.is_empty()).map(|v| format!("{key}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) async fn page(
    State(state): State<AppState>,
    reader: Reader,
    Query(query): Query<AuditQuery>,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/audit", "audit").await?;
    let tr = reader.tr();
    let zone = reader.zone();
    let (records, next) = match read_log(&state, &reader.caller, &query).await {
        Ok(found) => found,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let lines = records
        .iter()
        .map(|record| Line {
            seq: record.seq.map(|s| s.to_string()).unwrap_or_default(),
            at: Moment::new(record.entry.at, &zone),
            actor: record
                .entry
                .actor_email
                .clone()
                .unwrap_or_else(|| tr.t("audit-actor-guichet")),
            action: action_words(&tr, &record.entry.action),
            number: record.case_number.map(|n| n.to_string()),
            subject: format!("{} {}", record.entry.subject_kind, record.entry.subject_id),
            address: record.entry.address.clone().unwrap_or_default(),
            details: record.entry.details.clone(),
        })
        .collect();
    let filters = query_string(&query);
    let page = AuditPage {
        chrome,
        lines,
        action: query.action.clone().unwrap_or_default(),
        actor: query.actor.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        next: next.map(|cursor: String| {
            let rest = if filters.is_empty() {
                String::new()
            } else {
                format!("&{filters}")
            };
            format!("/audit?cursor={}{rest}", encode(&cursor))
        }),
        csv: if filters.is_empty() {
            "/api/v1/audit?format=csv".into()
        } else {
            format!("/api/v1/audit?format=csv&{filters}")
        },
    };
    Ok(render(&page, StatusCode::OK))
}
