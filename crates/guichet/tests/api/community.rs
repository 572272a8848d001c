//! The community (R9), end to end: asking, expert answers, acceptance,
//! search and log-a-case suggestions, moderation, votes, flags, rate
//! limits, the experts' queue, the demo community and the portal pages.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{App, json, on_each_engine, problem};
use crate::portal_cases::{location, page, post, signed_in};

async fn call(app: &App, method: Method, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
    let request = app.request(method, path, Some(token));
    match body {
        Some(body) => request.json(&body).send().await.unwrap(),
        None => request.send().await.unwrap(),
    }
}

async fn ok(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let body = json(response).await;
    assert_eq!(actual, status, "{body}");
    body
}

/// Asks a question as `token`; returns its id.
async fn ask(app: &App, token: &str, title: &str, body: &str) -> String {
    let question = ok(
        call(
            app,
            Method::POST,
            "/api/v1/community/questions",
            token,
            Some(json!({
                "title": title,
                "body": body,
                "product": "financials",
                "area": "general_ledger",
                "tags": ["clôture"],
                "lang": "fr",
            })),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    question["id"].as_str().unwrap().to_owned()
}

async fn answer(app: &App, token: &str, question: &str, body: &str) -> Value {
    ok(
        call(
            app,
            Method::POST,
            &format!("/api/v1/community/questions/{question}/answers"),
            token,
            Some(json!({"body": body})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn results(app: &App, path: &str, token: &str) -> Vec<Value> {
    let body = ok(call(app, Method::GET, path, token, None).await, StatusCode::OK).await;
    body["results"].as_array().unwrap().clone()
}

async fn name_expert(app: &App, email: &str, products: &[&str]) {
    let lead = app.token("lead@support.example").await;
    let id = app.user_id(email).await;
    ok(
        call(
            app,
            Method::PUT,
            &format!("/api/v1/community/experts/{id}"),
            &lead,
            Some(json!({"products": products})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn r9_marie_asks_an_expert_answers_she_accepts_it_is_solved_searchable_and_suggested() {
    on_each_engine(|app| async move {
        name_expert(&app, "coach@support.example", &["financials"]).await;
        let marie = app.token("marie@lumiere.example").await;
        let coach = app.token("coach@support.example").await;
        let chef = app.token("chef@lumiere.example").await;

        let id = ask(
            &app,
            &marie,
            "Écriture refusée : la période comptable est clôturée",
            "Quand je valide mon écriture de journal, le message **période clôturée** s'affiche.",
        )
        .await;
        let expert = answer(
            &app,
            &coach,
            &id,
            "Rouvrez la période dans Paramètres › Périodes, puis validez à nouveau l'écriture.",
        )
        .await;
        assert_eq!(expert["expert"], true, "{expert}");
        let other = answer(&app, &chef, &id, "Chez nous, un redémarrage a suffi.").await;
        assert_eq!(other["expert"], false);
        // Chef votes for his own answer: refused; Marie votes for it, then changes her mind.
        problem(
            call(
                &app,
                Method::PUT,
                &format!("/api/v1/community/answers/{}/vote", other["id"].as_str().unwrap()),
                &chef,
                Some(json!({"value": 1})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "own_answer",
        )
        .await;
        for value in [1, -1] {
            let voted = ok(
                call(
                    &app,
                    Method::PUT,
                    &format!("/api/v1/community/answers/{}/vote", other["id"].as_str().unwrap()),
                    &marie,
                    Some(json!({"value": value})),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(voted["score"], value, "one vote each, changeable");
        }
        // Only the asker (an expert, a moderator) accepts.
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{id}/accept"),
                &chef,
                Some(json!({"answer": expert["id"]})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "not_asker",
        )
        .await;
        let solved = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{id}/accept"),
                &marie,
                Some(json!({"answer": expert["id"]})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(solved["state"], "solved");
        assert_eq!(solved["accepted_answer"], expert["id"]);

        // The question shows as solved, the expert's answer first, accepted and marked.
        let shown = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{id}"),
                &chef,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(shown["state"], "solved");
        let first = &shown["answers"][0];
        assert_eq!(
            (&first["id"], &first["accepted"], &first["expert"]),
            (&expert["id"], &json!(true), &json!(true)),
            "{shown}"
        );
        assert_eq!(shown["answers"][1]["accepted"], false);
        assert!(
            shown["html"]
                .as_str()
                .unwrap()
                .contains("<strong>période clôturée</strong>")
        );

        // In the one search (the question and its accepted answer), and in
        // the log-a-case suggestions for a matching subject.
        let found = results(&app, "/api/v1/search?q=periode%20cloturee&kind=question", &marie).await;
        assert_eq!(found[0]["id"].as_str(), Some(id.as_str()), "{found:?}");
        assert_eq!(found[0]["kind"], "question");
        assert_eq!(found[0]["url"], format!("/community/questions/{id}"));
        let found = results(&app, "/api/v1/search?q=rouvrez%20la%20p%C3%A9riode&lang=fr", &marie).await;
        assert!(
            found.iter().any(|r| r["id"] == id.as_str()),
            "the accepted answer is searchable: {found:?}"
        );
        let suggested = results(
            &app,
            "/api/v1/suggest?lang=fr&q=%C3%89criture%20refus%C3%A9e%20p%C3%A9riode%20cl%C3%B4tur",
            &marie,
        )
        .await;
        assert!(
            suggested
                .iter()
                .any(|r| r["kind"] == "question" && r["id"] == id.as_str()),
            "{suggested:?}"
        );
        // A subject in the words of the accepted answer alone suggests it too.
        let suggested = results(&app, "/api/v1/suggest?lang=fr&q=rouvrez%20param%C3%A8tres", &marie).await;
        assert!(
            suggested
                .iter()
                .any(|r| r["kind"] == "question" && r["id"] == id.as_str()),
            "the accepted answer is suggested: {suggested:?}"
        );
        // Community posts are for members: not for anonymous readers.
        let anonymous = app
            .request(Method::GET, "/api/v1/search?q=periode%20cloturee&kind=question", None)
            .send()
            .await
            .unwrap();
        assert_eq!(json(anonymous).await["results"], json!([]));

        // Marie follows her question: the answers reached her by mail, in French.
        let mails = app
            .store
            .pending_outbox("mail", jiff::Timestamp::now(), 100)
            .await
            .unwrap();
        let to_marie: Vec<Value> = mails
            .iter()
            .map(|m| serde_json::from_str::<Value>(&m.payload).unwrap())
            .filter(|m| m["to"] == "marie@lumiere.example")
            .collect();
        assert_eq!(to_marie.len(), 2, "{to_marie:?}");
        assert!(to_marie[0]["subject"].as_str().unwrap().starts_with("Nouvelle réponse"));
        assert_eq!(to_marie[0]["language"], "fr");

        // Reputation on the expert's profile.
        let coach_id = app.user_id("coach@support.example").await;
        let profile = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/members/{coach_id}"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(profile["accepted_answers"], 1);
        assert_eq!(profile["reputation"], 15);
        assert_eq!(profile["expert_of"], json!(["financials"]));
    })
    .await;
}

#[tokio::test]
async fn r9_a_hidden_post_is_gone_from_search_and_lists_at_once() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let lead = app.token("lead@support.example").await;
        let chef = app.token("chef@lumiere.example").await;
        let id = ask(
            &app,
            &marie,
            "Le module zorglub refuse la saisie",
            "Le module zorglub affiche une erreur.",
        )
        .await;
        let reply = answer(&app, &chef, &id, "Essayez le module zorglub en anglais.").await;
        let search = "/api/v1/search?q=zorglub&kind=question";
        assert_eq!(results(&app, search, &chef).await.len(), 1);
        let suggest = "/api/v1/suggest?lang=fr&q=module%20zorglub";
        assert_eq!(results(&app, suggest, &chef).await.len(), 1);
        let listed = |body: Value| {
            body["questions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["id"] == id.as_str())
        };
        let list = "/api/v1/community/questions?limit=100";
        assert!(listed(
            ok(call(&app, Method::GET, list, &chef, None).await, StatusCode::OK).await
        ));

        // A member may not hide; a moderator may.
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/posts/{id}/moderation"),
                &chef,
                Some(json!({"action": "hide"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "moderator_required",
        )
        .await;
        let hidden = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/posts/{id}/moderation"),
                &lead,
                Some(json!({"action": "hide"})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(hidden["kind"], "question");
        // At once: no wait for the indexer.
        assert!(results(&app, search, &chef).await.is_empty());
        assert!(results(&app, search, &lead).await.is_empty());
        assert!(
            results(&app, suggest, &chef).await.is_empty(),
            "gone from the log-a-case suggestions"
        );
        assert!(!listed(
            ok(call(&app, Method::GET, list, &chef, None).await, StatusCode::OK).await
        ));
        problem(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{id}"),
                &marie,
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        let seen = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{id}"),
                &lead,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(seen["hidden"], true);
        assert!(listed(
            ok(
                call(&app, Method::GET, &format!("{list}&hidden=true"), &lead, None).await,
                StatusCode::OK
            )
            .await
        ));

        // Shown again, it is back; a hidden answer leaves the page and the search.
        ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/posts/{id}/moderation"),
                &lead,
                Some(json!({"action": "show"})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(results(&app, search, &chef).await.len(), 1);
        let accepted = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{id}/accept"),
                &marie,
                Some(json!({"answer": reply["id"]})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(accepted["state"], "solved");
        let english = "/api/v1/search?q=anglais&kind=question";
        assert_eq!(results(&app, english, &chef).await.len(), 1);
        ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/posts/{}/moderation", reply["id"].as_str().unwrap()),
                &lead,
                Some(json!({"action": "hide"})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(
            results(&app, english, &chef).await.is_empty(),
            "the hidden answer left the index"
        );
        let page = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{id}"),
                &chef,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["answers"], json!([]), "the hidden answer left the page");
        assert_eq!(page["answers"].as_array().unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn r9_flags_locks_merges_moves_edits_articles_and_new_account_limits() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let chef = app.token("chef@lumiere.example").await;
        let lead = app.token("lead@support.example").await;
        let coach = app.token("coach@support.example").await;
        let first = ask(
            &app,
            &marie,
            "Comment clôturer une période comptable ?",
            "Première fois.",
        )
        .await;
        let duplicate = ask(&app, &chef, "Clôture de période : comment faire ?", "Même question.").await;
        let reply = answer(&app, &coach, &duplicate, "Menu Paramètres › Périodes › Clôturer.").await;

        // Flags, once per member, listed for moderators only.
        let flag = |token: String, post: String| {
            let app = app.clone();
            async move {
                call(
                    &app,
                    Method::POST,
                    &format!("/api/v1/community/posts/{post}/flags"),
                    &token,
                    Some(json!({"reason": "doublon"})),
                )
                .await
            }
        };
        assert_eq!(
            flag(marie.clone(), duplicate.clone()).await.status(),
            StatusCode::NO_CONTENT
        );
        problem(
            flag(marie.clone(), duplicate.clone()).await,
            StatusCode::CONFLICT,
            "already_flagged",
        )
        .await;
        problem(
            call(&app, Method::GET, "/api/v1/community/flags", &marie, None).await,
            StatusCode::FORBIDDEN,
            "moderator_required",
        )
        .await;
        let flags = ok(
            call(&app, Method::GET, "/api/v1/community/flags", &lead, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(flags.as_array().unwrap().len(), 1);
        assert_eq!(flags[0]["reason"], "doublon");

        // Merge the duplicate: its answer and followers move; flags too.
        let merged = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{duplicate}/merge"),
                &lead,
                Some(json!({"into": first})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(merged["id"].as_str(), Some(first.as_str()));
        let target = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{first}"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(target["answers"][0]["id"], reply["id"]);
        let old = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{duplicate}"),
                &chef,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(old["merged_into"].as_str(), Some(first.as_str()));
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{duplicate}/answers"),
                &chef,
                Some(json!({"body": "encore"})),
            )
            .await,
            StatusCode::CONFLICT,
            "question_merged",
        )
        .await;

        // Move to another product; lock; members may no longer answer.
        let moved = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/move"),
                &lead,
                Some(json!({"product": "time", "area": "timesheets"})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (moved["product"].as_str(), moved["area"].as_str()),
            (Some("time"), Some("timesheets"))
        );
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/move"),
                &lead,
                Some(json!({"product": "time", "area": "general_ledger"})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_area",
        )
        .await;
        ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/lock"),
                &lead,
                Some(json!({"locked": true})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/comments"),
                &chef,
                Some(json!({"body": "Et alors ?"})),
            )
            .await,
            StatusCode::CONFLICT,
            "question_locked",
        )
        .await;

        // Edits keep their history; a stale version is refused.
        let current = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{first}"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(
            current["version"].as_i64() > target["version"].as_i64(),
            "moving and locking are changes"
        );
        let edited = ok(
            call(
                &app,
                Method::PUT,
                &format!("/api/v1/community/questions/{first}"),
                &lead,
                Some(json!({
                    "title": "Comment clôturer une période comptable mensuelle ?",
                    "body": "Texte revu.",
                    "note": "précision",
                    "version": current["version"],
                })),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(edited["title"], "Comment clôturer une période comptable mensuelle ?");
        problem(
            call(
                &app,
                Method::PUT,
                &format!("/api/v1/community/questions/{first}"),
                &marie,
                Some(json!({"title": "Autre titre pour la question", "body": "x", "version": current["version"]})),
            )
            .await,
            StatusCode::CONFLICT,
            "question_changed",
        )
        .await;
        problem(
            call(
                &app,
                Method::PUT,
                &format!("/api/v1/community/questions/{first}"),
                &chef,
                Some(json!({"title": "Autre titre pour la question", "body": "x"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "not_author",
        )
        .await;
        let revisions = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{first}/revisions"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(revisions.as_array().unwrap().len(), 2);
        assert_eq!(revisions[0]["note"], "précision");
        assert_eq!(revisions[1]["body"], "Première fois.");

        // An editor turns the accepted answer into an article, in one action.
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/article"),
                &coach,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "no_accepted_answer",
        )
        .await;
        ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/accept"),
                &marie,
                Some(json!({"answer": reply["id"]})),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/article"),
                &marie,
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "editor_required",
        )
        .await;
        let made = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/article"),
                &coach,
                None,
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let article = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/articles/{}", made["slug"].as_str().unwrap()),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let body = article["translations"][0]["body"].as_str().unwrap();
        assert!(body.contains("Menu Paramètres › Périodes › Clôturer."), "{body}");
        assert!(
            body.contains(&format!("/community/questions/{first}")),
            "the article links the question"
        );
        let linked = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{first}"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(linked["article"], made["id"], "the question links the article");
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{first}/article"),
                &coach,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "article_exists",
        )
        .await;

        // Follow a tag; bad subscriptions name their field.
        let followed = ok(
            call(
                &app,
                Method::POST,
                "/api/v1/community/subscriptions",
                &chef,
                Some(json!({"kind": "tag", "target": "Clôture"})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(followed["target"], "clôture");
        problem(
            call(
                &app,
                Method::POST,
                "/api/v1/community/subscriptions",
                &chef,
                Some(json!({"kind": "forum", "target": "x"})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_kind",
        )
        .await;
        // Marie asks with the tag: Chef is told.
        ask(&app, &marie, "Une autre question sur la clôture", "Texte.").await;
        let mails = app
            .store
            .pending_outbox("mail", jiff::Timestamp::now(), 200)
            .await
            .unwrap();
        assert!(
            mails
                .iter()
                .any(|m| m.payload.contains("chef@lumiere.example") && m.payload.contains("Nouvelle question")),
            "tag followers hear of new questions"
        );
        assert_eq!(
            call(
                &app,
                Method::DELETE,
                "/api/v1/community/subscriptions/tag/cl%C3%B4ture",
                &chef,
                None
            )
            .await
            .status(),
            StatusCode::NO_CONTENT
        );

        // R9: a new account posts at most 10 times a day (Marie asked 2
        // questions already); the vendor's staff are not limited.
        let mut refused = None;
        for n in 0..10 {
            let response = call(
                &app,
                Method::POST,
                "/api/v1/community/questions",
                &marie,
                Some(json!({"title": format!("Question numéro {n} de Marie"), "body": "x", "product": "time"})),
            )
            .await;
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                refused = Some((n, response));
                break;
            }
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        let (n, response) = refused.expect("the limit applies");
        assert_eq!(n, 8, "2 earlier questions and 8 more make 10");
        assert!(response.headers().contains_key("retry-after"));
        let body = problem(response, StatusCode::TOO_MANY_REQUESTS, "posting_rate_limited").await;
        assert!(body["retry_at"].is_string());
        for n in 0..12 {
            answer(&app, &lead, &first, &format!("Réponse {n} de l'équipe.")).await;
        }
    })
    .await;
}

#[tokio::test]
async fn r9_the_demo_community_and_the_experts_queue() {
    on_each_engine(|app| async move {
        assert!(
            guichet::demo::community::seed(&app.store, jiff::Timestamp::now())
                .await
                .unwrap()
        );
        let marie = app.token("marie@lumiere.example").await;
        let mut questions = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = ok(
                call(
                    &app,
                    Method::GET,
                    &format!("/api/v1/community/questions?limit=100&cursor={cursor}"),
                    &marie,
                    None,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            questions.extend(page["questions"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(questions.len(), guichet::demo::community::QUESTIONS);
        let count = |key: &str, value: &str| questions.iter().filter(|q| q[key] == value).count();
        assert!(count("lang", "fr") >= 100 && count("lang", "en") >= 100);
        assert!(count("state", "solved") >= 100, "many accepted answers");
        assert!(count("product", "time") >= 50 && count("product", "financials") >= 50);
        let solved = questions.iter().find(|q| q["state"] == "solved").unwrap();
        let page = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{}", solved["id"].as_str().unwrap()),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["answers"][0]["accepted"], true);
        let experts = ok(
            call(&app, Method::GET, "/api/v1/community/experts", &marie, None).await,
            StatusCode::OK,
        )
        .await;
        assert!(experts.as_array().unwrap().len() >= 5);

        // The experts' queue: unanswered for a day or more, oldest first.
        problem(
            call(&app, Method::GET, "/api/v1/community/queue", &marie, None).await,
            StatusCode::FORBIDDEN,
            "expert_required",
        )
        .await;
        let eng = app.token("eng@support.example").await;
        let queue = ok(
            call(&app, Method::GET, "/api/v1/community/queue", &eng, None).await,
            StatusCode::OK,
        )
        .await;
        let queue = queue.as_array().unwrap();
        assert!(!queue.is_empty());
        let day_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        let mut previous = String::new();
        for q in queue {
            assert_eq!(q["answers"], 0);
            assert_eq!(q["product"], "time", "an expert of time sees questions about time");
            let asked: jiff::Timestamp = q["asked_at"].as_str().unwrap().parse().unwrap();
            assert!(asked <= day_ago, "{q}");
            assert!(q["asked_at"].as_str().unwrap() >= previous.as_str(), "oldest first");
            previous = q["asked_at"].as_str().unwrap().to_owned();
        }
        // A short queue keeps those who waited longest, not the newest.
        assert!(queue.len() >= 2, "the demo has several questions waiting");
        let first = ok(
            call(&app, Method::GET, "/api/v1/community/queue?limit=1", &eng, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(first.as_array().unwrap().len(), 1);
        assert_eq!(
            first[0]["id"], queue[0]["id"],
            "the oldest question heads a queue of one"
        );
        let fresh = questions
            .iter()
            .filter(|q| q["answers"] == 0)
            .filter(|q| q["asked_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap() > day_ago)
            .count();
        assert!(fresh > 0, "recent unanswered questions wait a day before the queue");

        // The demo questions are searchable once the indexer (every second)
        // has read them from the feed.
        let mut found = Vec::new();
        for _ in 0..60 {
            found = results(
                &app,
                "/api/v1/search?q=rapprochement%20bancaire&kind=question&lang=fr",
                &marie,
            )
            .await;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        assert!(!found.is_empty(), "the demo questions are indexed");
    })
    .await;
}

#[tokio::test]
async fn r9_portal_pages_in_french_ask_answer_accept_with_csrf() {
    on_each_engine(|app| async move {
        name_expert(&app, "coach@support.example", &["financials"]).await;
        let (marie, marie_csrf) = signed_in(&app, "marie@lumiere.example").await;
        let (status, html) = page(&marie, &app, "/community").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Poser une question"), "French: {html}");
        assert!(html.contains("href=\"/community\" aria-current=\"page\""));
        // Without the session's token, nothing is posted.
        let refused = post(
            &marie,
            &app,
            "/community/ask",
            &[
                ("csrf", "forged"),
                ("title", "Une question sans jeton"),
                ("body", "x"),
                ("place", "financials"),
            ],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        // A title too short: the form again, with the reason in French.
        let short = post(
            &marie,
            &app,
            "/community/ask",
            &[
                ("csrf", &marie_csrf),
                ("title", "Aide"),
                ("body", "x"),
                ("place", "financials"),
                ("lang", "fr"),
            ],
        )
        .await;
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            short
                .text()
                .await
                .unwrap()
                .contains("Le titre compte de 8 à 200 caractères.")
        );
        let asked = post(
            &marie,
            &app,
            "/community/ask",
            &[
                ("csrf", &marie_csrf),
                ("title", "Rapprochement bancaire en double"),
                ("body", "Le relevé est importé **deux fois**. <script>alert(1)</script>"),
                ("place", "financials/cash_management"),
                ("tags", "banque, relevé"),
                ("lang", "fr"),
            ],
        )
        .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        let path = location(&asked).to_owned();
        let (_, question) = page(&marie, &app, &path).await;
        assert!(question.contains("<strong>deux fois</strong>"));
        assert!(!question.contains("<script>alert(1)"), "Markdown is rendered safely");
        assert!(question.contains("Suivre") || question.contains("Ne plus suivre"));

        let (coach, coach_csrf) = signed_in(&app, "coach@support.example").await;
        let answered = post(
            &coach,
            &app,
            &format!("{path}/answers"),
            &[("csrf", &coach_csrf), ("body", "Supprimez le second import.")],
        )
        .await;
        assert_eq!(answered.status(), StatusCode::SEE_OTHER);
        let answer_id = location(&answered).split("#answer-").nth(1).unwrap().to_owned();
        let accepted = post(
            &marie,
            &app,
            &format!("{path}/accept"),
            &[("csrf", &marie_csrf), ("answer", &answer_id)],
        )
        .await;
        assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
        let (_, solved) = page(&marie, &app, &path).await;
        assert!(solved.contains("Résolue"));
        assert!(solved.contains("Réponse acceptée"));
        assert!(solved.contains("Expert produit"));
        // A member's flag, a moderator's hiding through the portal.
        let flagged = post(
            &marie,
            &app,
            &format!("/community/posts/{answer_id}/flag"),
            &[
                ("csrf", &marie_csrf),
                ("reason", "test"),
                ("question", path.rsplit('/').next().unwrap()),
            ],
        )
        .await;
        assert_eq!(flagged.status(), StatusCode::SEE_OTHER);
        let (lead, lead_csrf) = signed_in(&app, "lead@support.example").await;
        let (status, moderation) = page(&lead, &app, "/community/moderation").await;
        assert_eq!(status, StatusCode::OK);
        assert!(moderation.contains("Rapprochement bancaire en double"));
        let question_id = path.rsplit('/').next().unwrap().to_owned();
        let hidden = post(
            &lead,
            &app,
            &format!("/community/posts/{question_id}/moderation"),
            &[("csrf", &lead_csrf), ("action", "hide")],
        )
        .await;
        assert_eq!(hidden.status(), StatusCode::SEE_OTHER);
        let (status, _) = page(&marie, &app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = page(&marie, &app, "/community").await;
        assert!(!list.contains("Rapprochement bancaire en double"));
        let (_, queue) = page(&marie, &app, "/community/queue").await;
        assert!(queue.contains("experts produit"), "{queue}");
    })
    .await;
}

/// The mails waiting in the outbox for `to`, as JSON.
async fn mails_to(app: &App, to: &str) -> Vec<Value> {
    app.store
        .pending_outbox("mail", jiff::Timestamp::now(), 500)
        .await
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.payload).unwrap())
        .filter(|m| m["to"] == to)
        .collect()
}

#[tokio::test]
async fn r9_product_and_question_followers_are_told_by_mail_until_they_stop() {
    on_each_engine(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let chef = app.token("chef@lumiere.example").await;
        let dana = app.token("dana@acme.example").await;
        let coach = app.token("coach@support.example").await;
        let ask_about_time = |title: &'static str| {
            let app = app.clone();
            let marie = marie.clone();
            async move {
                let asked = ok(
                    call(
                        &app,
                        Method::POST,
                        "/api/v1/community/questions",
                        &marie,
                        Some(json!({"title": title, "body": "Texte.", "product": "time", "area": "timesheets"})),
                    )
                    .await,
                    StatusCode::CREATED,
                )
                .await;
                asked["id"].as_str().unwrap().to_owned()
            }
        };

        // Chef follows the product; a question about another product is not for him.
        let followed = ok(
            call(
                &app,
                Method::POST,
                "/api/v1/community/subscriptions",
                &chef,
                Some(json!({"kind": "product", "target": "time"})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(
            (followed["kind"].as_str(), followed["target"].as_str()),
            (Some("product"), Some("time"))
        );
        problem(
            call(
                &app,
                Method::POST,
                "/api/v1/community/subscriptions",
                &chef,
                Some(json!({"kind": "product", "target": "no_such_product"})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_product",
        )
        .await;
        ask(&app, &marie, "Une question de comptabilité générale", "Texte.").await;
        assert!(mails_to(&app, "chef@lumiere.example").await.is_empty());
        let id = ask_about_time("Feuille de temps bloquée à la validation").await;
        let to_chef = mails_to(&app, "chef@lumiere.example").await;
        assert_eq!(to_chef.len(), 1, "{to_chef:?}");
        assert_eq!(
            to_chef[0]["subject"],
            "Nouvelle question : Feuille de temps bloquée à la validation"
        );
        assert!(
            to_chef[0]["body"]
                .as_str()
                .unwrap()
                .contains(&format!("/community/questions/{id}"))
        );
        assert!(
            mails_to(&app, "marie@lumiere.example").await.is_empty(),
            "not the asker"
        );

        // Dana follows the question: an answer reaches her, in English, and Marie.
        ok(
            call(
                &app,
                Method::POST,
                "/api/v1/community/subscriptions",
                &dana,
                Some(json!({"kind": "question", "target": id})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let listed = ok(
            call(&app, Method::GET, "/api/v1/community/subscriptions", &dana, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(listed, json!([{"kind": "question", "target": id}]));
        let reply = answer(&app, &coach, &id, "Demandez à votre responsable de rouvrir la semaine.").await;
        let to_dana = mails_to(&app, "dana@acme.example").await;
        assert_eq!(to_dana.len(), 1, "{to_dana:?}");
        assert_eq!(
            to_dana[0]["subject"],
            "New answer: Feuille de temps bloquée à la validation"
        );
        assert_eq!(to_dana[0]["language"], "en");
        assert_eq!(
            mails_to(&app, "marie@lumiere.example").await.len(),
            1,
            "the asker follows her question"
        );
        assert!(
            mails_to(&app, "coach@support.example").await.is_empty(),
            "not the one who answered"
        );

        // Comments, on the question and on the answer, shown where they belong.
        let on_answer = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{id}/comments"),
                &dana,
                Some(json!({"body": "Merci, *cela marche*.", "answer": reply["id"]})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{id}/comments"),
                &chef,
                Some(json!({"body": "Même souci chez nous."})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let elsewhere = ask(&app, &marie, "Une question sans rapport avec celle-ci", "Texte.").await;
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/community/questions/{elsewhere}/comments"),
                &dana,
                Some(json!({"body": "x", "answer": reply["id"]})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_answer",
        )
        .await;
        let shown = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/community/questions/{id}"),
                &chef,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(shown["comments"].as_array().unwrap().len(), 1, "{shown}");
        assert_eq!(shown["comments"][0]["body"], "Même souci chez nous.");
        assert_eq!(shown["answers"][0]["comments"][0]["id"], on_answer["id"]);

        // Once they stop following, nothing more.
        for (token, path) in [
            (&chef, "/api/v1/community/subscriptions/product/time"),
            (&dana, &format!("/api/v1/community/subscriptions/question/{id}")),
        ] {
            assert_eq!(
                call(&app, Method::DELETE, path, token, None).await.status(),
                StatusCode::NO_CONTENT
            );
        }
        problem(
            call(
                &app,
                Method::DELETE,
                "/api/v1/community/subscriptions/product/time",
                &chef,
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        ask_about_time("Heures supplémentaires non comptées").await;
        answer(&app, &coach, &id, "Ou bien attendez la fin de la période.").await;
        assert_eq!(mails_to(&app, "chef@lumiere.example").await.len(), 1);
        assert_eq!(mails_to(&app, "dana@acme.example").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn r9_the_posting_limit_and_the_experts_wait_are_configured() {
    crate::helpers::on_each_engine_with(
        |config: &mut guichet::config::Config| {
            config.community.new_account_posts_per_day = 2;
            config.community.unanswered_after = "1s".into();
        },
        |app| async move {
            let marie = app.token("marie@lumiere.example").await;
            let lead = app.token("lead@support.example").await;
            let coach = app.token("coach@support.example").await;
            let first = ask(&app, &marie, "Première question de la journée", "Texte.").await;
            let second = ask(&app, &marie, "Deuxième question de la journée", "Texte.").await;
            problem(
                call(
                    &app,
                    Method::POST,
                    "/api/v1/community/questions",
                    &marie,
                    Some(json!({"title": "Troisième question de la journée", "body": "x", "product": "time"})),
                )
                .await,
                StatusCode::TOO_MANY_REQUESTS,
                "posting_rate_limited",
            )
            .await;
            // Unanswered for a second: on the experts' queue (not after a day).
            tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
            let queued = |token: String| {
                let app = app.clone();
                async move {
                    let queue = ok(
                        call(&app, Method::GET, "/api/v1/community/queue", &token, None).await,
                        StatusCode::OK,
                    )
                    .await;
                    queue
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|q| q["id"].as_str().unwrap().to_owned())
                        .collect::<Vec<_>>()
                }
            };
            assert_eq!(queued(lead.clone()).await, [first.clone(), second.clone()]);
            answer(&app, &coach, &first, "Voici la réponse.").await;
            assert_eq!(queued(lead.clone()).await, [second]);
        },
    )
    .await;
}

#[tokio::test]
async fn r9_a_new_account_posting_in_parallel_stays_within_its_limit() {
    crate::helpers::on_each_engine_with(
        |config: &mut guichet::config::Config| config.community.new_account_posts_per_day = 2,
        |app| async move {
            let marie = app.token("marie@lumiere.example").await;
            let mut tasks = Vec::new();
            for n in 0..8 {
                let app = app.clone();
                let marie = marie.clone();
                tasks.push(tokio::spawn(async move {
                    call(
                        &app,
                        Method::POST,
                        "/api/v1/community/questions",
                        &marie,
                        Some(json!({"title": format!("Question en parallèle numéro {n}"), "body": "x", "product": "time"})),
                    )
                    .await
                    .status()
                }));
            }
            let mut statuses = Vec::new();
            for task in tasks {
                statuses.push(task.await.unwrap());
            }
            let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
            let limited = statuses
                .iter()
                .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
                .count();
            assert_eq!((created, limited), (2, 6), "{statuses:?}");
        },
    )
    .await;
}
