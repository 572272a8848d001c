//! Who really sent a message: DKIM signatures and DMARC alignment with
//! mail-auth. DNS answers come from the system's resolver, or from a JSON
//! file `{ "name": ["TXT record", …] }` (`mail.dns_records`) for
//! installations without DNS and for tests: every name it lacks has no
//! record, so nothing is looked up on the network.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::{Dmarc, Policy};
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::Spf;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, DnsError, DnssecStatus, Error, MessageAuthenticator, Parameters,
    RecordSet, ResolverCache, SpfOutput, Txt,
};

/// What checking a message's sender found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// DMARC passed with a DKIM signature aligned with the `From` domain.
    Pass,
    /// No DKIM signature.
    NotSigned,
    /// Signatures, none of which verifies (an altered message, an unknown
    /// key).
    DkimFailed,
    /// A signature verifies, but for a domain that is not the `From`'s.
    NotAligned,
    /// An aligned signature verifies, but the `From` domain publishes no
    /// DMARC policy.
    NoDmarcRecord,
}

impl Authentication {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::NotSigned => "not_signed",
            Self::DkimFailed => "dkim_failed",
            Self::NotAligned => "not_aligned",
            Self::NoDmarcRecord => "no_dmarc_record",
        }
    }
}

/// The outcome of the checks, with the `From` domain's DMARC policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub authentication: Authentication,
    /// The domain asks receivers to quarantine or reject mail that fails
    /// DMARC.
    pub enforcing: bool,
    /// What was found, for the record (signing domains, results).
    pub detail: String,
}

/// A DNS failure: the message can be tried again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// TXT records from a JSON file.
#[derive(Clone, Default)]
pub struct DnsRecords {
    txt: HashMap<Box<str>, Txt>,
}

impl DnsRecords {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| format!("reading {}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// `{ "name": ["TXT record", …] }`: each record as one string (the
    /// strings of a long record joined).
    pub fn parse(json: &str) -> Result<Self, String> {
        let names: HashMap<String, Vec<String>> = serde_json::from_str(json)
            .map_err(|error| format!("not a JSON object of names to lists of records: {error}"))?;
        let mut txt = HashMap::new();
        for (name, records) in names {
            let name = fqdn(&name);
            let parsed = if name.starts_with("_dmarc.") {
                first_parsed::<Dmarc>(&records)
            } else if name.contains("._domainkey.") {
                first_parsed::<DomainKey>(&records)
            } else {
                first_parsed::<Spf>(&records)
            };
            txt.insert(name.into_boxed_str(), parsed);
        }
        Ok(Self { txt })
    }

    pub fn len(&self) -> usize {
        self.txt.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txt.is_empty()
    }
}

/// The first record that parses as `T`, as mail-auth's resolver picks it.
fn first_parsed<T: TxtRecordParser + Into<Txt>>(records: &[String]) -> Txt {
    let mut result = Err(Error::Dns(DnsError::InvalidRecordType));
    for record in records {
        result = T::parse(record.as_bytes());
        if result.is_ok() {
            break;
        }
    }
    result.into()
}

fn fqdn(name: &str) -> String {
    let mut name = name.trim().to_ascii_lowercase();
    if !name.ends_with('.') {
        name.push('.');
    }
    name
}

fn not_found() -> Error {
    Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain))
}

/// Where TXT answers come from: the file (and nothing else), or DNS with a
/// cache of what it answered.
enum TxtSource {
    File(DnsRecords),
    Dns(Mutex<HashMap<Box<str>, (Txt, Instant)>>),
}

/// Kept this many names at most; then the cache starts again.
const CACHE_LIMIT: usize = 10_000;

impl ResolverCache<Box<str>, Txt> for TxtSource {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self {
            Self::File(records) => Some(
                records
                    .txt
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Txt::Error(not_found())),
            ),
            Self::Dns(cache) => {
                let cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                cache
                    .get(name)
                    .filter(|(_, until)| *until > Instant::now())
                    .map(|(txt, _)| txt.clone())
            }
        }
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self {
            Self::File(_) => None,
            Self::Dns(cache) => cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .remove(name)
                .map(|(txt, _)| txt),
        }
    }

    fn insert(&self, name: Box<str>, value: Txt, valid_until: Instant) {
        if let Self::Dns(cache) = self {
            let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(name, (value, valid_until));
        }
    }
}

/// Address lookups (DMARC asks whether a domain exists): with the file,
/// every name exists and has no address; with DNS, not cached.
struct AddressSource {
    file: bool,
}

impl ResolverCache<Box<str>, RecordSet<Ipv4Addr>> for AddressSource {
    fn get<Q>(&self, _: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.file.then(|| RecordSet {
            rrset: Arc::from(Vec::new().into_boxed_slice()),
            dnssec_status: DnssecStatus::Indeterminate,
        })
    }

    fn remove<Q>(&self, _: &Q) -> Option<RecordSet<Ipv4Addr>>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: Box<str>, _: RecordSet<Ipv4Addr>, _: Instant) {}
}

/// Checks DKIM and DMARC; one per process, shared by every message.
pub struct Authenticator {
    resolver: MessageAuthenticator,
    txt: TxtSource,
    addresses: AddressSource,
}

impl Authenticator {
    /// Answers from `records` alone.
    pub fn with_records(records: DnsRecords) -> Self {
        Self {
            // Never asked: every lookup is answered by the file.
            resolver: MessageAuthenticator::new_cloudflare().expect("a resolver configuration builds without I/O"),
            txt: TxtSource::File(records),
            addresses: AddressSource { file: true },
        }
    }

    /// Answers from the system's resolver (`/etc/resolv.conf`).
    pub fn with_system_resolver() -> Result<Self, String> {
        let resolver =
            MessageAuthenticator::new_system_conf().map_err(|error| format!("the system's DNS resolver: {error}"))?;
        Ok(Self {
            resolver,
            txt: TxtSource::Dns(Mutex::new(HashMap::new())),
            addresses: AddressSource { file: false },
        })
    }

    /// Checks `raw`'s DKIM signatures and their alignment with its `From`
    /// domain under DMARC. SPF is not checked: the connecting server is not
    /// known here (pipe delivery, a provider's webhook), so DMARC rests on
    /// DKIM alone.
    pub async fn check(&self, raw: &[u8]) -> Result<Verdict, Unavailable> {
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return Ok(Verdict {
                authentication: Authentication::NotSigned,
                enforcing: false,
                detail: "the message's headers could not be read".into(),
            });
        };
        let dkim = self
            .resolver
            .verify_dkim(
                Parameters::new(&message)
                    .with_txt_cache(&self.txt)
                    .with_ipv4_cache(&self.addresses),
            )
            .await;
        let mut signers = Vec::new();
        for output in &dkim {
            let domain = output.signature().map_or("?", |s| s.d.as_str());
            match output.result() {
                DkimResult::TempError(error) => {
                    return Err(Unavailable(format!("DKIM key of {domain}: {error}")));
                }
                DkimResult::Pass => signers.push(format!("{domain}: pass")),
                other => signers.push(format!("{domain}: {}", dkim_words(other))),
            }
        }
        let any_pass = dkim.iter().any(|o| *o.result() == DkimResult::Pass);
        let from_domain = message
            .from
            .first()
            .and_then(|from| from.rsplit_once('@'))
            .map(|(_, domain)| domain.to_ascii_lowercase())
            .unwrap_or_default();
        let spf = SpfOutput::new(from_domain.clone());
        let dmarc = self
            .resolver
            .verify_dmarc(
                Parameters::new(DmarcParameters {
                    message: &message,
                    dkim_output: &dkim,
                    dkim2_output: None,
                    rfc5321_mail_from_domain: &from_domain,
                    spf_output: &spf,
                })
                .with_txt_cache(&self.txt)
                .with_ipv4_cache(&self.addresses),
            )
            .await;
        if let DmarcResult::TempError(error) = dmarc.dkim_result() {
            return Err(Unavailable(format!("DMARC of {from_domain}: {error}")));
        }
        let has_record = dmarc.dmarc_record().is_some();
        let enforcing = has_record && matches!(dmarc.policy(), Policy::Quarantine | Policy::Reject);
        let aligned_signer = dkim.iter().any(|o| {
            *o.result() == DkimResult::Pass
                && o.signature().is_some_and(|s| {
                    let d = s.d.to_ascii_lowercase();
                    d == from_domain || from_domain.ends_with(&format!(".{d}"))
                })
        });
        let authentication = if *dmarc.dkim_result() == DmarcResult::Pass {
            Authentication::Pass
        } else if dkim.is_empty() || message.dkim_headers.is_empty() {
            Authentication::NotSigned
        } else if !any_pass {
            Authentication::DkimFailed
        } else if aligned_signer && !has_record {
            Authentication::NoDmarcRecord
        } else {
            Authentication::NotAligned
        };
        let detail = format!(
            "From domain {}; DKIM: {}; DMARC: {}",
            if from_domain.is_empty() { "none" } else { &from_domain },
            if signers.is_empty() {
                "no signature".to_owned()
            } else {
                signers.join(", ")
            },
            match (has_record, dmarc.policy()) {
                (false, _) => "no record",
                (true, Policy::Reject) => "p=reject",
                (true, Policy::Quarantine) => "p=quarantine",
                (true, _) => "p=none",
            }
        );
        Ok(Verdict {
            authentication,
            enforcing,
            detail,
        })
    }
}

fn dkim_words(result: &DkimResult) -> String {
    match result {
        DkimResult::Pass => "pass".into(),
        DkimResult::Neutral(error) => format!("neutral ({error})"),
        DkimResult::Fail(error) => format!("fail ({error})"),
        DkimResult::PermError(error) => format!("error ({error})"),
        DkimResult::TempError(error) => format!("temporary error ({error})"),
        DkimResult::None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_file_is_read_by_kind_of_name() {
        let records = DnsRecords::parse(
            r#"{
                "_dmarc.lumiere.example": ["v=DMARC1; p=reject"],
                "sel._domainkey.lumiere.example.": ["not a key", "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQD6lQRH5oRT2Gi0nxgYIeGBYsTLXuYFba+XU87/8JnFjPy0VuyLvfbL0Nq86NlO8cFFkl3gFMMwJreAdX8AztG7eUM8eovvBFGXQKVkTILxEr6fw/aJxQsk73AB2Gokd6JoETBGAyxYjzmhMEEh7tX2zKAkEzNN1h6Lym+OKPaltQIDAQAB"],
                "lumiere.example": ["v=spf1 -all"]
            }"#,
        )
        .unwrap();
        assert_eq!(records.len(), 3);
        assert!(matches!(
            records.txt.get("_dmarc.lumiere.example.").unwrap(),
            Txt::Dmarc(_)
        ));
        assert!(matches!(
            records.txt.get("sel._domainkey.lumiere.example.").unwrap(),
            Txt::DomainKey(_)
        ));
        let source = TxtSource::File(records);
        assert!(
            matches!(source.get("_dmarc.elsewhere.example."), Some(Txt::Error(_))),
            "unknown: no record"
        );
        assert!(DnsRecords::parse("[]").is_err());
        assert!(DnsRecords::parse(r#"{"a": "b"}"#).is_err());
    }

    #[tokio::test]
    async fn unsigned_mail_is_not_signed_and_garbage_is_not_a_panic() {
        let checker = Authenticator::with_records(
            DnsRecords::parse(r#"{"_dmarc.lumiere.example": ["v=DMARC1; p=reject"]}"#).unwrap(),
        );
        let verdict = checker
            .check(b"From: chef@lumiere.example\r\nTo: support@support.example\r\nSubject: hi\r\n\r\nAUTHORIZE\r\n")
            .await
            .unwrap();
        assert_eq!(verdict.authentication, Authentication::NotSigned);
        assert!(verdict.enforcing, "{verdict:?}");
        let verdict = checker.check(b"\xff\xfe\x00garbage").await.unwrap();
        assert_eq!(verdict.authentication, Authentication::NotSigned);
        let forged = b"DKIM-Signature: v=1; a=rsa-sha256; d=lumiere.example; s=sel; h=from; bh=AAAA; b=AAAA\r\n\
            From: chef@lumiere.example\r\n\r\nAUTHORIZE\r\n";
        let verdict = checker.check(forged).await.unwrap();
        assert_eq!(verdict.authentication, Authentication::DkimFailed, "{verdict:?}");
    }
}
