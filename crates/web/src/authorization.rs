//! Company authorization of privileged requests (R25).
//!
//! Anyone on an open case raises a request there: a new designated support
//! user, a change of a user's customer roles, or a password reset. Every
//! authorized manager of the case's company is mailed; nothing changes
//! until one of them authorizes it — on the portal, through the API, or by
//! a DMARC-authenticated reply from their own company address (the mail
//! channel verifies the message, `decide_by_mail` the rest). Authorizing
//! carries the change out in the same transaction as the decision; a
//! refusal, or no answer before `authorization.expiry`, ends it unchanged.

use guichet_domain::audit::AuditEntry;
use guichet_domain::authorization::{
    Account, AuthorizationId, AuthorizationKind, AuthorizationRequest, AuthorizationStatus, Change, Channel,
    Invitation, Permissions, Refusal, verdict,
};
use guichet_domain::company::{Company, CompanyKind};
use guichet_domain::email::EmailAddress;
use guichet_domain::user::{DisplayName, Language, Role, User, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{Carrying, OutboxMessage, RequestsOf, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::mail::{Mail, MailRefusal, VerifiedSender};

/// `[authorization]` settings.
#[derive(Debug, Clone)]
pub struct AuthorizationSettings {
    /// A request not decided within this time expires (default 7 days).
    pub expiry: SignedDuration,
    /// How long a link to choose a password works.
    pub password_link_ttl: SignedDuration,
    /// Where a product account's password reset is sent, once authorized.
    pub identity_webhook: Option<IdentityWebhook>,
}

impl Default for AuthorizationSettings {
    fn default() -> Self {
        Self {
            expiry: SignedDuration::from_hours(24 * 7),
            password_link_ttl: SignedDuration::from_hours(24),
            identity_webhook: None,
        }
    }
}

/// The vendor product's identity system: it receives authorized password
/// resets of product accounts as signed webhooks.
#[derive(Clone)]
pub struct IdentityWebhook {
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for IdentityWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityWebhook")
            .field("url", &self.url)
            .field("secret", &"…")
            .finish()
    }
}

/// What raising a request takes: the kind, the person concerned, and the
/// details of the kind.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationInput {
    /// `designate_support_user`, `permission_change` or `password_reset`.
    pub kind: String,
    /// The email of the person concerned.
    pub user: String,
    /// `designate_support_user` of a person without an account: their name
    /// (they are invited by email).
    pub display_name: Option<String>,
    /// `designate_support_user` of a new person: `fr` or `en` (default: the
    /// language of the requester).
    pub language: Option<String>,
    /// `permission_change`: the customer roles and state to set; at least
    /// one must change.
    pub designated: Option<bool>,
    pub authorized_manager: Option<bool>,
    pub active: Option<bool>,
    /// `password_reset`: `portal` (the Guichet account, the default) or
    /// `product` (the account in the vendor's product).
    pub account: Option<String>,
}

/// A request's outgoing webhook to the identity system.
#[derive(Debug, Serialize, Deserialize)]
pub struct IdentityReset {
    pub event: String,
    pub request: String,
    pub email: String,
    pub company: String,
    pub authorized_by: String,
    pub authorized_at: Timestamp,
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |e| ApiError::invalid(name, e)
}

fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::CONFLICT, code, detail)
}

fn refusal_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::NotPending => conflict(refusal.code(), "This request has already been decided."),
        Refusal::Expired => conflict(refusal.code(), "This request expired unanswered; raise a new one."),
        Refusal::NotAuthorizedManager => ApiError::forbidden(
            refusal.code(),
            "Only an authorized manager of the company may authorize or refuse this request.",
        ),
    }
}

/// `a-` and 40 lower-case hex digits: mail systems may lower-case the
/// local part of an address, so the token does not depend on case.
fn new_reply_token() -> String {
    let bytes: [u8; 20] = rand::random();
    let mut token = String::with_capacity(42);
    token.push_str("a-");
    for byte in bytes {
        token.push_str(&format!("{byte:02x}"));
    }
    token
}

/// Whether the company keeps an active authorized manager other than
/// `user` once `user` is changed by `permissions`.
async fn leaves_a_manager(state: &AppState, user: &User, permissions: &Permissions) -> Result<bool, ApiError> {
    let mut changed = user.clone();
    permissions.apply(&mut changed);
    if changed.active && changed.has(Role::AuthorizedManager) {
        return Ok(true);
    }
    let managers = state
        .store
        .users_with_role(&user.company_id, Role::AuthorizedManager)
        .await?;
    Ok(managers.iter().any(|m| m.active && m.id != user.id))
}

fn last_manager() -> ApiError {
    ApiError::invalid(
        "authorized_manager",
        Invalid::new(
            InvalidKind::NotAllowed,
            "the company would be left without an active authorized manager; name another one first",
        ),
    )
}

/// The person a request concerns must be the company's: an existing user
/// of it, or an address at one of its verified domains.
fn company_address(company: &Company, email: &EmailAddress, existing: Option<&User>) -> Result<(), ApiError> {
    let ours = match existing {
        Some(user) => user.company_id == company.id,
        None => company.owns_address(email),
    };
    if ours {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "user",
            Invalid::new(
                InvalidKind::NotAllowed,
                format!(
                    "{email} is neither a user of {} nor at one of its verified domains",
                    company.name.as_str()
                ),
            ),
        ))
    }
}

/// The change `input` asks for, checked against the person as they are.
async fn change_of(
    state: &AppState,
    caller: &Caller,
    company: &Company,
    input: &AuthorizationInput,
    email: &EmailAddress,
    existing: Option<&User>,
) -> Result<Change, ApiError> {
    let kind = AuthorizationKind::parse(&input.kind).map_err(field("kind"))?;
    let not_for = |name: &'static str, set: bool| {
        if set {
            Err(ApiError::invalid(
                name,
                Invalid::new(
                    InvalidKind::NotAllowed,
                    format!("`{name}` does not belong to a {} request", kind.as_str()),
                ),
            ))
        } else {
            Ok(())
        }
    };
    let no_user = || {
        ApiError::invalid(
            "user",
            Invalid::new(
                InvalidKind::Unknown,
                format!("{} has no user called {email}", company.name.as_str()),
            ),
        )
    };
    match kind {
        AuthorizationKind::DesignateSupportUser => {
            not_for("designated", input.designated.is_some())?;
            not_for("authorized_manager", input.authorized_manager.is_some())?;
            not_for("active", input.active.is_some())?;
            not_for("account", input.account.is_some())?;
            match existing {
                Some(user) => {
                    not_for("display_name", input.display_name.is_some())?;
                    not_for("language", input.language.is_some())?;
                    if user.is_designated() && user.active {
                        return Err(conflict(
                            "nothing_to_change",
                            format!("{email} is already a designated support user."),
                        ));
                    }
                    Ok(Change::DesignateSupportUser { invitation: None })
                }
                None => {
                    let name = input.display_name.as_deref().ok_or_else(|| {
                        ApiError::invalid(
                            "display_name",
                            Invalid::new(
                                InvalidKind::Empty,
                                format!("{email} has no account yet: give the name to invite them by"),
                            ),
                        )
                    })?;
                    let language = match &input.language {
                        Some(language) => Language::parse(language).map_err(field("language"))?,
                        None => caller.user.language,
                    };
                    Ok(Change::DesignateSupportUser {
                        invitation: Some(Invitation {
                            display_name: DisplayName::parse(name).map_err(field("display_name"))?,
                            language,
                        }),
                    })
                }
            }
        }
        AuthorizationKind::PermissionChange => {
            not_for("display_name", input.display_name.is_some())?;
            not_for("language", input.language.is_some())?;
            not_for("account", input.account.is_some())?;
            let user = existing.ok_or_else(no_user)?;
            let wanted = Permissions {
                designated: input.designated,
                authorized_manager: input.authorized_manager,
                active: input.active,
            };
            if wanted.is_empty() {
                return Err(ApiError::invalid(
                    "designated",
                    Invalid::new(
                        InvalidKind::Empty,
                        "say what to change: `designated`, `authorized_manager` or `active`",
                    ),
                ));
            }
            let permissions = wanted.changes_for(user);
            if permissions.is_empty() {
                return Err(conflict(
                    "nothing_to_change",
                    format!("{email} already has these roles."),
                ));
            }
            if !leaves_a_manager(state, user, &permissions).await? {
                return Err(last_manager());
            }
            Ok(Change::PermissionChange { permissions })
        }
        AuthorizationKind::PasswordReset => {
            not_for("designated", input.designated.is_some())?;
            not_for("authorized_manager", input.authorized_manager.is_some())?;
            not_for("active", input.active.is_some())?;
            not_for("display_name", input.display_name.is_some())?;
            not_for("language", input.language.is_some())?;
            let account = match &input.account {
                Some(account) => Account::parse(account).map_err(field("account"))?,
                None => Account::Portal,
            };
            match account {
                Account::Portal => {
                    let user = existing.ok_or_else(no_user)?;
                    if !user.active {
                        return Err(ApiError::invalid(
                            "user",
                            Invalid::new(
                                InvalidKind::NotAllowed,
                                format!("{email} is inactive: ask for a permission change first"),
                            ),
                        ));
                    }
                }
                Account::Product => {
                    if state.settings.authorization.identity_webhook.is_none() {
                        return Err(conflict(
                            "identity_webhook_not_configured",
                            "Product account passwords cannot be reset from here: no identity system is configured.",
                        ));
                    }
                }
            }
            Ok(Change::PasswordReset { account })
        }
    }
}

/// Raises a request on case `number` (R25): anyone who may read the open
/// case. Every authorized manager of the company is mailed.
pub async fn raise(
    state: &AppState,
    caller: &Caller,
    number: &str,
    input: &AuthorizationInput,
    base_url: &str,
) -> Result<AuthorizationRequest, ApiError> {
    let (case, company) = crate::cases::readable(state, caller, number).await?;
    if !case.status.is_open() {
        return Err(conflict(
            "case_not_open",
            "Authorization requests are raised on open cases.",
        ));
    }
    if company.kind != CompanyKind::Customer {
        return Err(conflict(
            "not_a_customer",
            "Only a customer company authorizes requests about its people.",
        ));
    }
    let email = EmailAddress::parse(&input.user).map_err(field("user"))?;
    let existing = state.store.user_by_email(&email).await?;
    company_address(&company, &email, existing.as_ref())?;
    let change = change_of(state, caller, &company, input, &email, existing.as_ref()).await?;
    let now = state.clock.now();
    let pending = state.store.pending_authorizations_for(&company.id, &email, now).await?;
    if let Some(twin) = pending.iter().find(|r| r.change.kind() == change.kind()) {
        return Err(conflict(
            "already_pending",
            format!(
                "A {} request for {email} is already pending ({}).",
                change.kind().as_str(),
                twin.id.0
            ),
        ));
    }
    let request = AuthorizationRequest {
        id: AuthorizationId(guichet_store::new_id()),
        company: company.id.clone(),
        case: case.id.clone(),
        case_number: case.number,
        change,
        user_email: email,
        user: existing.map(|u| u.id),
        requested_by: caller.user.id.clone(),
        requested_by_email: caller.user.email.clone(),
        requested_at: now,
        expires_at: now + state.settings.authorization.expiry,
        status: AuthorizationStatus::Pending,
        decision: None,
        outcome: None,
        reply_token: new_reply_token(),
    };
    let entry = audit(
        &request,
        Some((&caller.user, caller.address.clone())),
        "authorization.requested",
        now,
        summary(&Tr::new(Language::En), &request),
    );
    let managers = state
        .store
        .users_with_role(&company.id, Role::AuthorizedManager)
        .await?;
    let outbox: Vec<OutboxMessage> = managers
        .iter()
        .filter(|m| m.active)
        .map(|manager| {
            OutboxMessage::new(
                "mail",
                &request_mail(&request, &company, &caller.user, &case.subject, manager, base_url),
                now,
            )
        })
        .collect();
    state.store.create_authorization(&request, &[entry], &outbox).await?;
    Ok(request)
}

/// Whether `caller` may see `request`: who may read its case, and the
/// authorized managers of its company (who decide, designated or not).
async fn visible(state: &AppState, caller: &Caller, request: &AuthorizationRequest) -> Result<bool, ApiError> {
    if caller.actor.is_vendor_staff() || request.may_decide(&caller.user) {
        return Ok(true);
    }
    match crate::cases::readable(state, caller, &request.case_number.to_string()).await {
        Ok(_) => Ok(true),
        Err(error) if error.status == axum::http::StatusCode::NOT_FOUND => Ok(false),
        Err(error) => Err(error),
    }
}

/// The request `id`, if the caller may see it (404 otherwise).
pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<AuthorizationRequest, ApiError> {
    let id = AuthorizationId::parse(id).map_err(|_| ApiError::not_found())?;
    match state.store.authorization(&id).await? {
        Some(request) if visible(state, caller, &request).await? => Ok(request),
        _ => Err(ApiError::not_found()),
    }
}

/// The requests of case `number`, newest first.
pub async fn of_case(state: &AppState, caller: &Caller, number: &str) -> Result<Vec<AuthorizationRequest>, ApiError> {
    let (case, _) = crate::cases::readable(state, caller, number).await?;
    Ok(state.store.authorizations(RequestsOf::Case(&case.id), 200).await?)
}

/// The requests of the caller's company (its authorized managers and
/// designated users), or of `company` for vendor staff; newest first.
pub async fn of_company(
    state: &AppState,
    caller: &Caller,
    company: Option<&str>,
) -> Result<Vec<AuthorizationRequest>, ApiError> {
    let company = match company {
        Some(id) if caller.actor.is_vendor_staff() => {
            crate::api::companies::readable(state, caller, id.to_owned()).await?.id
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "company",
                Invalid::new(InvalidKind::NotAllowed, "only vendor staff name a company"),
            ));
        }
        None if guichet_domain::authorization::reads_company_requests(&caller.user) => caller.company.id.clone(),
        None if caller.actor.is_vendor_staff() => {
            return Err(ApiError::invalid(
                "company",
                Invalid::new(InvalidKind::Empty, "name the company: `?company=`"),
            ));
        }
        None => {
            return Err(ApiError::forbidden(
                "not_authorized_manager",
                "A company's authorization requests are for its authorized managers and designated users.",
            ));
        }
    };
    Ok(state.store.authorizations(RequestsOf::Company(&company), 500).await?)
}

/// `caller` authorizes or refuses request `id` on the portal or the API.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    authorize: bool,
    via: Channel,
    base_url: &str,
) -> Result<AuthorizationRequest, ApiError> {
    let request = get(state, caller, id).await?;
    settle(
        state,
        request,
        &caller.user,
        caller.address.clone(),
        authorize,
        via,
        base_url,
    )
    .await
}

/// R25 by email: the mail channel has parsed and authenticated the reply
/// (DMARC with an aligned DKIM signature) and ruled out a replay; this
/// checks the rest — the token names a pending request, the sender is one
/// of its company's current authorized managers writing from a verified
/// company address, the first line decides — and carries it out.
pub async fn decide_by_mail(
    state: &AppState,
    token: &str,
    mail: &VerifiedSender,
) -> Result<AuthorizationRequest, MailRefusal> {
    let internal = |error: ApiError| MailRefusal::new("internal_error", error.detail);
    let store = |error: StoreError| internal(ApiError::from(error));
    if !mail.dmarc_aligned {
        return Err(MailRefusal::new(
            "not_authenticated",
            "the message did not pass DMARC with a DKIM signature of the sender's domain",
        ));
    }
    let Some(request) = state.store.authorization_by_token(token).await.map_err(store)? else {
        return Err(MailRefusal::new(
            "unknown_request",
            "the reply address names no authorization request",
        ));
    };
    let company = state
        .store
        .company(&request.company)
        .await
        .map_err(store)?
        .ok_or_else(|| MailRefusal::new("unknown_request", "the request's company is gone"))?;
    let sender = state.store.user_by_email(&mail.from).await.map_err(store)?;
    let Some(sender) = sender.filter(|s| request.may_decide(s)) else {
        return Err(MailRefusal::new(
            Refusal::NotAuthorizedManager.code(),
            format!(
                "{} is not an authorized manager of {}",
                mail.from,
                company.name.as_str()
            ),
        ));
    };
    if !company.owns_address(&mail.from) {
        return Err(MailRefusal::new(
            "not_company_address",
            format!(
                "{} is not at one of {}'s verified domains",
                mail.from,
                company.name.as_str()
            ),
        ));
    }
    let Some(authorize) = verdict(&mail.first_line) else {
        return Err(MailRefusal::new(
            "no_decision",
            "the first line of the reply starts with neither AUTHORIZE nor REFUSE",
        ));
    };
    let base = state.settings.mail.portal_url.trim_end_matches('/').to_owned();
    settle(state, request, &sender, None, authorize, Channel::Mail, &base)
        .await
        .map_err(|error| match error.code.as_ref() {
            "not_pending" => MailRefusal::new("not_pending", "the request has already been decided"),
            "expired" => MailRefusal::new("expired", "the request expired before the reply arrived"),
            "not_authorized_manager" => MailRefusal::new("not_authorized_manager", error.detail),
            _ => MailRefusal::new("refused", error.detail),
        })
}

/// Takes `decider`'s decision and, when it authorizes, carries the change
/// out with it.
async fn settle(
    state: &AppState,
    mut request: AuthorizationRequest,
    decider: &User,
    address: Option<String>,
    authorize: bool,
    via: Channel,
    base_url: &str,
) -> Result<AuthorizationRequest, ApiError> {
    let now = state.clock.now();
    request.decide(decider, authorize, now, via).map_err(refusal_error)?;
    let company = state
        .store
        .company(&request.company)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let english = Tr::new(Language::En);
    let by = Some((decider, address.clone()));
    let action = if authorize {
        "authorization.authorized"
    } else {
        "authorization.refused"
    };
    let mut audit_entries = vec![audit(
        &request,
        by.clone(),
        action,
        now,
        format!("{} (via {})", summary(&english, &request), via.as_str()),
    )];
    let mut outbox = Vec::new();
    let mut user_write: Option<(User, bool)> = None;
    let mut link: Option<(String, UserId, Timestamp)> = None;
    if authorize {
        let existing = state.store.user_by_email(&request.user_email).await?;
        let outcome = match (&request.change, existing) {
            (Change::DesignateSupportUser { .. }, Some(mut user)) if user.company_id == company.id => {
                Permissions {
                    designated: Some(true),
                    active: Some(true),
                    ..Permissions::default()
                }
                .apply(&mut user);
                audit_entries.push(user_entry(&request, by.clone(), "user.updated", &user, now));
                user_write = Some((user, false));
                "designated"
            }
            (
                Change::DesignateSupportUser {
                    invitation: Some(invitation),
                },
                None,
            ) => {
                let user = User {
                    id: UserId(guichet_store::new_id()),
                    company_id: company.id.clone(),
                    email: request.user_email.clone(),
                    display_name: invitation.display_name.clone(),
                    language: invitation.language,
                    active: true,
                    roles: vec![Role::DesignatedSupportUser],
                    skills: Vec::new(),
                };
                let (secret, hash) = password_secret();
                let ttl = state
                    .settings
                    .authorization
                    .expiry
                    .max(state.settings.authorization.password_link_ttl);
                outbox.push(OutboxMessage::new(
                    "mail",
                    &password_mail(&user, &company, base_url, &secret, now + ttl, true),
                    now,
                ));
                link = Some((hash, user.id.clone(), now + ttl));
                audit_entries.push(user_entry(&request, by.clone(), "user.created", &user, now));
                request.user = Some(user.id.clone());
                user_write = Some((user, true));
                "invited"
            }
            (Change::PermissionChange { permissions }, Some(mut user)) if user.company_id == company.id => {
                if !leaves_a_manager(state, &user, permissions).await? {
                    return Err(last_manager());
                }
                permissions.apply(&mut user);
                audit_entries.push(user_entry(&request, by.clone(), "user.updated", &user, now));
                user_write = Some((user, false));
                "roles_changed"
            }
            (
                Change::PasswordReset {
                    account: Account::Portal,
                },
                Some(user),
            ) if user.company_id == company.id && user.active => {
                let (secret, hash) = password_secret();
                let until = now + state.settings.authorization.password_link_ttl;
                outbox.push(OutboxMessage::new(
                    "mail",
                    &password_mail(&user, &company, base_url, &secret, until, false),
                    now,
                ));
                link = Some((hash, user.id.clone(), until));
                audit_entries.push(user_entry(&request, by.clone(), "user.password_link_sent", &user, now));
                "password_link_sent"
            }
            (
                Change::PasswordReset {
                    account: Account::Product,
                },
                _,
            ) if state.settings.authorization.identity_webhook.is_some() => {
                outbox.push(OutboxMessage::new(
                    "identity_webhook",
                    &IdentityReset {
                        event: "password_reset".into(),
                        request: request.id.0.clone(),
                        email: request.user_email.to_string(),
                        company: company.id.0.clone(),
                        authorized_by: decider.email.to_string(),
                        authorized_at: now,
                    },
                    now,
                ));
                "identity_system_notified"
            }
            _ => {
                return Err(conflict(
                    "no_longer_possible",
                    "The person or the configuration changed since the request was raised: it can no longer be \
                     carried out. Refuse it and raise a new one.",
                ));
            }
        };
        request.outcome = Some(outcome.to_owned());
    }
    if let Some(requester) = state.store.user(&request.requested_by).await?
        && requester.id != decider.id
    {
        outbox.push(OutboxMessage::new(
            "mail",
            &decision_mail(&request, &company, &requester, decider, base_url),
            now,
        ));
    }
    let carrying = Carrying {
        user: user_write.as_ref().map(|(user, creating)| (user, *creating)),
        password_link: link.as_ref().map(|(hash, user, until)| (hash.as_str(), user, *until)),
        audit: audit_entries,
        outbox,
    };
    match state.store.decide_authorization(&request, carrying).await {
        Ok(()) => Ok(request),
        Err(StoreError::Conflict("authorization")) => Err(refusal_error(Refusal::NotPending)),
        Err(StoreError::Conflict(_)) => Err(conflict(
            "no_longer_possible",
            "The address was taken by another account in the meantime.",
        )),
        Err(error) => Err(error.into()),
    }
}

/// Expires the requests nobody answered in time (housekeeping).
pub async fn expire(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let english = Tr::new(Language::En);
    let expired = state
        .store
        .expire_authorizations(now, |request| {
            audit(request, None, "authorization.expired", now, summary(&english, request))
        })
        .await?;
    Ok(expired.len())
}

/// A one-time secret for a password link, and the hash stored of it.
fn password_secret() -> (String, String) {
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = crate::auth::token_hash(&secret);
    (secret, hash)
}

/// The person behind a password link: `None` when it does not (or no
/// longer) work.
pub async fn password_link_user(state: &AppState, secret: &str) -> Result<Option<User>, ApiError> {
    let hash = crate::auth::token_hash(secret);
    match state.store.password_link(&hash, state.clock.now()).await? {
        Some(id) => Ok(state.store.user(&id).await?.filter(|u| u.active)),
        None => Ok(None),
    }
}

/// Sets the password a link was sent for; the link is spent and the
/// person's API tokens are revoked. 404 `link_expired` for a link that
/// does not work.
pub async fn set_password(
    state: &AppState,
    secret: &str,
    password: &str,
    address: Option<String>,
) -> Result<User, ApiError> {
    let password = crate::auth::Passwords::parse(password).map_err(field("password"))?;
    let gone = || {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "link_expired",
            "This link has expired or has already been used; ask support for a new one.",
        )
    };
    let Some(user) = password_link_user(state, secret).await? else {
        return Err(gone());
    };
    let hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let spent = state
        .store
        .spend_password_link(&crate::auth::token_hash(secret), &hash, now, |id| AuditEntry {
            id: guichet_store::new_id(),
            at: now,
            actor: Some(id.clone()),
            actor_email: Some(user.email.to_string()),
            address: address.clone(),
            action: "user.password_set".into(),
            subject_kind: "user".into(),
            subject_id: id.0.clone(),
            company: Some(user.company_id.clone()),
            case_number: None,
            details: "through a one-time link".into(),
        })
        .await?;
    match spent {
        Some(_) => Ok(user),
        None => Err(gone()),
    }
}

// ---------------------------------------------------------------------------
// Identity webhooks

/// Tries of an identity webhook before it is given up and listed for
/// administrators (`GET /api/v1/identity-webhooks/failures`).
pub const IDENTITY_ATTEMPTS: i32 = 12;

/// Sends authorized product password resets to the identity system, signed
/// like the status webhooks (`x-guichet-signature`), retried with backoff.
pub async fn deliver_identity_webhooks(state: &AppState) -> Result<usize, ApiError> {
    let Some(hook) = state.settings.authorization.identity_webhook.clone() else {
        return Ok(0);
    };
    let now = state.clock.now();
    let due = state
        .store
        .claim_outbox("identity_webhook", now, now + crate::status::webhooks::LEASE, 20)
        .await?;
    let mut delivered = 0;
    for row in due {
        let id = row.message.id.clone();
        let failure = crate::status::webhooks::post_signed(
            &hook.url,
            &hook.secret,
            "password_reset",
            &id,
            now.as_second(),
            row.message.payload.clone(),
        )
        .await;
        match failure {
            None => {
                state.store.complete_outbox(&id, now).await?;
                delivered += 1;
            }
            Some(why) => {
                let retry = now + crate::status::webhooks::backoff(row.attempts);
                let give_up = row.attempts + 1 >= IDENTITY_ATTEMPTS;
                state
                    .store
                    .outbox_failed(&id, &why, (!give_up).then_some(retry), now)
                    .await?;
            }
        }
    }
    Ok(delivered)
}

// ---------------------------------------------------------------------------
// Words

/// What the request would change, for whom: one sentence in `tr`'s language.
pub fn summary(tr: &Tr, request: &AuthorizationRequest) -> String {
    let user = request.user_email.as_str();
    match &request.change {
        Change::DesignateSupportUser { invitation: None } => tr.t1("authorization-summary-designate", "user", user),
        Change::DesignateSupportUser {
            invitation: Some(invitation),
        } => tr.t2(
            "authorization-summary-invite",
            ("name", invitation.display_name.as_str()),
            ("user", user),
        ),
        Change::PermissionChange { permissions } => {
            let mut changes = Vec::new();
            let mut word = |name: &str, on: Option<bool>| {
                if let Some(on) = on {
                    changes.push(tr.t(&format!(
                        "authorization-permission-{name}-{}",
                        if on { "on" } else { "off" }
                    )));
                }
            };
            word("designated", permissions.designated);
            word("manager", permissions.authorized_manager);
            word("active", permissions.active);
            tr.t2(
                "authorization-summary-permissions",
                ("user", user),
                ("changes", &changes.join(", ")),
            )
        }
        Change::PasswordReset { account } => tr.t1(
            &format!("authorization-summary-reset-{}", account.as_str()),
            "user",
            user,
        ),
    }
}

pub fn status_words(tr: &Tr, status: AuthorizationStatus) -> String {
    tr.t(&format!("authorization-status-{}", status.as_str()))
}

fn moment(at: Timestamp, company: &Company) -> String {
    let zone = company.time_zone.time_zone();
    format!(
        "{} ({})",
        zone.to_datetime(at).strftime("%Y-%m-%d %H:%M"),
        company.time_zone
    )
}

fn request_mail(
    request: &AuthorizationRequest,
    company: &Company,
    requester: &User,
    subject: &guichet_domain::case::Subject,
    manager: &User,
    base_url: &str,
) -> Mail {
    let tr = Tr::new(manager.language);
    let what = summary(&tr, request);
    let number = request.case_number.to_string();
    let body = [
        tr.t3(
            "authorization-mail-asks",
            (
                "requester",
                &format!("{} <{}>", requester.display_name.as_str(), requester.email),
            ),
            ("case", &number),
            ("company", company.name.as_str()),
        ),
        format!("    {what}"),
        tr.t1("authorization-mail-case", "subject", subject.as_str()),
        tr.t1("authorization-mail-why", "company", company.name.as_str()),
        tr.t("authorization-mail-reply"),
        tr.t1(
            "authorization-mail-portal",
            "link",
            format!("{base_url}/authorization-requests/{}", request.id.0),
        ),
        tr.t1("authorization-mail-expires", "at", moment(request.expires_at, company)),
    ]
    .join("\n\n");
    Mail {
        to: manager.email.to_string(),
        subject: tr.t2("authorization-mail-subject", ("case", &number), ("what", &what)),
        body,
        language: tr.lang().to_owned(),
        headers: Vec::new(),
        reply_token: Some(request.reply_token.clone()),
    }
}

fn decision_mail(
    request: &AuthorizationRequest,
    company: &Company,
    requester: &User,
    decider: &User,
    base_url: &str,
) -> Mail {
    let tr = Tr::new(requester.language);
    let what = summary(&tr, request);
    let status = status_words(&tr, request.status);
    Mail {
        to: requester.email.to_string(),
        subject: tr.t2(
            "authorization-mail-decided-subject",
            ("status", &status),
            ("what", &what),
        ),
        body: [
            tr.t3(
                "authorization-mail-decided",
                ("decider", &decider.email.to_string()),
                ("company", company.name.as_str()),
                ("status", &status),
            ),
            format!("    {what}"),
            format!("{base_url}/cases/{}", request.case_number),
        ]
        .join("\n\n"),
        language: tr.lang().to_owned(),
        headers: Vec::new(),
        reply_token: None,
    }
}

fn password_mail(
    user: &User,
    company: &Company,
    base_url: &str,
    secret: &str,
    until: Timestamp,
    invited: bool,
) -> Mail {
    let tr = Tr::new(user.language);
    let (subject, intro) = if invited {
        ("authorization-mail-invite-subject", "authorization-mail-invite")
    } else {
        ("authorization-mail-reset-subject", "authorization-mail-reset")
    };
    Mail {
        to: user.email.to_string(),
        subject: tr.t(subject),
        body: [
            tr.t1(intro, "company", company.name.as_str()),
            format!("{base_url}/password/{secret}"),
            tr.t1("authorization-mail-link-until", "at", moment(until, company)),
        ]
        .join("\n\n"),
        language: tr.lang().to_owned(),
        headers: Vec::new(),
        reply_token: None,
    }
}

fn audit(
    request: &AuthorizationRequest,
    by: Option<(&User, Option<String>)>,
    action: &str,
    at: Timestamp,
    details: String,
) -> AuditEntry {
    AuditEntry {
        id: guichet_store::new_id(),
        at,
        actor: by.as_ref().map(|(user, _)| user.id.clone()),
        actor_email: by.as_ref().map(|(user, _)| user.email.to_string()),
        address: by.and_then(|(_, address)| address),
        action: action.to_owned(),
        subject_kind: "authorization_request".into(),
        subject_id: request.id.0.clone(),
        company: Some(request.company.clone()),
        case_number: Some(request.case_number),
        details,
    }
}

fn user_entry(
    request: &AuthorizationRequest,
    by: Option<(&User, Option<String>)>,
    action: &str,
    user: &User,
    at: Timestamp,
) -> AuditEntry {
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    AuditEntry {
        subject_kind: "user".into(),
        subject_id: user.id.0.clone(),
        details: format!(
            "{} roles={} active={} (authorization request {})",
            user.email,
            roles.join(","),
            user.active,
            request.id.0
        ),
        ..audit(request, by, action, at, String::new())
    }
}

#[cfg(test)]
mod tests {
    use guichet_domain::authorization::{AuthorizationStatus, Channel};
    use guichet_domain::user::Language;

    use super::*;

    fn request(change: Change) -> AuthorizationRequest {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        AuthorizationRequest {
            id: AuthorizationId("r".into()),
            company: guichet_domain::company::CompanyId("c".into()),
            case: guichet_domain::case::CaseId("k".into()),
            case_number: guichet_domain::case::CaseNumber(7),
            change,
            user_email: EmailAddress::parse("marie@lumiere.example").unwrap(),
            user: None,
            requested_by: UserId("a".into()),
            requested_by_email: EmailAddress::parse("analyst@support.example").unwrap(),
            requested_at: now,
            expires_at: now,
            status: AuthorizationStatus::Pending,
            decision: None,
            outcome: None,
            reply_token: new_reply_token(),
        }
    }

    #[test]
    fn every_request_status_outcome_and_channel_has_words_in_both_languages() {
        for language in [Language::En, Language::Fr] {
            let tr = Tr::new(language);
            for status in ["pending", "authorized", "refused", "expired"] {
                assert!(tr.has(&format!("authorization-status-{status}")), "{status}");
            }
            for outcome in [
                "designated",
                "invited",
                "roles_changed",
                "password_link_sent",
                "identity_system_notified",
            ] {
                assert!(tr.has(&format!("authorization-outcome-{outcome}")), "{outcome}");
            }
            for via in [Channel::Portal, Channel::Api, Channel::Mail] {
                assert!(tr.has(&format!("authorization-via-{}", via.as_str())));
            }
            for name in ["designated", "manager", "active"] {
                for side in ["on", "off"] {
                    assert!(tr.has(&format!("authorization-permission-{name}-{side}")));
                }
            }
            for account in ["portal", "product"] {
                let words = tr.t1(&format!("authorization-summary-reset-{account}"), "user", "x@y.example");
                assert!(
                    words.contains("x@y.example") && !words.contains("authorization-"),
                    "{words}"
                );
            }
        }
    }

    #[test]
    fn summaries_name_the_change_and_the_person() {
        let fr = Tr::new(Language::Fr);
        let en = Tr::new(Language::En);
        let designate = request(Change::DesignateSupportUser { invitation: None });
        assert!(summary(&en, &designate).contains("marie@lumiere.example"));
        assert!(summary(&fr, &designate).contains("utilisateur désigné de l'assistance"));
        let change = request(Change::PermissionChange {
            permissions: Permissions {
                authorized_manager: Some(true),
                active: Some(false),
                ..Permissions::default()
            },
        });
        let words = summary(&en, &change);
        assert!(
            words.contains("authorized manager") && words.contains("deactivated"),
            "{words}"
        );
        let reset = request(Change::PasswordReset {
            account: Account::Product,
        });
        assert!(summary(&en, &reset).contains("product account"));
    }

    #[test]
    fn reply_tokens_survive_lower_casing() {
        let token = new_reply_token();
        assert_eq!(token, token.to_lowercase());
        assert_eq!(token.len(), 42);
        assert!(token.starts_with("a-"));
        assert_ne!(token, new_reply_token());
    }
}
