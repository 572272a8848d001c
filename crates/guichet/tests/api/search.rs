//! The knowledge base, search, help for a page and deflection (R7, R8,
//! R11), end to end on the demo articles.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, on_sqlite, problem};
use crate::portal_cases::signed_in;

/// Loads the demo knowledge base and waits for the server's indexer to
/// read it from the outbox (it polls every second).
async fn with_demo_articles(app: &App) {
    guichet::demo::knowledge::seed(&app.store, jiff::Timestamp::now())
        .await
        .unwrap();
    for _ in 0..100 {
        if !results(app, "/api/v1/search?q=GL-4012", None).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the demo articles were not indexed within 10 s");
}

async fn search(app: &App, path: &str, token: Option<&str>) -> Value {
    let response = app.request(Method::GET, path, token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    json(response).await
}

async fn results(app: &App, path: &str, token: Option<&str>) -> Vec<Value> {
    let body = search(app, path, token).await;
    let key = if path.starts_with("/api/v1/help/") {
        "articles"
    } else {
        "results"
    };
    body[key].as_array().unwrap().clone()
}

fn slugs(results: &[Value]) -> Vec<&str> {
    results.iter().map(|r| r["slug"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn r8_search_forgives_typos_accents_elisions_and_finds_error_codes() {
    on_each_engine(|app| async move {
        with_demo_articles(&app).await;

        // French, accents left out and a typo: the French article, at the top.
        let found = results(
            &app,
            "/api/v1/search?q=effectuer%20un%20rapprochemnt%20bancaire&lang=fr",
            None,
        )
        .await;
        assert_eq!(found[0]["slug"], "bank-reconciliation", "{found:?}");
        assert_eq!(found[0]["lang"], "fr");
        assert_eq!(found[0]["kind"], "article");
        let found = results(&app, "/api/v1/search?q=prevision%20de%20tresorerie", None).await;
        assert_eq!(
            (found[0]["slug"].as_str(), found[0]["lang"].as_str()),
            (Some("cash-forecast"), Some("fr"))
        );
        assert!(found[0]["snippet"].as_str().unwrap().contains("<mark>"), "{found:?}");
        for field in ["id", "title", "score"] {
            assert!(!found[0][field].is_null(), "{field}");
        }

        // `l'écriture` finds `écritures`.
        let found = results(&app, "/api/v1/search?q=l%27%C3%A9criture%20de%20journal&lang=fr", None).await;
        assert!(slugs(&found)[..3].contains(&"create-journal-entry"), "{found:?}");

        // An error code, whatever its case, finds the article that resolves it.
        let found = results(&app, "/api/v1/search?q=gl-4012", None).await;
        assert_eq!(found[0]["slug"], "gl-4012-posting-refused-the-accounting-period");
        // A quoted message, word for word.
        let found = results(
            &app,
            "/api/v1/search?q=%22Le%20relev%C3%A9%20est%20d%C3%A9j%C3%A0%20rapproch%C3%A9%22",
            None,
        )
        .await;
        assert_eq!(slugs(&found), vec!["cm-2201-bank-reconciliation-the-statement-is"]);

        // Filters.
        let found = results(&app, "/api/v1/search?q=invoice&product=time&kind=article", None).await;
        assert!(
            found.iter().all(|r| !r["slug"].as_str().unwrap().starts_with("ap-")),
            "{found:?}"
        );
        problem(
            app.request(Method::GET, "/api/v1/search?q=x&kind=recipe", None)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_kind",
        )
        .await;
        problem(
            app.request(Method::GET, "/api/v1/search?q=x&lang=de", None)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_lang",
        )
        .await;

        // Pages follow each other through `next_cursor`.
        let first = search(&app, "/api/v1/search?q=invoice&limit=5&lang=en", None).await;
        let cursor = first["next_cursor"].as_str().expect("more than one page");
        let second = search(
            &app,
            &format!("/api/v1/search?q=invoice&limit=5&lang=en&cursor={cursor}"),
            None,
        )
        .await;
        let firsts = slugs(first["results"].as_array().unwrap()).join(",");
        for slug in slugs(second["results"].as_array().unwrap()) {
            assert!(!firsts.contains(slug), "{slug} on both pages");
        }

        // R11: suggestions for a subject being typed.
        let suggested = results(&app, "/api/v1/suggest?q=bank%20reconcil&lang=en", None).await;
        assert!(suggested.len() <= 5);
        assert!(slugs(&suggested).contains(&"bank-reconciliation"), "{suggested:?}");
    })
    .await;
}

#[tokio::test]
async fn r8_a_customer_never_sees_an_internal_article() {
    on_each_engine(|app| async move {
        with_demo_articles(&app).await;
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let query = "/api/v1/search?q=suspicious%20bank%20detail%20change%20supplier%20fraud&lang=en&limit=50";
        for token in [None, Some(dana.as_str())] {
            let found = results(&app, query, token).await;
            assert!(!slugs(&found).contains(&"vendor-bank-fraud-check"), "{found:?}");
            assert!(
                !found
                    .iter()
                    .any(|r| r["title"].as_str().unwrap().starts_with("Internal"))
            );
            let response = app
                .request(Method::GET, "/api/v1/articles/vendor-bank-fraud-check", token)
                .send()
                .await
                .unwrap();
            problem(response, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert!(slugs(&results(&app, query, Some(&analyst)).await).contains(&"vendor-bank-fraud-check"));

        // `customers` articles: for signed-in users only.
        let query = "/api/v1/search?q=reopen%20closed%20period&lang=en";
        assert!(!slugs(&results(&app, query, None).await).contains(&"reopen-closed-period"));
        assert!(slugs(&results(&app, query, Some(&dana)).await).contains(&"reopen-closed-period"));
        let response = app
            .request(Method::GET, "/api/v1/articles/reopen-closed-period", None)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::NOT_FOUND, "not_found").await;

        // The help center's pages and the widget's answers hide them too.
        let html = app
            .client
            .get(format!("{}/help?q=fraud", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("vendor-bank-fraud-check"));
        let help = results(&app, "/api/v1/help/context/ap/supplier/new?lang=en", Some(&dana)).await;
        assert!(slugs(&help).contains(&"supplier-master-data"), "{help:?}");
        assert!(!slugs(&help).contains(&"vendor-bank-fraud-check"));
    })
    .await;
}

#[tokio::test]
async fn r7_help_for_a_page_in_the_readers_language_falling_back_to_the_other() {
    on_each_engine(|app| async move {
        with_demo_articles(&app).await;
        let help = results(&app, "/api/v1/help/context/gl/journal-entry/new?lang=fr", None).await;
        assert!(help.len() >= 2);
        assert!(help.iter().all(|a| a["lang"] == "fr"), "{help:?}");
        assert!(slugs(&help).contains(&"create-journal-entry"));
        // The page key may come with its slashes encoded.
        let encoded = results(&app, "/api/v1/help/context/gl%2Fjournal-entry%2Fnew?lang=en", None).await;
        assert_eq!(encoded.len(), help.len());
        assert!(encoded.iter().all(|a| a["lang"] == "en"));
        // Only an English article for this page: a French reader gets it.
        let help = results(&app, "/api/v1/help/context/admin/api?lang=fr", None).await;
        assert_eq!(slugs(&help), vec!["api-rate-limits"]);
        assert_eq!(help[0]["lang"], "en");
        // Without `lang`, the signed-in reader's language (Marie reads French).
        let marie = app.token("marie@lumiere.example").await;
        let help = results(&app, "/api/v1/help/context/cash/bank-reconciliation", Some(&marie)).await;
        assert!(help.iter().all(|a| a["lang"] == "fr"));
        problem(
            app.request(Method::GET, "/api/v1/help/context/gl//x", None)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_page_key",
        )
        .await;
        // The widget and its demo host page are served.
        let page = app
            .client
            .get(format!("{}/widget/demo", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"<script src="/widget.js" data-page-key="gl/journal-entry/new""#));
        let script = app.client.get(format!("{}/widget.js", app.url)).send().await.unwrap();
        assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    })
    .await;
}

fn article_body(slug: &str, status: &str) -> Value {
    json!({
        "slug": slug,
        "status": status,
        "products": ["financials"],
        "areas": ["general_ledger"],
        "error_codes": ["GL-9999"],
        "page_keys": ["gl/ledger/zebra"],
        "translations": [
            {"lang": "en", "title": "Zebra ledgers", "body": "Striped **ledgers**.\n\n<script>alert(1)</script>"},
            {"lang": "fr", "title": "Grands livres zébrés", "body": "Des grands livres rayés."}
        ]
    })
}

#[tokio::test]
async fn r8_editors_write_publish_archive_and_restore_and_readers_vote() {
    on_each_engine(|app| async move {
        let coach = app.token("coach@support.example").await;
        let dana = app.token("dana@acme.example").await;
        let analyst = app.token("analyst@support.example").await;
        let create = |token: String, body: Value| {
            let app = app.clone();
            async move {
                app.send_json(Method::POST, "/api/v1/articles", Some(&token), body)
                    .await
            }
        };
        problem(
            create(dana.clone(), article_body("zebra", "draft")).await,
            StatusCode::FORBIDDEN,
            "editor_required",
        )
        .await;
        problem(
            create(analyst.clone(), article_body("zebra", "draft")).await,
            StatusCode::FORBIDDEN,
            "editor_required",
        )
        .await;
        let mut bad = article_body("Zebra!", "draft");
        problem(
            create(coach.clone(), bad.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_slug",
        )
        .await;
        bad["slug"] = json!("zebra");
        bad["audience"] = json!("everyone");
        problem(
            create(coach.clone(), bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_audience",
        )
        .await;

        let response = create(coach.clone(), article_body("zebra", "draft")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let article = json(response).await;
        assert_eq!(article["version"], 1);
        let html = article["translations"][0]["html"].as_str().unwrap();
        assert!(
            html.contains("<strong>ledgers</strong>") && !html.contains("<script"),
            "{html}"
        );
        problem(
            create(coach.clone(), article_body("zebra", "draft")).await,
            StatusCode::CONFLICT,
            "slug_taken",
        )
        .await;

        // A draft is neither searchable nor readable by customers.
        assert!(results(&app, "/api/v1/search?q=zebra", Some(&coach)).await.is_empty());
        problem(
            app.request(Method::GET, "/api/v1/articles/zebra", Some(&dana))
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;

        // Published: searchable at once on this node.
        let publish = app
            .send_json(
                Method::POST,
                "/api/v1/articles/zebra/status",
                Some(&coach),
                json!({"status": "published", "version": 1}),
            )
            .await;
        assert_eq!(publish.status(), StatusCode::OK);
        assert_eq!(
            slugs(&results(&app, "/api/v1/search?q=GL-9999", None).await),
            vec!["zebra"]
        );
        assert_eq!(
            slugs(&results(&app, "/api/v1/help/context/gl/ledger/zebra?lang=fr", None).await),
            vec!["zebra"]
        );

        // An edit from a stale version is refused.
        let mut edit = article_body("zebra", "published");
        edit["version"] = json!(1);
        problem(
            app.send_json(Method::PUT, "/api/v1/articles/zebra", Some(&coach), edit.clone())
                .await,
            StatusCode::CONFLICT,
            "article_changed",
        )
        .await;
        edit["version"] = json!(2);
        edit["translations"][1]["title"] = json!("Grands livres rayés");
        let edited = json(
            app.send_json(Method::PUT, "/api/v1/articles/zebra", Some(&coach), edit)
                .await,
        )
        .await;
        assert_eq!(edited["version"], 3);

        // Customers vote once each; editors see the counts, customers do not.
        for (token, helpful) in [(&dana, false), (&dana, true), (&analyst, false)] {
            let response = app
                .send_json(
                    Method::POST,
                    "/api/v1/articles/zebra/votes",
                    Some(token),
                    json!({"helpful": helpful}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }
        problem(
            app.send_json(
                Method::POST,
                "/api/v1/articles/zebra/votes",
                None,
                json!({"helpful": true}),
            )
            .await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
        let seen_by_editor = json(app.get("/api/v1/articles/zebra", &coach).await).await;
        assert_eq!(seen_by_editor["votes"], json!({"helpful": 1, "not_helpful": 1}));
        let seen_by_dana = json(app.get("/api/v1/articles/zebra", &dana).await).await;
        assert!(seen_by_dana.get("votes").is_none());

        // Archived: gone from search; the history names every change.
        let archive = app
            .send_json(
                Method::POST,
                "/api/v1/articles/zebra/status",
                Some(&coach),
                json!({"status": "archived"}),
            )
            .await;
        assert_eq!(archive.status(), StatusCode::OK);
        assert!(results(&app, "/api/v1/search?q=GL-9999", None).await.is_empty());
        let history = json(app.get("/api/v1/articles/zebra/revisions", &coach).await).await;
        let changes: Vec<&Value> = history.as_array().unwrap().iter().map(|r| &r["changes"]).collect();
        assert_eq!(
            changes,
            vec![
                &json!(["status"]),
                &json!(["title (fr)"]),
                &json!(["status"]),
                &json!(["created"])
            ]
        );
        problem(
            app.get("/api/v1/articles/zebra/revisions", &dana).await,
            StatusCode::FORBIDDEN,
            "editor_required",
        )
        .await;

        // Restoring revision 3 publishes it again, as revision 5.
        let restored = app
            .request(Method::POST, "/api/v1/articles/zebra/revisions/3/restore", Some(&coach))
            .send()
            .await
            .unwrap();
        assert_eq!(restored.status(), StatusCode::OK);
        let restored = json(restored).await;
        assert_eq!(
            (restored["version"].as_i64(), restored["status"].as_str()),
            (Some(5), Some("published"))
        );
        assert_eq!(
            slugs(&results(&app, "/api/v1/search?q=GL-9999", None).await),
            vec!["zebra"]
        );
        let listed = json(app.get("/api/v1/articles?status=published", &coach).await).await;
        assert!(
            listed["articles"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["slug"] == "zebra")
        );
    })
    .await;
}

#[tokio::test]
async fn r11_an_opened_suggestion_without_a_case_counts_as_deflected() {
    on_sqlite(|app| async move {
        with_demo_articles(&app).await;
        let (marie, _) = signed_in(&app, "marie@lumiere.example").await;
        let (chef, _) = signed_in(&app, "chef@lumiere.example").await;
        // Both open a suggested article from the log-a-case form.
        for browser in [&marie, &chef] {
            let page = browser
                .get(format!("{}/help/articles/gl-4012-posting-refused-the-accounting-period?lang=fr&from=case&product=financials", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::OK);
            assert!(page.text().await.unwrap().contains("clôturée"));
        }
        let lead = app.token("lead@support.example").await;
        let report = json(app.get("/api/v1/reports/deflection", &lead).await).await;
        assert_eq!(report["products"], json!([{"product": "financials", "suggestions_opened": 2, "deflected": 2, "rate": 1.0}]));

        // The chef logs the case anyway: no longer deflected.
        let token = app.token("chef@lumiere.example").await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/cases",
                Some(&token),
                json!({
                    "product": "financials", "area": "general_ledger", "environment": "production",
                    "impact": "degraded", "scope": "group", "subject": "Période clôturée",
                    "description": "GL-4012 à chaque écriture.",
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let report = json(app.get("/api/v1/reports/deflection", &lead).await).await;
        assert_eq!(report["products"][0]["deflected"], 1);
        assert_eq!(report["products"][0]["rate"], 0.5);
        problem(app.get("/api/v1/reports/deflection", &token).await, StatusCode::FORBIDDEN, "support_manager_required").await;

        // The managers' line on the help center.
        let (lead_browser, _) = signed_in(&app, "lead@support.example").await;
        let html = lead_browser.get(format!("{}/help", app.url)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("1 of 2 suggested articles"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn r8_the_help_center_searches_browses_and_takes_votes() {
    on_sqlite(|app| async move {
        with_demo_articles(&app).await;
        let html = app
            .client
            .get(format!("{}/help?q=rapprochement&product=financials", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("/help/articles/bank-reconciliation"), "{html}");
        let html = app
            .client
            .get(format!("{}/help?product=time&area=expenses", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("/help/articles/mileage-claims"));
        assert!(!html.contains("/help/articles/bank-reconciliation?"));
        let (marie, csrf) = signed_in(&app, "marie@lumiere.example").await;
        let page = marie
            .get(format!("{}/help/articles/bank-reconciliation", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Effectuer un rapprochement bancaire"),
            "Marie reads French"
        );
        assert!(page.contains("Cet article vous a-t-il aidé"));
        let vote = marie
            .post(format!("{}/help/articles/bank-reconciliation/vote", app.url))
            .form(&[("csrf", csrf.as_str()), ("helpful", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(vote.status(), StatusCode::SEE_OTHER);
        let coach = app.token("coach@support.example").await;
        let article = json(app.get("/api/v1/articles/bank-reconciliation", &coach).await).await;
        assert_eq!(article["votes"]["helpful"], 1);
    })
    .await;
}

fn guichet() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"));
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

fn run(args: &[&str], data: &std::path::Path) -> (i32, String) {
    let output = guichet().args(args).arg("--data-dir").arg(data).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn r8_kb_import_reports_each_file_is_idempotent_exports_and_reindexes() {
    let dir = tempfile::tempdir().unwrap();
    let (kb, data, out) = (dir.path().join("kb"), dir.path().join("data"), dir.path().join("out"));
    std::fs::create_dir_all(kb.join("html")).unwrap();
    let front = |lang: &str, title: &str| {
        format!(
            "---\nslug: period-closed\nlang: {lang}\ntitle: \"{title}\"\nproducts: [financials]\nerror_codes: [GL-4012]\npage_keys: [gl/journal-entry/new]\n---\nBody in {lang}.\n"
        )
    };
    std::fs::write(kb.join("period-closed.fr.md"), front("fr", "Période clôturée")).unwrap();
    std::fs::write(kb.join("period-closed.en.md"), front("en", "Period closed")).unwrap();
    std::fs::write(kb.join("broken.md"), "---\nslug: broken\nlang: de\ntitle: x\n---\nb").unwrap();
    std::fs::write(kb.join("no-front-matter.md"), "# Just a title").unwrap();
    std::fs::write(
        kb.join("html/Sum Function.html"),
        "<html lang=\"en\"><head><title>SUM</title></head><body><p>Adds numbers.</p><script>x()</script></body></html>",
    )
    .unwrap();

    let (code, text) = run(&["kb", "import", kb.to_str().unwrap()], &data);
    assert_eq!(code, 2, "some files were refused: {text}");
    assert!(
        text.contains("created    period-closed.en.md (period-closed, en)"),
        "{text}"
    );
    assert!(
        text.contains("created    period-closed.fr.md (period-closed, fr)"),
        "{text}"
    );
    assert!(
        text.contains("created    html/Sum Function.html (sum-function, en)"),
        "{text}"
    );
    assert!(text.contains("refused    broken.md: `lang`"), "{text}");
    assert!(
        text.contains("refused    no-front-matter.md: no front matter"),
        "{text}"
    );
    assert!(text.contains("3 created, 0 updated, 0 unchanged, 2 refused"), "{text}");

    std::fs::remove_file(kb.join("broken.md")).unwrap();
    std::fs::remove_file(kb.join("no-front-matter.md")).unwrap();
    let (code, text) = run(&["kb", "import", kb.to_str().unwrap()], &data);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("0 created, 0 updated, 3 unchanged, 0 refused"),
        "importing again changes nothing: {text}"
    );
    std::fs::write(kb.join("period-closed.fr.md"), front("fr", "La période est clôturée")).unwrap();
    let (_, text) = run(&["kb", "import", kb.to_str().unwrap()], &data);
    assert!(text.contains("0 created, 2 updated, 1 unchanged"), "{text}");

    let (code, text) = run(&["kb", "export", out.to_str().unwrap()], &data);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 files written"), "{text}");
    let exported = std::fs::read_to_string(out.join("period-closed.fr.md")).unwrap();
    assert!(
        exported.contains("title: \"La période est clôturée\"")
            && exported.contains("page_keys: [\"gl/journal-entry/new\"]")
    );
    assert!(out.join("sum-function.en.html").exists());
    // The export imports back as it is.
    let (_, text) = run(&["kb", "import", out.to_str().unwrap()], &data);
    assert!(text.contains("0 created, 0 updated, 3 unchanged, 0 refused"), "{text}");

    let (code, text) = run(&["reindex"], &data);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("2 articles searchable (3 documents)"), "{text}");
    assert!(data.join("search").join("meta.json").exists());
}
