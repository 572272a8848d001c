//! Who is calling: passwords (argon2), sign-in with throttling per account
//! and per address, API bearer tokens, and the `Caller` extractor that both
//! the API and the portal use.

use std::net::{IpAddr, SocketAddr};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use guichet_domain::access::Actor;
use guichet_domain::company::Company;
use guichet_domain::email::EmailAddress;
use guichet_domain::login::{self, ThrottlePolicy};
use guichet_domain::user::{User, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{ApiToken, StoreError, TokenId};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;

/// The session key holding the signed-in user's id.
pub(crate) const SESSION_USER: &str = "user_id";

/// Hashes and checks passwords off the async threads (argon2 is slow on
/// purpose).
pub struct Passwords {
    /// Checked against when the email is unknown, so an unknown account
    /// takes as long to refuse as a wrong password. Made on first use.
    decoy: std::sync::OnceLock<String>,
}

impl Passwords {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 1024;

    pub fn new() -> Self {
        Self {
            decoy: std::sync::OnceLock::new(),
        }
    }

    /// A new password, checked for length.
    pub fn parse(password: &str) -> Result<&str, Invalid> {
        let length = password.chars().count();
        if length < Self::MIN_LEN {
            return Err(Invalid::new(
                InvalidKind::Format,
                format!("a password has at least {} characters", Self::MIN_LEN),
            ));
        }
        if length > Self::MAX_LEN {
            return Err(Invalid::new(InvalidKind::TooLong, "the password is too long"));
        }
        Ok(password)
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash` (or the decoy when there is none).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let known = hash.is_some();
        let hash = match hash {
            Some(hash) => hash.to_owned(),
            None => self
                .decoy
                .get_or_init(|| hash_now("guichet-decoy-password").expect("hashing a constant works"))
                .clone(),
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matches
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashes on the current thread: for the CLI and the demo data.
pub fn hash_now(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Why a sign-in was refused.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong email or password; which one is not said.
    InvalidCredentials,
    AccountLocked(Timestamp),
    AddressLocked(Timestamp),
    Internal(StoreError),
}

impl From<StoreError> for SignInError {
    fn from(error: StoreError) -> Self {
        Self::Internal(error)
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        use axum::http::StatusCode;
        match error {
            SignInError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The email or the password is wrong.",
            ),
            SignInError::AccountLocked(until) => ApiError {
                retry_at: Some(until),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "account_locked",
                    format!("Too many failed sign-ins: this account is locked until {until}."),
                )
            },
            SignInError::AddressLocked(until) => ApiError {
                retry_at: Some(until),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("Too many failed sign-ins from this address: try again after {until}."),
                )
            },
            SignInError::Internal(error) => ApiError::internal(error),
        }
    }
}

/// Checks an email and password, throttling failures per account and per
/// address. The API's token endpoint and the portal's login form both come
/// here.
pub async fn sign_in(state: &AppState, email: &str, password: &str, address: IpAddr) -> Result<User, SignInError> {
    let now = state.clock.now();
    let address_key = format!("address:{address}");
    if let Some(until) = login::locked_until(state.store.login_failures(&address_key).await?.as_ref(), now) {
        return Err(SignInError::AddressLocked(until));
    }
    let email = EmailAddress::parse(email).ok();
    let account_key = email.as_ref().map(|email| format!("account:{email}"));
    if let Some(key) = &account_key
        && let Some(until) = login::locked_until(state.store.login_failures(key).await?.as_ref(), now)
    {
        return Err(SignInError::AccountLocked(until));
    }
    let credentials = match &email {
        Some(email) => state.store.credentials(email).await?,
        None => None,
    };
    let hash = credentials.as_ref().and_then(|c| c.password_hash.as_deref());
    if state.passwords.verify(password, hash).await
        && let Some(credentials) = credentials
        && let Some(user) = state.store.user(&credentials.user_id).await?
    {
        if let Some(key) = &account_key {
            state.store.clear_login_failures(key).await?;
        }
        return Ok(user);
    }
    metrics::counter!("guichet_login_failures_total").increment(1);
    let failures = login::record_failure(
        state.store.login_failures(&address_key).await?,
        ThrottlePolicy::ADDRESS,
        now,
    );
    state.store.put_login_failures(&address_key, &failures).await?;
    if let Some(key) = &account_key {
        let failures = login::record_failure(state.store.login_failures(key).await?, ThrottlePolicy::ACCOUNT, now);
        state.store.put_login_failures(key, &failures).await?;
    }
    Err(SignInError::InvalidCredentials)
}

/// A new API token: the secret handed out once, and what is stored.
pub async fn issue_token(state: &AppState, user: &UserId, name: &str) -> Result<(String, ApiToken), ApiError> {
    let secret = format!("gch_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
    let now = state.clock.now();
    let token = ApiToken {
        id: TokenId(guichet_store::new_id()),
        user_id: user.clone(),
        name: name.to_owned(),
        created_at: now,
        expires_at: now + state.settings.token_ttl,
        last_used_at: None,
        revoked_at: None,
    };
    state.store.create_token(&token, &token_hash(&secret)).await?;
    Ok((secret, token))
}

pub(crate) fn token_hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// The client's address: the peer, or the first hop a trusted proxy names.
pub(crate) fn client_address(parts: &Parts, state: &AppState) -> IpAddr {
    let forwarded = state.settings.client_ip_header.as_deref().and_then(|name| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .and_then(|first| first.trim().parse().ok())
    });
    forwarded.unwrap_or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip())
    })
}

/// The client's address, as `client_address` reads it.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(parts, state)))
    }
}

/// The signed-in caller, by bearer token or by session cookie.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub company: Company,
    pub actor: Actor,
    /// The token used, when the caller came with one.
    pub token: Option<TokenId>,
    /// The client address the request came from (R26 records it).
    pub address: Option<String>,
}

impl Caller {
    /// The caller `user` makes, with their company (`None` if it is gone).
    pub async fn for_user(state: &AppState, user: User, token: Option<TokenId>) -> Result<Option<Self>, StoreError> {
        let Some(company) = state.store.company(&user.company_id).await? else {
            return Ok(None);
        };
        Ok(Some(Self {
            actor: Actor::new(&user, company.kind),
            user,
            company,
            token,
            address: None,
        }))
    }

    /// The caller behind `parts`, if any.
    pub(crate) async fn find(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim);
        if let Some(secret) = bearer {
            let Some((token, user)) = state.store.token_holder(&token_hash(secret), state.clock.now()).await? else {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "This token is unknown, expired or revoked.",
                ));
            };
            return Ok(Self::for_user(state, user, Some(token.id)).await?);
        }
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            return Ok(None);
        };
        let user_id: Option<String> = session.get(SESSION_USER).await.map_err(ApiError::internal)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        match state.store.user(&UserId(user_id)).await? {
            Some(user) => Ok(Self::for_user(state, user, None).await?),
            None => Ok(None),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut caller = Self::find(parts, state).await?.ok_or_else(ApiError::unauthenticated)?;
        caller.address = Some(client_address(parts, state).to_string());
        Ok(caller)
    }
}

/// The caller if signed in, for pages anyone may see.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::find(parts, state).await {
            Ok(caller) => Ok(Self(caller.map(|mut caller| {
                caller.address = Some(client_address(parts, state).to_string());
                caller
            }))),
            // A stale token on a page is the same as none.
            Err(error) if error.code == "invalid_token" => Ok(Self(None)),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords.verify("correct horse battery", Some(&hash)).await);
        assert!(!passwords.verify("wrong horse battery", Some(&hash)).await);
        // The decoy never lets anyone in, even with its own password.
        assert!(!passwords.verify("guichet-decoy-password", None).await);
        assert!(!passwords.verify("x", Some("not a hash")).await);
    }

    #[test]
    fn new_passwords_have_a_minimum_length() {
        assert!(Passwords::parse("short").is_err());
        assert!(Passwords::parse("guichet-demo").is_ok());
    }

    #[test]
    fn token_hashes_do_not_contain_the_secret() {
        let hash = token_hash("gch_secret");
        assert!(!hash.contains("secret"));
        assert_eq!(hash, token_hash("gch_secret"));
        assert_ne!(hash, token_hash("gch_secret2"));
    }
}
