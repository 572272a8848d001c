//! What a reply says: its text above the quoted mail, without the
//! signature.

/// The line Guichet's notifications put above their text (the words of
/// each language), so a reply is cut there even if the mail program quotes
/// without `>`.
pub const REPLY_ABOVE: [&str; 2] = ["Reply above this line", "Répondez au-dessus de cette ligne"];

/// The reply's own text: lines up to the first sign of a quoted message
/// (our marker line, "On … wrote:", "Le … a écrit :", an "Original
/// Message" separator, an Outlook `From:` block) or of a signature (`-- `),
/// without `>`-quoted lines, trimmed of blank lines around it.
pub fn reply_text(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in body.lines() {
        let line = line.trim_end();
        let bare = line.trim_start();
        if REPLY_ABOVE.iter().any(|marker| line.contains(marker)) {
            break;
        }
        if line == "--" || line == "-- " || line == "__" || bare.starts_with("-----Original Message-----") {
            break;
        }
        if bare.starts_with("-----") && bare.to_lowercase().contains("message d'origine") {
            break;
        }
        if ends_like_attribution(bare) {
            if is_attribution_start(bare) {
                break;
            }
            // "On Mon, 2 Mar 2026, Support" may stand on the line before
            // "<support@…> wrote:".
            if kept.last().is_some_and(|previous| is_attribution_start(previous)) {
                kept.pop();
                break;
            }
        }
        if (bare.starts_with("From: ") || bare.starts_with("De : ") || bare.starts_with("De: "))
            && kept
                .last()
                .is_none_or(|previous| previous.trim().is_empty() || previous.starts_with('_'))
            && !kept.iter().all(|l| l.trim().is_empty())
        {
            // Outlook quotes the whole mail below a header block.
            break;
        }
        if bare.starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let start = kept.iter().position(|l| !l.trim().is_empty()).unwrap_or(kept.len());
    let mut text = String::new();
    let mut blank = 0;
    for line in &kept[start..] {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim_end().to_owned()
}

fn is_attribution_start(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("On ") || line.starts_with("Le ")
}

fn ends_like_attribution(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.ends_with("wrote:") || lower.ends_with("a écrit :") || lower.ends_with("a écrit:")
}

/// The first non-empty line of a reply (where a decision is read).
pub fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn quoted_text_and_signatures_are_removed() {
        let gmail = "Thanks, that fixed it.\n\nOn Mon, 2 Mar 2026 at 10:00, Support <support@support.example> wrote:\n> Try again\n> please\n";
        assert_eq!(reply_text(gmail), "Thanks, that fixed it.");
        let wrapped =
            "It works now.\n\nOn Mon, 2 Mar 2026 at 10:00, Support\n<support@support.example> wrote:\n> Try again\n";
        assert_eq!(reply_text(wrapped), "It works now.");
        let french = "Merci, c'est réglé.\n\nLe lun. 2 mars 2026 à 10:00, Support <support@support.example> a écrit :\n> Essayez\n";
        assert_eq!(reply_text(french), "Merci, c'est réglé.");
        let signed = "Still broken on the March report.\n\n-- \nDana Scully\nAcme, accounts\n";
        assert_eq!(reply_text(signed), "Still broken on the March report.");
        let marker = "AUTHORIZE\n\n--- Reply above this line to comment on the case ---\nCase 1042 was answered\n";
        assert_eq!(reply_text(marker), "AUTHORIZE");
        let quoted_marker = "J'AUTORISE\n> --- Répondez au-dessus de cette ligne ---\n> Demande 1042\n";
        assert_eq!(reply_text(quoted_marker), "J'AUTORISE");
        let outlook = "See the attached log.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n";
        assert_eq!(reply_text(outlook), "See the attached log.");
        let outlook_block =
            "Yes, go ahead.\n\nFrom: Support <support@support.example>\nSent: Monday\nSubject: Case 1042\n";
        assert_eq!(reply_text(outlook_block), "Yes, go ahead.");
        let mentions = "She wrote: it fails.\nThanks";
        assert_eq!(reply_text(mentions), mentions);
        let interleaved = "> Which version?\n7.2\n> Which browser?\nFirefox\n";
        assert_eq!(reply_text(interleaved), "7.2\nFirefox");
        assert_eq!(reply_text("\n\n  \n"), "");
        assert_eq!(first_line("\n\n  AUTHORIZE  \nthanks"), "AUTHORIZE");
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn a_message_that_only_mentions_from_keeps_its_text() {
        let text = "From: the March report, totals differ.\nIn April too.";
        assert_eq!(reply_text(text), text);
    }

    proptest! {
        #[test]
        fn any_text_gives_a_reply_without_panic(body in ".{0,400}") {
            let reply = reply_text(&body);
            prop_assert!(reply.len() <= body.len() + 1);
            let _ = first_line(&reply);
        }
    }
}
