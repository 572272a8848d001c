//! Who may contact support, and how (R3, R4, R5, R22).
//!
//! In the United States only designated support users may open a case or
//! call; everywhere else any active user of the company may. Which countries
//! require designation is configuration (`SupportPolicy`), not code.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::company::{Company, CompanyContact, CompanyId, CompanyKind};
use crate::country::CountryCode;
use crate::email::EmailAddress;
use crate::user::{User, UserId};

/// A support region: the countries one phone line serves (R22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRegion {
    pub key: String,
    pub name: String,
    pub phone: String,
    pub countries: Vec<CountryCode>,
}

/// The configurable part of R3 and R22.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportPolicy {
    /// Countries where only designated support users may contact support.
    pub designated_only: BTreeSet<CountryCode>,
    pub regions: Vec<SupportRegion>,
}

impl SupportPolicy {
    pub fn requires_designation(&self, country: &CountryCode) -> bool {
        self.designated_only.contains(country)
    }

    pub fn region_of(&self, country: &CountryCode) -> Option<&SupportRegion> {
        self.regions.iter().find(|region| region.countries.contains(country))
    }
}

impl Default for SupportPolicy {
    /// R3 and R22 as the vendor page states them.
    fn default() -> Self {
        fn countries<C: FromIterator<CountryCode>>(codes: &[&str]) -> C {
            codes
                .iter()
                .map(|code| CountryCode::parse(code).expect("built-in country codes are valid"))
                .collect()
        }
        let region = |key: &str, name: &str, phone: &str, codes: &[&str]| SupportRegion {
            key: key.to_owned(),
            name: name.to_owned(),
            phone: phone.to_owned(),
            countries: countries(codes),
        };
        Self {
            designated_only: countries(&["US"]),
            regions: vec![
                region("north_america", "North America", "(877) 704-3700", &["US", "CA"]),
                region("united_kingdom", "United Kingdom", "+44 (0)19 1479 5990", &["GB", "IE"]),
                region("australia", "Australia", "+61 1300 729 330", &["AU", "NZ"]),
                region("south_africa", "South Africa", "+27 (0)11 304 3220", &["ZA"]),
                region("france", "France", "01 70 73 16 40", &["FR"]),
                region("germany", "Germany", "+49 69 500076297", &["DE", "AT", "CH"]),
            ],
        }
    }
}

/// Why a user may, or may not, contact support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A designated support user of a company where designation is required.
    DesignatedUser,
    /// An active user of a company where any active user may.
    ActiveUser,
    /// A user of a partner that implemented at least one company (R4).
    PartnerUser,
    /// R3: the company's country requires designation; this user is not.
    DesignatedContactRequired,
    InactiveUser,
    /// A partner user whose company implemented no customer yet.
    PartnerWithoutCustomers,
    /// The vendor's own staff answer cases rather than open them.
    VendorStaff,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Self::DesignatedUser => "designated_user",
            Self::ActiveUser => "active_user",
            Self::PartnerUser => "partner_user",
            Self::DesignatedContactRequired => "designated_contact_required",
            Self::InactiveUser => "inactive_user",
            Self::PartnerWithoutCustomers => "partner_without_customers",
            Self::VendorStaff => "vendor_staff",
        }
    }

    pub fn allows_contact(self) -> bool {
        matches!(self, Self::DesignatedUser | Self::ActiveUser | Self::PartnerUser)
    }
}

/// A person to turn to, as shown to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub email: EmailAddress,
}

/// A company named to a user (the companies a partner may open cases for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRef {
    pub id: CompanyId,
    pub name: String,
}

/// The partner a customer turns to first (R4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerContact {
    pub company: CompanyRef,
    pub contact: CompanyContact,
}

/// The phone line of a region (R22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportPhone {
    pub region: String,
    pub region_name: String,
    pub number: String,
}

/// Everything the rule needs about one user, gathered by the adapter.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub user: &'a User,
    pub company: &'a Company,
    /// The company's active designated support users.
    pub designated_users: &'a [Person],
    /// The partner that implemented the user's company, if any.
    pub partner: Option<&'a Company>,
    /// For a partner user: the companies the partner implemented.
    pub implemented: &'a [CompanyRef],
    /// The company's account manager, if it has one.
    pub account_manager: Option<&'a Person>,
}

/// What contacting support means for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportOptions {
    pub may_open_case: bool,
    /// R3 puts calling under the same rule as opening a case.
    pub may_call: bool,
    pub reason: Reason,
    /// The companies the user may open cases for (their own, or a partner's
    /// customers).
    pub open_for: Vec<CompanyRef>,
    /// Refused by R3: the designated users to go through instead.
    pub designated_contacts: Vec<Person>,
    /// R4: the implementing partner, shown first.
    pub partner_contact: Option<PartnerContact>,
    /// R5: general account concerns and improvement ideas go here.
    pub account_manager: Option<Person>,
    /// R22: the phone line for the company's region.
    pub phone: Option<SupportPhone>,
}

/// R3/R4: whether `user` of `company` may open a case or call, and why.
/// `implemented` is what a partner implemented (ignored for others).
pub fn may_contact(user: &User, company: &Company, implemented: &[CompanyRef], policy: &SupportPolicy) -> Reason {
    if !user.active {
        return Reason::InactiveUser;
    }
    match company.kind {
        CompanyKind::Vendor => Reason::VendorStaff,
        CompanyKind::Partner if implemented.is_empty() => Reason::PartnerWithoutCustomers,
        CompanyKind::Partner => Reason::PartnerUser,
        CompanyKind::Customer if !policy.requires_designation(&company.country) => Reason::ActiveUser,
        CompanyKind::Customer if user.is_designated() => Reason::DesignatedUser,
        CompanyKind::Customer => Reason::DesignatedContactRequired,
    }
}

/// R3, R4, R5, R22 together: what the "Contact support" page and
/// `GET /api/v1/me/support-options` tell a user.
pub fn support_options(situation: Situation<'_>, policy: &SupportPolicy) -> SupportOptions {
    let Situation {
        user,
        company,
        designated_users,
        partner,
        implemented,
        account_manager,
    } = situation;
    let reason = may_contact(user, company, implemented, policy);
    let allowed = reason.allows_contact();
    let open_for = match (allowed, company.kind) {
        (false, _) => Vec::new(),
        (true, CompanyKind::Partner) => implemented.to_vec(),
        (true, _) => vec![CompanyRef {
            id: company.id.clone(),
            name: company.name.as_str().to_owned(),
        }],
    };
    let designated_contacts = if reason == Reason::DesignatedContactRequired {
        designated_users
            .iter()
            .filter(|person| person.id != user.id)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let partner_contact = partner
        .filter(|partner| company.implemented_by.as_ref() == Some(&partner.id))
        .map(|partner| PartnerContact {
            company: CompanyRef {
                id: partner.id.clone(),
                name: partner.name.as_str().to_owned(),
            },
            contact: partner.contact.clone(),
        });
    let phone = policy.region_of(&company.country).map(|region| SupportPhone {
        region: region.key.clone(),
        region_name: region.name.clone(),
        number: region.phone.clone(),
    });
    SupportOptions {
        may_open_case: allowed,
        may_call: allowed,
        reason,
        open_for,
        designated_contacts,
        partner_contact,
        account_manager: account_manager.cloned(),
        phone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::{CompanyName, SlaTier};
    use crate::email::EmailDomain;
    use crate::product::ProductKey;
    use crate::user::{DisplayName, Language, Role};

    fn company(id: &str, kind: CompanyKind, country: &str) -> Company {
        let country = CountryCode::parse(country).unwrap();
        Company {
            id: CompanyId(id.into()),
            kind,
            name: CompanyName::parse(&format!("{id} Inc.")).unwrap(),
            time_zone: country.default_time_zone(),
            country,
            products: vec![ProductKey::parse("financials").unwrap()],
            sla_tier: SlaTier::from_stored("standard".into()),
            email_domains: vec![EmailDomain::parse(&format!("{id}.example")).unwrap()],
            account_manager: Some(UserId("am".into())),
            implemented_by: None,
            contact: CompanyContact::default(),
            subdivision: None,
            closed_dates: Vec::new(),
        }
    }

    fn user(id: &str, company: &Company, roles: &[Role]) -> User {
        User {
            id: UserId(id.into()),
            company_id: company.id.clone(),
            email: EmailAddress::parse(&format!("{id}@{}.example", company.id)).unwrap(),
            display_name: DisplayName::parse(id).unwrap(),
            language: Language::En,
            active: true,
            roles: roles.to_vec(),
            skills: vec![],
        }
    }

    fn person(user: &User) -> Person {
        Person {
            id: user.id.clone(),
            name: user.display_name.as_str().into(),
            email: user.email.clone(),
        }
    }

    fn situation<'a>(user: &'a User, company: &'a Company, designated: &'a [Person]) -> Situation<'a> {
        Situation {
            user,
            company,
            designated_users: designated,
            partner: None,
            implemented: &[],
            account_manager: None,
        }
    }

    #[test]
    fn r3_us_user_must_be_designated() {
        let acme = company("acme", CompanyKind::Customer, "US");
        let dana = user("dana", &acme, &[Role::DesignatedSupportUser]);
        let ulysse = user("ulysse", &acme, &[]);
        let designated = [person(&dana)];
        let policy = SupportPolicy::default();

        let refused = support_options(situation(&ulysse, &acme, &designated), &policy);
        assert!(!refused.may_open_case && !refused.may_call);
        assert_eq!(refused.reason, Reason::DesignatedContactRequired);
        assert_eq!(refused.designated_contacts, designated.to_vec());
        assert!(refused.open_for.is_empty());
        assert_eq!(refused.phone.unwrap().number, "(877) 704-3700");

        let allowed = support_options(situation(&dana, &acme, &designated), &policy);
        assert!(allowed.may_open_case);
        assert_eq!(allowed.reason, Reason::DesignatedUser);
        assert!(allowed.designated_contacts.is_empty());
        assert_eq!(allowed.open_for[0].id, acme.id);
    }

    #[test]
    fn r3_any_active_user_elsewhere() {
        let policy = SupportPolicy::default();
        for country in ["FR", "GB", "AU", "ZA", "DE", "JP"] {
            let company = company("c", CompanyKind::Customer, country);
            let plain = user("u", &company, &[]);
            let options = support_options(situation(&plain, &company, &[]), &policy);
            assert!(options.may_open_case, "{country}");
            assert_eq!(options.reason, Reason::ActiveUser);
        }
    }

    #[test]
    fn r3_designation_is_configuration() {
        let policy = SupportPolicy {
            designated_only: [CountryCode::parse("FR").unwrap()].into(),
            ..SupportPolicy::default()
        };
        let lumiere = company("lumiere", CompanyKind::Customer, "FR");
        let marie = user("marie", &lumiere, &[]);
        assert_eq!(
            may_contact(&marie, &lumiere, &[], &policy),
            Reason::DesignatedContactRequired
        );
        let acme = company("acme", CompanyKind::Customer, "US");
        let ulysse = user("ulysse", &acme, &[]);
        assert_eq!(may_contact(&ulysse, &acme, &[], &policy), Reason::ActiveUser);
    }

    #[test]
    fn inactive_users_may_not_even_when_designated() {
        let acme = company("acme", CompanyKind::Customer, "US");
        let mut dana = user("dana", &acme, &[Role::DesignatedSupportUser]);
        dana.active = false;
        let options = support_options(situation(&dana, &acme, &[]), &SupportPolicy::default());
        assert!(!options.may_open_case);
        assert_eq!(options.reason, Reason::InactiveUser);
        assert!(options.designated_contacts.is_empty());
    }

    #[test]
    fn r4_partner_users_open_cases_for_what_they_implemented() {
        let northwind = company("northwind", CompanyKind::Partner, "US");
        let pat = user("pat", &northwind, &[]);
        let redwood = CompanyRef {
            id: CompanyId("redwood".into()),
            name: "Redwood Dental LLC".into(),
        };
        let implemented = [redwood.clone()];
        let mut s = situation(&pat, &northwind, &[]);
        s.implemented = &implemented;
        let options = support_options(s, &SupportPolicy::default());
        assert!(options.may_open_case && options.may_call);
        assert_eq!(options.reason, Reason::PartnerUser);
        assert_eq!(options.open_for, vec![redwood]);

        let lonely = support_options(situation(&pat, &northwind, &[]), &SupportPolicy::default());
        assert_eq!(lonely.reason, Reason::PartnerWithoutCustomers);
        assert!(!lonely.may_open_case);
    }

    #[test]
    fn r4_partner_contact_comes_first() {
        let mut northwind = company("northwind", CompanyKind::Partner, "US");
        northwind.contact.email = Some(EmailAddress::parse("support@northwind.example").unwrap());
        let mut redwood = company("redwood", CompanyKind::Customer, "US");
        redwood.implemented_by = Some(northwind.id.clone());
        let rita = user("rita", &redwood, &[Role::DesignatedSupportUser]);
        let mut s = situation(&rita, &redwood, &[]);
        s.partner = Some(&northwind);
        let options = support_options(s, &SupportPolicy::default());
        let partner = options.partner_contact.expect("partner contact");
        assert_eq!(partner.company.id, northwind.id);
        assert_eq!(partner.contact.email.unwrap().as_str(), "support@northwind.example");
        assert!(options.may_open_case);

        // A partner that did not implement the company is not shown.
        let acme = company("acme", CompanyKind::Customer, "US");
        let dana = user("dana", &acme, &[Role::DesignatedSupportUser]);
        let mut s = situation(&dana, &acme, &[]);
        s.partner = Some(&northwind);
        assert!(support_options(s, &SupportPolicy::default()).partner_contact.is_none());
    }

    #[test]
    fn r5_account_manager_is_always_named() {
        let acme = company("acme", CompanyKind::Customer, "US");
        let ulysse = user("ulysse", &acme, &[]);
        let vendor = company("vendor", CompanyKind::Vendor, "US");
        let am = person(&user("am", &vendor, &[Role::AccountManager]));
        let mut s = situation(&ulysse, &acme, &[]);
        s.account_manager = Some(&am);
        let options = support_options(s, &SupportPolicy::default());
        assert!(!options.may_open_case);
        assert_eq!(options.account_manager, Some(am));
    }

    #[test]
    fn vendor_staff_answer_cases_rather_than_open_them() {
        let vendor = company("vendor", CompanyKind::Vendor, "US");
        let analyst = user("analyst", &vendor, &[Role::SupportAnalyst]);
        assert_eq!(
            may_contact(&analyst, &vendor, &[], &SupportPolicy::default()),
            Reason::VendorStaff
        );
    }

    #[test]
    fn r22_each_served_country_has_its_regions_phone() {
        let policy = SupportPolicy::default();
        let phone = |code: &str| {
            policy
                .region_of(&CountryCode::parse(code).unwrap())
                .map(|r| r.phone.as_str())
        };
        assert_eq!(phone("US"), Some("(877) 704-3700"));
        assert_eq!(phone("GB"), Some("+44 (0)19 1479 5990"));
        assert_eq!(phone("AU"), Some("+61 1300 729 330"));
        assert_eq!(phone("ZA"), Some("+27 (0)11 304 3220"));
        assert_eq!(phone("FR"), Some("01 70 73 16 40"));
        assert_eq!(phone("DE"), Some("+49 69 500076297"));
        assert_eq!(phone("JP"), None);
    }
}
