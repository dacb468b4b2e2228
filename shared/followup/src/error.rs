//! The error contract every provider port (recorder, AI, mail, calendar) shares.

use std::time::Duration;

/// What went wrong calling a provider, in the classes the worker acts on.
///
/// Adapters map HTTP answers like this: 429 → [`RateLimited`](Self::RateLimited) (with the
/// `Retry-After` they were given); 401, and 403 for a missing scope or a revoked grant →
/// [`Unauthorized`](Self::Unauthorized); 404 → [`NotFound`](Self::NotFound); 5xx (Anthropic's
/// 529 too), timeouts and transport failures → [`Unavailable`](Self::Unavailable); a 2xx whose
/// body we cannot use, or a 4xx that says our request was wrong → [`Invalid`](Self::Invalid).
///
/// No variant carries a token, a transcript, an email body or a provider's raw message: the
/// `Display` of this error may be logged, and the user sees only a message chosen from the
/// variant ("reconnect Fathom", "try again in a minute").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider throttled us; retry after `retry_after` if it said, else back off.
    #[error("rate limited by the provider")]
    RateLimited { retry_after: Option<Duration> },
    /// The credential was refused (expired, revoked, missing scope): the user must reconnect.
    /// Never retried with the same credential.
    #[error("the provider refused the credential")]
    Unauthorized,
    /// The thing asked for does not exist or is not visible to this credential.
    #[error("not found at the provider")]
    NotFound,
    /// 5xx, timeout or transport failure: transient, retrying later may work.
    #[error("provider unavailable")]
    Unavailable,
    /// The provider answered something we cannot use, or rejected our request as malformed.
    /// The text says what, for the log: a field name or a status, never customer data or a
    /// secret.
    #[error("unusable provider answer: {0}")]
    Invalid(String),
}

impl ProviderError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable)
    }

    /// How long to wait before retrying, when the provider said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_and_outages_are_transient() {
        let limited = ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert!(limited.is_transient());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
        assert!(ProviderError::Unavailable.is_transient());
        for permanent in [
            ProviderError::Unauthorized,
            ProviderError::NotFound,
            ProviderError::Invalid("missing field `items`".into()),
        ] {
            assert!(!permanent.is_transient(), "{permanent:?}");
            assert_eq!(permanent.retry_after(), None);
        }
    }
}
