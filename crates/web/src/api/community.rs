//! The community (R9) through the API: questions, answers, comments, votes,
//! acceptance, subscriptions, flags and moderation, experts, profiles and
//! the experts' queue. For signed-in members; hidden posts are for
//! moderators only (404 for anyone else).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use guichet_domain::community::{AnswerId, QuestionId, Subscription};
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::user::Language;
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::{QuestionFilter, StoredAnswer, StoredComment, StoredQuestion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::json::ApiJson;
use crate::auth::Caller;
use crate::community::{self, Asked, Moderation, Permissions, QuestionEdit, Thread};
use crate::error::{ApiError, Problem};
use crate::markdown;
use crate::status::base_url;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionSummaryView {
    pub id: String,
    pub title: String,
    pub product: String,
    pub area: Option<String>,
    pub tags: Vec<String>,
    /// `fr` or `en`.
    pub lang: &'static str,
    /// `open` or `solved` (an answer is accepted).
    pub state: &'static str,
    /// Answers not hidden.
    pub answers: i64,
    pub author: MemberRef,
    pub asked_at: String,
    /// The last question, answer or comment posted on it.
    pub active_at: String,
    /// Moderators only see hidden questions.
    pub hidden: bool,
    pub locked: bool,
    /// Merged into this question: read and post there.
    pub merged_into: Option<String>,
    /// The knowledge base article made from its accepted answer.
    pub article: Option<String>,
    /// The question's page in the portal.
    pub url: String,
}

impl QuestionSummaryView {
    pub(crate) fn of(q: &StoredQuestion) -> Self {
        Self {
            id: q.id.0.clone(),
            title: q.title.clone(),
            product: q.product.as_str().to_owned(),
            area: q.area.as_ref().map(|a| a.as_str().to_owned()),
            tags: q.tags.clone(),
            lang: q.lang.code(),
            state: if q.accepted_answer.is_some() { "solved" } else { "open" },
            answers: q.answers,
            author: MemberRef {
                id: q.author.0.clone(),
                name: q.author_name.clone(),
            },
            asked_at: q.created_at.to_string(),
            active_at: q.active_at.to_string(),
            hidden: q.hidden_at.is_some(),
            locked: q.locked_at.is_some(),
            merged_into: q.merged_into.as_ref().map(|m| m.0.clone()),
            article: q.article.as_ref().map(|a| a.0.clone()),
            url: format!("/community/questions/{}", q.id),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: String,
    pub author: MemberRef,
    /// As written (Markdown).
    pub body: String,
    /// The body as sanitized HTML.
    pub html: String,
    pub hidden: bool,
    pub created_at: String,
}

impl CommentView {
    fn of(c: &StoredComment) -> Self {
        Self {
            id: c.id.0.clone(),
            author: MemberRef {
                id: c.author.0.clone(),
                name: c.author_name.clone(),
            },
            body: c.body.clone(),
            html: markdown::to_safe_html(&c.body, guichet_domain::article::BodyFormat::Markdown),
            hidden: c.hidden_at.is_some(),
            created_at: c.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    pub id: String,
    pub question: String,
    pub author: MemberRef,
    /// R9: its author is an expert of the question's product.
    pub expert: bool,
    pub accepted: bool,
    /// As written (Markdown).
    pub body: String,
    /// The body as sanitized HTML.
    pub html: String,
    /// Up votes minus down votes.
    pub score: i64,
    pub up_votes: i64,
    pub down_votes: i64,
    /// The caller's vote: 1, -1 or 0.
    pub my_vote: i64,
    pub hidden: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Comments on this answer, oldest first.
    pub comments: Vec<CommentView>,
}

impl AnswerView {
    pub(crate) fn of(a: &StoredAnswer, accepted: bool, my_vote: i64, comments: Vec<CommentView>) -> Self {
        Self {
            id: a.id.0.clone(),
            question: a.question.0.clone(),
            author: MemberRef {
                id: a.author.0.clone(),
                name: a.author_name.clone(),
            },
            expert: a.expert,
            accepted,
            body: a.body.clone(),
            html: markdown::to_safe_html(&a.body, guichet_domain::article::BodyFormat::Markdown),
            score: a.score(),
            up_votes: a.up_votes,
            down_votes: a.down_votes,
            my_vote,
            hidden: a.hidden_at.is_some(),
            version: a.version,
            created_at: a.created_at.to_string(),
            updated_at: a.updated_at.to_string(),
            comments,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    #[serde(flatten)]
    pub summary: QuestionSummaryView,
    /// As written (Markdown).
    pub body: String,
    /// The body as sanitized HTML.
    pub html: String,
    pub accepted_answer: Option<String>,
    pub version: i64,
    /// The accepted answer first, then the best voted, then the oldest.
    pub answers: Vec<AnswerView>,
    /// Comments on the question itself, oldest first.
    pub comments: Vec<CommentView>,
    /// The caller follows it.
    pub following: bool,
    /// What the caller may do.
    pub permissions: Permissions,
}

impl QuestionView {
    pub(crate) fn of(thread: &Thread) -> Self {
        let q = &thread.question;
        let comments_of = |answer: Option<&AnswerId>| -> Vec<CommentView> {
            thread
                .comments
                .iter()
                .filter(|c| c.answer.as_ref() == answer)
                .map(CommentView::of)
                .collect()
        };
        Self {
            summary: QuestionSummaryView::of(q),
            body: q.body.clone(),
            html: markdown::to_safe_html(&q.body, guichet_domain::article::BodyFormat::Markdown),
            accepted_answer: q.accepted_answer.as_ref().map(|a| a.0.clone()),
            version: q.version,
            answers: thread
                .answers
                .iter()
                .map(|a| {
                    AnswerView::of(
                        a,
                        q.accepted_answer.as_ref() == Some(&a.id),
                        thread.my_votes.get(&a.id).copied().unwrap_or(0),
                        comments_of(Some(&a.id)),
                    )
                })
                .collect(),
            comments: comments_of(None),
            following: thread.following,
            permissions: thread.permissions,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionListView {
    pub questions: Vec<QuestionSummaryView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionListQuery {
    /// Only this product's questions (`financials`).
    pub product: Option<String>,
    /// Only this product area's.
    pub area: Option<String>,
    /// Only questions with this tag.
    pub tag: Option<String>,
    /// Only questions in this language (`fr`, `en`).
    pub lang: Option<String>,
    /// `open`, `solved` or `unanswered`.
    pub state: Option<String>,
    /// Only the caller's own questions.
    #[serde(default)]
    pub mine: bool,
    /// Hidden questions too (moderators).
    #[serde(default)]
    pub hidden: bool,
    /// From a previous answer's `next_cursor`.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// 8 to 200 characters.
    pub title: String,
    /// Markdown, at most 20,000 characters (rendered through a sanitizer).
    pub body: String,
    pub product: String,
    pub area: Option<String>,
    /// At most 5.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `fr` or `en`; default: the asker's language.
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionEditInput {
    pub title: String,
    pub body: String,
    /// Default: unchanged.
    pub tags: Option<Vec<String>>,
    /// The version the edit was made from (409 `question_changed` if it
    /// moved on).
    pub version: Option<i64>,
    /// Why, in a few words (kept with the revision).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Markdown, at most 20,000 characters.
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerEditInput {
    pub body: String,
    pub version: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// Markdown, at most 2,000 characters.
    pub body: String,
    /// The answer commented on; none for a comment on the question.
    pub answer: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    /// 1 up, -1 down, 0 takes the vote back.
    pub value: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The answer accepted; none: no answer is accepted any more.
    pub answer: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockInput {
    pub locked: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The question this one repeats: its answers, comments and followers
    /// move there.
    pub into: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    pub product: String,
    pub area: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagInput {
    /// What is wrong with the post (1 to 500 characters).
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationInput {
    /// `hide`, `show` or `dismiss` (leave the post, dismiss its flags).
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationView {
    /// `question`, `answer` or `comment`.
    pub kind: &'static str,
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub id: String,
    /// `question`, `answer` or `comment`.
    pub post_kind: &'static str,
    pub post: String,
    pub question: String,
    pub question_title: String,
    pub flagged_by: MemberRef,
    pub reason: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: i64,
    /// Questions only.
    pub title: Option<String>,
    pub body: String,
    pub changed_by: String,
    pub changed_at: String,
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleMadeView {
    pub id: String,
    pub slug: String,
    /// The article's page in the help center.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpertView {
    pub user: MemberRef,
    pub products: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertInput {
    /// The products the member is an expert of; empty: no longer an expert.
    pub products: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub user: MemberRef,
    /// R9: 15 per accepted answer, 10 per up vote, -2 per down vote.
    pub reputation: i64,
    pub questions: i64,
    pub answers: i64,
    pub accepted_answers: i64,
    pub up_votes: i64,
    pub down_votes: i64,
    /// The products the member is an expert of.
    pub expert_of: Vec<String>,
    /// One of the vendor's staff.
    pub staff: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    /// `question`, `product` or `tag`.
    pub kind: String,
    /// The question's id, the product's key or the tag.
    pub target: String,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        Self {
            kind: s.kind().to_owned(),
            target: s.target().to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |e| ApiError::invalid(name, e)
}

fn cursor(text: &str) -> Result<(jiff::Timestamp, QuestionId), ApiError> {
    let bad = || {
        ApiError::invalid(
            "cursor",
            Invalid::new(InvalidKind::Format, "this cursor is not one we gave"),
        )
    };
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    let at = at
        .parse::<i64>()
        .ok()
        .and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
        .ok_or_else(bad)?;
    Ok((at, QuestionId::parse(id).map_err(|_| bad())?))
}

/// The questions, most recently active first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/community/questions",
    tag = "community",
    params(QuestionListQuery),
    responses(
        (status = 200, body = QuestionListView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_product`, `invalid_area`, `invalid_tag`, `unknown_lang`, `unknown_state`, `invalid_cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_questions(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QuestionListQuery>,
) -> Result<Json<QuestionListView>, ApiError> {
    let nonempty = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let question_state = match nonempty(&query.state).as_deref() {
        None => None,
        Some("open") => Some("open"),
        Some("solved") => Some("solved"),
        Some("unanswered") => Some("unanswered"),
        Some(other) => {
            return Err(ApiError::invalid(
                "state",
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{other}` is not a state (open, solved, unanswered)"),
                ),
            ));
        }
    };
    let limit = query.limit.unwrap_or(20).clamp(1, 100);
    let filter = QuestionFilter {
        product: nonempty(&query.product)
            .map(|p| ProductKey::parse(&p))
            .transpose()
            .map_err(field("product"))?,
        area: nonempty(&query.area)
            .map(|a| AreaKey::parse(&a))
            .transpose()
            .map_err(field("area"))?,
        tag: nonempty(&query.tag)
            .map(|t| guichet_domain::article::parse_tag(&t))
            .transpose()
            .map_err(field("tag"))?,
        lang: nonempty(&query.lang)
            .map(|l| Language::parse(&l))
            .transpose()
            .map_err(field("lang"))?,
        state: question_state,
        author: query.mine.then(|| caller.user.id.clone()),
        include_hidden: query.hidden,
        before: nonempty(&query.cursor).map(|c| cursor(&c)).transpose()?,
        limit: limit + 1,
        ..QuestionFilter::default()
    };
    let mut questions = community::list(&state, &caller, filter).await?;
    let more = questions.len() as i64 > limit;
    questions.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            questions
                .last()
                .map(|q| format!("{}.{}", q.active_at.as_microsecond(), q.id))
        })
        .flatten();
    Ok(Json(QuestionListView {
        questions: questions.iter().map(QuestionSummaryView::of).collect(),
        next_cursor,
    }))
}

/// R9: ask a question. Followers of its product and tags hear of it. New
/// accounts post at a limited rate (429 `posting_rate_limited`).
#[utoipa::path(
    post,
    path = "/api/v1/community/questions",
    tag = "community",
    request_body = QuestionInput,
    responses(
        (status = 201, body = QuestionView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`, `invalid_body`, `unknown_product`, `unknown_area`, `invalid_tags`, `unknown_lang`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`posting_rate_limited`, with `retry_at`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<QuestionInput>,
) -> Result<(StatusCode, Json<QuestionView>), ApiError> {
    let asked = Asked {
        title: input.title,
        body: input.body,
        product: input.product,
        area: input.area,
        tags: input.tags,
        lang: input.lang,
    };
    let question = community::ask(&state, &caller, asked, &base_url(&state, &headers)).await?;
    let thread = community::thread(&state, &caller, &question.id.0).await?;
    Ok((StatusCode::CREATED, Json(QuestionView::of(&thread))))
}

/// A question with its answers (the accepted one first, marked) and
/// comments.
#[utoipa::path(
    get,
    path = "/api/v1/community/questions/{question}",
    tag = "community",
    params(("question" = String, Path)),
    responses(
        (status = 200, body = QuestionView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found` (also a hidden question, for anyone but moderators)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_question(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
) -> Result<Json<QuestionView>, ApiError> {
    let thread = community::thread(&state, &caller, &question).await?;
    Ok(Json(QuestionView::of(&thread)))
}

/// Edit a question (its author or a moderator); the old text stays in its
/// revisions.
#[utoipa::path(
    put,
    path = "/api/v1/community/questions/{question}",
    tag = "community",
    params(("question" = String, Path)),
    request_body = QuestionEditInput,
    responses(
        (status = 200, body = QuestionView),
        (status = 403, description = "`not_author`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`question_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_title`, `invalid_body`, `invalid_tags`, `invalid_note`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit_question(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<QuestionEditInput>,
) -> Result<Json<QuestionView>, ApiError> {
    let edit = QuestionEdit {
        title: &input.title,
        body: &input.body,
        tags: input.tags.as_deref(),
        version: input.version,
        note: input.note.as_deref(),
    };
    let question = community::edit_question(&state, &caller, &question, edit).await?;
    let thread = community::thread(&state, &caller, &question.id.0).await?;
    Ok(Json(QuestionView::of(&thread)))
}

fn revisions_view(revisions: Vec<guichet_store::PostRevision>) -> Vec<RevisionView> {
    revisions
        .into_iter()
        .map(|r| RevisionView {
            number: r.number,
            title: r.title,
            body: r.body,
            changed_by: r.changed_by.0,
            changed_at: r.changed_at.to_string(),
            note: r.note,
        })
        .collect()
}

/// A question's revisions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/community/questions/{question}/revisions",
    tag = "community",
    params(("question" = String, Path)),
    responses(
        (status = 200, body = Vec<RevisionView>),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn question_revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
) -> Result<Json<Vec<RevisionView>>, ApiError> {
    let question = community::readable(&state, &caller, &question).await?;
    Ok(Json(revisions_view(state.store.post_revisions(&question.id.0).await?)))
}

/// R9: answer a question; its followers hear of it.
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/answers",
    tag = "community",
    params(("question" = String, Path)),
    request_body = AnswerInput,
    responses(
        (status = 201, body = AnswerView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`question_locked`, `question_merged`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`posting_rate_limited`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> Result<(StatusCode, Json<AnswerView>), ApiError> {
    let answer = community::answer(&state, &caller, &question, &input.body, &base_url(&state, &headers)).await?;
    Ok((StatusCode::CREATED, Json(AnswerView::of(&answer, false, 0, Vec::new()))))
}

/// Comment on a question or on one of its answers.
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/comments",
    tag = "community",
    params(("question" = String, Path)),
    request_body = CommentInput,
    responses(
        (status = 201, body = CommentView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`question_locked`, `question_merged`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_answer`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`posting_rate_limited`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let comment = community::comment(&state, &caller, &question, input.answer.as_deref(), &input.body).await?;
    Ok((StatusCode::CREATED, Json(CommentView::of(&comment))))
}

/// R9: accept an answer (the asker, an expert of the product, or a
/// moderator); `answer: null` takes the acceptance back.
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/accept",
    tag = "community",
    params(("question" = String, Path)),
    request_body = AcceptInput,
    responses(
        (status = 200, body = QuestionView),
        (status = 403, description = "`not_asker`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`question_changed`, `question_merged`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_answer`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<AcceptInput>,
) -> Result<Json<QuestionView>, ApiError> {
    let question = community::accept(&state, &caller, &question, input.answer.as_deref()).await?;
    let thread = community::thread(&state, &caller, &question.id.0).await?;
    Ok(Json(QuestionView::of(&thread)))
}

/// R9: lock or unlock a question (moderators): a locked question takes no
/// new answers or comments.
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/lock",
    tag = "community",
    params(("question" = String, Path)),
    request_body = LockInput,
    responses(
        (status = 200, body = QuestionSummaryView),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn lock(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<LockInput>,
) -> Result<Json<QuestionSummaryView>, ApiError> {
    let question = community::lock(&state, &caller, &question, input.locked).await?;
    Ok(Json(QuestionSummaryView::of(&question)))
}

/// R9: merge a duplicate into the question it repeats (moderators).
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/merge",
    tag = "community",
    params(("question" = String, Path, description = "The duplicate")),
    request_body = MergeInput,
    responses(
        (status = 200, description = "The question merged into", body = QuestionSummaryView),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_into`, `invalid_into`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> Result<Json<QuestionSummaryView>, ApiError> {
    let target = community::merge(&state, &caller, &question, &input.into).await?;
    Ok(Json(QuestionSummaryView::of(&target)))
}

/// R9: move a question to another product (moderators).
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/move",
    tag = "community",
    params(("question" = String, Path)),
    request_body = MoveInput,
    responses(
        (status = 200, body = QuestionSummaryView),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_product`, `unknown_area`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn move_question(
    State(state): State<AppState>,
    caller: Caller,
    Path(question): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> Result<Json<QuestionSummaryView>, ApiError> {
    let question = community::move_question(&state, &caller, &question, &input.product, input.area.as_deref()).await?;
    Ok(Json(QuestionSummaryView::of(&question)))
}

/// R9: turn the accepted answer into a knowledge base article in one
/// action (knowledge editors): the article cites the question, the question
/// links the article.
#[utoipa::path(
    post,
    path = "/api/v1/community/questions/{question}/article",
    tag = "community",
    params(("question" = String, Path)),
    responses(
        (status = 201, body = ArticleMadeView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_accepted_answer`, `article_exists`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn make_article(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(question): Path<String>,
) -> Result<(StatusCode, Json<ArticleMadeView>), ApiError> {
    let article = community::make_article(&state, &caller, &question, &base_url(&state, &headers)).await?;
    let slug = article.content.slug.as_str().to_owned();
    Ok((
        StatusCode::CREATED,
        Json(ArticleMadeView {
            id: article.id.0.clone(),
            url: format!("/help/articles/{slug}"),
            slug,
        }),
    ))
}

/// Edit an answer (its author or a moderator), with its revision kept.
#[utoipa::path(
    put,
    path = "/api/v1/community/answers/{answer}",
    tag = "community",
    params(("answer" = String, Path)),
    request_body = AnswerEditInput,
    responses(
        (status = 200, body = AnswerView),
        (status = 403, description = "`not_author`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`answer_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `invalid_note`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit_answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(answer): Path<String>,
    ApiJson(input): ApiJson<AnswerEditInput>,
) -> Result<Json<AnswerView>, ApiError> {
    let answer = community::edit_answer(
        &state,
        &caller,
        &answer,
        &input.body,
        input.version,
        input.note.as_deref(),
    )
    .await?;
    Ok(Json(AnswerView::of(&answer, false, 0, Vec::new())))
}

/// An answer's revisions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/community/answers/{answer}/revisions",
    tag = "community",
    params(("answer" = String, Path)),
    responses(
        (status = 200, body = Vec<RevisionView>),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn answer_revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(answer): Path<String>,
) -> Result<Json<Vec<RevisionView>>, ApiError> {
    let id = AnswerId::parse(&answer).map_err(|_| ApiError::not_found())?;
    let found = state.store.answer(&id).await?.ok_or_else(ApiError::not_found)?;
    community::readable(&state, &caller, &found.question.0).await?;
    if found.hidden_at.is_some() && !community::moderator(&caller.actor) {
        return Err(ApiError::not_found());
    }
    Ok(Json(revisions_view(state.store.post_revisions(&id.0).await?)))
}

/// R9: vote an answer up or down (one vote each, changeable; 0 takes it
/// back). Nobody votes on their own answer.
#[utoipa::path(
    put,
    path = "/api/v1/community/answers/{answer}/vote",
    tag = "community",
    params(("answer" = String, Path)),
    request_body = VoteInput,
    responses(
        (status = 200, body = AnswerView),
        (status = 403, description = "`own_answer`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_value`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path(answer): Path<String>,
    ApiJson(input): ApiJson<VoteInput>,
) -> Result<Json<AnswerView>, ApiError> {
    let answer = community::vote(&state, &caller, &answer, input.value).await?;
    let question = state
        .store
        .question(&answer.question)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let accepted = question.accepted_answer.as_ref() == Some(&answer.id);
    Ok(Json(AnswerView::of(&answer, accepted, input.value, Vec::new())))
}

/// R9: flag a post (a question, an answer or a comment) for the moderators,
/// once per member.
#[utoipa::path(
    post,
    path = "/api/v1/community/posts/{post}/flags",
    tag = "community",
    params(("post" = String, Path, description = "A question's, an answer's or a comment's id")),
    request_body = FlagInput,
    responses(
        (status = 204, description = "Flagged"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_flagged`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_reason`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn flag(
    State(state): State<AppState>,
    caller: Caller,
    Path(post): Path<String>,
    ApiJson(input): ApiJson<FlagInput>,
) -> Result<StatusCode, ApiError> {
    community::flag(&state, &caller, &post, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// R9: hide a post, show it again, or dismiss its flags (moderators). A
/// hidden post is gone from search and lists when this answers.
#[utoipa::path(
    post,
    path = "/api/v1/community/posts/{post}/moderation",
    tag = "community",
    params(("post" = String, Path, description = "A question's, an answer's or a comment's id")),
    request_body = ModerationInput,
    responses(
        (status = 200, body = ModerationView),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_action`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn moderate(
    State(state): State<AppState>,
    caller: Caller,
    Path(post): Path<String>,
    ApiJson(input): ApiJson<ModerationInput>,
) -> Result<Json<ModerationView>, ApiError> {
    let action = Moderation::parse(&input.action)?;
    let kind = community::moderate(&state, &caller, &post, action).await?;
    Ok(Json(ModerationView {
        kind: kind.as_str(),
        action: input.action.trim().to_owned(),
    }))
}

/// R9: the flags no moderator has dealt with, oldest first (moderators).
#[utoipa::path(
    get,
    path = "/api/v1/community/flags",
    tag = "community",
    responses(
        (status = 200, body = Vec<FlagView>),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn flags(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<FlagView>>, ApiError> {
    guichet_domain::community::may_moderate(&caller.actor).map_err(community::refusal)?;
    let flags = state.store.open_flags(500).await?;
    Ok(Json(
        flags
            .into_iter()
            .map(|f| FlagView {
                id: f.id,
                post_kind: f.post_kind.as_str(),
                post: f.post_id,
                question: f.question.0,
                question_title: f.question_title,
                flagged_by: MemberRef {
                    id: f.flagged_by.0,
                    name: f.flagged_by_name,
                },
                reason: f.reason,
                created_at: f.created_at.to_string(),
            })
            .collect(),
    ))
}

/// R9: the product experts, with their products.
#[utoipa::path(
    get,
    path = "/api/v1/community/experts",
    tag = "community",
    responses(
        (status = 200, body = Vec<ExpertView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn experts(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<ExpertView>>, ApiError> {
    let experts = state.store.experts().await?;
    Ok(Json(
        experts
            .into_iter()
            .map(|e| ExpertView {
                user: MemberRef {
                    id: e.user.0,
                    name: e.name,
                },
                products: e.products.iter().map(|p| p.as_str().to_owned()).collect(),
            })
            .collect(),
    ))
}

/// R9: name a member (vendor staff or community member) an expert of some
/// products, or no longer (moderators).
#[utoipa::path(
    put,
    path = "/api/v1/community/experts/{user}",
    tag = "community",
    params(("user" = String, Path)),
    request_body = ExpertInput,
    responses(
        (status = 200, body = ExpertView),
        (status = 403, description = "`moderator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_expert(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
    ApiJson(input): ApiJson<ExpertInput>,
) -> Result<Json<ExpertView>, ApiError> {
    let products = community::set_expert(&state, &caller, &user, &input.products).await?;
    let profile = community::profile(&state, &caller, &user).await?;
    Ok(Json(ExpertView {
        user: MemberRef {
            id: profile.user.0,
            name: profile.name,
        },
        products: products.iter().map(|p| p.as_str().to_owned()).collect(),
    }))
}

/// R9: a member's profile: reputation, counts, expert products.
#[utoipa::path(
    get,
    path = "/api/v1/community/members/{user}",
    tag = "community",
    params(("user" = String, Path)),
    responses(
        (status = 200, body = ProfileView),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(user): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    let profile = community::profile(&state, &caller, &user).await?;
    Ok(Json(ProfileView {
        user: MemberRef {
            id: profile.user.0,
            name: profile.name,
        },
        reputation: profile.reputation,
        questions: profile.stats.questions,
        answers: profile.stats.answers,
        accepted_answers: profile.stats.accepted,
        up_votes: profile.stats.up_votes,
        down_votes: profile.stats.down_votes,
        expert_of: profile.expert_of.iter().map(|p| p.as_str().to_owned()).collect(),
        staff: profile.staff,
    }))
}

/// What the caller follows.
#[utoipa::path(
    get,
    path = "/api/v1/community/subscriptions",
    tag = "community",
    responses(
        (status = 200, body = Vec<SubscriptionView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    let followed = state.store.followed(&caller.user.id).await?;
    Ok(Json(followed.iter().map(SubscriptionView::from).collect()))
}

/// R9: follow a question, a product or a tag (mails through the outbox).
#[utoipa::path(
    post,
    path = "/api/v1/community/subscriptions",
    tag = "community",
    request_body = SubscriptionView,
    responses(
        (status = 201, body = SubscriptionView),
        (status = 404, description = "`not_found`: no such question", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_kind`, `unknown_target`, `invalid_target`, `unknown_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn follow(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<SubscriptionView>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let subscription = community::follow(&state, &caller, &input.kind, &input.target).await?;
    Ok((StatusCode::CREATED, Json(SubscriptionView::from(&subscription))))
}

/// Stop following.
#[utoipa::path(
    delete,
    path = "/api/v1/community/subscriptions/{kind}/{target}",
    tag = "community",
    params(("kind" = String, Path, description = "`question`, `product` or `tag`"), ("target" = String, Path)),
    responses(
        (status = 204, description = "No longer followed"),
        (status = 404, description = "`not_found`: it was not followed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_kind`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unfollow(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, target)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if community::unfollow(&state, &caller, &kind, &target).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// R9: the experts' queue: open questions nobody answered for
/// `community.unanswered_after`, oldest first, about the caller's expert
/// products (every product for moderators).
#[utoipa::path(
    get,
    path = "/api/v1/community/queue",
    tag = "community",
    params(QueueQuery),
    responses(
        (status = 200, body = Vec<QuestionSummaryView>),
        (status = 403, description = "`expert_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Vec<QuestionSummaryView>>, ApiError> {
    let questions = community::queue(&state, &caller, query.limit.unwrap_or(50)).await?;
    Ok(Json(questions.iter().map(QuestionSummaryView::of).collect()))
}
