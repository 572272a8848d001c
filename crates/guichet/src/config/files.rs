//! `[files]`: attachments (R17) — limits, retention and storage.

use std::path::Path;

use anyhow::bail;
use guichet_web::attachments::{FileSettings, S3Settings, Storage};
use jiff::SignedDuration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A size in bytes, written as a number of bytes or with a unit: `100 MB`,
/// `1 GB`, `512 KB` (multiples of 1024).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a size such as 100 MB"))?;
        let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1024,
            "m" | "mb" | "mib" => 1024 * 1024,
            "g" | "gb" | "gib" => 1024 * 1024 * 1024,
            "t" | "tb" | "tib" => 1024 * 1024 * 1024 * 1024,
            other => return Err(format!("`{other}` is not a size unit (B, KB, MB, GB, TB)")),
        };
        number
            .checked_mul(factor)
            .map(Self)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [(&str, u64); 3] = [("GB", 1024 * 1024 * 1024), ("MB", 1024 * 1024), ("KB", 1024)];
        for (unit, factor) in UNITS {
            if self.0 >= factor && self.0.is_multiple_of(factor) {
                return write!(f, "{} {unit}", self.0 / factor);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(bytes) => Ok(Self(bytes)),
            Raw::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// The largest upload (`100 MB`); larger ones are refused with 413.
    pub max_file_size: ByteSize,
    /// The most a case's files may take in all.
    pub max_case_size: ByteSize,
    /// A closed case's files are deleted this many days after it closed.
    pub retention_days: u32,
    /// `local` (a folder) or `s3` (any S3-compatible service; needs a
    /// build with the `s3` feature).
    pub storage: String,
    /// The folder of `local` storage; empty: `files` in `data_dir`.
    pub dir: String,
    pub s3: S3Config,
}

impl Default for FilesConfig {
    fn default() -> Self {
        let settings = FileSettings::default();
        Self {
            max_file_size: ByteSize(settings.max_file_size),
            max_case_size: ByteSize(settings.max_case_size),
            retention_days: 90,
            storage: "local".into(),
            dir: String::new(),
            s3: S3Config::default(),
        }
    }
}

/// `[files.s3]`: the bucket of `storage = "s3"`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    /// The service's address (`http://127.0.0.1:9000`); empty: AWS.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Allow an `http://` endpoint.
    pub allow_http: bool,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            region: "us-east-1".into(),
            endpoint: String::new(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            allow_http: false,
        }
    }
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl FilesConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        if self.max_file_size.0 == 0 || self.max_case_size.0 == 0 {
            bail!("files.max_file_size and files.max_case_size must be larger than zero");
        }
        match self.storage.as_str() {
            "local" => {}
            "s3" if self.s3.bucket.trim().is_empty() => bail!("files.storage = \"s3\" needs files.s3.bucket"),
            "s3" => {}
            other => bail!("files.storage is `local` or `s3`, not `{other}`"),
        }
        Ok(())
    }

    pub fn settings(&self, data_dir: &Path) -> FileSettings {
        let storage = match self.storage.as_str() {
            "s3" => Storage::S3(S3Settings {
                bucket: self.s3.bucket.trim().to_owned(),
                region: self.s3.region.trim().to_owned(),
                endpoint: self.s3.endpoint.trim().to_owned(),
                access_key_id: self.s3.access_key_id.clone(),
                secret_access_key: self.s3.secret_access_key.clone(),
                allow_http: self.s3.allow_http,
            }),
            _ => Storage::Local {
                root: match self.dir.trim() {
                    "" => data_dir.join("files"),
                    dir => dir.into(),
                },
            },
        };
        FileSettings {
            max_file_size: self.max_file_size.0.max(1),
            max_case_size: self.max_case_size.0.max(1),
            retention: SignedDuration::from_hours(24 * i64::from(self.retention_days)),
            storage,
            temp_dir: data_dir.join("tmp"),
            ..FileSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use guichet_web::attachments::MB;

    use super::*;
    use crate::config::Config;

    #[test]
    fn sizes_read_as_bytes_or_with_a_unit() {
        assert_eq!(ByteSize::parse("100 MB").unwrap(), ByteSize(100 * MB));
        assert_eq!(ByteSize::parse("2gb").unwrap(), ByteSize(2048 * MB));
        assert_eq!(ByteSize::parse("1048576").unwrap(), ByteSize(MB));
        assert!(ByteSize::parse("lots").is_err());
        assert!(ByteSize::parse("5 parsecs").is_err());
        assert_eq!(ByteSize(100 * MB).to_string(), "100 MB");
    }

    #[test]
    fn r17_file_limits_come_from_the_file_and_the_environment() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let config = Config::load(None, env(&[])).unwrap().config;
        assert_eq!(config.files.max_file_size, ByteSize(100 * MB));
        assert_eq!(config.files.retention_days, 90);
        let settings = config.web_settings().files;
        assert_eq!(settings.max_file_size, 100 * MB);
        assert_eq!(settings.retention, SignedDuration::from_hours(24 * 90));

        let config = Config::load(
            None,
            env(&[
                ("GUICHET_FILES__MAX_FILE_SIZE", "2 MB"),
                ("GUICHET_FILES__MAX_CASE_SIZE", "10485760"),
                ("GUICHET_FILES__RETENTION_DAYS", "30"),
                ("GUICHET_FILES__STORAGE", "s3"),
                ("GUICHET_FILES__S3__BUCKET", "guichet"),
                ("GUICHET_FILES__S3__SECRET_ACCESS_KEY", "very-secret"),
            ]),
        )
        .unwrap()
        .config;
        assert_eq!(config.files.max_file_size, ByteSize(2 * MB));
        assert_eq!(config.files.max_case_size, ByteSize(10 * MB));
        assert_eq!(config.files.retention_days, 30);
        assert!(!format!("{config:?}").contains("very-secret"));
        assert!(matches!(config.web_settings().files.storage, Storage::S3(_)));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guichet.toml");
        std::fs::write(&file, "[files]\nmax_file_size = 1024\nstorage = \"ftp\"\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(error.contains("files.storage"), "{error}");
        std::fs::write(&file, "[files]\nmax_fle_size = 1024\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(error.contains("max_fle_size"), "{error}");
    }
}
