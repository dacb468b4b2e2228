//! One HubSpot call with its retries and HubSpot's own error classes (§6).

use std::time::{Duration, SystemTime};

use ::http::StatusCode;
use followup::crm::{CrmAccess, CrmAuth};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::wire::{self, ErrorBody};
use super::{HubSpotClient, PROVIDER};
pub(super) use crate::crm_retry::Kind;
use crate::http::{ConnectorError, Response, Unavailable, classify, retry_after};

/// 423 Locked: "wait at least 2 s" (§6).
const LOCKED_WAIT: Duration = Duration::from_secs(2);

impl HubSpotClient {
    pub(super) fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        self.crm.join(&self.crm.api, path)
    }

    /// Sends `method path` with `body` as `access`, retrying per [`Kind`], and decodes a 2xx.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        url: Url,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<T, ConnectorError> {
        // A HubSpot connection is an OAuth or private-app token, both bearer (hubspot.md).
        let CrmAuth::Bearer(token) = &access.auth else {
            return Err(ConnectorError::Unauthorized {
                provider: PROVIDER,
                status: 401,
            });
        };
        let authorization =
            crate::http::secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?;
        let credential = (::http::header::AUTHORIZATION, authorization);
        self.crm
            .call(method, url, credential, body, kind, refusal)
            .await
    }
}

/// The class of a non-2xx answer, and whether it was the daily quota (not worth a retry
/// today). Only codes from the body are used, never its message.
fn refusal(response: &Response, now: SystemTime) -> Option<(ConnectorError, bool)> {
    let status = response.status;
    if status.is_success() {
        return None;
    }
    let body: Option<ErrorBody> = serde_json::from_slice(&response.body).ok();
    let (category, policy) = match body {
        Some(b) => (wire::code(b.category), wire::code(b.policy_name)),
        None => (None, None),
    };
    let error = match status.as_u16() {
        423 => ConnectorError::Unavailable {
            provider: PROVIDER,
            cause: Unavailable::Status(423),
            retry_after: Some(
                retry_after::from_headers(&response.headers, now)
                    .map_or(LOCKED_WAIT, |d| d.max(LOCKED_WAIT)),
            ),
        },
        477 => ConnectorError::Unavailable {
            provider: PROVIDER,
            cause: Unavailable::Status(477),
            retry_after: retry_after::from_headers(&response.headers, now),
        },
        _ => match classify(PROVIDER, status, &response.headers, now)? {
            ConnectorError::Invalid { provider, what } => ConnectorError::Invalid {
                provider,
                what: match category {
                    Some(c) => format!("{what} ({c})"),
                    None => what,
                },
            },
            other => other,
        },
    };
    // The 429 body's policyName is "widely observed", not documented (§6): DAILY means the
    // day's quota is spent.
    let daily = status == StatusCode::TOO_MANY_REQUESTS && policy.as_deref() == Some("DAILY");
    Some((error, daily))
}

#[cfg(test)]
mod tests {
    use ::http::HeaderMap;

    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn hubspots_own_statuses_and_codes_are_classified() {
        let now = SystemTime::now();
        let (locked, _) = refusal(&response(423, "{}"), now).unwrap();
        assert_eq!(locked.retry_after(), Some(LOCKED_WAIT));
        assert!(locked.is_retryable());
        let (daily_err, daily) = refusal(
            &response(
                429,
                r#"{"status":"error","errorType":"RATE_LIMIT","policyName":"DAILY"}"#,
            ),
            now,
        )
        .unwrap();
        assert!(daily);
        assert!(matches!(daily_err, ConnectorError::RateLimited { .. }));
        let (_, burst) = refusal(
            &response(429, r#"{"policyName":"TEN_SECONDLY_ROLLING"}"#),
            now,
        )
        .unwrap();
        assert!(!burst);
        let (invalid, _) = refusal(
            &response(
                400,
                r#"{"category":"VALIDATION_ERROR","message":"acme@x.com is bad"}"#,
            ),
            now,
        )
        .unwrap();
        let text = invalid.to_string();
        assert!(
            text.contains("VALIDATION_ERROR") && !text.contains("acme"),
            "{text}"
        );
        assert!(matches!(
            refusal(&response(401, "{}"), now),
            Some((ConnectorError::Unauthorized { .. }, false))
        ));
        assert!(refusal(&response(201, "{}"), now).is_none());
    }
}
