//! The analyzers: how text becomes the terms the index holds.
//!
//! French and English: split on anything that is not a letter or digit →
//! drop over-long tokens → lowercase → stop words (with French elisions,
//! `l'`, `d'`, `qu'`…, which the tokenizer leaves as one-letter words) →
//! Snowball stemmer → ASCII folding. Folding comes after stemming because
//! the French stemmer expects accents (`é`, `è` steer its suffix rules);
//! folding afterwards still lets `ecritures` meet `écritures`.
//!
//! A third, language-neutral analyzer keeps whole words (no stop words, no
//! stemming, folded): quoted error messages match it word for word, and
//! misspelt words are compared to it.

use guichet_domain::user::Language;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};

pub(crate) const FRENCH: &str = "guichet_fr";
pub(crate) const ENGLISH: &str = "guichet_en";
pub(crate) const PLAIN: &str = "guichet_plain";

/// Longer tokens are noise (hashes, base64), not words.
const LONGEST_TOKEN: usize = 40;

/// What the tokenizer leaves of an elision (`l'écriture` → `l`, `écriture`;
/// `jusqu'à` → `jusqu`, `à`), added to Snowball's French stop words.
const FRENCH_ELISIONS: [&str; 13] = [
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

pub(crate) fn analyzer(language: Language) -> TextAnalyzer {
    let (stop_words, more_stop_words, stemmer) = match language {
        Language::Fr => (
            StopWordFilter::new(StemLanguage::French).expect("tantivy has French stop words"),
            StopWordFilter::remove(FRENCH_ELISIONS.iter().map(|w| w.to_string())),
            Stemmer::new(StemLanguage::French),
        ),
        Language::En => (
            StopWordFilter::new(StemLanguage::English).expect("tantivy has English stop words"),
            StopWordFilter::remove(Vec::<String>::new()),
            Stemmer::new(StemLanguage::English),
        ),
    };
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
        .filter(stop_words)
        .filter(more_stop_words)
        .filter(stemmer)
        .filter(AsciiFoldingFilter)
        .build()
}

pub(crate) fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The terms of `text` with their positions.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push((token.position, token.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(language: Language, text: &str) -> Vec<String> {
        tokens(&mut analyzer(language), text)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn french_elisions_go_and_accents_fold_after_stemming() {
        assert_eq!(terms(Language::Fr, "l'écriture"), terms(Language::Fr, "écritures"));
        assert_eq!(terms(Language::Fr, "d’écritures"), terms(Language::Fr, "ecritures"));
        assert_eq!(terms(Language::Fr, "qu'une"), Vec::<String>::new());
        assert_eq!(
            terms(Language::Fr, "rapprochements bancaires"),
            terms(Language::Fr, "rapprochement bancaire")
        );
    }

    #[test]
    fn english_stems_and_drops_stop_words() {
        assert_eq!(
            terms(Language::En, "the reconciliations"),
            terms(Language::En, "reconciliation")
        );
        assert_eq!(terms(Language::En, "Timesheets"), vec!["timesheet"]);
    }

    #[test]
    fn plain_keeps_whole_words_folded() {
        assert_eq!(
            tokens(&mut plain(), "Période CLÔTURÉE")
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>(),
            vec!["periode", "cloturee"]
        );
    }
}
