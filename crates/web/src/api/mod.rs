//! The JSON API under `/api/v1`. Every route is registered through
//! `utoipa_axum::routes!`, which only takes handlers that carry an OpenAPI
//! description: a route cannot exist without its entry in
//! `/api/openapi.json`.

pub(crate) mod articles;
pub(crate) mod attachments;
pub(crate) mod audit;
mod auth;
pub(crate) mod authorization;
mod calendar;
pub(crate) mod cases;
pub(crate) mod community;
pub(crate) mod companies;
pub mod json;
pub(crate) mod mail;
mod me;
mod products;
pub(crate) mod search;
pub(crate) mod status;
pub(crate) mod support;
pub(crate) mod training;
mod users;
pub mod views;

use std::sync::OnceLock;

use axum::Json;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guichet API",
        description = "Support portal for designated support users: companies, users, who may contact \
                       support. Errors are `application/problem+json` with a stable `code`.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "auth", description = "Tokens and sign-out"),
        (name = "me", description = "The caller and what contacting support means for them"),
        (name = "support", description = "Support hours and phone lines by country, for anyone (R21, R22)"),
        (name = "companies", description = "Customer and partner companies (R1, R2, R4)"),
        (name = "users", description = "Users and their roles (R2, R6)"),
        (name = "products", description = "The product catalogue"),
        (name = "audit", description = "The audit log customers read (R26)"),
        (name = "authorization", description = "Privileged requests the customer company authorizes (R25)"),
        (name = "cases", description = "Cases, answers, update and escalation requests, experts (R12–R20)"),
        (name = "knowledge", description = "Knowledge base, search, suggestions, help for a page, deflection (R7, R8, R11)"),
        (name = "mail", description = "The email channel: inbound messages from a provider's webhook, what came in, mails not delivered"),
        (name = "status", description = "The status page: components, maintenance windows, incidents, subscriptions (R23, R24)"),
        (name = "community", description = "Community questions and answers with product experts, moderation, subscriptions (R9)"),
        (name = "training", description = "The training catalogue: courses, sessions, enrolment with waiting lists, records, invitations (R10)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Every API route with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::create_token))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(me::get_me, me::update_me))
        .routes(routes!(me::support_options))
        .routes(routes!(support::hours))
        .routes(routes!(companies::list_companies, companies::create_company))
        .routes(routes!(companies::get_company, companies::update_company))
        .routes(routes!(companies::list_users))
        .routes(routes!(companies::list_designated_users))
        .routes(routes!(audit::audit_log))
        .routes(routes!(authorization::raise, authorization::of_case))
        .routes(routes!(authorization::list))
        .routes(routes!(authorization::get))
        .routes(routes!(authorization::authorize))
        .routes(routes!(authorization::refuse))
        .routes(routes!(authorization::identity_failures))
        .routes(routes!(calendar::company_calendar))
        .routes(routes!(calendar::add_closure))
        .routes(routes!(calendar::remove_closure))
        .routes(routes!(calendar::import_closures))
        .routes(routes!(calendar::preview))
        .routes(routes!(users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(cases::open_case, cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::queue))
        .routes(routes!(cases::answer))
        .routes(routes!(cases::comment))
        .routes(routes!(cases::request_update))
        .routes(routes!(cases::request_escalation))
        .routes(routes!(cases::list_escalations))
        .routes(routes!(cases::review_escalation))
        .routes(routes!(cases::assign))
        .routes(routes!(cases::engage_expert))
        .routes(routes!(cases::my_engagements))
        .routes(routes!(cases::engagement_message))
        .routes(routes!(cases::close_engagement))
        .routes(routes!(cases::split))
        .routes(routes!(cases::accept_solution))
        .routes(routes!(cases::reopen))
        .routes(
            // R17: uploads stream past the global body limit, bounded by
            // `files.max_file_size` as they are read.
            routes!(attachments::upload, attachments::list_attachments)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(attachments::download))
        .routes(routes!(attachments::request_upload, attachments::list_upload_requests))
        .routes(routes!(articles::list_articles, articles::create_article))
        .routes(routes!(articles::get_article, articles::update_article))
        .routes(routes!(articles::set_status))
        .routes(routes!(articles::revisions))
        .routes(routes!(articles::restore))
        .routes(routes!(articles::vote))
        .routes(routes!(search::search))
        .routes(routes!(search::suggest))
        .routes(routes!(search::help_context))
        .routes(routes!(search::deflection_report))
        .routes(routes!(status::get_status))
        .routes(routes!(status::maintenance))
        .routes(routes!(status::list_windows, status::create_window))
        .routes(routes!(status::skip_occurrence))
        .routes(routes!(status::cancel_window))
        .routes(routes!(status::complete_window))
        .routes(routes!(status::window_update))
        .routes(routes!(status::list_components, status::create_component))
        .routes(routes!(status::change_component))
        .routes(routes!(status::list_incidents, status::open_incident))
        .routes(routes!(status::get_incident))
        .routes(routes!(status::incident_update))
        .routes(routes!(status::link_case))
        .routes(routes!(status::subscribe))
        .routes(routes!(status::confirm_subscription))
        .routes(routes!(status::unsubscribe))
        .routes(routes!(status::list_webhooks, status::create_webhook))
        .routes(routes!(status::delete_webhook))
        .routes(routes!(community::list_questions, community::ask))
        .routes(routes!(community::get_question, community::edit_question))
        .routes(routes!(community::question_revisions))
        .routes(routes!(community::answer))
        .routes(routes!(community::comment))
        .routes(routes!(community::accept))
        .routes(routes!(community::lock))
        .routes(routes!(community::merge))
        .routes(routes!(community::move_question))
        .routes(routes!(community::make_article))
        .routes(routes!(community::edit_answer))
        .routes(routes!(community::answer_revisions))
        .routes(routes!(community::vote))
        .routes(routes!(community::flag))
        .routes(routes!(community::moderate))
        .routes(routes!(community::flags))
        .routes(routes!(community::experts))
        .routes(routes!(community::set_expert))
        .routes(routes!(community::profile))
        .routes(routes!(community::subscriptions, community::follow))
        .routes(routes!(community::unfollow))
        .routes(routes!(community::queue))
        .routes(routes!(training::list_courses, training::create_course))
        .routes(routes!(training::get_course, training::update_course))
        .routes(routes!(training::create_session))
        .routes(routes!(training::start_course))
        .routes(routes!(training::get_session))
        .routes(routes!(training::enrol))
        .routes(routes!(training::roster))
        .routes(routes!(training::record))
        .routes(routes!(training::get_enrolment))
        .routes(routes!(training::cancel))
        .routes(routes!(training::complete))
        .routes(routes!(training::invitation))
        .routes(routes!(training::paths))
        .routes(routes!(mail::inbound_mail).layer(DefaultBodyLimit::max(crate::mail::MAX_MESSAGE_BYTES)))
        .routes(routes!(mail::inbound_log))
        .routes(routes!(mail::mail_failures))
}

/// The OpenAPI document, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| router().into_openapi())
}

pub(crate) async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}

/// Refuses callers that are not vendor administrators.
pub(crate) fn require_administrator(caller: &crate::auth::Caller) -> Result<(), ApiError> {
    if caller.actor.is_administrator() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "administrator_required",
            "Only a vendor administrator may do this.",
        ))
    }
}
