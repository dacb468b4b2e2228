//! HubSpot CRM v3 (`shared/reference/hubspot.md`): [`HubSpotClient`] implements
//! `followup::crm::Crm` ([`crm`]): companies found by domain (`EQ` on `domain`) and by name
//! (`query`), notes and tasks with the reference's association type ids, deals of a company
//! (the `associations.company` search pseudo-property) with closed stages taken from
//! `GET /crm/v3/pipelines/deals` stage metadata (`isClosed`), deal stage/amount by `PATCH`.
//!
//! Rate limits (§6): 429 is retried with the `Retry-After` HubSpot sent (up to the policy's
//! cap) or, without one, the policy's backoff; a 429 whose body names the `DAILY` policy is
//! not retried in-process. 423 (Locked) waits 2 s, 477 (migration) its `Retry-After`. Creates
//! are retried only after a 429 (HubSpot refused them); a 5xx or a timeout after a create is
//! returned, since the note may exist (the worker's step decides).
//!
//! UNCONFIRMED in the reference, and so in this client: stage `metadata.isClosed` (accepted
//! as `"true"`/`true`; a stage without it counts as open), the deal currency property
//! (`deal_currency_code`, from HubSpot's docs, not the reference), the 429 body's
//! `policyName`, and the record URL in the HubSpot app
//! (`{HUBSPOT_APP_URL}/contacts/{hubId}/record/{objectTypeId}/{id}`); the object's `url`
//! field is used when HubSpot sends one.

mod crm;
mod request;
mod wire;

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::config::{ConfigError, Lookup};
use crate::crm_http::{self, CrmHttp};
use crate::http::{ConnectorError, HttpConfig, RetryPolicy};

pub use crate::note_html::note_html;

const PROVIDER: &str = "HubSpot";

pub const DEFAULT_API_URL: &str = "https://api.hubapi.com";
const VARS: crm_http::Vars = crm_http::Vars {
    api_url: "HUBSPOT_API_URL",
    app_url: "HUBSPOT_APP_URL",
    timeout: "HUBSPOT_TIMEOUT_SECS",
    max_retries: "HUBSPOT_MAX_RETRIES",
};

pub const DEFAULT_APP_URL: &str = "https://app.hubspot.com";

/// How the client reaches HubSpot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSpotConfig {
    /// `HUBSPOT_API_URL`, default [`DEFAULT_API_URL`].
    pub api_url: Url,
    /// `HUBSPOT_APP_URL` (the web app, for "Open in HubSpot"), default [`DEFAULT_APP_URL`].
    pub app_url: Url,
    /// `HUBSPOT_TIMEOUT_SECS` (default 10) per attempt.
    pub http: HttpConfig,
    /// `HUBSPOT_MAX_RETRIES` (default 2) after 429s and 5xx.
    pub retry: RetryPolicy,
    /// One operation's whole budget, retries included (a method may make several calls,
    /// each with its own budget): 20 s, inside a worker step's lease.
    pub budget: Duration,
}

impl HubSpotConfig {
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let s = crm_http::settings(&lookup, &VARS, DEFAULT_API_URL, DEFAULT_APP_URL)?;
        Ok(Self {
            api_url: s.api_url,
            app_url: s.app_url,
            http: s.http,
            retry: s.retry,
            budget: s.budget,
        })
    }
}

/// The HubSpot client. Holds no credential: each call takes the workspace's
/// `followup::crm::CrmAccess`. Build once per cold start; share freely.
#[derive(Clone)]
pub struct HubSpotClient {
    crm: CrmHttp,
}

impl fmt::Debug for HubSpotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubSpotClient")
            .field("api", &self.crm.api.as_str())
            .finish_non_exhaustive()
    }
}

impl HubSpotClient {
    pub fn new(config: &HubSpotConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            crm: CrmHttp::new(
                PROVIDER,
                &config.http,
                &config.api_url,
                &config.app_url,
                config.retry,
                config.budget,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_to_hubspots_and_are_configurable() {
        let real = HubSpotConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(real.api_url.as_str(), "https://api.hubapi.com/");
        assert_eq!(real.app_url.as_str(), "https://app.hubspot.com/");
        let fake = HubSpotConfig::from_lookup(|name: &str| {
            (name == "HUBSPOT_API_URL").then(|| "http://127.0.0.1:9".to_owned())
        })
        .unwrap();
        assert_eq!(fake.api_url.as_str(), "http://127.0.0.1:9/");
        let bad = HubSpotConfig::from_lookup(|name: &str| {
            (name == "HUBSPOT_API_URL").then(|| "https://u:pw@x".to_owned())
        })
        .unwrap_err();
        assert_eq!(bad.name, "HUBSPOT_API_URL");
    }
}
