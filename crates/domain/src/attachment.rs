//! Attachments and problem recordings (R17): what a stored file is called,
//! what was scrubbed from it before it was stored, the analyst's upload
//! request with its checklist, and how long files of a closed case are kept.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::case::CaseId;
use crate::invalid::bounded_text;
use crate::user::UserId;
use crate::{Invalid, InvalidKind};

/// The longest stored file name, in characters.
pub const MAX_NAME: usize = 200;

/// A file's name as stored and shown: the last path segment of what the
/// client sent, without control characters, never empty and never a dot
/// file or `..`. Clients send names from any system; the name is a label,
/// never a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    pub fn sanitize(raw: &str) -> Self {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
        let cleaned: String = last
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'))
            .collect();
        let trimmed = cleaned.trim().trim_start_matches('.').trim();
        let name = if trimmed.is_empty() { "attachment" } else { trimmed };
        Self(shorten(name, MAX_NAME))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension, lower-cased (`har`, `log`), if any.
    pub fn extension(&self) -> Option<String> {
        let (stem, ext) = self.0.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty() && ext.len() <= 10).then(|| ext.to_ascii_lowercase())
    }

    /// An ASCII rendering for the plain `filename=` of `Content-Disposition`
    /// (the UTF-8 name goes in `filename*`).
    pub fn ascii_fallback(&self) -> String {
        self.0
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// Keeps the extension when a name is cut to `max` characters.
fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ext.chars().count() <= 10);
    match ext {
        Some(ext) => {
            let keep = max - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{stem}.{ext}")
        }
        None => name.chars().take(max).collect(),
    }
}

/// What kind of file an upload is, decided from its content (the name only
/// says whether it claims to be a HAR file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// An HTTP Archive (HAR 1.2): a browser's problem recording.
    Har,
    /// A zip archive, scrubbed entry by entry.
    Zip,
    /// Text: a log file.
    Text,
    Image,
    Video,
    Pdf,
    /// Anything else, kept as is and always downloaded as bytes.
    Binary,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Har,
        FileKind::Zip,
        FileKind::Text,
        FileKind::Image,
        FileKind::Video,
        FileKind::Pdf,
        FileKind::Binary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Har => "har",
            Self::Zip => "zip",
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Pdf => "pdf",
            Self::Binary => "binary",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input)
            .ok_or_else(|| Invalid::new(InvalidKind::Unknown, format!("`{input}` is not a file kind")))
    }
}

/// What was scrubbed from an upload before it was stored, by kind. The case
/// shows it so the customer knows ("12 cookies, 3 authorization headers,
/// 2 tokens removed").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Removed {
    /// Cookies of `Cookie` and `Set-Cookie` headers and of HAR cookie lists.
    pub cookies: u64,
    /// `Authorization` and `Proxy-Authorization` headers.
    pub authorization_headers: u64,
    /// Other headers that carry credentials (API keys, CSRF tokens, session
    /// ids).
    pub credential_headers: u64,
    /// Query-string, form and JSON fields whose names carry secrets
    /// (token, code, session, password, key, secret, signature, …).
    pub parameters: u64,
    /// JSON Web Tokens, bearer tokens and API keys found anywhere else.
    pub tokens: u64,
    /// Private keys (PEM blocks).
    pub private_keys: u64,
}

impl Removed {
    pub fn total(&self) -> u64 {
        self.cookies
            + self.authorization_headers
            + self.credential_headers
            + self.parameters
            + self.tokens
            + self.private_keys
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The non-zero counts, each with its name, in a fixed order.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        [
            ("cookies", self.cookies),
            ("authorization_headers", self.authorization_headers),
            ("credential_headers", self.credential_headers),
            ("parameters", self.parameters),
            ("tokens", self.tokens),
            ("private_keys", self.private_keys),
        ]
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .collect()
    }
}

impl std::ops::AddAssign for Removed {
    fn add_assign(&mut self, other: Self) {
        self.cookies += other.cookies;
        self.authorization_headers += other.authorization_headers;
        self.credential_headers += other.credential_headers;
        self.parameters += other.parameters;
        self.tokens += other.tokens;
        self.private_keys += other.private_keys;
    }
}

/// A file stored on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub case_id: CaseId,
    pub name: FileName,
    pub kind: FileKind,
    /// What downloads are sent as (never HTML or SVG).
    pub content_type: String,
    /// Of the stored (scrubbed) bytes.
    pub size: u64,
    /// SHA-256 of the stored bytes, in hex.
    pub sha256: String,
    /// Where the bytes are in the object store.
    pub storage_key: String,
    pub removed: Removed,
    pub uploaded_by: UserId,
    pub uploaded_at: Timestamp,
    /// The comment (a timeline event) it was attached to, if any.
    pub comment_id: Option<String>,
    /// The upload request whose checklist it ticked, if any.
    pub upload_request_id: Option<String>,
    /// When retention deleted its bytes (the record stays).
    pub deleted_at: Option<Timestamp>,
}

/// What an analyst asks for in an upload request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WantedKind {
    /// The problem recording: a HAR file, a video or screenshots, a zip.
    Recording,
    /// Its log file (text).
    Log,
    /// Anything the analyst describes.
    Other,
}

impl WantedKind {
    pub const ALL: [WantedKind; 3] = [WantedKind::Recording, WantedKind::Log, WantedKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Log => "log",
            Self::Other => "other",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input.trim())
            .ok_or_else(|| {
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{}` is not an item kind (recording, log, other)", input.trim()),
                )
            })
    }

    /// Whether a file of `kind` is what this item asks for.
    pub fn accepts(self, kind: FileKind) -> bool {
        match self {
            Self::Recording => matches!(kind, FileKind::Har | FileKind::Zip | FileKind::Image | FileKind::Video),
            Self::Log => kind == FileKind::Text,
            Self::Other => true,
        }
    }
}

/// One line of an upload request's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub kind: WantedKind,
    /// The analyst's words; `None` shows the kind's words in the reader's
    /// language ("the problem recording", "its log file").
    pub label: Option<String>,
    /// The upload that ticked it.
    pub attachment: Option<String>,
}

/// R17: an analyst asks the customer for diagnostics; each upload ticks an
/// item; the analyst hears when the list is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub id: String,
    pub case_id: CaseId,
    pub requested_by: UserId,
    pub requested_at: Timestamp,
    /// The analyst's note to the customer, if any (the instructions are in
    /// the reader's language).
    pub note: Option<String>,
    pub items: Vec<ChecklistItem>,
    pub completed_at: Option<Timestamp>,
}

/// The longest label of a checklist item.
pub const MAX_LABEL: usize = 200;
/// The most items of one upload request.
pub const MAX_ITEMS: usize = 10;

impl UploadRequest {
    /// The default checklist: the problem recording and its log file.
    pub fn default_items() -> Vec<ChecklistItem> {
        [WantedKind::Recording, WantedKind::Log]
            .into_iter()
            .map(|kind| ChecklistItem {
                kind,
                label: None,
                attachment: None,
            })
            .collect()
    }

    /// Parses an analyst's items (`kind`, optional label); none means the
    /// default checklist.
    pub fn parse_items(items: &[(String, Option<String>)]) -> Result<Vec<ChecklistItem>, Invalid> {
        if items.is_empty() {
            return Ok(Self::default_items());
        }
        if items.len() > MAX_ITEMS {
            return Err(Invalid::new(
                InvalidKind::TooLong,
                format!("an upload request lists at most {MAX_ITEMS} items"),
            ));
        }
        items
            .iter()
            .map(|(kind, label)| {
                let kind = WantedKind::parse(kind)?;
                let label = match label.as_deref().map(str::trim) {
                    None | Some("") if kind == WantedKind::Other => {
                        return Err(Invalid::new(InvalidKind::Empty, "say what the `other` item is"));
                    }
                    None | Some("") => None,
                    Some(text) => Some(bounded_text(text, "an item's label", MAX_LABEL)?),
                };
                Ok(ChecklistItem {
                    kind,
                    label,
                    attachment: None,
                })
            })
            .collect()
    }

    pub fn is_complete(&self) -> bool {
        self.items.iter().all(|item| item.attachment.is_some())
    }

    /// Ticks the item an upload answers: the one named by `index`, else the
    /// first open item that accepts its kind. Returns the item's index, or
    /// `None` when nothing fits (the upload is kept all the same).
    pub fn tick(&mut self, index: Option<usize>, kind: FileKind, attachment: &str, now: Timestamp) -> Option<usize> {
        if self.completed_at.is_some() {
            return None;
        }
        let open = |item: &ChecklistItem| item.attachment.is_none();
        let chosen = match index {
            Some(i) => self.items.get(i).filter(|item| open(item)).map(|_| i),
            None => self
                .items
                .iter()
                .position(|item| open(item) && item.kind != WantedKind::Other && item.kind.accepts(kind))
                .or_else(|| {
                    self.items
                        .iter()
                        .position(|item| open(item) && item.kind == WantedKind::Other)
                }),
        }?;
        self.items[chosen].attachment = Some(attachment.to_owned());
        if self.is_complete() {
            self.completed_at = Some(now);
        }
        Some(chosen)
    }
}

/// Retention: a closed case's files are deleted this long after it closed.
pub fn retention_due(closed_at: Option<Timestamp>, now: Timestamp, retention: SignedDuration) -> bool {
    closed_at.is_some_and(|at| now.duration_since(at) >= retention)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(FileName::sanitize("../../etc/passwd").as_str(), "passwd");
        assert_eq!(FileName::sanitize("C:\\Users\\dana\\trace.har").as_str(), "trace.har");
        assert_eq!(FileName::sanitize("bad\u{0}name\n.log").as_str(), "badname.log");
        assert_eq!(FileName::sanitize("..").as_str(), "attachment");
        assert_eq!(FileName::sanitize("").as_str(), "attachment");
        assert_eq!(FileName::sanitize(".htaccess").as_str(), "htaccess");
        assert_eq!(FileName::sanitize("evil\u{202e}gpj.exe").as_str(), "evilgpj.exe");
        let long = format!("{}.har", "x".repeat(500));
        let cut = FileName::sanitize(&long);
        assert_eq!(cut.as_str().chars().count(), MAX_NAME);
        assert!(cut.as_str().ends_with(".har"));
        assert_eq!(FileName::sanitize("Trace.HAR").extension().as_deref(), Some("har"));
        assert_eq!(FileName::sanitize("été \"x\".log").ascii_fallback(), "_t_ _x_.log");
    }

    proptest! {
        #[test]
        fn a_sanitized_name_is_never_a_path(raw in ".{0,400}") {
            let name = FileName::sanitize(&raw);
            let text = name.as_str();
            prop_assert!(!text.is_empty());
            prop_assert!(!text.contains('/') && !text.contains('\\'));
            prop_assert!(!text.chars().any(char::is_control));
            prop_assert!(!text.starts_with('.'));
            prop_assert!(text.chars().count() <= MAX_NAME);
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).unwrap()
    }

    fn request(items: Vec<ChecklistItem>) -> UploadRequest {
        UploadRequest {
            id: "r1".into(),
            case_id: CaseId("c1".into()),
            requested_by: UserId("u1".into()),
            requested_at: at(0),
            note: None,
            items,
            completed_at: None,
        }
    }

    #[test]
    fn r17_uploads_tick_the_checklist_by_kind_and_complete_it() {
        let mut request = request(UploadRequest::default_items());
        assert_eq!(request.tick(None, FileKind::Pdf, "a0", at(1)), None, "a PDF is neither");
        assert_eq!(request.tick(None, FileKind::Text, "a1", at(2)), Some(1));
        assert!(!request.is_complete());
        assert_eq!(
            request.tick(None, FileKind::Text, "a2", at(3)),
            None,
            "the log is ticked"
        );
        assert_eq!(request.tick(None, FileKind::Har, "a3", at(4)), Some(0));
        assert!(request.is_complete());
        assert_eq!(request.completed_at, Some(at(4)));
        assert_eq!(
            request.tick(None, FileKind::Video, "a4", at(5)),
            None,
            "complete stays complete"
        );
    }

    #[test]
    fn r17_an_upload_may_name_its_item() {
        let items = UploadRequest::parse_items(&[
            ("recording".into(), None),
            ("other".into(), Some("The export you tried".into())),
        ])
        .unwrap();
        let mut request = request(items);
        assert_eq!(request.tick(Some(1), FileKind::Binary, "a1", at(1)), Some(1));
        assert_eq!(
            request.tick(Some(1), FileKind::Binary, "a2", at(2)),
            None,
            "already ticked"
        );
        assert_eq!(request.tick(Some(9), FileKind::Har, "a3", at(3)), None, "no such item");
        assert_eq!(request.tick(None, FileKind::Video, "a4", at(4)), Some(0));
        assert!(request.is_complete());
    }

    #[test]
    fn items_parse_with_their_limits() {
        assert_eq!(UploadRequest::parse_items(&[]).unwrap(), UploadRequest::default_items());
        assert!(UploadRequest::parse_items(&[("screenshot".into(), None)]).is_err());
        assert_eq!(
            UploadRequest::parse_items(&[("other".into(), None)]).unwrap_err().kind,
            InvalidKind::Empty
        );
        let many: Vec<_> = (0..11).map(|_| ("log".to_owned(), None)).collect();
        assert_eq!(
            UploadRequest::parse_items(&many).unwrap_err().kind,
            InvalidKind::TooLong
        );
    }

    #[test]
    fn recordings_are_har_video_screenshots_or_zip() {
        for kind in [FileKind::Har, FileKind::Video, FileKind::Image, FileKind::Zip] {
            assert!(WantedKind::Recording.accepts(kind));
        }
        assert!(!WantedKind::Recording.accepts(FileKind::Text));
        assert!(WantedKind::Log.accepts(FileKind::Text));
        assert!(!WantedKind::Log.accepts(FileKind::Har));
    }

    #[test]
    fn retention_counts_from_closing() {
        let days = SignedDuration::from_hours(24 * 90);
        assert!(!retention_due(None, at(0), days));
        assert!(!retention_due(
            Some(at(0)),
            at(0) + SignedDuration::from_hours(24 * 89),
            days
        ));
        assert!(retention_due(Some(at(0)), at(0) + days, days));
    }

    #[test]
    fn removed_counts_add_up() {
        let mut removed = Removed {
            cookies: 2,
            ..Removed::default()
        };
        removed += Removed {
            cookies: 1,
            tokens: 4,
            ..Removed::default()
        };
        assert_eq!(removed.total(), 7);
        assert_eq!(removed.counts(), [("cookies", 3), ("tokens", 4)]);
        assert!(Removed::default().is_empty());
    }
}
