//! What HubSpot's and Pipedrive's clients share: reading their settings, the HTTP state a
//! client holds, and one call's retry loop. Each provider keeps its own wire shapes, its
//! credential header and its own classing of refusals (`refusal` functions), which differ.

use std::time::{Duration, SystemTime};

use ::http::{HeaderName, HeaderValue, Method};
use followup::ProviderError;
use followup::crm::CrmError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::config::{self, ConfigError, Lookup};
use crate::crm_retry::{Attempt, Kind};
use crate::http::{ConnectorError, Deadline, HttpClient, HttpConfig, Response, RetryPolicy, retry};

/// The environment variable names of one CRM's settings.
pub(crate) struct Vars {
    pub api_url: &'static str,
    pub app_url: &'static str,
    pub timeout: &'static str,
    pub max_retries: &'static str,
}

/// One CRM's settings, as both providers' public config structs carry them.
pub(crate) struct Settings {
    pub api_url: Url,
    pub app_url: Url,
    pub http: HttpConfig,
    pub retry: RetryPolicy,
    pub budget: Duration,
}

/// Timeout per attempt (default 10 s, at most 30), retries (default 2, at most 5), and one
/// operation's whole budget: 20 s, inside a worker step's lease.
pub(crate) fn settings(
    lookup: &impl Lookup,
    vars: &Vars,
    default_api: &str,
    default_app: &str,
) -> Result<Settings, ConfigError> {
    let timeout = config::seconds(
        lookup,
        vars.timeout,
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(30),
    )?;
    Ok(Settings {
        api_url: config::base_url(lookup, vars.api_url, default_api)?,
        app_url: config::base_url(lookup, vars.app_url, default_app)?,
        http: HttpConfig::with_timeout(timeout),
        retry: RetryPolicy::standard(config::number(lookup, vars.max_retries, 2, 5)?),
        budget: Duration::from_secs(20),
    })
}

/// The HTTP half of a CRM client. Holds no credential: each call is given its header.
#[derive(Clone)]
pub(crate) struct CrmHttp {
    provider: &'static str,
    http: HttpClient,
    pub api: Url,
    pub app: Url,
    retry: RetryPolicy,
    budget: Duration,
}

/// A provider's classing of a non-2xx answer: the error, and whether the quota is spent
/// for the day (no retry in-process). `None` for a 2xx.
pub(crate) type Refusal = fn(&Response, SystemTime) -> Option<(ConnectorError, bool)>;

impl CrmHttp {
    pub fn new(
        provider: &'static str,
        http: &HttpConfig,
        api: &Url,
        app: &Url,
        retry: RetryPolicy,
        budget: Duration,
    ) -> Result<Self, ConnectorError> {
        Ok(Self {
            provider,
            http: HttpClient::new(provider, http)?,
            api: api.clone(),
            app: app.clone(),
            retry,
            budget,
        })
    }

    /// `path` under `base`; a path that does not join is the caller's bug, not the CRM's.
    pub fn join(&self, base: &Url, path: &str) -> Result<Url, ConnectorError> {
        base.join(path)
            .map_err(|_| ConnectorError::invalid(self.provider, "invalid request path"))
    }

    /// Sends `method url` with `body` and the `credential` header, retrying per [`Kind`]
    /// within the budget, and decodes a 2xx.
    #[allow(clippy::too_many_arguments)]
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        credential: (HeaderName, HeaderValue),
        body: Option<&Value>,
        kind: Kind,
        refusal: Refusal,
    ) -> Result<T, ConnectorError> {
        let (name, value) = credential;
        let deadline = Deadline::after(self.budget);
        let response = retry(&self.retry, deadline, || {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(name.clone(), value.clone());
            if let Some(body) = body {
                request = request.json(body);
            }
            async move {
                // A timeout or a dropped connection after sending a create may have created.
                let response = self
                    .http
                    .send_any(request, deadline)
                    .await
                    .map_err(|error| Attempt::after_sending(kind, error))?;
                match refusal(&response, SystemTime::now()) {
                    None => Ok(response),
                    Some((error, daily)) => {
                        tracing::debug!(provider = self.provider, status = response.status.as_u16(), error = %error, "{} refused the call", self.provider);
                        Err(Attempt::refused(kind, error, daily))
                    }
                }
            }
        })
        .await
        .map_err(|a| a.error)?;
        response.json(self.provider)
    }
}

pub(crate) fn crm_error(err: ConnectorError) -> CrmError {
    CrmError::from(ProviderError::from(err))
}

pub(crate) fn invalid(what: &str) -> CrmError {
    CrmError::Invalid(what.to_owned())
}

/// A record id both CRMs use: decimal digits, at most `max_len` of them. Anything else
/// cannot exist there, so it is `NotFound` without a call (and never reaches a URL path).
pub(crate) fn decimal_id(raw: &str, max_len: usize) -> Result<&str, CrmError> {
    if !raw.is_empty() && raw.len() <= max_len && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw)
    } else {
        Err(CrmError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_decimal_ids_pass() {
        assert_eq!(decimal_id("123", 3), Ok("123"));
        for bad in ["", "1234", "12a", "../1", "-1"] {
            assert_eq!(decimal_id(bad, 3), Err(CrmError::NotFound), "{bad}");
        }
    }
}
