//! One Crono call: the two key headers, retries, the envelope's `isSuccess`, and Crono's
//! classing of refusals.

use std::time::SystemTime;

use ::http::{HeaderMap, HeaderName};
use followup::crm::{CrmAccess, CrmAuth, CrmError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::wire::Envelope;
use super::{CronoClient, PROVIDER};
use crate::crm_http::crm_error;
pub(super) use crate::crm_retry::Kind;
use crate::http::{ConnectorError, Response, classify, secret_header};

/// What a 405 is classed as, so that [`crono_error`] can say `Unsupported` (Crono has no
/// such method for this resource: `PUT Opportunities/{id}` answered 405, §4.7).
const METHOD_NOT_ALLOWED: &str = "method not allowed (HTTP 405)";

impl CronoClient {
    pub(super) fn url(&self, path: &str) -> Result<Url, CrmError> {
        self.crm.join(&self.crm.api, path).map_err(crm_error)
    }

    /// The web app's page of an account (§4.9; the URL shape is UNCONFIRMED).
    pub(super) fn account_link(&self, account: &str) -> String {
        format!("{}accounts/{account}", self.crm.app)
    }

    /// The web app's home, for a record with no account to link to.
    pub(super) fn app_link(&self) -> String {
        self.crm.app.to_string()
    }

    /// Sends `method path` with `body` as `access`, retrying per [`Kind`], and answers the
    /// envelope's `data` (an `isSuccess: false` answer is `Invalid`, its `errors` unread).
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        path: &str,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<T, CrmError> {
        self.send(access, method, path, body, kind)
            .await?
            .into_data()
    }

    /// A call whose answer's `data` is only looked at (writes, the key check): a success
    /// without `data` is still a success (a write happened), `Value::Null` here.
    pub(super) async fn call_any(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        path: &str,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<Value, CrmError> {
        self.send(access, method, path, body, kind)
            .await?
            .into_data_or_null()
    }

    async fn send<T: DeserializeOwned>(
        &self,
        access: &CrmAccess,
        method: ::http::Method,
        path: &str,
        body: Option<&Value>,
        kind: Kind,
    ) -> Result<Envelope<T>, CrmError> {
        let url = self.url(path)?;
        self.crm
            .call_with(method, url, self.keys(access)?, body, kind, refusal)
            .await
            .map_err(crono_error)
    }

    /// The key pair as two sensitive headers (§2: `X-Api-Key` the public key, `X-Api-Secret`
    /// the private one). A Crono connection is a key pair; any other kind must be redone.
    fn keys(&self, access: &CrmAccess) -> Result<HeaderMap, CrmError> {
        let CrmAuth::KeyPair { public, private } = &access.auth else {
            return Err(CrmError::Unauthorized);
        };
        let header = |v: &str| secret_header(v, PROVIDER).map_err(crm_error);
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-api-key"),
            header(public.expose())?,
        );
        headers.insert(
            HeaderName::from_static("x-api-secret"),
            header(private.expose())?,
        );
        Ok(headers)
    }
}

/// 405 is `Unsupported` (see [`METHOD_NOT_ALLOWED`]); everything else as `ProviderError`.
pub(super) fn crono_error(err: ConnectorError) -> CrmError {
    match &err {
        ConnectorError::Invalid { what, .. } if what == METHOD_NOT_ALLOWED => CrmError::Unsupported,
        _ => crm_error(err),
    }
}

/// Crono documents no quota and sends no rate-limit headers (§6.8): a 429 is classed by
/// `Retry-After` alone and may always be retried (`false`: not a daily quota).
fn refusal(response: &Response, now: SystemTime) -> Option<(ConnectorError, bool)> {
    if response.status.as_u16() == 405 {
        return Some((ConnectorError::invalid(PROVIDER, METHOD_NOT_ALLOWED), false));
    }
    classify(PROVIDER, response.status, &response.headers, now).map(|e| (e, false))
}

#[cfg(test)]
mod tests {
    use ::http::StatusCode;

    use super::*;

    #[test]
    fn a_405_means_crono_cannot_and_a_403_is_a_refused_key() {
        let answer = |status| Response {
            status,
            headers: HeaderMap::new(),
            body: vec![],
        };
        let (err, daily) =
            refusal(&answer(StatusCode::METHOD_NOT_ALLOWED), SystemTime::now()).unwrap();
        assert!(!daily);
        assert_eq!(crono_error(err), CrmError::Unsupported);
        let (err, _) = refusal(&answer(StatusCode::FORBIDDEN), SystemTime::now()).unwrap();
        assert_eq!(crono_error(err), CrmError::Unauthorized);
        assert!(refusal(&answer(StatusCode::OK), SystemTime::now()).is_none());
    }
}
