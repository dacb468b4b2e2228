//! One Pipedrive call: the host (configured, or the connection's `api_domain`), the
//! credential header, retries, and the 429 wait.

use std::time::{Duration, SystemTime};

use followup::crm::{CrmAccess, CrmAuth};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::{PROVIDER, PipedriveClient, company_domain};
pub(super) use crate::crm_retry::Kind;
use crate::http::{ConnectorError, Response, classify, secret_header};

/// API versions: v1 lives at `v1/` on `api.pipedrive.com` and at `api/v1/` on a company
/// domain; v2 at `api/v2/` on both (§ Hosts).
#[derive(Debug, Clone, Copy)]
pub(super) enum Version {
    V1,
    V2,
}

impl PipedriveClient {
    pub(super) fn url(
        &self,
        access: &CrmAccess,
        version: Version,
        path: &str,
    ) -> Result<Url, ConnectorError> {
        let company = company_domain(access.site.as_deref());
        let prefix = match (version, company.is_some()) {
            (Version::V1, false) => "v1/",
            (Version::V1, true) => "api/v1/",
            (Version::V2, _) => "api/v2/",
        };
        self.crm.join(
            company.as_ref().unwrap_or(&self.crm.api),
            &format!("{prefix}{path}"),
        )
    }

    /// The app's base for links: the company domain when known.
    pub(super) fn app_base(&self, access: &CrmAccess) -> Url {
        company_domain(access.site.as_deref()).unwrap_or_else(|| self.crm.app.clone())
    }

    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        url: Url,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<T, ConnectorError> {
        // An API token goes in `x-api-token` (the SDK's header, never the query: URLs are
        // logged by proxies), an OAuth token as Bearer (§ auth).
        let (name, value) = match &access.auth {
            CrmAuth::ApiToken(token) => (
                ::http::HeaderName::from_static("x-api-token"),
                secret_header(token.expose(), PROVIDER)?,
            ),
            CrmAuth::Bearer(token) => (
                ::http::header::AUTHORIZATION,
                secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?,
            ),
            CrmAuth::KeyPair { .. } => {
                return Err(ConnectorError::Unauthorized {
                    provider: PROVIDER,
                    status: 401,
                });
            }
        };
        self.crm
            .call(method, url, (name, value), body, kind, refusal)
            .await
    }
}

/// The longest `x-ratelimit-reset` taken as a wait: the window is 2 s (§6).
const MAX_RESET: Duration = Duration::from_secs(10);

/// Pipedrive's answers carry no daily-quota signal, so `false`: every 429 may be retried.
fn refusal(response: &Response, now: SystemTime) -> Option<(ConnectorError, bool)> {
    let error = match classify(PROVIDER, response.status, &response.headers, now)? {
        ConnectorError::RateLimited {
            provider,
            retry_after: None,
        } => {
            let reset = response
                .headers
                .get("x-ratelimit-reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .filter(|d| *d <= MAX_RESET);
            ConnectorError::RateLimited {
                provider,
                retry_after: reset,
            }
        }
        other => other,
    };
    Some((error, false))
}

#[cfg(test)]
mod tests {
    use ::http::{HeaderMap, HeaderValue, StatusCode};

    use super::*;

    #[test]
    fn a_429_waits_for_the_window_reset_when_there_is_no_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from(2));
        let response = Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            headers,
            body: vec![],
        };
        assert_eq!(
            refusal(&response, SystemTime::now())
                .unwrap()
                .0
                .retry_after(),
            Some(Duration::from_secs(2))
        );
    }
}
