//! Webhook deliveries (R24): each `webhook` row of the outbox is POSTed to
//! its receiver, signed with HMAC-SHA256 over `{timestamp}.{body}` with the
//! receiver's secret, and retried with exponential backoff (30 s, 1 min,
//! 2 min, … at most an hour apart) until it is answered 2xx or the
//! attempts run out.

use std::sync::OnceLock;
use std::time::Duration;

use guichet_store::SubscriberKind;
use hmac::{Hmac, KeyInit, Mac};
use jiff::SignedDuration;
use sha2::Sha256;

use super::WebhookDelivery;
use crate::AppState;
use crate::error::ApiError;

/// `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}`.
pub const SIGNATURE_HEADER: &str = "x-guichet-signature";
/// The Unix time (seconds) the signature was made at: receivers refuse old
/// ones, so a captured delivery cannot be replayed later.
pub const TIMESTAMP_HEADER: &str = "x-guichet-timestamp";
const EVENT_HEADER: &str = "x-guichet-event";
const DELIVERY_HEADER: &str = "x-guichet-delivery";

/// How long a claimed delivery is kept from other workers.
pub(crate) const LEASE: SignedDuration = SignedDuration::from_mins(2);
const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);
const LONGEST_WAIT: SignedDuration = SignedDuration::from_hours(1);

/// The signature of `body` sent at `timestamp` (Unix seconds) with
/// `secret`: `sha256=` followed by 64 hex digits.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256=");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The wait before the next try, after `attempts` failed ones.
pub(crate) fn backoff(attempts: i32) -> SignedDuration {
    let doubled = FIRST_RETRY.as_secs().saturating_mul(1i64 << attempts.clamp(0, 20));
    SignedDuration::from_secs(doubled).min(LONGEST_WAIT)
}

pub(crate) fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Guichet/", env!("CARGO_PKG_VERSION"), " (status webhooks)"))
            .build()
            .expect("a plain HTTP client builds")
    })
}

/// Delivers the webhook rows that are due; returns how many receivers
/// answered 2xx. Run by the housekeeping worker.
pub async fn deliver_webhooks(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let due = state.store.claim_outbox("webhook", now, now + LEASE, 20).await?;
    let mut delivered = 0;
    for row in due {
        let id = row.message.id.clone();
        let Ok(delivery) = serde_json::from_str::<WebhookDelivery>(&row.message.payload) else {
            state.store.outbox_failed(&id, "unreadable payload", None, now).await?;
            continue;
        };
        let receiver = state.store.subscriber(&delivery.subscriber).await?;
        let Some((url, secret)) = receiver.and_then(|s| match s.kind {
            SubscriberKind::Webhook { url, secret } if s.unsubscribed_at.is_none() => Some((url, secret)),
            _ => None,
        }) else {
            // The receiver was removed: nothing to send any more.
            state.store.complete_outbox(&id, now).await?;
            continue;
        };
        let timestamp = state.clock.now().as_second();
        let failure = post_signed(&url, &secret, &delivery.event, &id, timestamp, delivery.body).await;
        let after = state.clock.now();
        match failure {
            None => {
                state.store.complete_outbox(&id, after).await?;
                delivered += 1;
            }
            Some(error) => {
                let tries = row.attempts + 1;
                let retry = (tries < state.settings.status.webhook_attempts).then(|| after + backoff(row.attempts));
                tracing::warn!(delivery = %id, tries, %error, "webhook delivery failed");
                state.store.outbox_failed(&id, &error, retry, after).await?;
            }
        }
    }
    Ok(delivered)
}

/// Posts one signed delivery of `event` (delivery `id`) to `url`; `None`
/// when the receiver answered 2xx, else why not (without the URL).
pub(crate) async fn post_signed(
    url: &str,
    secret: &str,
    event: &str,
    id: &str,
    timestamp: i64,
    body: String,
) -> Option<String> {
    let sent = client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, event)
        .header(DELIVERY_HEADER, id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => None,
        Ok(response) => Some(format!("HTTP {}", response.status().as_u16())),
        Err(error) => Some(format!("not delivered: {}", without_url(&error))),
    }
}

/// A client error without the receiver's URL (it may hold a token).
pub(crate) fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_timestamp_and_body() {
        let signature = signature("whsec_test", 1_700_000_000, "{}");
        assert!(signature.starts_with("sha256="));
        assert_eq!(signature.len(), 7 + 64);
        assert_ne!(signature, super::signature("whsec_other", 1_700_000_000, "{}"));
        assert_ne!(signature, super::signature("whsec_test", 1_700_000_001, "{}"));
        // A known value, computed with Python's hmac module:
        // hmac.new(b"key", b"0.The quick brown fox", hashlib.sha256).hexdigest()
        assert_eq!(
            super::signature("key", 0, "The quick brown fox"),
            "sha256=10c3ae5bdd0fd5c9ad60a05ea4051bb529622def626c0d64295951b2039454ed"
        );
    }

    #[test]
    fn retries_back_off_up_to_an_hour() {
        assert_eq!(backoff(0), SignedDuration::from_secs(30));
        assert_eq!(backoff(1), SignedDuration::from_secs(60));
        assert_eq!(backoff(3), SignedDuration::from_secs(240));
        assert_eq!(backoff(10), LONGEST_WAIT);
        assert_eq!(backoff(100), LONGEST_WAIT);
    }
}
