//! The community (R9): questions, answers and comments with their
//! revisions, votes on answers, flags, product experts, subscriptions, and
//! what the experts' queue, profiles and the search indexer read.

use guichet_domain::article::ArticleId;
use guichet_domain::community::{
    AnswerId, CommentId, PostBody, PostingQuota, QuestionId, QuestionTitle, Subscription, Vote,
};
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::user::{Language, UserId};
use jiff::Timestamp;

use crate::cases::insert_rows;
use crate::error::constraint;
use crate::{OutboxMessage, Result, Store, StoreError, instant, micros};

/// R9: inside a post's transaction, with a quota: the author's row is
/// locked first (an update that changes nothing), so that posts of one
/// account sent in parallel are counted one after the other;
/// `Conflict("posting_rate")` when the author already has `quota.max`
/// posts since `quota.since`.
macro_rules! within_quota {
    ($tx:ident, $author:expr, $quota:expr) => {
        if let Some(quota) = $quota {
            sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                .bind(&$author.0)
                .execute(&mut *$tx)
                .await?;
            let posts: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM community_questions WHERE author_id = $1 AND created_at > $2) \
                 + (SELECT COUNT(*) FROM community_answers WHERE author_id = $1 AND created_at > $2) \
                 + (SELECT COUNT(*) FROM community_comments WHERE author_id = $1 AND created_at > $2)",
            )
            .bind(&$author.0)
            .bind(micros(quota.since))
            .fetch_one(&mut *$tx)
            .await?;
            if posts >= i64::from(quota.max) {
                return Err(StoreError::Conflict("posting_rate"));
            }
        }
    };
}

/// A question as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    pub id: QuestionId,
    pub author: UserId,
    pub title: QuestionTitle,
    pub body: PostBody,
    pub product: ProductKey,
    pub area: Option<AreaKey>,
    pub tags: Vec<String>,
    pub lang: Language,
    pub at: Timestamp,
}

/// A question as stored, with what lists and pages show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredQuestion {
    pub id: QuestionId,
    pub author: UserId,
    pub author_name: String,
    pub title: String,
    pub body: String,
    pub product: ProductKey,
    pub area: Option<AreaKey>,
    pub tags: Vec<String>,
    pub lang: Language,
    pub accepted_answer: Option<AnswerId>,
    /// The accepted answer's text, unless it is hidden (the index reads it).
    pub accepted_body: Option<String>,
    pub article: Option<ArticleId>,
    pub hidden_at: Option<Timestamp>,
    pub locked_at: Option<Timestamp>,
    pub merged_into: Option<QuestionId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub active_at: Timestamp,
    /// Answers that are not hidden.
    pub answers: i64,
}

impl StoredQuestion {
    /// Shown in lists and search: neither hidden nor merged away.
    pub fn visible(&self) -> bool {
        self.hidden_at.is_none() && self.merged_into.is_none()
    }
}

/// An answer as stored, with its votes and whether its author is an
/// expert of the question's product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub id: AnswerId,
    pub question: QuestionId,
    pub author: UserId,
    pub author_name: String,
    pub body: String,
    pub hidden_at: Option<Timestamp>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub up_votes: i64,
    pub down_votes: i64,
    pub expert: bool,
}

impl StoredAnswer {
    pub fn score(&self) -> i64 {
        self.up_votes - self.down_votes
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredComment {
    pub id: CommentId,
    pub question: QuestionId,
    pub answer: Option<AnswerId>,
    pub author: UserId,
    pub author_name: String,
    pub body: String,
    pub hidden_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// One version of an edited question or answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRevision {
    pub number: i64,
    /// Questions only.
    pub title: Option<String>,
    pub body: String,
    pub changed_by: UserId,
    pub changed_at: Timestamp,
    pub note: String,
}

/// What kind of post an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    Question,
    Answer,
    Comment,
}

impl PostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Answer => "answer",
            Self::Comment => "comment",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "question" => Ok(Self::Question),
            "answer" => Ok(Self::Answer),
            "comment" => Ok(Self::Comment),
            other => Err(StoreError::Corrupt(format!("post kind `{other}`"))),
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Question => "community_questions",
            Self::Answer => "community_answers",
            Self::Comment => "community_comments",
        }
    }
}

/// A post found by its id alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRef {
    pub kind: PostKind,
    pub id: String,
    pub question: QuestionId,
    pub author: UserId,
    pub hidden: bool,
}

/// A member's flag on a post, for the moderators' list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFlag {
    pub id: String,
    pub post_kind: PostKind,
    pub post_id: String,
    pub question: QuestionId,
    pub question_title: String,
    pub flagged_by: UserId,
    pub flagged_by_name: String,
    pub reason: String,
    pub created_at: Timestamp,
}

/// Someone to tell of a new post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub user: UserId,
    pub email: String,
    pub name: String,
    pub language: Language,
}

/// A named expert and the products they are expert in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expert {
    pub user: UserId,
    pub name: String,
    pub products: Vec<ProductKey>,
}

/// What a member's profile counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberStats {
    pub questions: i64,
    pub answers: i64,
    pub accepted: i64,
    pub up_votes: i64,
    pub down_votes: i64,
}

/// Which questions a list shows, newest activity first.
#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    pub product: Option<ProductKey>,
    pub area: Option<AreaKey>,
    pub tag: Option<String>,
    pub lang: Option<Language>,
    /// `open`, `solved` or `unanswered`.
    pub state: Option<&'static str>,
    pub author: Option<UserId>,
    /// Moderators see hidden questions too.
    pub include_hidden: bool,
    /// Only questions asked before this (the experts' queue).
    pub asked_before: Option<Timestamp>,
    /// Only questions about these products (an expert's queue); `None`:
    /// every product.
    pub products: Option<Vec<ProductKey>>,
    /// The last one of the previous page: (active at, id).
    pub before: Option<(Timestamp, QuestionId)>,
    /// Longest waiting first (the experts' queue) instead of most recently
    /// active first.
    pub oldest_first: bool,
    pub limit: i64,
}

/// The demo data, inserted in bulk.
#[derive(Debug, Default)]
pub struct CommunityBulk {
    pub questions: Vec<(NewQuestion, Option<AnswerId>)>,
    /// (answer id, question, author, body, at)
    pub answers: Vec<(AnswerId, QuestionId, UserId, String, Timestamp)>,
    /// (answer, voter, vote, at)
    pub votes: Vec<(AnswerId, UserId, Vote, Timestamp)>,
    /// (comment id, question, answer, author, body, at)
    pub comments: Vec<(CommentId, QuestionId, Option<AnswerId>, UserId, String, Timestamp)>,
    /// (expert, product, named by, at)
    pub experts: Vec<(UserId, ProductKey, UserId, Timestamp)>,
    pub outbox: Vec<OutboxMessage>,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: String,
    author_id: String,
    author_name: String,
    title: String,
    body: String,
    product_key: String,
    area_key: Option<String>,
    tags: String,
    lang: String,
    accepted_answer_id: Option<String>,
    accepted_body: Option<String>,
    article_id: Option<String>,
    hidden_at: Option<i64>,
    locked_at: Option<i64>,
    merged_into: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    active_at: i64,
    answers: i64,
}

impl QuestionRow {
    fn into_question(self) -> Result<StoredQuestion> {
        Ok(StoredQuestion {
            id: QuestionId(self.id),
            author: UserId(self.author_id),
            author_name: self.author_name,
            title: self.title,
            body: self.body,
            product: ProductKey::parse(&self.product_key)?,
            area: self.area_key.as_deref().map(AreaKey::parse).transpose()?,
            tags: serde_json::from_str(&self.tags).map_err(|e| StoreError::Corrupt(format!("tags: {e}")))?,
            lang: Language::parse(&self.lang)?,
            accepted_answer: self.accepted_answer_id.map(AnswerId),
            accepted_body: self.accepted_body,
            article: self.article_id.map(ArticleId),
            hidden_at: self.hidden_at.map(instant).transpose()?,
            locked_at: self.locked_at.map(instant).transpose()?,
            merged_into: self.merged_into.map(QuestionId),
            version: self.version,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
            active_at: instant(self.active_at)?,
            answers: self.answers,
        })
    }
}

macro_rules! question_select {
    ($where:literal) => {
        concat!(
            "SELECT q.id, q.author_id, u.display_name AS author_name, q.title, q.body, q.product_key, q.area_key, \
             q.tags, q.lang, q.accepted_answer_id, acc.body AS accepted_body, q.article_id, q.hidden_at, \
             q.locked_at, q.merged_into, q.version, q.created_at, q.updated_at, q.active_at, \
             (SELECT COUNT(*) FROM community_answers a WHERE a.question_id = q.id AND a.hidden_at IS NULL) AS answers \
             FROM community_questions q JOIN users u ON u.id = q.author_id \
             LEFT JOIN community_answers acc ON acc.id = q.accepted_answer_id AND acc.hidden_at IS NULL ",
            $where
        )
    };
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    id: String,
    question_id: String,
    author_id: String,
    author_name: String,
    body: String,
    hidden_at: Option<i64>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    up_votes: i64,
    down_votes: i64,
    expert: i64,
}

impl AnswerRow {
    fn into_answer(self) -> Result<StoredAnswer> {
        Ok(StoredAnswer {
            id: AnswerId(self.id),
            question: QuestionId(self.question_id),
            author: UserId(self.author_id),
            author_name: self.author_name,
            body: self.body,
            hidden_at: self.hidden_at.map(instant).transpose()?,
            version: self.version,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
            up_votes: self.up_votes,
            down_votes: self.down_votes,
            expert: self.expert != 0,
        })
    }
}

macro_rules! answer_select {
    ($where:literal) => {
        concat!(
            "SELECT a.id, a.question_id, a.author_id, u.display_name AS author_name, a.body, a.hidden_at, a.version, \
             a.created_at, a.updated_at, \
             COALESCE((SELECT SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END) FROM community_votes v WHERE v.answer_id = a.id), 0) AS up_votes, \
             COALESCE((SELECT SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END) FROM community_votes v WHERE v.answer_id = a.id), 0) AS down_votes, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM community_experts e WHERE e.user_id = a.author_id \
                 AND e.product_key = q.product_key) THEN 1 ELSE 0 END AS BIGINT) AS expert \
             FROM community_answers a JOIN users u ON u.id = a.author_id \
             JOIN community_questions q ON q.id = a.question_id ",
            $where
        )
    };
}

type CommentRow = (String, String, Option<String>, String, String, String, Option<i64>, i64);

fn comment(row: CommentRow) -> Result<StoredComment> {
    let (id, question, answer, author, name, body, hidden_at, created_at) = row;
    Ok(StoredComment {
        id: CommentId(id),
        question: QuestionId(question),
        answer: answer.map(AnswerId),
        author: UserId(author),
        author_name: name,
        body,
        hidden_at: hidden_at.map(instant).transpose()?,
        created_at: instant(created_at)?,
    })
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("tags serialize")
}

/// The `LIKE` pattern that finds `tag` in a JSON list of tags.
fn tag_pattern(tag: &str) -> String {
    let quoted = serde_json::to_string(tag).expect("a tag serializes");
    let escaped: String = quoted
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

fn changed(rows: u64, what: &'static str) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(what))
    }
}

impl Store {
    /// R9: a new question, its first revision, its author following it, and
    /// the notifications and index row of `outbox`.
    pub async fn ask_question(
        &self,
        question: &NewQuestion,
        quota: Option<PostingQuota>,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            within_quota!(tx, question.author, quota);
            sqlx::query(
                "INSERT INTO community_questions (id, author_id, title, body, product_key, area_key, tags, lang, \
                 version, created_at, updated_at, active_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $9)",
            )
            .bind(&question.id.0)
            .bind(&question.author.0)
            .bind(question.title.as_str())
            .bind(question.body.as_str())
            .bind(question.product.as_str())
            .bind(question.area.as_ref().map(AreaKey::as_str))
            .bind(tags_json(&question.tags))
            .bind(question.lang.code())
            .bind(micros(question.at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("product"))?;
            sqlx::query(
                "INSERT INTO community_revisions (post_id, number, title, body, changed_by, changed_at, note) \
                 VALUES ($1, 1, $2, $3, $4, $5, '')",
            )
            .bind(&question.id.0)
            .bind(question.title.as_str())
            .bind(question.body.as_str())
            .bind(&question.author.0)
            .bind(micros(question.at))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO community_subscriptions (user_id, kind, target, created_at) VALUES ($1, 'question', $2, $3) \
                 ON CONFLICT (user_id, kind, target) DO NOTHING",
            )
            .bind(&question.author.0)
            .bind(&question.id.0)
            .bind(micros(question.at))
            .execute(&mut *tx)
            .await?;
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn question(&self, id: &QuestionId) -> Result<Option<StoredQuestion>> {
        let row: Option<QuestionRow> = read!(self, |c| sqlx::query_as(question_select!("WHERE q.id = $1"))
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        row.map(QuestionRow::into_question).transpose()
    }

    /// A page of questions, most recently active first; merged questions
    /// never, hidden ones only when `include_hidden`.
    pub async fn questions(&self, filter: &QuestionFilter) -> Result<Vec<StoredQuestion>> {
        let (before_at, before_id) = match &filter.before {
            Some((at, id)) => (Some(micros(*at)), Some(id.0.clone())),
            None => (None, None),
        };
        let products = filter
            .products
            .as_ref()
            .map(|keys| serde_json::to_string(&keys.iter().map(ProductKey::as_str).collect::<Vec<_>>()).expect("keys"));
        let rows: Vec<QuestionRow> = read!(self, |c| sqlx::query_as(question_select!(
            "WHERE q.merged_into IS NULL AND ($1 OR q.hidden_at IS NULL) \
             AND ($2 IS NULL OR q.product_key = $2) AND ($3 IS NULL OR q.area_key = $3) \
             AND ($4 IS NULL OR q.tags LIKE $4 ESCAPE '\\') AND ($5 IS NULL OR q.lang = $5) \
             AND ($6 IS NULL OR ($6 = 'solved' AND q.accepted_answer_id IS NOT NULL) \
                  OR ($6 = 'open' AND q.accepted_answer_id IS NULL) \
                  OR ($6 = 'unanswered' AND NOT EXISTS (SELECT 1 FROM community_answers x \
                      WHERE x.question_id = q.id AND x.hidden_at IS NULL))) \
             AND ($7 IS NULL OR q.author_id = $7) AND ($8 IS NULL OR q.created_at < $8) \
             AND ($9 IS NULL OR $9 LIKE '%\"' || q.product_key || '\"%') \
             AND ($10 IS NULL OR q.active_at < $10 OR (q.active_at = $10 AND q.id < $11)) \
             ORDER BY CASE WHEN $13 THEN q.created_at END, q.active_at DESC, q.id DESC LIMIT $12"
        ))
        .bind(filter.include_hidden)
        .bind(filter.product.as_ref().map(ProductKey::as_str))
        .bind(filter.area.as_ref().map(AreaKey::as_str))
        .bind(filter.tag.as_deref().map(tag_pattern))
        .bind(filter.lang.map(Language::code))
        .bind(filter.state)
        .bind(filter.author.as_ref().map(|a| a.0.as_str()))
        .bind(filter.asked_before.map(micros))
        .bind(products.as_deref())
        .bind(before_at)
        .bind(before_id.as_deref())
        .bind(filter.limit)
        .bind(filter.oldest_first)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(QuestionRow::into_question).collect()
    }

    /// Questions in id order after `after`, for the search rebuild.
    pub async fn questions_after(&self, after: Option<&QuestionId>, limit: i64) -> Result<Vec<StoredQuestion>> {
        let rows: Vec<QuestionRow> = read!(self, |c| sqlx::query_as(question_select!(
            "WHERE q.id > $1 ORDER BY q.id LIMIT $2"
        ))
        .bind(after.map_or("", |id| id.0.as_str()))
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(QuestionRow::into_question).collect()
    }

    /// A question's answers, oldest first (hidden ones when asked).
    pub async fn answers_of(&self, question: &QuestionId, include_hidden: bool) -> Result<Vec<StoredAnswer>> {
        let rows: Vec<AnswerRow> = read!(self, |c| sqlx::query_as(answer_select!(
            "WHERE a.question_id = $1 AND ($2 OR a.hidden_at IS NULL) ORDER BY a.created_at, a.id"
        ))
        .bind(&question.0)
        .bind(include_hidden)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(AnswerRow::into_answer).collect()
    }

    pub async fn answer(&self, id: &AnswerId) -> Result<Option<StoredAnswer>> {
        let row: Option<AnswerRow> = read!(self, |c| sqlx::query_as(answer_select!("WHERE a.id = $1"))
            .bind(&id.0)
            .fetch_optional(c)
            .await)?;
        row.map(AnswerRow::into_answer).transpose()
    }

    pub async fn comments_of(&self, question: &QuestionId, include_hidden: bool) -> Result<Vec<StoredComment>> {
        let rows: Vec<CommentRow> = read!(self, |c| {
            sqlx::query_as(
            "SELECT c.id, c.question_id, c.answer_id, c.author_id, u.display_name, c.body, c.hidden_at, c.created_at \
             FROM community_comments c JOIN users u ON u.id = c.author_id \
             WHERE c.question_id = $1 AND ($2 OR c.hidden_at IS NULL) ORDER BY c.created_at, c.id"
        )
        .bind(&question.0)
        .bind(include_hidden)
        .fetch_all(c)
        .await
        })?;
        rows.into_iter().map(comment).collect()
    }

    /// R9: an answer with its first revision; the question is active again.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_answer(
        &self,
        id: &AnswerId,
        question: &QuestionId,
        author: &UserId,
        body: &PostBody,
        at: Timestamp,
        quota: Option<PostingQuota>,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            within_quota!(tx, author, quota);
            sqlx::query(
                "INSERT INTO community_answers (id, question_id, author_id, body, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $5)",
            )
            .bind(&id.0)
            .bind(&question.0)
            .bind(&author.0)
            .bind(body.as_str())
            .bind(micros(at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("question"))?;
            sqlx::query(
                "INSERT INTO community_revisions (post_id, number, title, body, changed_by, changed_at, note) \
                 VALUES ($1, 1, NULL, $2, $3, $4, '')",
            )
            .bind(&id.0)
            .bind(body.as_str())
            .bind(&author.0)
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE community_questions SET active_at = $2 WHERE id = $1")
                .bind(&question.0)
                .bind(micros(at))
                .execute(&mut *tx)
                .await?;
            insert_outbox!(tx, outbox);
        })
    }

    /// A comment on a question or on one of its answers.
    #[allow(clippy::too_many_arguments)]
    pub async fn post_comment(
        &self,
        id: &CommentId,
        question: &QuestionId,
        answer: Option<&AnswerId>,
        author: &UserId,
        body: &PostBody,
        at: Timestamp,
        quota: Option<PostingQuota>,
    ) -> Result<()> {
        transaction!(self, |tx| {
            within_quota!(tx, author, quota);
            sqlx::query(
                "INSERT INTO community_comments (id, question_id, answer_id, author_id, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id.0)
            .bind(&question.0)
            .bind(answer.map(|a| a.0.as_str()))
            .bind(&author.0)
            .bind(body.as_str())
            .bind(micros(at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("answer"))?;
            sqlx::query("UPDATE community_questions SET active_at = $2 WHERE id = $1")
                .bind(&question.0)
                .bind(micros(at))
                .execute(&mut *tx)
                .await?;
        })
    }

    /// R9: one vote per member and answer; a new one replaces it, `None`
    /// takes it back.
    pub async fn vote_on_answer(
        &self,
        answer: &AnswerId,
        user: &UserId,
        vote: Option<Vote>,
        at: Timestamp,
    ) -> Result<()> {
        match vote {
            Some(vote) => write!(self, |c| sqlx::query(
                "INSERT INTO community_votes (answer_id, user_id, value, voted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (answer_id, user_id) DO UPDATE SET value = excluded.value, voted_at = excluded.voted_at"
            )
            .bind(&answer.0)
            .bind(&user.0)
            .bind(vote.value())
            .bind(micros(at))
            .execute(c)
            .await
            .map(|_| ()))
            .map_err(|e| match e {
                StoreError::Database(e) => constraint("answer")(e),
                other => other,
            }),
            None => write!(self, |c| sqlx::query(
                "DELETE FROM community_votes WHERE answer_id = $1 AND user_id = $2"
            )
            .bind(&answer.0)
            .bind(&user.0)
            .execute(c)
            .await
            .map(|_| ())),
        }
    }

    /// The votes `user` gave on a question's answers.
    pub async fn my_votes(&self, question: &QuestionId, user: &UserId) -> Result<Vec<(AnswerId, i64)>> {
        let rows: Vec<(String, i64)> = read!(self, |c| sqlx::query_as(
            "SELECT v.answer_id, v.value FROM community_votes v JOIN community_answers a ON a.id = v.answer_id \
             WHERE a.question_id = $1 AND v.user_id = $2"
        )
        .bind(&question.0)
        .bind(&user.0)
        .fetch_all(c)
        .await)?;
        Ok(rows.into_iter().map(|(id, value)| (AnswerId(id), value)).collect())
    }

    /// R9: marks `answer` accepted (`None`: none is) on a question still at
    /// `version`; `Conflict("question_version")` otherwise.
    pub async fn accept_answer(
        &self,
        question: &QuestionId,
        version: i64,
        answer: Option<&AnswerId>,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            let done = sqlx::query(
                "UPDATE community_questions SET accepted_answer_id = $3, version = version + 1, updated_at = $4 \
                 WHERE id = $1 AND version = $2",
            )
            .bind(&question.0)
            .bind(version)
            .bind(answer.map(|a| a.0.as_str()))
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            changed(done.rows_affected(), "question_version")?;
            insert_outbox!(tx, outbox);
        })
    }

    /// An edit of a question (title, body, tags) made from `version`, with
    /// its revision.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_question(
        &self,
        question: &QuestionId,
        version: i64,
        title: &QuestionTitle,
        body: &PostBody,
        tags: &[String],
        by: &UserId,
        note: &str,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            let done = sqlx::query(
                "UPDATE community_questions SET title = $3, body = $4, tags = $5, version = version + 1, \
                 updated_at = $6 WHERE id = $1 AND version = $2",
            )
            .bind(&question.0)
            .bind(version)
            .bind(title.as_str())
            .bind(body.as_str())
            .bind(tags_json(tags))
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            changed(done.rows_affected(), "question_version")?;
            sqlx::query(
                "INSERT INTO community_revisions (post_id, number, title, body, changed_by, changed_at, note) \
                 VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM community_revisions WHERE post_id = $1), \
                 $2, $3, $4, $5, $6)",
            )
            .bind(&question.0)
            .bind(title.as_str())
            .bind(body.as_str())
            .bind(&by.0)
            .bind(micros(at))
            .bind(note)
            .execute(&mut *tx)
            .await?;
            insert_outbox!(tx, outbox);
        })
    }

    /// An edit of an answer made from `version`, with its revision.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_answer(
        &self,
        answer: &AnswerId,
        version: i64,
        body: &PostBody,
        by: &UserId,
        note: &str,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            let done = sqlx::query(
                "UPDATE community_answers SET body = $3, version = version + 1, updated_at = $4 \
                 WHERE id = $1 AND version = $2",
            )
            .bind(&answer.0)
            .bind(version)
            .bind(body.as_str())
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            changed(done.rows_affected(), "answer_version")?;
            sqlx::query(
                "INSERT INTO community_revisions (post_id, number, title, body, changed_by, changed_at, note) \
                 VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM community_revisions WHERE post_id = $1), \
                 NULL, $2, $3, $4, $5)",
            )
            .bind(&answer.0)
            .bind(body.as_str())
            .bind(&by.0)
            .bind(micros(at))
            .bind(note)
            .execute(&mut *tx)
            .await?;
            insert_outbox!(tx, outbox);
        })
    }

    /// A post's history, newest first.
    pub async fn post_revisions(&self, post: &str) -> Result<Vec<PostRevision>> {
        let rows: Vec<(i64, Option<String>, String, String, i64, String)> = read!(self, |c| sqlx::query_as(
            "SELECT number, title, body, changed_by, changed_at, note FROM community_revisions \
             WHERE post_id = $1 ORDER BY number DESC"
        )
        .bind(post)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(number, title, body, by, at, note)| {
                Ok(PostRevision {
                    number,
                    title,
                    body,
                    changed_by: UserId(by),
                    changed_at: instant(at)?,
                    note,
                })
            })
            .collect()
    }

    /// The post `id` names, whatever its kind.
    pub async fn post(&self, id: &str) -> Result<Option<PostRef>> {
        let row: Option<(String, String, String, Option<i64>)> = read!(self, |c| sqlx::query_as(
            "SELECT 'question', id, author_id, hidden_at FROM community_questions WHERE id = $1 \
             UNION ALL SELECT 'answer', question_id, author_id, hidden_at FROM community_answers WHERE id = $1 \
             UNION ALL SELECT 'comment', question_id, author_id, hidden_at FROM community_comments WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(c)
        .await)?;
        row.map(|(kind, question, author, hidden)| {
            Ok(PostRef {
                kind: PostKind::parse(&kind)?,
                id: id.to_owned(),
                question: QuestionId(question),
                author: UserId(author),
                hidden: hidden.is_some(),
            })
        })
        .transpose()
    }

    /// R9: hides a post (`Some(by)`) or shows it again (`None`); hiding
    /// resolves its open flags. The question's index row is in `outbox`.
    pub async fn set_post_hidden(
        &self,
        post: &PostRef,
        by: Option<&UserId>,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET hidden_at = $2, hidden_by = $3 WHERE id = $1",
            post.kind.table()
        );
        transaction!(self, |tx| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&post.id)
                .bind(by.map(|_| micros(at)))
                .bind(by.map(|u| u.0.as_str()))
                .execute(&mut *tx)
                .await?;
            if post.kind == PostKind::Question {
                sqlx::query("UPDATE community_questions SET version = version + 1, updated_at = $2 WHERE id = $1")
                    .bind(&post.id)
                    .bind(micros(at))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(by) = by {
                sqlx::query(
                    "UPDATE community_flags SET resolved_at = $2, resolved_by = $3, resolution = 'hidden' \
                     WHERE post_id = $1 AND resolved_at IS NULL",
                )
                .bind(&post.id)
                .bind(micros(at))
                .bind(&by.0)
                .execute(&mut *tx)
                .await?;
            }
            insert_outbox!(tx, outbox);
        })
    }

    /// R9: a question locked (`true`) or unlocked.
    pub async fn set_question_locked(&self, question: &QuestionId, locked: bool, at: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE community_questions SET locked_at = $2, version = version + 1, updated_at = $3 WHERE id = $1"
        )
        .bind(&question.0)
        .bind(locked.then_some(micros(at)))
        .bind(micros(at))
        .execute(c)
        .await
        .map(|_| ()))
    }

    /// R9: a question moved to another product (and area).
    pub async fn move_question(
        &self,
        question: &QuestionId,
        product: &ProductKey,
        area: Option<&AreaKey>,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            sqlx::query(
                "UPDATE community_questions SET product_key = $2, area_key = $3, version = version + 1, \
                 updated_at = $4 WHERE id = $1",
            )
            .bind(&question.0)
            .bind(product.as_str())
            .bind(area.map(AreaKey::as_str))
            .bind(micros(at))
            .execute(&mut *tx)
            .await
            .map_err(constraint("product"))?;
            insert_outbox!(tx, outbox);
        })
    }

    /// R9: `duplicate` merged into `target`: its answers, comments, flags
    /// and followers move there; the target keeps its accepted answer, or
    /// takes the duplicate's; the duplicate points at the target.
    pub async fn merge_question(
        &self,
        duplicate: &QuestionId,
        target: &QuestionId,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            sqlx::query(
                "UPDATE community_questions SET accepted_answer_id = \
                 (SELECT d.accepted_answer_id FROM community_questions d WHERE d.id = $2) \
                 WHERE id = $1 AND accepted_answer_id IS NULL",
            )
            .bind(&target.0)
            .bind(&duplicate.0)
            .execute(&mut *tx)
            .await?;
            for table in ["community_answers", "community_comments", "community_flags"] {
                let sql = format!("UPDATE {table} SET question_id = $2 WHERE question_id = $1");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&duplicate.0)
                    .bind(&target.0)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO community_subscriptions (user_id, kind, target, created_at) \
                 SELECT user_id, 'question', $2, $3 FROM community_subscriptions WHERE kind = 'question' AND target = $1 \
                 ON CONFLICT (user_id, kind, target) DO NOTHING",
            )
            .bind(&duplicate.0)
            .bind(&target.0)
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE community_questions SET merged_into = $2, accepted_answer_id = NULL, version = version + 1, \
                 updated_at = $3 WHERE id = $1",
            )
            .bind(&duplicate.0)
            .bind(&target.0)
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE community_questions SET active_at = $2, version = version + 1 WHERE id = $1")
                .bind(&target.0)
                .bind(micros(at))
                .execute(&mut *tx)
                .await?;
            insert_outbox!(tx, outbox);
        })
    }

    /// Links the knowledge base article made from a question's accepted
    /// answer; `Conflict("question_article")` if it already has one.
    pub async fn link_question_article(
        &self,
        question: &QuestionId,
        article: &ArticleId,
        at: Timestamp,
        outbox: &[OutboxMessage],
    ) -> Result<()> {
        transaction!(self, |tx| {
            let done = sqlx::query(
                "UPDATE community_questions SET article_id = $2, version = version + 1, updated_at = $3 \
                 WHERE id = $1 AND article_id IS NULL",
            )
            .bind(&question.0)
            .bind(&article.0)
            .bind(micros(at))
            .execute(&mut *tx)
            .await?;
            changed(done.rows_affected(), "question_article")?;
            insert_outbox!(tx, outbox);
        })
    }

    /// R9: a member flags a post (once per post); `Conflict("flag")` for a
    /// second flag.
    pub async fn flag_post(&self, id: &str, post: &PostRef, by: &UserId, reason: &str, at: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO community_flags (id, post_kind, post_id, question_id, flagged_by, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(id)
        .bind(post.kind.as_str())
        .bind(&post.id)
        .bind(&post.question.0)
        .bind(&by.0)
        .bind(reason)
        .bind(micros(at))
        .execute(c)
        .await
        .map(|_| ()))
        .map_err(|e| match e {
            StoreError::Database(e) => constraint("flag")(e),
            other => other,
        })
    }

    /// Flags no moderator has dealt with, oldest first.
    pub async fn open_flags(&self, limit: i64) -> Result<Vec<StoredFlag>> {
        type Row = (String, String, String, String, String, String, String, String, i64);
        let rows: Vec<Row> = read!(self, |c| sqlx::query_as(
            "SELECT f.id, f.post_kind, f.post_id, f.question_id, q.title, f.flagged_by, u.display_name, f.reason, \
             f.created_at FROM community_flags f JOIN community_questions q ON q.id = f.question_id \
             JOIN users u ON u.id = f.flagged_by WHERE f.resolved_at IS NULL ORDER BY f.created_at, f.id LIMIT $1"
        )
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, kind, post, question, title, by, name, reason, at)| {
                Ok(StoredFlag {
                    id,
                    post_kind: PostKind::parse(&kind)?,
                    post_id: post,
                    question: QuestionId(question),
                    question_title: title,
                    flagged_by: UserId(by),
                    flagged_by_name: name,
                    reason,
                    created_at: instant(at)?,
                })
            })
            .collect()
    }

    /// A moderator leaves a post as it is: its open flags are dismissed.
    pub async fn dismiss_flags(&self, post: &str, by: &UserId, at: Timestamp) -> Result<u64> {
        write!(self, |c| sqlx::query(
            "UPDATE community_flags SET resolved_at = $2, resolved_by = $3, resolution = 'dismissed' \
             WHERE post_id = $1 AND resolved_at IS NULL"
        )
        .bind(post)
        .bind(micros(at))
        .bind(&by.0)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))
    }

    /// R9: names `user` an expert of exactly `products` (none: no longer an
    /// expert).
    pub async fn set_expert(&self, user: &UserId, products: &[ProductKey], by: &UserId, at: Timestamp) -> Result<()> {
        transaction!(self, |tx| {
            sqlx::query("DELETE FROM community_experts WHERE user_id = $1")
                .bind(&user.0)
                .execute(&mut *tx)
                .await?;
            for product in products {
                sqlx::query(
                    "INSERT INTO community_experts (user_id, product_key, named_by, named_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&user.0)
                .bind(product.as_str())
                .bind(&by.0)
                .bind(micros(at))
                .execute(&mut *tx)
                .await
                .map_err(constraint("product"))?;
            }
        })
    }

    /// Every named expert with their products.
    pub async fn experts(&self) -> Result<Vec<Expert>> {
        let rows: Vec<(String, String, String)> = read!(self, |c| {
            sqlx::query_as(
            "SELECT e.user_id, u.display_name, e.product_key FROM community_experts e JOIN users u ON u.id = e.user_id \
             ORDER BY u.display_name, e.user_id, e.product_key"
        )
        .fetch_all(c)
        .await
        })?;
        let mut experts: Vec<Expert> = Vec::new();
        for (user, name, product) in rows {
            let product = ProductKey::parse(&product)?;
            match experts.last_mut() {
                Some(last) if last.user.0 == user => last.products.push(product),
                _ => experts.push(Expert {
                    user: UserId(user),
                    name,
                    products: vec![product],
                }),
            }
        }
        Ok(experts)
    }

    /// The products `user` is an expert of.
    pub async fn expert_products(&self, user: &UserId) -> Result<Vec<ProductKey>> {
        let rows: Vec<String> = read!(self, |c| sqlx::query_scalar(
            "SELECT product_key FROM community_experts WHERE user_id = $1 ORDER BY product_key"
        )
        .bind(&user.0)
        .fetch_all(c)
        .await)?;
        rows.iter().map(|p| Ok(ProductKey::parse(p)?)).collect()
    }

    pub async fn follow(&self, user: &UserId, subscription: &Subscription, at: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "INSERT INTO community_subscriptions (user_id, kind, target, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, kind, target) DO NOTHING"
        )
        .bind(&user.0)
        .bind(subscription.kind())
        .bind(subscription.target())
        .bind(micros(at))
        .execute(c)
        .await
        .map(|_| ()))
    }

    /// Whether a subscription was there to end.
    pub async fn unfollow(&self, user: &UserId, subscription: &Subscription) -> Result<bool> {
        write!(self, |c| sqlx::query(
            "DELETE FROM community_subscriptions WHERE user_id = $1 AND kind = $2 AND target = $3"
        )
        .bind(&user.0)
        .bind(subscription.kind())
        .bind(subscription.target())
        .execute(c)
        .await
        .map(|done| done.rows_affected() > 0))
    }

    pub async fn followed(&self, user: &UserId) -> Result<Vec<Subscription>> {
        let rows: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT kind, target FROM community_subscriptions WHERE user_id = $1 ORDER BY kind, created_at, target"
        )
        .bind(&user.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(kind, target)| Subscription::parse(&kind, &target).map_err(|(_, e)| StoreError::Corrupt(e.message)))
            .collect()
    }

    /// Who follows `question` (when given), `product`, or one of `tags`,
    /// each once, `except` left out.
    pub async fn followers(
        &self,
        question: Option<&QuestionId>,
        product: Option<&ProductKey>,
        tags: &[String],
        except: &UserId,
    ) -> Result<Vec<Follower>> {
        let rows: Vec<(String, String, String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT DISTINCT u.id, u.email, u.display_name, u.language FROM community_subscriptions s \
             JOIN users u ON u.id = s.user_id WHERE u.id <> $4 AND u.active AND ( \
             (s.kind = 'question' AND s.target = $1) OR (s.kind = 'product' AND s.target = $2) \
             OR (s.kind = 'tag' AND $3 LIKE '%\"' || s.target || '\"%')) ORDER BY u.id"
        )
        .bind(question.map(|q| q.0.as_str()))
        .bind(product.map(ProductKey::as_str))
        .bind(tags_json(tags))
        .bind(&except.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(id, email, name, language)| {
                Ok(Follower {
                    user: UserId(id),
                    email,
                    name,
                    language: Language::parse(&language)?,
                })
            })
            .collect()
    }

    /// When `user`'s account was made, and the instants of their posts
    /// since `since` (questions, answers and comments), oldest first.
    pub async fn posting_history(
        &self,
        user: &UserId,
        since: Timestamp,
    ) -> Result<Option<(Timestamp, Vec<Timestamp>)>> {
        let created: Option<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT created_at FROM users WHERE id = $1"
        )
        .bind(&user.0)
        .fetch_optional(c)
        .await)?;
        let Some(created) = created else {
            return Ok(None);
        };
        let posts: Vec<i64> = read!(self, |c| sqlx::query_scalar(
            "SELECT created_at FROM community_questions WHERE author_id = $1 AND created_at > $2 \
             UNION ALL SELECT created_at FROM community_answers WHERE author_id = $1 AND created_at > $2 \
             UNION ALL SELECT created_at FROM community_comments WHERE author_id = $1 AND created_at > $2 \
             ORDER BY 1"
        )
        .bind(&user.0)
        .bind(micros(since))
        .fetch_all(c)
        .await)?;
        Ok(Some((
            instant(created)?,
            posts.into_iter().map(instant).collect::<Result<_>>()?,
        )))
    }

    /// What `user`'s profile counts (hidden posts left out).
    pub async fn member_stats(&self, user: &UserId) -> Result<MemberStats> {
        let (questions, answers, accepted, up, down): (i64, i64, i64, i64, i64) = read!(self, |c| {
            sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM community_questions WHERE author_id = $1 AND hidden_at IS NULL AND merged_into IS NULL), \
             (SELECT COUNT(*) FROM community_answers WHERE author_id = $1 AND hidden_at IS NULL), \
             (SELECT COUNT(*) FROM community_answers a JOIN community_questions q ON q.accepted_answer_id = a.id \
                 WHERE a.author_id = $1 AND a.hidden_at IS NULL), \
             COALESCE((SELECT SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END) FROM community_votes v \
                 JOIN community_answers a ON a.id = v.answer_id WHERE a.author_id = $1 AND a.hidden_at IS NULL), 0), \
             COALESCE((SELECT SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END) FROM community_votes v \
                 JOIN community_answers a ON a.id = v.answer_id WHERE a.author_id = $1 AND a.hidden_at IS NULL), 0)"
        )
        .bind(&user.0)
        .fetch_one(c)
        .await
        })?;
        Ok(MemberStats {
            questions,
            answers,
            accepted,
            up_votes: up,
            down_votes: down,
        })
    }

    /// The demo community in a few multi-row statements.
    pub async fn import_community(&self, bulk: &CommunityBulk) -> Result<()> {
        // Rows per statement: far below either engine's parameter limit.
        const CHUNK: usize = 200;
        transaction!(self, |tx| {
            for chunk in bulk.experts.chunks(CHUNK) {
                let sql = insert_rows(
                    "community_experts",
                    "user_id, product_key, named_by, named_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (user, product, by, at) in chunk {
                    query = query.bind(&user.0).bind(product.as_str()).bind(&by.0).bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.questions.chunks(CHUNK) {
                let sql = insert_rows(
                    "community_questions",
                    "id, author_id, title, body, product_key, area_key, tags, lang, version, created_at, \
                     updated_at, active_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (q, _) in chunk {
                    query = query
                        .bind(&q.id.0)
                        .bind(&q.author.0)
                        .bind(q.title.as_str())
                        .bind(q.body.as_str())
                        .bind(q.product.as_str())
                        .bind(q.area.as_ref().map(AreaKey::as_str))
                        .bind(tags_json(&q.tags))
                        .bind(q.lang.code())
                        .bind(1i64)
                        .bind(micros(q.at))
                        .bind(micros(q.at))
                        .bind(micros(q.at));
                }
                query.execute(&mut *tx).await?;
                let sql = insert_rows(
                    "community_revisions",
                    "post_id, number, title, body, changed_by, changed_at, note",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (q, _) in chunk {
                    query = query
                        .bind(&q.id.0)
                        .bind(1i64)
                        .bind(Some(q.title.as_str()))
                        .bind(q.body.as_str())
                        .bind(&q.author.0)
                        .bind(micros(q.at))
                        .bind("");
                }
                query.execute(&mut *tx).await?;
                let sql = insert_rows(
                    "community_subscriptions",
                    "user_id, kind, target, created_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (q, _) in chunk {
                    query = query
                        .bind(&q.author.0)
                        .bind("question")
                        .bind(&q.id.0)
                        .bind(micros(q.at));
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.answers.chunks(CHUNK) {
                let sql = insert_rows(
                    "community_answers",
                    "id, question_id, author_id, body, version, created_at, updated_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, question, author, body, at) in chunk {
                    query = query
                        .bind(&id.0)
                        .bind(&question.0)
                        .bind(&author.0)
                        .bind(body)
                        .bind(1i64)
                        .bind(micros(*at))
                        .bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
                let sql = insert_rows(
                    "community_revisions",
                    "post_id, number, title, body, changed_by, changed_at, note",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, _, author, body, at) in chunk {
                    query = query
                        .bind(&id.0)
                        .bind(1i64)
                        .bind(None::<&str>)
                        .bind(body)
                        .bind(&author.0)
                        .bind(micros(*at))
                        .bind("");
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.votes.chunks(CHUNK) {
                let sql = insert_rows("community_votes", "answer_id, user_id, value, voted_at", chunk.len());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (answer, user, vote, at) in chunk {
                    query = query.bind(&answer.0).bind(&user.0).bind(vote.value()).bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
            }
            for chunk in bulk.comments.chunks(CHUNK) {
                let sql = insert_rows(
                    "community_comments",
                    "id, question_id, answer_id, author_id, body, created_at",
                    chunk.len(),
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, question, answer, author, body, at) in chunk {
                    query = query
                        .bind(&id.0)
                        .bind(&question.0)
                        .bind(answer.as_ref().map(|a| a.0.as_str()))
                        .bind(&author.0)
                        .bind(body)
                        .bind(micros(*at));
                }
                query.execute(&mut *tx).await?;
            }
            // Accepted answers and last activity, once the answers are in.
            for (q, accepted) in &bulk.questions {
                if let Some(accepted) = accepted {
                    sqlx::query("UPDATE community_questions SET accepted_answer_id = $2 WHERE id = $1")
                        .bind(&q.id.0)
                        .bind(&accepted.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query(
                "UPDATE community_questions SET active_at = COALESCE((SELECT MAX(a.created_at) \
                 FROM community_answers a WHERE a.question_id = community_questions.id), active_at) \
                 WHERE active_at < COALESCE((SELECT MAX(a.created_at) FROM community_answers a \
                 WHERE a.question_id = community_questions.id), active_at)",
            )
            .execute(&mut *tx)
            .await?;
            for chunk in bulk.outbox.chunks(CHUNK) {
                insert_outbox!(tx, chunk);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use guichet_domain::community::PostBody;
    use guichet_domain::company::CompanyKind;
    use guichet_domain::user::Role;
    use jiff::SignedDuration;

    use super::*;
    use crate::testing::on_each_engine;
    use crate::tests::{company, now, product, user};

    fn question(author: &UserId, title: &str, tags: &[&str], at: Timestamp) -> NewQuestion {
        NewQuestion {
            id: QuestionId(crate::new_id()),
            author: author.clone(),
            title: QuestionTitle::parse(title).unwrap(),
            body: PostBody::parse("Le **journal** refuse l'écriture.", PostBody::MAX_LEN).unwrap(),
            product: ProductKey::parse("financials").unwrap(),
            area: Some(AreaKey::parse("general_ledger").unwrap()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            lang: Language::Fr,
            at,
        }
    }

    fn body(text: &str) -> PostBody {
        PostBody::parse(text, PostBody::MAX_LEN).unwrap()
    }

    #[tokio::test]
    async fn r9_questions_answers_votes_and_acceptance() {
        on_each_engine(|store| async move {
            store
                .create_product(&product("financials", &["general_ledger"]))
                .await
                .unwrap();
            store.create_product(&product("time", &["timesheets"])).await.unwrap();
            let lumiere = company("Lumière", CompanyKind::Customer, "lumiere.example");
            let vendor = company("Vendor", CompanyKind::Vendor, "support.example");
            store.create_company(&lumiere, now()).await.unwrap();
            store.create_company(&vendor, now()).await.unwrap();
            let marie = user(&lumiere, "marie@lumiere.example", &[]);
            let chef = user(&lumiere, "chef@lumiere.example", &[]);
            let coach = user(&vendor, "coach@support.example", &[Role::SupportCoach]);
            for u in [&marie, &chef, &coach] {
                store.create_user(u, None, now()).await.unwrap();
            }
            store
                .set_expert(&coach.id, &[ProductKey::parse("financials").unwrap()], &coach.id, now())
                .await
                .unwrap();
            let asked = question(
                &marie.id,
                "Pourquoi la période est-elle clôturée ?",
                &["clôture", "gl"],
                now(),
            );
            store.ask_question(&asked, None, &[]).await.unwrap();
            let stored = store.question(&asked.id).await.unwrap().unwrap();
            assert_eq!(stored.tags, ["clôture", "gl"]);
            assert_eq!(stored.answers, 0);
            assert_eq!(stored.author_name, "marie");

            let later = now() + SignedDuration::from_mins(5);
            let expert_answer = AnswerId(crate::new_id());
            store
                .post_answer(
                    &expert_answer,
                    &asked.id,
                    &coach.id,
                    &body("Rouvrez la période."),
                    later,
                    None,
                    &[],
                )
                .await
                .unwrap();
            let other_answer = AnswerId(crate::new_id());
            store
                .post_answer(
                    &other_answer,
                    &asked.id,
                    &chef.id,
                    &body("Aucune idée."),
                    later,
                    None,
                    &[],
                )
                .await
                .unwrap();
            assert!(matches!(
                store
                    .post_answer(
                        &AnswerId(crate::new_id()),
                        &QuestionId("nothing".into()),
                        &chef.id,
                        &body("x"),
                        later,
                        None,
                        &[]
                    )
                    .await,
                Err(StoreError::Dangling("question"))
            ));

            // One vote each, changeable, retractable.
            store
                .vote_on_answer(&expert_answer, &marie.id, Some(Vote::Down), later)
                .await
                .unwrap();
            store
                .vote_on_answer(&expert_answer, &marie.id, Some(Vote::Up), later)
                .await
                .unwrap();
            store
                .vote_on_answer(&expert_answer, &chef.id, Some(Vote::Up), later)
                .await
                .unwrap();
            store
                .vote_on_answer(&other_answer, &marie.id, Some(Vote::Down), later)
                .await
                .unwrap();
            store
                .vote_on_answer(&other_answer, &coach.id, Some(Vote::Down), later)
                .await
                .unwrap();
            store
                .vote_on_answer(&other_answer, &coach.id, None, later)
                .await
                .unwrap();
            let answers = store.answers_of(&asked.id, false).await.unwrap();
            assert_eq!(answers.len(), 2);
            let expert = answers.iter().find(|a| a.id == expert_answer).unwrap();
            assert_eq!((expert.up_votes, expert.down_votes, expert.expert), (2, 0, true));
            let other = answers.iter().find(|a| a.id == other_answer).unwrap();
            assert_eq!((other.score(), other.expert), (-1, false));
            assert_eq!(
                store.my_votes(&asked.id, &marie.id).await.unwrap().len(),
                2,
                "Marie voted on both"
            );

            let stored = store.question(&asked.id).await.unwrap().unwrap();
            store
                .accept_answer(&asked.id, stored.version, Some(&expert_answer), later, &[])
                .await
                .unwrap();
            assert!(matches!(
                store.accept_answer(&asked.id, stored.version, None, later, &[]).await,
                Err(StoreError::Conflict("question_version"))
            ));
            let stored = store.question(&asked.id).await.unwrap().unwrap();
            assert_eq!(stored.accepted_answer, Some(expert_answer.clone()));
            assert_eq!(stored.accepted_body.as_deref(), Some("Rouvrez la période."));
            assert_eq!(stored.answers, 2);
            assert_eq!(stored.active_at, later);

            let stats = store.member_stats(&coach.id).await.unwrap();
            assert_eq!((stats.answers, stats.accepted, stats.up_votes), (1, 1, 2));
            let stats = store.member_stats(&chef.id).await.unwrap();
            assert_eq!((stats.answers, stats.accepted, stats.down_votes), (1, 0, 1));

            // Lists and their filters.
            let other_question = question(&chef.id, "Comment saisir une feuille de temps ?", &["temps"], later);
            let other_question = NewQuestion {
                product: ProductKey::parse("time").unwrap(),
                area: None,
                ..other_question
            };
            store.ask_question(&other_question, None, &[]).await.unwrap();
            let list = |filter: QuestionFilter| {
                let store = store.clone();
                async move {
                    store
                        .questions(&QuestionFilter { limit: 50, ..filter })
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|q| q.id)
                        .collect::<Vec<_>>()
                }
            };
            assert_eq!(
                list(QuestionFilter::default()).await,
                [other_question.id.clone(), asked.id.clone()]
            );
            assert_eq!(
                list(QuestionFilter {
                    tag: Some("clôture".into()),
                    ..Default::default()
                })
                .await,
                std::slice::from_ref(&asked.id)
            );
            assert_eq!(
                list(QuestionFilter {
                    state: Some("solved"),
                    ..Default::default()
                })
                .await,
                std::slice::from_ref(&asked.id)
            );
            assert_eq!(
                list(QuestionFilter {
                    state: Some("unanswered"),
                    products: Some(vec![ProductKey::parse("time").unwrap()]),
                    ..Default::default()
                })
                .await,
                std::slice::from_ref(&other_question.id)
            );
            assert!(
                list(QuestionFilter {
                    asked_before: Some(now()),
                    ..Default::default()
                })
                .await
                .is_empty()
            );
            let first = store
                .questions(&QuestionFilter {
                    limit: 1,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(
                list(QuestionFilter {
                    before: Some((first[0].active_at, first[0].id.clone())),
                    ..Default::default()
                })
                .await,
                std::slice::from_ref(&asked.id)
            );
        })
        .await;
    }

    #[tokio::test]
    async fn r9_moderation_hides_edits_merges_and_moves() {
        on_each_engine(|store| async move {
            store
                .create_product(&product("financials", &["general_ledger"]))
                .await
                .unwrap();
            store.create_product(&product("time", &["timesheets"])).await.unwrap();
            let lumiere = company("Lumière", CompanyKind::Customer, "lumiere.example");
            store.create_company(&lumiere, now()).await.unwrap();
            let marie = user(&lumiere, "marie@lumiere.example", &[]);
            let chef = user(&lumiere, "chef@lumiere.example", &[]);
            for u in [&marie, &chef] {
                store.create_user(u, None, now()).await.unwrap();
            }
            let original = question(&marie.id, "Période clôturée dans le journal", &["gl"], now());
            let duplicate = question(&chef.id, "Le journal dit période clôturée", &[], now());
            store.ask_question(&original, None, &[]).await.unwrap();
            store.ask_question(&duplicate, None, &[]).await.unwrap();
            let answer = AnswerId(crate::new_id());
            store
                .post_answer(
                    &answer,
                    &duplicate.id,
                    &marie.id,
                    &body("Rouvrez-la."),
                    now(),
                    None,
                    &[],
                )
                .await
                .unwrap();
            let comment_id = CommentId(crate::new_id());
            store
                .post_comment(
                    &comment_id,
                    &duplicate.id,
                    Some(&answer),
                    &chef.id,
                    &body("Merci"),
                    now(),
                    None,
                )
                .await
                .unwrap();
            store
                .follow(&marie.id, &Subscription::Tag("gl".into()), now())
                .await
                .unwrap();

            // Flags, once per member; hiding resolves them.
            let post = store.post(&answer.0).await.unwrap().unwrap();
            assert_eq!((post.kind, &post.question), (PostKind::Answer, &duplicate.id));
            store
                .flag_post(&crate::new_id(), &post, &chef.id, "spam", now())
                .await
                .unwrap();
            assert!(matches!(
                store.flag_post(&crate::new_id(), &post, &chef.id, "again", now()).await,
                Err(StoreError::Conflict("flag"))
            ));
            assert_eq!(store.open_flags(10).await.unwrap().len(), 1);
            store.set_post_hidden(&post, Some(&chef.id), now(), &[]).await.unwrap();
            assert!(store.open_flags(10).await.unwrap().is_empty());
            assert!(store.answers_of(&duplicate.id, false).await.unwrap().is_empty());
            assert_eq!(store.answers_of(&duplicate.id, true).await.unwrap().len(), 1);
            store.set_post_hidden(&post, None, now(), &[]).await.unwrap();

            // Hidden questions leave lists, unless a moderator asks.
            let post = store.post(&original.id.0).await.unwrap().unwrap();
            store.set_post_hidden(&post, Some(&chef.id), now(), &[]).await.unwrap();
            let visible = store
                .questions(&QuestionFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(visible.len(), 1);
            let all = store
                .questions(&QuestionFilter {
                    limit: 10,
                    include_hidden: true,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(all.len(), 2);
            store.set_post_hidden(&post, None, now(), &[]).await.unwrap();

            // Edits keep revisions and refuse stale versions.
            let stored = store.question(&original.id).await.unwrap().unwrap();
            let title = QuestionTitle::parse("Période comptable clôturée dans le journal").unwrap();
            store
                .edit_question(
                    &original.id,
                    stored.version,
                    &title,
                    &body("Nouveau texte"),
                    &[],
                    &chef.id,
                    "clarified",
                    now(),
                    &[],
                )
                .await
                .unwrap();
            assert!(matches!(
                store
                    .edit_question(
                        &original.id,
                        stored.version,
                        &title,
                        &body("x"),
                        &[],
                        &chef.id,
                        "",
                        now(),
                        &[]
                    )
                    .await,
                Err(StoreError::Conflict("question_version"))
            ));
            let revisions = store.post_revisions(&original.id.0).await.unwrap();
            assert_eq!(revisions.len(), 2);
            assert_eq!(revisions[0].note, "clarified");
            assert_eq!(revisions[1].body, "Le **journal** refuse l'écriture.");
            store
                .edit_answer(&answer, 1, &body("Rouvrez la période."), &marie.id, "", now(), &[])
                .await
                .unwrap();
            assert_eq!(store.post_revisions(&answer.0).await.unwrap().len(), 2);

            // Merge: answers, comments and followers move.
            store
                .follow(&chef.id, &Subscription::Question(duplicate.id.clone()), now())
                .await
                .unwrap();
            store
                .merge_question(&duplicate.id, &original.id, now(), &[])
                .await
                .unwrap();
            assert_eq!(store.answers_of(&original.id, false).await.unwrap().len(), 1);
            assert_eq!(store.comments_of(&original.id, false).await.unwrap().len(), 1);
            let merged = store.question(&duplicate.id).await.unwrap().unwrap();
            assert_eq!(merged.merged_into, Some(original.id.clone()));
            assert!(!merged.visible());
            let followers = store.followers(Some(&original.id), None, &[], &marie.id).await.unwrap();
            assert_eq!(followers.iter().map(|f| &f.user).collect::<Vec<_>>(), [&chef.id]);
            // Tag followers hear of questions with the tag.
            let followers = store
                .followers(None, None, &["gl".into(), "x".into()], &chef.id)
                .await
                .unwrap();
            assert_eq!(followers.iter().map(|f| &f.user).collect::<Vec<_>>(), [&marie.id]);

            // Moves and locks.
            store
                .move_question(&original.id, &ProductKey::parse("time").unwrap(), None, now(), &[])
                .await
                .unwrap();
            store.set_question_locked(&original.id, true, now()).await.unwrap();
            let moved = store.question(&original.id).await.unwrap().unwrap();
            assert_eq!((moved.product.as_str(), moved.area.is_none()), ("time", true));
            assert!(moved.locked_at.is_some());
            assert!(matches!(
                store
                    .move_question(&original.id, &ProductKey::parse("nothing").unwrap(), None, now(), &[])
                    .await,
                Err(StoreError::Dangling("product"))
            ));

            // Posting history counts every kind of post.
            let (created, posts) = store
                .posting_history(&marie.id, now() - SignedDuration::from_hours(1))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(created, now());
            assert_eq!(posts.len(), 2);
            // R9: a quota is counted inside the post's transaction.
            let full = PostingQuota {
                since: now() - SignedDuration::from_hours(1),
                max: 2,
                retry_at: now(),
            };
            let refused = AnswerId(crate::new_id());
            assert!(matches!(
                store
                    .post_answer(
                        &refused,
                        &original.id,
                        &marie.id,
                        &body("Encore."),
                        now(),
                        Some(full),
                        &[]
                    )
                    .await,
                Err(StoreError::Conflict("posting_rate"))
            ));
            assert!(store.answer(&refused).await.unwrap().is_none());
            store
                .post_comment(
                    &CommentId(crate::new_id()),
                    &original.id,
                    None,
                    &marie.id,
                    &body("Encore."),
                    now(),
                    Some(PostingQuota { max: 3, ..full }),
                )
                .await
                .unwrap();
            assert_eq!(store.followed(&marie.id).await.unwrap().len(), 2);
            assert!(
                store
                    .unfollow(&marie.id, &Subscription::Tag("gl".into()))
                    .await
                    .unwrap()
            );
            assert!(
                !store
                    .unfollow(&marie.id, &Subscription::Tag("gl".into()))
                    .await
                    .unwrap()
            );
        })
        .await;
    }
}
