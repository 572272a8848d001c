//! What people do in the community (R9), for the API and the portal alike:
//! ask, answer, comment, vote, accept; follow questions, products and
//! tags; flag; moderate (hide, edit with revisions, lock, merge, move);
//! name experts; the experts' queue, profiles with reputation, and the
//! knowledge base article made from an accepted answer.
//!
//! The rules are `guichet_domain::community`'s; this module gathers the
//! facts, asks them, and has the store keep the outcome with its
//! notifications and its row of the search feed.

use std::collections::HashMap;

use axum::http::StatusCode;
use guichet_domain::access::Actor;
use guichet_domain::article::{
    Article, ArticleContent, ArticleDraft, ArticleStatus, Audience, BodyFormat, Slug, Translation, may_edit_articles,
};
use guichet_domain::community::{
    self, AnswerId, AnswerRank, CommentId, Member, PostBody, PostingLimit, PostingQuota, QuestionId, QuestionTitle,
    Refusal, Subscription, Vote,
};
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::user::{Language, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_search::{Change, Document, Kind};
use guichet_store::{
    Follower, MemberStats, NewQuestion, OutboxMessage, PostKind, PostRef, QuestionFilter, Store, StoreError,
    StoredAnswer, StoredComment, StoredQuestion,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::knowledge;
use crate::mail::Mail;
use crate::markdown;

/// R9's settings, from the `[community]` section of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunitySettings {
    /// New accounts' posting rate.
    pub posting: PostingLimit,
    /// An open question without an answer for this long shows on the
    /// experts' queue.
    pub unanswered_after: SignedDuration,
}

impl Default for CommunitySettings {
    fn default() -> Self {
        Self {
            posting: PostingLimit::default(),
            unanswered_after: SignedDuration::from_hours(24),
        }
    }
}

/// A flag's reason is a short remark.
pub const FLAG_REASON_MAX: usize = 500;
/// A moderator's note on an edit.
pub const NOTE_MAX: usize = 500;

pub(crate) fn refusal(refusal: Refusal) -> ApiError {
    let detail = refusal.to_string();
    match refusal {
        Refusal::NotAsker => ApiError::forbidden("not_asker", detail),
        Refusal::NotAuthor => ApiError::forbidden("not_author", detail),
        Refusal::NotModerator => ApiError::forbidden("moderator_required", detail),
        Refusal::OwnAnswer => ApiError::forbidden("own_answer", detail),
        Refusal::Locked => ApiError::new(StatusCode::CONFLICT, "question_locked", detail),
        Refusal::RateLimited { retry_at, .. } => ApiError {
            retry_at: Some(retry_at),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "posting_rate_limited", detail)
        },
    }
}

fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict("question_version") => ApiError::new(
            StatusCode::CONFLICT,
            "question_changed",
            "The question changed since you read it: read it again and redo your change.",
        ),
        StoreError::Conflict("answer_version") => ApiError::new(
            StatusCode::CONFLICT,
            "answer_changed",
            "The answer changed since you read it: read it again and redo your change.",
        ),
        StoreError::Conflict("flag") => ApiError::new(
            StatusCode::CONFLICT,
            "already_flagged",
            "You already flagged this post; a moderator will look at it.",
        ),
        StoreError::Conflict("question_article") => ApiError::new(
            StatusCode::CONFLICT,
            "article_exists",
            "An article was already made from this question.",
        ),
        other => other.into(),
    }
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |e| ApiError::invalid(name, e)
}

// ---------------------------------------------------------------------------
// The search feed

/// The row of the search feed that tells every node's index a question
/// changed.
pub(crate) fn index_message(id: &QuestionId, now: Timestamp) -> OutboxMessage {
    knowledge::feed_message(Kind::Question, &id.0, now)
}

/// R9: a question's searchable document — its text and its accepted
/// answer's — while it is neither hidden nor merged away. Community posts
/// are for signed-in members.
pub fn documents(question: &StoredQuestion) -> Vec<Document> {
    if !question.visible() {
        return Vec::new();
    }
    let mut body = markdown::to_plain_text(&question.body, BodyFormat::Markdown);
    if let Some(accepted) = &question.accepted_body {
        body.push_str("\n\n");
        body.push_str(&markdown::to_plain_text(accepted, BodyFormat::Markdown));
    }
    vec![Document {
        kind: Kind::Question,
        id: question.id.0.clone(),
        slug: question.id.0.clone(),
        lang: question.lang,
        title: question.title.clone(),
        body,
        products: vec![question.product.as_str().to_owned()],
        areas: question.area.iter().map(|a| a.as_str().to_owned()).collect(),
        tags: question.tags.clone(),
        error_codes: Vec::new(),
        error_messages: Vec::new(),
        page_keys: Vec::new(),
        audience: Audience::Customers,
        // Solved questions first when browsing, then the most answered.
        helpful: if question.accepted_answer.is_some() { 1_000 } else { 0 } + question.answers,
    }]
}

pub fn change(question: &StoredQuestion) -> Change {
    Change {
        kind: Kind::Question,
        id: question.id.0.clone(),
        documents: documents(question),
    }
}

/// What the index holds for question `id` now (nothing when it is gone).
pub(crate) async fn index_change(store: &Store, id: &str) -> Result<Change, StoreError> {
    let question = store.question(&QuestionId(id.to_owned())).await?;
    Ok(match question {
        Some(question) => change(&question),
        None => Change {
            kind: Kind::Question,
            id: id.to_owned(),
            documents: Vec::new(),
        },
    })
}

// ---------------------------------------------------------------------------
// Reading

/// A question the caller may read: hidden ones are for moderators only
/// (404 for anyone else, as if it did not exist).
pub async fn readable(state: &AppState, caller: &Caller, id: &str) -> Result<StoredQuestion, ApiError> {
    let id = QuestionId::parse(id).map_err(|_| ApiError::not_found())?;
    let question = state.store.question(&id).await?.ok_or_else(ApiError::not_found)?;
    if question.hidden_at.is_some() && !community::is_moderator(&caller.actor) {
        return Err(ApiError::not_found());
    }
    Ok(question)
}

/// What the reader may do on a question's page.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Permissions {
    /// Post an answer or a comment (not on a locked question).
    pub answer: bool,
    /// Accept an answer: the asker, an expert of the product, a moderator.
    pub accept: bool,
    /// Edit the question: its author or a moderator.
    pub edit: bool,
    /// Hide, lock, merge, move.
    pub moderate: bool,
    /// Turn the accepted answer into a knowledge base article.
    pub make_article: bool,
}

/// A question with everything its page shows.
#[derive(Debug, Clone)]
pub struct Thread {
    pub question: StoredQuestion,
    /// The accepted answer first, then by votes, then the oldest.
    pub answers: Vec<StoredAnswer>,
    pub comments: Vec<StoredComment>,
    /// The reader's votes, by answer.
    pub my_votes: HashMap<AnswerId, i64>,
    pub following: bool,
    pub permissions: Permissions,
    /// The reader is an expert of the question's product.
    pub expert: bool,
}

async fn is_expert(state: &AppState, user: &UserId, product: &ProductKey) -> Result<bool, ApiError> {
    Ok(state.store.expert_products(user).await?.contains(product))
}

pub async fn thread(state: &AppState, caller: &Caller, id: &str) -> Result<Thread, ApiError> {
    let question = readable(state, caller, id).await?;
    let moderator = community::is_moderator(&caller.actor);
    let mut answers = state.store.answers_of(&question.id, moderator).await?;
    answers.sort_by(|a, b| {
        let rank = |x: &StoredAnswer| AnswerRank {
            accepted: question.accepted_answer.as_ref() == Some(&x.id),
            score: x.score(),
            created_at: x.created_at,
        };
        community::answer_order(&rank(a), &rank(b))
    });
    let comments = state.store.comments_of(&question.id, moderator).await?;
    let my_votes = state
        .store
        .my_votes(&question.id, &caller.user.id)
        .await?
        .into_iter()
        .collect();
    let following = state
        .store
        .followed(&caller.user.id)
        .await?
        .contains(&Subscription::Question(question.id.clone()));
    let expert = is_expert(state, &caller.user.id, &question.product).await?;
    let member = Member {
        actor: &caller.actor,
        expert,
    };
    let open = question.merged_into.is_none();
    let permissions = Permissions {
        answer: open && community::may_reply(&caller.actor, question.locked_at.is_some()).is_ok(),
        accept: open && community::may_accept(member, &question.author).is_ok(),
        edit: open && community::may_edit(&caller.actor, &question.author).is_ok(),
        moderate: moderator,
        make_article: open
            && may_edit_articles(&caller.actor)
            && question.article.is_none()
            && question.accepted_body.is_some(),
    };
    Ok(Thread {
        question,
        answers,
        comments,
        my_votes,
        following,
        permissions,
        expert,
    })
}

/// R9: a page of the question list, with its filters.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    mut filter: QuestionFilter,
) -> Result<Vec<StoredQuestion>, ApiError> {
    filter.include_hidden = filter.include_hidden && community::is_moderator(&caller.actor);
    // One more than a page's 100, for the caller to tell whether more follow.
    filter.limit = filter.limit.clamp(1, 101);
    Ok(state.store.questions(&filter).await?)
}

/// R9: the experts' queue: open questions nobody answered for
/// `community.unanswered_after`, about the products the caller is an
/// expert of (every product for moderators).
pub async fn queue(state: &AppState, caller: &Caller, limit: i64) -> Result<Vec<StoredQuestion>, ApiError> {
    let products = state.store.expert_products(&caller.user.id).await?;
    let moderator = community::is_moderator(&caller.actor);
    if products.is_empty() && !moderator {
        return Err(ApiError::forbidden(
            "expert_required",
            "The queue of unanswered questions is for product experts and moderators.",
        ));
    }
    let filter = QuestionFilter {
        state: Some("unanswered"),
        asked_before: Some(state.clock.now() - state.settings.community.unanswered_after),
        products: (!moderator).then_some(products),
        // They have waited longest: the limit keeps them, not the newest.
        oldest_first: true,
        limit: limit.clamp(1, 200),
        ..QuestionFilter::default()
    };
    Ok(state.store.questions(&filter).await?)
}

/// A member's profile: their counts, reputation and expert products.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: UserId,
    pub name: String,
    pub stats: MemberStats,
    pub reputation: i64,
    pub expert_of: Vec<ProductKey>,
    pub staff: bool,
}

pub async fn profile(state: &AppState, _caller: &Caller, user: &str) -> Result<Profile, ApiError> {
    let id = UserId::parse(user).map_err(|_| ApiError::not_found())?;
    let user = state.store.user(&id).await?.ok_or_else(ApiError::not_found)?;
    let company = state
        .store
        .company(&user.company_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let stats = state.store.member_stats(&id).await?;
    Ok(Profile {
        reputation: community::reputation(stats.accepted, stats.up_votes, stats.down_votes),
        expert_of: state.store.expert_products(&id).await?,
        staff: company.kind == guichet_domain::company::CompanyKind::Vendor,
        name: user.display_name.as_str().to_owned(),
        user: id,
        stats,
    })
}

// ---------------------------------------------------------------------------
// Posting

/// R9: refuses a post over the new accounts' rate; otherwise the quota the
/// store holds the post to, so that posts sent in parallel cannot all pass
/// this check before any of them is written.
async fn check_posting(state: &AppState, caller: &Caller, now: Timestamp) -> Result<Option<PostingQuota>, ApiError> {
    let Some((created, recent)) = state
        .store
        .posting_history(&caller.user.id, now - community::POSTING_WINDOW)
        .await?
    else {
        return Err(ApiError::not_found());
    };
    let limit = state.settings.community.posting;
    community::may_post(&caller.actor, created, &recent, limit, now).map_err(refusal)?;
    Ok(community::posting_quota(&caller.actor, created, &recent, limit, now))
}

/// A post the store refused: over its quota, the rate's refusal.
fn post_refused(quota: Option<PostingQuota>, error: StoreError) -> ApiError {
    match (quota, error) {
        (Some(quota), StoreError::Conflict("posting_rate")) => refusal(quota.refusal()),
        (_, error) => store_error(error),
    }
}

/// A product key that names a product of the catalogue, and an area of it.
async fn product_and_area(
    state: &AppState,
    product: &str,
    area: Option<&str>,
) -> Result<(ProductKey, Option<AreaKey>), ApiError> {
    let key = ProductKey::parse(product).map_err(field("product"))?;
    let catalogue = state.caches.products(&state.store).await?;
    let Some(known) = catalogue.iter().find(|p| p.key == key) else {
        return Err(ApiError::invalid(
            "product",
            Invalid::new(InvalidKind::Unknown, format!("there is no product `{}`", key.as_str())),
        ));
    };
    let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(area) => {
            let area = AreaKey::parse(area).map_err(field("area"))?;
            if !known.areas.iter().any(|a| a.key == area) {
                return Err(ApiError::invalid(
                    "area",
                    Invalid::new(
                        InvalidKind::Unknown,
                        format!("`{}` has no area `{}`", key.as_str(), area.as_str()),
                    ),
                ));
            }
            Some(area)
        }
    };
    Ok((key, area))
}

/// A question as asked.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub title: String,
    pub body: String,
    pub product: String,
    pub area: Option<String>,
    pub tags: Vec<String>,
    /// `None`: the asker's own language.
    pub lang: Option<String>,
}

/// The mails telling `followers` of a post, each in its reader's language.
fn notices(followers: &[Follower], now: Timestamp, write: impl Fn(&Tr) -> (String, String)) -> Vec<OutboxMessage> {
    followers
        .iter()
        .map(|follower| {
            let (subject, body) = write(&Tr::new(follower.language));
            let mail = Mail {
                to: follower.email.clone(),
                subject,
                body,
                language: follower.language.code().to_owned(),
                headers: Vec::new(),
                reply_token: None,
            };
            OutboxMessage::new("mail", &mail, now)
        })
        .collect()
}

/// R9: a member asks; followers of the product and of its tags hear of it.
pub async fn ask(state: &AppState, caller: &Caller, asked: Asked, base: &str) -> Result<StoredQuestion, ApiError> {
    let title = QuestionTitle::parse(&asked.title).map_err(field("title"))?;
    let body = PostBody::parse(&asked.body, PostBody::MAX_LEN).map_err(field("body"))?;
    let (product, area) = product_and_area(state, &asked.product, asked.area.as_deref()).await?;
    let tags = community::parse_tags(&asked.tags).map_err(field("tags"))?;
    let lang = match asked.lang.as_deref().filter(|l| !l.trim().is_empty()) {
        Some(lang) => Language::parse(lang).map_err(field("lang"))?,
        None => caller.user.language,
    };
    let now = state.clock.now();
    let quota = check_posting(state, caller, now).await?;
    let question = NewQuestion {
        id: QuestionId(guichet_store::new_id()),
        author: caller.user.id.clone(),
        title,
        body,
        product,
        area,
        tags,
        lang,
        at: now,
    };
    let followers = state
        .store
        .followers(None, Some(&question.product), &question.tags, &caller.user.id)
        .await?;
    let link = format!("{base}/community/questions/{}", question.id);
    let mut outbox = notices(&followers, now, |tr| {
        (
            tr.t1("community-mail-question-subject", "title", question.title.as_str()),
            format!(
                "{}\n\n{}\n\n{link}\n",
                tr.t2(
                    "community-mail-question-body",
                    ("name", caller.user.display_name.as_str()),
                    ("title", question.title.as_str())
                ),
                question.body.as_str()
            ),
        )
    });
    outbox.push(index_message(&question.id, now));
    if let Err(error) = state.store.ask_question(&question, quota, &outbox).await {
        return Err(post_refused(quota, error));
    }
    index_now(state).await;
    state
        .store
        .question(&question.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// R9: an answer; the question's followers hear of it.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    question: &str,
    body: &str,
    base: &str,
) -> Result<StoredAnswer, ApiError> {
    let question = readable(state, caller, question).await?;
    let body = PostBody::parse(body, PostBody::MAX_LEN).map_err(field("body"))?;
    if let Some(target) = &question.merged_into {
        return Err(merged(target));
    }
    community::may_reply(&caller.actor, question.locked_at.is_some()).map_err(refusal)?;
    let now = state.clock.now();
    let quota = check_posting(state, caller, now).await?;
    let id = AnswerId(guichet_store::new_id());
    let followers = state
        .store
        .followers(Some(&question.id), None, &[], &caller.user.id)
        .await?;
    let link = format!("{base}/community/questions/{}#answer-{id}", question.id);
    let mut outbox = notices(&followers, now, |tr| {
        (
            tr.t1("community-mail-answer-subject", "title", &question.title),
            format!(
                "{}\n\n{}\n\n{link}\n",
                tr.t2(
                    "community-mail-answer-body",
                    ("name", caller.user.display_name.as_str()),
                    ("title", &question.title)
                ),
                body.as_str()
            ),
        )
    });
    outbox.push(index_message(&question.id, now));
    if let Err(error) = state
        .store
        .post_answer(&id, &question.id, &caller.user.id, &body, now, quota, &outbox)
        .await
    {
        return Err(post_refused(quota, error));
    }
    // Answering a question means following it.
    state
        .store
        .follow(&caller.user.id, &Subscription::Question(question.id.clone()), now)
        .await?;
    index_now(state).await;
    state.store.answer(&id).await?.ok_or_else(ApiError::not_found)
}

fn merged(target: &QuestionId) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "question_merged",
        format!("This question was merged into question {target}: post there."),
    )
}

/// An answer of a question the caller may read.
async fn readable_answer(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(StoredQuestion, StoredAnswer), ApiError> {
    let id = AnswerId::parse(id).map_err(|_| ApiError::not_found())?;
    let answer = state.store.answer(&id).await?.ok_or_else(ApiError::not_found)?;
    let question = readable(state, caller, &answer.question.0).await?;
    if answer.hidden_at.is_some() && !community::is_moderator(&caller.actor) {
        return Err(ApiError::not_found());
    }
    Ok((question, answer))
}

/// A comment on a question, or on one of its answers.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    question: &str,
    answer: Option<&str>,
    body: &str,
) -> Result<StoredComment, ApiError> {
    let question = readable(state, caller, question).await?;
    let body = PostBody::parse(body, PostBody::COMMENT_MAX_LEN).map_err(field("body"))?;
    let answer = match answer.map(str::trim).filter(|a| !a.is_empty()) {
        Some(answer) => {
            let (_, answer) = readable_answer(state, caller, answer)
                .await
                .map_err(|_| ApiError::invalid("answer", Invalid::new(InvalidKind::Unknown, "no such answer")))?;
            if answer.question != question.id {
                return Err(ApiError::invalid(
                    "answer",
                    Invalid::new(InvalidKind::NotAllowed, "that answer is on another question"),
                ));
            }
            Some(answer.id)
        }
        None => None,
    };
    if let Some(target) = &question.merged_into {
        return Err(merged(target));
    }
    community::may_reply(&caller.actor, question.locked_at.is_some()).map_err(refusal)?;
    let now = state.clock.now();
    let quota = check_posting(state, caller, now).await?;
    let id = CommentId(guichet_store::new_id());
    if let Err(error) = state
        .store
        .post_comment(&id, &question.id, answer.as_ref(), &caller.user.id, &body, now, quota)
        .await
    {
        return Err(post_refused(quota, error));
    }
    let comments = state.store.comments_of(&question.id, true).await?;
    comments
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)
}

/// R9: one vote per member and answer (1, -1, or 0 to take it back).
pub async fn vote(state: &AppState, caller: &Caller, answer: &str, value: i64) -> Result<StoredAnswer, ApiError> {
    let vote = Vote::parse(value).map_err(field("value"))?;
    let (_, answer) = readable_answer(state, caller, answer).await?;
    community::may_vote(&caller.actor, &answer.author).map_err(refusal)?;
    state
        .store
        .vote_on_answer(&answer.id, &caller.user.id, vote, state.clock.now())
        .await
        .map_err(store_error)?;
    state.store.answer(&answer.id).await?.ok_or_else(ApiError::not_found)
}

/// R9: accepts `answer` (`None`: no answer is accepted any more).
pub async fn accept(
    state: &AppState,
    caller: &Caller,
    question: &str,
    answer: Option<&str>,
) -> Result<StoredQuestion, ApiError> {
    let question = readable(state, caller, question).await?;
    if let Some(target) = &question.merged_into {
        return Err(merged(target));
    }
    let expert = is_expert(state, &caller.user.id, &question.product).await?;
    community::may_accept(
        Member {
            actor: &caller.actor,
            expert,
        },
        &question.author,
    )
    .map_err(refusal)?;
    let answer = match answer.map(str::trim).filter(|a| !a.is_empty()) {
        Some(id) => {
            let id = AnswerId::parse(id).map_err(field("answer"))?;
            match state.store.answer(&id).await? {
                Some(answer) if answer.question == question.id && answer.hidden_at.is_none() => Some(answer.id),
                _ => {
                    return Err(ApiError::invalid(
                        "answer",
                        Invalid::new(InvalidKind::Unknown, "that is not an answer of this question"),
                    ));
                }
            }
        }
        None => None,
    };
    let now = state.clock.now();
    state
        .store
        .accept_answer(
            &question.id,
            question.version,
            answer.as_ref(),
            now,
            &[index_message(&question.id, now)],
        )
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state
        .store
        .question(&question.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

fn note(note: Option<&str>) -> Result<String, ApiError> {
    let note = note.unwrap_or("").trim();
    if note.chars().count() > NOTE_MAX {
        return Err(ApiError::invalid(
            "note",
            Invalid::new(
                InvalidKind::TooLong,
                format!("the note is longer than {NOTE_MAX} characters"),
            ),
        ));
    }
    Ok(note.to_owned())
}

/// A question's new title, body and tags (its author or a moderator);
/// the old text stays in its revisions.
pub struct QuestionEdit<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub tags: Option<&'a [String]>,
    /// The version it was made from (default: the current one).
    pub version: Option<i64>,
    pub note: Option<&'a str>,
}

pub async fn edit_question(
    state: &AppState,
    caller: &Caller,
    id: &str,
    edit: QuestionEdit<'_>,
) -> Result<StoredQuestion, ApiError> {
    let question = readable(state, caller, id).await?;
    community::may_edit(&caller.actor, &question.author).map_err(refusal)?;
    let title = QuestionTitle::parse(edit.title).map_err(field("title"))?;
    let body = PostBody::parse(edit.body, PostBody::MAX_LEN).map_err(field("body"))?;
    let tags = match edit.tags {
        Some(tags) => community::parse_tags(tags).map_err(field("tags"))?,
        None => question.tags.clone(),
    };
    let note = note(edit.note)?;
    let now = state.clock.now();
    state
        .store
        .edit_question(
            &question.id,
            edit.version.unwrap_or(question.version),
            &title,
            &body,
            &tags,
            &caller.user.id,
            &note,
            now,
            &[index_message(&question.id, now)],
        )
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state
        .store
        .question(&question.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub async fn edit_answer(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &str,
    version: Option<i64>,
    edit_note: Option<&str>,
) -> Result<StoredAnswer, ApiError> {
    let (question, answer) = readable_answer(state, caller, id).await?;
    community::may_edit(&caller.actor, &answer.author).map_err(refusal)?;
    let body = PostBody::parse(body, PostBody::MAX_LEN).map_err(field("body"))?;
    let note = note(edit_note)?;
    let now = state.clock.now();
    state
        .store
        .edit_answer(
            &answer.id,
            version.unwrap_or(answer.version),
            &body,
            &caller.user.id,
            &note,
            now,
            &[index_message(&question.id, now)],
        )
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state.store.answer(&answer.id).await?.ok_or_else(ApiError::not_found)
}

/// A post the caller may see, whatever its kind.
async fn readable_post(state: &AppState, caller: &Caller, id: &str) -> Result<PostRef, ApiError> {
    let id = guichet_domain::invalid::opaque_id(id, "post").map_err(|_| ApiError::not_found())?;
    let post = state.store.post(&id).await?.ok_or_else(ApiError::not_found)?;
    readable(state, caller, &post.question.0).await?;
    if post.hidden && !community::is_moderator(&caller.actor) {
        return Err(ApiError::not_found());
    }
    Ok(post)
}

/// R9: a member flags a post for the moderators.
pub async fn flag(state: &AppState, caller: &Caller, post: &str, reason: &str) -> Result<(), ApiError> {
    let post = readable_post(state, caller, post).await?;
    let reason =
        guichet_domain::invalid::bounded_text(reason, "the reason", FLAG_REASON_MAX).map_err(field("reason"))?;
    state
        .store
        .flag_post(
            &guichet_store::new_id(),
            &post,
            &caller.user.id,
            &reason,
            state.clock.now(),
        )
        .await
        .map_err(store_error)
}

/// What a moderator does with a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Hide,
    Show,
    /// Leave it as it is: its flags are dismissed.
    Dismiss,
}

impl Moderation {
    pub fn parse(action: &str) -> Result<Self, ApiError> {
        match action.trim() {
            "hide" => Ok(Self::Hide),
            "show" => Ok(Self::Show),
            "dismiss" => Ok(Self::Dismiss),
            other => Err(ApiError::invalid(
                "action",
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{other}` is not a moderation (hide, show, dismiss)"),
                ),
            )),
        }
    }
}

/// R9: a moderator hides a post, shows it again, or dismisses its flags.
/// A hidden post leaves search and lists before this returns.
pub async fn moderate(state: &AppState, caller: &Caller, post: &str, action: Moderation) -> Result<PostKind, ApiError> {
    community::may_moderate(&caller.actor).map_err(refusal)?;
    let post = readable_post(state, caller, post).await?;
    let now = state.clock.now();
    match action {
        Moderation::Dismiss => {
            state.store.dismiss_flags(&post.id, &caller.user.id, now).await?;
        }
        Moderation::Hide | Moderation::Show => {
            let by = (action == Moderation::Hide).then_some(&caller.user.id);
            state
                .store
                .set_post_hidden(&post, by, now, &[index_message(&post.question, now)])
                .await?;
            index_now(state).await;
        }
    }
    Ok(post.kind)
}

/// R9: a moderator locks or unlocks a question.
pub async fn lock(state: &AppState, caller: &Caller, id: &str, locked: bool) -> Result<StoredQuestion, ApiError> {
    community::may_moderate(&caller.actor).map_err(refusal)?;
    let question = readable(state, caller, id).await?;
    state
        .store
        .set_question_locked(&question.id, locked, state.clock.now())
        .await?;
    state
        .store
        .question(&question.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// R9: a moderator moves a question to another product (and area).
pub async fn move_question(
    state: &AppState,
    caller: &Caller,
    id: &str,
    product: &str,
    area: Option<&str>,
) -> Result<StoredQuestion, ApiError> {
    community::may_moderate(&caller.actor).map_err(refusal)?;
    let question = readable(state, caller, id).await?;
    let (product, area) = product_and_area(state, product, area).await?;
    let now = state.clock.now();
    state
        .store
        .move_question(
            &question.id,
            &product,
            area.as_ref(),
            now,
            &[index_message(&question.id, now)],
        )
        .await
        .map_err(store_error)?;
    index_now(state).await;
    state
        .store
        .question(&question.id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// R9: a moderator merges a duplicate into the question it repeats.
pub async fn merge(state: &AppState, caller: &Caller, id: &str, into: &str) -> Result<StoredQuestion, ApiError> {
    community::may_moderate(&caller.actor).map_err(refusal)?;
    let duplicate = readable(state, caller, id).await?;
    let target = readable(state, caller, into)
        .await
        .map_err(|_| ApiError::invalid("into", Invalid::new(InvalidKind::Unknown, "no such question")))?;
    if target.id == duplicate.id || target.merged_into.is_some() || duplicate.merged_into.is_some() {
        return Err(ApiError::invalid(
            "into",
            Invalid::new(
                InvalidKind::NotAllowed,
                "a question merges into another question that was not merged itself",
            ),
        ));
    }
    let now = state.clock.now();
    state
        .store
        .merge_question(
            &duplicate.id,
            &target.id,
            now,
            &[index_message(&duplicate.id, now), index_message(&target.id, now)],
        )
        .await?;
    index_now(state).await;
    state.store.question(&target.id).await?.ok_or_else(ApiError::not_found)
}

/// R9: a knowledge editor turns the accepted answer into a knowledge base
/// article in one action: the article cites the question, the question
/// links the article.
pub async fn make_article(state: &AppState, caller: &Caller, id: &str, base: &str) -> Result<Article, ApiError> {
    if !may_edit_articles(&caller.actor) {
        return Err(ApiError::forbidden(
            "editor_required",
            "Only knowledge editors (support coaches, product management, support managers, administrators) may do this.",
        ));
    }
    let question = readable(state, caller, id).await?;
    if !question.visible() {
        return Err(ApiError::not_found());
    }
    if question.article.is_some() {
        return Err(store_error(StoreError::Conflict("question_article")));
    }
    let Some(accepted) = &question.accepted_body else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_accepted_answer",
            "The question has no accepted answer to make an article of.",
        ));
    };
    let mut slug = Slug::from_text(&question.title).map_err(field("title"))?;
    if state.store.article_by_slug(&slug).await?.is_some() {
        let short: String = question.id.0.chars().rev().take(8).collect();
        slug = Slug::parse(&format!(
            "{}-{short}",
            slug.as_str().chars().take(100).collect::<String>()
        ))
        .map_err(field("title"))?;
    }
    let tr = Tr::new(question.lang);
    let body = format!(
        "{}\n\n---\n\n{accepted}\n\n*{}*\n",
        question.body,
        tr.t1(
            "community-article-source",
            "link",
            format!(
                "[{}]({base}/community/questions/{})",
                question.title.replace(['[', ']'], ""),
                question.id
            )
        )
    );
    let content = ArticleContent::parse(ArticleDraft {
        slug: slug.as_str().to_owned(),
        audience: Some(Audience::Customers.as_str().to_owned()),
        status: Some(ArticleStatus::Published.as_str().to_owned()),
        products: vec![question.product.as_str().to_owned()],
        areas: question.area.iter().map(|a| a.as_str().to_owned()).collect(),
        tags: question.tags.clone(),
        error_codes: Vec::new(),
        page_keys: Vec::new(),
        translations: vec![Translation {
            lang: question.lang,
            title: question.title.clone(),
            body,
            format: BodyFormat::Markdown,
            error_messages: Vec::new(),
        }],
    })
    .map_err(|(field, invalid)| ApiError::invalid(field, invalid))?;
    let now = state.clock.now();
    let article = knowledge::create_article(&state.store, content, Some(&caller.user.id), now).await?;
    if let Err(error) = state
        .store
        .link_question_article(&question.id, &article.id, now, &[index_message(&question.id, now)])
        .await
    {
        // Another editor was quicker: archive this copy, theirs stands.
        let mut content = article.content.clone();
        content.status = ArticleStatus::Archived;
        knowledge::update_article(&state.store, &article, None, content, Some(&caller.user.id), now, None).await?;
        index_now(state).await;
        return Err(store_error(error));
    }
    index_now(state).await;
    Ok(article)
}

/// R9: a moderator names a member an expert of `products` (none: no
/// longer an expert).
pub async fn set_expert(
    state: &AppState,
    caller: &Caller,
    user: &str,
    products: &[String],
) -> Result<Vec<ProductKey>, ApiError> {
    community::may_moderate(&caller.actor).map_err(refusal)?;
    let id = UserId::parse(user).map_err(|_| ApiError::not_found())?;
    state.store.user(&id).await?.ok_or_else(ApiError::not_found)?;
    let mut keys: Vec<ProductKey> = Vec::new();
    for product in products {
        let (key, _) = product_and_area(state, product, None).await.map_err(|mut e| {
            e.field = Some("products".into());
            e
        })?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    state
        .store
        .set_expert(&id, &keys, &caller.user.id, state.clock.now())
        .await
        .map_err(store_error)?;
    Ok(keys)
}

/// R9: follow a question, a product or a tag.
pub async fn follow(state: &AppState, caller: &Caller, kind: &str, target: &str) -> Result<Subscription, ApiError> {
    let subscription = parse_subscription(kind, target)?;
    match &subscription {
        Subscription::Question(id) => {
            readable(state, caller, &id.0).await?;
        }
        Subscription::Product(key) => {
            product_and_area(state, key.as_str(), None).await?;
        }
        Subscription::Tag(_) => {}
    }
    state
        .store
        .follow(&caller.user.id, &subscription, state.clock.now())
        .await?;
    Ok(subscription)
}

pub fn parse_subscription(kind: &str, target: &str) -> Result<Subscription, ApiError> {
    Subscription::parse(kind, target).map_err(|(field, invalid)| ApiError::invalid(field, invalid))
}

/// Whether there was something to stop following.
pub async fn unfollow(state: &AppState, caller: &Caller, kind: &str, target: &str) -> Result<bool, ApiError> {
    let subscription = parse_subscription(kind, target)?;
    Ok(state.store.unfollow(&caller.user.id, &subscription).await?)
}

/// Makes a change searchable on this node before answering; a hidden post
/// is gone from this node's searches when it returns (other nodes follow
/// the feed within a second).
async fn index_now(state: &AppState) {
    crate::api::articles::index_now(state).await;
}

/// Whether `actor` may moderate (for pages).
pub fn moderator(actor: &Actor) -> bool {
    community::is_moderator(actor)
}
