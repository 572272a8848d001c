//! The product catalogue: products and their areas.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use guichet_domain::Invalid;
use guichet_domain::invalid::bounded_text;
use guichet_domain::product::{AreaKey, Product, ProductArea, ProductKey};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::json::ApiJson;
use crate::api::require_administrator;
use crate::api::views::ProductView;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaInput {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// a-z, 0-9 and `_`.
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub areas: Vec<AreaInput>,
}

/// Every product with its areas.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "products",
    responses(
        (status = 200, body = Vec<ProductView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_products(State(state): State<AppState>, _caller: Caller) -> Result<Json<Vec<ProductView>>, ApiError> {
    let products = state.store.products().await?;
    Ok(Json(products.iter().map(ProductView::from).collect()))
}

/// Add a product and its areas (vendor administrators).
#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "products",
    request_body = ProductInput,
    responses(
        (status = 201, body = ProductView),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`product_taken`, `area_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_key`, `invalid_name`, `invalid_area`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    require_administrator(&caller)?;
    let field = |name: &'static str| move |e: Invalid| ApiError::invalid(name, e);
    let product = Product {
        key: ProductKey::parse(&input.key).map_err(field("key"))?,
        name: bounded_text(&input.name, "the product name", 120).map_err(field("name"))?,
        areas: input
            .areas
            .iter()
            .map(|area| {
                Ok(ProductArea {
                    key: AreaKey::parse(&area.key)?,
                    name: bounded_text(&area.name, "the area name", 120)?,
                })
            })
            .collect::<Result<_, Invalid>>()
            .map_err(field("area"))?,
    };
    state.store.create_product(&product).await?;
    state.caches.forget_products().await;
    Ok((StatusCode::CREATED, Json(ProductView::from(&product))))
}
