//! Administration from the command line: what must exist before anyone can
//! sign in.

use anyhow::{Context, bail};
use guichet_domain::company::{Company, CompanyContact, CompanyId, CompanyKind, CompanyName, SlaTier};
use guichet_domain::country::CountryCode;
use guichet_domain::email::{EmailAddress, EmailDomain};
use guichet_domain::user::{DisplayName, Language, Role, User, UserId};
use guichet_store::{CompanyScope, Store};
use guichet_web::auth::{Passwords, hash_now};

/// What `guichet admin bootstrap` makes.
pub struct Bootstrap {
    pub vendor_name: String,
    pub country: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// Makes the vendor company (if there is none yet) and an administrator in
/// it. Returns the administrator's id.
pub async fn bootstrap(store: &Store, request: Bootstrap, sla_tier: &str) -> anyhow::Result<UserId> {
    let now = jiff::Timestamp::now();
    let email = EmailAddress::parse(&request.email).context("--email")?;
    let display_name = DisplayName::parse(&request.display_name).context("--name")?;
    let password = Passwords::parse(&request.password).context("the password")?;
    if store.user_by_email(&email).await?.is_some() {
        bail!("a user with the email {email} already exists");
    }
    let existing = store
        .companies(&CompanyScope::All)
        .await?
        .into_iter()
        .find(|company| company.kind == CompanyKind::Vendor);
    let vendor = match existing {
        Some(vendor) => vendor,
        None => {
            let country = CountryCode::parse(&request.country).context("--country")?;
            let vendor = Company {
                id: CompanyId(guichet_store::new_id()),
                kind: CompanyKind::Vendor,
                name: CompanyName::parse(&request.vendor_name).context("--vendor")?,
                time_zone: country.default_time_zone(),
                country,
                products: Vec::new(),
                sla_tier: SlaTier::from_stored(sla_tier.to_owned()),
                email_domains: vec![EmailDomain::parse(email.domain())?],
                account_manager: None,
                implemented_by: None,
                contact: CompanyContact::default(),
                subdivision: None,
                closed_dates: Vec::new(),
            };
            store.create_company(&vendor, now).await?;
            vendor
        }
    };
    if !vendor.email_domains.is_empty() && !vendor.owns_address(&email) {
        bail!("{email} is not in the vendor's domains");
    }
    let admin = User {
        id: UserId(guichet_store::new_id()),
        company_id: vendor.id,
        email,
        display_name,
        language: Language::En,
        active: true,
        roles: vec![Role::Administrator],
        skills: Vec::new(),
    };
    let hash = hash_now(password).map_err(anyhow::Error::msg)?;
    store.create_user(&admin, Some(&hash), now).await?;
    Ok(admin.id)
}
