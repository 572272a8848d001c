//! Zip archives, rewritten entry by entry: HAR and text entries scrubbed
//! like uploads of their own, nested archives likewise up to a depth,
//! other entries copied. Each entry goes through an anonymous temporary
//! file, so memory stays flat; what an archive may expand to is bounded
//! (zip bombs), counted from the bytes actually read, not the sizes the
//! archive declares.

use std::io::{self, Read, Seek, SeekFrom, Write};

use guichet_domain::attachment::{FileKind, Removed};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::sniff::{HEAD, sniff};
use crate::{Limits, Refusal, har, text};

/// What the archives of one upload have used of the limits so far.
#[derive(Default)]
struct Budget {
    expanded: u64,
    entries: usize,
}

/// Scrubs the zip archive of `input` into `output`.
pub fn scrub_zip<R, W>(input: &mut R, output: &mut W, limits: &Limits) -> Result<Removed, Refusal>
where
    R: Read + Seek,
    W: Write + Seek,
{
    scrub_at(input, output, limits, 1, &mut Budget::default())
}

fn bad(error: zip::result::ZipError) -> Refusal {
    match error {
        zip::result::ZipError::Io(error) => Refusal::Io(error),
        other => Refusal::BadArchive(other.to_string()),
    }
}

fn scrub_at<R, W>(
    input: &mut R,
    output: &mut W,
    limits: &Limits,
    depth: u32,
    budget: &mut Budget,
) -> Result<Removed, Refusal>
where
    R: Read + Seek,
    W: Write + Seek,
{
    if depth > limits.max_depth {
        return Err(Refusal::ZipBomb(format!(
            "archives nest more than {} deep",
            limits.max_depth
        )));
    }
    input.seek(SeekFrom::Start(0))?;
    let mut archive = ZipArchive::new(&mut *input).map_err(bad)?;
    budget.entries += archive.len();
    if budget.entries > limits.max_entries {
        return Err(Refusal::ZipBomb(format!(
            "it holds more than {} files",
            limits.max_entries
        )));
    }
    let mut writer = ZipWriter::new(&mut *output);
    let mut removed = Removed::default();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(bad)?;
        if entry.encrypted() {
            return Err(Refusal::BadArchive(
                "it holds encrypted files, which cannot be checked".into(),
            ));
        }
        let name = entry.name().map_err(bad)?.into_owned();
        let mut options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        if let Some(modified) = entry.last_modified() {
            options = options.last_modified_time(modified);
        }
        if entry.is_dir() {
            writer.add_directory(name, options).map_err(bad)?;
            continue;
        }
        let left = limits.max_expanded.saturating_sub(budget.expanded);
        let mut staged = tempfile::tempfile()?;
        let expanded = io::copy(&mut (&mut entry).take(left + 1), &mut staged).map_err(|error| {
            if error.kind() == io::ErrorKind::InvalidData {
                Refusal::BadArchive(error.to_string())
            } else {
                Refusal::Io(error)
            }
        })?;
        budget.expanded += expanded;
        if budget.expanded > limits.max_expanded {
            return Err(Refusal::ZipBomb(format!(
                "it expands to more than {} bytes",
                limits.max_expanded
            )));
        }
        if expanded > limits.ratio_floor && expanded / entry.compressed_size().max(1) > limits.max_ratio {
            return Err(Refusal::ZipBomb(format!(
                "`{name}` expands more than {} times",
                limits.max_ratio
            )));
        }
        drop(entry);
        staged.seek(SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(HEAD);
        (&mut staged).take(HEAD as u64).read_to_end(&mut head)?;
        staged.seek(SeekFrom::Start(0))?;
        let sniffed = sniff(&head, &name, None);
        if let Some(format) = sniffed.unsupported {
            return Err(Refusal::Unsupported(format));
        }
        if expanded > u32::MAX as u64 / 2 {
            options = options.large_file(true);
        }
        writer.start_file(name.as_str(), options).map_err(bad)?;
        match sniffed.kind {
            FileKind::Har => removed += har::scrub_har(&mut staged, &mut writer)?,
            FileKind::Text => removed += text::scrub_text(io::BufReader::new(&mut staged), &mut writer)?,
            FileKind::Zip => {
                let mut nested = tempfile::tempfile()?;
                removed += scrub_at(&mut staged, &mut nested, limits, depth + 1, budget)?;
                nested.seek(SeekFrom::Start(0))?;
                io::copy(&mut nested, &mut writer)?;
            }
            _ => {
                io::copy(&mut staged, &mut writer)?;
            }
        }
    }
    writer.finish().map_err(bad)?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = ZipWriter::new(&mut out);
        for (name, content) in files {
            writer
                .start_file(
                    *name,
                    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
                )
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    fn read_zip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut content = Vec::new();
                entry.read_to_end(&mut content).unwrap();
                (entry.name().unwrap().into_owned(), content)
            })
            .collect()
    }

    fn scrub(bytes: Vec<u8>, limits: &Limits) -> Result<(Vec<u8>, Removed), Refusal> {
        let mut out = Cursor::new(Vec::new());
        let removed = scrub_zip(&mut Cursor::new(bytes), &mut out, limits)?;
        Ok((out.into_inner(), removed))
    }

    #[test]
    fn r17_har_and_log_entries_are_scrubbed_others_copied() {
        let har = br#"{"log":{"version":"1.2","entries":[{"request":{"url":"https://a.example/","headers":[{"name":"Cookie","value":"sid=abcdefghijkl"}]},"response":{"headers":[]}}]}}"#;
        let nested = zip_of(&[("inner.log", b"password=innersecret1\n")]);
        let archive = zip_of(&[
            ("recording.har", har),
            ("logs/app.log", b"user=dana token=zzzzzzzzzz\n"),
            ("picture.png", b"\x89PNG\r\n\x1a\nbinary"),
            ("more.zip", &nested),
        ]);
        let (out, removed) = scrub(archive, &Limits::default()).unwrap();
        let files = read_zip(out);
        assert_eq!(files.len(), 4);
        let har_out = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(!har_out.contains("abcdefghijkl"), "{har_out}");
        serde_json::from_str::<serde_json::Value>(&har_out).unwrap();
        assert_eq!(files[1].1, b"user=dana token=[removed]\n");
        assert_eq!(files[2].1, b"\x89PNG\r\n\x1a\nbinary");
        let inner = read_zip(files[3].1.clone());
        assert_eq!(inner[0].1, b"password=[removed]\n");
        assert_eq!(removed.cookies, 1);
        assert_eq!(removed.parameters, 2);
    }

    #[test]
    fn r17_zip_bombs_are_refused() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let bomb = zip_of(&[("zeros.bin", &zeros)]);
        let refusal = scrub(bomb, &Limits::default()).unwrap_err();
        assert_eq!(refusal.code(), "zip_bomb", "{refusal}");

        let big = zip_of(&[("a.bin", &[7u8; 1000]), ("b.bin", &[8u8; 1000])]);
        let limits = Limits {
            max_expanded: 1500,
            ..Limits::default()
        };
        assert_eq!(scrub(big, &limits).unwrap_err().code(), "zip_bomb");

        let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("{i}.txt"), vec![b'x'])).collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
        let limits = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        assert_eq!(scrub(zip_of(&refs), &limits).unwrap_err().code(), "zip_bomb");
    }

    #[test]
    fn r17_archives_nesting_too_deep_are_refused() {
        let mut archive = zip_of(&[("deep.log", b"x\n")]);
        for level in 0..4 {
            archive = zip_of(&[(&format!("level{level}.zip"), &archive)]);
        }
        let refusal = scrub(archive, &Limits::default()).unwrap_err();
        assert_eq!(refusal.code(), "zip_bomb");
        assert!(refusal.to_string().contains("nest"), "{refusal}");
    }

    #[test]
    fn broken_archives_and_fake_har_entries_are_refused() {
        assert_eq!(
            scrub(b"PK\x03\x04 not really".to_vec(), &Limits::default())
                .unwrap_err()
                .code(),
            "invalid_archive"
        );
        let fake = zip_of(&[("trace.har", b"<html>not json</html>")]);
        assert_eq!(scrub(fake, &Limits::default()).unwrap_err().code(), "invalid_har");
    }
}
