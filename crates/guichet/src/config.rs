//! Configuration: an optional TOML file, then `GUICHET_*` environment
//! variables, then command-line flags. Every key of the file can be set from
//! the environment: `GUICHET_` and the key's path in capitals with `__`
//! between sections (`http.secure_cookies` → `GUICHET_HTTP__SECURE_COOKIES`).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use guichet_domain::contact::{SupportPolicy, SupportRegion};
use guichet_domain::country::CountryCode;
use guichet_domain::priority::{Priority, PriorityTable};
use guichet_domain::sla::SlaPolicy;
use guichet_web::WebSettings;
use guichet_web::cases::CaseSettings;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

mod files;
pub use files::{ByteSize, FilesConfig, S3Config};

/// The prefix of every configuration variable.
pub const ENV_PREFIX: &str = "GUICHET_";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database (and later attachments and the search
    /// index) live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means a SQLite file in
    /// `data_dir`.
    pub database_url: DatabaseUrl,
    /// The address to listen on.
    pub listen: String,
    /// `text` or `json`.
    pub log_format: String,
    /// R9: the community.
    pub community: CommunityConfig,
    /// R10: training.
    pub training: TrainingConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub support: SupportConfig,
    pub cases: CasesConfig,
    /// R15/R21: SLA targets per contract tier, clock and priority. If set,
    /// give every tier of `support.sla_tiers`.
    pub sla: SlaPolicy,
    pub search: SearchConfig,
    pub status: StatusConfig,
    pub mail: MailConfig,
    /// R17: attachments.
    pub files: FilesConfig,
    /// R25: company authorization of privileged requests.
    pub authorization: AuthorizationConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./guichet-data"),
            database_url: DatabaseUrl::default(),
            listen: "127.0.0.1:8080".into(),
            log_format: "text".into(),
            community: CommunityConfig::default(),
            training: TrainingConfig::default(),
            http: HttpConfig::default(),
            auth: AuthConfig::default(),
            support: SupportConfig::default(),
            cases: CasesConfig::default(),
            sla: SlaPolicy::default(),
            search: SearchConfig::default(),
            status: StatusConfig::default(),
            mail: MailConfig::default(),
            files: FilesConfig::default(),
            authorization: AuthorizationConfig::default(),
        }
    }
}

/// `[authorization]`: how long a privileged request waits for an
/// authorized manager, and where product password resets go.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationConfig {
    /// A request nobody decides within this time expires (`7d`, `48h`).
    pub expiry: String,
    /// How long an emailed link to choose a password works (`24h`).
    pub password_link_ttl: String,
    /// The vendor product's identity system, which receives authorized
    /// password resets of product accounts; empty: such resets cannot be
    /// asked for.
    pub identity_webhook_url: String,
    /// The HMAC-SHA256 key that signs those webhooks.
    pub identity_webhook_secret: String,
}

impl Default for AuthorizationConfig {
    fn default() -> Self {
        Self {
            expiry: "7d".into(),
            password_link_ttl: "24h".into(),
            identity_webhook_url: String::new(),
            identity_webhook_secret: String::new(),
        }
    }
}

impl AuthorizationConfig {
    pub fn settings(&self) -> anyhow::Result<guichet_web::authorization::AuthorizationSettings> {
        let duration = |value: &str, key: &str| {
            let duration = guichet_domain::sla::parse_duration(value).map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            if duration <= SignedDuration::ZERO {
                bail!("{key} must be longer than zero");
            }
            Ok(duration)
        };
        let url = self.identity_webhook_url.trim();
        let identity_webhook = if url.is_empty() {
            None
        } else {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("authorization.identity_webhook_url must be an http(s) URL, not `{url}`");
            }
            if self.identity_webhook_secret.trim().len() < 16 {
                bail!("authorization.identity_webhook_secret needs at least 16 characters");
            }
            Some(guichet_web::authorization::IdentityWebhook {
                url: url.to_owned(),
                secret: self.identity_webhook_secret.trim().to_owned(),
            })
        };
        Ok(guichet_web::authorization::AuthorizationSettings {
            expiry: duration(&self.expiry, "authorization.expiry")?,
            password_link_ttl: duration(&self.password_link_ttl, "authorization.password_link_ttl")?,
            identity_webhook,
        })
    }
}

/// `[community]` (R9): new accounts' posting rate and the experts' queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommunityConfig {
    /// An account younger than this many days is new.
    pub new_account_days: u32,
    /// A new account posts (questions, answers, comments) at most this
    /// many times in 24 hours.
    pub new_account_posts_per_day: u32,
    /// An open question without an answer for this long shows on the
    /// experts' queue (`24h`, `2d`).
    pub unanswered_after: String,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        let settings = guichet_web::community::CommunitySettings::default();
        Self {
            new_account_days: (settings.posting.new_account.as_hours() / 24) as u32,
            new_account_posts_per_day: settings.posting.per_day,
            unanswered_after: guichet_domain::sla::format_duration(settings.unanswered_after),
        }
    }
}

impl CommunityConfig {
    pub fn settings(&self) -> anyhow::Result<guichet_web::community::CommunitySettings> {
        let unanswered_after = guichet_domain::sla::parse_duration(&self.unanswered_after)
            .map_err(|e| anyhow::anyhow!("community.unanswered_after: {e}"))?;
        if self.new_account_posts_per_day == 0 {
            bail!("community.new_account_posts_per_day must be at least 1");
        }
        Ok(guichet_web::community::CommunitySettings {
            posting: guichet_domain::community::PostingLimit {
                new_account: SignedDuration::from_hours(24 * i64::from(self.new_account_days)),
                per_day: self.new_account_posts_per_day,
            },
            unanswered_after,
        })
    }
}

/// `[training]` (R10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// A seat may be given up until this many hours before its session.
    pub cancel_deadline_hours: u32,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            cancel_deadline_hours: guichet_web::training::TrainingSettings::default()
                .cancel_deadline
                .as_hours() as u32,
        }
    }
}

/// The search index (R8): derived data, one per node.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Its directory; empty: `search` in `data_dir`; `memory`: kept in
    /// memory and rebuilt from the database at each start.
    pub index_dir: String,
}

impl SearchConfig {
    /// An index in memory (tests).
    pub fn in_memory() -> Self {
        Self {
            index_dir: "memory".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// R19: at most one update request per case per this many hours.
    pub update_request_hours: u32,
    /// A solved case may be reopened for this many days, then closes.
    pub reopen_days: u32,
    /// R20: escalation reviews are due within this much business time.
    pub escalation_review_minutes: u32,
    pub priority: PriorityConfig,
}

impl Default for CasesConfig {
    fn default() -> Self {
        Self {
            update_request_hours: 4,
            reopen_days: 7,
            escalation_review_minutes: 60,
            priority: PriorityConfig::default(),
        }
    }
}

/// R15's table: the priority of each impact in production, for the
/// organization, a group and an individual; other environments are
/// lowered by `non_production_steps` and never above the ceiling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityConfig {
    pub outage: [String; 3],
    pub blocked: [String; 3],
    pub degraded: [String; 3],
    pub question: [String; 3],
    pub non_production_steps: u8,
    pub non_production_ceiling: String,
}

impl Default for PriorityConfig {
    fn default() -> Self {
        let table = PriorityTable::default();
        let row = |i: usize| table.production[i].map(|p| p.as_str().to_owned());
        Self {
            outage: row(0),
            blocked: row(1),
            degraded: row(2),
            question: row(3),
            non_production_steps: table.non_production_steps,
            non_production_ceiling: table.non_production_ceiling.as_str().to_owned(),
        }
    }
}

impl PriorityConfig {
    fn table(&self) -> anyhow::Result<PriorityTable> {
        let parse = |p: &String| Priority::parse(p).map_err(|e| anyhow::anyhow!("cases.priority: {e}"));
        let row =
            |r: &[String; 3]| -> anyhow::Result<[Priority; 3]> { Ok([parse(&r[0])?, parse(&r[1])?, parse(&r[2])?]) };
        Ok(PriorityTable {
            production: [
                row(&self.outage)?,
                row(&self.blocked)?,
                row(&self.degraded)?,
                row(&self.question)?,
            ],
            non_production_steps: self.non_production_steps,
            non_production_ceiling: parse(&self.non_production_ceiling)?,
        })
    }
}

/// R24: the status page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusConfig {
    /// The portal's public address (`https://support.example.com`) for the
    /// links of feeds and mails; empty: the address each request came to.
    pub public_url: String,
    /// A webhook delivery is tried this many times, then given up.
    pub webhook_attempts: i32,
}

impl Default for StatusConfig {
    fn default() -> Self {
        let settings = guichet_web::status::StatusSettings::default();
        Self {
            public_url: settings.public_url,
            webhook_attempts: settings.webhook_attempts,
        }
    }
}

/// The email channel: inbound mail, replies by mail, notifications.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The address customers write to. Replies carry a token after a `+`
    /// (`support+c-…@support.example`): the mail server must deliver those
    /// to Guichet too.
    pub support_address: String,
    /// The `From` of outbound mail (`Name <address>`); empty: `Guichet
    /// <support_address>`.
    pub from: String,
    /// A JSON file `{ "name": ["TXT record", …] }` answering the DKIM and
    /// DMARC lookups instead of DNS (installations without DNS, tests).
    pub dns_records: String,
    /// The bearer secret of `POST /api/v1/inbound-mail`; empty: the
    /// endpoint is off.
    pub inbound_secret: guichet_web::mail::Secret,
    /// A mail is tried this many times, then given up (administrators see
    /// it in `GET /api/v1/mail/failures`).
    pub max_attempts: i32,
    pub smtp: SmtpConfig,
}

impl Default for MailConfig {
    fn default() -> Self {
        let settings = guichet_web::mail::MailSettings::default();
        Self {
            support_address: settings.support_address.to_string(),
            from: String::new(),
            dns_records: String::new(),
            inbound_secret: settings.inbound_secret,
            max_attempts: settings.max_attempts,
            smtp: SmtpConfig::default(),
        }
    }
}

/// Outbound mail through SMTP; with no `host`, mails are written as `.eml`
/// files under `<data_dir>/mail/outgoing/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// Empty: no authentication.
    pub username: String,
    pub password: guichet_web::mail::Secret,
    /// `starttls` (required), `tls` (from the first byte, port 465),
    /// `opportunistic`, or `none` (a relay on a trusted network).
    pub tls: guichet_web::mail::SmtpTls,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            username: String::new(),
            password: guichet_web::mail::Secret::default(),
            tls: guichet_web::mail::SmtpTls::Starttls,
        }
    }
}

/// A database URL: `Debug` hides its password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", guichet_store::redact(&self.0))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Mark cookies `Secure` and send HSTS: set it behind HTTPS.
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// The same for file uploads, whose bodies take longer.
    pub upload_timeout_secs: u64,
    /// The header a trusted reverse proxy puts the client address in
    /// (`x-forwarded-for`); empty uses the peer address.
    pub client_ip_header: String,
    /// Serve Prometheus metrics at `/metrics`.
    pub metrics: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let web = WebSettings::default();
        Self {
            secure_cookies: web.secure_cookies,
            max_body_bytes: web.max_body_bytes,
            request_timeout_secs: web.request_timeout.as_secs(),
            upload_timeout_secs: web.upload_timeout.as_secs(),
            client_ip_header: String::new(),
            metrics: web.metrics,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub token_ttl_days: u32,
    pub session_idle_hours: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_ttl_days: 30,
            session_idle_hours: 12,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupportConfig {
    /// SLA contract tiers; the first is a new company's default.
    pub sla_tiers: Vec<String>,
    /// R3: countries where only designated support users may contact
    /// support.
    pub designated_only_countries: Vec<String>,
    /// R22: support regions and their phone lines.
    pub regions: Vec<RegionConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    pub key: String,
    pub name: String,
    pub phone: String,
    pub countries: Vec<String>,
}

impl Default for SupportConfig {
    fn default() -> Self {
        let policy = SupportPolicy::default();
        Self {
            sla_tiers: WebSettings::default().sla_tiers,
            designated_only_countries: policy.designated_only.iter().map(|c| c.as_str().to_owned()).collect(),
            regions: policy
                .regions
                .iter()
                .map(|region| RegionConfig {
                    key: region.key.clone(),
                    name: region.name.clone(),
                    phone: region.phone.clone(),
                    countries: region.countries.iter().map(|c| c.as_str().to_owned()).collect(),
                })
                .collect(),
        }
    }
}

/// What loading found besides the configuration itself.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    /// `GUICHET_*` variables that name no configuration key.
    pub ignored_variables: Vec<String>,
}

impl Config {
    /// Reads `file` (if any), then overlays the `GUICHET_*` variables of
    /// `environment`.
    pub fn load(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Loaded> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<toml::Table>(&text).with_context(|| format!("{} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        let defaults = toml::Table::try_from(Config::default()).context("serializing the defaults")?;
        let mut ignored_variables = Vec::new();
        let mut variables: Vec<(String, String)> = environment
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX))
            .collect();
        variables.sort();
        for (name, value) in variables {
            let path: Vec<String> = name[ENV_PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            if !defaults.contains_key(&path[0]) {
                ignored_variables.push(name);
                continue;
            }
            let value = env_value(&name, &value, lookup(&defaults, &path))?;
            insert(&mut table, &path, value).with_context(|| format!("{name} does not fit the configuration"))?;
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .context("the configuration is invalid (file or GUICHET_* variables)")?;
        config.check()?;
        Ok(Loaded {
            config,
            ignored_variables,
        })
    }

    fn check(&self) -> anyhow::Result<()> {
        self.listen_address()?;
        self.community.settings()?;
        self.support_policy()?;
        self.cases.priority.table()?;
        self.files.check()?;
        self.authorization.settings()?;
        for tier in &self.support.sla_tiers {
            if !self.sla.tiers.contains_key(&tier.trim().to_ascii_lowercase()) {
                bail!("sla.tiers has no targets for the tier `{tier}` of support.sla_tiers");
            }
        }
        if self.support.sla_tiers.is_empty() {
            bail!("support.sla_tiers needs at least one tier");
        }
        self.mail_settings()?
            .check()
            .map_err(|e| anyhow::anyhow!("mail: {e}"))?;
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format is `text` or `json`, not `{}`", self.log_format);
        }
        Ok(())
    }

    pub fn listen_address(&self) -> anyhow::Result<SocketAddr> {
        self.listen
            .parse()
            .with_context(|| format!("listen = `{}` is not an address such as 127.0.0.1:8080", self.listen))
    }

    /// The database URL: the configured one, or a SQLite file in the data
    /// directory (created if needed).
    pub fn database_url(&self) -> anyhow::Result<String> {
        if !self.database_url.0.is_empty() {
            return Ok(self.database_url.0.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data directory {}", self.data_dir.display()))?;
        let dir = self.data_dir.canonicalize().context("resolving the data directory")?;
        Ok(format!("sqlite://{}", dir.join("guichet.db").display()))
    }

    /// Where this node's search index lives; `None`: in memory.
    pub fn search_index_dir(&self) -> Option<PathBuf> {
        match self.search.index_dir.trim() {
            "memory" => None,
            "" => Some(self.data_dir.join("search")),
            dir => Some(PathBuf::from(dir)),
        }
    }

    pub fn support_policy(&self) -> anyhow::Result<SupportPolicy> {
        let country = |code: &String, key: &str| CountryCode::parse(code).map_err(|e| anyhow::anyhow!("{key}: {e}"));
        let designated_only = self
            .support
            .designated_only_countries
            .iter()
            .map(|code| country(code, "support.designated_only_countries"))
            .collect::<anyhow::Result<BTreeSet<_>>>()?;
        let regions = self
            .support
            .regions
            .iter()
            .map(|region| {
                Ok(SupportRegion {
                    key: region.key.clone(),
                    name: region.name.clone(),
                    phone: region.phone.clone(),
                    countries: region
                        .countries
                        .iter()
                        .map(|code| country(code, "support.regions.countries"))
                        .collect::<anyhow::Result<_>>()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(SupportPolicy {
            designated_only,
            regions,
        })
    }

    /// The email channel's settings (checked by `load`).
    pub fn mail_settings(&self) -> anyhow::Result<guichet_web::mail::MailSettings> {
        use guichet_web::mail::{MailSettings, SmtpSettings};
        let mail = &self.mail;
        let support_address = guichet_domain::email::EmailAddress::parse(&mail.support_address)
            .map_err(|e| anyhow::anyhow!("mail.support_address: {e}"))?;
        let public = self.status.public_url.trim().trim_end_matches('/');
        Ok(MailSettings {
            from: if mail.from.trim().is_empty() {
                format!("Guichet <{support_address}>")
            } else {
                mail.from.trim().to_owned()
            },
            support_address,
            portal_url: if public.is_empty() {
                format!("http://{}", self.listen)
            } else {
                public.to_owned()
            },
            dns_records: Some(mail.dns_records.trim())
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            inbound_secret: mail.inbound_secret.clone(),
            smtp: (!mail.smtp.host.trim().is_empty()).then(|| SmtpSettings {
                host: mail.smtp.host.trim().to_owned(),
                port: mail.smtp.port,
                username: mail.smtp.username.clone(),
                password: mail.smtp.password.clone(),
                tls: mail.smtp.tls,
            }),
            outgoing_dir: self.data_dir.join("mail").join("outgoing"),
            max_attempts: mail.max_attempts.max(1),
        })
    }

    pub fn web_settings(&self) -> WebSettings {
        WebSettings {
            community: self.community.settings().unwrap_or_default(),
            training: guichet_web::training::TrainingSettings {
                cancel_deadline: SignedDuration::from_hours(i64::from(self.training.cancel_deadline_hours)),
            },
            sla_tiers: self
                .support
                .sla_tiers
                .iter()
                .map(|t| t.trim().to_ascii_lowercase())
                .collect(),
            token_ttl: SignedDuration::from_hours(24 * i64::from(self.auth.token_ttl_days)),
            session_idle: SignedDuration::from_hours(i64::from(self.auth.session_idle_hours)),
            secure_cookies: self.http.secure_cookies,
            max_body_bytes: self.http.max_body_bytes,
            request_timeout: Duration::from_secs(self.http.request_timeout_secs),
            upload_timeout: Duration::from_secs(self.http.upload_timeout_secs),
            client_ip_header: Some(self.http.client_ip_header.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()),
            metrics: self.http.metrics,
            cases: CaseSettings {
                priorities: self.cases.priority.table().unwrap_or_default(),
                update_request_period: SignedDuration::from_hours(i64::from(self.cases.update_request_hours)),
                reopen_period: SignedDuration::from_hours(24 * i64::from(self.cases.reopen_days)),
                escalation_review_target: SignedDuration::from_mins(i64::from(self.cases.escalation_review_minutes)),
            },
            sla: self.sla.clone(),
            files: self.files.settings(&self.data_dir),
            status: guichet_web::status::StatusSettings {
                public_url: self.status.public_url.trim().to_owned(),
                webhook_attempts: self.status.webhook_attempts.max(1),
            },
            mail: self.mail_settings().unwrap_or_default(),
            authorization: self.authorization.settings().unwrap_or_default(),
        }
    }
}

fn lookup<'a>(table: &'a toml::Table, path: &[String]) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    let value = table.get(first)?;
    match (rest.is_empty(), value) {
        (true, value) => Some(value),
        (false, toml::Value::Table(inner)) => lookup(inner, rest),
        _ => None,
    }
}

/// An environment value read as the type its key has by default: strings
/// stay strings, lists take TOML (`["US","CA"]`) or commas (`US,CA`), the
/// rest is read as TOML (`true`, `30`).
fn env_value(name: &str, raw: &str, default: Option<&toml::Value>) -> anyhow::Result<toml::Value> {
    let as_toml = || -> anyhow::Result<toml::Value> {
        let table: toml::Table = toml::from_str(&format!("value = {raw}"))
            .with_context(|| format!("{name}=`{raw}` is not a valid value"))?;
        Ok(table["value"].clone())
    };
    match default {
        Some(toml::Value::String(_)) | None => Ok(toml::Value::String(raw.to_owned())),
        Some(toml::Value::Array(_)) if !raw.trim_start().starts_with('[') => Ok(toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_owned()))
                .collect(),
        )),
        Some(_) => as_toml(),
    }
}

fn insert(table: &mut toml::Table, path: &[String], value: toml::Value) -> anyhow::Result<()> {
    let (first, rest) = path.split_first().context("empty key")?;
    if rest.is_empty() {
        table.insert(first.clone(), value);
        return Ok(());
    }
    let entry = table
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match entry {
        toml::Value::Table(inner) => insert(inner, rest, value),
        _ => bail!("`{first}` is not a section"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_the_embedded_ones() {
        let config = Config::load(None, env(&[])).unwrap().config;
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./guichet-data"));
        assert_eq!(config.support.designated_only_countries, ["US"]);
        assert_eq!(config.support_policy().unwrap(), SupportPolicy::default());
    }

    #[test]
    fn environment_overrides_the_file_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guichet.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n[http]\nmetrics = false\nmax_body_bytes = 10\n[support]\nsla_tiers = [\"basic\"]\n\
             [sla.tiers.basic.first_response]\nP1 = { duration = \"4h\", hours = \"around_the_clock\" }\n",
        )
        .unwrap();
        let loaded = Config::load(
            Some(&file),
            env(&[
                ("GUICHET_LISTEN", "127.0.0.1:9001"),
                ("GUICHET_HTTP__SECURE_COOKIES", "true"),
                ("GUICHET_HTTP__MAX_BODY_BYTES", "2048"),
                ("GUICHET_SUPPORT__DESIGNATED_ONLY_COUNTRIES", "US, CA"),
                ("GUICHET_DATABASE_URL", "postgres://u:secret@db/guichet"),
                ("GUICHET_TEST_POSTGRES_URL", "postgres://elsewhere"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        let config = loaded.config;
        assert_eq!(config.listen, "127.0.0.1:9001");
        assert_eq!(config.log_format, "json");
        assert!(config.http.secure_cookies);
        assert!(!config.http.metrics);
        assert_eq!(config.http.max_body_bytes, 2048);
        assert_eq!(config.support.sla_tiers, ["basic"]);
        assert_eq!(config.support.designated_only_countries, ["US", "CA"]);
        assert_eq!(config.database_url().unwrap(), "postgres://u:secret@db/guichet");
        assert_eq!(loaded.ignored_variables, ["GUICHET_TEST_POSTGRES_URL"]);
        assert!(!format!("{config:?}").contains("u:secret@"), "Debug shows the password");
    }

    #[test]
    fn lists_take_toml_too() {
        let config = Config::load(
            None,
            env(&[(
                "GUICHET_SUPPORT__REGIONS",
                r#"[{ key = "japan", name = "Japan", phone = "+81 3 0000 0000", countries = ["JP"] }]"#,
            )]),
        )
        .unwrap()
        .config;
        let policy = config.support_policy().unwrap();
        assert_eq!(policy.regions.len(), 1);
        assert_eq!(
            policy.region_of(&CountryCode::parse("JP").unwrap()).unwrap().key,
            "japan"
        );
    }

    #[test]
    fn bad_values_name_the_problem() {
        let error = |pairs: &[(&str, &str)]| format!("{:#}", Config::load(None, env(pairs)).unwrap_err());
        assert!(error(&[("GUICHET_HTTP__SECURE_COOKIES", "maybe")]).contains("GUICHET_HTTP__SECURE_COOKIES"));
        assert!(error(&[("GUICHET_LISTEN", "nowhere")]).contains("listen"));
        assert!(error(&[("GUICHET_HTTP__NOPE", "1")]).contains("nope"));
        assert!(error(&[("GUICHET_SUPPORT__DESIGNATED_ONLY_COUNTRIES", "USA")]).contains("designated_only_countries"));
        assert!(error(&[("GUICHET_LOG_FORMAT", "xml")]).contains("log_format"));
    }

    #[test]
    fn r15_the_priority_table_is_configuration() {
        let config = Config::load(
            None,
            env(&[("GUICHET_CASES__PRIORITY__QUESTION", r#"["P3", "P4", "P4"]"#)]),
        )
        .unwrap()
        .config;
        let table = config.web_settings().cases.priorities;
        assert_eq!(table.production[3], [Priority::P3, Priority::P4, Priority::P4]);
        assert_eq!(table.production[0], PriorityTable::default().production[0]);
        let error = format!(
            "{:#}",
            Config::load(None, env(&[("GUICHET_CASES__PRIORITY__OUTAGE", "P0,P1,P1")])).unwrap_err()
        );
        assert!(error.contains("cases.priority"), "{error}");
    }

    #[test]
    fn sla_targets_are_configuration_for_every_tier() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guichet.toml");
        std::fs::write(
            &file,
            "[support]\nsla_tiers = [\"gold\"]\n[sla.tiers.gold.first_response]\n\
             P1 = { duration = \"30m\", hours = \"around_the_clock\" }\n\
             P2 = { duration = \"2h\", hours = \"business\" }\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), env(&[])).unwrap().config;
        let target = config
            .web_settings()
            .sla
            .target("gold", Priority::P1, guichet_domain::sla::Clock::FirstResponse);
        assert_eq!(target.unwrap().duration, SignedDuration::from_mins(30));
        std::fs::write(&file, "[support]\nsla_tiers = [\"standard\", \"silver\"]\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(error.contains("silver"), "{error}");
    }

    #[test]
    fn r9_r10_community_and_training_keys() {
        let config = Config::load(
            None,
            env(&[
                ("GUICHET_COMMUNITY__NEW_ACCOUNT_DAYS", "3"),
                ("GUICHET_COMMUNITY__NEW_ACCOUNT_POSTS_PER_DAY", "2"),
                ("GUICHET_COMMUNITY__UNANSWERED_AFTER", "2d"),
                ("GUICHET_TRAINING__CANCEL_DEADLINE_HOURS", "24"),
            ]),
        )
        .unwrap()
        .config;
        let web = config.web_settings();
        assert_eq!(web.community.posting.new_account, SignedDuration::from_hours(72));
        assert_eq!(web.community.posting.per_day, 2);
        assert_eq!(web.community.unanswered_after, SignedDuration::from_hours(48));
        assert_eq!(web.training.cancel_deadline, SignedDuration::from_hours(24));
        let defaults = Config::load(None, env(&[])).unwrap().config;
        assert_eq!(defaults.community.unanswered_after, "24h");
        assert_eq!(defaults.training.cancel_deadline_hours, 48);
        let error = format!(
            "{:#}",
            Config::load(None, env(&[("GUICHET_COMMUNITY__UNANSWERED_AFTER", "soon")])).unwrap_err()
        );
        assert!(error.contains("community.unanswered_after"), "{error}");
    }

    #[test]
    fn mail_settings_come_from_the_file_and_the_environment_and_hide_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guichet.toml");
        std::fs::write(
            &file,
            "[mail]\nsupport_address = \"help@vendor.example\"\n[mail.smtp]\nhost = \"smtp.vendor.example\"\n\
             username = \"guichet\"\npassword = \"smtp-secret\"\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("GUICHET_MAIL__SMTP__PORT", "2525"),
                ("GUICHET_MAIL__SMTP__TLS", "none"),
                ("GUICHET_MAIL__INBOUND_SECRET", "inbound-secret"),
            ]),
        )
        .unwrap()
        .config;
        let mail = config.web_settings().mail;
        assert_eq!(mail.support_address.as_str(), "help@vendor.example");
        assert_eq!(mail.from, "Guichet <help@vendor.example>");
        let smtp = mail.smtp.as_ref().unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("smtp.vendor.example", 2525));
        assert_eq!(smtp.tls, guichet_web::mail::SmtpTls::None);
        assert_eq!(mail.inbound_secret.expose(), "inbound-secret");
        assert_eq!(mail.outgoing_dir, config.data_dir.join("mail").join("outgoing"));
        let shown = format!("{config:?} {mail:?}");
        assert!(
            !shown.contains("smtp-secret") && !shown.contains("inbound-secret"),
            "{shown}"
        );

        // Without a host, mails are files; a bad address or records file is named.
        assert!(Config::default().web_settings().mail.smtp.is_none());
        let error = |pairs: &[(&str, &str)]| format!("{:#}", Config::load(None, env(pairs)).unwrap_err());
        assert!(error(&[("GUICHET_MAIL__SUPPORT_ADDRESS", "nobody")]).contains("mail.support_address"));
        assert!(error(&[("GUICHET_MAIL__DNS_RECORDS", "/nonexistent/records.json")]).contains("records.json"));
        assert!(Config::load(None, env(&[("GUICHET_MAIL__SMTP__TLS", "sometimes")])).is_err());
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guichet.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let message = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(message.contains("lisen"), "{message}");
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let url = config.database_url().unwrap();
        assert!(
            url.starts_with("sqlite://") && url.ends_with("/data/guichet.db"),
            "{url}"
        );
        assert!(dir.path().join("data").is_dir());
    }
}
