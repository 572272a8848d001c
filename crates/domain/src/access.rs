//! Who may read and change what. A caller that may not read something is
//! told it does not exist, so the existence of other companies' data never
//! leaks.

use crate::company::{Company, CompanyId, CompanyKind};
use crate::user::{Role, User, UserId};

/// What the access rules need to know of a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseAccess<'a> {
    pub company: &'a CompanyId,
    /// The partner that implemented the case's company.
    pub implemented_by: Option<&'a CompanyId>,
    pub opened_by: &'a UserId,
    /// The people copied on the case.
    pub contacts: &'a [UserId],
}

/// The authenticated caller, as the rules of this module need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub company_kind: CompanyKind,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn new(user: &User, company_kind: CompanyKind) -> Self {
        Self {
            user_id: user.id.clone(),
            company_id: user.company_id.clone(),
            company_kind,
            roles: user.roles.clone(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// R6: the vendor's people, whatever their role.
    pub fn is_vendor_staff(&self) -> bool {
        self.company_kind == CompanyKind::Vendor
    }

    /// Creates companies and users and sets roles.
    pub fn is_administrator(&self) -> bool {
        self.is_vendor_staff() && self.has(Role::Administrator)
    }

    /// Vendor staff read every company; a customer user reads its own; a
    /// partner user reads its own and the companies it implemented (R4).
    pub fn may_read_company(&self, company: &Company) -> bool {
        self.is_vendor_staff()
            || company.id == self.company_id
            || (self.company_kind == CompanyKind::Partner && company.implemented_by.as_ref() == Some(&self.company_id))
    }

    /// R2: a company's list of designated support users is for its
    /// designated users (and authorized managers) and the vendor's staff.
    pub fn may_list_designated_users(&self, company: &Company) -> bool {
        self.is_vendor_staff()
            || (company.id == self.company_id
                && (self.has(Role::DesignatedSupportUser) || self.has(Role::AuthorizedManager)))
    }

    /// Everyone reads themselves; vendor staff read everyone; a company's
    /// designated users and authorized managers read its other users.
    pub fn may_read_user(&self, user: &User) -> bool {
        user.id == self.user_id
            || self.is_vendor_staff()
            || (user.company_id == self.company_id
                && (self.has(Role::DesignatedSupportUser) || self.has(Role::AuthorizedManager)))
    }
}

impl Actor {
    /// Who sees a case: vendor staff all; a company's designated users all
    /// of its cases; other customer users the cases they opened or are
    /// copied on; partner users the cases of the companies they implemented.
    pub fn may_read_case(&self, case: CaseAccess<'_>) -> bool {
        let involved = case.opened_by == &self.user_id || case.contacts.contains(&self.user_id);
        match self.company_kind {
            CompanyKind::Vendor => true,
            CompanyKind::Customer => {
                case.company == &self.company_id && (involved || self.has(Role::DesignatedSupportUser))
            }
            CompanyKind::Partner => involved || case.implemented_by == Some(&self.company_id),
        }
    }

    /// R16: analysts (and their managers) answer cases publicly.
    pub fn answers_cases(&self) -> bool {
        self.is_vendor_staff() && (self.has(Role::SupportAnalyst) || self.has(Role::SupportManager))
    }

    /// R20: support managers review escalation requests and see every queue.
    pub fn manages_support(&self) -> bool {
        self.is_vendor_staff() && self.has(Role::SupportManager)
    }

    /// R18: the experts an analyst can bring in.
    pub fn is_expert(&self) -> bool {
        self.is_vendor_staff()
            && (self.has(Role::SupportCoach) || self.has(Role::ProductManagement) || self.has(Role::Engineering))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::{CompanyContact, CompanyName, SlaTier};
    use crate::country::CountryCode;
    use crate::email::EmailAddress;
    use crate::user::{DisplayName, Language};

    fn company(id: &str, kind: CompanyKind, implemented_by: Option<&str>) -> Company {
        let country = CountryCode::parse("US").unwrap();
        Company {
            id: CompanyId(id.into()),
            kind,
            name: CompanyName::parse(id).unwrap(),
            time_zone: country.default_time_zone(),
            country,
            products: vec![],
            sla_tier: SlaTier::from_stored("standard".into()),
            email_domains: vec![],
            account_manager: None,
            implemented_by: implemented_by.map(|id| CompanyId(id.into())),
            contact: CompanyContact::default(),
            subdivision: None,
            closed_dates: Vec::new(),
        }
    }

    fn user(id: &str, company: &str, roles: &[Role]) -> User {
        User {
            id: UserId(id.into()),
            company_id: CompanyId(company.into()),
            email: EmailAddress::parse(&format!("{id}@x.example")).unwrap(),
            display_name: DisplayName::parse(id).unwrap(),
            language: Language::En,
            active: true,
            roles: roles.to_vec(),
            skills: vec![],
        }
    }

    fn actor(id: &str, company: &str, kind: CompanyKind, roles: &[Role]) -> Actor {
        Actor::new(&user(id, company, roles), kind)
    }

    #[test]
    fn customers_read_only_their_own_company() {
        let acme = company("acme", CompanyKind::Customer, None);
        let lumiere = company("lumiere", CompanyKind::Customer, None);
        let ulysse = actor("ulysse", "acme", CompanyKind::Customer, &[]);
        assert!(ulysse.may_read_company(&acme));
        assert!(!ulysse.may_read_company(&lumiere));
    }

    #[test]
    fn partners_read_what_they_implemented() {
        let redwood = company("redwood", CompanyKind::Customer, Some("northwind"));
        let acme = company("acme", CompanyKind::Customer, None);
        let pat = actor("pat", "northwind", CompanyKind::Partner, &[]);
        assert!(pat.may_read_company(&redwood));
        assert!(!pat.may_read_company(&acme));
        // A customer that names a company as implementer does not make it a partner.
        let sneaky = actor("x", "northwind", CompanyKind::Customer, &[]);
        assert!(!sneaky.may_read_company(&redwood));
    }

    #[test]
    fn r2_designated_list_is_for_designated_users_and_staff() {
        let acme = company("acme", CompanyKind::Customer, None);
        let dana = actor("dana", "acme", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let ulysse = actor("ulysse", "acme", CompanyKind::Customer, &[]);
        let chef = actor("chef", "lumiere", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let analyst = actor("analyst", "vendor", CompanyKind::Vendor, &[Role::SupportAnalyst]);
        assert!(dana.may_list_designated_users(&acme));
        assert!(analyst.may_list_designated_users(&acme));
        assert!(!ulysse.may_list_designated_users(&acme));
        assert!(!chef.may_list_designated_users(&acme));
    }

    #[test]
    fn users_are_read_by_themselves_their_designated_users_and_staff() {
        let ulysse = user("ulysse", "acme", &[]);
        let dana = actor("dana", "acme", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let sam = actor("sam", "acme", CompanyKind::Customer, &[]);
        let chef = actor("chef", "lumiere", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        assert!(Actor::new(&ulysse, CompanyKind::Customer).may_read_user(&ulysse));
        assert!(dana.may_read_user(&ulysse));
        assert!(!sam.may_read_user(&ulysse));
        assert!(!chef.may_read_user(&ulysse));
    }

    #[test]
    fn cases_are_seen_by_their_company_as_r2_says_and_by_the_partner() {
        let acme = CompanyId("acme".into());
        let northwind = CompanyId("northwind".into());
        let ulysse_id = UserId("ulysse".into());
        let contacts = [UserId("copied".into())];
        let case = CaseAccess {
            company: &acme,
            implemented_by: Some(&northwind),
            opened_by: &ulysse_id,
            contacts: &contacts,
        };
        let dana = actor("dana", "acme", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let ulysse = actor("ulysse", "acme", CompanyKind::Customer, &[]);
        let copied = actor("copied", "acme", CompanyKind::Customer, &[]);
        let colleague = actor("sam", "acme", CompanyKind::Customer, &[]);
        let chef = actor("chef", "lumiere", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        let pat = actor("pat", "northwind", CompanyKind::Partner, &[]);
        let other_partner = actor("x", "contoso", CompanyKind::Partner, &[]);
        let analyst = actor("analyst", "vendor", CompanyKind::Vendor, &[Role::SupportAnalyst]);
        for (who, sees) in [
            (&dana, true),
            (&ulysse, true),
            (&copied, true),
            (&colleague, false),
            (&chef, false),
            (&pat, true),
            (&other_partner, false),
            (&analyst, true),
        ] {
            assert_eq!(who.may_read_case(case), sees, "{}", who.user_id);
        }
    }

    #[test]
    fn staff_roles_answer_review_and_advise() {
        let analyst = actor("a", "vendor", CompanyKind::Vendor, &[Role::SupportAnalyst]);
        let lead = actor("l", "vendor", CompanyKind::Vendor, &[Role::SupportManager]);
        let coach = actor("c", "vendor", CompanyKind::Vendor, &[Role::SupportCoach]);
        let dana = actor("d", "acme", CompanyKind::Customer, &[Role::DesignatedSupportUser]);
        assert!(analyst.answers_cases() && lead.answers_cases() && !coach.answers_cases() && !dana.answers_cases());
        assert!(lead.manages_support() && !analyst.manages_support());
        assert!(coach.is_expert() && !analyst.is_expert());
    }

    #[test]
    fn only_vendor_administrators_administer() {
        assert!(actor("admin", "vendor", CompanyKind::Vendor, &[Role::Administrator]).is_administrator());
        assert!(!actor("lead", "vendor", CompanyKind::Vendor, &[Role::SupportManager]).is_administrator());
        // Roles are checked on write, but the rule does not rely on it.
        assert!(!actor("x", "acme", CompanyKind::Customer, &[Role::Administrator]).is_administrator());
    }
}
