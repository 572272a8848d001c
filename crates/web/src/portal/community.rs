//! The community in the portal (R9): the question list with its filters
//! and search, asking, the question page (answers with the accepted one
//! first and experts marked, votes, comments, following, flags), the
//! moderators' actions and flag list, the experts' queue and profiles.
//!
//! Every decision is `crate::community`'s: a handler checks the form's
//! CSRF token, calls it, and shows the outcome in the reader's language.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guichet_domain::article::BodyFormat;
use guichet_domain::product::{Product, ProductKey};
use guichet_domain::user::Language;
use guichet_search::{Kind, Mode, SearchRequest};
use guichet_store::{QuestionFilter, StoredQuestion};
use serde::Deserialize;
use tower_sessions::Session;

use super::cases::{Moment, Reader};
use super::{Chrome, csrf_valid, error_page, page_error, render};
use crate::AppState;
use crate::community::{self, Asked, Moderation, Permissions, QuestionEdit};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::markdown;
use crate::status::base_url;

/// The codes `crate::community` answers with that have their own words
/// (`community-error-<code>`); other refusals are worded by their field.
const ERROR_CODES: &[&str] = &[
    "posting_rate_limited",
    "question_locked",
    "question_merged",
    "own_answer",
    "not_asker",
    "not_author",
    "moderator_required",
    "already_flagged",
    "article_exists",
    "no_accepted_answer",
    "question_changed",
    "answer_changed",
    "editor_required",
    "expert_required",
];

/// The fields worded `community-invalid-<field>`.
const ERROR_FIELDS: &[&str] = &[
    "title", "body", "product", "area", "tags", "lang", "reason", "into", "value", "answer", "note",
];

fn error_message(tr: &Tr, error: &ApiError) -> String {
    if ERROR_CODES.contains(&error.code.as_ref()) {
        return tr.t(&format!("community-error-{}", error.code));
    }
    match error.field.as_deref() {
        Some(field) if ERROR_FIELDS.contains(&field) => tr.t(&format!("community-invalid-{field}")),
        _ => tr.t("community-error-other"),
    }
}

/// A refusal as a page of its own, in the reader's frame.
fn failure_page(chrome: Chrome, error: &ApiError) -> Response {
    let message = match error.status {
        StatusCode::NOT_FOUND => chrome.tr.t("error-not-found"),
        status if status.is_server_error() => chrome.tr.t("error-internal"),
        _ => error_message(&chrome.tr, error),
    };
    error_page(chrome, error.status, message)
}

fn product_name(catalogue: &[Product], key: &ProductKey) -> String {
    catalogue
        .iter()
        .find(|p| &p.key == key)
        .map_or_else(|| key.as_str().to_owned(), |p| p.name.clone())
}

fn area_name(catalogue: &[Product], question: &StoredQuestion) -> Option<String> {
    let area = question.area.as_ref()?;
    let name = catalogue
        .iter()
        .find(|p| p.key == question.product)
        .and_then(|p| p.areas.iter().find(|a| &a.key == area))
        .map_or_else(|| area.as_str().to_owned(), |a| a.name.clone());
    Some(name)
}

/// A product and its areas, for the forms' choices: (key, name, [(value,
/// label)]).
type Place = (String, String, Vec<(String, String)>);

/// Every product with its areas.
fn places(catalogue: &[Product]) -> Vec<Place> {
    catalogue
        .iter()
        .map(|p| {
            (
                p.key.as_str().to_owned(),
                p.name.clone(),
                p.areas
                    .iter()
                    .map(|a| (format!("{}/{}", p.key.as_str(), a.key.as_str()), a.name.clone()))
                    .collect(),
            )
        })
        .collect()
}

fn html(markdown_text: &str) -> String {
    markdown::to_safe_html(markdown_text, BodyFormat::Markdown)
}

async fn catalogue(state: &AppState, chrome: &Chrome) -> Result<std::sync::Arc<Vec<Product>>, Response> {
    state
        .caches
        .products(&state.store)
        .await
        .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, chrome.tr.language, "error-internal"))
}

async fn check_csrf(session: &Session, reader: &Reader, csrf: &str) -> Result<(), Response> {
    if csrf_valid(session, csrf).await {
        Ok(())
    } else {
        Err(page_error(StatusCode::FORBIDDEN, reader.tr().language, "error-csrf"))
    }
}

// ---------------------------------------------------------------------------
// The list

/// One line of a list.
pub(crate) struct Row {
    pub id: String,
    pub title: String,
    pub lang: &'static str,
    pub product: String,
    pub solved: bool,
    pub answers: i64,
    pub tags: Vec<String>,
    pub author: String,
    pub active: Moment,
    pub hidden: bool,
}

fn row(question: &StoredQuestion, catalogue: &[Product], reader: &Reader) -> Row {
    Row {
        id: question.id.0.clone(),
        title: question.title.clone(),
        lang: question.lang.code(),
        product: product_name(catalogue, &question.product),
        solved: question.accepted_answer.is_some(),
        answers: question.answers,
        tags: question.tags.clone(),
        author: question.author_name.clone(),
        active: Moment::new(question.active_at, &reader.zone()),
        hidden: question.hidden_at.is_some(),
    }
}

/// A search hit among questions.
pub(crate) struct Found {
    pub id: String,
    pub title: String,
    pub lang: &'static str,
    pub snippet: String,
}

#[derive(Template)]
#[template(path = "community_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    found: Option<Vec<Found>>,
    q: String,
    product: String,
    state: String,
    lang: String,
    tag: String,
    products: Vec<(String, String)>,
    next: Option<String>,
    moderator: bool,
    expert: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    tag: String,
    cursor: Option<String>,
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(super) async fn list(
    State(state): State<AppState>,
    reader: Reader,
    Query(query): Query<ListQuery>,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/community", "community").await?;
    let catalogue = catalogue(&state, &chrome).await?;
    let product = ProductKey::parse(&query.product).ok();
    let lang = Language::parse(&query.lang).ok().filter(|_| !query.lang.is_empty());
    let tag = guichet_domain::article::parse_tag(&query.tag).ok();
    let question_state = match query.state.as_str() {
        "open" => Some("open"),
        "solved" => Some("solved"),
        "unanswered" => Some("unanswered"),
        _ => None,
    };
    let q: String = query.q.chars().take(200).collect();
    let mut rows = Vec::new();
    let mut found = None;
    let mut next = None;
    if q.trim().is_empty() {
        let before = query.cursor.as_deref().and_then(|c| {
            let (at, id) = c.split_once('.')?;
            let at = jiff::Timestamp::from_microsecond(at.parse().ok()?).ok()?;
            Some((at, guichet_domain::community::QuestionId::parse(id).ok()?))
        });
        let filter = QuestionFilter {
            product: product.clone(),
            tag: tag.clone(),
            lang,
            state: question_state,
            before,
            limit: 31,
            ..QuestionFilter::default()
        };
        let mut questions = community::list(&state, &reader.caller, filter)
            .await
            .map_err(|e| failure_page_now(&reader, &e))?;
        if questions.len() > 30 {
            questions.truncate(30);
            if let Some(last) = questions.last() {
                next = Some(format!(
                    "/community?product={}&state={}&lang={}&tag={}&cursor={}.{}",
                    encode(&query.product),
                    encode(&query.state),
                    encode(&query.lang),
                    encode(&query.tag),
                    last.active_at.as_microsecond(),
                    last.id
                ));
            }
        }
        rows = questions.iter().map(|q| row(q, &catalogue, &reader)).collect();
    } else {
        let audiences = guichet_domain::article::Reader::of(Some(&reader.caller.actor)).audiences();
        let page = state
            .search
            .index
            .search(&SearchRequest {
                text: &q,
                lang,
                kinds: &[Kind::Question],
                product: product.as_ref().map(ProductKey::as_str),
                area: None,
                audiences,
                limit: 30,
                offset: 0,
                mode: Mode::Search,
            })
            .map_err(|_| {
                page_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    reader.tr().language,
                    "error-internal",
                )
            })?;
        found = Some(
            page.hits
                .into_iter()
                .map(|hit| Found {
                    id: hit.id,
                    title: hit.title,
                    lang: hit.lang.code(),
                    snippet: hit.snippet,
                })
                .collect(),
        );
    }
    let expert = !state
        .store
        .expert_products(&reader.caller.user.id)
        .await
        .unwrap_or_default()
        .is_empty();
    let page = ListPage {
        rows,
        found,
        q,
        product: query.product.clone(),
        state: query.state.clone(),
        lang: query.lang.clone(),
        tag: query.tag.clone(),
        products: catalogue
            .iter()
            .map(|p| (p.key.as_str().to_owned(), p.name.clone()))
            .collect(),
        next,
        moderator: community::moderator(&reader.caller.actor),
        expert,
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

/// An error page in the plain frame (for failures before a page exists).
fn failure_page_now(reader: &Reader, error: &ApiError) -> Response {
    let language = reader.tr().language;
    if error.status == StatusCode::NOT_FOUND {
        page_error(StatusCode::NOT_FOUND, language, "error-not-found")
    } else if error.status.is_server_error() {
        page_error(error.status, language, "error-internal")
    } else {
        page_error(error.status, language, "community-error-other")
    }
}

// ---------------------------------------------------------------------------
// Asking

#[derive(Template)]
#[template(path = "community_ask.html")]
struct AskPage {
    chrome: Chrome,
    places: Vec<Place>,
    form: AskForm,
    failure: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// `product` or `product/area`.
    #[serde(default)]
    place: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    lang: String,
}

pub(super) async fn ask_form(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let chrome = reader.chrome("/community/ask", "community").await?;
    let catalogue = catalogue(&state, &chrome).await?;
    let page = AskPage {
        places: places(&catalogue),
        form: AskForm {
            lang: reader.caller.user.language.code().to_owned(),
            ..AskForm::default()
        },
        failure: None,
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

pub(super) async fn ask(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    headers: axum::http::HeaderMap,
    Form(form): Form<AskForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let (product, area) = match form.place.split_once('/') {
        Some((product, area)) => (product.to_owned(), Some(area.to_owned())),
        None => (form.place.clone(), None),
    };
    let asked = Asked {
        title: form.title.clone(),
        body: form.body.clone(),
        product,
        area,
        tags: form
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        lang: Some(form.lang.clone()),
    };
    match community::ask(&state, &reader.caller, asked, &base_url(&state, &headers)).await {
        Ok(question) => Ok(Redirect::to(&format!("/community/questions/{}", question.id)).into_response()),
        Err(error) if error.status.is_server_error() => Err(failure_page_now(&reader, &error)),
        Err(error) => {
            let chrome = reader.chrome("/community/ask", "community").await?;
            let catalogue = catalogue(&state, &chrome).await?;
            let page = AskPage {
                places: places(&catalogue),
                failure: Some(error_message(&chrome.tr, &error)),
                form,
                chrome,
            };
            Ok(render(&page, error.status))
        }
    }
}

// ---------------------------------------------------------------------------
// The question page

pub(crate) struct CommentLine {
    pub id: String,
    pub author: String,
    pub html: String,
    pub hidden: bool,
    pub at: Moment,
}

pub(crate) struct AnswerBlock {
    pub id: String,
    pub author: String,
    pub author_id: String,
    pub expert: bool,
    pub accepted: bool,
    pub html: String,
    pub score: i64,
    pub my_vote: i64,
    pub hidden: bool,
    pub at: Moment,
    pub comments: Vec<CommentLine>,
}

#[derive(Template)]
#[template(path = "community_question.html")]
struct QuestionPage {
    chrome: Chrome,
    id: String,
    title: String,
    lang: &'static str,
    html: String,
    product: String,
    area: Option<String>,
    tags: Vec<String>,
    author: String,
    author_id: String,
    asked: Moment,
    solved: bool,
    locked: bool,
    hidden: bool,
    merged_into: Option<String>,
    article: Option<String>,
    answers: Vec<AnswerBlock>,
    comments: Vec<CommentLine>,
    following: bool,
    may: Permissions,
    failure: Option<String>,
    answer_draft: String,
    places: Vec<Place>,
    /// What the last form did, in words.
    done: Option<String>,
    /// The reader's user id (authors edit their answers).
    me: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct QuestionQuery {
    /// What the last form did (`flagged`, `article`).
    done: Option<String>,
}

pub(super) async fn question(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<QuestionQuery>,
) -> Result<Response, Response> {
    let tr = reader.tr();
    let done = match query.done.as_deref() {
        Some("flagged") => Some(tr.t("community-done-flagged")),
        Some("article") => Some(tr.t("community-done-article")),
        Some("moderated") => Some(tr.t("community-done-moderated")),
        _ => None,
    };
    question_page(&state, &reader, &id, None, String::new(), done).await
}

async fn question_page(
    state: &AppState,
    reader: &Reader,
    id: &str,
    failure: Option<(StatusCode, String)>,
    answer_draft: String,
    done: Option<String>,
) -> Result<Response, Response> {
    let path = format!("/community/questions/{id}");
    let chrome = reader.chrome(&path, "community").await?;
    let thread = match community::thread(state, &reader.caller, id).await {
        Ok(thread) => thread,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let catalogue = catalogue(state, &chrome).await?;
    let q = &thread.question;
    let zone = reader.zone();
    let comment_line = |c: &guichet_store::StoredComment| CommentLine {
        id: c.id.0.clone(),
        author: c.author_name.clone(),
        html: html(&c.body),
        hidden: c.hidden_at.is_some(),
        at: Moment::new(c.created_at, &zone),
    };
    let article = match &q.article {
        Some(article) => state
            .store
            .article(article)
            .await
            .ok()
            .flatten()
            .map(|a| format!("/help/articles/{}", a.article.content.slug)),
        None => None,
    };
    let status = failure.as_ref().map_or(StatusCode::OK, |(status, _)| *status);
    let page = QuestionPage {
        id: q.id.0.clone(),
        title: q.title.clone(),
        lang: q.lang.code(),
        html: html(&q.body),
        product: product_name(&catalogue, &q.product),
        area: area_name(&catalogue, q),
        tags: q.tags.clone(),
        author: q.author_name.clone(),
        author_id: q.author.0.clone(),
        asked: Moment::new(q.created_at, &zone),
        solved: q.accepted_answer.is_some(),
        locked: q.locked_at.is_some(),
        hidden: q.hidden_at.is_some(),
        merged_into: q.merged_into.as_ref().map(|m| m.0.clone()),
        article,
        answers: thread
            .answers
            .iter()
            .map(|a| AnswerBlock {
                id: a.id.0.clone(),
                author: a.author_name.clone(),
                author_id: a.author.0.clone(),
                expert: a.expert,
                accepted: q.accepted_answer.as_ref() == Some(&a.id),
                html: html(&a.body),
                score: a.score(),
                my_vote: thread.my_votes.get(&a.id).copied().unwrap_or(0),
                hidden: a.hidden_at.is_some(),
                at: Moment::new(a.created_at, &zone),
                comments: thread
                    .comments
                    .iter()
                    .filter(|c| c.answer.as_ref() == Some(&a.id))
                    .map(comment_line)
                    .collect(),
            })
            .collect(),
        comments: thread
            .comments
            .iter()
            .filter(|c| c.answer.is_none())
            .map(comment_line)
            .collect(),
        following: thread.following,
        may: thread.permissions,
        failure: failure.map(|(_, message)| message),
        answer_draft,
        places: places(&catalogue),
        done,
        me: reader.caller.user.id.0.clone(),
        chrome,
    };
    Ok(render(&page, status))
}

/// After a form on a question's page: back to it, or the page again with
/// the refusal in words (and the answer being written kept).
async fn after(
    state: &AppState,
    reader: &Reader,
    question: &str,
    outcome: Result<String, ApiError>,
    draft: String,
) -> Result<Response, Response> {
    match outcome {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() => {
            Err(failure_page_now(reader, &error))
        }
        Err(error) => {
            let message = error_message(&reader.tr(), &error);
            question_page(state, reader, question, Some((error.status, message)), draft, None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct PostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    /// Comments: the answer commented on.
    #[serde(default)]
    answer: String,
    /// Votes: 1, -1 or 0.
    #[serde(default)]
    value: i64,
    /// Following: `1` to follow, else stop.
    #[serde(default)]
    follow: String,
    /// Flags: why.
    #[serde(default)]
    reason: String,
    /// Moderation: `hide`, `show`, `dismiss`, `lock`, `unlock`.
    #[serde(default)]
    action: String,
    /// Merging: the question this one repeats.
    #[serde(default)]
    into: String,
    /// Moving: `product` or `product/area`.
    #[serde(default)]
    place: String,
    /// Where to go back to (the question of a post).
    #[serde(default)]
    question: String,
}

pub(super) async fn answer(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let outcome = community::answer(&state, &reader.caller, &id, &form.body, &base_url(&state, &headers))
        .await
        .map(|a| format!("/community/questions/{id}#answer-{}", a.id));
    after(&state, &reader, &id, outcome, form.body).await
}

pub(super) async fn comment(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let answer = Some(form.answer.as_str()).filter(|a| !a.is_empty());
    let outcome = community::comment(&state, &reader.caller, &id, answer, &form.body)
        .await
        .map(|c| format!("/community/questions/{id}#comment-{}", c.id));
    after(&state, &reader, &id, outcome, String::new()).await
}

pub(super) async fn vote(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(answer): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let outcome = community::vote(&state, &reader.caller, &answer, form.value)
        .await
        .map(|a| format!("/community/questions/{}#answer-{}", a.question, a.id));
    after(&state, &reader, &form.question, outcome, String::new()).await
}

pub(super) async fn accept(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let answer = Some(form.answer.as_str()).filter(|a| !a.is_empty());
    let outcome = community::accept(&state, &reader.caller, &id, answer)
        .await
        .map(|q| format!("/community/questions/{}", q.id));
    after(&state, &reader, &id, outcome, String::new()).await
}

pub(super) async fn follow(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let outcome = if form.follow == "1" {
        community::follow(&state, &reader.caller, "question", &id)
            .await
            .map(|_| ())
    } else {
        community::unfollow(&state, &reader.caller, "question", &id)
            .await
            .map(|_| ())
    };
    let outcome = outcome.map(|()| format!("/community/questions/{id}"));
    after(&state, &reader, &id, outcome, String::new()).await
}

pub(super) async fn flag(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(post): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let outcome = community::flag(&state, &reader.caller, &post, &form.reason)
        .await
        .map(|()| format!("/community/questions/{}?done=flagged", form.question));
    after(&state, &reader, &form.question, outcome, String::new()).await
}

/// Hide, show or dismiss a post's flags; lock, unlock, merge or move a
/// question (moderators).
pub(super) async fn moderate(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(post): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let caller = &reader.caller;
    let back = if form.question.is_empty() {
        post.clone()
    } else {
        form.question.clone()
    };
    let outcome = match form.action.as_str() {
        "lock" | "unlock" => community::lock(&state, caller, &post, form.action == "lock")
            .await
            .map(|q| format!("/community/questions/{}", q.id)),
        "merge" => community::merge(&state, caller, &post, form.into.trim())
            .await
            .map(|target| format!("/community/questions/{}", target.id)),
        "move" => {
            let (product, area) = match form.place.split_once('/') {
                Some((product, area)) => (product.to_owned(), Some(area.to_owned())),
                None => (form.place.clone(), None),
            };
            community::move_question(&state, caller, &post, &product, area.as_deref())
                .await
                .map(|q| format!("/community/questions/{}", q.id))
        }
        action => match Moderation::parse(action) {
            Ok(action) => {
                let hid_question = action == Moderation::Hide && back == post;
                community::moderate(&state, caller, &post, action).await.map(|_| {
                    if hid_question {
                        "/community/moderation?done=hidden".to_owned()
                    } else if form.question.is_empty() {
                        "/community/moderation".to_owned()
                    } else {
                        format!("/community/questions/{back}?done=moderated")
                    }
                })
            }
            Err(error) => Err(error),
        },
    };
    after(&state, &reader, &back, outcome, String::new()).await
}

pub(super) async fn make_article(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<PostForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let outcome = community::make_article(&state, &reader.caller, &id, &base_url(&state, &headers))
        .await
        .map(|_| format!("/community/questions/{id}?done=article"));
    after(&state, &reader, &id, outcome, String::new()).await
}

// ---------------------------------------------------------------------------
// Editing, with the revisions

pub(crate) struct RevisionLine {
    pub number: i64,
    pub by: String,
    pub at: Moment,
    pub note: String,
    pub title: Option<String>,
    pub body: String,
}

#[derive(Template)]
#[template(path = "community_edit.html")]
struct EditPage {
    chrome: Chrome,
    post: String,
    question: String,
    /// A question's title (none for an answer).
    title: Option<String>,
    body: String,
    tags: String,
    version: i64,
    revisions: Vec<RevisionLine>,
    failure: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    csrf: String,
    title: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: String,
    version: Option<i64>,
    #[serde(default)]
    note: String,
}

async fn edit_page(
    state: &AppState,
    reader: &Reader,
    post: &str,
    form: Option<(&EditForm, StatusCode, String)>,
) -> Result<Response, Response> {
    let chrome = reader
        .chrome(&format!("/community/posts/{post}/edit"), "community")
        .await?;
    let found = state
        .store
        .post(post)
        .await
        .map_err(|e| failure_page_now(reader, &ApiError::from(e)))?;
    let Some(found) = found.filter(|p| p.kind != guichet_store::PostKind::Comment) else {
        return Err(page_error(StatusCode::NOT_FOUND, chrome.tr.language, "error-not-found"));
    };
    let thread = match community::thread(state, &reader.caller, &found.question.0).await {
        Ok(thread) => thread,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let (title, body, tags, version) = if found.kind == guichet_store::PostKind::Question {
        let q = &thread.question;
        (Some(q.title.clone()), q.body.clone(), q.tags.join(", "), q.version)
    } else {
        match thread.answers.iter().find(|a| a.id.0 == post) {
            Some(a) => (None, a.body.clone(), String::new(), a.version),
            None => return Err(page_error(StatusCode::NOT_FOUND, chrome.tr.language, "error-not-found")),
        }
    };
    if guichet_domain::community::may_edit(&reader.caller.actor, &found.author).is_err() {
        return Err(page_error(
            StatusCode::FORBIDDEN,
            chrome.tr.language,
            "community-error-not_author",
        ));
    }
    let zone = reader.zone();
    let revisions = state
        .store
        .post_revisions(post)
        .await
        .map_err(|e| failure_page_now(reader, &ApiError::from(e)))?;
    let mut names = std::collections::HashMap::new();
    let mut lines = Vec::new();
    for revision in revisions {
        if !names.contains_key(&revision.changed_by) {
            let name = state
                .store
                .user(&revision.changed_by)
                .await
                .ok()
                .flatten()
                .map_or_else(String::new, |u| u.display_name.as_str().to_owned());
            names.insert(revision.changed_by.clone(), name);
        }
        lines.push(RevisionLine {
            number: revision.number,
            by: names[&revision.changed_by].clone(),
            at: Moment::new(revision.changed_at, &zone),
            note: revision.note,
            title: revision.title,
            body: revision.body,
        });
    }
    let status = form.as_ref().map_or(StatusCode::OK, |(_, status, _)| *status);
    let page = EditPage {
        post: post.to_owned(),
        question: found.question.0.clone(),
        title: match form {
            Some((f, _, _)) if title.is_some() => f.title.clone().or(title),
            _ => title,
        },
        body: form.as_ref().map_or(body, |(f, _, _)| f.body.clone()),
        tags: form.as_ref().map_or(tags, |(f, _, _)| f.tags.clone()),
        version: form.as_ref().and_then(|(f, _, _)| f.version).unwrap_or(version),
        revisions: lines,
        failure: form.map(|(_, _, message)| message),
        chrome,
    };
    Ok(render(&page, status))
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    reader: Reader,
    Path(post): Path<String>,
) -> Result<Response, Response> {
    if guichet_domain::invalid::opaque_id(&post, "post").is_err() {
        return Err(page_error(
            StatusCode::NOT_FOUND,
            reader.tr().language,
            "error-not-found",
        ));
    }
    edit_page(&state, &reader, &post, None).await
}

pub(super) async fn edit(
    State(state): State<AppState>,
    session: Session,
    reader: Reader,
    Path(post): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, Response> {
    check_csrf(&session, &reader, &form.csrf).await?;
    let note = Some(form.note.as_str());
    let outcome = match &form.title {
        Some(title) => {
            let tags: Vec<String> = form
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            let edit = QuestionEdit {
                title,
                body: &form.body,
                tags: Some(&tags),
                version: form.version,
                note,
            };
            community::edit_question(&state, &reader.caller, &post, edit)
                .await
                .map(|q| format!("/community/questions/{}", q.id))
        }
        None => community::edit_answer(&state, &reader.caller, &post, &form.body, form.version, note)
            .await
            .map(|a| format!("/community/questions/{}#answer-{}", a.question, a.id)),
    };
    match outcome {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status.is_server_error() => {
            Err(failure_page_now(&reader, &error))
        }
        Err(error) => {
            let message = error_message(&reader.tr(), &error);
            edit_page(&state, &reader, &post, Some((&form, error.status, message))).await
        }
    }
}

// ---------------------------------------------------------------------------
// The experts' queue, the moderators' flags, profiles

#[derive(Template)]
#[template(path = "community_queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<Row>,
    hours: i64,
}

pub(super) async fn queue(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let chrome = reader.chrome("/community/queue", "community").await?;
    let questions = match community::queue(&state, &reader.caller, 100).await {
        Ok(questions) => questions,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let catalogue = catalogue(&state, &chrome).await?;
    let page = QueuePage {
        rows: questions.iter().map(|q| row(q, &catalogue, &reader)).collect(),
        hours: state.settings.community.unanswered_after.as_hours(),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

pub(crate) struct FlagLine {
    pub post: String,
    pub kind: String,
    pub question: String,
    pub question_title: String,
    pub by: String,
    pub reason: String,
    pub at: Moment,
}

#[derive(Template)]
#[template(path = "community_moderation.html")]
struct ModerationPage {
    chrome: Chrome,
    flags: Vec<FlagLine>,
    hidden: Vec<Row>,
    done: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct ModerationQuery {
    done: Option<String>,
}

pub(super) async fn moderation(
    State(state): State<AppState>,
    reader: Reader,
    Query(query): Query<ModerationQuery>,
) -> Result<Response, Response> {
    let chrome = reader.chrome("/community/moderation", "community").await?;
    if !community::moderator(&reader.caller.actor) {
        let error = community::refusal(guichet_domain::community::Refusal::NotModerator);
        return Err(failure_page(chrome, &error));
    }
    let zone = reader.zone();
    let flags = state
        .store
        .open_flags(200)
        .await
        .map_err(|e| failure_page_now(&reader, &ApiError::from(e)))?;
    let hidden_questions = community::list(
        &state,
        &reader.caller,
        QuestionFilter {
            include_hidden: true,
            limit: 200,
            ..QuestionFilter::default()
        },
    )
    .await
    .map_err(|e| failure_page_now(&reader, &e))?;
    let catalogue = catalogue(&state, &chrome).await?;
    let page = ModerationPage {
        flags: flags
            .into_iter()
            .map(|f| FlagLine {
                post: f.post_id,
                kind: chrome.tr.t(&format!("community-post-{}", f.post_kind.as_str())),
                question: f.question.0,
                question_title: f.question_title,
                by: f.flagged_by_name,
                reason: f.reason,
                at: Moment::new(f.created_at, &zone),
            })
            .collect(),
        hidden: hidden_questions
            .iter()
            .filter(|q| q.hidden_at.is_some())
            .map(|q| row(q, &catalogue, &reader))
            .collect(),
        done: query.done.is_some(),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Template)]
#[template(path = "community_member.html")]
struct MemberPage {
    chrome: Chrome,
    name: String,
    reputation: i64,
    questions: i64,
    answers: i64,
    accepted: i64,
    expert_of: Vec<String>,
    staff: bool,
}

pub(super) async fn member(
    State(state): State<AppState>,
    reader: Reader,
    Path(user): Path<String>,
) -> Result<Response, Response> {
    let chrome = reader
        .chrome(&format!("/community/members/{user}"), "community")
        .await?;
    let profile = match community::profile(&state, &reader.caller, &user).await {
        Ok(profile) => profile,
        Err(error) => return Err(failure_page(chrome, &error)),
    };
    let catalogue = catalogue(&state, &chrome).await?;
    let page = MemberPage {
        name: profile.name,
        reputation: profile.reputation,
        questions: profile.stats.questions,
        answers: profile.stats.answers,
        accepted: profile.stats.accepted,
        expert_of: profile.expert_of.iter().map(|p| product_name(&catalogue, p)).collect(),
        staff: profile.staff,
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}
