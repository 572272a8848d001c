//! Authorization requests (R25) and the one-time links that let a person
//! choose a password. A request's decision and what it carries out (the
//! user written, the link made, the mails and audit entries) are one
//! transaction: the decision is taken only if the request is still pending
//! when it is written, so two managers deciding at once cannot both win.

use guichet_domain::audit::AuditEntry;
use guichet_domain::authorization::{
    AuthorizationId, AuthorizationRequest, AuthorizationStatus, Change, Channel, Decision,
};
use guichet_domain::case::{CaseId, CaseNumber};
use guichet_domain::company::CompanyId;
use guichet_domain::email::EmailAddress;
use guichet_domain::user::{User, UserId};
use jiff::Timestamp;

use crate::{OutboxMessage, Result, Store, StoreError, instant, micros};

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    company_id: String,
    case_id: String,
    number: i64,
    change: String,
    user_email: String,
    user_id: Option<String>,
    requested_by: String,
    requested_by_email: String,
    requested_at: i64,
    expires_at: i64,
    status: String,
    decided_by: Option<String>,
    decided_by_email: Option<String>,
    decided_at: Option<i64>,
    decided_via: Option<String>,
    outcome: Option<String>,
    reply_token: String,
}

macro_rules! request_columns {
    () => {
        "r.id, r.company_id, r.case_id, k.number, r.change, r.user_email, r.user_id, r.requested_by, \
         r.requested_by_email, r.requested_at, r.expires_at, r.status, r.decided_by, r.decided_by_email, \
         r.decided_at, r.decided_via, r.outcome, r.reply_token \
         FROM authorization_requests r JOIN cases k ON k.id = r.case_id"
    };
}

impl RequestRow {
    fn into_request(self) -> Result<AuthorizationRequest> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("authorization request {}: {what}", self.id));
        let change: Change = serde_json::from_str(&self.change).map_err(|e| corrupt(&format!("change: {e}")))?;
        let email = |value: &str| EmailAddress::parse(value).map_err(|e| corrupt(&e.message));
        let status = AuthorizationStatus::parse(&self.status).map_err(|e| corrupt(&e.message))?;
        let decision = match (
            self.decided_by,
            self.decided_by_email,
            self.decided_at,
            self.decided_via,
        ) {
            (Some(by), Some(by_email), Some(at), Some(via)) => Some(Decision {
                by: UserId(by),
                by_email: email(&by_email)?,
                at: instant(at)?,
                via: Channel::parse(&via).map_err(|e| corrupt(&e.message))?,
            }),
            _ => None,
        };
        Ok(AuthorizationRequest {
            company: CompanyId(self.company_id),
            case: CaseId(self.case_id),
            case_number: CaseNumber(self.number),
            change,
            user_email: email(&self.user_email)?,
            user: self.user_id.map(UserId),
            requested_by: UserId(self.requested_by),
            requested_by_email: email(&self.requested_by_email)?,
            requested_at: instant(self.requested_at)?,
            expires_at: instant(self.expires_at)?,
            status,
            decision,
            outcome: self.outcome,
            reply_token: self.reply_token,
            id: AuthorizationId(self.id),
        })
    }
}

/// What deciding a request writes with the decision.
#[derive(Debug, Default)]
pub struct Carrying<'a> {
    /// A user created or changed (a new designated user, new roles).
    pub user: Option<(&'a User, bool)>,
    /// A one-time password link: the SHA-256 of its secret, for whom, until
    /// when.
    pub password_link: Option<(&'a str, &'a UserId, Timestamp)>,
    pub audit: Vec<AuditEntry>,
    pub outbox: Vec<OutboxMessage>,
}

/// Which requests a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum RequestsOf<'a> {
    Case(&'a CaseId),
    Company(&'a CompanyId),
}

impl Store {
    /// Stores a new request with its audit entries and mails.
    pub async fn create_authorization(
        &self,
        request: &AuthorizationRequest,
        audit: &[AuditEntry],
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let change = serde_json::to_string(&request.change).expect("changes serialize");
        transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO authorization_requests (id, company_id, case_id, kind, change, user_email, user_id, \
                 requested_by, requested_by_email, requested_at, expires_at, status, reply_token) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&request.id.0)
            .bind(&request.company.0)
            .bind(&request.case.0)
            .bind(request.change.kind().as_str())
            .bind(&change)
            .bind(request.user_email.as_str())
            .bind(request.user.as_ref().map(|u| u.0.as_str()))
            .bind(&request.requested_by.0)
            .bind(request.requested_by_email.as_str())
            .bind(micros(request.requested_at))
            .bind(micros(request.expires_at))
            .bind(request.status.as_str())
            .bind(&request.reply_token)
            .execute(&mut *tx)
            .await?;
            insert_audit!(tx, audit);
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn authorization(&self, id: &AuthorizationId) -> Result<Option<AuthorizationRequest>> {
        let row: Option<RequestRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            request_columns!(),
            " WHERE r.id = $1"
        ))
        .bind(&id.0)
        .fetch_optional(c)
        .await)?;
        row.map(RequestRow::into_request).transpose()
    }

    /// The request an emailed reply's token names.
    pub async fn authorization_by_token(&self, token: &str) -> Result<Option<AuthorizationRequest>> {
        let row: Option<RequestRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            request_columns!(),
            " WHERE r.reply_token = $1"
        ))
        .bind(token)
        .fetch_optional(c)
        .await)?;
        row.map(RequestRow::into_request).transpose()
    }

    /// A case's or a company's requests, newest first.
    pub async fn authorizations(&self, of: RequestsOf<'_>, limit: i64) -> Result<Vec<AuthorizationRequest>> {
        let (case, company) = match of {
            RequestsOf::Case(case) => (case.0.as_str(), ""),
            RequestsOf::Company(company) => ("", company.0.as_str()),
        };
        let rows: Vec<RequestRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            request_columns!(),
            " WHERE ($1 = '' OR r.case_id = $1) AND ($2 = '' OR r.company_id = $2) \
             ORDER BY r.requested_at DESC, r.id DESC LIMIT $3"
        ))
        .bind(case)
        .bind(company)
        .bind(limit.clamp(1, 1000))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// The requests about `email` in `company` still pending at `now`.
    pub async fn pending_authorizations_for(
        &self,
        company: &CompanyId,
        email: &EmailAddress,
        now: Timestamp,
    ) -> Result<Vec<AuthorizationRequest>> {
        let rows: Vec<RequestRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            request_columns!(),
            " WHERE r.company_id = $1 AND r.status = 'pending' AND r.user_email = $2 AND r.expires_at > $3 \
             ORDER BY r.requested_at, r.id"
        ))
        .bind(&company.0)
        .bind(email.as_str())
        .bind(micros(now))
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// Writes `request`'s decision and what it carries out, if the stored
    /// request is still pending; `Conflict("authorization")` otherwise
    /// (someone decided first, or it expired).
    pub async fn decide_authorization(&self, request: &AuthorizationRequest, carrying: Carrying<'_>) -> Result<()> {
        let Some(decision) = &request.decision else {
            return Err(StoreError::Corrupt("a decision to write without a decision".into()));
        };
        let now = decision.at;
        transaction!(self, |tx| {
            let decided = sqlx::query(
                "UPDATE authorization_requests SET status = $2, decided_by = $3, decided_by_email = $4, \
                 decided_at = $5, decided_via = $6, outcome = $7 \
                 WHERE id = $1 AND status = 'pending' AND expires_at > $5",
            )
            .bind(&request.id.0)
            .bind(request.status.as_str())
            .bind(&decision.by.0)
            .bind(decision.by_email.as_str())
            .bind(micros(now))
            .bind(decision.via.as_str())
            .bind(request.outcome.as_deref())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if decided == 0 {
                return Err(StoreError::Conflict("authorization"));
            }
            if let Some((user, creating)) = carrying.user {
                let password_hash: Option<&str> = None;
                save_user_in!(tx, user, password_hash, now);
                if !creating && !user.active {
                    // A deactivated user's API tokens stop working at once.
                    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                        .bind(&user.id.0)
                        .bind(micros(now))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            // The person the request named, once they exist (an invitation
            // creates them above).
            if let Some(user) = &request.user {
                sqlx::query("UPDATE authorization_requests SET user_id = $2 WHERE id = $1")
                    .bind(&request.id.0)
                    .bind(&user.0)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((hash, user, expires_at)) = carrying.password_link {
                sqlx::query(
                    "INSERT INTO password_links (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(hash)
                .bind(&user.0)
                .bind(micros(now))
                .bind(micros(expires_at))
                .execute(&mut *tx)
                .await?;
            }
            insert_audit!(tx, &carrying.audit);
            insert_outbox!(tx, &carrying.outbox);
        })
    }

    /// Marks pending requests past their expiry as expired, with their audit
    /// entries (made by `entry` for each); returns them.
    pub async fn expire_authorizations(
        &self,
        now: Timestamp,
        entry: impl Fn(&AuthorizationRequest) -> AuditEntry,
    ) -> Result<Vec<AuthorizationRequest>> {
        let rows: Vec<RequestRow> = read!(self, |c| sqlx::query_as(concat!(
            "SELECT ",
            request_columns!(),
            " WHERE r.status = 'pending' AND r.expires_at <= $1 ORDER BY r.expires_at LIMIT 500"
        ))
        .bind(micros(now))
        .fetch_all(c)
        .await)?;
        let mut expired = Vec::new();
        for row in rows {
            let mut request = row.into_request()?;
            let audit = [entry(&request)];
            let changed = transaction!(self, |tx| {
                let changed = sqlx::query(
                    "UPDATE authorization_requests SET status = 'expired' WHERE id = $1 AND status = 'pending'",
                )
                .bind(&request.id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    insert_audit!(tx, &audit);
                }
                changed
            })?;
            if changed == 1 {
                request.status = AuthorizationStatus::Expired;
                expired.push(request);
            }
        }
        Ok(expired)
    }

    /// Spends a one-time password link: sets the password hash of its user
    /// and revokes their API tokens, if the link is unused and not expired.
    /// Returns the user, `None` for a link that does not (or no longer) work.
    pub async fn spend_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
        audit: impl Fn(&UserId) -> AuditEntry,
    ) -> Result<Option<UserId>> {
        let Some(user) = self.password_link(token_hash, now).await? else {
            return Ok(None);
        };
        let entry = [audit(&user)];
        transaction!(self, |tx| {
            let spent = sqlx::query(
                "UPDATE password_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(micros(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if spent == 0 {
                None
            } else {
                sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                    .bind(&user.0)
                    .bind(password_hash)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                    .bind(&user.0)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                insert_audit!(tx, &entry);
                Some(user.clone())
            }
        })
    }

    /// The user a live (unused, unexpired) password link is for.
    pub async fn password_link(&self, token_hash: &str, now: Timestamp) -> Result<Option<UserId>> {
        let user: Option<String> = read!(self, |c| sqlx::query_scalar(
            "SELECT user_id FROM password_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
        )
        .bind(token_hash)
        .bind(micros(now))
        .fetch_optional(c)
        .await)?;
        Ok(user.map(UserId))
    }
}
