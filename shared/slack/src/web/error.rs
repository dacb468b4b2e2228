//! Web API errors, classified for the worker's retry decision.

use std::time::Duration;

/// The token was refused. Each kind is distinguishable because the worker reacts differently
/// (an expired rotating token is refreshed; a revoked one marks the install dead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("invalid_auth")]
    InvalidAuth,
    #[error("not_authed")]
    NotAuthed,
    #[error("token_revoked")]
    TokenRevoked,
    #[error("token_expired")]
    TokenExpired,
    #[error("account_inactive")]
    AccountInactive,
}

impl AuthError {
    /// The auth error for a Slack `error` code, if it is one (slack.md section 5).
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "invalid_auth" => Self::InvalidAuth,
            "not_authed" => Self::NotAuthed,
            "token_revoked" => Self::TokenRevoked,
            "token_expired" => Self::TokenExpired,
            "account_inactive" => Self::AccountInactive,
            _ => return None,
        })
    }
}

/// Why a Web API call or a `response_url` post failed. No variant carries a token or a
/// `response_url` (those URLs are capabilities): transport errors from `respond` have their
/// URL stripped.
#[derive(Debug, thiserror::Error)]
pub enum SlackApiError {
    /// HTTP 429. `retry_after` is the `Retry-After` header, or 1 s when absent or garbled.
    #[error("rate limited by Slack; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// `ok: false` with an authentication error code.
    #[error("Slack refused the token: {0}")]
    Auth(AuthError),
    /// `ok: false` with any other error code (e.g. `channel_not_found`), or a non-2xx reply
    /// from a `response_url` (`http_<status>` when it named no code).
    #[error("Slack API error: {error}")]
    Api { error: String },
    /// HTTP 5xx.
    #[error("Slack server error (HTTP {status})")]
    Server { status: u16 },
    /// No complete answer within the client's timeout.
    #[error("request to Slack timed out")]
    Timeout,
    /// Connection-level failure.
    #[error("could not reach Slack")]
    Transport(#[source] reqwest::Error),
    /// The reply was not the JSON the method documents.
    #[error("unexpected reply from Slack")]
    Decode(#[source] serde_json::Error),
    /// `respond` was given a URL outside the configured response base (SSRF guard).
    #[error("response_url is not on the allowed Slack host")]
    ResponseUrlNotAllowed,
    /// The call could not be made as asked (e.g. a message without a channel) or the client
    /// could not be configured.
    #[error("invalid Slack request: {0}")]
    InvalidRequest(&'static str),
}

/// Slack codes that say "try again later" although they arrive as `ok: false`.
const TRANSIENT_CODES: &[&str] = &[
    "ratelimited",
    "rate_limited",
    "internal_error",
    "service_unavailable",
    "request_timeout",
];

impl SlackApiError {
    /// Whether the same call may succeed later: rate limits, 5xx, timeouts, transport failures
    /// and Slack's transient error codes. Auth and request errors are permanent.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout | Self::Transport(_) => {
                true
            }
            Self::Api { error } => TRANSIENT_CODES.contains(&error.as_str()),
            Self::Auth(_)
            | Self::Decode(_)
            | Self::ResponseUrlNotAllowed
            | Self::InvalidRequest(_) => false,
        }
    }

    /// How long Slack asked us to wait, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}
