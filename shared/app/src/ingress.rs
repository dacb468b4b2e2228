//! The first steps every Slack request goes through, and the one place ingress errors become
//! HTTP status codes.

use http::StatusCode;
use tracing::{error, warn};

use crate::clock::Clock;
use crate::http_io::{self, HttpRequest, HttpResponse};

/// Slack's payloads are small; anything over this is refused before verification work.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why ingress refused or failed a request. `into_response` is the only mapping to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error("request body is {0} bytes, over the {MAX_BODY_BYTES} byte limit")]
    TooLarge(usize),
    #[error("request signature rejected: {0}")]
    Unauthorized(#[from] slack::VerifyError),
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Storage or queue failed: the work was not durably accepted, so Slack must retry.
    #[error("could not accept the request durably")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IngressError {
    pub fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(err))
    }

    /// The HTTP answer. Bodies are fixed texts: no cause, no payload, no secret is echoed.
    pub fn into_response(self) -> HttpResponse {
        let (status, body) = match &self {
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid request signature"),
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed request"),
            Self::Unavailable(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporarily unavailable, please retry",
            ),
        };
        match &self {
            // Logged once here, at the edge, with the cause chain.
            Self::Unavailable(cause) => {
                error!(error = %self, cause = %chain(cause.as_ref()), "ingress failed")
            }
            _ => warn!(error = %self, status = status.as_u16(), "request refused"),
        }
        http_io::text(status, body)
    }
}

/// Size check and signature verification on the raw bytes, before anything is parsed.
pub fn verify(
    verifier: &slack::Verifier,
    clock: &Clock,
    req: &HttpRequest,
) -> Result<(), IngressError> {
    let body = req.body();
    if body.len() > MAX_BODY_BYTES {
        return Err(IngressError::TooLarge(body.len()));
    }
    verifier.verify_at(req.headers(), body, clock.unix_secs())?;
    Ok(())
}

/// An error and its sources on one line, for logs.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
