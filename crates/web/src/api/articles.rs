//! Knowledge base articles (R8): editors write, publish, archive and
//! restore; readers read what their audience allows; signed-in users say
//! whether an article helped.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guichet_domain::article::{
    Article, ArticleContent, ArticleDraft, ArticleId, ArticleStatus, BodyFormat, Reader, Revision, Translation,
    VoteCounts, may_edit_articles, may_read_article,
};
use guichet_domain::user::Language;
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::StoredArticle;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::json::ApiJson;
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, Problem};
use crate::knowledge;
use crate::markdown;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TranslationInput {
    /// `fr` or `en`.
    pub lang: String,
    pub title: String,
    /// Markdown (or HTML with `format: html`).
    pub body: String,
    /// `markdown` (default) or `html`.
    pub format: Option<String>,
    /// The error messages it resolves, as shown in this language.
    #[serde(default)]
    pub error_messages: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub slug: String,
    /// `public` (default), `customers` or `internal`.
    pub audience: Option<String>,
    /// `draft`, `published` (default) or `archived`.
    pub status: Option<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub error_codes: Vec<String>,
    /// R7: the application pages it helps with (`gl/journal-entry/new`).
    #[serde(default)]
    pub page_keys: Vec<String>,
    pub translations: Vec<TranslationInput>,
    /// On a change: the version it was made from (a change made from an
    /// older one is refused with 409 `article_changed`).
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranslationView {
    pub lang: &'static str,
    pub title: String,
    /// As written.
    pub body: String,
    pub format: &'static str,
    /// The body as sanitized HTML.
    pub html: String,
    pub error_messages: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VotesView {
    pub helpful: i64,
    pub not_helpful: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    pub slug: String,
    pub audience: &'static str,
    pub status: &'static str,
    pub products: Vec<String>,
    pub areas: Vec<String>,
    pub tags: Vec<String>,
    pub error_codes: Vec<String>,
    pub page_keys: Vec<String>,
    pub translations: Vec<TranslationView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// "Did this help?" counts: editors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<VotesView>,
}

impl ArticleView {
    fn of(article: &Article, votes: Option<VoteCounts>) -> Self {
        let c = &article.content;
        Self {
            id: article.id.0.clone(),
            slug: c.slug.as_str().to_owned(),
            audience: c.audience.as_str(),
            status: c.status.as_str(),
            products: c.products.iter().map(|p| p.as_str().to_owned()).collect(),
            areas: c.areas.iter().map(|a| a.as_str().to_owned()).collect(),
            tags: c.tags.clone(),
            error_codes: c.error_codes.iter().map(|e| e.as_str().to_owned()).collect(),
            page_keys: c.page_keys.iter().map(|p| p.as_str().to_owned()).collect(),
            translations: c
                .translations
                .iter()
                .map(|t| TranslationView {
                    lang: t.lang.code(),
                    title: t.title.clone(),
                    body: t.body.clone(),
                    format: t.format.as_str(),
                    html: markdown::to_safe_html(&t.body, t.format),
                    error_messages: t.error_messages.clone(),
                })
                .collect(),
            version: article.version,
            created_at: article.created_at.to_string(),
            updated_at: article.updated_at.to_string(),
            votes: votes.map(|v| VotesView {
                helpful: v.helpful,
                not_helpful: v.not_helpful,
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleSummaryView {
    pub id: String,
    pub slug: String,
    pub audience: &'static str,
    pub status: &'static str,
    /// One title per language.
    pub titles: Vec<TitleView>,
    pub version: i64,
    pub updated_at: String,
    pub votes: VotesView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TitleView {
    pub lang: &'static str,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleListView {
    pub articles: Vec<ArticleSummaryView>,
    /// Pass as `after` for the next page.
    pub next_after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: i64,
    /// The editor's user id (none for imports from the command line).
    pub changed_by: Option<String>,
    pub changed_at: String,
    /// What changed: `created`, `status`, `title (fr)`, `restored revision 2`…
    pub changes: Vec<String>,
    /// Whole content after the change, as `ArticleInput` takes it.
    pub slug: String,
    pub status: &'static str,
    pub audience: &'static str,
}

impl From<&Revision> for RevisionView {
    fn from(r: &Revision) -> Self {
        Self {
            number: r.number,
            changed_by: r.changed_by.as_ref().map(|u| u.0.clone()),
            changed_at: r.changed_at.to_string(),
            changes: r.changes.clone(),
            slug: r.content.slug.as_str().to_owned(),
            status: r.content.status.as_str(),
            audience: r.content.audience.as_str(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// `draft`, `published` or `archived`.
    pub status: String,
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    /// Did this help?
    pub helpful: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles in this status.
    pub status: Option<String>,
    /// From a previous answer's `next_after`.
    pub after: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

fn require_editor(caller: &Caller) -> Result<(), ApiError> {
    if may_edit_articles(&caller.actor) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "editor_required",
            "Only knowledge editors (support coaches, product management, support managers, administrators) may do this.",
        ))
    }
}

/// Parses an article as the API receives it; the error names the field.
pub(crate) fn parse_input(input: ArticleInput) -> Result<ArticleContent, ApiError> {
    let mut translations = Vec::new();
    for t in input.translations {
        let lang = Language::parse(&t.lang).map_err(|e| ApiError::invalid("lang", e))?;
        let format = match t.format.as_deref() {
            Some(format) => BodyFormat::parse(format).map_err(|e| ApiError::invalid("format", e))?,
            None => BodyFormat::Markdown,
        };
        translations.push(Translation {
            lang,
            title: t.title,
            body: t.body,
            format,
            error_messages: t.error_messages,
        });
    }
    ArticleContent::parse(ArticleDraft {
        slug: input.slug,
        audience: input.audience,
        status: input.status,
        products: input.products,
        areas: input.areas,
        tags: input.tags,
        error_codes: input.error_codes,
        page_keys: input.page_keys,
        translations,
    })
    .map_err(|(field, invalid)| ApiError::invalid(field, invalid))
}

/// Makes a change searchable on this node before answering (other nodes
/// follow the outbox).
pub(crate) async fn index_now(state: &AppState) {
    if let Err(error) = knowledge::catch_up(&state.store, &state.search).await {
        tracing::warn!(%error, "indexing after a change");
    }
}

/// An article the caller may read, or 404 (also for what exists but is not
/// for them).
pub(crate) async fn readable(
    state: &AppState,
    caller: Option<&Caller>,
    id_or_slug: &str,
) -> Result<StoredArticle, ApiError> {
    let stored = knowledge::find_article(&state.store, id_or_slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let editor = caller.is_some_and(|c| may_edit_articles(&c.actor));
    let reader = Reader::of(caller.map(|c| &c.actor));
    let content = &stored.article.content;
    if may_read_article(reader, editor, content.audience, content.status) {
        Ok(stored)
    } else {
        Err(ApiError::not_found())
    }
}

async fn editable(state: &AppState, id: &str) -> Result<StoredArticle, ApiError> {
    knowledge::find_article(&state.store, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Every article, drafts and archived ones included (editors).
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "knowledge",
    params(ListQuery),
    responses(
        (status = 200, body = ArticleListView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_articles(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<ArticleListView>, ApiError> {
    require_editor(&caller)?;
    let status = query
        .status
        .as_deref()
        .map(ArticleStatus::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("status", e))?;
    let after = query
        .after
        .as_deref()
        .map(ArticleId::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("after", e))?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let mut articles = Vec::new();
    let mut cursor = after;
    let mut next_after = None;
    'pages: loop {
        let page = state.store.articles_after(cursor.as_ref(), limit).await?;
        let full = page.len() as i64 == limit;
        for stored in &page {
            cursor = Some(stored.article.id.clone());
            if status.is_some_and(|s| s != stored.article.content.status) {
                continue;
            }
            articles.push(summary(stored));
            if articles.len() as i64 == limit {
                next_after = Some(stored.article.id.0.clone());
                break 'pages;
            }
        }
        if !full {
            break;
        }
    }
    Ok(Json(ArticleListView { articles, next_after }))
}

fn summary(stored: &StoredArticle) -> ArticleSummaryView {
    let a = &stored.article;
    ArticleSummaryView {
        id: a.id.0.clone(),
        slug: a.content.slug.as_str().to_owned(),
        audience: a.content.audience.as_str(),
        status: a.content.status.as_str(),
        titles: a
            .content
            .translations
            .iter()
            .map(|t| TitleView {
                lang: t.lang.code(),
                title: t.title.clone(),
            })
            .collect(),
        version: a.version,
        updated_at: a.updated_at.to_string(),
        votes: VotesView {
            helpful: stored.votes.helpful,
            not_helpful: stored.votes.not_helpful,
        },
    }
}

/// Write a new article (editors).
#[utoipa::path(
    post,
    path = "/api/v1/articles",
    tag = "knowledge",
    request_body = ArticleInput,
    responses(
        (status = 201, body = ArticleView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_slug`, `unknown_audience`, `invalid_title`, `invalid_page_keys`…", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_article(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<(StatusCode, Json<ArticleView>), ApiError> {
    require_editor(&caller)?;
    let content = parse_input(input)?;
    let article = knowledge::create_article(&state.store, content, Some(&caller.user.id), state.clock.now()).await?;
    index_now(&state).await;
    Ok((
        StatusCode::CREATED,
        Json(ArticleView::of(&article, Some(VoteCounts::default()))),
    ))
}

/// One article, by id or slug, if the caller's audience allows it.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{article}",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ArticleView),
        (status = 404, description = "`not_found` (also what the caller may not read)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_article`: neither an id nor a slug", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_article(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(article): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    let stored = readable(&state, caller.as_ref(), &article).await?;
    let editor = caller.as_ref().is_some_and(|c| may_edit_articles(&c.actor));
    Ok(Json(ArticleView::of(&stored.article, editor.then_some(stored.votes))))
}

/// Replace an article's content (editors): a new revision.
#[utoipa::path(
    put,
    path = "/api/v1/articles/{article}",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug")),
    request_body = ArticleInput,
    responses(
        (status = 200, body = ArticleView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`article_changed`, `slug_taken`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_article(
    State(state): State<AppState>,
    caller: Caller,
    Path(article): Path<String>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<Json<ArticleView>, ApiError> {
    require_editor(&caller)?;
    let current = editable(&state, &article).await?;
    let version = input.version;
    let content = parse_input(input)?;
    let article = knowledge::update_article(
        &state.store,
        &current.article,
        version,
        content,
        Some(&caller.user.id),
        state.clock.now(),
        None,
    )
    .await?;
    index_now(&state).await;
    Ok(Json(ArticleView::of(&article, Some(current.votes))))
}

/// Publish, archive or return an article to draft (editors).
#[utoipa::path(
    post,
    path = "/api/v1/articles/{article}/status",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug")),
    request_body = StatusInput,
    responses(
        (status = 200, body = ArticleView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`article_changed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_status`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(article): Path<String>,
    ApiJson(input): ApiJson<StatusInput>,
) -> Result<Json<ArticleView>, ApiError> {
    require_editor(&caller)?;
    let status = ArticleStatus::parse(&input.status).map_err(|e| ApiError::invalid("status", e))?;
    let current = editable(&state, &article).await?;
    let mut content = current.article.content.clone();
    content.status = status;
    let article = knowledge::update_article(
        &state.store,
        &current.article,
        input.version,
        content,
        Some(&caller.user.id),
        state.clock.now(),
        None,
    )
    .await?;
    index_now(&state).await;
    Ok(Json(ArticleView::of(&article, Some(current.votes))))
}

/// An article's history, newest first (editors).
#[utoipa::path(
    get,
    path = "/api/v1/articles/{article}/revisions",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug")),
    responses(
        (status = 200, body = Vec<RevisionView>),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(article): Path<String>,
) -> Result<Json<Vec<RevisionView>>, ApiError> {
    require_editor(&caller)?;
    let current = editable(&state, &article).await?;
    let revisions = state.store.article_revisions(&current.article.id).await?;
    Ok(Json(revisions.iter().map(RevisionView::from).collect()))
}

/// Put an earlier revision back, as a new revision (editors).
#[utoipa::path(
    post,
    path = "/api/v1/articles/{article}/revisions/{number}/restore",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug"), ("number" = i64, Path)),
    responses(
        (status = 200, body = ArticleView),
        (status = 403, description = "`editor_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug_taken`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path((article, number)): Path<(String, i64)>,
) -> Result<Json<ArticleView>, ApiError> {
    require_editor(&caller)?;
    let current = editable(&state, &article).await?;
    let article = knowledge::restore_revision(
        &state.store,
        &current.article,
        number,
        Some(&caller.user.id),
        state.clock.now(),
    )
    .await?;
    index_now(&state).await;
    Ok(Json(ArticleView::of(&article, Some(current.votes))))
}

/// "Did this help?" — one answer per user per article; a second replaces
/// the first.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{article}/votes",
    tag = "knowledge",
    params(("article" = String, Path, description = "Id or slug")),
    request_body = VoteInput,
    responses(
        (status = 204, description = "Counted"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path(article): Path<String>,
    ApiJson(input): ApiJson<VoteInput>,
) -> Result<StatusCode, ApiError> {
    let stored = readable(&state, Some(&caller), &article).await?;
    record_vote(&state, &stored, &caller, input.helpful).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn record_vote(
    state: &AppState,
    stored: &StoredArticle,
    caller: &Caller,
    helpful: bool,
) -> Result<(), ApiError> {
    if stored.article.content.status != ArticleStatus::Published {
        return Err(ApiError::invalid(
            "article",
            Invalid::new(InvalidKind::NotAllowed, "only published articles take votes"),
        ));
    }
    state
        .store
        .vote_on_article(
            &stored.article.id,
            &caller.user.id,
            helpful,
            state.clock.now(),
            &[knowledge::index_message(&stored.article.id, state.clock.now())],
        )
        .await?;
    index_now(state).await;
    Ok(())
}
