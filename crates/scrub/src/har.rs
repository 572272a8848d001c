//! HAR files (HTTP Archive 1.2), scrubbed entry by entry.
//!
//! The document is read twice from a seekable reader, one entry at a time
//! (memory holds the largest entry, not the file): the first pass finds the
//! secrets in their known places (cookies, credential headers, secret
//! parameters, tokens), the second writes the document with those places
//! redacted and every other occurrence of the same values removed too (a
//! response that echoes a session id, a page that carries the token it
//! sends). The output is still a HAR document: same structure, timings and
//! non-secret content.

use std::fmt;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use guichet_domain::attachment::Removed;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::secrets::{
    Found, is_credential_header, is_secret_name, keep, redact_authorization, redact_cookie_header, scrub_pairs,
    scrub_str, scrub_url,
};
use crate::{REDACTED, Refusal};

/// Scrubs the HAR document of `input` into `output`; returns what was
/// removed. Refuses what is not JSON, or not a HAR document.
pub fn scrub_har<R: Read + Seek, W: Write>(input: &mut R, output: &mut W) -> Result<Removed, Refusal> {
    input.seek(SeekFrom::Start(0))?;
    let mut found = Vec::new();
    let mut first = Scrubber::new(Some(&mut found), None);
    pass(&mut *input, None, &mut first)?;
    found.sort();
    found.dedup();
    let echoes = (!found.is_empty())
        .then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&found)
                .ok()
        })
        .flatten();
    input.seek(SeekFrom::Start(0))?;
    let mut second = Scrubber::new(None, echoes.as_ref());
    let mut writer = BufWriter::new(output);
    pass(&mut *input, Some(&mut writer), &mut second)?;
    writer.flush()?;
    Ok(second.removed)
}

/// One reading of the document, writing it out when `out` is given.
fn pass<R: Read>(input: R, out: Option<&mut dyn Write>, scrubber: &mut Scrubber<'_, '_>) -> Result<(), Refusal> {
    let mut state = Pass {
        out,
        scrubber,
        io_error: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, input));
    let outcome = DocumentSeed(&mut state)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    if let Some(error) = state.io_error.take() {
        return Err(Refusal::Io(error));
    }
    outcome.map_err(|e| Refusal::InvalidHar(e.to_string()))
}

struct Pass<'o, 's, 'f, 'e> {
    out: Option<&'o mut dyn Write>,
    scrubber: &'s mut Scrubber<'f, 'e>,
    io_error: Option<io::Error>,
}

impl Pass<'_, '_, '_, '_> {
    fn write<E: de::Error>(&mut self, bytes: &[u8]) -> Result<(), E> {
        if let Some(out) = self.out.as_mut()
            && let Err(error) = out.write_all(bytes)
        {
            self.io_error = Some(error);
            return Err(E::custom("the output could not be written"));
        }
        Ok(())
    }

    fn write_json<E: de::Error>(&mut self, value: &impl serde::Serialize) -> Result<(), E> {
        if self.out.is_none() {
            return Ok(());
        }
        let bytes = serde_json::to_vec(value).map_err(E::custom)?;
        self.write(&bytes)
    }

    fn separator<E: de::Error>(&mut self, first: &mut bool) -> Result<(), E> {
        if *first {
            *first = false;
            Ok(())
        } else {
            self.write(b",")
        }
    }

    /// A member of an object whose value needs no particular care.
    fn other_member<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error> {
        let mut value: Value = map.next_value()?;
        self.scrubber.everywhere(&mut value);
        self.write_json(&value)
    }
}

struct DocumentSeed<'p, 'o, 's, 'f, 'e>(&'p mut Pass<'o, 's, 'f, 'e>);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document: an object with `log`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let pass = self.0;
        pass.write(b"{")?;
        let mut first = true;
        let mut saw_log = false;
        while let Some(key) = map.next_key::<String>()? {
            pass.separator(&mut first)?;
            pass.write_json(&key)?;
            pass.write(b":")?;
            if key == "log" && !saw_log {
                saw_log = true;
                map.next_value_seed(LogSeed(&mut *pass))?;
            } else {
                pass.other_member(&mut map)?;
            }
        }
        if !saw_log {
            return Err(de::Error::custom("there is no `log` object"));
        }
        pass.write(b"}")
    }
}

struct LogSeed<'p, 'o, 's, 'f, 'e>(&'p mut Pass<'o, 's, 'f, 'e>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the `log` object of a HAR document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let pass = self.0;
        pass.write(b"{")?;
        let mut first = true;
        let mut saw_entries = false;
        while let Some(key) = map.next_key::<String>()? {
            pass.separator(&mut first)?;
            pass.write_json(&key)?;
            pass.write(b":")?;
            if key == "entries" && !saw_entries {
                saw_entries = true;
                map.next_value_seed(EntriesSeed(&mut *pass))?;
            } else {
                pass.other_member(&mut map)?;
            }
        }
        if !saw_entries {
            return Err(de::Error::custom("`log` has no `entries`"));
        }
        pass.write(b"}")
    }
}

struct EntriesSeed<'p, 'o, 's, 'f, 'e>(&'p mut Pass<'o, 's, 'f, 'e>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`log.entries`, a list of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let pass = self.0;
        pass.write(b"[")?;
        let mut first = true;
        while let Some(mut entry) = seq.next_element::<Value>()? {
            if !entry.is_object() {
                return Err(de::Error::custom("an entry of `log.entries` is not an object"));
            }
            pass.separator(&mut first)?;
            pass.scrubber.entry(&mut entry);
            pass.write_json(&entry)?;
        }
        pass.write(b"]")
    }
}

/// Redacts what one pass sees and counts it.
struct Scrubber<'f, 'e> {
    removed: Removed,
    /// First pass: where found secrets go.
    found: Found<'f>,
    /// Second pass: the secrets of the whole document, removed wherever
    /// they appear.
    echoes: Option<&'e AhoCorasick>,
}

/// Headers and cookies of one request or response, counted once however
/// many places (the `Cookie` header and the `cookies` list) repeat them.
#[derive(Default)]
struct Message {
    header_cookies: u64,
    listed_cookies: u64,
}

impl<'f, 'e> Scrubber<'f, 'e> {
    fn new(found: Found<'f>, echoes: Option<&'e AhoCorasick>) -> Self {
        Self {
            removed: Removed::default(),
            found,
            echoes,
        }
    }

    /// One entry: its request and response in their known places, then
    /// every string it holds.
    fn entry(&mut self, entry: &mut Value) {
        if let Some(request) = entry.get_mut("request") {
            self.message(request);
            self.request_url_and_body(request);
        }
        if let Some(response) = entry.get_mut("response") {
            self.message(response);
            if let Some(Value::String(url)) = response.get_mut("redirectURL")
                && let Some(scrubbed) = scrub_url(url, &mut self.removed, &mut self.found)
            {
                *url = scrubbed;
            }
            if let Some(content) = response.get_mut("content") {
                self.content(content);
            }
        }
        self.everywhere(entry);
    }

    /// Headers and cookie lists.
    fn message(&mut self, message: &mut Value) {
        let mut counts = Message::default();
        if let Some(Value::Array(headers)) = message.get_mut("headers") {
            for header in headers.iter_mut() {
                self.header(header, &mut counts);
            }
        }
        if let Some(Value::Array(cookies)) = message.get_mut("cookies") {
            for cookie in cookies.iter_mut() {
                if let Some(value) = cookie.get_mut("value")
                    && value.as_str().is_none_or(|v| v != REDACTED)
                {
                    if let Some(text) = value.as_str() {
                        keep(&mut self.found, text.as_bytes());
                    }
                    *value = Value::String(REDACTED.into());
                    counts.listed_cookies += 1;
                }
            }
        }
        self.removed.cookies += counts.header_cookies.max(counts.listed_cookies);
    }

    fn header(&mut self, header: &mut Value, counts: &mut Message) {
        let Some(name) = header.get("name").and_then(Value::as_str).map(str::to_ascii_lowercase) else {
            return;
        };
        let Some(Value::String(value)) = header.get_mut("value") else {
            return;
        };
        match name.as_str() {
            "cookie" | "set-cookie" => {
                let (redacted, count) = redact_cookie_header(value, name == "set-cookie", &mut self.found);
                counts.header_cookies += count;
                *value = redacted;
            }
            "authorization" | "proxy-authorization" if !value.ends_with(REDACTED) => {
                *value = redact_authorization(value, &mut self.found);
                self.removed.authorization_headers += 1;
            }
            "authorization" | "proxy-authorization" => {}
            other if is_credential_header(other) && value != REDACTED && !value.is_empty() => {
                keep(&mut self.found, value.as_bytes());
                *value = REDACTED.into();
                self.removed.credential_headers += 1;
            }
            _ => {}
        }
    }

    /// The URL and its `queryString`, the body and its `params`: each
    /// parameter counted once.
    fn request_url_and_body(&mut self, request: &mut Value) {
        let listed = self.redact_params(request.get_mut("queryString"));
        let mut from_url = Removed::default();
        if let Some(Value::String(url)) = request.get_mut("url")
            && let Some(scrubbed) = scrub_url(url, &mut from_url, &mut self.found)
        {
            *url = scrubbed;
        }
        self.removed.parameters += from_url.parameters.max(listed);
        if let Some(post) = request.get_mut("postData") {
            let listed = self.redact_params(post.get_mut("params"));
            let mime = post
                .get("mimeType")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut from_text = Removed::default();
            if let Some(Value::String(text)) = post.get_mut("text") {
                if mime.contains("x-www-form-urlencoded") {
                    if let Some(scrubbed) = scrub_pairs(text, &mut from_text, &mut self.found) {
                        *text = scrubbed;
                    }
                } else {
                    self.body_text(text, &mime, &mut from_text);
                }
            }
            self.removed.parameters += from_text.parameters.max(listed);
            from_text.parameters = 0;
            self.removed += from_text;
        }
    }

    /// Redacts the secret `{name, value}` pairs of a list; how many.
    fn redact_params(&mut self, params: Option<&mut Value>) -> u64 {
        let Some(Value::Array(params)) = params else {
            return 0;
        };
        let mut count = 0;
        for param in params.iter_mut() {
            let secret = param.get("name").and_then(Value::as_str).is_some_and(is_secret_name);
            if let (true, Some(value)) = (secret, param.get_mut("value"))
                && value.as_str().is_some_and(|v| !v.is_empty() && v != REDACTED)
            {
                keep(&mut self.found, value.as_str().unwrap_or("").as_bytes());
                *value = Value::String(REDACTED.into());
                count += 1;
            }
        }
        count
    }

    /// A response's content: text, or base64 of text.
    fn content(&mut self, content: &mut Value) {
        let mime = content
            .get("mimeType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let base64 = content.get("encoding").and_then(Value::as_str) == Some("base64");
        let Some(Value::String(text)) = content.get_mut("text") else {
            return;
        };
        let mut removed = Removed::default();
        if base64 {
            if !is_textual(&mime) {
                return;
            }
            let Some(mut decoded) = STANDARD
                .decode(text.as_bytes())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
            else {
                return;
            };
            self.body_text(&mut decoded, &mime, &mut removed);
            self.echoes_in(&mut decoded);
            *text = STANDARD.encode(decoded.as_bytes());
        } else {
            self.body_text(text, &mime, &mut removed);
        }
        self.removed += removed;
    }

    /// A body: JSON has its secret members redacted (and stays JSON), other
    /// text its secrets in place.
    fn body_text(&mut self, text: &mut String, mime: &str, removed: &mut Removed) {
        let looks_json = mime.contains("json") || text.trim_start().starts_with(['{', '[']);
        if looks_json && let Ok(mut json) = serde_json::from_str::<Value>(text) {
            if self.json_members(&mut json, removed)
                && let Ok(serialized) = serde_json::to_string(&json)
            {
                *text = serialized;
            }
            return;
        }
        if let std::borrow::Cow::Owned(scrubbed) = scrub_str(text, removed, &mut self.found) {
            *text = scrubbed;
        }
    }

    /// Redacts members of JSON whose names carry secrets, and secrets in
    /// its strings; whether anything changed.
    fn json_members(&mut self, value: &mut Value, removed: &mut Removed) -> bool {
        match value {
            Value::Object(members) => {
                let mut changed = false;
                for (name, member) in members.iter_mut() {
                    let scalar = matches!(member, Value::String(_) | Value::Number(_));
                    if scalar && is_secret_name(name) && member.as_str() != Some(REDACTED) {
                        if let Some(text) = member.as_str() {
                            keep(&mut self.found, text.as_bytes());
                        }
                        *member = Value::String(REDACTED.into());
                        removed.parameters += 1;
                        changed = true;
                    } else {
                        changed |= self.json_members(member, removed);
                    }
                }
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.json_members(item, removed) | changed),
            Value::String(text) => match scrub_str(text, removed, &mut self.found) {
                std::borrow::Cow::Owned(scrubbed) => {
                    *text = scrubbed;
                    true
                }
                std::borrow::Cow::Borrowed(_) => false,
            },
            _ => false,
        }
    }

    /// Every string of `value`: secret URL parameters, tokens and
    /// `name=value` secrets, and the document's known secrets wherever
    /// they are echoed.
    fn everywhere(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let std::borrow::Cow::Owned(scrubbed) = scrub_str(text, &mut self.removed, &mut self.found) {
                    *text = scrubbed;
                }
                self.echoes_in(text);
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.everywhere(item)),
            Value::Object(members) => members.values_mut().for_each(|member| self.everywhere(member)),
            _ => {}
        }
    }

    fn echoes_in(&self, text: &mut String) {
        if let Some(echoes) = self.echoes
            && echoes.is_match(text.as_str())
        {
            let replacements = vec![REDACTED; echoes.patterns_len()];
            *text = echoes.replace_all(text, &replacements);
        }
    }
}

fn is_textual(mime: &str) -> bool {
    mime.starts_with("text/")
        || ["json", "javascript", "xml", "x-www-form-urlencoded", "ecmascript"]
            .iter()
            .any(|kind| mime.contains(kind))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use serde_json::json;

    use super::*;

    fn scrub(document: &Value) -> (Value, String, Removed) {
        let mut input = Cursor::new(serde_json::to_vec(document).unwrap());
        let mut out = Vec::new();
        let removed = scrub_har(&mut input, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        (serde_json::from_str(&text).unwrap(), text, removed)
    }

    fn har(entries: Value) -> Value {
        json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "pages": [], "entries": entries}})
    }

    #[test]
    fn r17_cookies_credentials_and_tokens_leave_the_structure_stays() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXZhbHVl";
        let document = har(json!([{
            "startedDateTime": "2024-05-01T10:00:00.000Z",
            "time": 12.5,
            "request": {
                "method": "POST",
                "url": "https://app.example/api/login?next=%2Fhome&access_token=tok-AAAA-BBBB",
                "httpVersion": "HTTP/1.1",
                "headers": [
                    {"name": "Cookie", "value": "sid=session-1234567890; theme=dark-mode"},
                    {"name": "Authorization", "value": format!("Bearer {jwt}")},
                    {"name": "X-CSRF-Token", "value": "csrf-9876543210"},
                    {"name": "Accept", "value": "application/json"}
                ],
                "cookies": [
                    {"name": "sid", "value": "session-1234567890"},
                    {"name": "theme", "value": "dark-mode"}
                ],
                "queryString": [
                    {"name": "next", "value": "/home"},
                    {"name": "access_token", "value": "tok-AAAA-BBBB"}
                ],
                "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "user=dana&password=hunter2222",
                             "params": [{"name": "user", "value": "dana"}, {"name": "password", "value": "hunter2222"}]},
                "headersSize": -1, "bodySize": 30
            },
            "response": {
                "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Set-Cookie", "value": "sid=session-1234567890; Path=/; HttpOnly"}],
                "cookies": [{"name": "sid", "value": "session-1234567890", "path": "/", "httpOnly": true}],
                "content": {"size": 60, "mimeType": "application/json",
                            "text": format!("{{\"access_token\":\"{jwt}\",\"user\":\"dana\",\"echo\":\"csrf-9876543210\"}}")},
                "redirectURL": "", "headersSize": -1, "bodySize": 60
            },
            "cache": {},
            "timings": {"send": 1, "wait": 10, "receive": 1.5}
        }]));
        let (scrubbed, text, removed) = scrub(&document);
        for secret in [
            "session-1234567890",
            "dark-mode",
            jwt,
            "csrf-9876543210",
            "tok-AAAA-BBBB",
            "hunter2222",
        ] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        let entry = &scrubbed["log"]["entries"][0];
        assert_eq!(entry["timings"], document["log"]["entries"][0]["timings"]);
        assert_eq!(entry["request"]["headers"][3]["value"], "application/json");
        assert_eq!(entry["request"]["headers"][1]["value"], "Bearer [removed]");
        assert_eq!(entry["request"]["cookies"][0]["name"], "sid");
        assert_eq!(entry["response"]["content"]["mimeType"], "application/json");
        let body: Value = serde_json::from_str(entry["response"]["content"]["text"].as_str().unwrap()).unwrap();
        assert_eq!(body["user"], "dana");
        assert_eq!(scrubbed["log"]["creator"], document["log"]["creator"]);
        // Two cookies in the request (header and list count once), one in
        // the response; the authorization header; the CSRF header; the
        // token in the URL and the password in the form; the body's token.
        assert_eq!(removed.cookies, 3, "{removed:?}");
        assert_eq!(removed.authorization_headers, 1);
        assert_eq!(removed.credential_headers, 1);
        assert_eq!(removed.parameters, 3, "{removed:?}");
    }

    #[test]
    fn r17_what_claims_har_must_be_har() {
        for bad in [
            &b"not json at all"[..],
            b"{\"log\": {\"entries\": [",
            b"[1, 2]",
            b"{\"log\": {}}",
            b"{\"other\": 1}",
        ] {
            let mut out = Vec::new();
            let refusal = scrub_har(&mut Cursor::new(bad.to_vec()), &mut out).unwrap_err();
            assert_eq!(refusal.code(), "invalid_har", "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn base64_text_content_is_scrubbed_and_binary_left_alone() {
        let body = STANDARD.encode("var token = \"abcdefghijkl\";");
        let png = STANDARD.encode(b"\x89PNG binary");
        let document = har(json!([
            {"request": {"url": "https://a.example/app.js", "headers": []},
             "response": {"headers": [], "content": {"mimeType": "text/javascript", "encoding": "base64", "text": body}}},
            {"request": {"url": "https://a.example/logo.png", "headers": []},
             "response": {"headers": [], "content": {"mimeType": "image/png", "encoding": "base64", "text": png}}}
        ]));
        let (scrubbed, _, _) = scrub(&document);
        let decoded = STANDARD
            .decode(
                scrubbed["log"]["entries"][0]["response"]["content"]["text"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "var token = \"[removed]\";");
        assert_eq!(scrubbed["log"]["entries"][1]["response"]["content"]["text"], png);
    }

    #[test]
    fn page_titles_and_other_members_lose_secret_parameters() {
        let mut document = har(json!([]));
        document["log"]["pages"] = json!([{"id": "page_1", "title": "https://a.example/?code=abc123&x=1"}]);
        let (scrubbed, _, removed) = scrub(&document);
        assert_eq!(
            scrubbed["log"]["pages"][0]["title"],
            "https://a.example/?code=[removed]&x=1"
        );
        assert_eq!(removed.parameters, 1);
    }
}
