//! The one error every parser of this crate returns.

use std::fmt;

/// What was wrong with a value; the HTTP edge turns it into a stable code
/// that names the field (`invalid_email`, `unknown_product`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// Empty after trimming.
    Empty,
    /// Longer than its limit.
    TooLong,
    /// Not of the expected form.
    Format,
    /// Well-formed, but names nothing known.
    Unknown,
    /// Well-formed and known, but not allowed here.
    NotAllowed,
}

/// A value refused by a parser, with a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub kind: InvalidKind,
    pub message: String,
}

impl Invalid {
    pub fn new(kind: InvalidKind, message: impl fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
        }
    }
}

/// Trims `input` and checks it is neither empty nor longer than `max`
/// characters (not bytes: names are often accented).
pub fn bounded_text(input: &str, what: &str, max: usize) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Invalid::new(InvalidKind::Empty, format!("{what} is empty")));
    }
    if text.chars().count() > max {
        return Err(Invalid::new(
            InvalidKind::TooLong,
            format!("{what} is longer than {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(
            InvalidKind::Format,
            format!("{what} contains control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Checks an identifier received from outside: ids are opaque, but always
/// 1 to 64 ASCII letters, digits, `-` or `_` (the store makes UUIDs), so
/// anything else names nothing and never reaches a query.
pub fn opaque_id(input: &str, what: &str) -> Result<String, Invalid> {
    let id = input.trim();
    let well_formed =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if well_formed {
        Ok(id.to_owned())
    } else {
        Err(Invalid::new(
            InvalidKind::Unknown,
            format!("there is no {what} `{}`", id.escape_debug()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_ascii() {
        assert_eq!(
            opaque_id("01a224c51c9872af84a5a2a2d8f42e15", "company").unwrap(),
            "01a224c51c9872af84a5a2a2d8f42e15"
        );
        for bad in ["", "x/../y", "a\u{0}b", "é", &"x".repeat(65)] {
            assert_eq!(
                opaque_id(bad, "company").unwrap_err().kind,
                InvalidKind::Unknown,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bounded_text_trims_and_counts_characters() {
        assert_eq!(bounded_text("  Lumière ", "name", 7).unwrap(), "Lumière");
        assert_eq!(bounded_text("   ", "name", 7).unwrap_err().kind, InvalidKind::Empty);
        assert_eq!(
            bounded_text("Lumières", "name", 7).unwrap_err().kind,
            InvalidKind::TooLong
        );
        assert_eq!(
            bounded_text("a\u{0}b", "name", 7).unwrap_err().kind,
            InvalidKind::Format
        );
    }
}
