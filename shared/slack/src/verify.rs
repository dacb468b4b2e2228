//! Inbound request verification: Slack's `v0` HMAC-SHA256 signature over the raw body.
//!
//! Contract: `../shared/reference/slack.md` section 1. The signature is checked on the raw
//! bytes before anything is parsed, the comparison is constant-time, and timestamps more than
//! [`MAX_SKEW_SECS`] away from the clock in either direction are refused (replay guard).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the request's unix timestamp (seconds, decimal).
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
/// Header carrying `v0=<lowercase hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";
/// Largest accepted distance, in seconds, between the request timestamp and the clock.
pub const MAX_SKEW_SECS: i64 = 300;

const VERSION_PREFIX: &str = "v0=";
/// HMAC-SHA256 output, hex encoded.
const SIGNATURE_HEX_LEN: usize = 64;
/// Longer than any plausible unix time; bounds the work done on a hostile header.
const MAX_TIMESTAMP_DIGITS: usize = 18;

/// Why a request was not accepted as coming from Slack. No variant carries header values, so
/// logging one cannot leak a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signing secret is empty")]
    EmptySecret,
    #[error("missing X-Slack-Request-Timestamp header")]
    MissingTimestamp,
    #[error("missing X-Slack-Signature header")]
    MissingSignature,
    #[error("X-Slack-Request-Timestamp is not a unix timestamp")]
    BadTimestamp,
    #[error("request timestamp is more than {MAX_SKEW_SECS} s away from now")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}

/// Verifies (and, for test signers, produces) Slack request signatures with one app's signing
/// secret. Build it once per cold start; it keeps the keyed HMAC state so each request only
/// clones it.
#[derive(Clone)]
pub struct Verifier {
    keyed: HmacSha256,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Verifier { signing_secret: [redacted] }")
    }
}

impl Verifier {
    /// A verifier for `signing_secret`, used as its UTF-8 bytes (Slack does not decode it).
    /// An empty or all-whitespace secret is refused, as the Slack SDKs do.
    pub fn new(signing_secret: &str) -> Result<Self, VerifyError> {
        if signing_secret.trim().is_empty() {
            return Err(VerifyError::EmptySecret);
        }
        // HMAC accepts keys of any length, so this cannot fail; map it anyway rather than unwrap.
        let keyed = HmacSha256::new_from_slice(signing_secret.as_bytes())
            .map_err(|_| VerifyError::EmptySecret)?;
        Ok(Self { keyed })
    }

    /// Verifies `body` against the signature headers using the system clock.
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
        self.verify_at(headers, body, unix_now())
    }

    /// Verifies `body` against the signature headers, with `now` (unix seconds) as the clock.
    pub fn verify_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        let timestamp = headers
            .get(TIMESTAMP_HEADER)
            .ok_or(VerifyError::MissingTimestamp)?
            .as_bytes();
        let signature = headers
            .get(SIGNATURE_HEADER)
            .ok_or(VerifyError::MissingSignature)?
            .as_bytes();

        let ts = parse_timestamp(timestamp)?;
        // abs_diff: no overflow whatever the header says; both directions count (replay guard
        // and clock-skew guard).
        if now.abs_diff(ts) > MAX_SKEW_SECS.unsigned_abs() {
            return Err(VerifyError::Stale);
        }

        let expected = decode_signature(signature)?;
        // The base string uses the header's exact bytes, as Slack signs them.
        let mut mac = self.keyed.clone();
        mac.update(b"v0:");
        mac.update(timestamp);
        mac.update(b":");
        mac.update(body);
        // verify_slice compares in constant time.
        mac.verify_slice(&expected)
            .map_err(|_| VerifyError::Mismatch)
    }

    /// The `v0=<hex>` signature of `body` at `timestamp`: what Slack would send. Used by test
    /// signers and `switchboard sign`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(b"v0:");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b":");
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        format!("{VERSION_PREFIX}{}", hex::encode(digest))
    }
}

/// Digits only: Slack sends a plain decimal, and anything looser (signs, spaces) would let two
/// different base strings map to one accepted timestamp.
fn parse_timestamp(raw: &[u8]) -> Result<i64, VerifyError> {
    if raw.is_empty() || raw.len() > MAX_TIMESTAMP_DIGITS || !raw.iter().all(u8::is_ascii_digit) {
        return Err(VerifyError::BadTimestamp);
    }
    raw.iter()
        .try_fold(0i64, |acc, d| {
            acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
        .ok_or(VerifyError::BadTimestamp)
}

/// `v0=` followed by exactly 64 hex digits, decoded; anything else cannot match.
fn decode_signature(raw: &[u8]) -> Result<[u8; 32], VerifyError> {
    let hex_part = raw
        .strip_prefix(VERSION_PREFIX.as_bytes())
        .ok_or(VerifyError::Mismatch)?;
    if hex_part.len() != SIGNATURE_HEX_LEN {
        return Err(VerifyError::Mismatch);
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut out).map_err(|_| VerifyError::Mismatch)?;
    Ok(out)
}

fn unix_now() -> i64 {
    // A clock before 1970 is a broken host; treating it as 0 makes every request stale, which
    // fails closed.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
