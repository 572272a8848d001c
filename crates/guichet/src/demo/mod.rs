//! The demo data set: a vendor's support staff, customers in the six
//! countries served, a partner and the customer it implemented. Every demo
//! user's password is `guichet-demo`.
//!
//! Seeding is idempotent: each part is loaded once per database (a marker in
//! `settings`), and what users did afterwards is kept.

pub mod cases;
pub mod community;
pub mod knowledge;
pub mod status;
pub mod training;

use anyhow::Context;
use guichet_domain::company::{Company, CompanyContact, CompanyId, CompanyKind, CompanyName, SlaTier};
use guichet_domain::country::{CountryCode, TimeZoneName};
use guichet_domain::email::{EmailAddress, EmailDomain};
use guichet_domain::product::{AreaKey, Product, ProductArea, ProductKey, Skill};
use guichet_domain::user::{DisplayName, Language, Role, User, UserId};
use guichet_store::Store;
use guichet_web::auth::hash_now;
use jiff::Timestamp;

/// The password of every demo user (demo only).
pub const PASSWORD: &str = "guichet-demo";

const MARKER: &str = "demo.foundation";

/// A demo product: key, name, and its areas (key, name).
type DemoProduct = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const PRODUCTS: &[DemoProduct] = &[
    (
        "financials",
        "Financials",
        &[
            ("general_ledger", "General ledger"),
            ("accounts_payable", "Accounts payable"),
            ("accounts_receivable", "Accounts receivable"),
            ("cash_management", "Cash management"),
            ("reporting", "Reporting"),
        ],
    ),
    (
        "time",
        "Intelligent Time",
        &[
            ("timesheets", "Timesheets"),
            ("expenses", "Expenses"),
            ("approvals", "Approvals"),
        ],
    ),
];

struct DemoCompany {
    name: &'static str,
    kind: CompanyKind,
    country: &'static str,
    time_zone: Option<&'static str>,
    tier: &'static str,
    domain: &'static str,
    implemented_by: Option<&'static str>,
    contact: Option<(&'static str, &'static str, &'static str)>,
}

const VENDOR: &str = "Guichet Support";

const COMPANIES: &[DemoCompany] = &[
    DemoCompany {
        name: VENDOR,
        kind: CompanyKind::Vendor,
        country: "US",
        time_zone: Some("America/Los_Angeles"),
        tier: "standard",
        domain: "support.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Northwind Partners",
        kind: CompanyKind::Partner,
        country: "US",
        time_zone: None,
        tier: "standard",
        domain: "northwind.example",
        implemented_by: None,
        contact: Some((
            "Northwind Partners support desk",
            "support@northwind.example",
            "+1 (415) 555-0142",
        )),
    },
    DemoCompany {
        name: "Acme Outdoor Inc.",
        kind: CompanyKind::Customer,
        country: "US",
        time_zone: Some("America/Los_Angeles"),
        tier: "standard",
        domain: "acme.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Bistro Lumière SARL",
        kind: CompanyKind::Customer,
        country: "FR",
        time_zone: None,
        tier: "premium",
        domain: "lumiere.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Koala Freight Pty Ltd",
        kind: CompanyKind::Customer,
        country: "AU",
        time_zone: Some("Australia/Sydney"),
        tier: "standard",
        domain: "koala.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Thistle Analytics Ltd",
        kind: CompanyKind::Customer,
        country: "GB",
        time_zone: None,
        tier: "standard",
        domain: "thistle.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Springbok Mining (Pty) Ltd",
        kind: CompanyKind::Customer,
        country: "ZA",
        time_zone: None,
        tier: "standard",
        domain: "springbok.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Brezel Maschinenbau GmbH",
        kind: CompanyKind::Customer,
        country: "DE",
        time_zone: None,
        tier: "premium",
        domain: "brezel.example",
        implemented_by: None,
        contact: None,
    },
    DemoCompany {
        name: "Redwood Dental LLC",
        kind: CompanyKind::Customer,
        country: "US",
        time_zone: Some("America/New_York"),
        tier: "standard",
        domain: "redwood.example",
        implemented_by: Some("Northwind Partners"),
        contact: None,
    },
];

/// A demo user: email, name, company, language, active, roles, skills.
pub struct DemoUser {
    pub email: &'static str,
    pub name: &'static str,
    pub company: &'static str,
    pub language: Language,
    pub active: bool,
    pub roles: &'static [Role],
    pub skills: &'static [&'static str],
    /// What the user is for, in the README and at start-up.
    pub about: &'static str,
}

const fn user(
    email: &'static str,
    name: &'static str,
    company: &'static str,
    roles: &'static [Role],
    about: &'static str,
) -> DemoUser {
    DemoUser {
        email,
        name,
        company,
        language: Language::En,
        active: true,
        roles,
        skills: &[],
        about,
    }
}

use Role::*;

pub const USERS: &[DemoUser] = &[
    user(
        "admin@support.example",
        "Alex Martin",
        VENDOR,
        &[Administrator],
        "administrator",
    ),
    user(
        "lead@support.example",
        "Léa Dubois",
        VENDOR,
        &[SupportManager],
        "support manager",
    ),
    DemoUser {
        skills: &["financials", "time"],
        ..user(
            "analyst@support.example",
            "Noah Kim",
            VENDOR,
            &[SupportAnalyst],
            "analyst: financials, time",
        )
    },
    DemoUser {
        skills: &["financials"],
        ..user(
            "analyst2@support.example",
            "Inès Moreau",
            VENDOR,
            &[SupportAnalyst],
            "analyst: financials",
        )
    },
    user(
        "coach@support.example",
        "Priya Shah",
        VENDOR,
        &[SupportCoach],
        "support coach",
    ),
    user(
        "pm@support.example",
        "Tom Becker",
        VENDOR,
        &[ProductManagement],
        "product management",
    ),
    user(
        "eng@support.example",
        "Yuki Tanaka",
        VENDOR,
        &[Engineering],
        "engineering",
    ),
    user(
        "am@support.example",
        "Claire Fontaine",
        VENDOR,
        &[AccountManager],
        "account manager of every demo company",
    ),
    user(
        "dana@acme.example",
        "Dana Whitfield",
        "Acme Outdoor Inc.",
        &[DesignatedSupportUser, AuthorizedManager],
        "US, designated, authorized manager",
    ),
    user(
        "ulysse@acme.example",
        "Ulysse Grant",
        "Acme Outdoor Inc.",
        &[],
        "US, not designated: may not open cases",
    ),
    DemoUser {
        active: false,
        ..user(
            "oscar@acme.example",
            "Oscar Reyes",
            "Acme Outdoor Inc.",
            &[],
            "US, inactive",
        )
    },
    DemoUser {
        language: Language::Fr,
        ..user(
            "chef@lumiere.example",
            "Auguste Lumière",
            "Bistro Lumière SARL",
            &[DesignatedSupportUser, AuthorizedManager],
            "FR, designated, authorized manager",
        )
    },
    DemoUser {
        language: Language::Fr,
        ..user(
            "marie@lumiere.example",
            "Marie Curien",
            "Bistro Lumière SARL",
            &[],
            "FR, not designated: may open cases",
        )
    },
    user(
        "bruce@koala.example",
        "Bruce Walker",
        "Koala Freight Pty Ltd",
        &[DesignatedSupportUser, AuthorizedManager],
        "AU, designated",
    ),
    user(
        "fiona@thistle.example",
        "Fiona MacLeod",
        "Thistle Analytics Ltd",
        &[DesignatedSupportUser, AuthorizedManager],
        "GB, designated",
    ),
    user(
        "thabo@springbok.example",
        "Thabo Nkosi",
        "Springbok Mining (Pty) Ltd",
        &[DesignatedSupportUser, AuthorizedManager],
        "ZA, designated",
    ),
    user(
        "jonas@brezel.example",
        "Jonas Weber",
        "Brezel Maschinenbau GmbH",
        &[DesignatedSupportUser, AuthorizedManager],
        "DE, designated",
    ),
    user(
        "pat@northwind.example",
        "Pat Morgan",
        "Northwind Partners",
        &[],
        "partner: opens cases for Redwood",
    ),
    user(
        "rita@redwood.example",
        "Rita Alvarez",
        "Redwood Dental LLC",
        &[DesignatedSupportUser, AuthorizedManager],
        "US, designated, partner-implemented",
    ),
    user(
        "sam@redwood.example",
        "Sam Okafor",
        "Redwood Dental LLC",
        &[],
        "US, not designated, partner-implemented",
    ),
];

/// Loads the demo data set unless this database already has it.
/// Returns whether anything was loaded.
pub async fn seed(store: &Store, now: Timestamp) -> anyhow::Result<bool> {
    if store.setting(MARKER).await?.is_some() {
        return Ok(false);
    }
    let products = store.products().await?;
    for (key, name, areas) in PRODUCTS {
        let key = ProductKey::parse(key)?;
        if products.iter().any(|p| p.key == key) {
            continue;
        }
        let areas = areas
            .iter()
            .map(|(area, name)| {
                Ok(ProductArea {
                    key: AreaKey::parse(area)?,
                    name: (*name).to_owned(),
                })
            })
            .collect::<Result<_, guichet_domain::Invalid>>()?;
        store
            .create_product(&Product {
                key,
                name: (*name).to_owned(),
                areas,
            })
            .await?;
    }
    let product_keys: Vec<ProductKey> = PRODUCTS
        .iter()
        .map(|(key, _, _)| ProductKey::parse(key))
        .collect::<Result<_, _>>()?;

    for demo in COMPANIES {
        if store.company_by_name(demo.name).await?.is_some() {
            continue;
        }
        let country = CountryCode::parse(demo.country)?;
        let implemented_by = match demo.implemented_by {
            Some(partner) => Some(
                store
                    .company_by_name(partner)
                    .await?
                    .with_context(|| format!("demo partner {partner}"))?
                    .id,
            ),
            None => None,
        };
        let company = Company {
            id: CompanyId(guichet_store::new_id()),
            kind: demo.kind,
            name: CompanyName::parse(demo.name)?,
            time_zone: match demo.time_zone {
                Some(zone) => TimeZoneName::parse(zone)?,
                None => country.default_time_zone(),
            },
            country,
            products: if demo.kind == CompanyKind::Customer {
                product_keys.clone()
            } else {
                Vec::new()
            },
            sla_tier: SlaTier::from_stored(demo.tier.to_owned()),
            email_domains: vec![EmailDomain::parse(demo.domain)?],
            account_manager: None,
            implemented_by,
            contact: match demo.contact {
                Some((name, email, phone)) => CompanyContact {
                    name: Some(name.to_owned()),
                    email: Some(EmailAddress::parse(email)?),
                    phone: Some(phone.to_owned()),
                },
                None => CompanyContact::default(),
            },
            subdivision: None,
            closed_dates: Vec::new(),
        };
        store.create_company(&company, now).await?;
    }

    // One hash for every demo user: they share the demo password anyway,
    // and argon2 is slow on purpose.
    let hash = hash_now(PASSWORD).map_err(anyhow::Error::msg)?;
    for demo in USERS {
        let email = EmailAddress::parse(demo.email)?;
        if store.user_by_email(&email).await?.is_some() {
            continue;
        }
        let company = store
            .company_by_name(demo.company)
            .await?
            .with_context(|| format!("demo company {}", demo.company))?;
        let user = User {
            id: UserId(guichet_store::new_id()),
            company_id: company.id,
            email,
            display_name: DisplayName::parse(demo.name)?,
            language: demo.language,
            active: demo.active,
            roles: demo.roles.to_vec(),
            skills: demo.skills.iter().map(|s| Skill::parse(s)).collect::<Result<_, _>>()?,
        };
        store.create_user(&user, Some(&hash), now).await?;
    }

    // R5: the account manager of every demo customer.
    let manager = store
        .user_by_email(&EmailAddress::parse("am@support.example")?)
        .await?
        .context("the demo account manager")?;
    for demo in COMPANIES.iter().filter(|c| c.kind != CompanyKind::Vendor) {
        let mut company = store.company_by_name(demo.name).await?.context("demo company")?;
        if company.account_manager.is_none() {
            company.account_manager = Some(manager.id.clone());
            store.update_company(&company, now).await?;
        }
    }
    store.put_setting(MARKER, &now.to_string()).await?;
    Ok(true)
}

/// The demo logins, as printed at start-up.
pub fn logins() -> String {
    let width = USERS.iter().map(|u| u.email.len()).max().unwrap_or(0);
    let mut text = format!("Demo logins (password for all: {PASSWORD}):\n");
    for user in USERS {
        text.push_str(&format!("  {:width$}  {}\n", user.email, user.about));
    }
    text
}
