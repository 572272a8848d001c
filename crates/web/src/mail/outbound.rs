//! The mail worker (run by the housekeeping loop): case notifications
//! become one mail per recipient, in the recipient's language, and every
//! `mail` row of the outbox is sent — through SMTP (lettre, rustls) when
//! `mail.smtp` is configured, else written as an `.eml` file. A failed try
//! is retried with exponential backoff (1 min, 2 min, … at most 6 h apart);
//! a refusal by the receiving server (5xx), or the last try, gives the mail
//! up, and administrators see it in `GET /api/v1/mail/failures`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use guichet_domain::case::{Answer, Case, CaseId, Happening};
use guichet_domain::company::{CompanyId, CompanyKind};
use guichet_domain::user::{Language, UserId};
use guichet_store::OutboxMessage;
use jiff::SignedDuration;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

use super::{Mail, MailSettings, SmtpSettings, SmtpTls, new_case_token};
use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Tr;

/// How long a claimed row is kept from other workers.
const LEASE: SignedDuration = SignedDuration::from_mins(5);
const FIRST_RETRY: SignedDuration = SignedDuration::from_mins(1);
const LONGEST_WAIT: SignedDuration = SignedDuration::from_hours(6);
/// Notifications older than this are dropped rather than mailed (a new
/// installation of the worker does not mail a backlog).
const TOO_OLD: SignedDuration = SignedDuration::from_hours(48);

/// The wait before the next try, after `attempts` failed ones.
fn backoff(attempts: i32) -> SignedDuration {
    let doubled = FIRST_RETRY.as_secs().saturating_mul(1i64 << attempts.clamp(0, 20));
    SignedDuration::from_secs(doubled).min(LONGEST_WAIT)
}

/// Where mails go.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in this directory.
    Files(PathBuf),
}

/// Why a mail did not go.
#[derive(Debug)]
struct NotSent {
    /// Trying again cannot help (the server refused it for good, the
    /// address is not one).
    permanent: bool,
    error: String,
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, String> {
        match &settings.smtp {
            None => Ok(Self::Files(settings.outgoing_dir.clone())),
            Some(smtp) => smtp_transport(smtp).map(Self::Smtp),
        }
    }

    async fn send(&self, message: &Message, id: &str) -> Result<(), NotSent> {
        match self {
            Self::Smtp(transport) => transport
                .send(message.clone())
                .await
                .map(|_| ())
                .map_err(|error| NotSent {
                    permanent: error.is_permanent(),
                    error: smtp_words(&error),
                }),
            Self::Files(dir) => write_file(dir, id, &message.formatted())
                .await
                .map_err(|error| NotSent {
                    permanent: false,
                    error: format!("writing to {}: {error}", dir.display()),
                }),
        }
    }
}

fn smtp_transport(smtp: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for {host}: {e}"));
    let host = smtp.host.as_str();
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(smtp.port);
    let builder = match smtp.tls {
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls(host)?)),
        SmtpTls::Starttls => builder.tls(Tls::Required(tls(host)?)),
        SmtpTls::Opportunistic => builder.tls(Tls::Opportunistic(tls(host)?)),
        SmtpTls::None => builder.tls(Tls::None),
    };
    let builder = if smtp.username.is_empty() {
        builder
    } else {
        builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.expose().to_owned(),
        ))
    };
    Ok(builder.timeout(Some(Duration::from_secs(30))).build())
}

/// An SMTP error in words, without credentials (lettre's never holds them).
fn smtp_words(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!("the SMTP server answered {code}: {error}"),
        None if error.is_timeout() => "the SMTP server did not answer in time".into(),
        None => format!("SMTP: {error}"),
    }
}

/// Writes `bytes` as `<dir>/<id>.eml`, whole or not at all.
async fn write_file(dir: &Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, dir.join(format!("{id}.eml"))).await
}

/// What a round of the mail worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailRound {
    /// Mails made from notifications.
    pub queued: usize,
    pub sent: usize,
    /// Tries that failed (to be retried or given up).
    pub failed: usize,
}

/// One round of the mail worker: notifications into mails, then every due
/// mail sent.
pub async fn deliver_mail(state: &AppState) -> Result<MailRound, ApiError> {
    let queued = expand_notifications(state).await?;
    let (sent, failed) = send_due(state).await?;
    Ok(MailRound { queued, sent, failed })
}

/// `notification` rows of the outbox: an event on a case for some users.
#[derive(Debug, Deserialize)]
struct Notification {
    event: String,
    case: CaseId,
    recipients: Vec<UserId>,
}

async fn expand_notifications(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let due = state.store.claim_outbox("notification", now, now + LEASE, 50).await?;
    let mut queued = 0;
    let mut kinds: HashMap<CompanyId, CompanyKind> = HashMap::new();
    for row in due {
        let id = row.message.id.clone();
        let Ok(notification) = serde_json::from_str::<Notification>(&row.message.payload) else {
            state
                .store
                .outbox_failed(&id, "unreadable notification", None, now)
                .await?;
            continue;
        };
        let case = match state.store.case_by_id(&notification.case).await? {
            Some(case) if row.message.created_at + TOO_OLD >= now => case,
            _ => {
                state.store.expand_outbox(&id, &[], now).await?;
                continue;
            }
        };
        let mut mails = Vec::new();
        let mut token = None;
        for recipient in &notification.recipients {
            let Some(user) = state.store.user(recipient).await?.filter(|u| u.active) else {
                continue;
            };
            let kind = match kinds.get(&user.company_id) {
                Some(kind) => *kind,
                None => {
                    let kind = state
                        .store
                        .company(&user.company_id)
                        .await?
                        .map_or(CompanyKind::Customer, |c| c.kind);
                    kinds.insert(user.company_id.clone(), kind);
                    kind
                }
            };
            // Staff answer in the portal: a reply by mail would be a public
            // comment, which a reply to a note must never become.
            let reply_token = if kind == CompanyKind::Vendor {
                None
            } else {
                if token.is_none() {
                    token = Some(state.store.case_reply_token(&case.id, &new_case_token(), now).await?);
                }
                token.clone()
            };
            let latest = latest_text(state, &case, &notification.event).await?;
            let mail = notification_mail(
                &state.settings.mail,
                &case,
                &notification.event,
                latest.as_deref(),
                &user.email.to_string(),
                user.language,
                reply_token,
            );
            mails.push(OutboxMessage::new("mail", &mail, now));
        }
        queued += mails.len();
        state.store.expand_outbox(&id, &mails, now).await?;
    }
    Ok(queued)
}

/// The text a notification shows: the last public comment or answer.
async fn latest_text(state: &AppState, case: &Case, event: &str) -> Result<Option<String>, ApiError> {
    if !matches!(event, "case_commented" | "case_answered") {
        return Ok(None);
    }
    let events = state.store.case_events(&case.id, false).await?;
    Ok(events.iter().rev().find_map(|e| match &e.happening {
        Happening::Commented { body } if event == "case_commented" => Some(body.clone()),
        Happening::Answered { answer } if event == "case_answered" => Some(answer_text(answer)),
        _ => None,
    }))
}

fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::Update { done, next } => format!("{done}\n\n{next}"),
        Answer::DocReferral { body, articles } if !articles.is_empty() => {
            format!("{body}\n\n{}", articles.join("\n"))
        }
        Answer::DocReferral { body, .. }
        | Answer::Workaround { body }
        | Answer::NeedInfo { body }
        | Answer::Recreating { body }
        | Answer::Solution { body } => body.clone(),
    }
}

/// The events a notification's mail names in words (`mail-event-…`);
/// others are "updated".
pub const EVENTS: &[&str] = &[
    "case_opened",
    "case_assigned",
    "case_answered",
    "case_noted",
    "case_commented",
    "update_requested",
    "escalation_requested",
    "escalation_reviewed",
    "case_closed",
    "case_escalated",
    "case_incident",
    "case_split",
    "expert_engaged",
    "expert_message",
    "solution_accepted",
    "case_reopened",
    "sla_warning",
    "sla_breach",
];

/// A notification's mail in `language`: what happened, the latest text,
/// the link to the case; with a reply token, the line a reply is cut at.
fn notification_mail(
    settings: &MailSettings,
    case: &Case,
    event: &str,
    latest: Option<&str>,
    to: &str,
    language: Language,
    reply_token: Option<String>,
) -> Mail {
    let tr = Tr::new(language);
    let number = case.number.0.to_string();
    let happened = if EVENTS.contains(&event) {
        tr.t1(&format!("mail-event-{}", event.replace('_', "-")), "number", &number)
    } else {
        tr.t1("mail-event-other", "number", &number)
    };
    let mut body = String::new();
    if reply_token.is_some() {
        body.push_str(&tr.t1("mail-reply-above", "number", &number));
        body.push_str("\n\n");
    }
    body.push_str(&happened);
    body.push_str("\n\n");
    body.push_str(&tr.t2(
        "mail-case-line",
        ("number", &number),
        ("subject", case.subject.as_str()),
    ));
    if let Some(text) = latest {
        body.push_str("\n\n");
        body.push_str(text);
    }
    let portal = settings.portal_url.trim_end_matches('/');
    body.push_str("\n\n");
    body.push_str(&tr.t1("mail-case-link", "link", format!("{portal}/cases/{number}")));
    if reply_token.is_some() {
        body.push('\n');
        body.push_str(&tr.t("mail-reply-hint"));
    }
    body.push('\n');
    Mail {
        to: to.to_owned(),
        subject: tr.t2(
            "mail-notification-subject",
            ("number", &number),
            ("subject", case.subject.as_str()),
        ),
        body,
        language: language.code().to_owned(),
        headers: vec![("Auto-Submitted".into(), "auto-generated".into())],
        reply_token,
    }
}

/// Builds the message of the outbox row `id`.
fn message(settings: &MailSettings, id: &str, mail: &Mail) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("mail.from `{}`: {e}", settings.from))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| format!("`{}` is not an address: {e}", mail.to))?;
    let token = mail.reply_token.as_deref().filter(|t| super::is_token(t));
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .date(SystemTime::now())
        .message_id(Some(format!("<{}>", settings.message_id(id, token))));
    if let Some(token) = token {
        let reply_to: Mailbox = settings
            .reply_address(token)
            .parse()
            .map_err(|e| format!("the reply address: {e}"))?;
        builder = builder.reply_to(reply_to);
    }
    let mut headers = mail.headers.clone();
    headers.push(("Content-Language".into(), mail.language.clone()));
    for (name, value) in headers {
        let name = HeaderName::new_from_ascii(name.clone()).map_err(|_| format!("`{name}` is not a header name"))?;
        // Values are ours, but never let a line break start a header.
        let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        builder = builder.raw_header(HeaderValue::new(name, value));
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| format!("building the message: {e}"))
}

/// Sends the `mail` rows that are due; returns how many went and how many
/// failed.
async fn send_due(state: &AppState) -> Result<(usize, usize), ApiError> {
    let settings = &state.settings.mail;
    let now = state.clock.now();
    let due = state.store.claim_outbox("mail", now, now + LEASE, 50).await?;
    if due.is_empty() {
        return Ok((0, 0));
    }
    let mailer = Mailer::from_settings(settings);
    let (mut sent, mut failed) = (0, 0);
    for row in due {
        let id = row.message.id.clone();
        let outcome = match (&mailer, serde_json::from_str::<Mail>(&row.message.payload)) {
            (_, Err(error)) => Err(NotSent {
                permanent: true,
                error: format!("unreadable mail: {error}"),
            }),
            (Err(error), _) => Err(NotSent {
                permanent: false,
                error: error.clone(),
            }),
            (Ok(mailer), Ok(mail)) => match message(settings, &id, &mail) {
                Ok(message) => mailer.send(&message, &id).await,
                Err(error) => Err(NotSent { permanent: true, error }),
            },
        };
        let after = state.clock.now();
        match outcome {
            Ok(()) => {
                state.store.mail_sent(&id, after).await?;
                sent += 1;
            }
            Err(not_sent) => {
                failed += 1;
                let tries = row.attempts + 1;
                let retry =
                    (!not_sent.permanent && tries < settings.max_attempts).then(|| after + backoff(row.attempts));
                if retry.is_none() {
                    tracing::error!(mail = %id, tries, error = %not_sent.error, "mail given up");
                } else {
                    tracing::warn!(mail = %id, tries, error = %not_sent.error, "mail not sent; will retry");
                }
                state.store.outbox_failed(&id, &not_sent.error, retry, after).await?;
            }
        }
    }
    Ok((sent, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_its_words_in_both_languages() {
        for language in [Language::En, Language::Fr] {
            let tr = Tr::new(language);
            for event in EVENTS.iter().copied().chain(["something_new"]) {
                let id = if EVENTS.contains(&event) {
                    format!("mail-event-{}", event.replace('_', "-"))
                } else {
                    "mail-event-other".to_owned()
                };
                let words = tr.t1(&id, "number", "1042");
                assert!(
                    words.contains("1042") && !words.contains("mail-event"),
                    "{event}: {words}"
                );
            }
            for id in ["mail-reply-hint", "mail-refused-subject", "mail-refused-intro-untitled"] {
                assert!(tr.has(id), "{id}");
            }
            assert!(
                super::super::text::REPLY_ABOVE
                    .iter()
                    .any(|marker| tr.t1("mail-reply-above", "number", "1").contains(marker)),
                "a reply is cut at the marker line"
            );
        }
    }

    #[test]
    fn retries_back_off_up_to_six_hours() {
        assert_eq!(backoff(0), SignedDuration::from_mins(1));
        assert_eq!(backoff(2), SignedDuration::from_mins(4));
        assert_eq!(backoff(12), LONGEST_WAIT);
    }

    #[test]
    fn a_mail_carries_its_reply_address_language_and_no_injected_header() {
        let settings = MailSettings::default();
        let token = new_case_token();
        let mail = Mail {
            to: "dana@acme.example".into(),
            subject: "[Case 1042] Totals are off".into(),
            body: "Case 1042 was answered.\n".into(),
            language: "fr".into(),
            headers: vec![("X-Note".into(), "one\r\nBcc: eve@evil.example".into())],
            reply_token: Some(token.clone()),
        };
        let built = message(&settings, "0193", &mail).unwrap();
        let text = String::from_utf8(built.formatted()).unwrap();
        assert!(
            text.contains(&format!("Reply-To: support+{token}@support.example")),
            "{text}"
        );
        assert!(
            text.contains(&format!("Message-ID: <{token}.0193@support.example>")),
            "{text}"
        );
        assert!(text.contains("Content-Language: fr"), "{text}");
        assert!(!text.contains("\r\nBcc:"), "{text}");
        let bad = Mail {
            to: "not an address".into(),
            ..mail
        };
        assert!(message(&settings, "0194", &bad).is_err());
    }
}
