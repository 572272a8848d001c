//! Stories over the store, each run on every engine.

use guichet_domain::company::{Company, CompanyContact, CompanyId, CompanyKind, CompanyName, SlaTier};
use guichet_domain::country::CountryCode;
use guichet_domain::email::{EmailAddress, EmailDomain};
use guichet_domain::login::{Failures, ThrottlePolicy, record_failure};
use guichet_domain::product::{AreaKey, Product, ProductArea, ProductKey, Skill};
use guichet_domain::user::{DisplayName, Language, Role, User, UserId};
use jiff::{SignedDuration, Timestamp};

use crate::testing::{TestDatabase, on_each_engine};
use crate::{ApiToken, CompanyScope, StoreError, TokenId, new_id};

pub(super) fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

pub(super) fn product(key: &str, areas: &[&str]) -> Product {
    Product {
        key: ProductKey::parse(key).unwrap(),
        name: key.to_uppercase(),
        areas: areas
            .iter()
            .map(|area| ProductArea {
                key: AreaKey::parse(area).unwrap(),
                name: area.replace('_', " "),
            })
            .collect(),
    }
}

pub(super) fn company(name: &str, kind: CompanyKind, domain: &str) -> Company {
    let country = CountryCode::parse("FR").unwrap();
    Company {
        id: CompanyId(new_id()),
        kind,
        name: CompanyName::parse(name).unwrap(),
        time_zone: country.default_time_zone(),
        country,
        products: vec![ProductKey::parse("financials").unwrap()],
        sla_tier: SlaTier::from_stored("premium".into()),
        email_domains: vec![EmailDomain::parse(domain).unwrap()],
        account_manager: None,
        implemented_by: None,
        contact: CompanyContact::default(),
        subdivision: None,
        closed_dates: Vec::new(),
    }
}

pub(super) fn user(company: &Company, email: &str, roles: &[Role]) -> User {
    User {
        id: UserId(new_id()),
        company_id: company.id.clone(),
        email: EmailAddress::parse(email).unwrap(),
        display_name: DisplayName::parse(email.split('@').next().unwrap()).unwrap(),
        language: Language::Fr,
        active: true,
        roles: roles.to_vec(),
        skills: vec![],
    }
}

#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let sqlite = TestDatabase::sqlite();
    let sqlite_schema = sqlite.store().await.schema().await.unwrap();
    assert!(sqlite_schema.iter().any(|(table, _)| table == "companies"));
    let Some(postgres) = TestDatabase::postgres().await else {
        eprintln!("GUICHET_TEST_POSTGRES_URL is not set: comparing with PostgreSQL skipped");
        return;
    };
    let store = postgres.store().await;
    let postgres_schema = store.schema().await.unwrap();
    store.close().await;
    postgres.remove().await;
    assert_eq!(sqlite_schema, postgres_schema);
}

#[tokio::test]
async fn r1_companies_keep_their_products_domains_and_partner() {
    on_each_engine(|store| async move {
        store
            .create_product(&product("financials", &["general_ledger", "reporting"]))
            .await
            .unwrap();
        store.create_product(&product("time", &["timesheets"])).await.unwrap();
        let products = store.products().await.unwrap();
        assert_eq!(
            products.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
            ["financials", "time"]
        );
        assert_eq!(products[0].areas[1].key.as_str(), "reporting");
        assert!(matches!(
            store.create_product(&product("time", &[])).await,
            Err(StoreError::Conflict("product"))
        ));

        let partner = company("Northwind Partners", CompanyKind::Partner, "northwind.example");
        store.create_company(&partner, now()).await.unwrap();
        let mut customer = company("Redwood Dental LLC", CompanyKind::Customer, "redwood.example");
        customer.implemented_by = Some(partner.id.clone());
        customer.products.push(ProductKey::parse("time").unwrap());
        customer
            .email_domains
            .push(EmailDomain::parse("redwood-dental.example").unwrap());
        customer.email_domains.sort(); // read back sorted
        customer.contact.email = Some(EmailAddress::parse("help@redwood.example").unwrap());
        store.create_company(&customer, now()).await.unwrap();
        let other = company("Acme Outdoor Inc.", CompanyKind::Customer, "acme.example");
        store.create_company(&other, now()).await.unwrap();

        let stored = store.company(&customer.id).await.unwrap().unwrap();
        assert_eq!(stored, customer);
        assert_eq!(
            store.company_by_name("Redwood Dental LLC").await.unwrap(),
            Some(customer.clone())
        );

        let names = |companies: Vec<Company>| {
            companies
                .into_iter()
                .map(|c| c.name.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(store.companies(&CompanyScope::All).await.unwrap()).len(), 3);
        assert_eq!(
            names(
                store
                    .companies(&CompanyScope::PartnerOf(partner.id.clone()))
                    .await
                    .unwrap()
            ),
            ["Northwind Partners", "Redwood Dental LLC"]
        );
        assert_eq!(
            names(store.companies(&CompanyScope::Only(other.id.clone())).await.unwrap()),
            ["Acme Outdoor Inc."]
        );
        let implemented = store.implemented_by(&partner.id).await.unwrap();
        assert_eq!(implemented.len(), 1);
        assert_eq!(implemented[0].id, customer.id);

        // A verified domain belongs to one company; nothing half-written stays.
        let mut thief = company("Thief Ltd", CompanyKind::Customer, "thief.example");
        thief.email_domains.push(EmailDomain::parse("acme.example").unwrap());
        assert!(matches!(
            store.create_company(&thief, now()).await,
            Err(StoreError::Conflict("email_domain"))
        ));
        assert_eq!(store.company(&thief.id).await.unwrap(), None);

        let mut unknown_product = company("Nowhere SA", CompanyKind::Customer, "nowhere.example");
        unknown_product.products = vec![ProductKey::parse("payroll").unwrap()];
        assert!(matches!(
            store.create_company(&unknown_product, now()).await,
            Err(StoreError::Dangling("product"))
        ));
        assert_eq!(store.company(&unknown_product.id).await.unwrap(), None);

        // A company's own calendar: a subdivision and closed days.
        let christmas_eve: jiff::civil::Date = "2026-12-24".parse().unwrap();
        let new_years_eve: jiff::civil::Date = "2026-12-31".parse().unwrap();
        let added = store
            .add_closures(
                &customer.id,
                &[(new_years_eve, "Inventory".into()), (christmas_eve, "Party".into())],
            )
            .await
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(
            store
                .add_closures(&customer.id, &[(christmas_eve, "Again".into())])
                .await
                .unwrap(),
            0
        );
        let closures = store.closures(&customer.id).await.unwrap();
        assert_eq!(
            closures,
            vec![
                (christmas_eve, "Party".to_owned()),
                (new_years_eve, "Inventory".to_owned())
            ]
        );
        customer.closed_dates = vec![christmas_eve, new_years_eve];
        customer.subdivision = Some("NSW".into());
        store.update_company(&customer, now()).await.unwrap();
        assert_eq!(store.company(&customer.id).await.unwrap(), Some(customer.clone()));
        assert!(store.remove_closure(&customer.id, christmas_eve).await.unwrap());
        assert!(!store.remove_closure(&customer.id, christmas_eve).await.unwrap());
        customer.closed_dates = vec![new_years_eve];
        assert_eq!(store.company(&customer.id).await.unwrap(), Some(customer.clone()));

        let mut renamed = customer.clone();
        renamed.name = CompanyName::parse("Redwood Dental Group LLC").unwrap();
        renamed.products = vec![ProductKey::parse("time").unwrap()];
        renamed.email_domains = vec![EmailDomain::parse("redwood.example").unwrap()];
        store.update_company(&renamed, now()).await.unwrap();
        assert_eq!(store.company(&customer.id).await.unwrap(), Some(renamed));
        assert!(matches!(
            store
                .create_company(
                    &company("Acme Outdoor Inc.", CompanyKind::Customer, "acme2.example"),
                    now()
                )
                .await,
            Err(StoreError::Conflict("name"))
        ));
    })
    .await;
}

#[tokio::test]
async fn r2_users_keep_roles_skills_and_language() {
    on_each_engine(|store| async move {
        store
            .create_product(&product("financials", &["general_ledger"]))
            .await
            .unwrap();
        let acme = company("Acme Outdoor Inc.", CompanyKind::Customer, "acme.example");
        store.create_company(&acme, now()).await.unwrap();
        let vendor = company("Support", CompanyKind::Vendor, "support.example");
        store.create_company(&vendor, now()).await.unwrap();

        let dana = user(
            &acme,
            "dana@acme.example",
            &[Role::DesignatedSupportUser, Role::AuthorizedManager],
        );
        let ulysse = user(&acme, "ulysse@acme.example", &[]);
        let mut analyst = user(&vendor, "analyst@support.example", &[Role::SupportAnalyst]);
        analyst.skills = vec![
            Skill::parse("financials").unwrap(),
            Skill::parse("financials.general_ledger").unwrap(),
        ];
        store.create_user(&dana, Some("$argon2id$hash"), now()).await.unwrap();
        store.create_user(&ulysse, None, now()).await.unwrap();
        store.create_user(&analyst, None, now()).await.unwrap();

        assert_eq!(store.user(&dana.id).await.unwrap(), Some(dana.clone()));
        assert_eq!(store.user(&analyst.id).await.unwrap(), Some(analyst.clone()));
        assert_eq!(store.user_by_email(&ulysse.email).await.unwrap(), Some(ulysse.clone()));
        assert_eq!(
            store.users_of(&acme.id).await.unwrap(),
            vec![dana.clone(), ulysse.clone()]
        );
        assert_eq!(
            store
                .users_with_role(&acme.id, Role::DesignatedSupportUser)
                .await
                .unwrap(),
            vec![dana.clone()]
        );
        let credentials = store.credentials(&dana.email).await.unwrap().unwrap();
        assert_eq!(credentials.password_hash.as_deref(), Some("$argon2id$hash"));
        assert!(
            store
                .credentials(&EmailAddress::parse("nobody@acme.example").unwrap())
                .await
                .unwrap()
                .is_none()
        );

        let duplicate = user(&acme, "DANA@acme.example", &[]);
        assert!(matches!(
            store.create_user(&duplicate, None, now()).await,
            Err(StoreError::Conflict("email"))
        ));

        let mut changed = ulysse.clone();
        changed.roles = vec![Role::DesignatedSupportUser];
        changed.active = false;
        changed.display_name = DisplayName::parse("Ulysse Martin").unwrap();
        store.update_user(&changed, now()).await.unwrap();
        assert_eq!(store.user(&ulysse.id).await.unwrap(), Some(changed));
        store.set_language(&ulysse.id, Language::En, now()).await.unwrap();
        assert_eq!(store.user(&ulysse.id).await.unwrap().unwrap().language, Language::En);
        store
            .set_password_hash(&ulysse.id, "$argon2id$new", now())
            .await
            .unwrap();
        assert_eq!(
            store
                .credentials(&ulysse.email)
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("$argon2id$new")
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_expire_and_revoke() {
    on_each_engine(|store| async move {
        let acme = company("Acme Outdoor Inc.", CompanyKind::Customer, "acme.example");
        store.create_company(&acme, now()).await.unwrap_err(); // no product "financials" yet
        let mut acme = acme;
        acme.products.clear();
        store.create_company(&acme, now()).await.unwrap();
        let dana = user(&acme, "dana@acme.example", &[]);
        store.create_user(&dana, None, now()).await.unwrap();
        let token = |name: &str, expires_in: i64| ApiToken {
            id: TokenId(new_id()),
            user_id: dana.id.clone(),
            name: name.into(),
            created_at: now(),
            expires_at: now() + SignedDuration::from_hours(expires_in),
            last_used_at: None,
            revoked_at: None,
        };
        let first = token("laptop", 24);
        let second = token("script", 1);
        store.create_token(&first, "hash-1").await.unwrap();
        store.create_token(&second, "hash-2").await.unwrap();

        let live = store.live_token("hash-1", now()).await.unwrap().unwrap();
        assert_eq!(live.id, first.id);
        let again = store
            .live_token("hash-1", now() + SignedDuration::from_mins(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.last_used_at, Some(now()), "recorded once, not on every request");
        assert!(
            store
                .live_token("hash-2", now() + SignedDuration::from_hours(2))
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.live_token("nope", now()).await.unwrap().is_none());
        assert_eq!(store.tokens_of(&dana.id, now()).await.unwrap().len(), 2);

        let stranger = UserId(new_id());
        assert!(!store.revoke_token(&stranger, &first.id, now()).await.unwrap());
        assert!(store.revoke_token(&dana.id, &first.id, now()).await.unwrap());
        assert!(!store.revoke_token(&dana.id, &first.id, now()).await.unwrap());
        assert!(store.live_token("hash-1", now()).await.unwrap().is_none());
        assert_eq!(store.revoke_tokens_of(&dana.id, now()).await.unwrap(), 1);
        assert!(store.tokens_of(&dana.id, now()).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn sessions_throttles_and_settings_persist() {
    on_each_engine(|store| async move {
        let session = crate::StoredSession {
            id: "s1".into(),
            data: "{\"user\":\"u1\"}".into(),
            expires_at: now() + SignedDuration::from_hours(1),
        };
        assert!(store.insert_session(&session).await.unwrap());
        assert!(!store.insert_session(&session).await.unwrap(), "ids are never reused");
        assert_eq!(store.load_session("s1", now()).await.unwrap(), Some(session.clone()));
        let renewed = crate::StoredSession {
            data: "{}".into(),
            expires_at: now() + SignedDuration::from_hours(2),
            ..session.clone()
        };
        store.save_session(&renewed).await.unwrap();
        assert_eq!(store.load_session("s1", now()).await.unwrap(), Some(renewed));
        assert_eq!(
            store
                .load_session("s1", now() + SignedDuration::from_hours(3))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .delete_expired_sessions(now() + SignedDuration::from_hours(3))
                .await
                .unwrap(),
            1
        );
        assert!(store.insert_session(&session).await.unwrap());
        store.delete_session("s1").await.unwrap();
        assert_eq!(store.load_session("s1", now()).await.unwrap(), None);

        let failures: Failures = record_failure(None, ThrottlePolicy::ACCOUNT, now());
        store.put_login_failures("account:x", &failures).await.unwrap();
        let failures = record_failure(Some(failures), ThrottlePolicy::ACCOUNT, now());
        store.put_login_failures("account:x", &failures).await.unwrap();
        assert_eq!(store.login_failures("account:x").await.unwrap(), Some(failures));
        store.clear_login_failures("account:x").await.unwrap();
        assert_eq!(store.login_failures("account:x").await.unwrap(), None);

        assert_eq!(store.setting("demo").await.unwrap(), None);
        store.put_setting("demo", "1").await.unwrap();
        store.put_setting("demo", "2").await.unwrap();
        assert_eq!(store.setting("demo").await.unwrap().as_deref(), Some("2"));
    })
    .await;
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_their_password() {
    let error = crate::Store::connect("mysql://root:hunter2@localhost/x")
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("unsupported database URL"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

mod group_commit {
    use std::time::Duration;

    use crate::testing::TestDatabase;

    async fn count(store: &crate::Store) -> i64 {
        read!(store, |c| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM settings")
            .fetch_one(c)
            .await)
        .unwrap()
    }

    #[tokio::test]
    async fn concurrent_writes_share_commits_and_all_land() {
        let database = TestDatabase::sqlite();
        let store = database.store().await;
        let before = store.write_stats().unwrap();
        let writes: Vec<_> = (0..200)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move { store.put_setting(&format!("key-{n}"), "value").await })
            })
            .collect();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        assert_eq!(count(&store).await, 200, "every acknowledged write is visible");
        let after = store.write_stats().unwrap();
        assert_eq!(after.jobs - before.jobs, 200);
        assert!(
            after.commits - before.commits < 200,
            "no batching: {before:?} → {after:?}"
        );
        store.close().await;
        // And on disk: a new connection sees them.
        let reopened = database.store().await;
        assert_eq!(count(&reopened).await, 200);
        reopened.close().await;
    }

    #[tokio::test]
    async fn the_writer_is_durable_and_keeps_savepoint_journals_in_memory() {
        let database = TestDatabase::sqlite();
        let store = database.store().await;
        async fn pragmas(store: &crate::Store) -> crate::Result<(i64, String, i64)> {
            transaction!(store, |tx| {
                let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store").fetch_one(&mut *tx).await?;
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *tx).await?;
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *tx).await?;
                (temp_store, journal, synchronous)
            })
        }
        let pragmas = pragmas(&store).await.unwrap();
        // 2: MEMORY; 2: FULL, an acknowledged write is on disk.
        assert_eq!(pragmas, (2, "wal".to_owned(), 2));
        store.close().await;
    }

    #[tokio::test]
    async fn a_failing_write_leaves_its_batch_mates_alone() {
        let database = TestDatabase::sqlite();
        let store = database.store().await;
        store.put_setting("taken", "1").await.unwrap();
        let mut handles = Vec::new();
        for n in 0..20 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                if n % 5 == 0 {
                    // A unique violation inside a transaction.
                    transaction!(store, |tx| {
                        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, 'x')")
                            .bind(format!("ok-{n}"))
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("INSERT INTO settings (key, value) VALUES ('taken', 'again')")
                            .execute(&mut *tx)
                            .await?;
                    })
                } else {
                    store.put_setting(&format!("ok-{n}"), "1").await
                }
            }));
        }
        let mut failures = 0;
        for handle in handles {
            if handle.await.unwrap().is_err() {
                failures += 1;
            }
        }
        assert_eq!(failures, 4);
        // 16 good writes plus `taken`; the failed transactions left nothing.
        assert_eq!(count(&store).await, 17);
        assert_eq!(store.setting("ok-0").await.unwrap(), None);
        assert_eq!(store.setting("ok-1").await.unwrap().as_deref(), Some("1"));
        store.close().await;
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_mid_transaction_writes_nothing() {
        let database = TestDatabase::sqlite();
        let store = database.store().await;
        let abandoned = tokio::time::timeout(Duration::from_millis(50), async {
            transaction!(store, |tx| {
                sqlx::query("INSERT INTO settings (key, value) VALUES ('half', 'written')")
                    .execute(&mut *tx)
                    .await?;
                tokio::time::sleep(Duration::from_secs(5)).await;
            })
        })
        .await;
        assert!(abandoned.is_err(), "the caller timed out");
        store.put_setting("next", "1").await.unwrap();
        assert_eq!(store.setting("half").await.unwrap(), None);
        assert_eq!(store.setting("next").await.unwrap().as_deref(), Some("1"));
        store.close().await;
    }
}

mod cases {
    use guichet_domain::case::{Answer, Case, CaseEvent, CaseId, CaseNumber, CaseStatus, Happening, Subject};
    use guichet_domain::company::{Company, CompanyKind};
    use guichet_domain::escalation::{EscalationRequest, EscalationStatus};
    use guichet_domain::expert::{EngagementStatus, ExpertEngagement};
    use guichet_domain::priority::{self, Environment, Impact, PriorityTable, Scope};
    use guichet_domain::product::{AreaKey, ProductKey, Skill};
    use guichet_domain::user::{Role, User};
    use jiff::SignedDuration;

    use super::{company, now, product, user};
    use crate::testing::on_each_engine;
    use crate::{CaseChange, CaseFilter, CaseOrder, CaseScope, OutboxMessage, Store, StoreError, new_id};

    pub(super) struct World {
        pub(super) acme: Company,
        northwind: Company,
        pub(super) dana: User,
        pub(super) ulysse: User,
        pub(super) analyst: User,
        pat: User,
    }

    pub(super) async fn world(store: &Store) -> World {
        store
            .create_product(&product("financials", &["general_ledger", "reporting"]))
            .await
            .unwrap();
        let vendor = company("Support", CompanyKind::Vendor, "support.example");
        let northwind = company("Northwind", CompanyKind::Partner, "northwind.example");
        let mut acme = company("Acme", CompanyKind::Customer, "acme.example");
        acme.implemented_by = Some(northwind.id.clone());
        for c in [&vendor, &northwind, &acme] {
            store.create_company(c, now()).await.unwrap();
        }
        let dana = user(&acme, "dana@acme.example", &[Role::DesignatedSupportUser]);
        let ulysse = user(&acme, "ulysse@acme.example", &[]);
        let mut analyst = user(&vendor, "analyst@support.example", &[Role::SupportAnalyst]);
        analyst.skills = vec![Skill::parse("financials.general_ledger").unwrap()];
        let pat = user(&northwind, "pat@northwind.example", &[]);
        for u in [&dana, &ulysse, &analyst, &pat] {
            store.create_user(u, None, now()).await.unwrap();
        }
        World {
            acme,
            northwind,
            dana,
            ulysse,
            analyst,
            pat,
        }
    }

    pub(super) fn new_case(company: &Company, opener: &User, area: &str) -> Case {
        let assessment = priority::assess(
            &PriorityTable::default(),
            Impact::Blocked,
            Scope::Group,
            Environment::Production,
        );
        Case {
            id: CaseId(new_id()),
            number: CaseNumber(0),
            company_id: company.id.clone(),
            opened_by: opener.id.clone(),
            contacts: vec![],
            product: ProductKey::parse("financials").unwrap(),
            area: AreaKey::parse(area).unwrap(),
            environment: Environment::Production,
            impact: Impact::Blocked,
            scope: Scope::Group,
            subject: Subject::parse("Journal entries will not post").unwrap(),
            description: "Since this morning.".into(),
            steps: Some("1. Post".into()),
            expected: None,
            status: CaseStatus::New,
            priority: assessment.priority,
            priority_reasons: assessment.reasons,
            assignee: None,
            escalated: false,
            experts_involved: false,
            split_from: None,
            created_at: now(),
            updated_at: now(),
            first_response_at: None,
            solved_at: None,
            closed_at: None,
            last_update_request_at: None,
            clocks: Default::default(),
            version: 1,
        }
    }

    fn event(actor: &User, happening: Happening) -> CaseEvent {
        CaseEvent {
            id: new_id(),
            at: now(),
            actor: Some(actor.id.clone()),
            internal: happening.is_internal(),
            happening,
        }
    }

    #[tokio::test]
    async fn cases_open_with_sequential_numbers_and_their_timeline() {
        on_each_engine(|store| async move {
            let w = world(&store).await;
            let mut first = new_case(&w.acme, &w.dana, "general_ledger");
            let opened = [event(
                &w.dana,
                Happening::Opened {
                    priority: first.priority,
                },
            )];
            let notice = [OutboxMessage::new(
                "notification",
                &serde_json::json!({"event": "opened"}),
                now(),
            )];
            let number = store
                .open_case(
                    &first,
                    CaseChange {
                        events: &opened,
                        outbox: &notice,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(number, CaseNumber(1001));
            first.number = number;
            let second = new_case(&w.acme, &w.ulysse, "reporting");
            let second_number = store.open_case(&second, CaseChange::default()).await.unwrap();
            assert_eq!(second_number, CaseNumber(1002));

            let stored = store.case_by_number(number).await.unwrap().unwrap();
            assert_eq!(stored, first);
            assert_eq!(store.case_by_id(&first.id).await.unwrap(), Some(first.clone()));
            assert_eq!(store.case_events(&first.id, false).await.unwrap().len(), 1);
            assert_eq!(store.pending_outbox("notification", now(), 10).await.unwrap().len(), 1);

            // An area that does not exist is refused, nothing stays.
            let bad = new_case(&w.acme, &w.dana, "payroll");
            assert!(matches!(
                store.open_case(&bad, CaseChange::default()).await,
                Err(StoreError::Dangling("area"))
            ));
            assert_eq!(store.case_by_id(&bad.id).await.unwrap(), None);
        })
        .await;
    }

    #[tokio::test]
    async fn changes_are_checked_against_the_version_they_were_read_at() {
        on_each_engine(|store| async move {
            let w = world(&store).await;
            let case = new_case(&w.acme, &w.dana, "general_ledger");
            let number = store.open_case(&case, CaseChange::default()).await.unwrap();
            let read = store.case_by_number(number).await.unwrap().unwrap();

            let mut answered = read.clone();
            answered.status = CaseStatus::WaitingOnCustomer;
            answered.assignee = Some(w.analyst.id.clone());
            answered.first_response_at = Some(now());
            answered.contacts = vec![w.ulysse.id.clone()];
            let answer = Answer::NeedInfo {
                body: "Which journal?".into(),
            };
            let events = [
                event(&w.analyst, Happening::Answered { answer }),
                event(
                    &w.analyst,
                    Happening::Noted {
                        body: "Looks like the period is closed.".into(),
                    },
                ),
            ];
            store
                .change_case(
                    &answered,
                    CaseChange {
                        events: &events,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let stale = store.change_case(&answered, CaseChange::default()).await;
            assert!(matches!(stale, Err(StoreError::Conflict("case"))), "{stale:?}");

            let now_stored = store.case_by_number(number).await.unwrap().unwrap();
            assert_eq!(now_stored.version, 2);
            assert_eq!(now_stored.status, CaseStatus::WaitingOnCustomer);
            assert_eq!(now_stored.contacts, vec![w.ulysse.id.clone()]);
            assert_eq!(
                store.case_events(&case.id, false).await.unwrap().len(),
                1,
                "the note is internal"
            );
            assert_eq!(store.case_events(&case.id, true).await.unwrap().len(), 2);

            let request = EscalationRequest {
                id: new_id(),
                case_id: case.id.clone(),
                requested_by: w.dana.id.clone(),
                reason: "Month end".into(),
                status: EscalationStatus::Pending,
                requested_at: now(),
                review_due_at: now() + SignedDuration::from_hours(1),
                reviewed_by: None,
                reviewed_at: None,
                note: None,
            };
            store
                .change_case(
                    &now_stored,
                    CaseChange {
                        escalation: Some(&request),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                store
                    .escalation_requests(Some(EscalationStatus::Pending))
                    .await
                    .unwrap(),
                vec![request.clone()]
            );
            let reviewed = EscalationRequest {
                status: EscalationStatus::Accepted,
                note: Some("Yes".into()),
                ..request.clone()
            };
            let mut escalated = store.case_by_number(number).await.unwrap().unwrap();
            escalated.escalated = true;
            store
                .change_case(
                    &escalated,
                    CaseChange {
                        escalation: Some(&reviewed),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(
                store
                    .escalation_requests(Some(EscalationStatus::Pending))
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(store.escalation_request(&request.id).await.unwrap(), Some(reviewed));
            assert_eq!(store.escalation_requests_of(&case.id).await.unwrap().len(), 1);

            let engagement = ExpertEngagement {
                id: new_id(),
                case_id: case.id.clone(),
                expert: w.analyst.id.clone(),
                requested_by: w.analyst.id.clone(),
                question: "Known bug?".into(),
                status: EngagementStatus::Open,
                created_at: now(),
                updated_at: now(),
            };
            let latest = store.case_by_number(number).await.unwrap().unwrap();
            store
                .change_case(
                    &latest,
                    CaseChange {
                        engagement: Some(&engagement),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                store.engagement(&engagement.id).await.unwrap(),
                Some(engagement.clone())
            );
            assert_eq!(store.engagements_of(&case.id).await.unwrap().len(), 1);
            assert_eq!(store.engagements_for(&w.analyst.id).await.unwrap().len(), 1);
        })
        .await;
    }

    #[tokio::test]
    async fn listings_follow_scope_filters_and_order() {
        on_each_engine(|store| async move {
            let w = world(&store).await;
            let mut by_dana = new_case(&w.acme, &w.dana, "general_ledger");
            by_dana.contacts = vec![w.ulysse.id.clone()];
            let by_ulysse = new_case(&w.acme, &w.ulysse, "reporting");
            let mut by_pat = new_case(&w.acme, &w.pat, "reporting");
            by_pat.escalated = true;
            let mut other = new_case(&w.acme, &w.dana, "reporting");
            other.assignee = Some(w.analyst.id.clone());
            other.status = CaseStatus::Solved;
            other.solved_at = Some(now());
            for case in [&by_dana, &by_ulysse, &by_pat, &other] {
                store.open_case(case, CaseChange::default()).await.unwrap();
            }
            let numbers = |cases: Vec<Case>| cases.iter().map(|c| c.number.0).collect::<Vec<_>>();
            let all = CaseFilter::new(CaseScope::All);
            assert_eq!(numbers(store.cases(&all).await.unwrap()), [1004, 1003, 1002, 1001]);
            let company = CaseFilter::new(CaseScope::Company(w.acme.id.clone()));
            assert_eq!(store.cases(&company).await.unwrap().len(), 4);
            let ulysse = CaseFilter::new(CaseScope::Involved {
                company: w.acme.id.clone(),
                user: w.ulysse.id.clone(),
            });
            assert_eq!(numbers(store.cases(&ulysse).await.unwrap()), [1002, 1001]);
            let pat = CaseFilter::new(CaseScope::Partner {
                partner: w.northwind.id.clone(),
                user: w.pat.id.clone(),
            });
            assert_eq!(store.cases(&pat).await.unwrap().len(), 4);
            let stranger = CaseFilter::new(CaseScope::Company(w.northwind.id.clone()));
            assert!(store.cases(&stranger).await.unwrap().is_empty());

            let open = CaseFilter {
                open_only: true,
                ..all.clone()
            };
            assert_eq!(numbers(store.cases(&open).await.unwrap()), [1003, 1002, 1001]);
            let solved = CaseFilter {
                status: Some(CaseStatus::Solved),
                ..all.clone()
            };
            assert_eq!(numbers(store.cases(&solved).await.unwrap()), [1004]);
            let unassigned = CaseFilter {
                assignee: Some(None),
                ..all.clone()
            };
            assert_eq!(store.cases(&unassigned).await.unwrap().len(), 3);
            let escalated = CaseFilter {
                escalated: Some(true),
                ..all.clone()
            };
            assert_eq!(numbers(store.cases(&escalated).await.unwrap()), [1003]);
            let page = CaseFilter {
                before: Some(CaseNumber(1003)),
                limit: 1,
                ..all.clone()
            };
            assert_eq!(numbers(store.cases(&page).await.unwrap()), [1002]);
            // The queue of an analyst skilled in general ledger, escalated first.
            let queue = CaseFilter {
                queue_of: Some(w.analyst.id.clone()),
                order: CaseOrder::Queue,
                ..all.clone()
            };
            assert_eq!(numbers(store.cases(&queue).await.unwrap()), [1001, 1004]);
            let with_contacts = store.cases(&all).await.unwrap();
            assert_eq!(
                with_contacts.iter().find(|c| c.number.0 == 1001).unwrap().contacts,
                vec![w.ulysse.id.clone()]
            );

            let loads = store.analyst_loads().await.unwrap();
            assert_eq!(loads.len(), 1);
            assert_eq!(loads[0].open_cases, 0, "a solved case is not a load");
            assert_eq!(store.solved_before(now(), 10).await.unwrap(), vec![CaseNumber(1004)]);
        })
        .await;
    }

    /// R17: a file, its event and an upload request's ticked checklist are
    /// written with the case's new version; retention finds closed cases
    /// with files, and marks them deleted.
    #[tokio::test]
    async fn r17_files_are_written_with_their_case_events() {
        use guichet_domain::attachment::{Attachment, FileKind, FileName, Removed, UploadRequest};

        use crate::FilesChange;

        on_each_engine(|store| async move {
            let w = world(&store).await;
            let case = new_case(&w.acme, &w.dana, "general_ledger");
            let number = store.open_case(&case, CaseChange::default()).await.unwrap();
            let case = store.case_by_number(number).await.unwrap().unwrap();
            let mut request = UploadRequest {
                id: new_id(),
                case_id: case.id.clone(),
                requested_by: w.analyst.id.clone(),
                requested_at: now(),
                note: Some("Please record it".into()),
                items: UploadRequest::default_items(),
                completed_at: None,
            };
            let asked = [event(
                &w.analyst,
                Happening::UploadRequested {
                    request: request.id.clone(),
                    items: request.items.clone(),
                    note: request.note.clone(),
                },
            )];
            store
                .change_case_files(
                    &case,
                    FilesChange {
                        events: &asked,
                        upload_request: Some(&request),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let file = Attachment {
                id: new_id(),
                case_id: case.id.clone(),
                name: FileName::sanitize("app.log"),
                kind: FileKind::Text,
                content_type: "text/plain; charset=utf-8".into(),
                size: 42,
                sha256: "ab".repeat(32),
                storage_key: format!("cases/{}/x", case.id.0),
                removed: Removed {
                    tokens: 2,
                    ..Removed::default()
                },
                uploaded_by: w.dana.id.clone(),
                uploaded_at: now(),
                comment_id: None,
                upload_request_id: Some(request.id.clone()),
                deleted_at: None,
            };
            request.tick(None, file.kind, &file.id, now());
            // From the copy read before the request: refused, nothing kept.
            let stale = store
                .change_case_files(
                    &case,
                    FilesChange {
                        attachment: Some(&file),
                        ..Default::default()
                    },
                )
                .await;
            assert!(matches!(stale, Err(StoreError::Conflict("case"))));
            assert!(store.attachment(&file.id).await.unwrap().is_none());
            let case = store.case_by_number(number).await.unwrap().unwrap();
            store
                .change_case_files(
                    &case,
                    FilesChange {
                        attachment: Some(&file),
                        upload_request: Some(&request),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(store.attachment(&file.id).await.unwrap(), Some(file.clone()));
            assert_eq!(
                store.attachments_of(&case.id).await.unwrap(),
                std::slice::from_ref(&file)
            );
            assert_eq!(store.case_files_size(&case.id).await.unwrap(), 42);
            assert_eq!(store.upload_requests_of(&case.id).await.unwrap(), [request.clone()]);
            assert_eq!(store.case_events(&case.id, false).await.unwrap().len(), 1);

            assert!(store.cases_with_expired_files(now(), 10).await.unwrap().is_empty());
            let mut closed = store.case_by_number(number).await.unwrap().unwrap();
            closed.status = CaseStatus::Closed;
            closed.closed_at = Some(now() - SignedDuration::from_hours(24 * 100));
            store.change_case(&closed, CaseChange::default()).await.unwrap();
            assert_eq!(store.cases_with_expired_files(now(), 10).await.unwrap(), [number]);
            let closed = store.case_by_number(number).await.unwrap().unwrap();
            store
                .change_case_files(
                    &closed,
                    FilesChange {
                        deleted: std::slice::from_ref(&file.id),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(store.attachment(&file.id).await.unwrap().unwrap().deleted_at.is_some());
            assert_eq!(store.case_files_size(&case.id).await.unwrap(), 0);
            assert!(store.cases_with_expired_files(now(), 10).await.unwrap().is_empty());
        })
        .await;
    }
}

mod audit {
    use guichet_domain::audit::AuditEntry;
    use guichet_domain::company::CompanyId;
    use guichet_domain::user::UserId;
    use jiff::SignedDuration;

    use super::now;
    use crate::testing::on_each_engine;
    use crate::{AuditFilter, new_id};

    fn entry(action: &str, company: &str, minutes: i64) -> AuditEntry {
        AuditEntry {
            id: new_id(),
            at: now() + SignedDuration::from_mins(minutes),
            actor: Some(UserId("u1".into())),
            actor_email: Some("analyst@support.example".into()),
            address: Some("192.0.2.7".into()),
            action: action.into(),
            subject_kind: "case".into(),
            subject_id: "c1".into(),
            company: Some(CompanyId(company.into())),
            case_number: None,
            details: "answered".into(),
        }
    }

    #[tokio::test]
    async fn r26_the_chain_shows_an_edited_or_deleted_entry() {
        on_each_engine(|store| async move {
            let entries: Vec<AuditEntry> = (0..5)
                .map(|i| entry(if i % 2 == 0 { "case.viewed" } else { "case.answered" }, "acme", i))
                .collect();
            store.append_audit(&entries[..3]).await.unwrap();
            store.append_audit(&entries[3..]).await.unwrap();
            store
                .append_audit(&[entry("company.updated", "lumiere", 9)])
                .await
                .unwrap();
            let check = store.verify_audit().await.unwrap();
            assert_eq!((check.checked, check.pending, check.broken.clone()), (0, 6, None));
            assert_eq!(store.chain_audit(4).await.unwrap(), 4);
            assert_eq!(store.chain_audit(100).await.unwrap(), 2);
            assert_eq!(store.chain_audit(100).await.unwrap(), 0);
            let check = store.verify_audit().await.unwrap();
            assert_eq!((check.checked, check.pending, check.broken), (6, 0, None));

            let acme = AuditFilter {
                company: Some(CompanyId("acme".into())),
                limit: 100,
                ..Default::default()
            };
            let log = store.audit_log(&acme).await.unwrap();
            assert_eq!(log.len(), 5);
            assert_eq!(log[0].entry, entries[4], "newest first");
            assert_eq!(log[0].seq, Some(5));
            let viewed = AuditFilter {
                action: Some("case.viewed".into()),
                ..acme.clone()
            };
            assert_eq!(store.audit_log(&viewed).await.unwrap().len(), 3);
            let cases = AuditFilter {
                action: Some("case".into()),
                ..acme.clone()
            };
            assert_eq!(store.audit_log(&cases).await.unwrap().len(), 5);
            let early = AuditFilter {
                to: Some(now() + SignedDuration::from_mins(2)),
                ..acme.clone()
            };
            assert_eq!(store.audit_log(&early).await.unwrap().len(), 2);

            // Someone edits the third entry behind Guichet's back.
            let tamper = async {
                write!(store, |c| sqlx::query(
                    "UPDATE audit_entries SET details = 'nothing happened' WHERE id = $1"
                )
                .bind(&entries[2].id)
                .execute(c)
                .await
                .map(|_| ()))
            };
            let tampered: crate::Result<()> = tamper.await;
            tampered.unwrap();
            let check = store.verify_audit().await.unwrap();
            assert_eq!(check.broken, Some((3, "its entry was changed".to_owned())));
            assert_eq!(check.checked, 2);
        })
        .await;
    }

    #[tokio::test]
    async fn r26_a_deleted_entry_breaks_the_chain_too() {
        on_each_engine(|store| async move {
            let entries: Vec<AuditEntry> = (0..3).map(|i| entry("case.viewed", "acme", i)).collect();
            store.append_audit(&entries).await.unwrap();
            store.chain_audit(100).await.unwrap();
            let tamper = async {
                write!(store, |c| sqlx::query("DELETE FROM audit_chain WHERE seq = 2")
                    .execute(c)
                    .await
                    .map(|_| ()))
            };
            let tampered: crate::Result<()> = tamper.await;
            tampered.unwrap();
            let check = store.verify_audit().await.unwrap();
            assert_eq!(check.broken, Some((3, "a link is missing before this one".to_owned())));
        })
        .await;
    }
}

mod authorization {
    use guichet_domain::audit::AuditEntry;
    use guichet_domain::authorization::{
        AuthorizationId, AuthorizationRequest, AuthorizationStatus, Change, Channel, Permissions,
    };
    use guichet_domain::user::Role;
    use jiff::SignedDuration;

    use super::cases::{new_case, world};
    use super::now;
    use crate::testing::on_each_engine;
    use crate::{Carrying, CaseChange, RequestsOf, StoreError, new_id};

    fn entry(request: &AuthorizationRequest, action: &str) -> AuditEntry {
        AuditEntry {
            id: new_id(),
            at: now(),
            actor: None,
            actor_email: None,
            address: None,
            action: action.into(),
            subject_kind: "authorization_request".into(),
            subject_id: request.id.0.clone(),
            company: Some(request.company.clone()),
            case_number: Some(request.case_number),
            details: String::new(),
        }
    }

    #[tokio::test]
    async fn r25_a_request_is_decided_once_with_what_it_carries_out() {
        on_each_engine(|store| async move {
            let w = world(&store).await;
            let mut case = new_case(&w.acme, &w.dana, "general_ledger");
            case.number = store.open_case(&case, CaseChange::default()).await.unwrap();
            let mut manager = w.dana.clone();
            manager.roles.push(Role::AuthorizedManager);
            store.update_user(&manager, now()).await.unwrap();
            let request = |token: &str, hours: i64| AuthorizationRequest {
                id: AuthorizationId(new_id()),
                company: w.acme.id.clone(),
                case: case.id.clone(),
                case_number: case.number,
                change: Change::PermissionChange {
                    permissions: Permissions {
                        designated: Some(true),
                        ..Permissions::default()
                    },
                },
                user_email: w.ulysse.email.clone(),
                user: Some(w.ulysse.id.clone()),
                requested_by: w.analyst.id.clone(),
                requested_by_email: w.analyst.email.clone(),
                requested_at: now(),
                expires_at: now() + SignedDuration::from_hours(hours),
                status: AuthorizationStatus::Pending,
                decision: None,
                outcome: None,
                reply_token: token.into(),
            };
            let pending = request("a-1", 24);
            store
                .create_authorization(&pending, &[entry(&pending, "authorization.requested")], &[])
                .await
                .unwrap();
            assert_eq!(store.authorization(&pending.id).await.unwrap(), Some(pending.clone()));
            assert_eq!(
                store.authorization_by_token("a-1").await.unwrap(),
                Some(pending.clone())
            );
            assert_eq!(store.authorization_by_token("a-2").await.unwrap(), None);

            // Two managers decide at once: one wins, the other is told.
            let mut authorized = pending.clone();
            authorized.decide(&manager, true, now(), Channel::Api).unwrap();
            authorized.outcome = Some("roles_changed".into());
            let mut ulysse = w.ulysse.clone();
            ulysse.roles.push(Role::DesignatedSupportUser);
            let mut refused = pending.clone();
            refused.decide(&manager, false, now(), Channel::Mail).unwrap();
            let (first, second) = tokio::join!(
                store.decide_authorization(
                    &authorized,
                    Carrying {
                        user: Some((&ulysse, false)),
                        audit: vec![entry(&pending, "authorization.authorized")],
                        ..Carrying::default()
                    },
                ),
                store.decide_authorization(
                    &refused,
                    Carrying {
                        audit: vec![entry(&pending, "authorization.refused")],
                        ..Carrying::default()
                    },
                ),
            );
            assert!(
                matches!(
                    (&first, &second),
                    (Ok(()), Err(StoreError::Conflict("authorization")))
                        | (Err(StoreError::Conflict("authorization")), Ok(()))
                ),
                "{first:?} {second:?}"
            );
            let stored = store.authorization(&pending.id).await.unwrap().unwrap();
            let designated = store.user(&w.ulysse.id).await.unwrap().unwrap().is_designated();
            if first.is_ok() {
                assert_eq!(stored, authorized);
                assert!(designated, "authorized: the change is carried out");
            } else {
                assert_eq!(stored, refused);
                assert!(!designated, "refused: nothing changed");
            }

            // Unanswered in time, a request expires with its audit entry.
            let late = request("a-3", 1);
            store.create_authorization(&late, &[], &[]).await.unwrap();
            let expired = store
                .expire_authorizations(now() + SignedDuration::from_hours(2), |r| {
                    entry(r, "authorization.expired")
                })
                .await
                .unwrap();
            assert_eq!(expired.len(), 1);
            assert_eq!(expired[0].id, late.id);
            assert_eq!(
                store.authorization(&late.id).await.unwrap().unwrap().status,
                AuthorizationStatus::Expired
            );
            let listed = store.authorizations(RequestsOf::Case(&case.id), 10).await.unwrap();
            assert_eq!(listed.len(), 2);
            assert_eq!(listed[0].id, late.id, "newest first");
        })
        .await;
    }
}
