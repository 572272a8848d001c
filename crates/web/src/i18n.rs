//! French and English, both complete (`locales/{en,fr}/*.ftl`). A page is
//! in the signed-in user's language, else the one chosen with the language
//! switch, else the browser's `Accept-Language`, else English.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use guichet_domain::user::Language;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would show up in plain
        // text and in tests; our arguments are names and numbers.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");

fn identifier(language: Language) -> &'static LanguageIdentifier {
    match language {
        Language::En => &EN,
        Language::Fr => &FR,
    }
}

/// The cookie that remembers the language switch for visitors.
pub const LANGUAGE_COOKIE: &str = "guichet_lang";

/// Translations in one language, handed to templates as `tr`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub language: Language,
}

impl Tr {
    pub fn new(language: Language) -> Self {
        Self { language }
    }

    /// The language code, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.language.code()
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(identifier(self.language), id)
    }

    /// Whether the message `id` exists in this language (for messages
    /// without arguments).
    pub fn has(&self, id: &str) -> bool {
        LOCALES.try_lookup(identifier(self.language), id).is_some()
    }

    /// The message `id` with one argument.
    pub fn t1(&self, id: &str, name: &'static str, value: impl ToString) -> String {
        self.with(id, &[(name, value.to_string())])
    }

    /// The message `id` with two arguments.
    pub fn t2(&self, id: &str, a: (&'static str, &str), b: (&'static str, &str)) -> String {
        self.with(id, &[(a.0, a.1.to_owned()), (b.0, b.1.to_owned())])
    }

    /// The message `id` with three arguments.
    pub fn t3(&self, id: &str, a: (&'static str, &str), b: (&'static str, &str), c: (&'static str, &str)) -> String {
        self.with(
            id,
            &[(a.0, a.1.to_owned()), (b.0, b.1.to_owned()), (c.0, c.1.to_owned())],
        )
    }

    fn with(&self, id: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
            .collect();
        LOCALES.lookup_with_args(identifier(self.language), id, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_ids(source: &str) -> Vec<String> {
        let mut ids: Vec<String> = source
            .lines()
            .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn french_and_english_have_the_same_messages() {
        let en = message_ids(include_str!("../locales/en/main.ftl"));
        let fr = message_ids(include_str!("../locales/fr/main.ftl"));
        let missing_fr: Vec<_> = en.iter().filter(|id| !fr.contains(id)).collect();
        let missing_en: Vec<_> = fr.iter().filter(|id| !en.contains(id)).collect();
        assert!(missing_fr.is_empty(), "missing in French: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in English: {missing_en:?}");
        assert!(en.len() > 30);
    }

    #[test]
    fn every_message_a_template_or_handler_uses_exists_in_both_languages() {
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/home.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/contact.html"),
            include_str!("../templates/audit.html"),
            include_str!("portal/audit.rs"),
            include_str!("../templates/case_authorizations.html"),
            include_str!("../templates/case_files.html"),
            include_str!("portal/files.rs"),
            include_str!("../templates/authorization_list.html"),
            include_str!("../templates/authorization_page.html"),
            include_str!("../templates/password.html"),
            include_str!("portal/authorization.rs"),
            include_str!("authorization.rs"),
            include_str!("../templates/error.html"),
            include_str!("../templates/case_new.html"),
            include_str!("../templates/case_refused.html"),
            include_str!("../templates/case_list.html"),
            include_str!("../templates/case_page.html"),
            include_str!("../templates/case_queue.html"),
            include_str!("../templates/case_escalations.html"),
            include_str!("../templates/help_home.html"),
            include_str!("../templates/help_article.html"),
            include_str!("portal/help.rs"),
            include_str!("portal/mod.rs"),
            include_str!("portal/pages.rs"),
            include_str!("portal/cases.rs"),
            include_str!("support.rs"),
            include_str!("api/support.rs"),
            include_str!("../templates/status.html"),
            include_str!("../templates/status_incident.html"),
            include_str!("../templates/status_window.html"),
            include_str!("../templates/status_subscription.html"),
            include_str!("portal/status.rs"),
            include_str!("status/mod.rs"),
            include_str!("status/feeds.rs"),
            include_str!("../templates/community_list.html"),
            include_str!("../templates/community_ask.html"),
            include_str!("../templates/community_question.html"),
            include_str!("../templates/community_edit.html"),
            include_str!("../templates/community_queue.html"),
            include_str!("../templates/community_moderation.html"),
            include_str!("../templates/community_member.html"),
            include_str!("portal/community.rs"),
            include_str!("community.rs"),
            include_str!("../templates/training_catalogue.html"),
            include_str!("../templates/training_course.html"),
            include_str!("../templates/training_mine.html"),
            include_str!("../templates/training_session.html"),
            include_str!("portal/training.rs"),
            include_str!("training.rs"),
        ];
        let mut used = Vec::new();
        for source in sources {
            for marker in [".t(\"", ".t1(\"", ".t2(\"", ".t3(\""] {
                for (index, _) in source.match_indices(marker) {
                    let rest = &source[index + marker.len()..];
                    if let Some(end) = rest.find('"') {
                        used.push(rest[..end].to_owned());
                    }
                }
            }
        }
        assert!(used.len() > 20, "found only {} uses", used.len());
        let en = message_ids(include_str!("../locales/en/main.ftl"));
        let fr = message_ids(include_str!("../locales/fr/main.ftl"));
        for id in used {
            assert!(en.contains(&id), "`{id}` is missing in English");
            assert!(fr.contains(&id), "`{id}` is missing in French");
        }
    }

    #[test]
    fn messages_take_arguments_in_each_language() {
        assert_eq!(
            Tr::new(Language::En).t1("home-greeting", "name", "Marie"),
            "Hello, Marie"
        );
        assert_eq!(
            Tr::new(Language::Fr).t1("home-greeting", "name", "Marie"),
            "Bonjour, Marie"
        );
    }
}
