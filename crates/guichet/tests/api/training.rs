//! Training (R10), end to end: the catalogue and its filters, sessions,
//! enrolment with the waiting list and its promotion, the capacity under
//! parallel enrolments, cancellation deadline, colleagues, completion, the
//! training record, the iCalendar invitation, the demo catalogue and the
//! portal pages.

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

/// A course made by the demo's support coach; returns its id.
async fn course(app: &App, slug: &str, format: &str, lang: &str) -> String {
    let coach = app.token("coach@support.example").await;
    let course = ok(
        call(
            app,
            Method::POST,
            "/api/v1/training/courses",
            &coach,
            Some(json!({
                "slug": slug,
                "title": format!("Clôture mensuelle ({slug})"),
                "summary": "Contrôles, régularisations et clôture de période.",
                "lang": lang,
                "format": format,
                "duration_minutes": 420,
                "product": "financials",
                "level": "intermediate",
                "prerequisites": ["Les bases de la comptabilité"],
                "paths": ["month-end-close"],
            })),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    course["id"].as_str().unwrap().to_owned()
}

/// A classroom session in Paris, 09:00 to 17:00 local time, about
/// `hours_from_now` from now.
async fn session(app: &App, course: &str, capacity: i64, hours_from_now: i64) -> Value {
    session_in(app, course, capacity, hours_from_now, "Europe/Paris").await
}

/// A classroom session in `zone`, 09:00 to 17:00 local time, about
/// `hours_from_now` from now.
async fn session_in(app: &App, course: &str, capacity: i64, hours_from_now: i64, zone: &str) -> Value {
    let coach = app.token("coach@support.example").await;
    let trainer = app.user_id("coach@support.example").await;
    // 09:00 there on the day `hours_from_now` falls on.
    let local = jiff::tz::TimeZone::get(zone).unwrap();
    let day = local
        .to_datetime(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours_from_now))
        .date();
    let start = local.to_timestamp(day.at(9, 0, 0, 0)).unwrap();
    let end = local.to_timestamp(day.at(17, 0, 0, 0)).unwrap();
    ok(
        call(
            app,
            Method::POST,
            &format!("/api/v1/training/courses/{course}/sessions"),
            &coach,
            Some(json!({
                "starts_at": start.to_string(),
                "ends_at": end.to_string(),
                "time_zone": zone,
                "capacity": capacity,
                "place": if zone == "Europe/Paris" { "Paris — salle Lumière" } else { zone },
                "trainer": trainer,
            })),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn enrol(app: &App, token: &str, session: &str, body: Value) -> reqwest::Response {
    call(
        app,
        Method::POST,
        &format!("/api/v1/training/sessions/{session}/enrolments"),
        token,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn r10_two_enrolments_in_one_seat_the_second_waits_then_is_promoted_and_told() {
    on_each_engine(|app| async move {
        let id = course(&app, "cloture-mensuelle", "classroom", "fr").await;
        let session = session(&app, &id, 1, 24 * 10).await;
        let session_id = session["id"].as_str().unwrap();
        assert_eq!(
            (session["capacity"].as_i64(), session["seats_left"].as_i64()),
            (Some(1), Some(1))
        );
        let marie = app.token("marie@lumiere.example").await;
        let chef = app.token("chef@lumiere.example").await;

        let first = ok(enrol(&app, &marie, session_id, json!({})).await, StatusCode::CREATED).await;
        assert_eq!(first["status"], "enrolled");
        let second = ok(enrol(&app, &chef, session_id, json!({})).await, StatusCode::CREATED).await;
        assert_eq!(second["status"], "waiting");
        assert_eq!(second["waiting_position"], 1);
        assert_eq!(second["join_url"], Value::Null);
        problem(
            enrol(&app, &chef, session_id, json!({})).await,
            StatusCode::CONFLICT,
            "already_enrolled",
        )
        .await;

        // The first gives up the seat: the second has it, and a mail says so.
        let cancelled = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/enrolments/{}/cancel", first["id"].as_str().unwrap()),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(cancelled["enrolment"]["status"], "cancelled");
        assert_eq!(cancelled["seat_passed_on"], true);
        let promoted = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/training/enrolments/{}", second["id"].as_str().unwrap()),
                &chef,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(promoted["status"], "enrolled");
        assert_eq!(promoted["waiting_position"], Value::Null);
        let mails = app
            .store
            .pending_outbox("mail", jiff::Timestamp::now(), 100)
            .await
            .unwrap();
        let mails: Vec<Value> = mails
            .iter()
            .map(|m| serde_json::from_str::<Value>(&m.payload).unwrap())
            .filter(|m| m["to"] == "chef@lumiere.example")
            .collect();
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(
            mails[0]["subject"].as_str().unwrap().starts_with("Une place pour vous"),
            "in French"
        );
        assert!(
            mails[0]["body"].as_str().unwrap().contains("(Europe/Paris)"),
            "the session's own time"
        );
        let seats = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/training/sessions/{session_id}"),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (seats["seats_taken"].as_i64(), seats["waiting"].as_i64()),
            (Some(1), Some(0))
        );
        // Cancelled, one may enrol again: the session is full, so it is the waiting list.
        let again = ok(enrol(&app, &marie, session_id, json!({})).await, StatusCode::CREATED).await;
        assert_eq!(again["status"], "waiting");
    })
    .await;
}

#[tokio::test]
async fn r10_parallel_enrolments_never_exceed_the_capacity() {
    on_each_engine(|app| async move {
        let id = course(&app, "rapprochement", "classroom", "fr").await;
        let session = session(&app, &id, 3, 24 * 20).await;
        let session_id = session["id"].as_str().unwrap().to_owned();
        let people = [
            "dana@acme.example",
            "ulysse@acme.example",
            "chef@lumiere.example",
            "marie@lumiere.example",
            "bruce@koala.example",
            "fiona@thistle.example",
            "thabo@springbok.example",
            "jonas@brezel.example",
            "pat@northwind.example",
            "rita@redwood.example",
            "sam@redwood.example",
            "analyst@support.example",
        ];
        let mut tokens = Vec::new();
        for email in people {
            tokens.push(app.token(email).await);
        }
        let mut requests = Vec::new();
        for token in tokens {
            let app = app.clone();
            let session_id = session_id.clone();
            requests.push(tokio::spawn(async move {
                let response = enrol(&app, &token, &session_id, json!({})).await;
                assert_eq!(response.status(), StatusCode::CREATED);
                json(response).await["status"].as_str().unwrap().to_owned()
            }));
        }
        let mut statuses = Vec::new();
        for request in requests {
            statuses.push(request.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| *s == "enrolled").count(), 3, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| *s == "waiting").count(), 9);
        let coach = app.token("coach@support.example").await;
        let roster = ok(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/training/sessions/{session_id}/roster"),
                &coach,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(roster["session"]["seats_taken"], 3);
        assert_eq!(roster["session"]["waiting"], 9);
        let positions: Vec<i64> = roster["enrolments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["waiting_position"].as_i64())
            .collect();
        assert_eq!(positions, (1..=9).collect::<Vec<_>>(), "the waiting list is in order");
        // A member is not the trainer.
        let marie = app.token("marie@lumiere.example").await;
        problem(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/training/sessions/{session_id}/roster"),
                &marie,
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            "trainer_required",
        )
        .await;
    })
    .await;
}

/// The session's roster as the trainer sees it: (learner's id, status,
/// waiting position) in order, seats first.
async fn roster(app: &App, session: &str) -> (Value, Vec<(String, String, Option<i64>)>) {
    let coach = app.token("coach@support.example").await;
    let roster = ok(
        call(
            app,
            Method::GET,
            &format!("/api/v1/training/sessions/{session}/roster"),
            &coach,
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let lines = roster["enrolments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["learner"]["id"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
                e["waiting_position"].as_i64(),
            )
        })
        .collect();
    (roster["session"].clone(), lines)
}

#[tokio::test]
async fn r10_one_seat_under_parallel_enrolments_and_cancellations() {
    on_each_engine(|app| async move {
        let id = course(&app, "une-place", "classroom", "fr").await;
        let session = session(&app, &id, 1, 24 * 20).await;
        let session_id = session["id"].as_str().unwrap().to_owned();
        let people = [
            "dana@acme.example",
            "ulysse@acme.example",
            "chef@lumiere.example",
            "marie@lumiere.example",
            "bruce@koala.example",
            "fiona@thistle.example",
            "thabo@springbok.example",
            "jonas@brezel.example",
            "pat@northwind.example",
            "rita@redwood.example",
            "sam@redwood.example",
            "analyst@support.example",
        ];
        let mut tokens = std::collections::HashMap::new();
        let mut emails = std::collections::HashMap::new();
        for email in people {
            tokens.insert(app.user_id(email).await, app.token(email).await);
            emails.insert(app.user_id(email).await, email);
        }
        let user = |email: &str| {
            emails
                .iter()
                .find(|(_, e)| **e == email)
                .map(|(id, _)| id.clone())
                .unwrap()
        };
        // Each task enrols or cancels; all of them at once.
        let run = |jobs: Vec<(String, Option<String>)>| {
            let app = app.clone();
            let session_id = session_id.clone();
            async move {
                let mut tasks = Vec::new();
                for (token, cancel) in jobs {
                    let app = app.clone();
                    let session_id = session_id.clone();
                    tasks.push(tokio::spawn(async move {
                        let response = match cancel {
                            Some(enrolment) => {
                                call(
                                    &app,
                                    Method::POST,
                                    &format!("/api/v1/training/enrolments/{enrolment}/cancel"),
                                    &token,
                                    None,
                                )
                                .await
                            }
                            None => enrol(&app, &token, &session_id, json!({})).await,
                        };
                        assert!(response.status().is_success(), "{}", response.status());
                    }));
                }
                for task in tasks {
                    task.await.unwrap();
                }
            }
        };
        let enrolment_of = |learner: &str| {
            let app = app.clone();
            let token = tokens[learner].clone();
            async move {
                let record = ok(
                    call(&app, Method::GET, "/api/v1/training/enrolments", &token, None).await,
                    StatusCode::OK,
                )
                .await;
                record
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["course"]["slug"] == "une-place" && e["status"] != "cancelled")
                    .map(|e| e["id"].as_str().unwrap().to_owned())
                    .unwrap()
            }
        };

        // Eight at once: one seat, seven in order on the waiting list.
        let first: Vec<String> = people[..8].iter().map(|e| user(e)).collect();
        run(first.iter().map(|u| (tokens[u].clone(), None)).collect()).await;
        let (totals, lines) = roster(&app, &session_id).await;
        assert_eq!(
            (totals["seats_taken"].as_i64(), totals["waiting"].as_i64()),
            (Some(1), Some(7))
        );
        assert_eq!(lines[0].1, "enrolled");
        assert_eq!(
            lines[1..].iter().map(|l| l.2).collect::<Vec<_>>(),
            (1..=7).map(Some).collect::<Vec<_>>()
        );
        let holder = lines[0].0.clone();
        let next = lines[1].0.clone();

        // The seat is given up while four more enrol: the first of the
        // waiting list has it, whatever the order; the newcomers wait.
        let holder_enrolment = enrolment_of(&holder).await;
        let mut jobs: Vec<(String, Option<String>)> =
            people[8..].iter().map(|e| (tokens[&user(e)].clone(), None)).collect();
        jobs.push((tokens[&holder].clone(), Some(holder_enrolment)));
        run(jobs).await;
        let (totals, lines) = roster(&app, &session_id).await;
        assert_eq!(
            (totals["seats_taken"].as_i64(), totals["waiting"].as_i64()),
            (Some(1), Some(10))
        );
        assert_eq!((lines[0].0.as_str(), lines[0].1.as_str()), (next.as_str(), "enrolled"));
        let told = mails_to(&app, emails[&next]).await;
        assert_eq!(told.len(), 1, "the promoted learner is told: {told:?}");

        // The seat holder and the next three leave at once: the seat goes
        // to the first who stays, and never to two people.
        let leaving: Vec<String> = lines[..4].iter().map(|l| l.0.clone()).collect();
        let stays = lines[4].0.clone();
        let mut jobs = Vec::new();
        for learner in &leaving {
            jobs.push((tokens[learner].clone(), Some(enrolment_of(learner).await)));
        }
        run(jobs).await;
        let (totals, lines) = roster(&app, &session_id).await;
        assert_eq!(
            (totals["seats_taken"].as_i64(), totals["waiting"].as_i64()),
            (Some(1), Some(6))
        );
        assert_eq!((lines[0].0.as_str(), lines[0].1.as_str()), (stays.as_str(), "enrolled"));
        assert_eq!(
            lines[1..].iter().map(|l| l.2).collect::<Vec<_>>(),
            (1..=6).map(Some).collect::<Vec<_>>()
        );
        assert_eq!(mails_to(&app, emails[&stays]).await.len(), 1);
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
async fn r10_deadlines_colleagues_completion_records_catalogue_and_invitation() {
    on_each_engine(|app| async move {
        let id = course(&app, "consolidation", "classroom", "fr").await;
        let soon = session(&app, &id, 5, 30).await;
        let later = session(&app, &id, 5, 24 * 30).await;
        let marie = app.token("marie@lumiere.example").await;
        let chef = app.token("chef@lumiere.example").await;
        let ulysse = app.token("ulysse@acme.example").await;
        let marie_id = app.user_id("marie@lumiere.example").await;
        let dana_id = app.user_id("dana@acme.example").await;

        // A seat taken less than 48 hours before is not given up online.
        let close = ok(enrol(&app, &marie, soon["id"].as_str().unwrap(), json!({})).await, StatusCode::CREATED).await;
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/enrolments/{}/cancel", close["id"].as_str().unwrap()),
                &marie,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "cancel_deadline_passed",
        )
        .await;

        // A designated user enrols a colleague; others may not.
        let colleague = ok(
            enrol(&app, &chef, later["id"].as_str().unwrap(), json!({"user": marie_id})).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(colleague["learner"]["id"].as_str(), Some(marie_id.as_str()));
        problem(
            enrol(&app, &ulysse, later["id"].as_str().unwrap(), json!({"user": dana_id})).await,
            StatusCode::FORBIDDEN,
            "designated_user_required",
        )
        .await;
        problem(
            enrol(&app, &chef, later["id"].as_str().unwrap(), json!({"user": dana_id})).await,
            StatusCode::FORBIDDEN,
            "designated_user_required",
        )
        .await;
        // The trainer records completion once the session started, not before.
        let coach = app.token("coach@support.example").await;
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/enrolments/{}/completion", colleague["id"].as_str().unwrap()),
                &coach,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "session_not_started",
        )
        .await;
        // An e-learning course: started, then finished by the learner.
        let online = course(&app, "bases-en-ligne", "e-learning", "fr").await;
        let started = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/courses/{online}/enrolments"),
                &marie,
                Some(json!({})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!((started["status"].as_str(), started["invitation"].as_str()), (Some("enrolled"), None));
        let done = ok(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/enrolments/{}/completion", started["id"].as_str().unwrap()),
                &marie,
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(done["status"], "completed");
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/courses/{online}/sessions"),
                &coach,
                Some(json!({"starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T10:00:00Z", "time_zone": "UTC", "capacity": 3, "trainer": app.user_id("coach@support.example").await})),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_course",
        )
        .await;
        // The record: Marie's, and to her designated colleague; not to another company.
        let record = ok(call(&app, Method::GET, "/api/v1/training/enrolments", &marie, None).await, StatusCode::OK).await;
        let statuses: Vec<&str> = record.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
        assert!(statuses.contains(&"completed") && statuses.contains(&"enrolled"), "{statuses:?}");
        ok(
            call(&app, Method::GET, &format!("/api/v1/training/enrolments?user={marie_id}"), &chef, None).await,
            StatusCode::OK,
        )
        .await;
        let dana = app.token("dana@acme.example").await;
        problem(
            call(&app, Method::GET, &format!("/api/v1/training/enrolments?user={marie_id}"), &dana, None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        problem(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/training/enrolments/{}", close["id"].as_str().unwrap()),
                &dana,
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;

        // The invitation: the session in its own zone, 09:00 in Paris.
        let response = call(
            &app,
            Method::GET,
            &format!("/api/v1/training/enrolments/{}/invitation.ics", close["id"].as_str().unwrap()),
            &marie,
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
        let text = response.text().await.unwrap();
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("the invitation parses");
        let event = calendar
            .components
            .iter()
            .find(|c| c.name.as_str() == "VEVENT")
            .expect("an event");
        let start = event.find_prop("DTSTART").expect("a start");
        let zone = start.params.iter().find(|p| p.key.as_str() == "TZID").expect("a zone");
        assert_eq!(zone.val.as_ref().map(|v| v.as_str()), Some("Europe/Paris"));
        assert!(start.val.as_str().ends_with("T090000"), "{}", start.val.as_str());
        assert!(calendar.components.iter().any(|c| c.name.as_str() == "VTIMEZONE"));
        assert_eq!(soon["starts_local"].as_str().unwrap()[11..16].to_owned(), "09:00");
        assert!(text.contains("BEGIN:VTIMEZONE") && text.contains("TZID:Europe/Paris"));
        assert!(text.contains("LOCATION:Paris — salle Lumière"));
        assert!(text.contains("STATUS:CONFIRMED"));

        // The catalogue's filters, and the course in the one search, for anyone.
        let filtered = app
            .request(Method::GET, "/api/v1/training/courses?lang=fr&format=classroom&level=intermediate", None)
            .send()
            .await
            .unwrap();
        let filtered = ok(filtered, StatusCode::OK).await;
        let slugs: Vec<&str> = filtered["courses"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["consolidation"]);
        for (product, expected) in [("financials", 2), ("time", 0)] {
            let listed = ok(
                app.request(Method::GET, &format!("/api/v1/training/courses?product={product}"), None)
                    .send()
                    .await
                    .unwrap(),
                StatusCode::OK,
            )
            .await;
            assert_eq!(listed["courses"].as_array().unwrap().len(), expected, "{product}: {listed}");
        }
        let online_only = ok(
            app.request(Method::GET, "/api/v1/training/courses?format=e-learning", None).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(online_only["courses"][0]["slug"], "bases-en-ligne");
        problem(
            app.request(Method::GET, "/api/v1/training/courses?format=webinar", None).send().await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_format",
        )
        .await;
        let found = ok(
            app.request(Method::GET, "/api/v1/search?q=regularisations&kind=course", None).send().await.unwrap(),
            StatusCode::OK,
        )
        .await;
        let found = found["results"].as_array().unwrap();
        assert!(!found.is_empty());
        assert_eq!(found[0]["kind"], "course");
        assert!(found[0]["url"].as_str().unwrap().starts_with("/training/courses/"));
        // Members do not write the catalogue.
        problem(
            call(
                &app,
                Method::POST,
                "/api/v1/training/courses",
                &marie,
                Some(json!({"slug": "x", "title": "x", "summary": "x", "lang": "fr", "format": "classroom", "duration_minutes": 1, "product": "financials", "level": "beginner"})),
            )
            .await,
            StatusCode::FORBIDDEN,
            "training_editor_required",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn r10_the_demo_catalogue_has_forty_courses_and_full_sessions() {
    on_each_engine(|app| async move {
        assert!(
            guichet::demo::training::seed(&app.store, jiff::Timestamp::now())
                .await
                .unwrap()
        );
        let catalogue = ok(
            app.request(Method::GET, "/api/v1/training/courses?limit=200", None)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        let courses = catalogue["courses"].as_array().unwrap();
        assert_eq!(courses.len(), 40);
        let count = |key: &str, value: &str| courses.iter().filter(|c| c[key] == value).count();
        assert_eq!((count("lang", "fr"), count("lang", "en")), (20, 20));
        for format in ["e-learning", "virtual_class", "classroom"] {
            assert!(count("format", format) >= 10, "{format}");
        }
        let now = jiff::Timestamp::now();
        let mut full = 0;
        let mut sessions = 0;
        for course in courses.iter().filter(|c| c["format"] != "e-learning") {
            let page = ok(
                app.request(
                    Method::GET,
                    &format!("/api/v1/training/courses/{}", course["slug"].as_str().unwrap()),
                    None,
                )
                .send()
                .await
                .unwrap(),
                StatusCode::OK,
            )
            .await;
            for session in page["sessions"].as_array().unwrap() {
                sessions += 1;
                let start: jiff::Timestamp = session["starts_at"].as_str().unwrap().parse().unwrap();
                assert!(
                    start > now && start < now + jiff::SignedDuration::from_hours(24 * 92),
                    "{session}"
                );
                if session["seats_left"] == 0 && session["waiting"].as_i64().unwrap() > 0 {
                    full += 1;
                }
            }
        }
        assert!(sessions >= 50, "{sessions} sessions");
        assert!(full >= 4, "some full with waiting lists");
        let paths = ok(
            app.request(Method::GET, "/api/v1/training/paths", None)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert!(paths.as_array().unwrap().len() >= 4);
        // Marie waits on a full session and has a finished e-learning course.
        let marie = app.token("marie@lumiere.example").await;
        let record = ok(
            call(&app, Method::GET, "/api/v1/training/enrolments", &marie, None).await,
            StatusCode::OK,
        )
        .await;
        let statuses: Vec<&str> = record
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert!(
            statuses.contains(&"waiting") && statuses.contains(&"completed"),
            "{statuses:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn r10_portal_catalogue_and_enrolment_in_french() {
    on_each_engine(|app| async move {
        guichet::demo::training::seed(&app.store, jiff::Timestamp::now())
            .await
            .unwrap();
        let (marie, csrf) = signed_in(&app, "marie@lumiere.example").await;
        let (status, catalogue) = page(&marie, &app, "/training?lang=fr&format=classroom").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            catalogue.contains("Les bases de la comptabilité générale"),
            "{catalogue}"
        );
        assert!(!catalogue.contains("General ledger fundamentals"), "filtered to French");
        let (_, course) = page(&marie, &app, "/training/courses/les-bases-de-la-comptabilite-generale").await;
        assert!(
            course.contains("M&#39;inscrire") || course.contains("M'inscrire"),
            "{course}"
        );
        let marker = "action=\"/training/sessions/";
        let start = course.find(marker).expect("a session to enrol in") + marker.len();
        let session = &course[start..start + course[start..].find('/').unwrap()];
        let refused = post(
            &marie,
            &app,
            &format!("/training/sessions/{session}/enrol"),
            &[("csrf", "forged")],
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let enrolled = post(
            &marie,
            &app,
            &format!("/training/sessions/{session}/enrol"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(enrolled.status(), StatusCode::SEE_OTHER);
        let (_, after) = page(&marie, &app, location(&enrolled)).await;
        assert!(after.contains("Inscription confirmée"), "{after}");
        let (_, mine) = page(&marie, &app, "/training/me").await;
        assert!(mine.contains("Les bases de la comptabilité générale"));
        assert!(mine.contains("invitation.ics"));
        // A session elsewhere: its own time, and the reader's (Paris, for Marie's company).
        // (`course` is the page above.)
        let id = crate::training::course(&app, "a-sydney", "classroom", "fr").await;
        let sydney = session_in(&app, &id, 5, 24 * 15, "Australia/Sydney").await;
        let start: jiff::Timestamp = sydney["starts_at"].as_str().unwrap().parse().unwrap();
        let in_paris = jiff::tz::TimeZone::get("Europe/Paris")
            .unwrap()
            .to_datetime(start)
            .strftime("%Y-%m-%d %H:%M (Europe/Paris)")
            .to_string();
        let (_, elsewhere) = page(&marie, &app, "/training/courses/a-sydney").await;
        assert!(elsewhere.contains("09:00 (Australia/Sydney)"), "{elsewhere}");
        assert!(
            elsewhere.contains(&in_paris),
            "the reader's time, {in_paris}: {elsewhere}"
        );
        let (_, at_home) = page(&marie, &app, "/training/courses/les-bases-de-la-comptabilite-generale").await;
        assert!(!at_home.contains("votre heure"), "no second time in one's own zone");
        // Anyone browses the catalogue; enrolling needs signing in.
        let anonymous = reqwest::Client::new();
        let (status, public) = page(&anonymous, &app, "/training/courses/general-ledger-fundamentals").await;
        assert_eq!(status, StatusCode::OK);
        assert!(public.contains("Sign in to enrol"));
    })
    .await;
}

#[tokio::test]
async fn r10_the_cancellation_deadline_is_configured() {
    crate::helpers::on_each_engine_with(
        |config: &mut guichet::config::Config| config.training.cancel_deadline_hours = 24 * 7,
        |app| async move {
            let id = course(&app, "delai", "classroom", "fr").await;
            // Five days ahead: free to give up by default (48 hours), not with a week.
            let close = session(&app, &id, 5, 24 * 5).await;
            let far = session(&app, &id, 5, 24 * 10).await;
            let marie = app.token("marie@lumiere.example").await;
            let mut enrolments = Vec::new();
            for session in [&close, &far] {
                let enrolled = ok(
                    enrol(&app, &marie, session["id"].as_str().unwrap(), json!({})).await,
                    StatusCode::CREATED,
                )
                .await;
                enrolments.push(enrolled["id"].as_str().unwrap().to_owned());
            }
            let cancel = |enrolment: String| {
                let app = app.clone();
                let marie = marie.clone();
                async move {
                    call(
                        &app,
                        Method::POST,
                        &format!("/api/v1/training/enrolments/{enrolment}/cancel"),
                        &marie,
                        None,
                    )
                    .await
                }
            };
            problem(
                cancel(enrolments[0].clone()).await,
                StatusCode::CONFLICT,
                "cancel_deadline_passed",
            )
            .await;
            let cancelled = ok(cancel(enrolments[1].clone()).await, StatusCode::OK).await;
            assert_eq!(cancelled["enrolment"]["status"], "cancelled");
        },
    )
    .await;
}

#[tokio::test]
async fn r10_the_trainer_records_completion_once_the_session_started() {
    use guichet_domain::training::{CourseId, EnrolmentId, SessionId, SessionPlan};

    on_each_engine(|app| async move {
        let id = course(&app, "commencee", "classroom", "fr").await;
        let coach_id = app.user_id("coach@support.example").await;
        let marie_id = app.user_id("marie@lumiere.example").await;
        // A session that began an hour ago (the API takes no seat in one):
        // written to the store with Marie's seat.
        let now = jiff::Timestamp::now();
        let session = SessionId(guichet_store::new_id());
        app.store
            .create_session(
                &session,
                &CourseId(id.clone()),
                &SessionPlan {
                    starts_at: now - jiff::SignedDuration::from_hours(1),
                    ends_at: now + jiff::SignedDuration::from_hours(6),
                    time_zone: guichet_domain::country::TimeZoneName::parse("Europe/Paris").unwrap(),
                    capacity: 5,
                    place: Some("Paris".into()),
                    join_url: None,
                    trainer: guichet_domain::user::UserId(coach_id.clone()),
                },
                now - jiff::SignedDuration::from_hours(48),
            )
            .await
            .unwrap();
        let marie = app.token("marie@lumiere.example").await;
        problem(
            enrol(&app, &marie, &session.0, json!({})).await,
            StatusCode::CONFLICT,
            "session_started",
        )
        .await;
        let enrolment = EnrolmentId(guichet_store::new_id());
        app.store
            .enrol(
                &guichet_store::NewEnrolment {
                    id: enrolment.clone(),
                    course: CourseId(id.clone()),
                    session: Some(session.clone()),
                    user: guichet_domain::user::UserId(marie_id.clone()),
                    enrolled_by: guichet_domain::user::UserId(marie_id),
                    at: now - jiff::SignedDuration::from_hours(48),
                },
                &[],
            )
            .await
            .unwrap();
        let complete = |token: String| {
            let app = app.clone();
            let path = format!("/api/v1/training/enrolments/{enrolment}/completion");
            async move { call(&app, Method::POST, &path, &token, None).await }
        };
        // Not the learner, nor another member: the trainer.
        problem(complete(marie.clone()).await, StatusCode::FORBIDDEN, "trainer_required").await;
        let chef = app.token("chef@lumiere.example").await;
        problem(complete(chef).await, StatusCode::FORBIDDEN, "trainer_required").await;
        let done = ok(complete(app.token("coach@support.example").await).await, StatusCode::OK).await;
        assert_eq!(done["status"], "completed");
        assert!(done["completed_at"].is_string());
        // On Marie's training record; a completed enrolment is closed.
        let record = ok(
            call(&app, Method::GET, "/api/v1/training/enrolments", &marie, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(record[0]["id"], enrolment.0.as_str());
        assert_eq!(record[0]["status"], "completed");
        let (_, mine) = crate::portal_cases::page(
            &crate::portal_cases::signed_in(&app, "marie@lumiere.example").await.0,
            &app,
            "/training/me",
        )
        .await;
        assert!(mine.contains("Clôture mensuelle (commencee)"), "{mine}");
        problem(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/training/enrolments/{enrolment}/cancel"),
                &marie,
                None,
            )
            .await,
            StatusCode::CONFLICT,
            "enrolment_closed",
        )
        .await;
    })
    .await;
}
