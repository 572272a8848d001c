//! The demo knowledge base (R7, R8): articles of our own in French and
//! English about the demo products, each linked to application pages,
//! imported once (a marker in `settings`) through `guichet kb import`'s
//! own reader. `knowledge.txt` is written by `tools/gen_demo_knowledge.py`.

use guichet_store::Store;
use jiff::Timestamp;

use crate::kb::{self, ArticleFile};

const MARKER: &str = "demo.knowledge";

/// Every demo article file: `=== name ===` then the file.
pub const FILES: &str = include_str!("knowledge.txt");

/// The relevance set: queries and the article that must come first (in
/// the top 3), in French and English, with typos, plurals, missing accents
/// and error codes. Columns: language (or `*`), query, expected slug.
pub const RELEVANCE: &str = include_str!("relevance.tsv");

/// The demo files, parsed.
pub fn files() -> Vec<(String, Result<ArticleFile, String>)> {
    let mut files = Vec::new();
    for chunk in FILES.split("=== ").filter(|c| !c.trim().is_empty()) {
        let (name, text) = chunk.split_once(" ===\n").expect("each demo file is named");
        files.push((name.to_owned(), kb::parse_file(name, text)));
    }
    files
}

/// One line of the relevance set.
#[derive(Debug, Clone)]
pub struct RelevanceCase {
    pub lang: Option<guichet_domain::user::Language>,
    pub query: String,
    pub expected: String,
}

pub fn relevance_set() -> Vec<RelevanceCase> {
    RELEVANCE
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut columns = line.split('\t');
            let lang = columns.next().expect("a language column");
            RelevanceCase {
                lang: guichet_domain::user::Language::parse(lang).ok(),
                query: columns.next().expect("a query column").to_owned(),
                expected: columns.next().expect("an expected slug column").trim().to_owned(),
            }
        })
        .collect()
}

/// Loads the demo articles once; `true` if they were loaded now.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let report = kb::import_files(store, files(), now).await?;
    anyhow::ensure!(report.refused.is_empty(), "demo articles refused: {:?}", report.refused);
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use guichet_domain::article::Audience;
    use guichet_search::{Change, Kind, Mode, SearchIndex, SearchRequest};

    use super::*;

    /// The demo articles in an index, as the server would hold them.
    fn demo_index() -> SearchIndex {
        let index = SearchIndex::in_memory();
        let mut changes = Vec::new();
        for (name, file) in files() {
            let file = file.unwrap_or_else(|e| panic!("{name}: {e}"));
            let content = kb::merge(&[&file]).unwrap();
            let stored = guichet_store::StoredArticle {
                article: guichet_domain::article::Article {
                    id: guichet_domain::article::ArticleId(content.slug.to_string()),
                    content,
                    version: 1,
                    created_at: Timestamp::UNIX_EPOCH,
                    updated_at: Timestamp::UNIX_EPOCH,
                },
                votes: Default::default(),
            };
            // Each file is one translation: add it next to the others.
            let documents = guichet_web::knowledge::documents(&stored);
            changes.push((stored.article.id.0.clone(), documents));
        }
        let mut merged: Vec<Change> = Vec::new();
        for (id, documents) in changes {
            match merged.iter_mut().find(|c| c.id == id) {
                Some(change) => change.documents.extend(documents),
                None => merged.push(Change {
                    kind: Kind::Article,
                    id,
                    documents,
                }),
            }
        }
        index.apply(&merged, None).unwrap();
        index
    }

    #[test]
    fn r8_the_demo_knowledge_base_is_big_enough_and_valid() {
        let files = files();
        let refused: Vec<_> = files.iter().filter(|(_, f)| f.is_err()).collect();
        assert!(refused.is_empty(), "{refused:?}");
        let slugs: std::collections::BTreeSet<_> =
            files.iter().map(|(_, f)| f.as_ref().unwrap().slug.clone()).collect();
        assert!(slugs.len() >= 100, "{} articles", slugs.len());
        assert!(
            files.iter().all(|(_, f)| !f.as_ref().unwrap().page_keys.is_empty()),
            "every article has a page"
        );
    }

    /// The relevance set: a query whose expected article drops out of the
    /// top 3 fails the test.
    #[test]
    fn r8_relevance_set_expected_articles_stay_in_the_top_3() {
        let index = demo_index();
        let mut failures = Vec::new();
        let cases = relevance_set();
        assert!(cases.len() >= 30, "{} cases", cases.len());
        for case in &cases {
            let page = index
                .search(&SearchRequest {
                    text: &case.query,
                    lang: case.lang,
                    kinds: &[],
                    product: None,
                    area: None,
                    audiences: &[Audience::Public, Audience::Customers],
                    limit: 3,
                    offset: 0,
                    mode: Mode::Search,
                })
                .unwrap();
            let top: Vec<&str> = page.hits.iter().map(|h| h.slug.as_str()).collect();
            if !top.contains(&case.expected.as_str()) {
                failures.push(format!(
                    "{:?} {:?}: expected {}, got {top:?}",
                    case.lang, case.query, case.expected
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}
