//! The audit log through the API (R26): a company's designated users and
//! authorized managers read their company's; vendor staff name a company.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use guichet_domain::company::{CompanyId, CompanyKind};
use guichet_domain::user::Role;
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{AuditFilter, AuditRecord};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The company (vendor staff); customers read their own.
    pub company: Option<String>,
    /// From this instant or day (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Before this instant or day.
    pub to: Option<String>,
    /// The actor's email.
    pub actor: Option<String>,
    /// A kind (`case`) or an action (`case.viewed`).
    pub action: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// At most 1000 (default 200).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// Its place in the hash chain; absent for the few seconds before the
    /// chainer reaches it.
    pub seq: Option<i64>,
    pub at: String,
    /// The actor's email; absent for Guichet itself.
    pub actor: Option<String>,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    /// For a case, its number.
    pub number: Option<i64>,
    pub address: Option<String>,
    pub details: String,
}

impl From<&AuditRecord> for AuditEntryView {
    fn from(record: &AuditRecord) -> Self {
        Self {
            seq: record.seq,
            at: record.entry.at.to_string(),
            actor: record.entry.actor_email.clone(),
            action: record.entry.action.clone(),
            subject_kind: record.entry.subject_kind.clone(),
            subject_id: record.entry.subject_id.clone(),
            number: record.case_number.map(|n| n.0),
            address: record.entry.address.clone(),
            details: record.entry.details.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

fn bad(field: &'static str, why: String) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        ..ApiError::invalid(field, Invalid::new(InvalidKind::Format, why))
    }
}

/// An instant, or the start of a day (UTC).
fn moment(input: &str, field: &'static str) -> Result<Timestamp, ApiError> {
    let text = input.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|day| {
            jiff::tz::TimeZone::UTC
                .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .ok()
        })
        .ok_or_else(|| {
            bad(
                field,
                format!("`{text}` is not an RFC 3339 instant or a YYYY-MM-DD day"),
            )
        })
}

/// Whose entries the caller may read: staff any company (or all); a
/// company's designated users and authorized managers their own.
fn company_of(caller: &Caller, asked: Option<&str>) -> Result<Option<CompanyId>, ApiError> {
    if caller.actor.is_vendor_staff() {
        return asked
            .filter(|id| !id.is_empty())
            .map(|id| CompanyId::parse(id).map_err(|e| bad("company", e.message)))
            .transpose();
    }
    let own = &caller.company.id;
    if asked.is_some_and(|id| !id.is_empty() && id != own.0) {
        return Err(ApiError::not_found());
    }
    let trusted = caller.actor.has(Role::DesignatedSupportUser) || caller.actor.has(Role::AuthorizedManager);
    if caller.company.kind != CompanyKind::Customer || !trusted {
        return Err(ApiError::forbidden(
            "designated_users_only",
            "A company's audit log is for its designated support users and authorized managers.",
        ));
    }
    Ok(Some(own.clone()))
}

pub(crate) async fn read_log(
    state: &AppState,
    caller: &Caller,
    query: &AuditQuery,
) -> Result<(Vec<AuditRecord>, Option<String>), ApiError> {
    let company = company_of(caller, query.company.as_deref())?;
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit", "the limit is between 1 and 1000".into()));
    }
    let action = query.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if action.is_some_and(|a| !a.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')) {
        return Err(bad(
            "action",
            "an action is written like `case` or `case.viewed`".into(),
        ));
    }
    let filter = AuditFilter {
        company,
        from: query.from.as_deref().map(|f| moment(f, "from")).transpose()?,
        to: query.to.as_deref().map(|t| moment(t, "to")).transpose()?,
        actor_email: query
            .actor
            .as_deref()
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty()),
        action: action.map(str::to_owned),
        before: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| moment(c, "cursor"))
            .transpose()?,
        limit: limit + 1,
    };
    // Chain what is waiting, so the entries read carry their place.
    state.store.chain_audit(10_000).await?;
    let mut records = state.store.audit_log(&filter).await?;
    let next = if records.len() as i64 > limit {
        records.truncate(limit as usize);
        records.last().map(|r| r.entry.at.to_string())
    } else {
        None
    };
    Ok((records, next))
}

/// A value for CSV: quoted, quotes doubled, and never read as a formula by a
/// spreadsheet.
fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

pub(crate) fn csv(records: &[AuditRecord]) -> String {
    let mut text = String::from("seq,at,actor,action,subject_kind,subject_id,number,address,details\n");
    for view in records.iter().map(AuditEntryView::from) {
        let fields = [
            view.seq.map(|s| s.to_string()).unwrap_or_default(),
            view.at,
            view.actor.unwrap_or_default(),
            view.action,
            view.subject_kind,
            view.subject_id,
            view.number.map(|n| n.to_string()).unwrap_or_default(),
            view.address.unwrap_or_default(),
            view.details,
        ];
        text.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    text
}

/// The audit log (R26): every change to the company's cases, company and
/// users, and every time vendor staff opened one of its cases; newest
/// first. `?format=csv` exports it.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage, description = "JSON, or `text/csv` with `?format=csv`"),
        (status = 400, description = "`invalid_from`, `invalid_to`, `invalid_action`, `invalid_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`designated_users_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: another company's log", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let (records, next_cursor) = read_log(&state, &caller, &query).await?;
    match query.format.as_deref() {
        None | Some("") | Some("json") => Ok(Json(AuditPage {
            entries: records.iter().map(AuditEntryView::from).collect(),
            next_cursor,
        })
        .into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
            ],
            csv(&records),
        )
            .into_response()),
        Some(other) => Err(bad("format", format!("`{other}` is not a format (json or csv)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_values_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "\"plain\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
    }
}
