//! Verifying Fathom's webhook deliveries before anything reads them. Fathom signs the
//! Standard Webhooks (Svix) way: its SDK's `verify_webhook` is `svix`'s `Webhook.verify`
//! (fathom.md, "Verification algorithm"):
//!
//! 1. key = base64 of the secret after `whsec_`;
//! 2. signed content = `{webhook-id}.{webhook-timestamp}.{raw body}`;
//! 3. `webhook-signature` lists space-separated `<version>,<base64>` entries; a delivery is
//!    good when any `v1` entry equals HMAC-SHA256(key, content), compared in constant time;
//! 4. a timestamp more than 300 s from now, either way, is refused (a replay window).
//!
//! The webhooks function calls [`verify`] on the raw body, before parsing it; the
//! `webhook-id` of a verified delivery is its idempotency key (the same on a resend).
//! [`WebhookError`] says which check failed and carries nothing of the secret, the
//! signatures or the body (its `Display` may be logged; the sender gets a bare 401).
//!
//! It lives here, in the domain crate, rather than in `connectors::fathom` (which re-exports
//! it): it is pure (HMAC, SHA-256, base64), and the webhooks ingress function needs it without
//! linking the HTTP clients of every provider.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tenant::{Secret, TenantId, UserId};
use zeroize::Zeroizing;

/// Svix's `WEBHOOK_TOLERANCE_IN_SECONDS`.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The header names (lowercase, as `http::HeaderMap` keys).
pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// Why a delivery was refused. Never holds a secret, a signature or the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A required header is absent or empty (its name).
    #[error("webhook header {0} is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not whole seconds since the epoch.
    #[error("webhook timestamp is not a number of seconds")]
    BadTimestamp,
    /// More than [`TOLERANCE`] before now: a replay, or a very late delivery.
    #[error("webhook timestamp is too old")]
    TooOld,
    /// More than [`TOLERANCE`] after now.
    #[error("webhook timestamp is in the future")]
    TooNew,
    /// No `v1` entry matches (tampered body or headers, another secret, or only other
    /// versions listed).
    #[error("no valid webhook signature")]
    BadSignature,
    /// Our configured secret is not `whsec_<base64>`: an operator's error, not the sender's.
    #[error("the webhook secret is not whsec_ followed by base64")]
    InvalidSecret,
}

/// Checks one delivery: `id`, `timestamp`, `signature` are the three headers' values (`None`
/// when absent), `body` the raw bytes as received, `now` the caller's clock.
pub fn verify(
    secret: &Secret,
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<(), WebhookError> {
    let id = present(id, ID_HEADER)?;
    let timestamp = present(timestamp, TIMESTAMP_HEADER)?;
    let signature = present(signature, SIGNATURE_HEADER)?;
    let key = key_of(secret)?;
    // Svix parses the timestamp as an integer and signs the header's own text; a
    // non-canonical form ("+1614265330") is refused rather than guessed at.
    let sent: u64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(WebhookError::BadTimestamp)?;
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if now.saturating_sub(sent) > TOLERANCE.as_secs() {
        return Err(WebhookError::TooOld);
    }
    if sent.saturating_sub(now) > TOLERANCE.as_secs() {
        return Err(WebhookError::TooNew);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| WebhookError::InvalidSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    // Every v1 entry is tried (a sender rotating its secret lists old and new); an entry that
    // is not base64 simply does not match. `verify_slice` compares in constant time.
    let matched = signature
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|given| mac.clone().verify_slice(&given).is_ok());
    if matched {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

fn present<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, WebhookError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

/// [`verify`] with the headers read from a request's header map.
pub fn verify_headers(
    secret: &Secret,
    headers: &http::HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), WebhookError> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    verify(
        secret,
        get(ID_HEADER),
        get(TIMESTAMP_HEADER),
        get(SIGNATURE_HEADER),
        body,
        now,
    )
}

/// The HMAC key: the base64 after `whsec_` (Svix also takes a bare base64 key), wiped when
/// dropped.
fn key_of(secret: &Secret) -> Result<Zeroizing<Vec<u8>>, WebhookError> {
    let encoded = secret.expose().trim();
    let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
    let key = Zeroizing::new(
        STANDARD
            .decode(encoded)
            .map_err(|_| WebhookError::InvalidSecret)?,
    );
    if key.is_empty() {
        return Err(WebhookError::InvalidSecret);
    }
    Ok(key)
}

/// The path of the webhooks function's Fathom route.
pub const FATHOM_PATH: &str = "/webhooks/fathom";

/// Which user's webhook a delivery came to: `r=<tenant>.<user>` on the destination URL the
/// worker registers. Not a secret (the signature, with that user's own webhook secret, is what
/// authenticates a delivery); it only says which secret to check it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tenant: TenantId,
    pub user: UserId,
}

impl Registration {
    /// The query parameter's value. Slack ids are upper-case letters and digits, so it needs
    /// no escaping.
    pub fn param(&self) -> String {
        format!("{}.{}", self.tenant, self.user)
    }

    /// `r`'s value back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let (tenant, user) = raw.split_once('.')?;
        Some(Self {
            tenant: TenantId::parse(tenant).ok()?,
            user: UserId::parse(user).ok()?,
        })
    }

    /// The registration a request's query names (its one `r`; two are refused).
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        let mut found = None;
        for pair in query?.split('&') {
            if let Some(value) = pair.strip_prefix("r=") {
                if found.is_some() {
                    return None;
                }
                found = Some(Self::parse(value)?);
            }
        }
        found
    }

    /// Where the recorder is asked to deliver: `{base}/webhooks/fathom?r=…`.
    pub fn destination(&self, public_base_url: &str) -> String {
        format!(
            "{}{FATHOM_PATH}?r={}",
            public_base_url.trim_end_matches('/'),
            self.param()
        )
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
