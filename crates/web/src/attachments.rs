//! Attachments and problem recordings (R17), for the API and the portal
//! alike: uploads streamed to a temporary file, scrubbed of secrets, put in
//! the object store and recorded with their case event; downloads
//! authorized like the case; upload requests and their checklist;
//! retention of closed cases' files.

use guichet_domain::attachment::{ChecklistItem, Removed, WantedKind};
use guichet_domain::case::Happening;

use crate::i18n::Tr;

/// What the timeline shows of an attachment event.
pub(crate) struct EventWords {
    pub title: String,
    pub parts: Vec<String>,
    /// A link to the file: `(href, text)`.
    pub link: Option<(String, String)>,
}

/// R17: "12 cookies, 3 authorization headers, 2 tokens removed", in the
/// reader's language.
pub(crate) fn removed_words(tr: &Tr, removed: &Removed) -> String {
    let counts = removed.counts();
    if counts.is_empty() {
        return tr.t("attachment-removed-none");
    }
    let list: Vec<String> = counts
        .into_iter()
        .map(|(name, count)| {
            let id = format!("attachment-removed-{}", name.replace('_', "-"));
            if count == 1 {
                tr.t(&format!("{id}-one"))
            } else {
                tr.t1(&format!("{id}-other"), "count", count)
            }
        })
        .collect();
    tr.t1("attachment-removed-list", "list", list.join(", "))
}

/// A checklist item in the reader's words.
pub(crate) fn item_words(tr: &Tr, item: &ChecklistItem) -> String {
    match &item.label {
        Some(label) => label.clone(),
        None => match item.kind {
            WantedKind::Recording => tr.t("attachment-wanted-recording"),
            WantedKind::Log => tr.t("attachment-wanted-log"),
            WantedKind::Other => tr.t("attachment-wanted-other"),
        },
    }
}

/// The words of an attachment event on the timeline.
pub(crate) fn event_words(tr: &Tr, happening: &Happening) -> EventWords {
    let mut parts = Vec::new();
    let mut link = None;
    let title = match happening {
        Happening::AttachmentAdded {
            attachment,
            name,
            removed,
            ..
        } => {
            parts.push(removed_words(tr, removed));
            link = Some((format!("/api/v1/attachments/{attachment}"), name.clone()));
            tr.t1("attachment-event-added", "name", name)
        }
        Happening::UploadRequested { items, note, .. } => {
            if let Some(note) = note {
                parts.push(note.clone());
            }
            parts.extend(items.iter().map(|item| item_words(tr, item)));
            tr.t("attachment-event-upload-requested")
        }
        Happening::UploadRequestCompleted { .. } => tr.t("attachment-event-upload-request-completed"),
        Happening::AttachmentsDeleted { count: 1 } => tr.t("attachment-event-deleted-one"),
        Happening::AttachmentsDeleted { count } => tr.t1("attachment-event-deleted-other", "count", count),
        _ => String::new(),
    };
    EventWords { title, parts, link }
}

#[cfg(test)]
mod tests {
    use guichet_domain::user::Language;

    use super::*;

    #[test]
    fn r17_the_counts_removed_read_in_each_language() {
        let removed = Removed {
            cookies: 12,
            authorization_headers: 3,
            tokens: 2,
            ..Removed::default()
        };
        assert_eq!(
            removed_words(&Tr::new(Language::En), &removed),
            "12 cookies, 3 authorization headers, 2 tokens removed before it was stored"
        );
        assert_eq!(
            removed_words(&Tr::new(Language::Fr), &removed),
            "Retiré avant l'enregistrement : 12 cookies, 3 en-têtes d'autorisation, 2 jetons"
        );
        let one = Removed {
            private_keys: 1,
            ..Removed::default()
        };
        assert_eq!(
            removed_words(&Tr::new(Language::En), &one),
            "1 private key removed before it was stored"
        );
        assert_eq!(
            removed_words(&Tr::new(Language::En), &Removed::default()),
            "Nothing secret was found in it."
        );
    }

    #[test]
    fn every_count_and_item_has_words_in_both_languages() {
        for language in Language::ALL {
            let tr = Tr::new(language);
            for name in [
                "cookies",
                "authorization-headers",
                "credential-headers",
                "parameters",
                "tokens",
                "private-keys",
            ] {
                let one = format!("attachment-removed-{name}-one");
                assert!(tr.has(&one), "{one} in {language:?}");
                let other = format!("attachment-removed-{name}-other");
                assert!(tr.t1(&other, "count", 7).starts_with('7'), "{other} in {language:?}");
            }
            for kind in WantedKind::ALL {
                let id = format!("attachment-wanted-{}", kind.as_str());
                assert!(tr.has(&id), "{id} in {language:?}");
            }
        }
    }
}
