//! Why an admin request was refused or failed, and the one mapping from that to HTTP.
//!
//! Bodies are fixed JSON (`{"error": "..."}`, plus the tenant id where one was named and
//! valid): no cause chain, no request text, nothing of the key. Causes are logged once, here.

use app::http_io::{self, HttpResponse};
use http::header::{ALLOW, CACHE_CONTROL, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use tenant::service::TenantError;
use tenant::{IdError, TenantId};
use tracing::{error, warn};

use crate::auth::AuthError;

/// The outcomes of an admin request other than success.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No admin API key is configured: the API is off.
    #[error("admin API disabled: no key configured")]
    Disabled,
    #[error("unauthorized")]
    Unauthorized(#[source] AuthError),
    #[error("no such admin route")]
    UnknownRoute,
    /// The route exists but not for this method; `allow` lists the methods it takes.
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("invalid tenant id")]
    InvalidTenantId(#[source] IdError),
    #[error("tenant {0} does not exist")]
    UnknownTenant(TenantId),
    /// Suspend and resume apply to installed tenants; an uninstalled one needs a reinstall.
    #[error("tenant {0} is uninstalled")]
    Uninstalled(TenantId),
    /// Storage or the vault failed.
    #[error("storage failed")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An answer could not be encoded as JSON (a bug, never the caller's fault).
    #[error("could not encode the answer")]
    Encode(#[source] serde_json::Error),
}

impl AdminError {
    pub fn storage(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Storage(Box::new(err))
    }

    /// Tenant-service errors: not found and uninstalled are answers, the rest is storage.
    pub fn from_tenant(err: TenantError) -> Self {
        match err {
            TenantError::NotFound(id) => Self::UnknownTenant(id),
            TenantError::Uninstalled(id) => Self::Uninstalled(id),
            other => Self::storage(other),
        }
    }

    /// The HTTP answer; the only place an [`AdminError`] becomes a status code.
    pub fn into_response(self) -> HttpResponse {
        let (status, message) = match &self {
            Self::Disabled => (StatusCode::SERVICE_UNAVAILABLE, "admin API disabled"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::UnknownRoute => (StatusCode::NOT_FOUND, "not found"),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
            Self::InvalidTenantId(_) => (StatusCode::BAD_REQUEST, "invalid tenant id"),
            Self::UnknownTenant(_) => (StatusCode::NOT_FOUND, "tenant not found"),
            Self::Uninstalled(_) => (StatusCode::CONFLICT, "tenant is uninstalled"),
            Self::Storage(_) | Self::Encode(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        };
        match &self {
            Self::Storage(cause) => error!(
                error = %self,
                cause = %app::ingress::chain(cause.as_ref()),
                "admin request failed"
            ),
            Self::Encode(cause) => error!(error = %self, cause = %cause, "admin answer failed"),
            // Which check failed is for the log, not for the caller.
            Self::Unauthorized(why) => warn!(reason = %why, "admin request unauthorized"),
            _ => warn!(error = %self, status = status.as_u16(), "admin request refused"),
        }
        let body = match &self {
            // The id is echoed only once it parsed, so it is a valid Slack id and nothing else.
            Self::UnknownTenant(id) | Self::Uninstalled(id) => {
                serde_json::json!({ "error": message, "id": id })
            }
            _ => serde_json::json!({ "error": message }),
        };
        let mut res = http_io::json(status, &body);
        let headers = res.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"switchboard-admin\""),
                );
            }
            Self::MethodNotAllowed { allow } => {
                headers.insert(ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        res
    }
}
