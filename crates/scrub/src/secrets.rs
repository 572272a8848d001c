//! What a secret looks like: names of secret fields and headers, and the
//! patterns of secrets in free text (bearer tokens, JSON Web Tokens, API
//! keys, `password=…`, private keys, passwords in URLs).

use std::borrow::Cow;
use std::sync::OnceLock;

use guichet_domain::attachment::Removed;
use regex::bytes::{Captures, Regex, RegexSet};

use crate::REDACTED;

/// Secrets shorter than this are not looked for elsewhere in a document
/// (too many false matches).
pub(crate) const MIN_ECHO: usize = 8;

/// Whether a query-string, form or JSON field of this name carries a
/// secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let compact: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const EXACT: &[&str] = &[
        "code",
        "key",
        "sig",
        "sid",
        "pwd",
        "pass",
        "otp",
        "pin",
        "state",
        "nonce",
        "ticket",
        "saml",
        "jwt",
        "auth",
        "hash",
        "verifier",
        "codeverifier",
    ];
    const WITHIN: &[&str] = &[
        "token",
        "password",
        "passwd",
        "passphrase",
        "secret",
        "apikey",
        "accesskey",
        "privatekey",
        "signature",
        "session",
        "sessid",
        "credential",
        "csrf",
        "xsrf",
        "authorization",
        "authcode",
        "bearer",
        "cookie",
        "assertion",
        "samlresponse",
        "samlrequest",
    ];
    EXACT.contains(&compact.as_str()) || WITHIN.iter().any(|part| compact.contains(part))
}

/// Whether a header other than `Cookie`, `Set-Cookie`, `Authorization` and
/// `Proxy-Authorization` carries a credential (API keys, CSRF tokens,
/// session ids).
pub(crate) fn is_credential_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with(':')
        || matches!(
            lower.as_str(),
            "sec-websocket-key" | "sec-websocket-accept" | "www-authenticate" | "proxy-authenticate" | "keep-alive"
        )
    {
        return false;
    }
    is_secret_name(&lower) || lower == "x-auth" || lower.ends_with("-auth")
}

struct Patterns {
    /// Any of the patterns below: lines without a match are left alone.
    any: RegexSet,
    private_key: Regex,
    authorization: Regex,
    cookie: Regex,
    url_password: Regex,
    url: Regex,
    jwt: Regex,
    bearer: Regex,
    known_token: Regex,
    assignment: Regex,
}

const PRIVATE_KEY: &str = r"(?-u)(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)";
const AUTHORIZATION: &str = r#"(?-u)(?i)\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|negotiate|token|apikey|aws4-hmac-sha256|hoba|mutual|ntlm|scram-sha-256)\s+)?([^\r\n"']+)"#;
const COOKIE: &str = r#"(?-u)(?i)\b(set-cookie|cookie)(["']?\s*:\s*["']?)([^\r\n"']*)"#;
const URL_PASSWORD: &str = r"(?-u)(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)";
const URL: &str = r#"(?-u)(?i)\bhttps?://[^\s"'<>`]+"#;
const JWT: &str = r"(?-u)\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*";
const BEARER: &str = r"(?-u)(?i)\b(bearer)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)";
const KNOWN_TOKEN: &str = r"(?-u)\b(?:gch_[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})";
const ASSIGNMENT: &str = r#"(?-u)(?i)(["']?)([A-Za-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|session[_-]?id|sessionid|sessid|signature|credentials?|client[_-]?secret|csrf|xsrf)[A-Za-z0-9_.-]*)(["']?)(\s*[=:]\s*)("(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'|[^\s&;,"'<>)}\]]+)"#;

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let all = [
            PRIVATE_KEY,
            AUTHORIZATION,
            COOKIE,
            URL_PASSWORD,
            URL,
            JWT,
            BEARER,
            KNOWN_TOKEN,
            ASSIGNMENT,
        ];
        let build = |pattern: &str| Regex::new(pattern).expect("secret patterns compile");
        Patterns {
            any: RegexSet::new(all).expect("secret patterns compile"),
            private_key: build(PRIVATE_KEY),
            authorization: build(AUTHORIZATION),
            cookie: build(COOKIE),
            url_password: build(URL_PASSWORD),
            url: build(URL),
            jwt: build(JWT),
            bearer: build(BEARER),
            known_token: build(KNOWN_TOKEN),
            assignment: build(ASSIGNMENT),
        }
    })
}

/// Where secrets found are kept, for looking for them elsewhere in the
/// same document (a HAR file's first pass).
pub(crate) type Found<'a> = Option<&'a mut Vec<String>>;

pub(crate) fn keep(found: &mut Found<'_>, secret: &[u8]) {
    if let Some(found) = found.as_deref_mut()
        && secret.len() >= MIN_ECHO
        && let Ok(text) = std::str::from_utf8(secret)
        && !text.contains(&REDACTED[..REDACTED.len() - 1])
    {
        found.push(text.to_owned());
    }
}

fn is_redacted(value: &[u8]) -> bool {
    let value = value.strip_prefix(b"\"").unwrap_or(value);
    let value = value.strip_prefix(b"'").unwrap_or(value);
    // `[removed` too: a value pattern may stop before the bracket.
    value.starts_with(&REDACTED.as_bytes()[..REDACTED.len() - 1])
}

/// Replaces every match of `regex` in `text` with what `replace` makes of
/// it; borrowed when nothing matched.
fn replace_all<'t>(
    regex: &Regex,
    text: Cow<'t, [u8]>,
    mut replace: impl FnMut(&Captures<'_>) -> Vec<u8>,
) -> Cow<'t, [u8]> {
    if !regex.is_match(&text) {
        return text;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut last = 0;
    for caps in regex.captures_iter(&text) {
        let whole = caps.get(0).expect("group 0");
        out.extend_from_slice(&text[last..whole.start()]);
        out.extend_from_slice(&replace(&caps));
        last = whole.end();
    }
    out.extend_from_slice(&text[last..]);
    Cow::Owned(out)
}

fn group<'c>(caps: &'c Captures<'_>, i: usize) -> &'c [u8] {
    caps.get(i).map_or(&[][..], |m| m.as_bytes())
}

/// Redacts the values of `name=value` pairs of a `Cookie` header (or the
/// first pair of a `Set-Cookie` line, the rest being its attributes);
/// returns the new value and how many cookies it held.
pub(crate) fn redact_cookie_header(value: &str, set_cookie: bool, found: &mut Found<'_>) -> (String, u64) {
    let mut count = 0;
    let lines: Vec<String> = value
        .split('\n')
        .map(|line| {
            let pairs: Vec<String> = line
                .split(';')
                .enumerate()
                .map(|(i, pair)| {
                    if set_cookie && i > 0 {
                        return pair.to_owned();
                    }
                    match pair.split_once('=') {
                        Some((name, secret)) if secret.trim() != REDACTED => {
                            keep(found, secret.trim().as_bytes());
                            count += 1;
                            format!("{name}={REDACTED}")
                        }
                        Some(_) => pair.to_owned(),
                        None if pair.trim().is_empty() => pair.to_owned(),
                        None => {
                            keep(found, pair.trim().as_bytes());
                            count += 1;
                            REDACTED.to_owned()
                        }
                    }
                })
                .collect();
            pairs.join(";")
        })
        .collect();
    (lines.join("\n"), count)
}

/// Redacts the credential of an `Authorization` value, keeping its scheme
/// (`Bearer [removed]`).
pub(crate) fn redact_authorization(value: &str, found: &mut Found<'_>) -> String {
    let value = value.trim();
    match value.split_once(char::is_whitespace) {
        Some((scheme, credential)) if scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            keep(found, credential.trim().as_bytes());
            format!("{scheme} {REDACTED}")
        }
        _ => {
            keep(found, value.as_bytes());
            REDACTED.to_owned()
        }
    }
}

/// Redacts a URL's password and the values of its secret query and
/// fragment parameters; `None` when nothing was secret.
pub(crate) fn scrub_url(url: &str, removed: &mut Removed, found: &mut Found<'_>) -> Option<String> {
    let mut changed = false;
    let mut text = url.to_owned();
    let p = patterns();
    if let Cow::Owned(out) = replace_all(&p.url_password, Cow::Borrowed(text.as_bytes()), |caps| {
        let password = group(caps, 2);
        if is_redacted(password) {
            return group(caps, 0).to_vec();
        }
        keep(found, password);
        removed.parameters += 1;
        [group(caps, 1), REDACTED.as_bytes(), group(caps, 3)].concat()
    }) {
        text = String::from_utf8_lossy(&out).into_owned();
        changed = true;
    }
    let (before_fragment, fragment) = match text.split_once('#') {
        Some((head, fragment)) => (head.to_owned(), Some(fragment.to_owned())),
        None => (text.clone(), None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((base, query)) => (base.to_owned(), Some(query.to_owned())),
        None => (before_fragment.clone(), None),
    };
    let query = query.map(|q| match scrub_pairs(&q, removed, found) {
        Some(scrubbed) => {
            changed = true;
            scrubbed
        }
        None => q,
    });
    let fragment = fragment.map(
        |f| match f.contains('=').then(|| scrub_pairs(&f, removed, found)).flatten() {
            Some(scrubbed) => {
                changed = true;
                scrubbed
            }
            None => f,
        },
    );
    if !changed {
        return None;
    }
    let mut out = base;
    if let Some(query) = query {
        out.push('?');
        out.push_str(&query);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(&fragment);
    }
    Some(out)
}

/// `a=1&token=x` → `a=1&token=[removed]`, for query strings and form
/// bodies; `None` when nothing was secret.
pub(crate) fn scrub_pairs(pairs: &str, removed: &mut Removed, found: &mut Found<'_>) -> Option<String> {
    let mut changed = false;
    let out: Vec<String> = pairs
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret_name(&percent_decode(name)) && !value.is_empty() && value != REDACTED => {
                keep(found, value.as_bytes());
                keep(found, percent_decode(value).as_bytes());
                removed.parameters += 1;
                changed = true;
                format!("{name}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    changed.then(|| out.join("&"))
}

pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Redacts the secrets of free text (a log line, a response body, any HAR
/// string): private keys, `Authorization` and cookie headers, passwords in
/// URLs and secret URL parameters, JSON Web Tokens, bearer tokens, known
/// API key formats, and `name=value` or `"name": "value"` pairs whose names
/// carry secrets.
pub(crate) fn scrub_bytes<'t>(text: &'t [u8], removed: &mut Removed, found: &mut Found<'_>) -> Cow<'t, [u8]> {
    let p = patterns();
    if !p.any.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut text = Cow::Borrowed(text);
    text = replace_all(&p.private_key, text, |_| {
        removed.private_keys += 1;
        REDACTED.as_bytes().to_vec()
    });
    text = replace_all(&p.authorization, text, |caps| {
        let credential = group(caps, 4);
        if is_redacted(credential) {
            return group(caps, 0).to_vec();
        }
        keep(found, credential.trim_ascii());
        removed.authorization_headers += 1;
        let scheme = caps.get(3).map(|m| [m.as_bytes(), b" "].concat()).unwrap_or_default();
        [group(caps, 1), group(caps, 2), &scheme, REDACTED.as_bytes()].concat()
    });
    text = replace_all(&p.cookie, text, |caps| {
        let name = group(caps, 1);
        let value = String::from_utf8_lossy(group(caps, 3));
        let set_cookie = name.eq_ignore_ascii_case(b"set-cookie");
        let (redacted, count) = redact_cookie_header(&value, set_cookie, found);
        removed.cookies += count;
        [name, group(caps, 2), redacted.as_bytes()].concat()
    });
    text = replace_all(&p.url_password, text, |caps| {
        let password = group(caps, 2);
        if is_redacted(password) {
            return group(caps, 0).to_vec();
        }
        keep(found, password);
        removed.parameters += 1;
        [group(caps, 1), REDACTED.as_bytes(), group(caps, 3)].concat()
    });
    text = replace_all(&p.url, text, |caps| {
        let url = String::from_utf8_lossy(group(caps, 0));
        match scrub_url(&url, removed, found) {
            Some(scrubbed) => scrubbed.into_bytes(),
            None => group(caps, 0).to_vec(),
        }
    });
    text = replace_all(&p.jwt, text, |caps| {
        keep(found, group(caps, 0));
        removed.tokens += 1;
        REDACTED.as_bytes().to_vec()
    });
    text = replace_all(&p.bearer, text, |caps| {
        keep(found, group(caps, 3));
        removed.tokens += 1;
        [group(caps, 1), group(caps, 2), REDACTED.as_bytes()].concat()
    });
    text = replace_all(&p.known_token, text, |caps| {
        keep(found, group(caps, 0));
        removed.tokens += 1;
        REDACTED.as_bytes().to_vec()
    });
    text = replace_all(&p.assignment, text, |caps| {
        let value = group(caps, 5);
        if is_redacted(value) || value.is_empty() {
            return group(caps, 0).to_vec();
        }
        let quote = match value.first() {
            Some(b'"') => &b"\""[..],
            Some(b'\'') => &b"'"[..],
            _ => &b""[..],
        };
        let inner = if quote.is_empty() {
            value
        } else {
            &value[1..value.len().saturating_sub(1).max(1)]
        };
        keep(found, inner);
        removed.parameters += 1;
        [
            group(caps, 1),
            group(caps, 2),
            group(caps, 3),
            group(caps, 4),
            quote,
            REDACTED.as_bytes(),
            quote,
        ]
        .concat()
    });
    text
}

/// `scrub_bytes` for a string.
pub(crate) fn scrub_str<'t>(text: &'t str, removed: &mut Removed, found: &mut Found<'_>) -> Cow<'t, str> {
    match scrub_bytes(text.as_bytes(), removed, found) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// Whether `text` holds the start of a private key block without its end:
/// the lines after it belong to the key.
pub(crate) fn opens_private_key(text: &[u8]) -> bool {
    let Some(begin) = find(text, b"-----BEGIN") else {
        return false;
    };
    let rest = &text[begin..];
    find(rest, b"PRIVATE KEY-----").is_some() && find(rest, b"-----END").is_none()
}

/// Where a private key block that began on an earlier line ends: the index
/// just past its `-----END … PRIVATE KEY-----`.
pub(crate) fn closes_private_key(text: &[u8]) -> Option<usize> {
    let end = find(text, b"-----END")?;
    let marker = b"PRIVATE KEY-----";
    let tail = find(&text[end..], marker)?;
    Some(end + tail + marker.len())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> (String, Removed) {
        let mut removed = Removed::default();
        let out = scrub_str(text, &mut removed, &mut None).into_owned();
        (out, removed)
    }

    #[test]
    fn secret_names() {
        for name in [
            "token",
            "access_token",
            "code",
            "SESSION",
            "JSESSIONID",
            "password",
            "api-key",
            "X-Amz-Signature",
            "client_secret",
            "csrfmiddlewaretoken",
            "sig",
            "key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["page", "q", "lang", "author", "monkey", "limit"] {
            assert!(!is_secret_name(name), "{name}");
        }
        for header in [
            "X-API-Key",
            "x-csrf-token",
            "X-Session-Id",
            "x-goog-api-key",
            "x-amz-security-token",
        ] {
            assert!(is_credential_header(header), "{header}");
        }
        for header in [
            ":authority",
            "accept",
            "sec-websocket-key",
            "content-type",
            "x-request-id",
        ] {
            assert!(!is_credential_header(header), "{header}");
        }
    }

    #[test]
    fn free_text_secrets() {
        let (out, removed) = scrub("GET /x Authorization: Bearer abc.def.ghi123456 ok");
        assert_eq!(out, "GET /x Authorization: Bearer [removed]");
        assert_eq!(removed.authorization_headers, 1);

        let (out, removed) = scrub("login user=dana password=hunter22 next");
        assert_eq!(out, "login user=dana password=[removed] next");
        assert_eq!(removed.parameters, 1);

        let (out, _) = scrub(r#"{"user":"dana","client_secret":"s3cr3t-value","n":1}"#);
        assert_eq!(out, r#"{"user":"dana","client_secret":"[removed]","n":1}"#);

        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig_nature-x";
        let (out, removed) = scrub(&format!("token in body {jwt} here"));
        assert_eq!(out, "token in body [removed] here");
        assert_eq!(removed.tokens, 1);

        let (out, removed) = scrub("Cookie: sid=abcdef123456; theme=dark");
        assert_eq!(out, "Cookie: sid=[removed]; theme=[removed]");
        assert_eq!(removed.cookies, 2);

        let (out, removed) = scrub("redirect to https://app.example/cb?code=4/0AX4&state=xyz&lang=fr done");
        assert_eq!(
            out,
            "redirect to https://app.example/cb?code=[removed]&state=[removed]&lang=fr done"
        );
        assert_eq!(removed.parameters, 2);

        let (out, _) = scrub("db postgres://guichet:pa55word@db.internal/guichet");
        assert_eq!(out, "db postgres://guichet:[removed]@db.internal/guichet");

        let (out, removed) = scrub("key -----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY----- end");
        assert_eq!(out, "key [removed] end");
        assert_eq!(removed.private_keys, 1);

        let (out, removed) = scrub("token gch_0123456789abcdefghijABCDEF and AKIAABCDEFGHIJKLMNOP");
        assert_eq!(removed.tokens, 2, "{out}");
        assert!(!out.contains("gch_0123") && !out.contains("AKIA"), "{out}");
    }

    #[test]
    fn scrubbing_twice_changes_nothing_more() {
        let text = "password=\"x y\" Authorization: Basic dXNlcjpwYXNz\nCookie: a=bbbbbbbbbb";
        let (once, first) = scrub(text);
        let (twice, second) = scrub(&once);
        assert_eq!(once, twice);
        assert!(first.total() >= 3, "{first:?}");
        assert!(second.is_empty(), "{second:?}");
    }
}
