//! Queries: what people type becomes a tantivy query (words in each
//! language's analyzer, misspellings, phrases, error codes), filtered by
//! kind, language, product, area and audience; hits come back with a
//! highlighted snippet.

use std::collections::{BTreeMap, HashSet};

use guichet_domain::article::Audience;
use guichet_domain::user::Language;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::analysis::tokens;
use crate::{Kind, Result, SearchIndex, stored_text};

/// How a text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A search: every word matters.
    Search,
    /// Typing: the last word may be unfinished, so it also matches as a
    /// prefix.
    Suggest,
}

/// A search, as the caller may make it.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// Only documents in this language; `None` searches every language
    /// (one hit per thing, its best language).
    pub lang: Option<Language>,
    /// Only these kinds; empty is every kind.
    pub kinds: &'a [Kind],
    pub product: Option<&'a str>,
    pub area: Option<&'a str>,
    /// What the caller may see: nothing else is counted, scored or shown.
    pub audiences: &'a [Audience],
    pub limit: usize,
    /// Hits to skip (the cursor of the previous page).
    pub offset: usize,
    pub mode: Mode,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    pub slug: String,
    pub lang: Language,
    pub title: String,
    /// HTML: the text escaped, the matching words in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

/// A page of results, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub hits: Vec<Hit>,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<usize>,
}

const TITLE_BOOST: f32 = 3.0;
const CODE_BOOST: f32 = 20.0;
const PHRASE_BOOST: f32 = 5.0;
const WORD_BOOST: f32 = 1.5;
const FUZZY_BOOST: f32 = 0.6;
/// R8: words this long or longer forgive a typo (one edit; a swap of two
/// letters counts as one).
const TYPO_MIN_CHARS: usize = 5;
const SNIPPET_CHARS: usize = 180;
const SNIPPET_SCAN_BYTES: usize = 3000;

/// What the text asks for: words, and phrases that were quoted.
#[derive(Debug, PartialEq)]
struct Parsed<'a> {
    words: Vec<&'a str>,
    phrases: Vec<&'a str>,
}

fn parse(text: &str) -> Parsed<'_> {
    let mut parsed = Parsed {
        words: Vec::new(),
        phrases: Vec::new(),
    };
    for (index, part) in text.split(['"', '“', '”', '«', '»']).enumerate() {
        if index % 2 == 1 && !part.trim().is_empty() {
            parsed.phrases.push(part.trim());
        } else {
            parsed.words.extend(part.split_whitespace());
        }
    }
    parsed
}

/// An error code as people type it (`GL-4012`, `TIM_207`, `E1042`): letters
/// and digits, both.
fn looks_like_code(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    word.len() >= 3
        && word.len() <= 40
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

fn boost(query: impl Query, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), by))
}

fn term(field: Field, text: &str) -> TermQuery {
    TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs)
}

fn filter(query: impl Query) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(query), 0.0)))
}

impl SearchIndex {
    /// R8: a search, best first, a page at a time.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Page> {
        let searcher = self.reader.searcher();
        let languages: Vec<Language> = match request.lang {
            Some(lang) => vec![lang],
            None => Language::ALL.to_vec(),
        };
        let limit = request.limit.clamp(1, 100);
        let browsing = request.text.trim().is_empty();
        let mut clauses = self.filters(&searcher, request)?;
        if browsing {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        } else {
            match self.text_query(&searcher, request.text, &languages, request.mode)? {
                Some(query) => clauses.push((Occur::Must, query)),
                None => {
                    return Ok(Page {
                        hits: Vec::new(),
                        next_offset: None,
                    });
                }
            }
        }
        let query = BooleanQuery::new(clauses);
        // Without a language, both translations of a thing may match:
        // fetch more and keep the best of each.
        let fetch = if request.lang.is_some() {
            limit + 1
        } else {
            limit * 2 + 1
        };
        let top: Vec<(f32, DocAddress)> = if browsing {
            let collector = TopDocs::with_limit(fetch)
                .and_offset(request.offset)
                .order_by_fast_field::<i64>("helpful", Order::Desc);
            searcher
                .search(&query, &collector)?
                .into_iter()
                .map(|(helpful, address)| (helpful.unwrap_or(0) as f32, address))
                .collect()
        } else {
            searcher.search(
                &query,
                &TopDocs::with_limit(fetch).and_offset(request.offset).order_by_score(),
            )?
        };
        let snippets = Snippets::new(self, request.text, request.mode == Mode::Search);
        let mut hits = Vec::new();
        let mut seen = HashSet::new();
        let mut consumed = 0;
        for (score, address) in &top {
            if hits.len() == limit {
                break;
            }
            consumed += 1;
            let doc: TantivyDocument = searcher.doc(*address)?;
            let id = stored_text(&doc, self.fields.id);
            let kind = Kind::parse(&stored_text(&doc, self.fields.kind)).unwrap_or(Kind::Article);
            if !seen.insert((kind, id.clone())) {
                continue;
            }
            hits.push(self.hit(&doc, kind, id, *score, &snippets));
        }
        let more = consumed < top.len() || top.len() == fetch;
        Ok(Page {
            hits,
            next_offset: more.then_some(request.offset + consumed),
        })
    }

    /// R7: the help for one page of the application, most helpful first,
    /// one hit per thing, in `preferred` when it exists, else another
    /// language.
    pub fn for_page(
        &self,
        page_key: &str,
        preferred: Language,
        audiences: &[Audience],
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let request = SearchRequest {
            text: "",
            lang: None,
            kinds: &[],
            product: None,
            area: None,
            audiences,
            limit,
            offset: 0,
            mode: Mode::Search,
        };
        let mut clauses = self.filters(&searcher, &request)?;
        clauses.push((Occur::Must, Box::new(term(self.fields.page_key, page_key))));
        let collector = TopDocs::with_limit(500).order_by_fast_field::<i64>("helpful", Order::Desc);
        let top = searcher.search(&BooleanQuery::new(clauses), &collector)?;
        let mut chosen: Vec<(String, TantivyDocument, i64)> = Vec::new();
        for (helpful, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let key = format!(
                "{}:{}",
                stored_text(&doc, self.fields.kind),
                stored_text(&doc, self.fields.id)
            );
            let is_preferred = stored_text(&doc, self.fields.lang) == preferred.code();
            match chosen.iter_mut().find(|(k, _, _)| *k == key) {
                Some(entry) if is_preferred => entry.1 = doc,
                Some(_) => {}
                None => chosen.push((key, doc, helpful.unwrap_or(0))),
            }
        }
        let snippets = Snippets::new(self, "", false);
        Ok(chosen
            .into_iter()
            .take(limit)
            .map(|(_, doc, helpful)| {
                let id = stored_text(&doc, self.fields.id);
                let kind = Kind::parse(&stored_text(&doc, self.fields.kind)).unwrap_or(Kind::Article);
                self.hit(&doc, kind, id, helpful as f32, &snippets)
            })
            .collect())
    }

    fn hit(&self, doc: &TantivyDocument, kind: Kind, id: String, score: f32, snippets: &Snippets) -> Hit {
        let lang = Language::parse(&stored_text(doc, self.fields.lang)).unwrap_or_default();
        let body = stored_text(doc, self.fields.body(lang));
        Hit {
            kind,
            id,
            slug: stored_text(doc, self.fields.slug),
            lang,
            title: stored_text(doc, self.fields.title(lang)),
            snippet: snippets.snippet(lang, &body),
            score,
        }
    }

    /// The filters: kind, language, product, area, audience.
    fn filters(&self, searcher: &Searcher, request: &SearchRequest<'_>) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = &self.fields;
        let mut clauses = Vec::new();
        if !request.kinds.is_empty() && request.kinds.len() < Kind::ALL.len() {
            let kinds = request.kinds.iter().map(|k| Term::from_field_text(f.kind, k.as_str()));
            clauses.push(filter(TermSetQuery::new(kinds)));
        }
        if let Some(lang) = request.lang {
            clauses.push(filter(term(f.lang, lang.code())));
        }
        if let Some(product) = request.product {
            clauses.push(filter(term(f.product, product)));
        }
        if let Some(area) = request.area {
            clauses.push(filter(term(f.area, area)));
        }
        // An audience the caller may not see is always filtered out, unless
        // the index holds none of it (then the filter would change nothing
        // and only cost time).
        let mut hidden_present = false;
        for audience in Audience::ALL {
            if !request.audiences.contains(&audience)
                && searcher.doc_freq(&Term::from_field_text(f.audience, audience.as_str()))? > 0
            {
                hidden_present = true;
            }
        }
        if hidden_present {
            let allowed = request
                .audiences
                .iter()
                .map(|a| Term::from_field_text(f.audience, a.as_str()));
            clauses.push(filter(TermSetQuery::new(allowed)));
        }
        Ok(clauses)
    }

    /// The text as a query; `None` when nothing in it can match (stop
    /// words only).
    fn text_query(
        &self,
        searcher: &Searcher,
        text: &str,
        languages: &[Language],
        mode: Mode,
    ) -> Result<Option<Box<dyn Query>>> {
        let f = &self.fields;
        let parsed = parse(text);
        let mut plain = self.analyzers.plain.clone();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let last = parsed.words.len().saturating_sub(1);
        for (index, word) in parsed.words.iter().enumerate() {
            let typing = mode == Mode::Suggest && index == last && parsed.phrases.is_empty();
            let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
            if looks_like_code(word) {
                let code = word
                    .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                    .to_ascii_uppercase();
                alternatives.push(boost(term(f.code, &code), CODE_BOOST));
            }
            for (_, token) in tokens(&mut plain, word) {
                let chars = token.chars().count();
                alternatives.push(boost(term(f.words, &token), WORD_BOOST));
                if typing && chars >= 2 {
                    let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(f.words, &token), 0, true);
                    alternatives.push(boost(prefix, WORD_BOOST));
                }
                // A word the index does not know may be misspelt: it is
                // compared with the whole words of titles, tags and messages
                // (a small dictionary, unlike the bodies', so the fuzzy
                // lookup stays cheap).
                if chars >= TYPO_MIN_CHARS && searcher.doc_freq(&Term::from_field_text(f.words, &token))? == 0 {
                    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(f.words, &token), 1, true);
                    alternatives.push(boost(fuzzy, WORD_BOOST * FUZZY_BOOST));
                }
            }
            for &language in languages {
                let mut analyzer = self.analyzers.of(language);
                for (_, token) in tokens(&mut analyzer, word) {
                    let title = Term::from_field_text(f.title(language), &token);
                    alternatives.push(boost(term(f.title(language), &token), TITLE_BOOST));
                    alternatives.push(Box::new(term(f.body(language), &token)));
                    if typing && token.chars().count() >= 2 {
                        let prefix = FuzzyTermQuery::new_prefix(title, 0, true);
                        alternatives.push(boost(prefix, TITLE_BOOST));
                    }
                }
            }
            if !alternatives.is_empty() {
                clauses.push((Occur::Should, Box::new(BooleanQuery::union(alternatives))));
            }
        }
        for phrase in &parsed.phrases {
            let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
            let mut fields: Vec<(Field, Vec<(usize, String)>)> = vec![(f.words, tokens(&mut plain, phrase))];
            for &language in languages {
                let phrase_tokens = tokens(&mut self.analyzers.of(language), phrase);
                fields.push((f.title(language), phrase_tokens.clone()));
                fields.push((f.body(language), phrase_tokens));
            }
            for (field, phrase_tokens) in fields {
                match phrase_tokens.len() {
                    0 => {}
                    1 => alternatives.push(boost(term(field, &phrase_tokens[0].1), PHRASE_BOOST)),
                    _ => {
                        let first = phrase_tokens[0].0;
                        let terms = phrase_tokens
                            .iter()
                            .map(|(position, text)| (position - first, Term::from_field_text(field, text)))
                            .collect();
                        alternatives.push(boost(PhraseQuery::new_with_offset(terms), PHRASE_BOOST));
                    }
                }
            }
            if !alternatives.is_empty() {
                // A quoted message must be there, word for word.
                clauses.push((Occur::Must, Box::new(BooleanQuery::union(alternatives))));
            }
        }
        if clauses.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }
}

/// Highlighted extracts of bodies, one generator per language.
struct Snippets {
    generators: Vec<(Language, SnippetGenerator)>,
}

impl Snippets {
    fn new(index: &SearchIndex, text: &str, full: bool) -> Self {
        let mut generators = Vec::new();
        for language in Language::ALL {
            let mut analyzer = index.analyzers.of(language);
            let words = text.replace(['"', '“', '”', '«', '»'], " ");
            let terms: BTreeMap<String, f32> = tokens(&mut analyzer, &words)
                .into_iter()
                .map(|(_, token)| (token, 1.0))
                .collect();
            let mut generator = SnippetGenerator::new(terms, analyzer, index.fields.body(language), SNIPPET_CHARS);
            generator.set_max_num_chars(if full { SNIPPET_CHARS } else { SNIPPET_CHARS / 2 });
            generators.push((language, generator));
        }
        Self { generators }
    }

    fn snippet(&self, language: Language, body: &str) -> String {
        let Some((_, generator)) = self.generators.iter().find(|(l, _)| *l == language) else {
            return String::new();
        };
        // The extract comes from the start of long bodies: snippets cost a
        // pass of the analyzer over the text, which must stay bounded.
        let mut end = body.len().min(SNIPPET_SCAN_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let body = &body[..end];
        let snippet = generator.snippet(body);
        if snippet.is_empty() {
            // Nothing matched in the body (a title or code match): its start.
            let start: String = body.chars().take(SNIPPET_CHARS).collect();
            let cut = start.rfind(char::is_whitespace).filter(|_| body.len() > start.len());
            let start = cut.map_or(start.as_str(), |at| &start[..at]);
            return escape(start.trim());
        }
        let fragment = snippet.fragment();
        let mut html = String::new();
        let mut at = 0;
        for range in snippet.highlighted() {
            html.push_str(&escape(&fragment[at..range.start]));
            html.push_str("<mark>");
            html.push_str(&escape(&fragment[range.clone()]));
            html.push_str("</mark>");
            at = range.end;
        }
        html.push_str(&escape(&fragment[at..]));
        html.trim().to_owned()
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_a_phrase() {
        assert_eq!(
            parse(r#"GL-4012 "période clôturée" journal"#),
            Parsed {
                words: vec!["GL-4012", "journal"],
                phrases: vec!["période clôturée"],
            }
        );
        assert_eq!(parse("« Period closed »").phrases, vec!["Period closed"]);
    }

    #[test]
    fn codes_have_letters_and_digits() {
        assert!(looks_like_code("GL-4012"));
        assert!(looks_like_code("E1042,"));
        assert!(!looks_like_code("journal"));
        assert!(!looks_like_code("2024"));
    }

    #[test]
    fn snippets_escape_html() {
        assert_eq!(escape("<script>&"), "&lt;script&gt;&amp;");
    }
}
