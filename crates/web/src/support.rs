//! Gathers what the contact rule needs (R3, R4, R5, R22) and asks the
//! domain; the API and the portal both show its answer.

use guichet_domain::company::CompanyKind;
use guichet_domain::contact::{self, Person, Situation, SupportOptions};
use guichet_domain::user::{Role, User};
use guichet_store::StoreError;

use crate::AppState;
use crate::auth::Caller;
use crate::i18n::Tr;

pub(crate) fn person(user: &User) -> Person {
    Person {
        id: user.id.clone(),
        name: user.display_name.as_str().to_owned(),
        email: user.email.clone(),
    }
}

pub(crate) async fn support_options(state: &AppState, caller: &Caller) -> Result<SupportOptions, StoreError> {
    let company = &caller.company;
    let designated: Vec<Person> = state
        .store
        .users_with_role(&company.id, Role::DesignatedSupportUser)
        .await?
        .iter()
        .filter(|user| user.active)
        .map(person)
        .collect();
    let partner = match &company.implemented_by {
        Some(id) => state.store.company(id).await?,
        None => None,
    };
    let implemented = if company.kind == CompanyKind::Partner {
        state.store.implemented_by(&company.id).await?
    } else {
        Vec::new()
    };
    let account_manager = match &company.account_manager {
        Some(id) => state.store.user(id).await?.map(|user| person(&user)),
        None => None,
    };
    Ok(contact::support_options(
        Situation {
            user: &caller.user,
            company,
            designated_users: &designated,
            partner: partner.as_ref(),
            implemented: &implemented,
            account_manager: account_manager.as_ref(),
        },
        &state.policy,
    ))
}

/// The sentence that explains a reason, in the reader's language.
pub(crate) fn explain(tr: &Tr, options: &SupportOptions) -> String {
    use contact::Reason::*;
    match options.reason {
        DesignatedUser => tr.t("reason-designated-user"),
        ActiveUser => tr.t("reason-active-user"),
        PartnerUser => tr.t("reason-partner-user"),
        DesignatedContactRequired => tr.t("reason-designated-contact-required"),
        InactiveUser => tr.t("reason-inactive-user"),
        PartnerWithoutCustomers => tr.t("reason-partner-without-customers"),
        VendorStaff => tr.t("reason-vendor-staff"),
    }
}
