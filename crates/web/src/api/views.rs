//! What the API answers: plain JSON shapes with OpenAPI schemas, made from
//! domain types.

use guichet_domain::company::Company;
use guichet_domain::contact::{Person, SupportOptions};
use guichet_domain::product::Product;
use guichet_domain::user::{Role, User};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyView {
    pub id: String,
    /// `customer`, `partner` or `vendor`.
    pub kind: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA time zone.
    pub time_zone: String,
    pub products: Vec<String>,
    pub sla_tier: String,
    pub email_domains: Vec<String>,
    pub account_manager_id: Option<String>,
    /// The partner that implemented this company.
    pub implemented_by: Option<String>,
    pub contact: ContactView,
    /// A subdivision whose public holidays apply too (`NSW`).
    pub subdivision: Option<String>,
}

impl From<&Company> for CompanyView {
    fn from(company: &Company) -> Self {
        Self {
            id: company.id.0.clone(),
            kind: company.kind.as_str().to_owned(),
            name: company.name.as_str().to_owned(),
            country: company.country.as_str().to_owned(),
            time_zone: company.time_zone.as_str().to_owned(),
            products: company.products.iter().map(|p| p.as_str().to_owned()).collect(),
            sla_tier: company.sla_tier.as_str().to_owned(),
            email_domains: company.email_domains.iter().map(|d| d.as_str().to_owned()).collect(),
            account_manager_id: company.account_manager.as_ref().map(|id| id.0.clone()),
            implemented_by: company.implemented_by.as_ref().map(|id| id.0.clone()),
            contact: ContactView {
                name: company.contact.name.clone(),
                email: company.contact.email.as_ref().map(|e| e.as_str().to_owned()),
                phone: company.contact.phone.clone(),
            },
            subdivision: company.subdivision.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub company_id: String,
    pub email: String,
    pub display_name: String,
    /// `fr` or `en`.
    pub language: String,
    pub active: bool,
    pub roles: Vec<String>,
    /// Product-area skills of a support analyst (`financials`,
    /// `financials.general_ledger`).
    pub skills: Vec<String>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0.clone(),
            company_id: user.company_id.0.clone(),
            email: user.email.as_str().to_owned(),
            display_name: user.display_name.as_str().to_owned(),
            language: user.language.code().to_owned(),
            active: user.active,
            roles: user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            skills: user.skills.iter().map(ToString::to_string).collect(),
        }
    }
}

/// One of a company's designated support users (R2).
#[derive(Debug, Serialize, ToSchema)]
pub struct DesignatedUserView {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub active: bool,
    /// May authorize privileged requests for the company (R25).
    pub authorized_manager: bool,
}

impl From<&User> for DesignatedUserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0.clone(),
            display_name: user.display_name.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            active: user.active,
            authorized_manager: user.has(Role::AuthorizedManager),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub company: CompanyView,
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl From<&Person> for PersonView {
    fn from(person: &Person) -> Self {
        Self {
            id: person.id.0.clone(),
            name: person.name.clone(),
            email: person.email.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyRefView {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerContactView {
    pub company: CompanyRefView,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportPhoneView {
    /// The region's key (`north_america`, `france`…).
    pub region: String,
    pub region_name: String,
    pub number: String,
}

/// What contacting support means for the caller (R3, R4, R5, R22).
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportOptionsView {
    pub may_open_case: bool,
    /// Calling follows the same rule as opening a case (R3).
    pub may_call: bool,
    /// `designated_user`, `active_user`, `partner_user`,
    /// `designated_contact_required`, `inactive_user`,
    /// `partner_without_customers` or `vendor_staff`.
    pub reason: String,
    /// The reason in a sentence, in the caller's language.
    pub explanation: String,
    /// The companies the caller may open cases for.
    pub open_for: Vec<CompanyRefView>,
    /// When refused: the company's designated support users to go through.
    pub designated_contacts: Vec<PersonView>,
    /// The implementing partner, to contact first (R4).
    pub partner_contact: Option<PartnerContactView>,
    /// For general account concerns and improvement ideas (R5).
    pub account_manager: Option<PersonView>,
    /// The support line of the company's region (R22).
    pub phone: Option<SupportPhoneView>,
}

impl SupportOptionsView {
    pub fn new(options: &SupportOptions, explanation: String) -> Self {
        Self {
            may_open_case: options.may_open_case,
            may_call: options.may_call,
            reason: options.reason.code().to_owned(),
            explanation,
            open_for: options
                .open_for
                .iter()
                .map(|c| CompanyRefView {
                    id: c.id.0.clone(),
                    name: c.name.clone(),
                })
                .collect(),
            designated_contacts: options.designated_contacts.iter().map(PersonView::from).collect(),
            partner_contact: options.partner_contact.as_ref().map(|p| PartnerContactView {
                company: CompanyRefView {
                    id: p.company.id.0.clone(),
                    name: p.company.name.clone(),
                },
                name: p.contact.name.clone(),
                email: p.contact.email.as_ref().map(|e| e.as_str().to_owned()),
                phone: p.contact.phone.clone(),
            }),
            account_manager: options.account_manager.as_ref().map(PersonView::from),
            phone: options.phone.as_ref().map(|p| SupportPhoneView {
                region: p.region.clone(),
                region_name: p.region_name.clone(),
                number: p.number.clone(),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub key: String,
    pub name: String,
    pub areas: Vec<AreaView>,
}

impl From<&Product> for ProductView {
    fn from(product: &Product) -> Self {
        Self {
            key: product.key.as_str().to_owned(),
            name: product.name.clone(),
            areas: product
                .areas
                .iter()
                .map(|a| AreaView {
                    key: a.key.as_str().to_owned(),
                    name: a.name.clone(),
                })
                .collect(),
        }
    }
}
