//! Email addresses and the domains companies verify.

use serde::{Deserialize, Serialize};

use crate::{Invalid, InvalidKind};

/// An email address, trimmed and lower-cased: two spellings of one mailbox
/// are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let address = input.trim().to_lowercase();
        let format = |why: &str| Invalid::new(InvalidKind::Format, format!("not an email address: {why}"));
        if address.is_empty() {
            return Err(Invalid::new(InvalidKind::Empty, "the email address is empty"));
        }
        if address.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                InvalidKind::TooLong,
                format!("an email address has at most {} characters", Self::MAX_LEN),
            ));
        }
        let (local, domain) = address.rsplit_once('@').ok_or_else(|| format("no @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(format("the part before @ must have 1 to 64 characters"));
        }
        let forbidden = |c: char| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c);
        if local.chars().any(forbidden) || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(format("the part before @ has characters mail does not allow"));
        }
        check_domain(domain).map_err(|why| format(&why))?;
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

/// A mail domain a company has verified as its own (`acme.example`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailDomain(String);

impl EmailDomain {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let domain = input.trim().trim_start_matches('@').to_lowercase();
        if domain.is_empty() {
            return Err(Invalid::new(InvalidKind::Empty, "the domain is empty"));
        }
        check_domain(&domain).map_err(|why| Invalid::new(InvalidKind::Format, format!("not a mail domain: {why}")))?;
        Ok(Self(domain))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `address` is sent from this domain (not from a subdomain:
    /// verification covers exactly the domain that was verified).
    pub fn owns(&self, address: &EmailAddress) -> bool {
        address.domain() == self.0
    }
}

impl TryFrom<String> for EmailDomain {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<EmailDomain> for String {
    fn from(value: EmailDomain) -> Self {
        value.0
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    if domain.len() > 253 {
        return Err("the domain is longer than 253 characters".into());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain needs at least one dot".into());
    }
    for label in labels {
        let valid_chars = label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if label.is_empty() || label.len() > 63 || !valid_chars || label.starts_with('-') || label.ends_with('-') {
            return Err(format!("`{label}` is not a valid domain label"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        let email = EmailAddress::parse("  Dana@ACME.example ").unwrap();
        assert_eq!(email.as_str(), "dana@acme.example");
        assert_eq!(email.domain(), "acme.example");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "dana",
            "dana@",
            "@acme.example",
            "da na@acme.example",
            "dana@acme",
            "dana@-acme.example",
            "dana@acme..example",
            "a..b@acme.example",
            "<dana>@acme.example",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_domain_owns_its_addresses_not_its_subdomains() {
        let domain = EmailDomain::parse("@Acme.Example").unwrap();
        assert_eq!(domain.as_str(), "acme.example");
        assert!(domain.owns(&EmailAddress::parse("dana@acme.example").unwrap()));
        assert!(!domain.owns(&EmailAddress::parse("x@evil.acme.example").unwrap()));
        assert!(!domain.owns(&EmailAddress::parse("x@notacme.example").unwrap()));
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(input in "\\PC{0,80}") {
            if let Ok(email) = EmailAddress::parse(&input) {
                prop_assert_eq!(EmailAddress::parse(email.as_str()).unwrap(), email);
            }
        }

        #[test]
        fn well_formed_addresses_parse(local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", domain in "[a-z0-9]{1,20}\\.[a-z]{2,8}") {
            let input = format!("{local}@{domain}");
            prop_assume!(!local.contains(".."));
            let parsed = EmailAddress::parse(&input).unwrap();
            prop_assert_eq!(parsed.as_str(), input.as_str());
        }
    }
}
