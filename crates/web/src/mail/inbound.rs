//! Inbound mail, from `guichet mail ingest` (a mail server's pipe) or
//! `POST /api/v1/inbound-mail` (a provider's webhook):
//!
//! ```text
//! parse (mail-parser)            unreadable, no single From, no Message-ID → refused, recorded
//! authenticate (auth.rs)         DKIM + DMARC; a DNS failure defers the message (nothing recorded)
//! claim the Message-ID           seen before → `replayed`
//! route by the reply token       support+a-… → an authorization decision (DMARC pass required)
//!                                support+c-… → a comment on that case, from someone who may read it
//!                                no token    → a new case, from someone who may open cases (R3)
//! record the outcome             with the reply to the sender when something was refused
//! ```
//!
//! Comments and new cases do not require DMARC to pass: many customer
//! domains sign nothing, and a comment needs the case's secret reply token
//! besides. They are refused (`dmarc_failed`) when the sender's domain
//! publishes an enforcing DMARC policy (quarantine, reject) that the
//! message fails, since its owner then says such mail is forged; otherwise
//! the record keeps what authentication found. Authorization decisions
//! change who may act for a company, so they need DMARC to pass with an
//! aligned DKIM signature, always.

use guichet_domain::company::CompanyKind;
use guichet_domain::email::EmailAddress;
use guichet_domain::user::{Language, User};
use guichet_store::{InboundMail, OutboxMessage};
use jiff::{SignedDuration, Timestamp};
use mail_parser::{HeaderValue, Message, MessageParser};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Authentication, Verdict};
use super::text::{first_line, reply_text};
use super::{Mail, MailRefusal, VerifiedSender};
use crate::AppState;
use crate::auth::Caller;
use crate::cases::{self, OpenCase};
use crate::error::ApiError;
use crate::i18n::Tr;

/// At most this many replies to one address per hour: forged senders
/// cannot make Guichet flood someone.
const REPLIES_PER_HOUR: i64 = 5;

/// What became of an inbound message (the answer of the webhook and of
/// `guichet mail ingest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Received {
    /// The record's id.
    pub id: String,
    /// `comment_added`, `case_opened`, `authorization_decided` or `refused`.
    pub outcome: String,
    /// Why it was refused (`malformed`, `not_signed`, `replayed`,
    /// `unknown_sender`, …), or the decision taken (`authorized`,
    /// `refused`).
    pub reason: Option<String>,
    pub detail: String,
    pub message_id: Option<String>,
    /// The `From` address.
    pub from: Option<String>,
    /// What DKIM and DMARC found: `pass`, `not_signed`, `dkim_failed`,
    /// `not_aligned`, `no_dmarc_record`, or `not_checked`.
    pub authentication: String,
    /// The case commented or opened.
    pub case: Option<i64>,
    pub authorization_request: Option<String>,
    /// A reply went to the sender.
    pub answered: bool,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
}

impl From<InboundMail> for Received {
    fn from(mail: InboundMail) -> Self {
        Self {
            id: mail.id,
            outcome: mail.outcome,
            reason: mail.reason,
            detail: mail.detail,
            message_id: mail.message_id,
            from: mail.sender,
            authentication: mail.authentication,
            case: mail.case_number,
            authorization_request: mail.authorization_request,
            answered: mail.answered,
            received_at: mail.received_at,
        }
    }
}

/// What the sender is told besides the reason.
enum Guidance {
    None,
    /// How to authorize in the portal.
    Authorize,
    /// Who may contact support; for a known user, why they may not.
    WhoMayContact(Option<String>),
}

struct Refused {
    code: &'static str,
    detail: String,
    guidance: Guidance,
}

fn refused(code: &'static str, detail: impl Into<String>) -> Refused {
    Refused {
        code,
        detail: detail.into(),
        guidance: Guidance::None,
    }
}

impl From<MailRefusal> for Refused {
    fn from(refusal: MailRefusal) -> Self {
        Refused {
            code: refusal.code,
            detail: refusal.reason,
            guidance: Guidance::Authorize,
        }
    }
}

enum Routed {
    Commented(i64),
    Opened(i64),
    Decided { request: String, case: i64, status: String },
}

/// What the message is, as far as routing needs.
struct Parsed {
    from: EmailAddress,
    message_id: String,
    subject: String,
    text: String,
    /// The address that carried a reply token, with the token.
    token: Option<(String, String)>,
    /// Mail software wrote it (bounces, autoresponders, lists): no reply.
    automatic: bool,
}

/// Takes one inbound message: routes it, records the outcome, answers a
/// refusal. A DNS failure while authenticating is an error (503, or exit
/// status 75 for a pipe) with nothing recorded, so the message can come
/// again.
pub async fn receive(state: &AppState, raw: &[u8]) -> Result<Received, ApiError> {
    let now = state.clock.now();
    let settings = &state.settings.mail;
    let mut record = InboundMail {
        id: guichet_store::new_id(),
        received_at: now,
        message_id: None,
        sender: None,
        recipient: None,
        subject: None,
        authentication: "not_checked".into(),
        outcome: "refused".into(),
        reason: None,
        detail: String::new(),
        case_number: None,
        authorization_request: None,
        answered: false,
    };
    if raw.len() > super::MAX_MESSAGE_BYTES {
        let refusal = refused(
            "too_large",
            format!(
                "Messages of more than {} bytes are not taken.",
                super::MAX_MESSAGE_BYTES
            ),
        );
        return finish(state, record, Err(refusal), None, None).await;
    }
    let parsed = match parse(state, raw) {
        Ok(parsed) => parsed,
        Err((refusal, answer_to)) => {
            record.sender = answer_to.as_ref().map(|a| a.to_string());
            return finish(state, record, Err(refusal), answer_to, None).await;
        }
    };
    record.sender = Some(parsed.from.to_string());
    record.message_id = Some(parsed.message_id.clone());
    record.subject = Some(parsed.subject.chars().take(200).collect());
    record.recipient = parsed
        .token
        .as_ref()
        .map(|(address, _)| address.clone())
        .or_else(|| Some(settings.support_address.to_string()));
    let sender = state.store.user_by_email(&parsed.from).await?;
    let answer_to = (!parsed.automatic).then(|| parsed.from.clone());
    if parsed.automatic {
        let refusal = refused(
            "automatic_message",
            "Automatic messages (bounces, auto-replies, lists) are recorded and not answered.",
        );
        return finish(state, record, Err(refusal), None, sender.as_ref()).await;
    }

    let authenticator = state
        .mail
        .authenticator(settings)
        .map_err(|error| unavailable(&error))?;
    let verdict = authenticator.check(raw).await.map_err(|error| unavailable(&error.0))?;
    record.authentication = verdict.authentication.code().into();

    let message_key = message_key(&parsed.message_id);
    if !state.store.claim_message_id(&message_key, &record.id, now).await? {
        let refusal = refused(
            "replayed",
            format!(
                "A message with the Message-ID <{}> was received before; it is not taken twice.",
                parsed.message_id
            ),
        );
        return finish(state, record, Err(refusal), answer_to, sender.as_ref()).await;
    }

    let routed = route(state, &parsed, &verdict, sender.as_ref()).await?;
    let detail = match &routed {
        Ok(Routed::Commented(number)) => {
            record.outcome = "comment_added".into();
            record.case_number = Some(*number);
            format!("Added as a comment on case {number}.")
        }
        Ok(Routed::Opened(number)) => {
            record.outcome = "case_opened".into();
            record.case_number = Some(*number);
            format!("Case {number} opened.")
        }
        Ok(Routed::Decided { request, case, status }) => {
            record.outcome = "authorization_decided".into();
            record.case_number = Some(*case);
            record.authorization_request = Some(request.clone());
            record.reason = Some(status.clone());
            format!("Authorization request {request} on case {case}: {status}.")
        }
        Err(_) => String::new(),
    };
    if verdict.authentication != Authentication::Pass && routed.is_ok() {
        record.detail = format!("{detail} Sender not authenticated: {}.", verdict.detail);
    } else if routed.is_ok() {
        record.detail = detail;
    }
    let outcome = routed.map(|_| ());
    finish(state, record, outcome, answer_to, sender.as_ref()).await
}

fn unavailable(why: &str) -> ApiError {
    tracing::warn!(%why, "inbound mail deferred");
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "mail_auth_unavailable",
        "The sender could not be checked now (DNS); send the message again later.",
    )
}

/// The key a Message-ID is claimed under: itself, or its SHA-256 when it
/// is too long to be a key.
fn message_key(message_id: &str) -> String {
    use sha2::{Digest, Sha256};
    if message_id.len() <= 200 {
        return message_id.to_owned();
    }
    let digest = Sha256::digest(message_id.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Reads what routing needs; a refusal names whom it can be answered to.
fn parse(state: &AppState, raw: &[u8]) -> Result<Parsed, (Refused, Option<EmailAddress>)> {
    let settings = &state.settings.mail;
    let Some(message) = MessageParser::default().parse(raw) else {
        return Err((refused("malformed", "The message could not be read as an email."), None));
    };
    let return_address = message
        .return_address()
        .and_then(|address| EmailAddress::parse(address).ok());
    let senders: Vec<&str> = message
        .from()
        .map(|from| from.iter().filter_map(|a| a.address()).collect())
        .unwrap_or_default();
    let from = match senders.as_slice() {
        [one] => match EmailAddress::parse(one) {
            Ok(from) => from,
            Err(_) => {
                return Err((
                    refused("malformed", "The From address of the message could not be read."),
                    return_address,
                ));
            }
        },
        [] => {
            return Err((refused("malformed", "The message has no From address."), return_address));
        }
        _ => {
            return Err((
                refused(
                    "several_senders",
                    "The message names several senders; write from one address.",
                ),
                return_address,
            ));
        }
    };
    let Some(message_id) = message
        .message_id()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
    else {
        return Err((
            refused(
                "malformed",
                "The message has no Message-ID, so a copy of it could not be told apart.",
            ),
            Some(from),
        ));
    };
    let automatic = is_automatic(&message, &from, settings);
    let token = recipients(&message)
        .into_iter()
        .find_map(|address| settings.token_of(&address).map(|token| (address, token)))
        .or_else(|| {
            // A reply sent to the plain address still names our mail.
            thread_ids(&message)
                .into_iter()
                .find_map(|id| settings.token_of_message_id(&id))
                .map(|token| (settings.reply_address(&token), token))
        });
    let subject = message.subject().unwrap_or("").trim().to_owned();
    let text = reply_text(&message.body_text(0).unwrap_or_default());
    Ok(Parsed {
        from,
        message_id,
        subject,
        text,
        token,
        automatic,
    })
}

/// The addresses a message was delivered to: the envelope's as the mail
/// server noted it, then `To` and `Cc`.
fn recipients(message: &Message<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for header in message.headers() {
        let name = header.name.as_str();
        if (name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To"))
            && let Some(text) = header.value.as_text()
        {
            let text = text.trim();
            let address = text
                .rsplit_once('<')
                .map_or(text, |(_, rest)| rest.trim_end_matches('>'));
            found.push(address.trim().to_owned());
        }
    }
    for list in [message.to(), message.cc()].into_iter().flatten() {
        found.extend(list.iter().filter_map(|a| a.address()).map(str::to_owned));
    }
    found
}

/// The Message-IDs a reply answers (`In-Reply-To`, `References`).
fn thread_ids(message: &Message<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        match value {
            HeaderValue::Text(id) => ids.push(id.to_string()),
            HeaderValue::TextList(list) => ids.extend(list.iter().map(|id| id.to_string())),
            _ => {}
        }
    }
    ids
}

/// RFC 3834: never answer mail that software wrote.
fn is_automatic(message: &Message<'_>, from: &EmailAddress, settings: &super::MailSettings) -> bool {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let auto_submitted = header("Auto-Submitted").is_some_and(|v| v != "no");
    let bulk = header("Precedence").is_some_and(|v| ["bulk", "junk", "list"].contains(&v.as_str()));
    let list = message.header_raw("List-Id").is_some();
    let bounce = header("Return-Path").is_some_and(|v| v == "<>");
    let local = from.as_str().split('@').next().unwrap_or("");
    let daemon = ["mailer-daemon", "postmaster", "noreply", "no-reply"].contains(&local);
    let ours = from.domain().eq_ignore_ascii_case(settings.support_address.domain());
    auto_submitted || bulk || list || bounce || daemon || ours
}

/// Where the message goes, by its reply token.
async fn route(
    state: &AppState,
    parsed: &Parsed,
    verdict: &Verdict,
    sender: Option<&User>,
) -> Result<Result<Routed, Refused>, ApiError> {
    match &parsed.token {
        Some((_, token)) if token.starts_with("a-") => Ok(decide(state, parsed, verdict, token).await),
        Some((_, token)) if token.starts_with("c-") => add_comment(state, parsed, verdict, token, sender).await,
        Some((address, _)) => Ok(Err(refused(
            "unknown_token",
            format!("{address} is not an address Guichet answers at."),
        ))),
        None => open_case(state, parsed, verdict, sender).await,
    }
}

/// The authentication a comment or a new case needs: none, unless the
/// sender's domain says mail failing DMARC is forged.
fn enforced(verdict: &Verdict) -> Option<Refused> {
    (verdict.authentication != Authentication::Pass && verdict.enforcing).then(|| {
        refused(
            "dmarc_failed",
            format!(
                "The sender's domain publishes a DMARC policy this message fails ({}).",
                verdict.detail
            ),
        )
    })
}

/// R25: an authorized manager's emailed decision. It counts only if DMARC
/// passed with an aligned DKIM signature; the request's own rules (token,
/// pending, not expired, an authorized manager of its company at one of its
/// verified domains, the verb on the first line) are the request's to check.
async fn decide(state: &AppState, parsed: &Parsed, verdict: &Verdict, token: &str) -> Result<Routed, Refused> {
    let why = match verdict.authentication {
        Authentication::Pass => None,
        Authentication::NotSigned => Some("The message carries no DKIM signature."),
        Authentication::DkimFailed => {
            Some("The message's DKIM signature does not verify: it was altered, or the key is unknown.")
        }
        Authentication::NotAligned => Some("The message is signed, but not by the domain of its From address."),
        Authentication::NoDmarcRecord => Some("The sender's domain publishes no DMARC policy."),
    };
    if let Some(why) = why {
        return Err(Refused {
            code: verdict.authentication.code(),
            detail: format!(
                "{why} A decision by email counts only when it passes DMARC with a DKIM signature of the sender's own domain ({}).",
                verdict.detail
            ),
            guidance: Guidance::Authorize,
        });
    }
    let sender = VerifiedSender {
        from: parsed.from.clone(),
        dmarc_aligned: true,
        message_id: parsed.message_id.clone(),
        first_line: first_line(&parsed.text),
    };
    decide_by_mail(state, token, &sender).await
}

/// Hands the decision to the authorization requests (R25).
async fn decide_by_mail(state: &AppState, token: &str, sender: &VerifiedSender) -> Result<Routed, Refused> {
    let request = crate::authorization::decide_by_mail(state, token, sender).await?;
    Ok(Routed::Decided {
        request: request.id.0,
        case: request.case_number.0,
        status: request.status.as_str().to_owned(),
    })
}

/// A reply to a case notification becomes a comment from its sender, if
/// they may read the case.
async fn add_comment(
    state: &AppState,
    parsed: &Parsed,
    verdict: &Verdict,
    token: &str,
    sender: Option<&User>,
) -> Result<Result<Routed, Refused>, ApiError> {
    let Some(case_id) = state.store.case_of_reply_token(token).await? else {
        return Ok(Err(refused("unknown_token", "This reply address belongs to no case.")));
    };
    let Some(case) = state.store.case_by_id(&case_id).await? else {
        return Ok(Err(refused("unknown_token", "This reply address belongs to no case.")));
    };
    let number = case.number.0;
    let Some(user) = sender else {
        return Ok(Err(refused(
            "unknown_sender",
            format!("{} is not the address of anyone on case {number}.", parsed.from),
        )));
    };
    if let Some(refusal) = enforced(verdict) {
        return Ok(Err(refusal));
    }
    if parsed.text.is_empty() {
        return Ok(Err(refused(
            "empty_message",
            "The reply has no text above the quoted message.",
        )));
    }
    let Some(caller) = Caller::for_user(state, user.clone(), None).await? else {
        return Ok(Err(refused("unknown_sender", "Your company is no longer known.")));
    };
    match cases::comment(state, &caller, &number.to_string(), &parsed.text, false).await {
        Ok(_) => Ok(Ok(Routed::Commented(number))),
        Err(error) if error.status.is_server_error() => Err(error),
        Err(error) if error.status == axum::http::StatusCode::NOT_FOUND => Ok(Err(refused(
            "not_on_case",
            format!("{} may not read case {number}.", parsed.from),
        ))),
        Err(error) => Ok(Err(refused(static_code(&error), error.detail))),
    }
}

/// R3, R12: a message to the support address opens a case, if its sender
/// may open one.
async fn open_case(
    state: &AppState,
    parsed: &Parsed,
    verdict: &Verdict,
    sender: Option<&User>,
) -> Result<Result<Routed, Refused>, ApiError> {
    let who_may = |code, detail: String, explanation| Refused {
        code,
        detail,
        guidance: Guidance::WhoMayContact(explanation),
    };
    let Some(user) = sender else {
        return Ok(Err(who_may(
            "unknown_sender",
            format!("{} is not registered with support.", parsed.from),
            None,
        )));
    };
    if let Some(refusal) = enforced(verdict) {
        return Ok(Err(refusal));
    }
    let Some(caller) = Caller::for_user(state, user.clone(), None).await? else {
        return Ok(Err(who_may(
            "unknown_sender",
            "Your company is no longer known.".into(),
            None,
        )));
    };
    let options = crate::support::support_options(state, &caller).await?;
    if !options.reason.allows_contact() {
        let explanation = crate::support::explain(&Tr::new(user.language), &options);
        return Ok(Err(who_may(
            options.reason.code(),
            explanation.clone(),
            Some(explanation),
        )));
    }
    if parsed.text.is_empty() {
        return Ok(Err(refused(
            "empty_message",
            "The message has no text: describe the problem in it.",
        )));
    }
    // A partner names the customer a case is for: by email, only a partner
    // of one customer can.
    let company = if caller.company.kind == CompanyKind::Partner {
        let implemented = state.store.implemented_by(&caller.company.id).await?;
        match implemented.as_slice() {
            [one] => state.store.company(&one.id).await?,
            _ => {
                return Ok(Err(refused(
                    "company_required",
                    "You work for several customers: open the case in the portal, where you choose the company.",
                )));
            }
        }
    } else {
        Some(caller.company.clone())
    };
    let Some(company) = company else {
        return Ok(Err(refused("company_required", "The company could not be found.")));
    };
    let catalogue = state.caches.products(&state.store).await?;
    let subject_lower = parsed.subject.to_lowercase();
    let subscribed: Vec<_> = catalogue
        .iter()
        .filter(|p| company.subscribes_to(&p.key) && !p.areas.is_empty())
        .collect();
    // The product the subject names, else the company's first; the
    // analyst moves the case if it is elsewhere.
    let Some(product) = subscribed
        .iter()
        .find(|p| subject_lower.contains(&p.name.to_lowercase()) || subject_lower.contains(p.key.as_str()))
        .or_else(|| subscribed.first())
    else {
        return Ok(Err(refused(
            "no_product",
            format!(
                "{} subscribes to no product support answers for.",
                company.name.as_str()
            ),
        )));
    };
    let subject = if parsed.subject.is_empty() {
        first_line(&parsed.text)
    } else {
        parsed.subject.clone()
    };
    let subject: String = subject.chars().take(guichet_domain::case::Subject::MAX_LEN).collect();
    let request = OpenCase {
        product: Some(product.key.as_str().to_owned()),
        area: Some(product.areas[0].key.as_str().to_owned()),
        // By email a case starts as a question of one person in
        // production; the analyst sets what the form would have asked.
        environment: Some("production".into()),
        impact: Some("question".into()),
        scope: Some("individual".into()),
        subject: Some(subject),
        description: Some(parsed.text.clone()),
        company: (caller.company.kind == CompanyKind::Partner).then(|| company.id.0.clone()),
        ..OpenCase::default()
    };
    match cases::open(state, &caller, request).await {
        Ok(case) => Ok(Ok(Routed::Opened(case.number.0))),
        Err(error) if error.status.is_server_error() => Err(error),
        Err(error) => Ok(Err(refused(static_code(&error), error.detail))),
    }
}

/// An API error's code, as a refusal code.
fn static_code(error: &ApiError) -> &'static str {
    match &error.code {
        std::borrow::Cow::Borrowed(code) => code,
        std::borrow::Cow::Owned(_) => "refused",
    }
}

/// Records the message and queues the answer to a refusal.
async fn finish(
    state: &AppState,
    mut record: InboundMail,
    outcome: Result<(), Refused>,
    answer_to: Option<EmailAddress>,
    user: Option<&User>,
) -> Result<Received, ApiError> {
    let mut outbox = Vec::new();
    if let Err(refusal) = outcome {
        record.outcome = "refused".into();
        record.reason = Some(refusal.code.to_owned());
        record.detail = refusal.detail.clone();
        if let Some(to) = answer_to {
            let since = record.received_at - SignedDuration::from_hours(1);
            if state.store.replies_to(to.as_str(), since).await? < REPLIES_PER_HOUR {
                let mail = answer(state, &record, &refusal, &to, user);
                outbox.push(OutboxMessage::new("mail", &mail, record.received_at));
                record.answered = true;
            }
        }
        tracing::info!(code = refusal.code, id = %record.id, "inbound mail refused");
    }
    state.store.record_inbound_mail(&record, &outbox).await?;
    Ok(record.into())
}

/// The reply to a refused message: why, and what to do instead; in the
/// sender's language, or in English and French for someone unknown.
fn answer(state: &AppState, record: &InboundMail, refusal: &Refused, to: &EmailAddress, user: Option<&User>) -> Mail {
    let settings = &state.settings.mail;
    let languages: Vec<Language> = match user {
        Some(user) => vec![user.language],
        None => vec![Language::En, Language::Fr],
    };
    let subject = record.subject.as_deref().filter(|s| !s.is_empty()).unwrap_or("");
    let mut parts = Vec::new();
    for language in &languages {
        parts.push(refusal_text(&Tr::new(*language), settings, subject, refusal));
    }
    let first = Tr::new(languages[0]);
    let mut headers = vec![("Auto-Submitted".to_owned(), "auto-replied".to_owned())];
    if let Some(id) = &record.message_id {
        headers.push(("In-Reply-To".into(), format!("<{id}>")));
        headers.push(("References".into(), format!("<{id}>")));
    }
    Mail {
        to: to.to_string(),
        subject: if subject.is_empty() {
            first.t("mail-refused-subject")
        } else {
            format!("Re: {subject}")
        },
        body: parts.join("\n\n----\n\n"),
        language: languages[0].code().to_owned(),
        headers,
        reply_token: None,
    }
}

fn refusal_text(tr: &Tr, settings: &super::MailSettings, subject: &str, refusal: &Refused) -> String {
    let reason_id = format!("mail-reason-{}", refusal.code.replace('_', "-"));
    let mut text = if subject.is_empty() {
        tr.t("mail-refused-intro-untitled")
    } else {
        tr.t1("mail-refused-intro", "subject", subject)
    };
    text.push_str("\n\n");
    match &refusal.guidance {
        // Already in the reader's language.
        Guidance::WhoMayContact(Some(explanation)) => text.push_str(explanation),
        _ if tr.has(&reason_id) => {
            text.push_str(&tr.t(&reason_id));
            // The details are in English (signing domains, addresses).
            if tr.language == Language::En && !refusal.detail.is_empty() {
                text.push_str(&format!("\n({})", refusal.detail));
            }
        }
        _ => text.push_str(&refusal.detail),
    }
    let portal = settings.portal_url.trim_end_matches('/');
    match &refusal.guidance {
        Guidance::None => {}
        Guidance::Authorize => {
            text.push_str("\n\n");
            text.push_str(&tr.t1("mail-authorize-howto", "link", format!("{portal}/")));
        }
        Guidance::WhoMayContact(_) => {
            text.push_str("\n\n");
            text.push_str(&tr.t1("mail-who-may-contact", "link", format!("{portal}/contact")));
        }
    }
    text.push_str("\n\n-- \n");
    text.push_str(&tr.t1("mail-signature", "link", format!("{portal}/")));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_message_ids_are_claimed_by_their_hash() {
        assert_eq!(message_key("abc@x.example"), "abc@x.example");
        let long = "a".repeat(500);
        let key = message_key(&long);
        assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
        assert_eq!(key, message_key(&long));
    }
}
