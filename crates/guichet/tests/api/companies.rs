//! Companies and users: who reads what (404 across companies), and what
//! vendor administrators may change.

use reqwest::{Method, StatusCode};
use serde_json::json as body;

use crate::helpers::{App, json, on_each_engine, problem};

#[tokio::test]
async fn a_customer_never_sees_another_companys_data() {
    on_each_engine(|app| async move {
        let lumiere = app.company_id("Bistro Lumière SARL").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let chef = app.user_id("chef@lumiere.example").await;
        let dana = app.token("dana@acme.example").await;

        for path in [
            format!("/api/v1/companies/{lumiere}"),
            format!("/api/v1/companies/{lumiere}/users"),
            format!("/api/v1/companies/{lumiere}/designated-users"),
            format!("/api/v1/users/{chef}"),
            // What does not exist answers the same.
            "/api/v1/companies/00000000000000000000000000000000".to_owned(),
            "/api/v1/users/00000000000000000000000000000000".to_owned(),
        ] {
            problem(app.get(&path, &dana).await, StatusCode::NOT_FOUND, "not_found").await;
        }
        let own = json(app.get(&format!("/api/v1/companies/{acme}"), &dana).await).await;
        assert_eq!(own["name"], "Acme Outdoor Inc.");
        assert_eq!(own["products"], body!(["financials", "time"]));
        assert_eq!(own["email_domains"], body!(["acme.example"]));
        let listed = json(app.get("/api/v1/companies", &dana).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], acme.as_str());
    })
    .await;
}

#[tokio::test]
async fn r4_partners_see_what_they_implemented_and_nothing_else() {
    on_each_engine(|app| async move {
        let pat = app.token("pat@northwind.example").await;
        let redwood = app.company_id("Redwood Dental LLC").await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let company = json(app.get(&format!("/api/v1/companies/{redwood}"), &pat).await).await;
        assert_eq!(company["name"], "Redwood Dental LLC");
        problem(
            app.get(&format!("/api/v1/companies/{acme}"), &pat).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let listed = json(app.get("/api/v1/companies", &pat).await).await;
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Northwind Partners", "Redwood Dental LLC"]);
        let rita = app.user_id("rita@redwood.example").await;
        problem(
            app.get(&format!("/api/v1/users/{rita}"), &pat).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn r2_designated_users_are_listed_for_designated_users_and_staff() {
    on_each_engine(|app| async move {
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let path = format!("/api/v1/companies/{acme}/designated-users");
        let dana = app.token("dana@acme.example").await;
        let listed = json(app.get(&path, &dana).await).await;
        assert_eq!(
            listed,
            body!([{
                "id": app.user_id("dana@acme.example").await,
                "display_name": "Dana Whitfield",
                "email": "dana@acme.example",
                "active": true,
                "authorized_manager": true,
            }])
        );
        let analyst = app.token("analyst@support.example").await;
        assert_eq!(app.get(&path, &analyst).await.status(), StatusCode::OK);
        let ulysse = app.token("ulysse@acme.example").await;
        problem(
            app.get(&path, &ulysse).await,
            StatusCode::FORBIDDEN,
            "designated_users_only",
        )
        .await;
        problem(
            app.get(&format!("/api/v1/companies/{acme}/users"), &ulysse).await,
            StatusCode::FORBIDDEN,
            "designated_users_only",
        )
        .await;
        let users = json(app.get(&format!("/api/v1/companies/{acme}/users"), &dana).await).await;
        assert_eq!(users.as_array().unwrap().len(), 3);
        // A colleague's record is for the company's designated users.
        let ulysse_id = app.user_id("ulysse@acme.example").await;
        assert_eq!(
            app.get(&format!("/api/v1/users/{ulysse_id}"), &dana).await.status(),
            StatusCode::OK
        );
        let dana_id = app.user_id("dana@acme.example").await;
        problem(
            app.get(&format!("/api/v1/users/{dana_id}"), &ulysse).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    })
    .await;
}

async fn company_count(app: &App, admin: &str) -> usize {
    json(app.get("/api/v1/companies", admin).await)
        .await
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn administrators_create_companies_and_users_and_set_roles() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let northwind = app.company_id("Northwind Partners").await;
        let am = app.user_id("am@support.example").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/companies",
                Some(&admin),
                body!({
                    "name": "Maple Syrup Co.",
                    "country": "ca",
                    "products": ["time"],
                    "sla_tier": "Premium",
                    "email_domains": ["Maple.example"],
                    "account_manager_id": am,
                    "implemented_by": northwind,
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let maple = json(response).await;
        assert_eq!(maple["country"], "CA");
        assert_eq!(maple["time_zone"], "America/Toronto");
        assert_eq!(maple["sla_tier"], "premium");
        assert_eq!(maple["kind"], "customer");
        assert_eq!(maple["email_domains"], body!(["maple.example"]));
        let maple_id = maple["id"].as_str().unwrap().to_owned();

        let response = app
            .send_json(
                Method::POST,
                "/api/v1/users",
                Some(&admin),
                body!({
                    "company_id": maple_id,
                    "email": "jean@maple.example",
                    "display_name": "Jean Tremblay",
                    "language": "fr",
                    "password": "a long enough password",
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let jean = json(response).await;
        assert_eq!(jean["roles"], body!([]));
        let jean_id = jean["id"].as_str().unwrap().to_owned();
        // Jean signs in and may contact support (CA is not designation-only).
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/auth/token",
                None,
                body!({"email": "jean@maple.example", "password": "a long enough password"}),
            )
            .await;
        let token = json(response).await["token"].as_str().unwrap().to_owned();
        let options = json(app.get("/api/v1/me/support-options", &token).await).await;
        assert_eq!(options["reason"], "active_user");
        assert_eq!(options["phone"]["number"], "(877) 704-3700");
        assert_eq!(options["partner_contact"]["company"]["name"], "Northwind Partners");

        // A new password revokes the old tokens.
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{jean_id}"),
                Some(&admin),
                body!({"password": "another long password"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        problem(
            app.get("/api/v1/me", &token).await,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        )
        .await;

        // Onboarding: the administrator names Maple's first authorized manager.
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{jean_id}"),
                Some(&admin),
                body!({"roles": ["designated_support_user", "authorized_manager"]}),
            )
            .await;
        assert_eq!(
            json(response).await["roles"],
            body!(["designated_support_user", "authorized_manager"])
        );

        // From then on Maple decides who gets in (R25): no new password
        // without an authorization request, while taking access away stays
        // the administrators' to do.
        problem(
            app.send_json(
                Method::PATCH,
                &format!("/api/v1/users/{jean_id}"),
                Some(&admin),
                body!({"password": "a third long password"}),
            )
            .await,
            StatusCode::CONFLICT,
            "authorization_required",
        )
        .await;

        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/companies/{maple_id}"),
                Some(&admin),
                body!({"implemented_by": null, "contact": {"email": "help@maple.example"}, "country": "FR"}),
            )
            .await;
        let changed = json(response).await;
        assert_eq!(changed["implemented_by"], serde_json::Value::Null);
        assert_eq!(changed["contact"]["email"], "help@maple.example");
        assert_eq!(changed["time_zone"], "Europe/Paris");
        assert_eq!(changed["name"], "Maple Syrup Co.");

        let analyst = app.user_id("analyst2@support.example").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{analyst}"),
                Some(&admin),
                body!({"skills": ["financials.general_ledger", "time"]}),
            )
            .await;
        assert_eq!(
            json(response).await["skills"],
            body!(["financials.general_ledger", "time"])
        );
    })
    .await;
}

#[tokio::test]
async fn only_administrators_change_companies_and_users() {
    on_each_engine(|app| async move {
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let dana = app.token("dana@acme.example").await;
        let lead = app.token("lead@support.example").await;
        for token in [&dana, &lead] {
            let response = app
                .send_json(
                    Method::POST,
                    "/api/v1/companies",
                    Some(token),
                    body!({"name": "X", "country": "FR"}),
                )
                .await;
            problem(response, StatusCode::FORBIDDEN, "administrator_required").await;
            let response = app
                .send_json(
                    Method::PATCH,
                    &format!("/api/v1/companies/{acme}"),
                    Some(token),
                    body!({"name": "Mine"}),
                )
                .await;
            problem(response, StatusCode::FORBIDDEN, "administrator_required").await;
            let ulysse = app.user_id("ulysse@acme.example").await;
            let response = app
                .send_json(
                    Method::PATCH,
                    &format!("/api/v1/users/{ulysse}"),
                    Some(token),
                    body!({"roles": ["designated_support_user"]}),
                )
                .await;
            problem(response, StatusCode::FORBIDDEN, "administrator_required").await;
        }
        // A customer changing another company's data learns nothing of it.
        let lumiere = app.company_id("Bistro Lumière SARL").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/companies/{lumiere}"),
                Some(&dana),
                body!({"name": "Mine"}),
            )
            .await;
        problem(response, StatusCode::NOT_FOUND, "not_found").await;
    })
    .await;
}

#[tokio::test]
async fn bad_company_and_user_input_is_refused_and_nothing_is_stored() {
    on_each_engine(|app| async move {
        let admin = app.token("admin@support.example").await;
        let before = company_count(&app, &admin).await;
        let acme = app.company_id("Acme Outdoor Inc.").await;
        let cases = [
            (
                body!({"country": "FR"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_name",
            ),
            (
                body!({"name": "X", "country": "XX"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_country",
            ),
            (
                body!({"name": "X", "country": "FRA"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_country",
            ),
            (
                body!({"name": "X", "country": "FR", "time_zone": "Europe/Atlantis"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_time_zone",
            ),
            (
                body!({"name": "X", "country": "FR", "products": ["payroll"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_product",
            ),
            (
                body!({"name": "X", "country": "FR", "sla_tier": "gold"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_sla_tier",
            ),
            (
                body!({"name": "X", "country": "FR", "email_domains": ["not a domain"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_email_domain",
            ),
            (
                body!({"name": "X", "country": "FR", "implemented_by": acme}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_implemented_by",
            ),
            (
                body!({"name": "X", "country": "FR", "account_manager_id": "nobody"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_account_manager_id",
            ),
            (
                body!({"name": "X", "country": "FR", "kind": "vendor"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_kind",
            ),
            (
                body!({"name": "X", "country": "FR", "contact": {"phone": "call me"}}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_contact_phone",
            ),
            (
                body!({"name": "x".repeat(201), "country": "FR"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_name",
            ),
            (
                body!({"name": "Acme Outdoor Inc.", "country": "US"}),
                StatusCode::CONFLICT,
                "name_taken",
            ),
            (
                body!({"name": "X", "country": "US", "email_domains": ["acme.example"]}),
                StatusCode::CONFLICT,
                "email_domain_taken",
            ),
        ];
        for (input, status, code) in cases {
            let response = app
                .send_json(Method::POST, "/api/v1/companies", Some(&admin), input.clone())
                .await;
            let problem = problem(response, status, code).await;
            assert!(problem["field"].is_string(), "{input} → {problem}");
        }
        assert_eq!(company_count(&app, &admin).await, before);

        let users = [
            (
                body!({"company_id": acme, "email": "x@elsewhere.example", "display_name": "X"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_email",
            ),
            (
                body!({"company_id": acme, "email": "x@acme.example", "display_name": "X", "roles": ["administrator"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_roles",
            ),
            (
                body!({"company_id": acme, "email": "x@acme.example", "display_name": "X", "roles": ["king"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_roles",
            ),
            (
                body!({"company_id": acme, "email": "x@acme.example", "display_name": "X", "skills": ["time"]}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_skills",
            ),
            (
                body!({"company_id": acme, "email": "x@acme.example", "display_name": "X", "password": "short"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_password",
            ),
            (
                body!({"company_id": acme, "email": "x@acme.example"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_display_name",
            ),
            (
                body!({"company_id": "nope", "email": "x@acme.example", "display_name": "X"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_company_id",
            ),
            (
                body!({"company_id": acme, "email": "dana@acme.example", "display_name": "Dana 2"}),
                StatusCode::CONFLICT,
                "email_taken",
            ),
        ];
        for (input, status, code) in users {
            let response = app.send_json(Method::POST, "/api/v1/users", Some(&admin), input).await;
            problem(response, status, code).await;
        }
        let dana = app.token("dana@acme.example").await;
        let listed = json(app.get(&format!("/api/v1/companies/{acme}/users"), &dana).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 3, "no user was added");

        // Administrators keep their own access.
        let me = app.user_id("admin@support.example").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{me}"),
                Some(&admin),
                body!({"roles": []}),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_roles").await;
        let analyst = app.user_id("analyst@support.example").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{analyst}"),
                Some(&admin),
                body!({"skills": ["payroll"]}),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_skills").await;
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{analyst}"),
                Some(&admin),
                body!({"email": "new@support.example"}),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_email").await;
    })
    .await;
}

#[tokio::test]
async fn the_catalogue_lists_products_and_their_areas() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let products = json(app.get("/api/v1/products", &marie).await).await;
        assert_eq!(products[0]["key"], "financials");
        assert_eq!(products[0]["areas"].as_array().unwrap().len(), 5);
        assert_eq!(products[1]["key"], "time");
        assert_eq!(products[1]["name"], "Intelligent Time");
        let admin = app.token("admin@support.example").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/products",
                Some(&admin),
                body!({"key": "payroll", "name": "Payroll", "areas": [{"key": "runs", "name": "Pay runs"}]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/products",
                Some(&admin),
                body!({"key": "payroll", "name": "Payroll again"}),
            )
            .await;
        problem(response, StatusCode::CONFLICT, "product_taken").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/products",
                Some(&marie),
                body!({"key": "x", "name": "X"}),
            )
            .await;
        problem(response, StatusCode::FORBIDDEN, "administrator_required").await;
    })
    .await;
}
