//! Users and their roles (R2, R6), managed by vendor administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use guichet_domain::company::{Company, CompanyId};
use guichet_domain::email::EmailAddress;
use guichet_domain::product::Skill;
use guichet_domain::user::{DisplayName, Language, Role, User, UserId, check_roles, check_skills};
use guichet_domain::{Invalid, InvalidKind};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::json::ApiJson;
use crate::api::require_administrator;
use crate::api::views::UserView;
use crate::auth::{Caller, Passwords};
use crate::error::{ApiError, Problem};

/// The fields of a user. On creation `company_id`, `email` and
/// `display_name` are required; on update, absent fields stay as they are
/// (the email and company do not change).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub company_id: Option<String>,
    /// Must be in one of the company's verified domains, if it has any.
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// `fr` or `en` (default `en`).
    pub language: Option<String>,
    /// Default `true`.
    pub active: Option<bool>,
    /// Customer side: `designated_support_user`, `authorized_manager`.
    /// Vendor side: `support_analyst`, `support_coach`,
    /// `product_management`, `engineering`, `support_manager`,
    /// `account_manager`, `administrator`.
    pub roles: Option<Vec<String>>,
    /// A support analyst's product-area skills.
    pub skills: Option<Vec<String>>,
    /// At least 10 characters. Setting it revokes the user's API tokens.
    pub password: Option<String>,
}

/// Applies the changeable fields of `input` to `user`.
async fn apply(state: &AppState, input: &UserInput, user: &mut User, company: &Company) -> Result<(), ApiError> {
    let field = |name: &'static str| move |e: Invalid| ApiError::invalid(name, e);
    if let Some(name) = &input.display_name {
        user.display_name = DisplayName::parse(name).map_err(field("display_name"))?;
    }
    if let Some(language) = &input.language {
        user.language = Language::parse(language).map_err(field("language"))?;
    }
    if let Some(active) = input.active {
        user.active = active;
    }
    if let Some(roles) = &input.roles {
        let mut parsed = roles
            .iter()
            .map(|r| Role::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(field("roles"))?;
        parsed.sort();
        parsed.dedup();
        user.roles = parsed;
    }
    if let Some(skills) = &input.skills {
        let catalogue = state.store.products().await?;
        let mut parsed = Vec::new();
        for skill in skills {
            let skill = Skill::parse(skill).map_err(field("skills"))?;
            if !catalogue.iter().any(|product| product.knows(&skill)) {
                return Err(ApiError::invalid(
                    "skills",
                    Invalid::new(InvalidKind::Unknown, format!("no product or area is called `{skill}`")),
                ));
            }
            if !parsed.contains(&skill) {
                parsed.push(skill);
            }
        }
        parsed.sort();
        user.skills = parsed;
    }
    check_roles(company.kind, &user.roles).map_err(field("roles"))?;
    check_skills(&user.roles, &user.skills).map_err(field("skills"))?;
    Ok(())
}

/// R25: once a customer company has an active authorized manager, a
/// customer role given, an account reactivated or a password set happens
/// only through an authorization request that a manager authorizes; the
/// vendor's administrators set the first managers when the company is
/// onboarded.
async fn require_company_authorization(state: &AppState, company: &Company, privileged: bool) -> Result<(), ApiError> {
    if !privileged || company.kind != guichet_domain::company::CompanyKind::Customer {
        return Ok(());
    }
    let managers = state
        .store
        .users_with_role(&company.id, Role::AuthorizedManager)
        .await?;
    if managers.iter().any(|m| m.active) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "authorization_required",
            format!(
                "{} decides who holds its customer roles and who may reset a password: raise an authorization \
                 request on one of its open cases (POST /api/v1/cases/{{number}}/authorization-requests).",
                company.name.as_str()
            ),
        ));
    }
    Ok(())
}

/// Create a user in a company (vendor administrators).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = UserInput,
    responses(
        (status = 201, body = UserView),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`; `authorization_required`: customer roles in a company that has an authorized manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    require_administrator(&caller)?;
    let required = |field: &str| {
        ApiError::invalid(
            field,
            Invalid::new(InvalidKind::Empty, format!("`{field}` is required")),
        )
    };
    let company_id = input.company_id.clone().ok_or_else(|| required("company_id"))?;
    let company_id = CompanyId::parse(&company_id).map_err(|e| ApiError::invalid("company_id", e))?;
    let Some(company) = state.store.company(&company_id).await? else {
        return Err(ApiError::invalid(
            "company_id",
            Invalid::new(InvalidKind::Unknown, format!("there is no company `{company_id}`")),
        ));
    };
    let email = EmailAddress::parse(input.email.as_deref().ok_or_else(|| required("email"))?)
        .map_err(|e| ApiError::invalid("email", e))?;
    if !company.email_domains.is_empty() && !company.owns_address(&email) {
        let domains: Vec<&str> = company.email_domains.iter().map(|d| d.as_str()).collect();
        return Err(ApiError::invalid(
            "email",
            Invalid::new(
                InvalidKind::NotAllowed,
                format!(
                    "the address is not in the company's verified domains ({})",
                    domains.join(", ")
                ),
            ),
        ));
    }
    let display_name = DisplayName::parse(input.display_name.as_deref().ok_or_else(|| required("display_name"))?)
        .map_err(|e| ApiError::invalid("display_name", e))?;
    let mut user = User {
        id: UserId(guichet_store::new_id()),
        company_id: company.id.clone(),
        email,
        display_name,
        language: Language::default(),
        active: true,
        roles: Vec::new(),
        skills: Vec::new(),
    };
    apply(&state, &input, &mut user, &company).await?;
    require_company_authorization(&state, &company, !user.roles.is_empty()).await?;
    let hash = match &input.password {
        Some(password) => {
            let password = Passwords::parse(password).map_err(|e| ApiError::invalid("password", e))?;
            Some(state.passwords.hash(password).await?)
        }
        None => None,
    };
    state
        .store
        .create_user(&user, hash.as_deref(), state.clock.now())
        .await?;
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    crate::cases::record(
        &state,
        &caller,
        "user.created",
        ("user", &user.id.0),
        Some(&user.company_id),
        roles.join(","),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// The user, when the caller may see it (otherwise 404).
async fn readable(state: &AppState, caller: &Caller, id: String) -> Result<User, ApiError> {
    let id = UserId::parse(&id).map_err(|_| ApiError::not_found())?;
    match state.store.user(&id).await? {
        Some(user) if caller.actor.may_read_user(&user) => Ok(user),
        _ => Err(ApiError::not_found()),
    }
}

/// One user: themselves, anyone for vendor staff, a colleague for a
/// company's designated users and authorized managers.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = UserView),
        (status = 404, description = "`not_found`: no such user, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(UserView::from(&readable(&state, &caller, id).await?)))
}

/// Change a user: name, language, active, roles, skills, password (vendor
/// administrators).
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path)),
    request_body = UserInput,
    responses(
        (status = 200, body = UserView),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`authorization_required`: a customer's roles, state or password, once the company has an authorized manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UserInput>,
) -> Result<Json<UserView>, ApiError> {
    let mut user = readable(&state, &caller, id).await?;
    require_administrator(&caller)?;
    let unchangeable = |field: &'static str| {
        ApiError::invalid(
            field,
            Invalid::new(InvalidKind::NotAllowed, format!("a user's {field} does not change")),
        )
    };
    if input
        .email
        .as_deref()
        .is_some_and(|email| EmailAddress::parse(email).ok().as_ref() != Some(&user.email))
    {
        return Err(unchangeable("email"));
    }
    if input
        .company_id
        .as_deref()
        .is_some_and(|company| company != user.company_id.0)
    {
        return Err(unchangeable("company_id"));
    }
    let company = state
        .store
        .company(&user.company_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let before = user.clone();
    apply(&state, &input, &mut user, &company).await?;
    // Granting needs the company's word; taking access away (a role
    // removed, an account deactivated) stays the administrators' to do
    // at once, and the audit log shows it.
    let granted = user.roles.iter().any(|role| !before.roles.contains(role));
    let privileged = granted || (user.active && !before.active) || input.password.is_some();
    require_company_authorization(&state, &company, privileged).await?;
    if user.id == caller.user.id && (!user.active || !user.has(Role::Administrator)) {
        return Err(ApiError::invalid(
            "roles",
            Invalid::new(
                InvalidKind::NotAllowed,
                "administrators cannot deactivate themselves or drop their own administrator role",
            ),
        ));
    }
    let now = state.clock.now();
    if let Some(password) = &input.password {
        let password = Passwords::parse(password).map_err(|e| ApiError::invalid("password", e))?;
        let hash = state.passwords.hash(password).await?;
        state.store.set_password_hash(&user.id, &hash, now).await?;
        state.store.revoke_tokens_of(&user.id, now).await?;
    }
    state.store.update_user(&user, now).await?;
    let mut changed = Vec::new();
    if user.roles != before.roles {
        changed.push(format!(
            "roles={}",
            user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("+")
        ));
    }
    if user.active != before.active {
        changed.push(format!("active={}", user.active));
    }
    if user.display_name != before.display_name || user.language != before.language || user.skills != before.skills {
        changed.push("profile".into());
    }
    if input.password.is_some() {
        changed.push("password".into());
    }
    crate::cases::record(
        &state,
        &caller,
        "user.updated",
        ("user", &user.id.0),
        Some(&user.company_id),
        changed.join(","),
    )
    .await?;
    Ok(Json(UserView::from(&user)))
}
