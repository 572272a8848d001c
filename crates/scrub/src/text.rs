//! Text logs, scrubbed line by line: memory holds one line (at most
//! `MAX_LINE` bytes; longer lines are cut at a separator near the limit).

use std::io::{self, BufRead, Write};

use guichet_domain::attachment::Removed;

use crate::secrets::{closes_private_key, opens_private_key, scrub_bytes};

/// The longest piece of a line scrubbed at once.
pub const MAX_LINE: usize = 1024 * 1024;

/// Copies `input` to `output` with its secrets redacted in place; returns
/// what was removed.
pub fn scrub_text<R: BufRead, W: Write>(mut input: R, output: W) -> io::Result<Removed> {
    let mut output = io::BufWriter::new(output);
    let mut removed = Removed::default();
    let mut line = Vec::new();
    let mut carry = Vec::new();
    let mut in_private_key = false;
    loop {
        line.clear();
        line.append(&mut carry);
        if !read_piece(&mut input, &mut line, &mut carry)? {
            break;
        }
        let mut piece: &[u8] = &line;
        if in_private_key {
            // The lines of a key whose `BEGIN` was redacted go with it.
            match closes_private_key(piece) {
                Some(end) => {
                    in_private_key = false;
                    piece = &piece[end..];
                    if piece.trim_ascii().is_empty() {
                        continue;
                    }
                }
                None => continue,
            }
        }
        let scrubbed = scrub_bytes(piece, &mut removed, &mut None);
        output.write_all(&scrubbed)?;
        if opens_private_key(piece) {
            in_private_key = true;
            if !scrubbed.ends_with(b"\n") {
                output.write_all(b"\n")?;
            }
        }
    }
    output.flush()?;
    Ok(removed)
}

/// Reads up to the next newline (kept) or `MAX_LINE` bytes into `line`;
/// a piece cut short keeps its tail after the last separator in `carry`
/// for the next piece, so a secret is not split. `false` at the end.
fn read_piece<R: BufRead>(input: &mut R, line: &mut Vec<u8>, carry: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(!line.is_empty());
        }
        let room = MAX_LINE.saturating_sub(line.len());
        let window = &available[..available.len().min(room)];
        if let Some(newline) = window.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&window[..=newline]);
            input.consume(newline + 1);
            return Ok(true);
        }
        let taken = window.len();
        line.extend_from_slice(window);
        input.consume(taken);
        if line.len() >= MAX_LINE {
            let search_from = line.len().saturating_sub(64 * 1024);
            if let Some(cut) = line[search_from..]
                .iter()
                .rposition(|b| matches!(b, b' ' | b'\t' | b',' | b';' | b'&'))
            {
                let cut = search_from + cut + 1;
                carry.extend_from_slice(&line[cut..]);
                line.truncate(cut);
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> (String, Removed) {
        let mut out = Vec::new();
        let removed = scrub_text(text.as_bytes(), &mut out).unwrap();
        (String::from_utf8(out).unwrap(), removed)
    }

    #[test]
    fn r17_log_secrets_are_redacted_in_place() {
        let log = "2024-05-01 10:00:00 INFO start\n\
                   2024-05-01 10:00:01 DEBUG POST /login password=hunter22&user=dana\n\
                   2024-05-01 10:00:02 DEBUG Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n\
                   -----BEGIN PRIVATE KEY-----\n\
                   MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n\
                   -----END PRIVATE KEY-----\n\
                   2024-05-01 10:00:03 INFO api_key=\"sk_live_0123456789abcdefghij\" done\n";
        let (out, removed) = scrub(log);
        for secret in ["hunter22", "eyJhbGci", "MIIEvQIBADAN", "sk_live_0123"] {
            assert!(!out.contains(secret), "{secret} left in:\n{out}");
        }
        assert!(out.contains("INFO start\n"));
        assert!(out.contains("user=dana"));
        assert_eq!(out.lines().count(), 5, "{out}");
        assert_eq!(removed.parameters, 1, "{removed:?}");
        assert_eq!(removed.tokens, 1, "{removed:?}");
        assert_eq!(removed.authorization_headers, 1);
        assert_eq!(removed.private_keys, 1);
    }

    #[test]
    fn a_key_to_the_end_of_the_file_goes_too() {
        let (out, removed) = scrub("a\n-----BEGIN EC PRIVATE KEY-----\nAAAA\nBBBB");
        assert_eq!(out, "a\n[removed]\n");
        assert_eq!(removed.private_keys, 1);
    }

    #[test]
    fn lines_without_newline_and_invalid_utf8_pass_through() {
        let mut out = Vec::new();
        scrub_text(&b"\xff\xfe binary-ish token=abcdefgh"[..], &mut out).unwrap();
        assert_eq!(out, b"\xff\xfe binary-ish token=[removed]");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_between_words() {
        let filler = "word ".repeat(MAX_LINE / 5 + 10);
        let text = format!("{filler}password=secretvalue tail\n");
        let (out, removed) = scrub(&text);
        assert!(!out.contains("secretvalue"));
        assert_eq!(removed.parameters, 1);
        assert_eq!(out.len(), text.len() - "secretvalue".len() + "[removed]".len());
    }
}
