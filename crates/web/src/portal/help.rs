//! The help center (R7, R8): search, browse by product and area, most
//! helpful articles, the article page with "did this help?", the deflection
//! line for support managers (R11), and the embeddable widget with its demo
//! host page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use guichet_domain::article::{ArticleStatus, Reader, may_edit_articles};
use guichet_domain::product::{AreaKey, ProductKey};
use guichet_domain::user::Language;
use guichet_search::{Hit, Mode, SearchRequest};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Chrome, csrf_valid, language, page_error, render};
use crate::AppState;
use crate::api::articles::{readable, record_vote};
use crate::auth::MaybeCaller;
use crate::markdown;

/// A product and its areas, as the browse list shows them.
pub(crate) struct BrowseProduct {
    pub key: String,
    pub name: String,
    pub areas: Vec<(String, String)>,
}

/// A deflection line, in words.
pub(crate) struct DeflectionLine {
    pub product: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "help_home.html")]
struct HelpHome {
    chrome: Chrome,
    q: String,
    heading: Option<String>,
    results: Vec<Hit>,
    next: Option<String>,
    products: Vec<BrowseProduct>,
    helpful: Vec<Hit>,
    deflection: Vec<DeflectionLine>,
}

#[derive(Debug, Deserialize)]
pub(super) struct HelpQuery {
    #[serde(default)]
    q: String,
    product: Option<String>,
    area: Option<String>,
    cursor: Option<usize>,
}

pub(super) async fn home(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<HelpQuery>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let chrome = Chrome::new(&session, caller.as_ref(), language, "/help", "help").await?;
    fn internal(language: Language) -> impl Fn(&dyn std::fmt::Display) -> Response {
        move |error| {
            tracing::error!(%error, "help center");
            page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal")
        }
    }
    let audiences = Reader::of(caller.as_ref().map(|c| &c.actor)).audiences();
    let product = query.product.as_deref().and_then(|p| ProductKey::parse(p).ok());
    let area = query.area.as_deref().and_then(|a| AreaKey::parse(a).ok());
    let catalogue = state
        .caches
        .products(&state.store)
        .await
        .map_err(|e| internal(language)(&e))?;
    let q = query.q.chars().take(500).collect::<String>();
    let searching = !q.trim().is_empty() || product.is_some();
    let mut results = Vec::new();
    let mut next = None;
    let mut heading = None;
    if searching {
        let offset = query.cursor.unwrap_or(0).min(10_000);
        let page = state
            .search
            .index
            .search(&SearchRequest {
                text: &q,
                lang: None,
                kinds: &[],
                product: product.as_ref().map(ProductKey::as_str),
                area: area.as_ref().map(AreaKey::as_str),
                audiences,
                limit: 20,
                offset,
                mode: Mode::Search,
            })
            .map_err(|e| internal(language)(&e))?;
        results = page.hits;
        if let Some(offset) = page.next_offset {
            let mut link = format!("/help?q={}&cursor={offset}", encode(&q));
            if let Some(p) = &product {
                link.push_str(&format!("&product={}", p.as_str()));
            }
            if let Some(a) = &area {
                link.push_str(&format!("&area={}", a.as_str()));
            }
            next = Some(link);
        }
        let place = product.as_ref().map(|p| {
            let found = catalogue.iter().find(|c| &c.key == p);
            let product_name = found.map_or(p.as_str().to_owned(), |c| c.name.clone());
            match (&area, found) {
                (Some(a), Some(c)) => {
                    let area_name = c
                        .areas
                        .iter()
                        .find(|x| &x.key == a)
                        .map_or(a.as_str(), |x| x.name.as_str());
                    format!("{product_name} › {area_name}")
                }
                _ => product_name,
            }
        });
        heading = Some(match (q.trim().is_empty(), place) {
            (true, Some(place)) => place,
            (false, Some(place)) => chrome.tr.t2("help-results-in", ("query", q.trim()), ("place", &place)),
            (_, None) => chrome.tr.t1("help-results-for", "query", q.trim()),
        });
    }
    let helpful = state
        .search
        .index
        .search(&SearchRequest {
            text: "",
            lang: Some(language),
            kinds: &[guichet_search::Kind::Article],
            product: None,
            area: None,
            audiences,
            limit: 8,
            offset: 0,
            mode: Mode::Search,
        })
        .map_err(|e| internal(language)(&e))?
        .hits;
    let deflection = match &caller {
        Some(c) if c.actor.manages_support() => {
            let report = crate::api::search::deflection(&state, 30)
                .await
                .map_err(|_| page_error(StatusCode::INTERNAL_SERVER_ERROR, language, "error-internal"))?;
            report
                .products
                .iter()
                .map(|line| DeflectionLine {
                    product: catalogue
                        .iter()
                        .find(|p| p.key.as_str() == line.product)
                        .map_or(line.product.clone(), |p| p.name.clone()),
                    text: chrome.tr.t3(
                        "help-deflection-line",
                        ("deflected", &line.deflected.to_string()),
                        ("opened", &line.suggestions_opened.to_string()),
                        ("rate", &format!("{:.0}", line.rate * 100.0)),
                    ),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let products = catalogue
        .iter()
        .map(|p| BrowseProduct {
            key: p.key.as_str().to_owned(),
            name: p.name.clone(),
            areas: p
                .areas
                .iter()
                .map(|a| (a.key.as_str().to_owned(), a.name.clone()))
                .collect(),
        })
        .collect();
    let page = HelpHome {
        chrome,
        q,
        heading,
        results,
        next,
        products,
        helpful,
        deflection,
    };
    Ok(render(&page, StatusCode::OK))
}

/// Percent-encodes a query parameter's value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage {
    chrome: Chrome,
    slug: String,
    title: String,
    html: String,
    lang: &'static str,
    other_languages: Vec<(&'static str, String)>,
    error_codes: Vec<String>,
    /// Signed in, and the article takes votes.
    may_vote: bool,
    my_vote: Option<bool>,
    voted: bool,
    /// Editors: the counts and the status.
    editor_note: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ArticleQuery {
    lang: Option<String>,
    /// `case` when opened from a suggestion of the log-a-case form.
    from: Option<String>,
    product: Option<String>,
    #[serde(default)]
    voted: bool,
}

pub(super) async fn article(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<ArticleQuery>,
) -> Result<Response, Response> {
    let reader_language = language(caller.as_ref(), &cookies, &headers);
    let stored = match readable(&state, caller.as_ref(), &slug).await {
        Ok(stored) => stored,
        Err(error) if error.status.is_client_error() => {
            return Err(page_error(StatusCode::NOT_FOUND, reader_language, "error-not-found"));
        }
        Err(_) => {
            return Err(page_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                reader_language,
                "error-internal",
            ));
        }
    };
    let content = &stored.article.content;
    let path = format!("/help/articles/{}", content.slug);
    let chrome = Chrome::new(&session, caller.as_ref(), reader_language, &path, "help").await?;
    let wanted = query
        .lang
        .as_deref()
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or(reader_language);
    let translation = content.translation_for(wanted);
    // R11: opened from a suggestion while logging a case.
    if query.from.as_deref() == Some("case")
        && let Some(caller) = &caller
        && let Some(product) = query.product.as_deref().and_then(|p| ProductKey::parse(p).ok())
        && let Err(error) = state
            .store
            .record_suggestion_opened(&caller.user.id, &product, &stored.article.id, state.clock.now())
            .await
    {
        tracing::warn!(%error, "recording an opened suggestion");
    }
    let my_vote = match &caller {
        Some(c) => state
            .store
            .article_vote(&stored.article.id, &c.user.id)
            .await
            .unwrap_or(None),
        None => None,
    };
    let editor = caller.as_ref().is_some_and(|c| may_edit_articles(&c.actor));
    let page = ArticlePage {
        slug: content.slug.to_string(),
        title: translation.title.clone(),
        html: markdown::to_safe_html(&translation.body, translation.format),
        lang: translation.lang.code(),
        other_languages: content
            .translations
            .iter()
            .filter(|t| t.lang != translation.lang)
            .map(|t| (t.lang.code(), t.title.clone()))
            .collect(),
        error_codes: content.error_codes.iter().map(|c| c.as_str().to_owned()).collect(),
        may_vote: caller.is_some() && content.status == ArticleStatus::Published,
        my_vote,
        voted: query.voted,
        editor_note: editor.then(|| {
            chrome.tr.t3(
                "help-editor-note",
                ("status", content.status.as_str()),
                ("helpful", &stored.votes.helpful.to_string()),
                ("unhelpful", &stored.votes.not_helpful.to_string()),
            )
        }),
        chrome,
    };
    Ok(render(&page, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub(super) struct VoteForm {
    #[serde(default)]
    csrf: String,
    helpful: String,
}

pub(super) async fn vote(
    State(state): State<AppState>,
    session: Session,
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<VoteForm>,
) -> Result<Response, Response> {
    let language = language(caller.as_ref(), &cookies, &headers);
    let Some(caller) = caller else {
        return Ok(Redirect::to(&format!("/login?next=/help/articles/{slug}")).into_response());
    };
    if !csrf_valid(&session, &form.csrf).await {
        return Err(page_error(StatusCode::FORBIDDEN, language, "error-csrf"));
    }
    let stored = readable(&state, Some(&caller), &slug)
        .await
        .map_err(|_| page_error(StatusCode::NOT_FOUND, language, "error-not-found"))?;
    record_vote(&state, &stored, &caller, form.helpful == "yes")
        .await
        .map_err(|_| page_error(StatusCode::UNPROCESSABLE_ENTITY, language, "error-not-found"))?;
    Ok(Redirect::to(&format!("/help/articles/{}?voted=true", stored.article.content.slug)).into_response())
}

#[derive(Template)]
#[template(path = "widget_demo.html")]
struct WidgetDemo {
    lang: &'static str,
    page_key: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct DemoQuery {
    page: Option<String>,
}

/// A page of a pretend host application with the widget on it.
pub(super) async fn widget_demo(
    MaybeCaller(caller): MaybeCaller,
    cookies: CookieJar,
    headers: HeaderMap,
    Query(query): Query<DemoQuery>,
) -> Response {
    let language = language(caller.as_ref(), &cookies, &headers);
    let page_key = query
        .page
        .as_deref()
        .and_then(|p| guichet_domain::article::PageKey::parse(p).ok())
        .map_or_else(|| "gl/journal-entry/new".to_owned(), |p| p.as_str().to_owned());
    render(
        &WidgetDemo {
            lang: language.code(),
            page_key,
        },
        StatusCode::OK,
    )
}

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn widget_script() -> Response {
    script(include_str!("../../static/widget.js"))
}

pub(super) async fn suggest_script() -> Response {
    script(include_str!("../../static/case_suggest.js"))
}

pub(super) async fn widget_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/widget.css"),
    )
        .into_response()
}
