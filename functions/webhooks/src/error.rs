//! Why a delivery was refused or failed, and the one mapping from that to HTTP.
//!
//! Bodies are fixed texts: no cause, no part of the delivery and no secret goes back to the
//! sender, and nothing of the body (a transcript, a title) reaches a log line.

use app::http_io::{self, HttpResponse};
use http::StatusCode;
use tracing::{error, warn};

/// The outcomes of POST /webhooks/{provider} other than acceptance.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("no webhook route for this provider")]
    UnknownProvider,
    #[error("request body is {0} bytes, over the {max} byte limit", max = app::MAX_BODY_BYTES)]
    TooLarge(usize),
    /// No `r`, or one that names no stored registration: nobody's secret to check it with.
    #[error("unknown webhook registration")]
    UnknownRegistration,
    /// The signature check failed (which check: the verifier's error, free of secrets).
    #[error("webhook signature rejected: {0}")]
    Unauthorized(#[from] followup::webhook::WebhookError),
    /// Signed, but not a delivery we can read; says what in our own words (never the body).
    #[error("malformed delivery: {0}")]
    Malformed(&'static str),
    /// Storage or the queue failed: not durably accepted, so the sender must retry.
    #[error("could not accept the delivery durably")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebhookError {
    pub fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(err))
    }

    /// The HTTP answer, logged here once.
    pub fn into_response(self) -> HttpResponse {
        use followup::webhook::WebhookError::InvalidSecret;
        let (status, body) = match &self {
            Self::UnknownProvider => (StatusCode::NOT_FOUND, "not found"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
            Self::UnknownRegistration | Self::Unauthorized(_) => {
                (StatusCode::UNAUTHORIZED, "invalid webhook signature")
            }
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed delivery"),
            Self::Unavailable(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporarily unavailable, please retry",
            ),
        };
        match &self {
            Self::Unavailable(cause) => {
                error!(error = %self, cause = %app::ingress::chain(cause.as_ref()), "webhook intake failed")
            }
            // The stored secret is not `whsec_<base64>`: ours to fix, not the sender's.
            Self::Unauthorized(InvalidSecret) => {
                error!(error = %self, "a stored webhook secret is unusable")
            }
            _ => warn!(error = %self, status = status.as_u16(), "webhook refused"),
        }
        http_io::text(status, body)
    }
}
