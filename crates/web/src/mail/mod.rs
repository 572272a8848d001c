//! The email channel: inbound messages become comments, cases or
//! authorization decisions; outbound notifications leave through SMTP or as
//! `.eml` files.

use guichet_domain::email::EmailAddress;

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
