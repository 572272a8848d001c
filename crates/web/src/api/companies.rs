//! Companies (R1), their users and designated support users (R2).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use guichet_domain::company::{
    Company, CompanyContact, CompanyId, CompanyKind, CompanyName, SlaTier, check_implementer, parse_phone,
};
use guichet_domain::country::{CountryCode, TimeZoneName};
use guichet_domain::email::{EmailAddress, EmailDomain};
use guichet_domain::invalid::bounded_text;
use guichet_domain::product::ProductKey;
use guichet_domain::user::{Role, UserId};
use guichet_domain::{Invalid, InvalidKind};
use guichet_store::CompanyScope;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::json::{ApiJson, nullable};
use crate::api::require_administrator;
use crate::api::views::{CompanyView, DesignatedUserView, UserView};
use crate::auth::Caller;
use crate::error::{ApiError, Problem};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The fields of a company. On creation `name` and `country` are required;
/// on update, absent fields stay as they are and `null` clears what may be
/// cleared.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: Option<String>,
    /// `customer` (default) or `partner`; creation only.
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// IANA time zone; defaults to the country's.
    pub time_zone: Option<String>,
    pub products: Option<Vec<String>>,
    /// One of the configured tiers; defaults to the first (`standard`).
    pub sla_tier: Option<String>,
    pub email_domains: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub account_manager_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub implemented_by: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ContactInput>)]
    pub contact: Option<Option<ContactInput>>,
    /// A subdivision whose public holidays apply too (an Australian state:
    /// `NSW`, `VIC`); `null` for the country's alone.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub subdivision: Option<Option<String>>,
}

fn required(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        Invalid::new(InvalidKind::Empty, format!("`{field}` is required")),
    )
}

/// Applies `input` to `company`, checking every field and every reference.
async fn apply(state: &AppState, input: CompanyInput, company: &mut Company, creating: bool) -> Result<(), ApiError> {
    let field = |name: &'static str| move |e: Invalid| ApiError::invalid(name, e);
    if let Some(name) = &input.name {
        company.name = CompanyName::parse(name).map_err(field("name"))?;
    }
    if let Some(country) = &input.country {
        let country = CountryCode::parse(country).map_err(field("country"))?;
        if input.time_zone.is_none() && (creating || country != company.country) {
            company.time_zone = country.default_time_zone();
        }
        // A subdivision belongs to its country.
        if country != company.country && input.subdivision.is_none() {
            company.subdivision = None;
        }
        company.country = country;
    }
    if let Some(zone) = &input.time_zone {
        company.time_zone = TimeZoneName::parse(zone).map_err(field("time_zone"))?;
    }
    if let Some(tier) = &input.sla_tier {
        company.sla_tier = SlaTier::parse(tier, &state.settings.sla_tiers).map_err(field("sla_tier"))?;
    }
    if let Some(products) = &input.products {
        let catalogue = state.store.products().await?;
        let mut keys = Vec::new();
        for product in products {
            let key = ProductKey::parse(product).map_err(field("product"))?;
            if !catalogue.iter().any(|p| p.key == key) {
                return Err(ApiError::invalid(
                    "product",
                    Invalid::new(InvalidKind::Unknown, format!("there is no product `{}`", key.as_str())),
                ));
            }
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys.sort();
        company.products = keys;
    }
    if let Some(domains) = &input.email_domains {
        let mut parsed = domains
            .iter()
            .map(|d| EmailDomain::parse(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(field("email_domain"))?;
        parsed.sort();
        parsed.dedup();
        company.email_domains = parsed;
    }
    if let Some(manager) = input.account_manager_id {
        company.account_manager = match manager {
            None => None,
            Some(id) => {
                let id = UserId::parse(&id).map_err(field("account_manager_id"))?;
                let user = state.store.user(&id).await?;
                let vendor = match &user {
                    Some(user) => {
                        state.store.company(&user.company_id).await?.map(|c| c.kind) == Some(CompanyKind::Vendor)
                    }
                    None => false,
                };
                match user {
                    Some(user) if vendor && user.has(Role::AccountManager) => Some(user.id),
                    Some(_) => {
                        return Err(ApiError::invalid(
                            "account_manager_id",
                            Invalid::new(
                                InvalidKind::NotAllowed,
                                "the account manager must be vendor staff with the account_manager role",
                            ),
                        ));
                    }
                    None => {
                        return Err(ApiError::invalid(
                            "account_manager_id",
                            Invalid::new(InvalidKind::Unknown, format!("there is no user `{id}`")),
                        ));
                    }
                }
            }
        };
    }
    if let Some(implementer) = input.implemented_by {
        company.implemented_by = match implementer {
            None => None,
            Some(id) => {
                let id = CompanyId::parse(&id).map_err(field("implemented_by"))?;
                let Some(partner) = state.store.company(&id).await? else {
                    return Err(ApiError::invalid(
                        "implemented_by",
                        Invalid::new(InvalidKind::Unknown, format!("there is no company `{id}`")),
                    ));
                };
                check_implementer(company.kind, Some(partner.kind)).map_err(field("implemented_by"))?;
                Some(partner.id)
            }
        };
    }
    if let Some(subdivision) = input.subdivision {
        company.subdivision = match subdivision {
            None => None,
            Some(code) => {
                let code = code.trim().to_ascii_uppercase();
                guichet_domain::holidays::HolidayRules::new(company.country, Some(&code))
                    .map_err(field("subdivision"))?;
                Some(code)
            }
        };
    }
    if let Some(contact) = input.contact {
        company.contact = match contact {
            None => CompanyContact::default(),
            Some(contact) => CompanyContact {
                name: contact
                    .name
                    .as_deref()
                    .map(|n| bounded_text(n, "the contact name", 120))
                    .transpose()
                    .map_err(field("contact_name"))?,
                email: contact
                    .email
                    .as_deref()
                    .map(EmailAddress::parse)
                    .transpose()
                    .map_err(field("contact_email"))?,
                phone: contact
                    .phone
                    .as_deref()
                    .map(parse_phone)
                    .transpose()
                    .map_err(field("contact_phone"))?,
            },
        };
    }
    Ok(())
}

/// The names of the fields that differ (for the audit log).
fn changed_fields(before: &Company, after: &Company) -> String {
    let mut fields = Vec::new();
    let mut check = |name: &str, changed: bool| {
        if changed {
            fields.push(name.to_owned());
        }
    };
    check("name", before.name != after.name);
    check("country", before.country != after.country);
    check("time_zone", before.time_zone != after.time_zone);
    check("products", before.products != after.products);
    check("sla_tier", before.sla_tier != after.sla_tier);
    check("email_domains", before.email_domains != after.email_domains);
    check("account_manager", before.account_manager != after.account_manager);
    check("implemented_by", before.implemented_by != after.implemented_by);
    check("contact", before.contact != after.contact);
    check("subdivision", before.subdivision != after.subdivision);
    fields.join(",")
}

/// The companies the caller may see: all for vendor staff, their own for a
/// customer, their own and those they implemented for a partner.
#[utoipa::path(
    get,
    path = "/api/v1/companies",
    tag = "companies",
    responses(
        (status = 200, body = Vec<CompanyView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_companies(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<CompanyView>>, ApiError> {
    let scope = match caller.company.kind {
        CompanyKind::Vendor => CompanyScope::All,
        CompanyKind::Partner => CompanyScope::PartnerOf(caller.company.id.clone()),
        CompanyKind::Customer => CompanyScope::Only(caller.company.id.clone()),
    };
    let companies = state.store.companies(&scope).await?;
    Ok(Json(
        companies
            .iter()
            .filter(|c| caller.actor.may_read_company(c))
            .map(CompanyView::from)
            .collect(),
    ))
}

/// Create a customer or partner company (vendor administrators).
#[utoipa::path(
    post,
    path = "/api/v1/companies",
    tag = "companies",
    request_body = CompanyInput,
    responses(
        (status = 201, body = CompanyView),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`name_taken`, `email_domain_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_company(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<CompanyInput>,
) -> Result<(StatusCode, Json<CompanyView>), ApiError> {
    require_administrator(&caller)?;
    let kind = match input.kind.as_deref() {
        None => CompanyKind::Customer,
        Some(kind) => CompanyKind::parse(kind).map_err(|e| ApiError::invalid("kind", e))?,
    };
    if kind == CompanyKind::Vendor {
        return Err(ApiError::invalid(
            "kind",
            Invalid::new(
                InvalidKind::NotAllowed,
                "the vendor company is made by `guichet admin bootstrap`",
            ),
        ));
    }
    let name = CompanyName::parse(input.name.as_deref().ok_or_else(|| required("name"))?)
        .map_err(|e| ApiError::invalid("name", e))?;
    let country = CountryCode::parse(input.country.as_deref().ok_or_else(|| required("country"))?)
        .map_err(|e| ApiError::invalid("country", e))?;
    let mut company = Company {
        id: CompanyId(guichet_store::new_id()),
        kind,
        name,
        time_zone: country.default_time_zone(),
        country,
        products: Vec::new(),
        sla_tier: SlaTier::parse(&state.settings.sla_tiers[0], &state.settings.sla_tiers)
            .map_err(ApiError::internal)?,
        email_domains: Vec::new(),
        account_manager: None,
        implemented_by: None,
        contact: CompanyContact::default(),
        subdivision: None,
        closed_dates: Vec::new(),
    };
    apply(&state, input, &mut company, true).await?;
    state.store.create_company(&company, state.clock.now()).await?;
    let audited = (company.kind == CompanyKind::Customer).then_some(&company.id);
    crate::cases::record(
        &state,
        &caller,
        "company.created",
        ("company", &company.id.0),
        audited,
        company.name.as_str().to_owned(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CompanyView::from(&company))))
}

/// The company, when the caller may see it (otherwise 404, so existence
/// does not leak).
pub(crate) async fn readable(state: &AppState, caller: &Caller, id: String) -> Result<Company, ApiError> {
    let id = CompanyId::parse(&id).map_err(|_| ApiError::not_found())?;
    match state.store.company(&id).await? {
        Some(company) if caller.actor.may_read_company(&company) => Ok(company),
        _ => Err(ApiError::not_found()),
    }
}

/// One company.
#[utoipa::path(
    get,
    path = "/api/v1/companies/{id}",
    tag = "companies",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = CompanyView),
        (status = 404, description = "`not_found`: no such company, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_company(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CompanyView>, ApiError> {
    Ok(Json(CompanyView::from(&readable(&state, &caller, id).await?)))
}

/// Change a company (vendor administrators).
#[utoipa::path(
    patch,
    path = "/api/v1/companies/{id}",
    tag = "companies",
    params(("id" = String, Path)),
    request_body = CompanyInput,
    responses(
        (status = 200, body = CompanyView),
        (status = 403, description = "`administrator_required`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`name_taken`, `email_domain_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_<field>` or `unknown_<field>`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_company(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CompanyInput>,
) -> Result<Json<CompanyView>, ApiError> {
    let mut company = readable(&state, &caller, id).await?;
    require_administrator(&caller)?;
    let before = company.clone();
    if input.kind.as_deref().is_some_and(|kind| kind != company.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            Invalid::new(InvalidKind::NotAllowed, "a company's kind does not change"),
        ));
    }
    apply(&state, input, &mut company, false).await?;
    state.store.update_company(&company, state.clock.now()).await?;
    crate::cases::record(
        &state,
        &caller,
        "company.updated",
        ("company", &company.id.0),
        Some(&company.id),
        changed_fields(&before, &company),
    )
    .await?;
    // R21: the open clocks follow a new contract or calendar.
    if before.sla_tier != company.sla_tier
        || before.country != company.country
        || before.time_zone != company.time_zone
        || before.subdivision != company.subdivision
    {
        crate::cases::retarget_company_cases(&state, &before, &company).await?;
    }
    Ok(Json(CompanyView::from(&company)))
}

/// A company's users: for vendor staff and the company's designated users
/// and authorized managers.
#[utoipa::path(
    get,
    path = "/api/v1/companies/{id}/users",
    tag = "companies",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Vec<UserView>),
        (status = 403, description = "`designated_users_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let company = readable(&state, &caller, id).await?;
    if !caller.actor.may_list_designated_users(&company) {
        return Err(designated_users_only());
    }
    let users = state.store.users_of(&company.id).await?;
    Ok(Json(
        users
            .iter()
            .filter(|u| caller.actor.may_read_user(u))
            .map(UserView::from)
            .collect(),
    ))
}

fn designated_users_only() -> ApiError {
    ApiError::forbidden(
        "designated_users_only",
        "Only the company's designated support users and the vendor's staff may see this list.",
    )
}

/// A company's designated support users (R2): for its designated users and
/// the vendor's staff.
#[utoipa::path(
    get,
    path = "/api/v1/companies/{id}/designated-users",
    tag = "companies",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Vec<DesignatedUserView>),
        (status = 403, description = "`designated_users_only`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_designated_users(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DesignatedUserView>>, ApiError> {
    let company = readable(&state, &caller, id).await?;
    if !caller.actor.may_list_designated_users(&company) {
        return Err(designated_users_only());
    }
    let users = state
        .store
        .users_with_role(&company.id, Role::DesignatedSupportUser)
        .await?;
    Ok(Json(users.iter().map(DesignatedUserView::from).collect()))
}
