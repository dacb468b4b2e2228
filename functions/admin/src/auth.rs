//! `Authorization: Bearer <key>` against the configured admin API key.
//!
//! Only the SHA-256 digest of the key is kept, and the presented key's digest is compared with
//! it in constant time: equal-length digests make the comparison independent of how much of the
//! key a caller guessed right, and of the key's length.

use http::HeaderMap;
use http::header::AUTHORIZATION;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tenant::Secret;

/// Keys shorter than this are accepted but logged as weak at start-up.
pub const RECOMMENDED_KEY_BYTES: usize = 32;

/// The configured admin API key, as a digest. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// Why a request's credentials were refused (never says which part was wrong to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    Missing,
    #[error("Authorization header is not `Bearer <key>`")]
    Malformed,
    #[error("wrong admin API key")]
    Wrong,
}

impl ApiKey {
    /// The key, or `None` for a blank one (a blank key must not open the API).
    pub fn new(key: &Secret) -> Option<Self> {
        let raw = key.expose().trim();
        if raw.is_empty() {
            return None;
        }
        Some(Self {
            digest: digest(raw),
        })
    }

    /// Whether the key is at least [`RECOMMENDED_KEY_BYTES`] long.
    pub fn is_weak(key: &Secret) -> bool {
        key.expose().trim().len() < RECOMMENDED_KEY_BYTES
    }

    /// Checks the request's `Authorization: Bearer <key>` header.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let value = values.next().ok_or(AuthError::Missing)?;
        // Two Authorization headers are ambiguous: refuse rather than pick one.
        if values.next().is_some() {
            return Err(AuthError::Malformed);
        }
        let value = value.to_str().map_err(|_| AuthError::Malformed)?;
        let (scheme, presented) = value.split_once(' ').ok_or(AuthError::Malformed)?;
        // The scheme is case-insensitive (RFC 9110 11.1); the key is not.
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed);
        }
        let presented = presented.trim();
        if presented.is_empty() {
            return Err(AuthError::Malformed);
        }
        if bool::from(digest(presented).ct_eq(&self.digest)) {
            Ok(())
        } else {
            Err(AuthError::Wrong)
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const KEY: &str = "admin-key-0123456789abcdef0123456789";

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn key() -> ApiKey {
        ApiKey::new(&Secret::new(KEY)).unwrap()
    }

    #[test]
    fn the_right_bearer_key_passes_whatever_the_scheme_case() {
        assert_eq!(key().check(&headers(&[&format!("Bearer {KEY}")])), Ok(()));
        assert_eq!(key().check(&headers(&[&format!("bearer {KEY}")])), Ok(()));
    }

    #[test]
    fn missing_malformed_and_wrong_keys_are_refused() {
        let k = key();
        assert_eq!(k.check(&HeaderMap::new()), Err(AuthError::Missing));
        assert_eq!(
            k.check(&headers(&[&format!("Basic {KEY}")])),
            Err(AuthError::Malformed)
        );
        assert_eq!(k.check(&headers(&["Bearer "])), Err(AuthError::Malformed));
        assert_eq!(k.check(&headers(&[KEY])), Err(AuthError::Malformed));
        assert_eq!(
            k.check(&headers(&[&format!("Bearer {KEY}x")])),
            Err(AuthError::Wrong)
        );
        assert_eq!(
            k.check(&headers(&[&format!("Bearer {}", &KEY[..10])])),
            Err(AuthError::Wrong)
        );
        assert_eq!(
            k.check(&headers(&[&format!("Bearer {}", KEY.to_uppercase())])),
            Err(AuthError::Wrong)
        );
    }

    #[test]
    fn two_authorization_headers_are_refused_even_if_one_is_right() {
        let both = headers(&["Bearer nope", &format!("Bearer {KEY}")]);
        assert_eq!(key().check(&both), Err(AuthError::Malformed));
    }

    #[test]
    fn a_blank_key_configures_nothing() {
        assert!(ApiKey::new(&Secret::new("")).is_none());
        assert!(ApiKey::new(&Secret::new("   ")).is_none());
    }

    #[test]
    fn debug_never_shows_the_key_or_its_digest() {
        let shown = format!("{:?}", key());
        assert_eq!(shown, "ApiKey([redacted])");
    }

    #[test]
    fn short_keys_are_flagged_weak() {
        assert!(ApiKey::is_weak(&Secret::new("short")));
        assert!(!ApiKey::is_weak(&Secret::new(KEY)));
    }
}
