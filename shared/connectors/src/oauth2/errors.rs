//! How a token or revocation endpoint's refusal is classified: by the RFC 6749 §5.2 `error`
//! code of its JSON body, which decides what a status alone cannot (a 400 is a revoked grant
//! when it says `invalid_grant`, our own bug when it says `invalid_request`).

use serde::Deserialize;
use tenant::refresh::RefreshError;

use crate::http::{self, ConnectorError, Response, Retryable};

/// A failed OAuth call. No variant holds a code, a token or the client secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// `invalid_grant`: the code or refresh token is unknown, expired, spent or revoked (the
    /// user removed the app). The user must connect again; never retried.
    #[error("{provider} revoked or expired the grant (invalid_grant)")]
    Revoked { provider: &'static str },
    /// Any other refusal (`invalid_client`, `unauthorized_client`, `redirect_uri_mismatch`,
    /// `invalid_scope`, …): our configuration or request is wrong, and neither a retry nor
    /// the user can fix it. `code` is one of the RFCs' fixed codes or `HTTP <status>`.
    #[error("{provider} refused the OAuth request: {code}")]
    Rejected {
        provider: &'static str,
        code: String,
    },
    /// 429, 5xx, timeouts, transport failures (retryable), or an answer we cannot use.
    #[error(transparent)]
    Http(#[from] ConnectorError),
}

impl OAuthError {
    /// Whether the same call may work later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Http(err) if err.is_retryable())
    }

    /// The `tenant::refresh` class: `invalid_grant` is `Revoked`, throttling and outages are
    /// retried later, the rest is `Rejected`.
    pub fn into_refresh_error(self) -> RefreshError {
        match self {
            Self::Revoked { .. } => RefreshError::Revoked,
            Self::Rejected { code, .. } => RefreshError::Rejected { code },
            Self::Http(ConnectorError::RateLimited { retry_after, .. }) => {
                RefreshError::RateLimited { retry_after }
            }
            Self::Http(err @ ConnectorError::Unavailable { .. }) => {
                RefreshError::Unavailable(Box::new(err))
            }
            Self::Http(err) => RefreshError::Rejected {
                code: err.to_string(),
            },
        }
    }
}

impl Retryable for OAuthError {
    fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            Self::Http(err) => Some(err),
            Self::Revoked { .. } | Self::Rejected { .. } => None,
        }
    }
}

/// The codes of RFC 6749 §5.2 and §4.1.2.1, RFC 7009 §2.2.1, and Google's
/// `redirect_uri_mismatch`/`admin_policy_enforced`/`org_internal`: fixed words, safe to repeat
/// in a log. Anything else is reported by status only, since the field is free text in
/// practice and could echo what we sent.
const KNOWN_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "unsupported_token_type",
    "redirect_uri_mismatch",
    "admin_policy_enforced",
    "org_internal",
];

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// The RFC 6749 `error` code of a refusal body, when it is one of [`KNOWN_CODES`].
pub(crate) fn error_code(body: &[u8]) -> Option<&'static str> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    KNOWN_CODES.iter().copied().find(|c| *c == parsed.error)
}

/// The class of a non-2xx token or revocation answer.
pub(super) fn token_error(provider: &'static str, response: &Response) -> OAuthError {
    let status = response.status.as_u16();
    match (status, error_code(&response.body)) {
        // Throttling and outages first, whatever the body says: they are worth retrying.
        (429 | 408 | 500..=599, _) => {
            let err = http::classify(
                provider,
                response.status,
                &response.headers,
                std::time::SystemTime::now(),
            );
            OAuthError::Http(err.unwrap_or(ConnectorError::Unavailable {
                provider,
                cause: http::Unavailable::Status(status),
                retry_after: None,
            }))
        }
        (_, Some("invalid_grant")) => OAuthError::Revoked { provider },
        (_, Some("temporarily_unavailable" | "server_error")) => {
            OAuthError::Http(ConnectorError::Unavailable {
                provider,
                cause: http::Unavailable::Status(status),
                retry_after: None,
            })
        }
        (_, Some(code)) => OAuthError::Rejected {
            provider,
            code: code.to_owned(),
        },
        (_, None) => OAuthError::Rejected {
            provider,
            code: format!("HTTP {status}"),
        },
    }
}
