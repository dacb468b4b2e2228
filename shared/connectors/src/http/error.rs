//! The error classes every connector returns, decided from the status code (and nothing the
//! provider wrote in the body), so the worker can tell "reconnect", "gone", "later" and "bug"
//! apart the same way for every provider.
//!
//! No variant carries a response body, a URL or a header value: a provider's body can echo the
//! prompt (a transcript) and a URL can hold a signed capability. What a variant says is chosen
//! by this crate.

use std::fmt;
use std::time::Duration;

/// Why a provider could not be used right now; retrying later may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// No complete answer within the client's timeout.
    Timeout,
    /// The connection failed (DNS, refused, reset, TLS).
    Transport,
    /// A 5xx (Anthropic's 529 "overloaded" included) or a 408.
    Status(u16),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out"),
            Self::Transport => f.write_str("connection failed"),
            Self::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

/// A failed provider call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// 401/403: the key or token is wrong, revoked or lacks permission. Permanent until the
    /// user reconnects.
    #[error("{provider} refused the credentials (HTTP {status})")]
    Unauthorized { provider: &'static str, status: u16 },
    /// 404: the thing asked for does not exist, or this credential cannot see it.
    #[error("{provider}: not found")]
    NotFound { provider: &'static str },
    /// HTTP 429: `retry_after` is what the provider asked for (`Retry-After`, or Fathom's
    /// `RateLimit-Reset`); `None` when it said nothing usable.
    #[error("{provider} rate limit reached{}", after(*retry_after))]
    RateLimited {
        provider: &'static str,
        retry_after: Option<Duration>,
    },
    /// 5xx, 529, timeouts and connection failures. `retry_after` as for `RateLimited`.
    #[error("{provider} unavailable: {cause}{}", after(*retry_after))]
    Unavailable {
        provider: &'static str,
        cause: Unavailable,
        retry_after: Option<Duration>,
    },
    /// The answer could not be used (undecodable, wrong shape, failed the schema) or the
    /// request was refused as malformed (other 4xx). `what` is a short description written by
    /// this crate, never the provider's body.
    #[error("{provider} answer invalid: {what}")]
    Invalid {
        provider: &'static str,
        what: String,
    },
}

fn after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; retry after {d:?}"),
        None => String::new(),
    }
}

impl ConnectorError {
    pub(crate) fn invalid(provider: &'static str, what: impl Into<String>) -> Self {
        Self::Invalid {
            provider,
            what: what.into(),
        }
    }

    /// Which provider failed.
    pub fn provider(&self) -> &'static str {
        match self {
            Self::Unauthorized { provider, .. }
            | Self::NotFound { provider }
            | Self::RateLimited { provider, .. }
            | Self::Unavailable { provider, .. }
            | Self::Invalid { provider, .. } => provider,
        }
    }

    /// Whether the same call may succeed later (rate limits and unavailability).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. })
    }

    /// How long the provider asked us to wait, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// A serde_json error as a description that cannot hold the document's content: serde's own
/// message quotes the offending value (`invalid type: string "…"`), which could be a line of a
/// transcript, so only the category, a missing field's name and the position are kept.
pub(crate) fn describe_json_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {} column {}", err.line(), err.column());
    match err.classify() {
        Category::Io => "could not read the body".to_owned(),
        Category::Syntax => format!("malformed JSON at {at}"),
        Category::Eof => "truncated JSON".to_owned(),
        Category::Data => {
            let msg = err.to_string();
            // "missing field `name` at line …": the name comes from our own struct.
            match msg
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split_once('`'))
            {
                Some((field, _)) => format!("missing field `{field}`"),
                None => format!("unexpected shape at {at}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        n: u64,
        text: String,
    }

    #[test]
    fn json_errors_name_the_missing_field_but_never_quote_the_value() {
        let missing = serde_json::from_str::<Doc>(r#"{"n": 1}"#).unwrap_err();
        assert_eq!(describe_json_error(&missing), "missing field `text`");
        let wrong = serde_json::from_str::<Doc>(r#"{"n": "we lost the Acme deal", "text": ""}"#)
            .unwrap_err();
        let described = describe_json_error(&wrong);
        assert!(
            described.starts_with("unexpected shape at line 1"),
            "{described}"
        );
        assert!(!described.contains("Acme"), "{described}");
    }

    #[test]
    fn display_says_what_to_retry_and_when() {
        let err = ConnectorError::RateLimited {
            provider: "Fathom",
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(err.to_string(), "Fathom rate limit reached; retry after 3s");
        assert!(err.is_retryable());
        let err = ConnectorError::Unavailable {
            provider: "Anthropic",
            cause: Unavailable::Status(529),
            retry_after: None,
        };
        assert_eq!(err.to_string(), "Anthropic unavailable: HTTP 529");
        assert!(!ConnectorError::NotFound { provider: "Fathom" }.is_retryable());
    }
}
