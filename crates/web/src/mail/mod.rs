//! The email channel: inbound messages become comments, cases or
//! authorization decisions; outbound notifications leave through SMTP or as
//! `.eml` files.
//!
//! - `inbound`: parse (mail-parser), authenticate (`auth`: DKIM and DMARC
//!   through mail-auth), refuse replays, route by the reply token in the
//!   recipient address, record every outcome and answer refusals.
//! - `outbound`: the mail worker: case notifications become one mail per
//!   recipient in their language; `mail` rows of the outbox are sent with
//!   retries and backoff, and given up visibly.
//! - `text`: what a reply says, without the quoted mail and the signature.

pub mod auth;
pub mod inbound;
pub mod outbound;
pub mod text;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use guichet_domain::email::EmailAddress;
use serde::{Deserialize, Serialize};

pub use inbound::{Received, receive};
pub use outbound::{Mailer, deliver_mail};

/// The sender of an inbound message, as far as the message proves it.
///
/// Built only after the message was parsed, authenticated and checked for a
/// replay; what it carries is what a decision by mail may rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSender {
    /// The address in the `From` header (display name dropped).
    pub from: EmailAddress,
    /// The message passed DMARC with a DKIM signature aligned with the
    /// `From` domain.
    pub dmarc_aligned: bool,
    /// The message's `Message-ID`, without angle brackets.
    pub message_id: String,
    /// The first non-empty line of the reply, above any quoted text.
    pub first_line: String,
}

/// Why an inbound message changed nothing: a stable code (recorded with
/// the message and named in the answer to the sender) and its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRefusal {
    pub code: &'static str,
    pub reason: String,
}

impl MailRefusal {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for MailRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.reason)
    }
}

/// A mail for the mail worker (the `mail` rows of the outbox), already in
/// its reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub language: String,
    /// Extra headers (RFC 8058 one-click unsubscribe, `In-Reply-To`, …).
    pub headers: Vec<(String, String)>,
    /// A reply to this mail goes to `support+<token>@<support domain>`:
    /// a case's token (`c-…`) or an authorization request's (`a-…`).
    #[serde(default)]
    pub reply_token: Option<String>,
}

/// A secret from the configuration: kept out of `Debug` and logs.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"[redacted]\"" })
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// STARTTLS, required (port 587).
    Starttls,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// Plain text: a relay on the same machine or network only.
    None,
}

/// Where outbound mail goes when an SMTP server is configured.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Secret,
    pub tls: SmtpTls,
}

/// The email channel's settings, from the configuration.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The address customers write to; replies go to
    /// `<local part>+<token>@<its domain>`.
    pub support_address: EmailAddress,
    /// The `From` of outbound mail (`Name <address>` or an address).
    pub from: String,
    /// The portal's public address, for links in mails.
    pub portal_url: String,
    /// A JSON file `{ "name": ["TXT record", …] }` answering DKIM and
    /// DMARC lookups instead of DNS.
    pub dns_records: Option<PathBuf>,
    /// The bearer secret of `POST /api/v1/inbound-mail`; empty: the
    /// endpoint is off.
    pub inbound_secret: Secret,
    /// `None`: mails are written as `.eml` files to `outgoing_dir`.
    pub smtp: Option<SmtpSettings>,
    pub outgoing_dir: PathBuf,
    /// A mail is tried this many times, then given up.
    pub max_attempts: i32,
}

/// The largest inbound message taken, in bytes (the webhook's body limit
/// too).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            support_address: EmailAddress::parse("support@support.example").expect("a valid address"),
            from: "Guichet <support@support.example>".into(),
            portal_url: "http://localhost:8080".into(),
            dns_records: None,
            inbound_secret: Secret::default(),
            smtp: None,
            outgoing_dir: PathBuf::from("./guichet-data/mail/outgoing"),
            max_attempts: 8,
        }
    }
}

impl MailSettings {
    /// Whether the settings can work: `from` is a mailbox, the DNS records
    /// file reads.
    pub fn check(&self) -> Result<(), String> {
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("from `{}` is not an address: {e}", self.from))?;
        if let Some(path) = &self.dns_records {
            auth::DnsRecords::load(path).map_err(|e| format!("dns_records: {e}"))?;
        }
        Ok(())
    }

    /// The support address's part before the `@`.
    fn support_local(&self) -> &str {
        let address = self.support_address.as_str();
        address.rsplit_once('@').map_or(address, |(local, _)| local)
    }

    /// The address a reply carrying `token` is sent to.
    pub fn reply_address(&self, token: &str) -> String {
        format!("{}+{token}@{}", self.support_local(), self.support_address.domain())
    }

    /// The token of a reply address (`support+<token>@<support domain>`),
    /// if `address` is one.
    pub fn token_of(&self, address: &str) -> Option<String> {
        let (local, domain) = address.trim().rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(self.support_address.domain()) {
            return None;
        }
        let (base, token) = local.split_once('+')?;
        (base.eq_ignore_ascii_case(self.support_local()) && is_token(token)).then(|| token.to_owned())
    }

    /// Whether `address` is the support address itself.
    pub fn is_support_address(&self, address: &str) -> bool {
        address.trim().eq_ignore_ascii_case(self.support_address.as_str())
    }

    /// A `Message-ID` (without brackets) for the outbox row `id`; it
    /// carries `token` so a reply sent to the plain support address still
    /// finds its case through `In-Reply-To`.
    pub fn message_id(&self, id: &str, token: Option<&str>) -> String {
        match token {
            Some(token) => format!("{token}.{id}@{}", self.support_address.domain()),
            None => format!("{id}@{}", self.support_address.domain()),
        }
    }

    /// The token carried by one of our `Message-ID`s.
    pub fn token_of_message_id(&self, id: &str) -> Option<String> {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = id.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(self.support_address.domain()) {
            return None;
        }
        let (token, _) = local.split_once('.')?;
        is_token(token).then(|| token.to_owned())
    }
}

/// A reply token: a kind letter, a dash and 16 to 64 letters, digits,
/// `-` or `_` (`c-…` for cases, `a-…` for authorization requests).
pub fn is_token(token: &str) -> bool {
    let mut chars = token.chars();
    let kind = chars.next();
    kind.is_some_and(|c| c.is_ascii_lowercase())
        && chars.next() == Some('-')
        && (16..=64).contains(&(token.len() - 2))
        && token[2..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A new case reply token: `c-` and 120 random bits in lower-case base32,
/// so mail software that lower-cases addresses keeps it intact.
pub fn new_case_token() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bytes: [u8; 24] = rand::random();
    let token: String = bytes.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    format!("c-{token}")
}

/// The checker of inbound mail, made on first use from the settings (the
/// DNS records file, or the system's resolver).
#[derive(Default)]
pub struct Channel {
    authenticator: OnceLock<Result<Arc<auth::Authenticator>, String>>,
}

impl Channel {
    pub(crate) fn authenticator(&self, settings: &MailSettings) -> Result<Arc<auth::Authenticator>, String> {
        self.authenticator
            .get_or_init(|| {
                let made = match &settings.dns_records {
                    Some(path) => auth::DnsRecords::load(path).map(auth::Authenticator::with_records),
                    None => auth::Authenticator::with_system_resolver(),
                };
                made.map(Arc::new)
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_addresses_carry_the_token_and_only_ours_are_read() {
        let settings = MailSettings::default();
        let token = new_case_token();
        assert!(is_token(&token), "{token}");
        assert_eq!(token.len(), 26);
        let address = settings.reply_address(&token);
        assert_eq!(address, format!("support+{token}@support.example"));
        assert_eq!(settings.token_of(&address), Some(token.clone()));
        assert_eq!(
            settings.token_of(&address.to_uppercase()),
            None,
            "tokens are lower-case"
        );
        assert_eq!(settings.token_of(&format!("support+{token}@evil.example")), None);
        assert_eq!(settings.token_of(&format!("sales+{token}@support.example")), None);
        assert_eq!(settings.token_of("support+short@support.example"), None);
        assert_eq!(settings.token_of("support@support.example"), None);
        assert!(settings.is_support_address("Support@Support.Example"));

        let id = settings.message_id("0193abcd", Some(&token));
        assert_eq!(settings.token_of_message_id(&format!("<{id}>")), Some(token.clone()));
        assert_eq!(
            settings.token_of_message_id(&settings.message_id("0193abcd", None)),
            None
        );
        assert_eq!(settings.token_of_message_id(&format!("<{token}.x@evil.example>")), None);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let secret = Secret("hunter2".into());
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }
}
