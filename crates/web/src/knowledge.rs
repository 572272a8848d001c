//! What people and the binary do with the knowledge base (R7, R8, R11):
//! write articles (with a revision each time), restore a revision, import
//! by slug, and keep this node's search index in step with the database
//! through the outbox.

use std::collections::HashSet;
use std::sync::Arc;

use guichet_domain::article::{Article, ArticleContent, ArticleId, ArticleStatus, Revision, Slug, Translation};
use guichet_domain::user::UserId;
use guichet_search::{Change, Document, Kind, SearchError, SearchIndex};
use guichet_store::{OutboxMessage, Store, StoreError, StoredArticle};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::markdown;

/// The outbox rows that tell every node's indexer what changed.
pub const INDEX_FEED: &str = "search_index";

/// Rows committed out of creation order (PostgreSQL, several nodes) show
/// up late: each catch-up looks this far back again, skipping rows it has
/// already read.
const OVERLAP: SignedDuration = SignedDuration::from_secs(5);

/// Index feed rows older than this are deleted; a node whose index is
/// older rebuilds it.
pub const FEED_KEPT: SignedDuration = SignedDuration::from_hours(24 * 7);

/// This node's search index, and the lock that lets one catch-up or
/// rebuild run at a time.
pub struct Search {
    pub index: SearchIndex,
    following: tokio::sync::Mutex<()>,
}

impl Search {
    pub fn new(index: SearchIndex) -> Arc<Self> {
        Arc::new(Self {
            index,
            following: tokio::sync::Mutex::new(()),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What one index feed row says.
#[derive(Debug, Serialize, Deserialize)]
struct IndexMessage {
    kind: String,
    id: String,
}

/// Where this node's index is in the feed.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// The last row read: its creation time (µs).
    at: i64,
    /// Rows of the overlap window already read: id and creation time.
    #[serde(default)]
    recent: Vec<(String, i64)>,
}

pub(crate) fn index_message(id: &ArticleId, now: Timestamp) -> OutboxMessage {
    feed_message(Kind::Article, &id.0, now)
}

/// The row of the search feed that says the thing `id` of `kind` changed.
pub(crate) fn feed_message(kind: Kind, id: &str, now: Timestamp) -> OutboxMessage {
    OutboxMessage::new(
        INDEX_FEED,
        &IndexMessage {
            kind: kind.as_str().into(),
            id: id.to_owned(),
        },
        now,
    )
}

/// What the index holds for the thing `id` of `kind` now: its documents,
/// or none when it is gone or not searchable.
async fn load_change(store: &Store, kind: Kind, id: &str) -> Result<Change, StoreError> {
    match kind {
        Kind::Article => {
            let id = ArticleId(id.to_owned());
            let stored = store.article(&id).await?;
            Ok(change(&id, stored.as_ref()))
        }
        Kind::Question => crate::community::index_change(store, id).await,
        Kind::Course => crate::training::index_change(store, id).await,
    }
}

/// A search hit's page in the portal.
pub fn hit_path(hit: &guichet_search::Hit) -> String {
    match hit.kind {
        Kind::Article => format!("/help/articles/{}?lang={}", hit.slug, hit.lang.code()),
        Kind::Question => format!("/community/questions/{}", hit.id),
        Kind::Course => format!("/training/courses/{}", hit.slug),
    }
}

/// The searchable documents of an article: one per translation while it
/// is published, none otherwise.
pub fn documents(stored: &StoredArticle) -> Vec<Document> {
    let article = &stored.article;
    let content = &article.content;
    if content.status != ArticleStatus::Published {
        return Vec::new();
    }
    content
        .translations
        .iter()
        .map(|t| Document {
            kind: Kind::Article,
            id: article.id.0.clone(),
            slug: content.slug.as_str().to_owned(),
            lang: t.lang,
            title: t.title.clone(),
            body: markdown::to_plain_text(&t.body, t.format),
            products: content.products.iter().map(|p| p.as_str().to_owned()).collect(),
            areas: content.areas.iter().map(|a| a.as_str().to_owned()).collect(),
            tags: content.tags.clone(),
            error_codes: content.error_codes.iter().map(|c| c.as_str().to_owned()).collect(),
            error_messages: t.error_messages.clone(),
            page_keys: content.page_keys.iter().map(|p| p.as_str().to_owned()).collect(),
            audience: content.audience,
            helpful: stored.votes.balance(),
        })
        .collect()
}

fn change(id: &ArticleId, stored: Option<&StoredArticle>) -> Change {
    Change {
        kind: Kind::Article,
        id: id.0.clone(),
        documents: stored.map(documents).unwrap_or_default(),
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict("article_version") => ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "article_changed",
            "The article changed since you read it: read it again and redo your change.",
        ),
        other => other.into(),
    }
}

/// A new article, with its first revision.
pub async fn create_article(
    store: &Store,
    content: ArticleContent,
    by: Option<&UserId>,
    now: Timestamp,
) -> Result<Article, ApiError> {
    let article = Article {
        id: ArticleId(guichet_store::new_id()),
        content,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let revision = Revision {
        number: 1,
        changed_by: by.cloned(),
        changed_at: now,
        changes: vec!["created".into()],
        content: article.content.clone(),
    };
    store
        .save_article(&article, None, &revision, &[index_message(&article.id, now)])
        .await
        .map_err(store_error)?;
    Ok(article)
}

/// Replaces an article's content, made from `expected_version` (`None`:
/// whatever is current). Nothing changes, and no revision is written, when
/// the content is the same.
pub async fn update_article(
    store: &Store,
    current: &Article,
    expected_version: Option<i64>,
    content: ArticleContent,
    by: Option<&UserId>,
    now: Timestamp,
    changes: Option<Vec<String>>,
) -> Result<Article, ApiError> {
    let expected = expected_version.unwrap_or(current.version);
    if expected != current.version {
        return Err(store_error(StoreError::Conflict("article_version")));
    }
    if content == current.content {
        return Ok(current.clone());
    }
    let changes = changes.unwrap_or_else(|| content.changes_since(&current.content));
    let article = Article {
        id: current.id.clone(),
        content,
        version: current.version + 1,
        created_at: current.created_at,
        updated_at: now,
    };
    let revision = Revision {
        number: article.version,
        changed_by: by.cloned(),
        changed_at: now,
        changes,
        content: article.content.clone(),
    };
    store
        .save_article(&article, Some(expected), &revision, &[index_message(&article.id, now)])
        .await
        .map_err(store_error)?;
    Ok(article)
}

/// Puts a revision's content back, as a new revision.
pub async fn restore_revision(
    store: &Store,
    current: &Article,
    number: i64,
    by: Option<&UserId>,
    now: Timestamp,
) -> Result<Article, ApiError> {
    let revisions = store.article_revisions(&current.id).await?;
    let Some(revision) = revisions.into_iter().find(|r| r.number == number) else {
        return Err(ApiError::not_found());
    };
    let mut changes = vec![format!("restored revision {number}")];
    changes.extend(revision.content.changes_since(&current.content));
    update_article(store, current, None, revision.content, by, now, Some(changes)).await
}

/// What importing one article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    Updated,
    Unchanged,
}

/// Imports an article by slug: a new one, or the translations given put
/// into the existing one (its other translations kept) with the rest of
/// its content replaced. Importing the same thing twice changes nothing.
pub async fn import_article(
    store: &Store,
    content: ArticleContent,
    by: Option<&UserId>,
    now: Timestamp,
) -> Result<(Imported, ArticleId), ApiError> {
    match store.article_by_slug(&content.slug).await? {
        None => {
            let article = create_article(store, content, by, now).await?;
            Ok((Imported::Created, article.id))
        }
        Some(stored) => {
            let current = stored.article;
            let mut merged = content.clone();
            let given: HashSet<_> = content.translations.iter().map(|t| t.lang).collect();
            for kept in current.content.translations.iter().filter(|t| !given.contains(&t.lang)) {
                merged.set_translation(kept.clone());
            }
            let updated = update_article(store, &current, None, merged, by, now, None).await?;
            let outcome = if updated.version == current.version {
                Imported::Unchanged
            } else {
                Imported::Updated
            };
            Ok((outcome, current.id))
        }
    }
}

/// One translation in the reader's language, else another (R7).
pub fn translation_for(content: &ArticleContent, language: guichet_domain::user::Language) -> &Translation {
    content.translation_for(language)
}

/// An article by id or slug; 422 `invalid_article` for what can be
/// neither.
pub async fn find_article(store: &Store, id_or_slug: &str) -> Result<Option<StoredArticle>, ApiError> {
    let slug = Slug::parse(id_or_slug);
    if let Ok(slug) = &slug
        && let Some(found) = store.article_by_slug(slug).await?
    {
        return Ok(Some(found));
    }
    match (ArticleId::parse(id_or_slug), slug) {
        (Ok(id), _) => Ok(store.article(&id).await?),
        (Err(_), Ok(_)) => Ok(None),
        (Err(_), Err(invalid)) => Err(ApiError::invalid("article", invalid)),
    }
}

/// Brings this node's index up to date with the feed; returns how many
/// rows it read. Searches on this node see a change once this returned
/// after it (the API calls it after each write, so an editor finds what
/// they just published).
pub async fn catch_up(store: &Store, search: &Search) -> Result<usize, IndexError> {
    let _one_at_a_time = search.following.lock().await;
    let mut cursor: Cursor = search
        .index
        .cursor()?
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let mut read = 0;
    let mut from = Timestamp::from_microsecond(cursor.at).unwrap_or(Timestamp::UNIX_EPOCH) - OVERLAP;
    let mut after = String::new();
    loop {
        let rows = store.outbox_from(INDEX_FEED, from, &after, 500).await?;
        let Some(last) = rows.last() else { break };
        from = last.created_at;
        after = last.id.clone();
        let full = rows.len() == 500;
        let fresh: Vec<&OutboxMessage> = rows
            .iter()
            .filter(|row| !cursor.recent.iter().any(|(id, _)| *id == row.id))
            .collect();
        if !fresh.is_empty() {
            let mut things: Vec<(Kind, String)> = Vec::new();
            for row in &fresh {
                if let Ok(message) = serde_json::from_str::<IndexMessage>(&row.payload)
                    && let Some(kind) = Kind::parse(&message.kind)
                    && !things.iter().any(|(k, id)| *k == kind && *id == message.id)
                {
                    things.push((kind, message.id));
                }
            }
            let mut changes = Vec::with_capacity(things.len());
            for (kind, id) in &things {
                changes.push(load_change(store, *kind, id).await?);
            }
            read += fresh.len();
            let at = cursor.at.max(last.created_at.as_microsecond());
            let window = at - OVERLAP.as_micros() as i64;
            let mut recent: Vec<(String, i64)> = cursor.recent.clone();
            recent.extend(
                fresh
                    .iter()
                    .map(|row| (row.id.clone(), row.created_at.as_microsecond())),
            );
            recent.retain(|(_, created)| *created >= window);
            cursor = Cursor { at, recent };
            let cursor_text = serde_json::to_string(&cursor).expect("cursors serialize");
            search.index.apply(&changes, Some(&cursor_text))?;
        }
        if !full {
            break;
        }
    }
    Ok(read)
}

/// Whether this node's index must be rebuilt before it can follow the
/// feed: it is new, or it last read the feed so long ago that rows it never
/// read may have been pruned since.
pub fn needs_rebuild(search: &Search, now: Timestamp) -> Result<bool, IndexError> {
    let Some(cursor) = search.index.cursor()? else {
        return Ok(true);
    };
    let cursor: Cursor = serde_json::from_str(&cursor).unwrap_or_default();
    Ok(cursor.at < (now - FEED_KEPT).as_microsecond())
}

/// Rebuilds this node's index from the database (`guichet reindex`, a new
/// node, an index of an older version). Searches see the old index until
/// the new one is committed whole. Returns how many things (articles,
/// questions, courses) are searchable.
pub async fn rebuild(store: &Store, search: &Search, now: Timestamp) -> Result<u64, IndexError> {
    let _one_at_a_time = search.following.lock().await;
    // Whatever is written from now on is in the feed after this point.
    let cursor = Cursor {
        at: (now - OVERLAP).as_microsecond(),
        recent: Vec::new(),
    };
    search.index.stage_clear()?;
    let mut after: Option<ArticleId> = None;
    let mut searchable = 0;
    loop {
        let page = store.articles_after(after.as_ref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.article.id.clone());
        let changes: Vec<Change> = page
            .iter()
            .map(|stored| change(&stored.article.id, Some(stored)))
            .collect();
        searchable += changes.iter().filter(|c| !c.documents.is_empty()).count() as u64;
        search.index.stage(&changes)?;
    }
    let mut after: Option<guichet_domain::community::QuestionId> = None;
    loop {
        let page = store.questions_after(after.as_ref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let changes: Vec<Change> = page.iter().map(crate::community::change).collect();
        searchable += changes.iter().filter(|c| !c.documents.is_empty()).count() as u64;
        search.index.stage(&changes)?;
    }
    let mut after: Option<guichet_domain::training::CourseId> = None;
    loop {
        let page = store.courses_after(after.as_ref(), 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let changes: Vec<Change> = page.iter().map(crate::training::change).collect();
        searchable += changes.iter().filter(|c| !c.documents.is_empty()).count() as u64;
        search.index.stage(&changes)?;
    }
    search
        .index
        .commit(Some(&serde_json::to_string(&cursor).expect("cursors serialize")))?;
    search.index.merge_segments()?;
    Ok(searchable)
}

/// Deletes feed rows every node has long read.
pub async fn prune_feed(store: &Store, now: Timestamp) -> Result<u64, StoreError> {
    store.prune_outbox(INDEX_FEED, now - FEED_KEPT).await
}
