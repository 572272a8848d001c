//! The type of an upload, from its first bytes. The name counts for one
//! thing only: a name or type that claims HAR makes the file a HAR file,
//! which must then parse as one.

use guichet_domain::attachment::FileKind;

/// How many leading bytes `sniff` wants.
pub const HEAD: usize = 8192;

/// What an upload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: FileKind,
    /// What a download is sent as: never HTML, never SVG (text is
    /// `text/plain`).
    pub content_type: &'static str,
    /// A compressed format whose content cannot be scrubbed.
    pub unsupported: Option<&'static str>,
}

impl Sniffed {
    fn of(kind: FileKind, content_type: &'static str) -> Self {
        Self {
            kind,
            content_type,
            unsupported: None,
        }
    }
}

/// Decides what an upload is from `head`, its first bytes (up to `HEAD`),
/// and whether its `name` or `declared` type claims HAR.
pub fn sniff(head: &[u8], name: &str, declared: Option<&str>) -> Sniffed {
    let claims_har = name.to_ascii_lowercase().ends_with(".har")
        || declared.is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("har+json") || t.contains("/har") || t.contains("x-har")
        });
    if claims_har {
        return Sniffed::of(FileKind::Har, "application/json");
    }
    let starts = |magic: &[u8]| head.starts_with(magic);
    let unsupported = |format: &'static str| Sniffed {
        unsupported: Some(format),
        ..Sniffed::of(FileKind::Binary, "application/octet-stream")
    };
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        return Sniffed::of(FileKind::Zip, "application/zip");
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::of(FileKind::Image, "image/png");
    }
    if starts(b"\xff\xd8\xff") {
        return Sniffed::of(FileKind::Image, "image/jpeg");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::of(FileKind::Image, "image/gif");
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Sniffed::of(FileKind::Image, "image/webp");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return if brand == b"qt  " {
            Sniffed::of(FileKind::Video, "video/quicktime")
        } else {
            Sniffed::of(FileKind::Video, "video/mp4")
        };
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return Sniffed::of(FileKind::Video, "video/webm");
    }
    if starts(b"%PDF-") {
        return Sniffed::of(FileKind::Pdf, "application/pdf");
    }
    if starts(b"\x1f\x8b") {
        return unsupported("gzip");
    }
    if starts(b"BZh") {
        return unsupported("bzip2");
    }
    if starts(b"\xfd7zXZ\x00") {
        return unsupported("xz");
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return unsupported("7z");
    }
    if starts(b"Rar!\x1a\x07") {
        return unsupported("rar");
    }
    if starts(b"\x28\xb5\x2f\xfd") {
        return unsupported("zstd");
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return unsupported("tar");
    }
    if is_text(head) {
        return if first_key_is_log(head) {
            Sniffed::of(FileKind::Har, "application/json")
        } else {
            Sniffed::of(FileKind::Text, "text/plain; charset=utf-8")
        };
    }
    Sniffed::of(FileKind::Binary, "application/octet-stream")
}

/// UTF-8 without NUL bytes (a multi-byte character cut by the end of the
/// head is fine). An empty file is text.
fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none() && head.len() - error.valid_up_to() < 4,
    }
}

/// `{ "log": …`: a HAR document, whatever its name.
fn first_key_is_log(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let rest = text.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    rest.trim_ascii_start().starts_with(b"\"log\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r17_the_type_comes_from_the_content_not_the_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "notes.txt", None).kind, FileKind::Image);
        assert_eq!(sniff(b"PK\x03\x04rest", "trace.log", None).kind, FileKind::Zip);
        assert_eq!(
            sniff(b"2024-01-01 INFO started\n", "photo.png", None).kind,
            FileKind::Text
        );
        assert_eq!(
            sniff(b"{\n  \"log\": {\"version\": \"1.2\"", "export.json", None).kind,
            FileKind::Har
        );
        assert_eq!(sniff(b"{\"other\": 1}", "data.json", None).kind, FileKind::Text);
        assert_eq!(sniff(b"\x00\x01\x02", "x", None).kind, FileKind::Binary);
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypmp42", "x", None).kind, FileKind::Video);
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3", "x", None).kind, FileKind::Video);
        assert_eq!(sniff(b"%PDF-1.7", "x", None).kind, FileKind::Pdf);
        assert_eq!(sniff(b"", "empty", None).kind, FileKind::Text);
    }

    #[test]
    fn r17_a_name_or_type_claiming_har_makes_it_har() {
        assert_eq!(sniff(b"not json", "Trace.HAR", None).kind, FileKind::Har);
        assert_eq!(sniff(b"x", "upload", Some("application/har+json")).kind, FileKind::Har);
    }

    #[test]
    fn html_and_svg_are_never_sent_as_such() {
        for content in [
            &b"<!doctype html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ] {
            let sniffed = sniff(content, "page.html", Some("text/html"));
            assert_eq!(sniffed.content_type, "text/plain; charset=utf-8");
        }
    }

    #[test]
    fn compressed_formats_that_cannot_be_scrubbed_are_named() {
        assert_eq!(sniff(b"\x1f\x8b\x08", "app.log.gz", None).unsupported, Some("gzip"));
        let mut tar = vec![b'a'; 300];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar, "logs.tar", None).unsupported, Some("tar"));
    }

    #[test]
    fn a_multibyte_character_cut_by_the_head_is_still_text() {
        let mut head = "journal é".as_bytes().to_vec();
        head.pop();
        assert_eq!(sniff(&head, "x", None).kind, FileKind::Text);
        assert_eq!(sniff(b"\xff\xfe\x00", "x", None).kind, FileKind::Binary);
    }
}
