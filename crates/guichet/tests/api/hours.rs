//! Support hours and phone lines (R21, R22): `GET /api/v1/support/hours`,
//! the contact page's hours, and `guichet sla due|open` on the command line.
//! Expected instants are worked out by hand in the comments.

use std::process::{Command, Output};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{App, json, on_sqlite, problem};

async fn hours(app: &App, query: &str) -> Value {
    let response = app
        .request(Method::GET, &format!("/api/v1/support/hours?{query}"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    json(response).await
}

/// Closed at `at`, opening next at `opens` (UTC) — `local` in the country.
async fn assert_closed_until(app: &App, country: &str, at: &str, opens: &str, local: &str) -> Value {
    let answer = hours(app, &format!("country={country}&at={at}")).await;
    assert_eq!(answer["open"], false, "{country} at {at}: {answer}");
    // R21: after hours, priority requests only.
    assert_eq!(answer["priority_only"], true, "{answer}");
    assert_eq!(answer["interval"]["start"], opens, "{country} at {at}: {answer}");
    assert_eq!(answer["interval"]["local_start"], local, "{country} at {at}: {answer}");
    assert_eq!(answer["next_change"], opens, "{answer}");
    answer
}

#[tokio::test]
async fn r21_r22_france_is_open_on_a_tuesday_morning_with_the_france_line() {
    on_sqlite(|app| async move {
        // Tuesday 1 December 2026, 10:00 in Paris (UTC+1): open 06:00–18:00.
        let answer = hours(&app, "country=fr&at=2026-12-01T09:00:00Z").await;
        assert_eq!(answer["country"], "FR");
        assert_eq!(answer["time_zone"], "Europe/Paris");
        assert_eq!(answer["at"], "2026-12-01T09:00:00Z");
        assert_eq!(answer["open"], true);
        assert_eq!(answer["priority_only"], false);
        assert_eq!(answer["interval"]["start"], "2026-12-01T05:00:00Z");
        assert_eq!(answer["interval"]["end"], "2026-12-01T17:00:00Z");
        assert_eq!(answer["interval"]["local_start"], "2026-12-01T06:00:00");
        assert_eq!(answer["interval"]["local_end"], "2026-12-01T18:00:00");
        assert_eq!(answer["next_change"], "2026-12-01T17:00:00Z");
        assert_eq!(answer["holiday"], Value::Null);
        assert_eq!(
            answer["weekly_hours"],
            serde_json::json!([{"from": "monday", "to": "friday", "hours": ["06:00-18:00"]}])
        );
        assert_eq!(answer["region"], serde_json::json!({"key": "france", "name": "France"}));
        assert_eq!(answer["phone"], "01 70 73 16 40");
        assert!(
            answer["advice"].as_str().unwrap().contains("open the case online"),
            "{answer}"
        );

        // The same instant written with its offset, `+` encoded or not.
        for at in ["2026-12-01T10:00:00%2B01:00", "2026-12-01T10:00:00+01:00"] {
            let answer = hours(&app, &format!("country=FR&at={at}")).await;
            assert_eq!(answer["at"], "2026-12-01T09:00:00Z", "{at}");
        }
        // Without `at`: now, whatever it is.
        let answer = hours(&app, "country=FR").await;
        assert_eq!(answer["priority_only"], !answer["open"].as_bool().unwrap());
    })
    .await;
}

#[tokio::test]
async fn r21_closed_on_each_countrys_holidays_and_outside_hours() {
    on_sqlite(|app| async move {
        // Christmas 2025 is a Thursday; 26 December is a working day in
        // France (not in Alsace-Moselle, which has no rules here): Friday
        // 06:00 Paris, 05:00Z.
        let christmas = assert_closed_until(
            &app,
            "FR",
            "2025-12-25T09:00:00Z",
            "2025-12-26T05:00:00Z",
            "2025-12-26T06:00:00",
        )
        .await;
        assert_eq!(christmas["holiday"], "Christmas Day");
        assert_eq!(christmas["interval"]["local_end"], "2025-12-26T18:00:00");
        // Christmas 2026 is a Friday: the next opening is Monday the 28th.
        assert_closed_until(
            &app,
            "FR",
            "2026-12-25T09:00:00Z",
            "2026-12-28T05:00:00Z",
            "2026-12-28T06:00:00",
        )
        .await;
        // Tuesday 1 December 2026, 05:00 in New York (EST, UTC−5): opens at
        // 06:00, 11:00Z, on the North America line.
        let us = assert_closed_until(
            &app,
            "US",
            "2026-12-01T10:00:00Z",
            "2026-12-01T11:00:00Z",
            "2026-12-01T06:00:00",
        )
        .await;
        assert_eq!(us["time_zone"], "America/New_York");
        assert_eq!(us["phone"], "(877) 704-3700");
        assert_eq!(us["region"]["key"], "north_america");
        assert_eq!(us["holiday"], Value::Null);
        // Easter Monday 2026 (6 April), 10:00 in London (BST, UTC+1):
        // Tuesday 06:00 BST is 05:00Z.
        let gb = assert_closed_until(
            &app,
            "GB",
            "2026-04-06T09:00:00Z",
            "2026-04-07T05:00:00Z",
            "2026-04-07T06:00:00",
        )
        .await;
        assert_eq!(gb["phone"], "+44 (0)19 1479 5990");
        // Youth Day, Tuesday 16 June 2026, 10:00 in Johannesburg (UTC+2).
        let za = assert_closed_until(
            &app,
            "ZA",
            "2026-06-16T08:00:00Z",
            "2026-06-17T04:00:00Z",
            "2026-06-17T06:00:00",
        )
        .await;
        assert_eq!(za["phone"], "+27 (0)11 304 3220");
        // ANZAC Day, Friday 25 April 2025, 10:00 in Sydney (AEST, UTC+10
        // since 6 April): Monday 28 April 06:00 is 20:00Z on the Sunday.
        let au = assert_closed_until(
            &app,
            "AU",
            "2025-04-25T00:00:00Z",
            "2025-04-27T20:00:00Z",
            "2025-04-28T06:00:00",
        )
        .await;
        assert_eq!(au["time_zone"], "Australia/Sydney");
        assert_eq!(au["phone"], "+61 1300 729 330");
        // German Unity Day, Friday 3 October 2025, 10:00 in Berlin (CEST).
        let de = assert_closed_until(
            &app,
            "DE",
            "2025-10-03T08:00:00Z",
            "2025-10-06T04:00:00Z",
            "2025-10-06T06:00:00",
        )
        .await;
        assert_eq!(de["phone"], "+49 69 500076297");
    })
    .await;
}

#[tokio::test]
async fn r21_hours_stay_local_across_a_dst_change() {
    on_sqlite(|app| async move {
        // Friday 27 March 2026, 17:30 in London, still GMT: open until
        // 18:00 = 18:00Z.
        let friday = hours(&app, "country=GB&at=2026-03-27T17:30:00Z").await;
        assert_eq!(friday["open"], true);
        assert_eq!(friday["interval"]["end"], "2026-03-27T18:00:00Z");
        assert_eq!(friday["next_change"], "2026-03-27T18:00:00Z");
        // Clocks go forward on Sunday 29 March at 01:00Z. Sunday 05:30Z
        // (06:30 BST) is closed; Monday 06:00 BST is 05:00Z.
        assert_closed_until(
            &app,
            "GB",
            "2026-03-29T05:30:00Z",
            "2026-03-30T05:00:00Z",
            "2026-03-30T06:00:00",
        )
        .await;
        let monday = hours(&app, "country=GB&at=2026-03-30T05:00:00Z").await;
        assert_eq!(monday["open"], true);
        assert_eq!(monday["interval"]["end"], "2026-03-30T17:00:00Z");
        assert_eq!(monday["interval"]["local_end"], "2026-03-30T18:00:00");
    })
    .await;
}

#[tokio::test]
async fn r22_advice_in_the_callers_language_and_countries_without_a_line() {
    on_sqlite(|app| async move {
        let english = hours(&app, "country=FR&at=2026-12-01T09:00:00Z").await;
        let french = json(
            app.request(Method::GET, "/api/v1/support/hours?country=FR", None)
                .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            french["advice"].as_str().unwrap().starts_with("Bonne pratique"),
            "{french}"
        );
        assert!(
            english["advice"].as_str().unwrap().starts_with("Best practice"),
            "{english}"
        );
        // Signed in, the user's own language wins over the browser's.
        let marie = app.token("marie@lumiere.example").await;
        let dana = app.token("dana@acme.example").await;
        let hers = json(app.get("/api/v1/support/hours?country=US", &marie).await).await;
        assert!(hers["advice"].as_str().unwrap().starts_with("Bonne pratique"), "{hers}");
        let his = json(
            app.request(Method::GET, "/api/v1/support/hours?country=US", Some(&dana))
                .header("accept-language", "fr")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(his["advice"].as_str().unwrap().starts_with("Best practice"), "{his}");

        // Japan has no support region and no holiday rules: R21's week in
        // Tokyo, no line to call.
        let japan = hours(&app, "country=JP&at=2026-12-01T00:00:00Z").await;
        assert_eq!(japan["time_zone"], "Asia/Tokyo");
        assert_eq!(japan["open"], true);
        assert_eq!(japan["region"], Value::Null);
        assert_eq!(japan["phone"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn bad_country_or_instant_is_a_400_problem() {
    on_sqlite(|app| async move {
        let get = |query: &'static str| {
            let app = app.clone();
            async move {
                app.request(Method::GET, &format!("/api/v1/support/hours{query}"), None)
                    .send()
                    .await
                    .unwrap()
            }
        };
        problem(get("").await, StatusCode::BAD_REQUEST, "invalid_country").await;
        problem(get("?country=").await, StatusCode::BAD_REQUEST, "invalid_country").await;
        problem(get("?country=FRA").await, StatusCode::BAD_REQUEST, "invalid_country").await;
        let unknown = problem(get("?country=XX").await, StatusCode::BAD_REQUEST, "unknown_country").await;
        assert_eq!(unknown["field"], "country");
        problem(
            get("?country=FR&at=tomorrow").await,
            StatusCode::BAD_REQUEST,
            "invalid_at",
        )
        .await;
        problem(
            get("?country=FR&at=2026-12-01").await,
            StatusCode::BAD_REQUEST,
            "invalid_at",
        )
        .await;
        // Documented in the OpenAPI document, as public.
        let document = json(get_document(&app).await).await;
        let operation = &document["paths"]["/api/v1/support/hours"]["get"];
        assert!(operation.is_object(), "not documented");
        assert!(
            operation["security"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == &serde_json::json!({}))
        );
        let schema = &document["components"]["schemas"]["SupportHoursView"]["properties"];
        for field in [
            "open",
            "priority_only",
            "interval",
            "phone",
            "region",
            "time_zone",
            "advice",
        ] {
            assert!(schema[field].is_object(), "`{field}` is not in the schema");
        }
    })
    .await;
}

async fn get_document(app: &App) -> reqwest::Response {
    app.request(Method::GET, "/api/openapi.json", None)
        .send()
        .await
        .unwrap()
}

/// The page's hours table, from its first row to its end.
fn hours_table(page: &str) -> &str {
    let start = page.find("<table class=\"hours\">").expect("an hours table");
    &page[start..start + page[start..].find("</table>").unwrap()]
}

#[tokio::test]
async fn r21_r22_the_contact_page_shows_hours_and_lines_by_region_in_the_readers_language() {
    on_sqlite(|app| async move {
        let marie = app.token("marie@lumiere.example").await;
        let response = app.get("/contact", &marie).await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(
            page.contains("seules les demandes prioritaires sont traitées"),
            "{page}"
        );
        assert!(page.contains("Bonne pratique : ouvrez la demande d"), "{page}");
        let table = hours_table(&page);
        // Her region first, in Paris time, with its line; then the others.
        let france = table.find("data-region=\"france\"").expect("France");
        let north_america = table.find("data-region=\"north_america\"").expect("North America");
        assert!(france < north_america, "her region comes first");
        for region in ["united_kingdom", "australia", "south_africa", "germany"] {
            assert!(table.contains(&format!("data-region=\"{region}\"")), "{region}");
        }
        assert!(table.contains("votre région"));
        assert!(table.contains("Europe/Paris"));
        assert!(table.contains("du lundi au vendredi, 06:00–18:00"));
        assert!(table.contains("Prochaine ouverture"));
        assert!(table.contains("Ouvert, jusqu") || table.contains("Fermé : demandes prioritaires uniquement"));
        for phone in [
            "01 70 73 16 40",
            "(877) 704-3700",
            "+61 1300 729 330",
            "+49 69 500076297",
        ] {
            assert!(table.contains(phone), "{phone}");
        }

        let dana = app.token("dana@acme.example").await;
        let page = app.get("/contact", &dana).await.text().await.unwrap();
        assert!(page.contains("<html lang=\"en\">"));
        assert!(page.contains("only priority requests are handled"));
        assert!(page.contains("Best practice: open the case online before you call"));
        let table = hours_table(&page);
        let north_america = table.find("data-region=\"north_america\"").unwrap();
        assert!(north_america < table.find("data-region=\"france\"").unwrap());
        // Acme's own calendar, in its own zone.
        assert!(table.contains("America/Los_Angeles"));
        assert!(table.contains("Monday to Friday, 06:00–18:00"));
        assert!(table.contains("your region"));
        assert!(table.contains("Open now, until") || table.contains("Closed now: priority requests only"));
        assert!(table.contains("(877) 704-3700") && table.contains("01 70 73 16 40"));
        // Dates in words: "Monday 2026-12-28, 06:00" with the instant.
        assert!(table.contains("<time datetime=\""));

        // Ulysse may not call: the hours, but no phone numbers.
        let ulysse = app.token("ulysse@acme.example").await;
        let page = app.get("/contact", &ulysse).await.text().await.unwrap();
        let table = hours_table(&page);
        assert!(table.contains("Monday to Friday"));
        assert!(!table.contains("(877) 704-3700"));
    })
    .await;
}

// ---------------------------------------------------------------------------
// guichet sla

fn guichet() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    // No configuration and no database: none of the tests' variables.
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    command.env_remove("RUST_BACKTRACE");
    command
}

fn sla(args: &[&str]) -> Output {
    guichet().arg("sla").args(args).output().unwrap()
}

/// The one line a successful `guichet sla …` prints.
fn line(args: &[&str]) -> String {
    let output = sla(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    stdout.trim_end().to_owned()
}

fn due(country: &str, start: &str, duration: &str, more: &[&str]) -> String {
    let mut args = vec!["due", "--country", country, "--start", start, "--duration", duration];
    args.extend_from_slice(more);
    line(&args)
}

#[test]
fn sla_commands_have_help_and_need_no_configuration() {
    for args in [
        vec!["sla", "--help"],
        vec!["sla", "due", "--help"],
        vec!["sla", "open", "--help"],
    ] {
        let output = guichet().args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    // A database URL that cannot work is never looked at.
    let output = guichet()
        .args(["sla", "open", "--country", "FR", "--at", "2026-12-01T09:00:00Z"])
        .env("GUICHET_DATABASE_URL", "mysql://nowhere/x")
        .current_dir(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn r21_sla_due_skips_weekends_and_christmas() {
    // FR, Thursday 24 December 2026 16:30Z = 17:30 Paris, 8 business hours:
    // 30 min left on the 24th, the 25th closed (Noël), the 26th a Saturday,
    // the 27th a Sunday; Monday 28th 06:00 + 7h30 = 13:30 Paris = 12:30Z.
    assert_eq!(
        due("FR", "2026-12-24T16:30:00Z", "8h", &["--timezone", "Europe/Paris"]),
        "2026-12-28T12:30:00Z"
    );
    // The same start written in Paris time, and the zone by default.
    assert_eq!(
        due("FR", "2026-12-24T17:30:00+01:00", "8h", &[]),
        "2026-12-28T12:30:00Z"
    );
    // US, Thursday 24 December 2026 20:00Z = 15:00 New York (EST): 3 h left
    // on the 24th, Christmas Day on the Friday, the weekend; Monday 06:00 +
    // 5 h = 11:00 EST = 16:00Z.
    assert_eq!(due("US", "2026-12-24T20:00:00Z", "8h", &[]), "2026-12-28T16:00:00Z");
    // 23:30Z is 18:30 in New York (closed: all 8 h from Monday 06:00 EST,
    // 14:00 EST = 19:00Z) but 15:30 in Los Angeles (2h30 on the 24th, then
    // Monday 06:00 PST = 14:00Z + 5h30 = 19:30Z).
    assert_eq!(due("US", "2026-12-24T23:30:00Z", "8h", &[]), "2026-12-28T19:00:00Z");
    assert_eq!(
        due(
            "US",
            "2026-12-24T23:30:00Z",
            "8h",
            &["--timezone", "America/Los_Angeles"]
        ),
        "2026-12-28T19:30:00Z"
    );
    // AU, Thursday 24 December 2026 06:00Z = 17:00 in Sydney (AEDT, UTC+11):
    // 1 h left on the 24th, Christmas on the Friday, Boxing Day on the
    // Saturday. In New South Wales Boxing Day's substitute closes Monday
    // 28th: Tuesday 06:00 + 3 h = 09:00 AEDT = 22:00Z on the 28th. The
    // national calendar has no substitutes: Monday 09:00 = 22:00Z on the 27th.
    assert_eq!(
        due("AU", "2026-12-24T06:00:00Z", "4h", &["--subdivision", "NSW"]),
        "2026-12-28T22:00:00Z"
    );
    assert_eq!(due("AU", "2026-12-24T06:00:00Z", "4h", &[]), "2026-12-27T22:00:00Z");
    // ZA, Monday 15 June 2026 15:00Z = 17:00 SAST: 1 h, Youth Day on the
    // Tuesday, Wednesday 06:00 + 1 h = 07:00 SAST = 05:00Z.
    assert_eq!(due("ZA", "2026-06-15T15:00:00Z", "2h", &[]), "2026-06-17T05:00:00Z");
    // DE, Thursday 2 October 2025 15:00Z = 17:00 CEST, 90 min: 1 h, German
    // Unity Day on the Friday, the weekend, Monday 06:00 + 30 min = 06:30
    // CEST = 04:30Z.
    assert_eq!(due("DE", "2025-10-02T15:00:00Z", "90m", &[]), "2025-10-06T04:30:00Z");
}

#[test]
fn r21_sla_due_keeps_local_hours_across_dst_changes() {
    // GB, Friday 27 March 2026 16:00Z = 16:00 GMT, 4 h: 2 h to 18:00 GMT;
    // clocks go forward on Sunday 29th; Monday 06:00 BST = 05:00Z + 2 h =
    // 07:00Z.
    assert_eq!(
        due("GB", "2026-03-27T16:00:00Z", "4h", &["--timezone", "Europe/London"]),
        "2026-03-30T07:00:00Z"
    );
    // DE, Friday 24 October 2025 15:00Z = 17:00 CEST, 2 h: 1 h; clocks go
    // back on Sunday 26th; Monday 06:00 CET = 05:00Z + 1 h = 06:00Z.
    assert_eq!(due("DE", "2025-10-24T15:00:00Z", "2h", &[]), "2025-10-27T06:00:00Z");
}

#[test]
fn r21_sla_due_around_the_clock_closures_and_closing_time() {
    // Around the clock: real time, Christmas Eve night and DST included.
    assert_eq!(
        due("FR", "2026-12-24T16:30:00Z", "8h", &["--around-the-clock"]),
        "2026-12-25T00:30:00Z"
    );
    assert_eq!(
        due("GB", "2026-03-29T00:30:00Z", "2h", &["--around-the-clock"]),
        "2026-03-29T02:30:00Z"
    );
    // FR, Wednesday 30 December 2026 16:30Z = 17:30 Paris, 8 h: 30 min,
    // then Thursday 31st 06:00 + 7h30 = 13:30 = 12:30Z.
    assert_eq!(due("FR", "2026-12-30T16:30:00Z", "8h", &[]), "2026-12-31T12:30:00Z");
    // With the 31st closed: New Year's Day on the Friday, the weekend,
    // Monday 4 January 2027 13:30 Paris = 12:30Z; with the 4th closed too,
    // Tuesday.
    assert_eq!(
        due("FR", "2026-12-30T16:30:00Z", "8h", &["--closed", "2026-12-31"]),
        "2027-01-04T12:30:00Z"
    );
    assert_eq!(
        due(
            "FR",
            "2026-12-30T16:30:00Z",
            "8h",
            &["--closed", "2026-12-31", "--closed", "2027-01-04"]
        ),
        "2027-01-05T12:30:00Z"
    );
    // Tuesday 1 December 2026 10:00 Paris + 8 h ends exactly at 18:00
    // (17:00Z): due at closing time. One minute more is Wednesday 06:01.
    assert_eq!(due("FR", "2026-12-01T09:00:00Z", "8h", &[]), "2026-12-01T17:00:00Z");
    assert_eq!(due("FR", "2026-12-01T09:00:00Z", "8h1m", &[]), "2026-12-02T05:01:00Z");
    assert_eq!(due("FR", "2026-12-01T09:00:00Z", "2h30m", &[]), "2026-12-01T11:30:00Z");
    // A start after hours counts from the next opening: Saturday → Monday.
    assert_eq!(due("FR", "2026-12-05T12:00:00Z", "90m", &[]), "2026-12-07T06:30:00Z");
}

#[test]
fn r21_sla_open_on_both_sides_of_dst_changes() {
    let open = |country: &str, at: &str| line(&["open", "--country", country, "--at", at]);
    // London springs forward on Sunday 29 March 2026 at 01:00Z.
    assert_eq!(open("GB", "2026-03-27T17:30:00Z"), "open 2026-03-27T18:00:00Z");
    assert_eq!(
        line(&[
            "open",
            "--country",
            "GB",
            "--timezone",
            "Europe/London",
            "--at",
            "2026-03-29T05:30:00Z"
        ]),
        "closed 2026-03-30T05:00:00Z"
    );
    assert_eq!(open("GB", "2026-03-30T05:30:00Z"), "open 2026-03-30T17:00:00Z");
    // New York falls back on Sunday 1 November 2026: Friday closes at 18:00
    // EDT = 22:00Z, Monday opens at 06:00 EST = 11:00Z.
    assert_eq!(open("US", "2026-10-30T21:00:00Z"), "open 2026-10-30T22:00:00Z");
    assert_eq!(open("US", "2026-11-01T12:00:00Z"), "closed 2026-11-02T11:00:00Z");
    // Closing time itself is closed.
    assert_eq!(open("FR", "2026-12-01T17:00:00Z"), "closed 2026-12-02T05:00:00Z");
    // A closure counts too.
    assert_eq!(
        line(&[
            "open",
            "--country",
            "FR",
            "--at",
            "2026-12-01T09:00:00Z",
            "--closed",
            "2026-12-01"
        ]),
        "closed 2026-12-02T05:00:00Z"
    );
}

#[test]
fn sla_bad_input_exits_non_zero_and_names_the_problem() {
    for (args, expected) in [
        (
            vec![
                "due",
                "--country",
                "XX",
                "--start",
                "2026-12-01T09:00:00Z",
                "--duration",
                "8h",
            ],
            "`XX` is not a country code",
        ),
        (
            vec![
                "due",
                "--country",
                "FRA",
                "--start",
                "2026-12-01T09:00:00Z",
                "--duration",
                "8h",
            ],
            "--country",
        ),
        (
            vec!["due", "--country", "FR", "--start", "2026-12-01", "--duration", "8h"],
            "`2026-12-01` is not an RFC 3339 instant",
        ),
        (
            vec![
                "due",
                "--country",
                "FR",
                "--start",
                "2026-12-01T09:00:00Z",
                "--duration",
                "8 hours",
            ],
            "is not a duration",
        ),
        (
            vec!["due", "--country", "FR", "--duration", "8h", "--closed", "2026-02-30"],
            "`2026-02-30` is not a date",
        ),
        (
            vec!["open", "--country", "FR", "--timezone", "Mars/Olympus"],
            "`Mars/Olympus` is not an IANA time zone",
        ),
        (
            vec![
                "open",
                "--country",
                "AU",
                "--subdivision",
                "QLD",
                "--at",
                "2026-12-01T09:00:00Z",
            ],
            "subdivision `QLD`",
        ),
        (
            vec![
                "due",
                "--country",
                "FR",
                "--duration",
                "1h",
                "--around-the-clock",
                "--closed",
                "2026-12-31",
            ],
            "cannot be used with",
        ),
        (vec!["due", "--country", "FR"], "--duration"),
    ] {
        let output = sla(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
