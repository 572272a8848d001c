//! API bearer tokens. Only a token's SHA-256 is stored: a copy of the
//! database does not let anyone call the API.

use guichet_domain::user::UserId;
use jiff::Timestamp;

use crate::{Result, Store, instant, micros};

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct TokenId(pub String);

/// A token as its owner may see it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    #[sqlx(rename = "token_id")]
    id: String,
    user_id: String,
    name: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken> {
        Ok(ApiToken {
            id: TokenId(self.id),
            user_id: UserId(self.user_id),
            name: self.name,
            created_at: instant(self.created_at)?,
            expires_at: instant(self.expires_at)?,
            last_used_at: self.last_used_at.map(instant).transpose()?,
            revoked_at: self.revoked_at.map(instant).transpose()?,
        })
    }
}

/// `last_used_at` is refreshed at most this often, so reading with a token
/// does not write on every request.
const LAST_USED_RESOLUTION_MICROS: i64 = 5 * 60 * 1_000_000;

impl Store {
    pub async fn create_token(&self, token: &ApiToken, token_hash: &str) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(&token.id.0)
        .bind(&token.user_id.0)
        .bind(token_hash)
        .bind(&token.name)
        .bind(micros(token.created_at))
        .bind(micros(token.expires_at))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The live token with this hash: not revoked, not expired at `now`.
    pub async fn live_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<ApiToken>> {
        let row: Option<TokenRow> = read!(self, |c| {
            sqlx::query_as(
            "SELECT id AS token_id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2"
        )
        .bind(token_hash)
        .bind(micros(now))
        .fetch_optional(c)
        .await
        })?;
        let Some(token) = row.map(TokenRow::into_token).transpose()? else {
            return Ok(None);
        };
        self.touch_token(&token, now).await?;
        Ok(Some(token))
    }

    /// The live token with this hash and the user it belongs to, in one
    /// read (every API request asks this).
    pub async fn token_holder(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(ApiToken, guichet_domain::user::User)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            token: TokenRow,
            #[sqlx(flatten)]
            user: crate::users::UserRow,
        }
        macro_rules! holder_sql {
            ($agg:literal) => {
                concat!(
                    "SELECT t.id AS token_id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at, \
                     t.revoked_at, u.id, u.company_id, u.email, u.display_name, u.language, u.active, \
                     (SELECT ",
                    $agg,
                    "(r.role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles, (SELECT ",
                    $agg,
                    "(s.skill, ',') FROM user_skills s WHERE s.user_id = u.id) AS skills \
                     FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"
                )
            };
        }
        let row: Option<Row> = read_aggregating!(self, holder_sql, |query, c| query
            .bind(token_hash)
            .bind(micros(now))
            .fetch_optional(c)
            .await)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token = row.token.into_token()?;
        self.touch_token(&token, now).await?;
        Ok(Some((token, row.user.into_user()?)))
    }

    /// Records that a token was used, at most once per resolution period.
    async fn touch_token(&self, token: &ApiToken, now: Timestamp) -> Result<()> {
        let stale = token
            .last_used_at
            .is_none_or(|at| micros(now) - micros(at) > LAST_USED_RESOLUTION_MICROS);
        if stale {
            write!(self, |c| sqlx::query(
                "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1"
            )
            .bind(&token.id.0)
            .bind(micros(now))
            .execute(c)
            .await
            .map(|done| done.rows_affected()))?;
        }
        Ok(())
    }

    /// A user's tokens that are neither revoked nor expired, newest first.
    pub async fn tokens_of(&self, user: &UserId, now: Timestamp) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = read!(self, |c| {
            sqlx::query_as(
            "SELECT id AS token_id, user_id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC"
        )
        .bind(&user.0)
        .bind(micros(now))
        .fetch_all(c)
        .await
        })?;
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    /// Revokes one of `user`'s tokens; false if it has no such live token.
    pub async fn revoke_token(&self, user: &UserId, token: &TokenId, now: Timestamp) -> Result<bool> {
        let done = write!(self, |c| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
        )
        .bind(&token.0)
        .bind(&user.0)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Revokes every live token of a user (deactivation, password change).
    pub async fn revoke_tokens_of(&self, user: &UserId, now: Timestamp) -> Result<u64> {
        let done = write!(self, |c| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
        )
        .bind(&user.0)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(done)
    }
}
