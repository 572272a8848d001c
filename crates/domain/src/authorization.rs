//! Company authorization of privileged requests (R25): a new designated
//! support user, a change of a user's customer roles, a password reset.
//! Such a request is raised on an open case and carried out only once an
//! authorized manager of the same company authorizes it; a refusal, or no
//! answer before it expires, ends it without effect.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::{CaseId, CaseNumber};
use crate::company::CompanyId;
use crate::email::EmailAddress;
use crate::user::{DisplayName, Language, Role, User, UserId};
use crate::{Invalid, InvalidKind};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthorizationId(pub String);

impl AuthorizationId {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        crate::invalid::opaque_id(input, "authorization request").map(Self)
    }
}

/// The three kinds of privileged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationKind {
    DesignateSupportUser,
    PermissionChange,
    PasswordReset,
}

impl AuthorizationKind {
    pub const ALL: [Self; 3] = [Self::DesignateSupportUser, Self::PermissionChange, Self::PasswordReset];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DesignateSupportUser => "designate_support_user",
            Self::PermissionChange => "permission_change",
            Self::PasswordReset => "password_reset",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!(
                        "`{}` is not a kind of authorization request (designate_support_user, permission_change, \
                     password_reset)",
                        input.trim().escape_debug()
                    ),
                )
            })
    }
}

/// Whose password a reset is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// The person's Guichet account: they get a link to choose a new one.
    Portal,
    /// The person's account in the vendor's product: its identity system is
    /// told by a signed webhook (Guichet does not own it).
    Product,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Product => "product",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "portal" => Ok(Self::Portal),
            "product" => Ok(Self::Product),
            other => Err(Invalid::new(
                InvalidKind::Unknown,
                format!("`{}` is not an account (portal, product)", other.escape_debug()),
            )),
        }
    }
}

/// A person to invite as a new designated support user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub display_name: DisplayName,
    pub language: Language,
}

/// The customer roles a permission change sets; `None` leaves one as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_manager: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl Permissions {
    /// The settings that would change `user`: none is an empty request.
    pub fn changes_for(&self, user: &User) -> Permissions {
        let differs = |wanted: Option<bool>, now: bool| wanted.filter(|w| *w != now);
        Permissions {
            designated: differs(self.designated, user.is_designated()),
            authorized_manager: differs(self.authorized_manager, user.has(Role::AuthorizedManager)),
            active: differs(self.active, user.active),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.designated.is_none() && self.authorized_manager.is_none() && self.active.is_none()
    }

    /// Applies the change to `user`.
    pub fn apply(&self, user: &mut User) {
        let mut set = |role: Role, on: Option<bool>| match on {
            Some(true) if !user.roles.contains(&role) => {
                user.roles.push(role);
                user.roles.sort();
            }
            Some(false) => user.roles.retain(|r| *r != role),
            _ => {}
        };
        set(Role::DesignatedSupportUser, self.designated);
        set(Role::AuthorizedManager, self.authorized_manager);
        if let Some(active) = self.active {
            user.active = active;
        }
    }
}

/// What a request would change, with the details of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// An existing user of the company (`invitation: None`), or a new
    /// person invited by email.
    DesignateSupportUser {
        invitation: Option<Invitation>,
    },
    PermissionChange {
        permissions: Permissions,
    },
    PasswordReset {
        account: Account,
    },
}

impl Change {
    pub fn kind(&self) -> AuthorizationKind {
        match self {
            Self::DesignateSupportUser { .. } => AuthorizationKind::DesignateSupportUser,
            Self::PermissionChange { .. } => AuthorizationKind::PermissionChange,
            Self::PasswordReset { .. } => AuthorizationKind::PasswordReset,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    Pending,
    Authorized,
    Refused,
    Expired,
}

impl AuthorizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        [Self::Pending, Self::Authorized, Self::Refused, Self::Expired]
            .into_iter()
            .find(|s| s.as_str() == input)
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not a status", input.escape_debug()),
                )
            })
    }
}

/// How a decision reached Guichet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Portal,
    Api,
    Mail,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Api => "api",
            Self::Mail => "mail",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        [Self::Portal, Self::Api, Self::Mail]
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not a channel", input.escape_debug()),
                )
            })
    }
}

/// A decision taken: who, when, how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub by: UserId,
    pub by_email: EmailAddress,
    pub at: Timestamp,
    pub via: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub id: AuthorizationId,
    /// The customer company whose authorized managers decide.
    pub company: CompanyId,
    pub case: CaseId,
    pub case_number: CaseNumber,
    pub change: Change,
    /// The person concerned.
    pub user_email: EmailAddress,
    /// Their account, when they have one.
    pub user: Option<UserId>,
    pub requested_by: UserId,
    pub requested_by_email: EmailAddress,
    pub requested_at: Timestamp,
    pub expires_at: Timestamp,
    pub status: AuthorizationStatus,
    pub decision: Option<Decision>,
    /// What was carried out once authorized.
    pub outcome: Option<String>,
    /// The token a manager's emailed reply carries (`a-…`).
    pub reply_token: String,
}

/// Why a decision was not taken; `code` is stable (API and mail replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Already authorized, refused or expired.
    NotPending,
    /// Pending, but past its expiry.
    Expired,
    /// The decider is not an authorized manager of the request's company
    /// (or not active).
    NotAuthorizedManager,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotPending => "not_pending",
            Self::Expired => "expired",
            Self::NotAuthorizedManager => "not_authorized_manager",
        }
    }
}

impl AuthorizationRequest {
    /// The status as of `now`: a pending request past its expiry is expired
    /// even before the housekeeping worker writes it down.
    pub fn status_at(&self, now: Timestamp) -> AuthorizationStatus {
        if self.status == AuthorizationStatus::Pending && now >= self.expires_at {
            AuthorizationStatus::Expired
        } else {
            self.status
        }
    }

    /// Whether `user` may decide this request: an active authorized manager
    /// of its company.
    pub fn may_decide(&self, user: &User) -> bool {
        user.active && user.company_id == self.company && user.has(Role::AuthorizedManager)
    }

    /// Records `decider`'s decision, if they may take it now.
    pub fn decide(&mut self, decider: &User, authorize: bool, now: Timestamp, via: Channel) -> Result<(), Refusal> {
        match self.status_at(now) {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Expired if self.status == AuthorizationStatus::Pending => {
                return Err(Refusal::Expired);
            }
            _ => return Err(Refusal::NotPending),
        }
        if !self.may_decide(decider) {
            return Err(Refusal::NotAuthorizedManager);
        }
        self.status = if authorize {
            AuthorizationStatus::Authorized
        } else {
            AuthorizationStatus::Refused
        };
        self.decision = Some(Decision {
            by: decider.id.clone(),
            by_email: decider.email.clone(),
            at: now,
            via,
        });
        Ok(())
    }
}

/// The verbs that decide a request by email, on the first line of the
/// reply: `AUTHORIZE`, `AUTORISER`, `J'AUTORISE` authorize; `REFUSE`,
/// `REFUSER` refuse. Case does not matter, nor a typographic apostrophe;
/// the verb must be a whole word (`AUTHORIZED?` is not one of them).
pub fn verdict(first_line: &str) -> Option<bool> {
    let line = first_line.trim_start().replace('\u{2019}', "'").to_uppercase();
    let word: String = line.chars().take_while(|c| c.is_alphabetic() || *c == '\'').collect();
    match word.as_str() {
        "AUTHORIZE" | "AUTHORISE" | "AUTORISER" | "J'AUTORISE" => Some(true),
        "REFUSE" | "REFUSER" => Some(false),
        _ => None,
    }
}

/// R25: who reads a customer company's authorization requests: its
/// authorized managers, who decide them, and its designated users, who
/// speak for it on cases.
pub fn reads_company_requests(user: &User) -> bool {
    user.has(Role::AuthorizedManager) || user.is_designated()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::CompanyId;

    #[test]
    fn managers_and_designated_users_read_their_companys_requests() {
        assert!(reads_company_requests(&user(vec![Role::AuthorizedManager], "c1")));
        assert!(reads_company_requests(&user(vec![Role::DesignatedSupportUser], "c1")));
        assert!(!reads_company_requests(&user(vec![], "c1")));
    }

    fn user(roles: Vec<Role>, company: &str) -> User {
        User {
            id: UserId("u1".into()),
            company_id: CompanyId(company.into()),
            email: EmailAddress::parse("chef@lumiere.example").unwrap(),
            display_name: DisplayName::parse("Chef").unwrap(),
            language: Language::Fr,
            active: true,
            roles,
            skills: Vec::new(),
        }
    }

    fn request(now: Timestamp) -> AuthorizationRequest {
        AuthorizationRequest {
            id: AuthorizationId("r1".into()),
            company: CompanyId("lumiere".into()),
            case: CaseId("c1".into()),
            case_number: CaseNumber(1),
            change: Change::DesignateSupportUser { invitation: None },
            user_email: EmailAddress::parse("marie@lumiere.example").unwrap(),
            user: Some(UserId("u2".into())),
            requested_by: UserId("analyst".into()),
            requested_by_email: EmailAddress::parse("analyst@support.example").unwrap(),
            requested_at: now,
            expires_at: now + jiff::SignedDuration::from_hours(24 * 7),
            status: AuthorizationStatus::Pending,
            decision: None,
            outcome: None,
            reply_token: "a-token".into(),
        }
    }

    #[test]
    fn only_an_active_authorized_manager_of_the_company_decides() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let manager = user(vec![Role::DesignatedSupportUser, Role::AuthorizedManager], "lumiere");
        let designated = user(vec![Role::DesignatedSupportUser], "lumiere");
        let elsewhere = user(vec![Role::AuthorizedManager], "acme");
        let mut inactive = manager.clone();
        inactive.active = false;
        for who in [&designated, &elsewhere, &inactive] {
            let mut r = request(now);
            assert_eq!(
                r.decide(who, true, now, Channel::Api),
                Err(Refusal::NotAuthorizedManager)
            );
            assert_eq!(r.status, AuthorizationStatus::Pending);
        }
        let mut r = request(now);
        r.decide(&manager, true, now, Channel::Portal).unwrap();
        assert_eq!(r.status, AuthorizationStatus::Authorized);
        assert_eq!(r.decision.as_ref().unwrap().via, Channel::Portal);
        assert_eq!(r.decide(&manager, false, now, Channel::Api), Err(Refusal::NotPending));
        assert_eq!(r.status, AuthorizationStatus::Authorized);
    }

    #[test]
    fn a_request_expires_unanswered() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let manager = user(vec![Role::AuthorizedManager], "lumiere");
        let mut r = request(now);
        let late = r.expires_at;
        assert_eq!(r.status_at(late), AuthorizationStatus::Expired);
        assert_eq!(r.decide(&manager, true, late, Channel::Mail), Err(Refusal::Expired));
        assert_eq!(r.status, AuthorizationStatus::Pending);
        r.decide(
            &manager,
            false,
            late - jiff::SignedDuration::from_secs(1),
            Channel::Mail,
        )
        .unwrap();
        assert_eq!(r.status_at(late), AuthorizationStatus::Refused);
    }

    #[test]
    fn permission_changes_only_name_what_differs() {
        let mut marie = user(vec![], "lumiere");
        let wanted = Permissions {
            designated: Some(true),
            authorized_manager: Some(false),
            active: Some(true),
        };
        let changes = wanted.changes_for(&marie);
        assert_eq!(
            changes,
            Permissions {
                designated: Some(true),
                ..Permissions::default()
            }
        );
        changes.apply(&mut marie);
        assert!(marie.is_designated());
        assert!(wanted.changes_for(&marie).is_empty());
        Permissions {
            designated: Some(false),
            active: Some(false),
            ..Permissions::default()
        }
        .apply(&mut marie);
        assert!(!marie.is_designated() && !marie.active);
    }

    #[test]
    fn verdicts_read_the_first_word_in_both_languages() {
        for yes in [
            "AUTHORIZE",
            "authorize.",
            "Autoriser",
            "J'AUTORISE la demande",
            "j’autorise",
            "  AUTHORISE",
        ] {
            assert_eq!(verdict(yes), Some(true), "{yes}");
        }
        for no in ["REFUSE", "Refuser, merci", "refuse!"] {
            assert_eq!(verdict(no), Some(false), "{no}");
        }
        for neither in ["", "> AUTHORIZE", "AUTHORIZED", "I authorize", "Refused", "OK"] {
            assert_eq!(verdict(neither), None, "{neither}");
        }
    }

    #[test]
    fn kinds_and_accounts_parse_their_names() {
        for kind in AuthorizationKind::ALL {
            assert_eq!(AuthorizationKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert_eq!(AuthorizationKind::parse("root").unwrap_err().kind, InvalidKind::Unknown);
        assert_eq!(Account::parse("product").unwrap(), Account::Product);
        assert!(Account::parse("bank").is_err());
    }
}
