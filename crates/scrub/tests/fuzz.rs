//! Property tests of the sanitizers (R17): on any input they never panic,
//! never grow without bound, keep valid HAR valid JSON, and remove the
//! secrets planted in them.

use std::io::Cursor;

use guichet_scrub::archive::scrub_zip;
use guichet_scrub::har::scrub_har;
use guichet_scrub::text::scrub_text;
use guichet_scrub::{Limits, sniff};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Value, json};

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,10}",
        Just("name".to_owned()),
        Just("value".to_owned()),
        Just("url".to_owned()),
        Just("text".to_owned()),
        Just("password".to_owned()),
        Just("access_token".to_owned()),
        Just("mimeType".to_owned()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[ -~]{0,60}",
        "Bearer [A-Za-z0-9]{8,30}",
        "https://a\\.example/[a-z]{0,5}\\?(token|code|q)=[a-z0-9]{1,12}(&x=1)?",
        "(password|secret|api_key)[=:] ?[a-z0-9\"]{1,12}",
        "eyJ[A-Za-z0-9]{5,20}\\.eyJ[A-Za-z0-9]{5,20}\\.[A-Za-z0-9_-]{0,20}",
        "(Set-)?Cookie: [a-z]{1,5}=[a-z0-9]{0,12}(; [a-z]{1,5}=[a-z0-9]{0,12})?",
        "\\{\"[a-z_]{1,8}\": ?\"[a-z0-9]{0,10}\"\\}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(key(), inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn header() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("Cookie"),
            Just("Set-Cookie"),
            Just("Authorization"),
            Just("X-API-Key"),
            Just("Accept"),
            Just("X-Trace")
        ],
        text(),
    )
        .prop_map(|(name, value)| json!({"name": name, "value": value}))
}

fn entry() -> impl Strategy<Value = Value> {
    (
        text(),
        vec(header(), 0..5),
        vec(header(), 0..4),
        proptest::option::of(json_value()),
        text(),
        json_value(),
    )
        .prop_map(|(url, request_headers, response_headers, body, content, extra)| {
            let mut entry = json!({
                "startedDateTime": "2024-05-01T10:00:00.000Z",
                "time": 1.5,
                "request": {"method": "GET", "url": url, "headers": request_headers,
                            "cookies": [{"name": "sid", "value": "cookie-value-0123"}], "queryString": []},
                "response": {"status": 200, "headers": response_headers,
                             "content": {"mimeType": "text/html", "text": content}},
                "timings": {"wait": 1}
            });
            if let Some(body) = body {
                entry["request"]["postData"] = json!({"mimeType": "application/json", "text": body.to_string()});
            }
            entry["_extra"] = extra;
            entry
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn text_scrubbing_never_panics_and_stays_bounded(input in vec(any::<u8>(), 0..4096)) {
        let mut out = Vec::new();
        scrub_text(&input[..], &mut out).unwrap();
        prop_assert!(out.len() <= input.len() * 10 + 64, "{} → {}", input.len(), out.len());
    }

    #[test]
    fn a_password_planted_in_any_log_line_is_gone(
        before in "[ -~]{0,80}", secret in "[A-Za-z0-9]{10,20}", after in "( [ -~]{0,40})?",
    ) {
        let line = format!("{before} password={secret}{after}\n");
        let mut out = Vec::new();
        let removed = scrub_text(line.as_bytes(), &mut out).unwrap();
        let out = String::from_utf8_lossy(&out);
        prop_assert!(!out.contains(&secret), "{line:?} → {out:?}");
        prop_assert!(!removed.is_empty());
    }

    #[test]
    fn har_scrubbing_keeps_valid_har_valid(entries in vec(entry(), 0..6), pages in json_value()) {
        let document = json!({"log": {"version": "1.2", "creator": {"name": "fuzz", "version": "1"},
                                      "pages": pages, "entries": entries}});
        let input = serde_json::to_vec(&document).unwrap();
        let mut out = Vec::new();
        scrub_har(&mut Cursor::new(input.clone()), &mut out).unwrap();
        prop_assert!(out.len() <= input.len() * 10 + 64);
        let scrubbed: Value = serde_json::from_slice(&out).expect("valid JSON");
        prop_assert_eq!(
            scrubbed["log"]["entries"].as_array().map(Vec::len),
            document["log"]["entries"].as_array().map(Vec::len)
        );
        prop_assert!(!String::from_utf8_lossy(&out).contains("cookie-value-0123"));
    }

    #[test]
    fn any_json_is_har_or_refused_never_a_panic(value in json_value()) {
        let input = serde_json::to_vec(&value).unwrap();
        let mut out = Vec::new();
        if scrub_har(&mut Cursor::new(input), &mut out).is_ok() {
            serde_json::from_slice::<Value>(&out).expect("valid JSON");
        }
    }

    #[test]
    fn any_bytes_as_har_or_zip_never_panic(input in vec(any::<u8>(), 0..2048)) {
        let mut out = Vec::new();
        let _ = scrub_har(&mut Cursor::new(input.clone()), &mut out);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&input);
        let _ = scrub_zip(&mut Cursor::new(zipped), &mut Cursor::new(Vec::new()), &Limits::default());
        let _ = sniff(&input, "x", None);
    }
}
