//! Guichet's search index (R7, R8, R11): one tantivy index over everything
//! people can search — knowledge base articles today; community questions
//! and training courses add a [`Kind`], nothing else.
//!
//! The index is derived data. The database is the truth; the binary feeds
//! changes in from the outbox and `guichet reindex` rebuilds it. Every node
//! keeps its own, under its data directory.

mod analysis;
mod query;

use std::path::Path;
use std::sync::Mutex;

use guichet_domain::article::Audience;
use guichet_domain::user::Language;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use query::{Hit, Mode, Page, SearchRequest};

/// Bumped whenever the schema or an analyzer changes: an index of another
/// version is rebuilt from the database.
// 2: community questions and training courses (an older index lacks them).
const SCHEMA_VERSION: &str = "guichet-search-2";
const VERSION_FILE: &str = "guichet-schema-version";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the search index is in use by another process (is the server running?)")]
    Locked,
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// What a searchable thing is. A new kind of content (community questions,
/// training courses) is a new variant here and documents of it; queries,
/// filters, audience and snippets work the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Article,
    /// R9: a community question, with its accepted answer.
    Question,
    /// R10: a training course.
    Course,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Article, Kind::Question, Kind::Course];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Question => "question",
            Self::Course => "course",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == input.trim())
    }
}

/// One searchable thing in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: Kind,
    /// The id of the thing (all its languages share it).
    pub id: String,
    pub slug: String,
    pub lang: Language,
    pub title: String,
    /// Plain text (no markup).
    pub body: String,
    pub products: Vec<String>,
    pub areas: Vec<String>,
    pub tags: Vec<String>,
    /// Matched exactly, whatever the case (`GL-4012`, `gl-4012`).
    pub error_codes: Vec<String>,
    /// Matched word for word.
    pub error_messages: Vec<String>,
    /// R7: the application pages it helps with.
    pub page_keys: Vec<String>,
    pub audience: Audience,
    /// Orders help lists and browsing ("most helpful" first).
    pub helpful: i64,
}

/// A change to apply: every document of one thing replaced (all its
/// languages; none when it is no longer searchable).
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: Kind,
    pub id: String,
    pub documents: Vec<Document>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub slug: Field,
    pub lang: Field,
    pub audience: Field,
    pub product: Field,
    pub area: Field,
    pub page_key: Field,
    pub code: Field,
    pub title_en: Field,
    pub title_fr: Field,
    pub body_en: Field,
    pub body_fr: Field,
    /// Title, tags and error messages, whole words, any language.
    pub words: Field,
    pub helpful: Field,
}

impl Fields {
    pub(crate) fn title(&self, language: Language) -> Field {
        match language {
            Language::En => self.title_en,
            Language::Fr => self.title_fr,
        }
    }

    pub(crate) fn body(&self, language: Language) -> Field {
        match language {
            Language::En => self.body_en,
            Language::Fr => self.body_fr,
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |analyzer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_text_field("id", STRING | STORED),
        slug: builder.add_text_field("slug", STORED),
        lang: builder.add_text_field("lang", STRING | STORED),
        audience: builder.add_text_field("audience", STRING),
        product: builder.add_text_field("product", STRING),
        area: builder.add_text_field("area", STRING),
        page_key: builder.add_text_field("page_key", STRING),
        code: builder.add_text_field("code", STRING),
        title_en: builder.add_text_field("title_en", text(analysis::ENGLISH, true)),
        title_fr: builder.add_text_field("title_fr", text(analysis::FRENCH, true)),
        body_en: builder.add_text_field("body_en", text(analysis::ENGLISH, true)),
        body_fr: builder.add_text_field("body_fr", text(analysis::FRENCH, true)),
        words: builder.add_text_field("words", text(analysis::PLAIN, false)),
        helpful: builder.add_i64_field("helpful", FAST | INDEXED),
    };
    (builder.build(), fields)
}

fn key(kind: Kind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// The index, its reader and its one writer. Cheap to share behind an
/// `Arc`; searches run concurrently, changes one at a time.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    /// Built once (stop word sets are not small): cloned per query.
    analyzers: Analyzers,
}

#[derive(Clone)]
pub(crate) struct Analyzers {
    pub french: tantivy::tokenizer::TextAnalyzer,
    pub english: tantivy::tokenizer::TextAnalyzer,
    pub plain: tantivy::tokenizer::TextAnalyzer,
}

impl Analyzers {
    pub(crate) fn of(&self, language: Language) -> tantivy::tokenizer::TextAnalyzer {
        match language {
            Language::Fr => self.french.clone(),
            Language::En => self.english.clone(),
        }
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// How the index was found when opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// An index of this version, up to date as far as its cursor says.
    Existing,
    /// New or rebuilt (none there, or of another version): fill it from
    /// the database.
    Empty,
}

impl SearchIndex {
    /// An index in memory (tests, and a server without a data directory).
    pub fn in_memory() -> Self {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields, 1, 15_000_000).expect("an index in memory opens")
    }

    /// Opens the index in `dir`, or makes it there (the directory is
    /// emptied when it holds an index of another version).
    pub fn open(dir: &Path) -> Result<(Self, Opened)> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir)?;
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
        let (index, opened) = if version.trim() == SCHEMA_VERSION && dir.join("meta.json").exists() {
            (Index::open_in_dir(dir)?, Opened::Existing)
        } else {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    std::fs::remove_dir_all(&path)?;
                } else {
                    std::fs::remove_file(&path)?;
                }
            }
            let index = Index::create_in_dir(dir, schema)?;
            std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION)?;
            (index, Opened::Empty)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        Ok((Self::from_index(index, fields, threads, 60_000_000 * threads)?, opened))
    }

    fn from_index(index: Index, fields: Fields, threads: usize, heap: usize) -> Result<Self> {
        index
            .tokenizers()
            .register(analysis::FRENCH, analysis::analyzer(Language::Fr));
        index
            .tokenizers()
            .register(analysis::ENGLISH, analysis::analyzer(Language::En));
        index.tokenizers().register(analysis::PLAIN, analysis::plain());
        let writer = match index.writer_with_num_threads(threads, heap) {
            Ok(writer) => writer,
            Err(tantivy::TantivyError::LockFailure(..)) => return Err(SearchError::Locked),
            Err(error) => return Err(error.into()),
        };
        // Hits read their stored title and body: keep the hot blocks of
        // the document store decompressed.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(1_000)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            analyzers: Analyzers {
                french: analysis::analyzer(Language::Fr),
                english: analysis::analyzer(Language::En),
                plain: analysis::plain(),
            },
        })
    }

    /// Where the feed of changes was when the last change was committed
    /// (opaque to the index: the binary's outbox position).
    pub fn cursor(&self) -> Result<Option<String>> {
        Ok(self.index.load_metas()?.payload)
    }

    /// Applies `changes` and commits them with `cursor`; searches see them
    /// when this returns.
    pub fn apply(&self, changes: &[Change], cursor: Option<&str>) -> Result<()> {
        self.stage(changes)?;
        self.commit(cursor)
    }

    /// Applies `changes` without committing: searches see them only after
    /// [`SearchIndex::commit`] (a rebuild stages many pages, then commits
    /// once, so searches never see it half done).
    pub fn stage(&self, changes: &[Change]) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for change in changes {
            writer.delete_term(Term::from_field_text(self.fields.key, &key(change.kind, &change.id)));
            for document in &change.documents {
                writer.add_document(self.to_tantivy(document))?;
            }
        }
        Ok(())
    }

    /// Stages the removal of every document (a rebuild starts here).
    pub fn stage_clear(&self) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits what was staged, with `cursor` (the previous one is kept
    /// when `None`); searches see it when this returns.
    pub fn commit(&self, cursor: Option<&str>) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.commit_with(&mut writer, cursor)
    }

    /// Merges every segment into one and waits for it: searches read one
    /// segment instead of many (after a rebuild or a bulk load).
    pub fn merge_segments(&self) -> Result<()> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            writer.merge(&ids).wait()?;
            // Commit so the merged segment's deletes and the meta are kept.
            self.commit_with(&mut writer, None)?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Empties the index at once.
    pub fn clear(&self, cursor: Option<&str>) -> Result<()> {
        self.stage_clear()?;
        self.commit(cursor)
    }

    fn commit_with(&self, writer: &mut IndexWriter<TantivyDocument>, cursor: Option<&str>) -> Result<()> {
        let mut commit = writer.prepare_commit()?;
        // Every commit carries the cursor, or the index forgets it.
        if let Some(cursor) = cursor.map(str::to_owned).or(self.index.load_metas()?.payload) {
            commit.set_payload(&cursor);
        }
        commit.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// How many documents (all languages, all audiences): for operators.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn to_tantivy(&self, document: &Document) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.key, key(document.kind, &document.id));
        doc.add_text(f.kind, document.kind.as_str());
        doc.add_text(f.id, &document.id);
        doc.add_text(f.slug, &document.slug);
        doc.add_text(f.lang, document.lang.code());
        doc.add_text(f.audience, document.audience.as_str());
        for product in &document.products {
            doc.add_text(f.product, product);
        }
        for area in &document.areas {
            doc.add_text(f.area, area);
        }
        for page_key in &document.page_keys {
            doc.add_text(f.page_key, page_key);
        }
        for code in &document.error_codes {
            doc.add_text(f.code, code.to_uppercase());
        }
        doc.add_text(f.title(document.lang), &document.title);
        let mut body = document.body.clone();
        for message in &document.error_messages {
            body.push_str("\n\n");
            body.push_str(message);
        }
        doc.add_text(f.body(document.lang), &body);
        doc.add_text(f.words, &document.title);
        for word in document
            .tags
            .iter()
            .chain(&document.error_messages)
            .chain(&document.error_codes)
        {
            doc.add_text(f.words, word);
        }
        doc.add_i64(f.helpful, document.helpful);
        doc
    }
}

pub(crate) fn stored_text(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
