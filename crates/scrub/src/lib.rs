//! Secrets scrubbed from uploads before they are stored (R17).
//!
//! The 2023 breach of an identity vendor's support system came through HAR
//! files customers had uploaded to support cases: they held live session
//! tokens. Here an upload's type is decided from its content (`sniff`), and
//! HAR files (`har`), text logs (`text`) and zip archives (`archive`) are
//! rewritten without their cookies, credential headers, secret parameters,
//! tokens and private keys before anything is stored. What was removed is
//! counted (`Removed`) so the case can say so.
//!
//! Pure functions over readers and writers: no network, no database. Memory
//! stays bounded: text is scrubbed line by line, a HAR file entry by entry
//! (two passes over a seekable reader), an archive entry by entry through
//! anonymous temporary files.

pub mod archive;
pub mod har;
mod secrets;
pub mod sniff;
pub mod text;

pub use guichet_domain::attachment::{FileKind, Removed};
pub use sniff::{Sniffed, sniff};

/// What replaces a secret.
pub const REDACTED: &str = "[removed]";

/// Why an upload cannot be stored.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// It claims to be a HAR file (by its name, type or first key) but is
    /// not valid JSON, or not a HAR document.
    #[error("this file claims to be a HAR recording but is not valid HAR (JSON with `log.entries`): {0}")]
    InvalidHar(String),
    /// A zip archive that expands too much, has too many entries, or nests
    /// archives too deep.
    #[error("this archive was refused: {0}")]
    ZipBomb(String),
    /// A zip archive that cannot be read (damaged, encrypted, unsupported
    /// compression).
    #[error("this archive cannot be read: {0}")]
    BadArchive(String),
    /// A compressed format whose content cannot be scrubbed (gzip, tar, 7z,
    /// rar): send a zip instead.
    #[error("{0} files cannot be checked for secrets: send a zip archive instead")]
    Unsupported(&'static str),
    #[error("reading or writing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Refusal {
    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHar(_) => "invalid_har",
            Self::ZipBomb(_) => "zip_bomb",
            Self::BadArchive(_) => "invalid_archive",
            Self::Unsupported(_) => "unsupported_file_type",
            Self::Io(_) => "io",
        }
    }
}

/// Bounds on what an archive may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes all entries of an archive (and nested ones) may
    /// expand to.
    pub max_expanded: u64,
    /// The most entries, all archives counted.
    pub max_entries: usize,
    /// An entry expanding more than this many times its compressed size
    /// (beyond `ratio_floor` bytes) is a bomb.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// How deep archives may nest (1: a zip in the upload, no zip inside).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_expanded: 1024 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 100,
            ratio_floor: 1024 * 1024,
            max_depth: 3,
        }
    }
}

/// Scrubs `input`, of the kind `sniffed` found, into `output`. HAR, text
/// and zip are rewritten; other kinds are copied as they are.
pub fn scrub<R, W>(sniffed: &Sniffed, input: &mut R, output: &mut W, limits: &Limits) -> Result<Removed, Refusal>
where
    R: std::io::Read + std::io::Seek,
    W: std::io::Write + std::io::Seek,
{
    match sniffed.kind {
        FileKind::Har => har::scrub_har(input, output),
        FileKind::Text => Ok(text::scrub_text(std::io::BufReader::new(input), output)?),
        FileKind::Zip => archive::scrub_zip(input, output, limits),
        _ => {
            if let Some(format) = sniffed.unsupported {
                return Err(Refusal::Unsupported(format));
            }
            std::io::copy(input, output)?;
            Ok(Removed::default())
        }
    }
}
