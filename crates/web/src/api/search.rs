//! One search over everything people can search (R8, R11), suggestions as
//! a subject is typed, the help for an application page (R7), and the
//! deflection report (R11). Audience is enforced in the index: a reader
//! never gets, nor counts, what is not for them.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use guichet_domain::article::{PageKey, Reader};
use guichet_domain::product::ProductKey;
use guichet_domain::user::Language;
use guichet_domain::{Invalid, InvalidKind};
use guichet_search::{Hit, Kind, Mode, SearchRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, Problem};
use crate::portal::language;

/// One result, whatever its kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResultView {
    /// `article`, `question` (a community question, with its accepted
    /// answer) or `course` (a training course).
    pub kind: &'static str,
    pub id: String,
    pub slug: String,
    /// `fr` or `en`.
    pub lang: &'static str,
    pub title: String,
    /// HTML: the text escaped, matching words in `<mark>`.
    pub snippet: String,
    /// Higher is better; comparable within one answer only.
    pub score: f32,
    /// Its page in the portal.
    pub url: String,
}

impl From<Hit> for SearchResultView {
    fn from(hit: Hit) -> Self {
        Self {
            url: crate::knowledge::hit_path(&hit),
            kind: hit.kind.as_str(),
            id: hit.id,
            slug: hit.slug,
            lang: hit.lang.code(),
            title: hit.title,
            snippet: hit.snippet,
            score: hit.score,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPageView {
    /// Best first.
    pub results: Vec<SearchResultView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpContextView {
    /// The page's help, most helpful first, in the reader's language when it
    /// exists, else in the other.
    pub articles: Vec<SearchResultView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to search: words (each of five letters or more forgives a
    /// typo), `"quoted phrases"` (word for word), error codes (`GL-4012`).
    /// Empty: browse, most helpful first.
    #[serde(default)]
    pub q: String,
    /// Only results in this language (`fr`, `en`); default: every language,
    /// one result per article.
    pub lang: Option<String>,
    /// Only this kind (`article`, `question`, `course`).
    pub kind: Option<String>,
    /// Only this product's (`financials`).
    pub product: Option<String>,
    /// Only this product area's (`general_ledger`).
    pub area: Option<String>,
    /// From a previous answer's `next_cursor`.
    pub cursor: Option<String>,
    /// Results per page, 1 to 50 (default 10).
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// What has been typed so far (the last word may be unfinished).
    #[serde(default)]
    pub q: String,
    pub lang: Option<String>,
    pub product: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HelpQuery {
    /// The language wanted (`fr`, `en`); default: the reader's.
    pub lang: Option<String>,
}

fn field(name: &'static str) -> impl Fn(Invalid) -> ApiError {
    move |e| ApiError::invalid(name, e)
}

fn parse_lang(lang: Option<&str>) -> Result<Option<Language>, ApiError> {
    lang.filter(|l| !l.is_empty())
        .map(Language::parse)
        .transpose()
        .map_err(field("lang"))
}

fn parse_product(product: Option<&str>) -> Result<Option<ProductKey>, ApiError> {
    product
        .filter(|p| !p.is_empty())
        .map(ProductKey::parse)
        .transpose()
        .map_err(field("product"))
}

fn reader(caller: Option<&Caller>) -> Reader {
    Reader::of(caller.map(|c| &c.actor))
}

fn search_failed(error: guichet_search::SearchError) -> ApiError {
    ApiError::internal(error)
}

/// Search the knowledge base (R8): best first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "knowledge",
    params(SearchQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchPageView),
        (status = 422, description = "`invalid_lang`, `unknown_kind`, `invalid_product`, `invalid_area`, `invalid_cursor`, `invalid_q`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchPageView>, ApiError> {
    if query.q.chars().count() > 500 {
        return Err(ApiError::invalid(
            "q",
            Invalid::new(InvalidKind::TooLong, "the search is longer than 500 characters"),
        ));
    }
    let lang = parse_lang(query.lang.as_deref())?;
    let kinds: Vec<Kind> = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(kind) => vec![Kind::parse(kind).ok_or_else(|| {
            ApiError::invalid(
                "kind",
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{kind}` is not a kind (article, question, course)"),
                ),
            )
        })?],
        None => Vec::new(),
    };
    let product = parse_product(query.product.as_deref())?;
    let area = query
        .area
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(guichet_domain::product::AreaKey::parse)
        .transpose()
        .map_err(field("area"))?;
    let offset = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => cursor.parse::<usize>().ok().filter(|o| *o <= 10_000).ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                Invalid::new(InvalidKind::Format, "this cursor is not one we gave"),
            )
        })?,
        None => 0,
    };
    let audiences = reader(caller.as_ref()).audiences();
    let request = SearchRequest {
        text: &query.q,
        lang,
        kinds: &kinds,
        product: product.as_ref().map(ProductKey::as_str),
        area: area.as_ref().map(|a| a.as_str()),
        audiences,
        limit: query.limit.unwrap_or(10).clamp(1, 50),
        offset,
        mode: Mode::Search,
    };
    let page = state.search.index.search(&request).map_err(search_failed)?;
    Ok(Json(SearchPageView {
        results: page.hits.into_iter().map(SearchResultView::from).collect(),
        next_cursor: page.next_offset.map(|o| o.to_string()),
    }))
}

/// Suggestions while typing (R11): the top 5 articles and community
/// questions, the last word taken as the start of a word.
#[utoipa::path(
    get,
    path = "/api/v1/suggest",
    tag = "knowledge",
    params(SuggestQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchPageView),
        (status = 422, description = "`invalid_lang`, `invalid_product`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<SuggestQuery>,
) -> Result<Json<SearchPageView>, ApiError> {
    let lang = parse_lang(query.lang.as_deref())?;
    let product = parse_product(query.product.as_deref())?;
    let text: String = query.q.chars().take(200).collect();
    if text.trim().chars().count() < 2 {
        return Ok(Json(SearchPageView {
            results: Vec::new(),
            next_cursor: None,
        }));
    }
    let request = SearchRequest {
        text: &text,
        lang,
        // R11: what may answer the question before a case is logged.
        kinds: &[Kind::Article, Kind::Question],
        product: product.as_ref().map(ProductKey::as_str),
        area: None,
        audiences: reader(caller.as_ref()).audiences(),
        limit: 5,
        offset: 0,
        mode: Mode::Suggest,
    };
    let page = state.search.index.search(&request).map_err(search_failed)?;
    Ok(Json(SearchPageView {
        results: page.hits.into_iter().map(SearchResultView::from).collect(),
        next_cursor: None,
    }))
}

/// The help for one page of the application (R7), in the reader's
/// language, falling back to the other.
#[utoipa::path(
    get,
    path = "/api/v1/help/context/{*page_key}",
    tag = "knowledge",
    params(("page_key" = String, Path, description = "The page's key, slashes as they are or as `%2F` (`gl/journal-entry/new`)"), HelpQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = HelpContextView),
        (status = 422, description = "`invalid_page_key`, `invalid_lang`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn help_context(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Path(page_key): Path<String>,
    Query(query): Query<HelpQuery>,
) -> Result<Json<HelpContextView>, ApiError> {
    let page_key = PageKey::parse(&page_key).map_err(field("page_key"))?;
    let preferred = match parse_lang(query.lang.as_deref())? {
        Some(lang) => lang,
        None => language(caller.as_ref(), &cookies, &headers),
    };
    let hits = state
        .search
        .index
        .for_page(page_key.as_str(), preferred, reader(caller.as_ref()).audiences(), 20)
        .map_err(search_failed)?;
    Ok(Json(HelpContextView {
        articles: hits.into_iter().map(SearchResultView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeflectionQuery {
    /// The period, in days back from now (1 to 365, default 30).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeflectionLineView {
    pub product: String,
    /// Suggested articles opened from the log-a-case form.
    pub suggestions_opened: i64,
    /// …after which the same user logged no case within `window_hours`.
    pub deflected: i64,
    /// `deflected / suggestions_opened`, 0 to 1.
    pub rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeflectionReportView {
    /// The start of the period (RFC 3339).
    pub since: String,
    pub window_hours: i64,
    pub products: Vec<DeflectionLineView>,
}

/// A case that follows an opened suggestion within this long was not
/// deflected.
pub(crate) const DEFLECTION_WINDOW_HOURS: i64 = 24;

/// The deflection report (R11): per product, how often a suggested article
/// answered the question before a case was logged. Support managers.
#[utoipa::path(
    get,
    path = "/api/v1/reports/deflection",
    tag = "knowledge",
    params(DeflectionQuery),
    responses(
        (status = 200, body = DeflectionReportView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`support_manager_required`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deflection_report(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DeflectionQuery>,
) -> Result<Json<DeflectionReportView>, ApiError> {
    if !(caller.actor.manages_support() || caller.actor.is_administrator()) {
        return Err(ApiError::forbidden(
            "support_manager_required",
            "Only support managers see the deflection report.",
        ));
    }
    Ok(Json(deflection(&state, query.days.unwrap_or(30)).await?))
}

pub(crate) async fn deflection(state: &AppState, days: i64) -> Result<DeflectionReportView, ApiError> {
    let since = state.clock.now() - jiff::SignedDuration::from_hours(24 * days.clamp(1, 365));
    let window = jiff::SignedDuration::from_hours(DEFLECTION_WINDOW_HOURS);
    let lines = state.store.deflection_report(since, window).await?;
    Ok(DeflectionReportView {
        since: since.to_string(),
        window_hours: DEFLECTION_WINDOW_HOURS,
        products: lines
            .into_iter()
            .map(|line| DeflectionLineView {
                rate: if line.opened == 0 {
                    0.0
                } else {
                    line.deflected as f64 / line.opened as f64
                },
                product: line.product,
                suggestions_opened: line.opened,
                deflected: line.deflected,
            })
            .collect(),
    })
}
