//! `GET /api/v1/me/support-options` for the demo's people (R3, R4, R5, R22).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{App, json, on_each_engine};

async fn options(app: &App, email: &str) -> Value {
    let token = app.token(email).await;
    let response = app.get("/api/v1/me/support-options", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

#[tokio::test]
async fn r3_us_users_must_be_designated_elsewhere_any_active_user_may() {
    on_each_engine(|app| async move {
        let ulysse = options(&app, "ulysse@acme.example").await;
        assert_eq!(ulysse["may_open_case"], false);
        assert_eq!(ulysse["may_call"], false);
        assert_eq!(ulysse["reason"], "designated_contact_required");
        let contacts = ulysse["designated_contacts"].as_array().unwrap();
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0]["email"], "dana@acme.example");
        assert_eq!(contacts[0]["name"], "Dana Whitfield");
        assert_eq!(ulysse["phone"]["number"], "(877) 704-3700");
        assert_eq!(ulysse["account_manager"]["email"], "am@support.example");
        assert!(ulysse["open_for"].as_array().unwrap().is_empty());

        let dana = options(&app, "dana@acme.example").await;
        assert_eq!(dana["may_open_case"], true);
        assert_eq!(dana["reason"], "designated_user");
        assert_eq!(dana["open_for"][0]["name"], "Acme Outdoor Inc.");
        assert!(dana["designated_contacts"].as_array().unwrap().is_empty());

        let marie = options(&app, "marie@lumiere.example").await;
        assert_eq!(marie["may_open_case"], true);
        assert_eq!(marie["reason"], "active_user");
        assert_eq!(marie["phone"]["number"], "01 70 73 16 40");
        assert_eq!(marie["account_manager"]["name"], "Claire Fontaine");
        // In her language.
        assert!(
            marie["explanation"]
                .as_str()
                .unwrap()
                .contains("Tout utilisateur actif"),
            "{marie}"
        );
    })
    .await;
}

#[tokio::test]
async fn r22_each_region_gets_its_phone_line() {
    on_each_engine(|app| async move {
        for (email, number) in [
            ("bruce@koala.example", "+61 1300 729 330"),
            ("fiona@thistle.example", "+44 (0)19 1479 5990"),
            ("thabo@springbok.example", "+27 (0)11 304 3220"),
            ("jonas@brezel.example", "+49 69 500076297"),
        ] {
            let options = options(&app, email).await;
            assert_eq!(options["phone"]["number"], number, "{email}");
            assert_eq!(options["may_open_case"], true, "{email}");
        }
    })
    .await;
}

#[tokio::test]
async fn r4_partners_open_cases_for_their_customers_who_see_the_partner_first() {
    on_each_engine(|app| async move {
        let redwood = app.company_id("Redwood Dental LLC").await;
        let pat = options(&app, "pat@northwind.example").await;
        assert_eq!(pat["may_open_case"], true);
        assert_eq!(pat["may_call"], true);
        assert_eq!(pat["reason"], "partner_user");
        assert_eq!(
            pat["open_for"],
            serde_json::json!([{"id": redwood, "name": "Redwood Dental LLC"}])
        );

        let rita = options(&app, "rita@redwood.example").await;
        assert_eq!(rita["may_open_case"], true);
        let partner = &rita["partner_contact"];
        assert_eq!(partner["company"]["name"], "Northwind Partners");
        assert_eq!(partner["email"], "support@northwind.example");
        assert_eq!(partner["phone"], "+1 (415) 555-0142");

        let sam = options(&app, "sam@redwood.example").await;
        assert_eq!(sam["reason"], "designated_contact_required");
        assert_eq!(sam["partner_contact"]["company"]["name"], "Northwind Partners");
        assert_eq!(sam["designated_contacts"][0]["email"], "rita@redwood.example");

        let dana = options(&app, "dana@acme.example").await;
        assert_eq!(dana["partner_contact"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn inactive_users_and_staff_may_not_open_cases() {
    on_each_engine(|app| async move {
        let oscar = options(&app, "oscar@acme.example").await;
        assert_eq!(oscar["may_open_case"], false);
        assert_eq!(oscar["reason"], "inactive_user");
        assert!(oscar["designated_contacts"].as_array().unwrap().is_empty());

        let analyst = options(&app, "analyst@support.example").await;
        assert_eq!(analyst["may_open_case"], false);
        assert_eq!(analyst["reason"], "vendor_staff");
    })
    .await;
}

#[tokio::test]
async fn deactivating_the_designated_user_leaves_no_one_to_go_through() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let dana = app.user_id("dana@acme.example").await;
        let response = app
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{dana}"),
                Some(&admin),
                serde_json::json!({"active": false}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let ulysse = options(&app, "ulysse@acme.example").await;
        assert_eq!(ulysse["reason"], "designated_contact_required");
        assert!(ulysse["designated_contacts"].as_array().unwrap().is_empty());
        let dana_now = options(&app, "dana@acme.example").await;
        assert_eq!(dana_now["reason"], "inactive_user");
    })
    .await;
}
