//! One Salesforce call: the connection's instance (never another host), the bearer token,
//! retries, and Salesforce's error classes (§5).

use std::time::SystemTime;

use ::http::StatusCode;
use followup::crm::{CrmAccess, CrmAuth};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::wire::ErrorItem;
use super::{PROVIDER, SalesforceClient, instance_origin};
pub(super) use crate::crm_retry::Kind;
use crate::http::{ConnectorError, Response, classify, secret_header};

fn unauthorized() -> ConnectorError {
    ConnectorError::Unauthorized {
        provider: PROVIDER,
        status: 401,
    }
}

impl SalesforceClient {
    /// `path` under `/services/data/vNN.N/` on the connection's instance. No usable
    /// `instance_url`: `Unauthorized` (the connection must be redone), without a call.
    pub(super) fn url(&self, access: &CrmAccess, path: &str) -> Result<Url, ConnectorError> {
        let origin = instance_origin(access.site.as_deref()).ok_or_else(unauthorized)?;
        self.crm.join(&origin, &format!("{}{path}", self.data_path))
    }

    /// A `nextRecordsUrl` (§1: a path such as `/services/data/v60.0/query/01g…-2000`), on the
    /// same instance: anything but a path under this client's data path is refused.
    pub(super) fn next_url(&self, access: &CrmAccess, next: &str) -> Result<Url, ConnectorError> {
        let origin = instance_origin(access.site.as_deref()).ok_or_else(unauthorized)?;
        let rest = next
            .strip_prefix(self.data_path.as_str())
            .filter(|r| r.starts_with("query/") && !r.contains("..") && !r.contains("//"))
            .ok_or_else(|| ConnectorError::invalid(PROVIDER, "unexpected nextRecordsUrl"))?;
        self.crm.join(&origin, &format!("{}{rest}", self.data_path))
    }

    /// "Open in Salesforce": `{instance_url}/{id}` (UNCONFIRMED: the classic record URL,
    /// which Lightning redirects).
    pub(super) fn link(&self, access: &CrmAccess, id: &str) -> String {
        match instance_origin(access.site.as_deref()) {
            Some(origin) => format!("{origin}{id}"),
            None => format!("https://login.salesforce.com/{id}"),
        }
    }

    pub(super) async fn send(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        url: Url,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<Response, ConnectorError> {
        // An OAuth access token, always (salesforce.md § Auth basics).
        let CrmAuth::Bearer(token) = &access.auth else {
            return Err(unauthorized());
        };
        let authorization = secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?;
        self.crm
            .send(
                method,
                url,
                (::http::header::AUTHORIZATION, authorization),
                body,
                kind,
                refusal,
            )
            .await
    }

    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        url: Url,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<T, ConnectorError> {
        self.send(access, method, url, body, kind)
            .await?
            .json(PROVIDER)
    }
}

/// The first `errorCode` of Salesforce's error array (§5), if it is a plain code.
pub(super) fn error_code(response: &Response) -> Option<String> {
    let items: Vec<ErrorItem> = serde_json::from_slice(&response.body).ok()?;
    items.into_iter().find_map(|i| {
        i.error_code.filter(|c| {
            !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
    })
}

/// A non-2xx answer's class, and whether the org's daily allocation is spent (not worth a
/// retry now). Only the `errorCode` is repeated, never the message (it may quote data).
fn refusal(response: &Response, now: SystemTime) -> Option<(ConnectorError, bool)> {
    let status = response.status;
    let error = classify(PROVIDER, status, &response.headers, now)?;
    let code = error_code(response);
    // 403 REQUEST_LIMIT_EXCEEDED: the org's rolling 24 h API allocation (§5 Limits), which
    // no wait inside one operation frees: the worker reschedules.
    if status == StatusCode::FORBIDDEN && code.as_deref() == Some("REQUEST_LIMIT_EXCEEDED") {
        return Some((
            ConnectorError::RateLimited {
                provider: PROVIDER,
                retry_after: None,
            },
            true,
        ));
    }
    let error = match error {
        ConnectorError::Invalid { provider, what } => ConnectorError::Invalid {
            provider,
            what: match code {
                Some(c) => format!("{what} ({c})"),
                None => what,
            },
        },
        other => other,
    };
    Some((error, false))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ::http::{HeaderMap, HeaderValue};

    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn salesforces_error_array_is_classified_by_code_only() {
        let now = SystemTime::now();
        let (expired, _) = refusal(
            &response(
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
            ),
            now,
        )
        .unwrap();
        assert!(matches!(expired, ConnectorError::Unauthorized { .. }));
        let (limit, daily) = refusal(
            &response(
                403,
                r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
            ),
            now,
        )
        .unwrap();
        assert!(daily);
        assert!(matches!(limit, ConnectorError::RateLimited { .. }));
        let (bad, _) = refusal(
            &response(
                400,
                r#"[{"message":"unexpected token: 'acme@x.com'","errorCode":"MALFORMED_QUERY"}]"#,
            ),
            now,
        )
        .unwrap();
        let text = bad.to_string();
        assert!(
            text.contains("MALFORMED_QUERY") && !text.contains("acme"),
            "{text}"
        );
        let mut busy = response(503, "[]");
        busy.headers
            .insert(::http::header::RETRY_AFTER, HeaderValue::from(3));
        let (busy, daily) = refusal(&busy, now).unwrap();
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(3)));
        assert!(!daily);
        assert!(refusal(&response(204, ""), now).is_none());
    }
}
