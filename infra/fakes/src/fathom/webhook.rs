//! Fathom webhook signatures: the Standard Webhooks (Svix) scheme the official SDK verifies
//! with (fathom.md, "Verification algorithm").
//!
//! key = base64-decode of the secret without `whsec_`; signed content =
//! `"{webhook-id}.{webhook-timestamp}.{body}"`; `webhook-signature: v1,<base64 HMAC-SHA256>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Svix rejects timestamps more than 5 minutes off either way.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// Signs (and checks) deliveries with one webhook's secret. `Debug` shows nothing of the key.
#[derive(Clone)]
pub struct WebhookSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSigner([redacted])")
    }
}

/// The secret was not `whsec_<base64>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is whsec_ followed by base64")]
pub struct InvalidSecret;

impl WebhookSigner {
    /// From a secret as Fathom returns it (`whsec_…`; a bare base64 key is accepted too).
    pub fn new(secret: &str) -> Result<Self, InvalidSecret> {
        let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD.decode(encoded).map_err(|_| InvalidSecret)?;
        if key.is_empty() {
            return Err(InvalidSecret);
        }
        Ok(Self { key })
    }

    /// The `webhook-signature` value for this delivery: `v1,<base64>`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body)))
    }

    /// Whether any `v1,` entry of `signature` (space separated) matches, in constant time, and
    /// `timestamp` is within [`TOLERANCE_SECS`] of `now` (unix seconds).
    pub fn verify(
        &self,
        msg_id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: i64,
    ) -> bool {
        let Ok(ts) = timestamp.trim().parse::<i64>() else {
            return false;
        };
        if (now - ts).abs() > TOLERANCE_SECS {
            return false;
        }
        let expected = self.mac(msg_id, ts, body);
        signature.split_whitespace().any(|entry| {
            entry
                .strip_prefix("v1,")
                .and_then(|b64| STANDARD.decode(b64).ok())
                .is_some_and(|given| bool::from(given.ct_eq(&expected)))
        })
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks reference vector quoted in fathom.md.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn signs_the_reference_vector() {
        let signer = WebhookSigner::new(SECRET).unwrap();
        assert_eq!(
            signer.sign(ID, TS, BODY),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn verifies_any_listed_signature_within_the_tolerance_only() {
        let signer = WebhookSigner::new(SECRET).unwrap();
        let header = format!("v2,QVBJ {}", signer.sign(ID, TS, BODY));
        assert!(signer.verify(ID, "1614265330", &header, BODY, TS + 10));
        assert!(!signer.verify(ID, "1614265330", &header, BODY, TS + TOLERANCE_SECS + 1));
        assert!(!signer.verify(ID, "1614265330", &header, b"{}", TS));
        assert!(!signer.verify("msg_other", "1614265330", &header, BODY, TS));
        assert!(WebhookSigner::new("whsec_***").is_err());
        assert!(!format!("{signer:?}").contains("MfKQ"));
    }
}
