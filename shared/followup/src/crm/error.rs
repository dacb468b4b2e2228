//! The CRM port's error contract: [`crate::ProviderError`]'s classes plus
//! [`CrmError::Unsupported`], for what a CRM cannot do at all (the button says so instead of
//! failing).

use std::time::Duration;

use crate::error::ProviderError;

/// What went wrong calling a CRM. Mapping as for [`ProviderError`]: 429 → `RateLimited`
/// (with the wait the CRM asked for), 401/403 → `Unauthorized` (the workspace admin must
/// reconnect), 404 → `NotFound`, 5xx/timeouts/transport → `Unavailable`, an unusable answer
/// or a request the CRM rejected as malformed → `Invalid`.
///
/// No variant carries a token, a note's text or a CRM's raw message: the `Display` may be
/// logged, and the user sees a message chosen from the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    #[error("rate limited by the CRM")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the CRM refused the credential")]
    Unauthorized,
    #[error("not found in the CRM")]
    NotFound,
    /// This CRM (or this connection's plan) cannot do this at all; retrying will not help.
    #[error("the CRM does not support this")]
    Unsupported,
    #[error("CRM unavailable")]
    Unavailable,
    /// Written by the adapter: a field name or a status, never customer data.
    #[error("unusable CRM answer: {0}")]
    Invalid(String),
}

impl CrmError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable)
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

impl From<ProviderError> for CrmError {
    fn from(err: ProviderError) -> Self {
        match err {
            ProviderError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            ProviderError::Unauthorized => Self::Unauthorized,
            ProviderError::NotFound => Self::NotFound,
            ProviderError::Unavailable => Self::Unavailable,
            ProviderError::Invalid(what) => Self::Invalid(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_keep_their_class_and_unsupported_is_permanent() {
        let wait = Some(Duration::from_secs(2));
        let limited = CrmError::from(ProviderError::RateLimited { retry_after: wait });
        assert_eq!(limited, CrmError::RateLimited { retry_after: wait });
        assert!(limited.is_transient());
        assert_eq!(limited.retry_after(), wait);
        assert_eq!(
            CrmError::from(ProviderError::Unauthorized),
            CrmError::Unauthorized
        );
        assert!(CrmError::from(ProviderError::Unavailable).is_transient());
        assert!(!CrmError::Unsupported.is_transient());
        assert!(!CrmError::NotFound.is_transient());
    }
}
