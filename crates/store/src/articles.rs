//! Knowledge base articles (R7, R8): articles with their translations,
//! their revision history, "did this help?" votes, the suggested articles
//! opened from the log-a-case form (R11, deflection), and the outbox feed
//! the search indexer of every node follows.

use guichet_domain::article::{
    Article, ArticleContent, ArticleId, ArticleStatus, Audience, BodyFormat, Revision, Slug, Translation, VoteCounts,
};
use guichet_domain::product::ProductKey;
use guichet_domain::user::{Language, UserId};
use jiff::Timestamp;

use crate::error::constraint;
use crate::{OutboxMessage, Result, Store, StoreError, instant, micros};

/// An article with its "did this help?" counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArticle {
    pub article: Article,
    pub votes: VoteCounts,
}

/// One product's line of the deflection report (R11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflectionLine {
    pub product: String,
    /// Suggested articles opened from the log-a-case form.
    pub opened: i64,
    /// …after which the user logged no case within the window.
    pub deflected: i64,
}

type ArticleRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
);
type TranslationRow = (String, String, String, String, String, String);

macro_rules! article_select {
    ($where:literal) => {
        concat!(
            "SELECT a.id, a.slug, a.audience, a.status, a.products, a.areas, a.tags, a.error_codes, a.page_keys, \
             a.version, a.created_at, a.updated_at, \
             COALESCE((SELECT SUM(CASE WHEN v.helpful THEN 1 ELSE 0 END) FROM article_votes v WHERE v.article_id = a.id), 0), \
             COALESCE((SELECT SUM(CASE WHEN v.helpful THEN 0 ELSE 1 END) FROM article_votes v WHERE v.article_id = a.id), 0) \
             FROM articles a ",
            $where
        )
    };
}

macro_rules! translation_select {
    ($where:literal) => {
        concat!(
            "SELECT t.article_id, t.lang, t.title, t.body, t.format, t.error_messages FROM article_translations t ",
            $where,
            " ORDER BY t.article_id, t.lang"
        )
    };
}

fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

fn list<T: serde::de::DeserializeOwned>(json: &str, what: &'static str) -> Result<Vec<T>> {
    serde_json::from_str(json).map_err(corrupt(what))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists serialize")
}

fn translation(row: TranslationRow) -> Result<Translation> {
    let (_, lang, title, body, format, messages) = row;
    Ok(Translation {
        lang: Language::parse(&lang)?,
        title,
        body,
        format: BodyFormat::parse(&format)?,
        error_messages: list(&messages, "error messages")?,
    })
}

fn assemble(rows: Vec<ArticleRow>, translations: Vec<TranslationRow>) -> Result<Vec<StoredArticle>> {
    let mut articles = Vec::with_capacity(rows.len());
    let mut translations = translations.into_iter().peekable();
    // Both lists are ordered by article id.
    let mut rows = rows;
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for row in rows {
        let (id, slug, audience, status, products, areas, tags, codes, pages, version, created, updated, yes, no) = row;
        let mut own = Vec::new();
        while let Some(next) = translations.peek() {
            match next.0.cmp(&id) {
                std::cmp::Ordering::Less => {
                    translations.next();
                }
                std::cmp::Ordering::Equal => own.push(translation(translations.next().expect("peeked"))?),
                std::cmp::Ordering::Greater => break,
            }
        }
        if own.is_empty() {
            return Err(StoreError::Corrupt(format!("article {id} has no translation")));
        }
        articles.push(StoredArticle {
            article: Article {
                id: ArticleId(id),
                content: ArticleContent {
                    slug: Slug::parse(&slug)?,
                    audience: Audience::parse(&audience)?,
                    status: ArticleStatus::parse(&status)?,
                    products: list(&products, "products")?,
                    areas: list(&areas, "areas")?,
                    tags: list(&tags, "tags")?,
                    error_codes: list(&codes, "error codes")?,
                    page_keys: list(&pages, "page keys")?,
                    translations: own,
                },
                version,
                created_at: instant(created)?,
                updated_at: instant(updated)?,
            },
            votes: VoteCounts {
                helpful: yes,
                not_helpful: no,
            },
        });
    }
    Ok(articles)
}

impl Store {
    /// Keeps a new article (`expected_version` `None`) or a change to one
    /// made from `expected_version`, with its revision and the outbox row
    /// that tells the search indexers. A change made from an older version
    /// is refused: `Conflict("article_version")`; a slug taken:
    /// `Conflict("slug")`.
    pub async fn save_article(
        &self,
        article: &Article,
        expected_version: Option<i64>,
        revision: &Revision,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let content = &article.content;
        transaction!(self, |tx| {
            match expected_version {
                None => {
                    sqlx::query(
                        "INSERT INTO articles (id, slug, audience, status, products, areas, tags, error_codes, \
                         page_keys, version, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(&article.id.0)
                    .bind(content.slug.as_str())
                    .bind(content.audience.as_str())
                    .bind(content.status.as_str())
                    .bind(json(&content.products))
                    .bind(json(&content.areas))
                    .bind(json(&content.tags))
                    .bind(json(&content.error_codes))
                    .bind(json(&content.page_keys))
                    .bind(article.version)
                    .bind(micros(article.created_at))
                    .bind(micros(article.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(constraint("slug"))?;
                }
                Some(expected) => {
                    let updated = sqlx::query(
                        "UPDATE articles SET slug = $3, audience = $4, status = $5, products = $6, areas = $7, \
                         tags = $8, error_codes = $9, page_keys = $10, version = $11, updated_at = $12 \
                         WHERE id = $1 AND version = $2",
                    )
                    .bind(&article.id.0)
                    .bind(expected)
                    .bind(content.slug.as_str())
                    .bind(content.audience.as_str())
                    .bind(content.status.as_str())
                    .bind(json(&content.products))
                    .bind(json(&content.areas))
                    .bind(json(&content.tags))
                    .bind(json(&content.error_codes))
                    .bind(json(&content.page_keys))
                    .bind(article.version)
                    .bind(micros(article.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(constraint("slug"))?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::Conflict("article_version"));
                    }
                    sqlx::query("DELETE FROM article_translations WHERE article_id = $1")
                        .bind(&article.id.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for t in &content.translations {
                sqlx::query(
                    "INSERT INTO article_translations (article_id, lang, title, body, format, error_messages) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&article.id.0)
                .bind(t.lang.code())
                .bind(&t.title)
                .bind(&t.body)
                .bind(t.format.as_str())
                .bind(json(&t.error_messages))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO article_revisions (article_id, number, changed_by, changed_at, changes, content) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&article.id.0)
            .bind(revision.number)
            .bind(revision.changed_by.as_ref().map(|u| u.0.as_str()))
            .bind(micros(revision.changed_at))
            .bind(json(&revision.changes))
            .bind(json(&revision.content))
            .execute(&mut *tx)
            .await
            .map_err(constraint("changed_by"))?;
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn article(&self, id: &ArticleId) -> Result<Option<StoredArticle>> {
        let rows: Vec<ArticleRow> = read!(self, |c| sqlx::query_as(article_select!("WHERE a.id = $1"))
            .bind(&id.0)
            .fetch_all(c)
            .await)?;
        let translations: Vec<TranslationRow> =
            read!(self, |c| sqlx::query_as(translation_select!("WHERE t.article_id = $1"))
                .bind(&id.0)
                .fetch_all(c)
                .await)?;
        Ok(assemble(rows, translations)?.into_iter().next())
    }

    pub async fn article_by_slug(&self, slug: &Slug) -> Result<Option<StoredArticle>> {
        let id: Option<String> = read!(self, |c| sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(c)
            .await)?;
        match id {
            Some(id) => self.article(&ArticleId(id)).await,
            None => Ok(None),
        }
    }

    /// Articles in id order after `after`, `limit` at a time: for the
    /// search rebuild, exports and editors' lists.
    pub async fn articles_after(&self, after: Option<&ArticleId>, limit: i64) -> Result<Vec<StoredArticle>> {
        let after = after.map_or("", |id| id.0.as_str());
        let rows: Vec<ArticleRow> = read!(self, |c| sqlx::query_as(article_select!(
            "WHERE a.id > $1 ORDER BY a.id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await)?;
        let Some(last) = rows.iter().map(|r| r.0.clone()).max() else {
            return Ok(Vec::new());
        };
        let translations: Vec<TranslationRow> = read!(self, |c| sqlx::query_as(translation_select!(
            "WHERE t.article_id > $1 AND t.article_id <= $2"
        ))
        .bind(after)
        .bind(&last)
        .fetch_all(c)
        .await)?;
        assemble(rows, translations)
    }

    /// How many articles there are in each status.
    pub async fn article_counts(&self) -> Result<Vec<(ArticleStatus, i64)>> {
        let rows: Vec<(String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT status, COUNT(*) FROM articles GROUP BY status ORDER BY status"
        )
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(status, count)| Ok((ArticleStatus::parse(&status)?, count)))
            .collect()
    }

    /// An article's history, newest first.
    pub async fn article_revisions(&self, id: &ArticleId) -> Result<Vec<Revision>> {
        let rows: Vec<(i64, Option<String>, i64, String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT number, changed_by, changed_at, changes, content FROM article_revisions \
             WHERE article_id = $1 ORDER BY number DESC"
        )
        .bind(&id.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(number, changed_by, changed_at, changes, content)| {
                Ok(Revision {
                    number,
                    changed_by: changed_by.map(UserId),
                    changed_at: instant(changed_at)?,
                    changes: list(&changes, "revision changes")?,
                    content: serde_json::from_str(&content).map_err(corrupt("revision content"))?,
                })
            })
            .collect()
    }

    /// One vote per user per article: a second one replaces the first.
    /// `outbox` tells the indexers (helpful articles rank first in lists).
    pub async fn vote_on_article(
        &self,
        id: &ArticleId,
        user: &UserId,
        helpful: bool,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO article_votes (article_id, user_id, helpful, voted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (article_id, user_id) DO UPDATE SET helpful = excluded.helpful, voted_at = excluded.voted_at",
            )
            .bind(&id.0)
            .bind(&user.0)
            .bind(helpful)
            .bind(micros(at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("article"))?;
            insert_outbox!(tx, outbox);
        })
    }

    /// The vote `user` gave, if any.
    pub async fn article_vote(&self, id: &ArticleId, user: &UserId) -> Result<Option<bool>> {
        Ok(read!(self, |c| sqlx::query_scalar(
            "SELECT helpful FROM article_votes WHERE article_id = $1 AND user_id = $2"
        )
        .bind(&id.0)
        .bind(&user.0)
        .fetch_optional(c)
        .await)?)
    }

    /// R11: `user` opened a suggested article while logging a case about
    /// `product` (once per user, product and article; the latest time).
    pub async fn record_suggestion_opened(
        &self,
        user: &UserId,
        product: &ProductKey,
        article: &ArticleId,
        at: Timestamp,
    ) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO deflections (user_id, product_key, article_id, opened_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, product_key, article_id) DO UPDATE SET opened_at = excluded.opened_at"
        )
        .bind(&user.0)
        .bind(product.as_str())
        .bind(&article.0)
        .bind(micros(at))
        .execute(c)
        .await
        .map(|_| ()))
    }

    /// R11: per product, the suggested articles opened since `since`, and
    /// how many of them no case of the same user followed within `window`.
    pub async fn deflection_report(
        &self,
        since: Timestamp,
        window: jiff::SignedDuration,
    ) -> Result<Vec<DeflectionLine>> {
        let rows: Vec<(String, i64, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT d.product_key, COUNT(*), \
             COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM cases k WHERE k.opened_by = d.user_id \
               AND k.created_at >= d.opened_at AND k.created_at <= d.opened_at + $2) THEN 0 ELSE 1 END), 0) \
             FROM deflections d WHERE d.opened_at >= $1 GROUP BY d.product_key ORDER BY d.product_key"
        )
        .bind(micros(since))
        .bind(window.as_micros() as i64)
        .fetch_all(c)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(product, opened, deflected)| DeflectionLine {
                product,
                opened,
                deflected,
            })
            .collect())
    }

    /// Outbox rows of `kind` after (`from`, `after_id`) in (creation time,
    /// id) order, whether or not another node handled them: each node's
    /// search index follows them on its own.
    pub async fn outbox_from(
        &self,
        kind: &str,
        from: Timestamp,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows: Vec<(String, String, String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT id, kind, payload, created_at FROM outbox \
             WHERE kind = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT $4"
        )
        .bind(kind)
        .bind(micros(from))
        .bind(after_id)
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, kind, payload, created_at)| {
                Ok(OutboxMessage {
                    id,
                    kind,
                    payload,
                    created_at: instant(created_at)?,
                })
            })
            .collect()
    }

    /// Forgets outbox rows of `kind` older than `before` (every node has
    /// long read them; one that has not rebuilds its index).
    pub async fn prune_outbox(&self, kind: &str, before: Timestamp) -> Result<u64> {
        write!(self, |c| sqlx::query(
            "DELETE FROM outbox WHERE kind = $1 AND created_at < $2"
        )
        .bind(kind)
        .bind(micros(before))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
    }

    /// The oldest outbox row of `kind` still kept.
    pub async fn oldest_outbox(&self, kind: &str) -> Result<Option<Timestamp>> {
        let oldest: Option<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT MIN(created_at) FROM outbox WHERE kind = $1"
        )
        .bind(kind)
        .fetch_one(c)
        .await)?;
        oldest.map(instant).transpose()
    }
}

#[cfg(test)]
mod tests {
    use guichet_domain::article::ArticleDraft;
    use guichet_domain::company::CompanyKind;
    use guichet_domain::user::Role;
    use jiff::SignedDuration;

    use super::*;
    use crate::testing::on_each_engine;
    use crate::tests::{company, now, product, user};

    fn content(slug: &str, title_fr: &str) -> ArticleContent {
        ArticleContent::parse(ArticleDraft {
            slug: slug.into(),
            products: vec!["financials".into()],
            error_codes: vec!["GL-4012".into()],
            page_keys: vec!["gl/journal-entry/new".into()],
            translations: vec![
                Translation {
                    lang: Language::Fr,
                    title: title_fr.into(),
                    body: "La période est **clôturée**.".into(),
                    format: BodyFormat::Markdown,
                    error_messages: vec!["La période est clôturée".into()],
                },
                Translation {
                    lang: Language::En,
                    title: "Period closed".into(),
                    body: "The period is closed.".into(),
                    format: BodyFormat::Markdown,
                    error_messages: vec![],
                },
            ],
            ..ArticleDraft::default()
        })
        .unwrap()
    }

    fn new_article(slug: &str) -> (Article, Revision) {
        let content = content(slug, "Période clôturée");
        let article = Article {
            id: ArticleId(crate::new_id()),
            content: content.clone(),
            version: 1,
            created_at: now(),
            updated_at: now(),
        };
        let revision = Revision {
            number: 1,
            changed_by: None,
            changed_at: now(),
            changes: vec!["created".into()],
            content,
        };
        (article, revision)
    }

    fn index_message(article: &Article, at: Timestamp) -> OutboxMessage {
        OutboxMessage::new(
            "search_index",
            &serde_json::json!({"kind": "article", "id": article.id.0}),
            at,
        )
    }

    #[tokio::test]
    async fn r8_articles_keep_translations_revisions_and_refuse_stale_edits() {
        on_each_engine(|store| async move {
            let (mut article, revision) = new_article("period-closed");
            store
                .save_article(&article, None, &revision, &[index_message(&article, now())])
                .await
                .unwrap();
            let (other, other_revision) = new_article("period-closed");
            assert!(matches!(
                store.save_article(&other, None, &other_revision, &[]).await,
                Err(StoreError::Conflict("slug"))
            ));

            let stored = store.article(&article.id).await.unwrap().unwrap();
            assert_eq!(stored.article, article);
            assert_eq!(stored.votes, VoteCounts::default());
            let by_slug = store.article_by_slug(&article.content.slug).await.unwrap().unwrap();
            assert_eq!(by_slug.article.id, article.id);

            let before = article.content.clone();
            article.content = content("period-closed", "La période comptable est clôturée");
            article.content.status = ArticleStatus::Archived;
            article.version = 2;
            article.updated_at = now() + SignedDuration::from_secs(60);
            let second = Revision {
                number: 2,
                changed_by: None,
                changed_at: article.updated_at,
                changes: article.content.changes_since(&before),
                content: article.content.clone(),
            };
            store.save_article(&article, Some(1), &second, &[]).await.unwrap();
            assert!(matches!(
                store.save_article(&article, Some(1), &second, &[]).await,
                Err(StoreError::Conflict("article_version"))
            ));
            let stored = store.article(&article.id).await.unwrap().unwrap().article;
            assert_eq!(stored.content.status, ArticleStatus::Archived);
            assert_eq!(stored.version, 2);

            let revisions = store.article_revisions(&article.id).await.unwrap();
            assert_eq!(revisions.len(), 2);
            assert_eq!(revisions[0].changes, vec!["status", "title (fr)"]);
            assert_eq!(revisions[1].content, before, "the first revision can be restored");
            assert_eq!(
                store.article_counts().await.unwrap(),
                vec![(ArticleStatus::Archived, 1)]
            );

            let feed = store.outbox_from("search_index", now(), "", 10).await.unwrap();
            assert_eq!(feed.len(), 1);
            assert_eq!(store.oldest_outbox("search_index").await.unwrap(), Some(now()));
            assert_eq!(
                store
                    .prune_outbox("search_index", now() + SignedDuration::from_secs(1))
                    .await
                    .unwrap(),
                1
            );
            assert!(
                store
                    .outbox_from("search_index", now(), "", 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
        })
        .await;
    }

    #[tokio::test]
    async fn articles_page_in_id_order() {
        on_each_engine(|store| async move {
            for n in 0..5 {
                let (article, revision) = new_article(&format!("article-{n}"));
                store.save_article(&article, None, &revision, &[]).await.unwrap();
            }
            let first = store.articles_after(None, 3).await.unwrap();
            assert_eq!(first.len(), 3);
            assert!(first.iter().all(|a| a.article.content.translations.len() == 2));
            let rest = store.articles_after(Some(&first[2].article.id), 3).await.unwrap();
            assert_eq!(rest.len(), 2);
            assert!(rest[0].article.id > first[2].article.id);
        })
        .await;
    }

    #[tokio::test]
    async fn r8_one_vote_per_user_and_r11_deflection_per_product() {
        on_each_engine(|store| async move {
            store
                .create_product(&product("financials", &["general_ledger"]))
                .await
                .unwrap();
            let customer = company("Lumière", CompanyKind::Customer, "lumiere.example");
            store.create_company(&customer, now()).await.unwrap();
            let marie = user(&customer, "marie@lumiere.example", &[]);
            let chef = user(&customer, "chef@lumiere.example", &[Role::DesignatedSupportUser]);
            store.create_user(&marie, None, now()).await.unwrap();
            store.create_user(&chef, None, now()).await.unwrap();
            let (article, revision) = new_article("period-closed");
            store.save_article(&article, None, &revision, &[]).await.unwrap();

            store
                .vote_on_article(&article.id, &marie.id, false, now(), &[])
                .await
                .unwrap();
            store
                .vote_on_article(&article.id, &marie.id, true, now(), &[])
                .await
                .unwrap();
            store
                .vote_on_article(&article.id, &chef.id, false, now(), &[index_message(&article, now())])
                .await
                .unwrap();
            let votes = store.article(&article.id).await.unwrap().unwrap().votes;
            assert_eq!(
                votes,
                VoteCounts {
                    helpful: 1,
                    not_helpful: 1
                }
            );
            assert_eq!(store.article_vote(&article.id, &marie.id).await.unwrap(), Some(true));

            let financials = ProductKey::parse("financials").unwrap();
            store
                .record_suggestion_opened(&marie.id, &financials, &article.id, now())
                .await
                .unwrap();
            store
                .record_suggestion_opened(&marie.id, &financials, &article.id, now())
                .await
                .unwrap();
            store
                .record_suggestion_opened(&chef.id, &financials, &article.id, now())
                .await
                .unwrap();
            let report = store
                .deflection_report(now() - SignedDuration::from_hours(1), SignedDuration::from_hours(24))
                .await
                .unwrap();
            assert_eq!(
                report,
                vec![DeflectionLine {
                    product: "financials".into(),
                    opened: 2,
                    deflected: 2
                }]
            );
        })
        .await;
    }
}
