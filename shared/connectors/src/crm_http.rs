//! What HubSpot's and Pipedrive's clients share: reading their settings, the HTTP state a
//! client holds, and one call's retry loop. Each provider keeps its own wire shapes, its
//! credential header and its own classing of refusals (`refusal` functions), which differ.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use ::http::{HeaderMap, HeaderName, HeaderValue, Method};
use followup::ProviderError;
use followup::crm::CrmError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::config::{self, ConfigError, Lookup};
use crate::crm_retry::{Attempt, Kind};
use crate::http::{ConnectorError, Deadline, HttpClient, HttpConfig, Response, RetryPolicy, retry};

/// The environment variable names of one CRM's settings.
pub struct Vars {
    pub api_url: &'static str,
    pub app_url: &'static str,
    pub timeout: &'static str,
    pub max_retries: &'static str,
}

/// What tells HubSpot's config and client from Pipedrive's (a marker type per provider).
pub trait CrmProvider {
    /// The provider's name in errors and logs.
    const NAME: &'static str;
    /// The client's name in `Debug`.
    const CLIENT: &'static str;
    const VARS: Vars;
    const DEFAULT_API_URL: &'static str;
    const DEFAULT_APP_URL: &'static str;
}

/// How a CRM client reaches its provider (`HubSpotConfig`, `PipedriveConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmConfig<P> {
    /// `{P}_API_URL`, default the provider's API.
    pub api_url: Url,
    /// `{P}_APP_URL`: the web app, for "Open in …" links.
    pub app_url: Url,
    /// `{P}_TIMEOUT_SECS` (default 10, at most 30) per attempt.
    pub http: HttpConfig,
    /// `{P}_MAX_RETRIES` (default 2, at most 5) after 429s and 5xx.
    pub retry: RetryPolicy,
    /// One operation's whole budget, retries included (a method may make several calls,
    /// each with its own budget): 20 s, inside a worker step's lease.
    pub budget: Duration,
    provider: PhantomData<fn() -> P>,
}

impl<P: CrmProvider> CrmConfig<P> {
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let vars = &P::VARS;
        let timeout = config::seconds(
            &lookup,
            vars.timeout,
            HttpConfig::DEFAULT_TIMEOUT,
            Duration::from_secs(30),
        )?;
        Ok(Self {
            api_url: config::base_url(&lookup, vars.api_url, P::DEFAULT_API_URL)?,
            app_url: config::base_url(&lookup, vars.app_url, P::DEFAULT_APP_URL)?,
            http: HttpConfig::with_timeout(timeout),
            retry: RetryPolicy::standard(config::number(&lookup, vars.max_retries, 2, 5)?),
            budget: Duration::from_secs(20),
            provider: PhantomData,
        })
    }
}

/// A CRM client (`HubSpotClient`, `PipedriveClient`). Holds no credential: each call takes
/// the workspace's `followup::crm::CrmAccess`. Build once per cold start; share freely.
pub struct CrmClient<P> {
    pub(crate) crm: CrmHttp,
    provider: PhantomData<fn() -> P>,
}

// By hand: a derive would ask `P: Clone` of the marker.
impl<P> Clone for CrmClient<P> {
    fn clone(&self) -> Self {
        Self {
            crm: self.crm.clone(),
            provider: PhantomData,
        }
    }
}

impl<P: CrmProvider> fmt::Debug for CrmClient<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(P::CLIENT)
            .field("api", &self.crm.api.as_str())
            .finish_non_exhaustive()
    }
}

impl<P: CrmProvider> CrmClient<P> {
    pub fn new(config: &CrmConfig<P>) -> Result<Self, ConnectorError> {
        Ok(Self {
            crm: CrmHttp::new(
                P::NAME,
                &config.http,
                &config.api_url,
                &config.app_url,
                config.retry,
                config.budget,
            )?,
            provider: PhantomData,
        })
    }
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
    // Crono sends two headers (`call_with`); a build with only `crono` does not use this.
    #[cfg_attr(not(any(feature = "hubspot", feature = "pipedrive")), allow(dead_code))]
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
        self.send(method, url, credential, body, kind, refusal)
            .await?
            .json(self.provider)
    }

    /// [`Self::call`] without decoding: the 2xx as it came (Salesforce's `PATCH` answers
    /// 204 with no body).
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        credential: (HeaderName, HeaderValue),
        body: Option<&Value>,
        kind: Kind,
        refusal: Refusal,
    ) -> Result<Response, ConnectorError> {
        let (name, value) = credential;
        let mut headers = HeaderMap::new();
        headers.insert(name, value);
        self.send_with(method, url, headers, body, kind, refusal)
            .await
    }

    /// [`Self::call`] with several credential headers (Crono's key pair, §2 of crono.md).
    #[cfg_attr(not(feature = "crono"), allow(dead_code))]
    #[allow(clippy::too_many_arguments)]
    pub async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        credentials: HeaderMap,
        body: Option<&Value>,
        kind: Kind,
        refusal: Refusal,
    ) -> Result<T, ConnectorError> {
        self.send_with(method, url, credentials, body, kind, refusal)
            .await?
            .json(self.provider)
    }

    /// The one call loop: sends with `credentials`, retrying per [`Kind`] within the budget;
    /// the 2xx as it came.
    #[allow(clippy::too_many_arguments)]
    async fn send_with(
        &self,
        method: Method,
        url: Url,
        credentials: HeaderMap,
        body: Option<&Value>,
        kind: Kind,
        refusal: Refusal,
    ) -> Result<Response, ConnectorError> {
        let deadline = Deadline::after(self.budget);
        let response = retry(&self.retry, deadline, || {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .headers(credentials.clone());
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
        Ok(response)
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
#[cfg_attr(not(any(feature = "hubspot", feature = "pipedrive")), allow(dead_code))]
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
