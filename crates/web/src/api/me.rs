//! The caller: who they are, and what contacting support means for them.

use axum::Json;
use axum::extract::State;
use guichet_domain::user::{DisplayName, Language};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::json::ApiJson;
use crate::api::views::{CompanyView, MeView, SupportOptionsView, UserView};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::support;

fn me(caller: &Caller) -> MeView {
    MeView {
        user: UserView::from(&caller.user),
        company: CompanyView::from(&caller.company),
        roles: caller.user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }
}

/// The signed-in user, their company and roles.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "me",
    responses(
        (status = 200, body = MeView),
        (status = 401, description = "`unauthenticated` or `invalid_token`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_me(caller: Caller) -> Json<MeView> {
    Json(me(&caller))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub display_name: Option<String>,
    /// `fr` or `en`.
    pub language: Option<String>,
}

/// Change one's own display name or language.
#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "me",
    request_body = UpdateMe,
    responses(
        (status = 200, body = MeView),
        (status = 422, description = "`invalid_display_name`, `unknown_language`, `invalid_body`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    mut caller: Caller,
    ApiJson(update): ApiJson<UpdateMe>,
) -> Result<Json<MeView>, ApiError> {
    if let Some(name) = &update.display_name {
        caller.user.display_name = DisplayName::parse(name).map_err(|e| ApiError::invalid("display_name", e))?;
    }
    if let Some(language) = &update.language {
        caller.user.language = Language::parse(language).map_err(|e| ApiError::invalid("language", e))?;
    }
    state.store.update_user(&caller.user, state.clock.now()).await?;
    let user = &caller.user;
    crate::cases::record(
        &state,
        &caller,
        "user.updated",
        ("user", &user.id.0),
        Some(&user.company_id),
        "own profile".into(),
    )
    .await?;
    Ok(Json(me(&caller)))
}

/// What contacting support means for the caller (R3, R4, R5, R22): whether
/// they may open a case or call and why, who to go through when they may
/// not, their partner's contact, their account manager, the phone line.
#[utoipa::path(
    get,
    path = "/api/v1/me/support-options",
    tag = "me",
    responses(
        (status = 200, body = SupportOptionsView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn support_options(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SupportOptionsView>, ApiError> {
    let options = support::support_options(&state, &caller).await?;
    let explanation = support::explain(&Tr::new(caller.user.language), &options);
    Ok(Json(SupportOptionsView::new(&options, explanation)))
}
