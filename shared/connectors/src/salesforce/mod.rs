//! Salesforce REST (`shared/reference/salesforce.md`): [`SalesforceClient`] implements
//! `followup::crm::Crm` ([`crm`]) with SOQL queries (§1) on the connection's `instance_url`
//! (`CrmAccess::site`, from the token answer), ContentNote + ContentDocumentLink notes (§3),
//! Tasks for a contact (§2) and Opportunity updates by `PATCH` (§4). [`oauth`] holds the
//! OAuth client configuration (web server flow, refresh, revoke).
//!
//! * Accounts by domain: Salesforce keeps a free-form `Website` (`https://www.acme.com/`),
//!   so the query ORs bounded patterns (`acme.com`, `www.acme.com`, `%://acme.com/%`, …:
//!   never `%acme.com%`) and every record's website is then parsed with `Domain` and kept
//!   only on an exact match ([`soql`]).
//! * Pipelines: Opportunity record types (each with its sales process' stages, read from the
//!   UI API's per-record-type picklist values), or one pipeline, the master record type,
//!   when the org has none; a stage's `closed` is `OpportunityStage.IsClosed`, Salesforce's
//!   own metadata, and a stage's id is its `OpportunityStage` id (picklist values may hold
//!   spaces, which ids may not). Open deals are `IsClosed = false`.
//! * A note's marker ends its `Title` and is found again by SOQL on ContentNote and
//!   ContentDocumentLink ([`marker`]).
//! * Errors are the JSON array `[{"message","errorCode"}]` (§5): 401 `INVALID_SESSION_ID` →
//!   `Unauthorized`; 403 `REQUEST_LIMIT_EXCEEDED` (the org's rolling 24 h allocation) →
//!   `RateLimited`, not retried in-process; 429 and 503 honour `Retry-After`; only the
//!   `errorCode` is ever repeated, never the message.
//!
//! UNCONFIRMED in the reference, and so here (tests say so too): `OpportunityStage` and its
//! fields (`ApiName`, `MasterLabel`, `IsClosed`, `IsActive`, `SortOrder`); the UI API
//! `ui-api/object-info/Opportunity/picklist-values/{recordTypeId}/StageName` answer;
//! `recordTypeInfos` in the describe answer; `CurrencyIsoCode` (multi-currency orgs only: it
//! is queried when the describe lists it, else a deal's currency is the org's default,
//! `None`); `ContentDocumentLink`'s fields; Task's `ReminderDateTime`/`IsReminderSet`;
//! the record URL `{instance_url}/{id}`; a 429 from Salesforce at all (the reference lists
//! none; handled like any 429).

mod crm;
mod marker;
pub mod oauth;
mod request;
mod soql;
mod wire;

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::config::{self, ConfigError, Lookup};
use crate::crm_http::CrmHttp;
use crate::http::{ConnectorError, HttpConfig, RetryPolicy};

const PROVIDER: &str = "Salesforce";

pub const DEFAULT_LOGIN_URL: &str = "https://login.salesforce.com";
/// The REST version every path carries (§ Auth basics: "pick a fixed version such as v60.0").
pub const DEFAULT_API_VERSION: &str = "60.0";

/// How the client reaches Salesforce:
///
/// * `SALESFORCE_LOGIN_URL` (default [`DEFAULT_LOGIN_URL`]; `https://test.salesforce.com`
///   for sandboxes): the OAuth host ([`oauth::oauth_config`]). REST calls go to each
///   connection's `instance_url`, never to a configured host.
/// * `SALESFORCE_API_VERSION` (default [`DEFAULT_API_VERSION`], `NN.N`).
/// * `SALESFORCE_TIMEOUT_SECS` (default 10, at most 30) per attempt,
///   `SALESFORCE_MAX_RETRIES` (default 2, at most 5) after 429s and 5xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceConfig {
    pub login_url: Url,
    pub api_version: String,
    pub http: HttpConfig,
    pub retry: RetryPolicy,
    /// One operation's whole budget, retries included (20 s, inside a worker step's lease).
    pub budget: Duration,
}

impl SalesforceConfig {
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let api_version = config::string(&lookup, "SALESFORCE_API_VERSION")
            .map(|v| v.trim_start_matches(['v', 'V']).to_owned())
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        if !valid_version(&api_version) {
            return Err(ConfigError {
                name: "SALESFORCE_API_VERSION",
                reason: "not a version like 60.0",
            });
        }
        let timeout = config::seconds(
            &lookup,
            "SALESFORCE_TIMEOUT_SECS",
            HttpConfig::DEFAULT_TIMEOUT,
            Duration::from_secs(30),
        )?;
        Ok(Self {
            login_url: config::base_url(&lookup, "SALESFORCE_LOGIN_URL", DEFAULT_LOGIN_URL)?,
            api_version,
            http: HttpConfig::with_timeout(timeout),
            retry: RetryPolicy::standard(config::number(&lookup, "SALESFORCE_MAX_RETRIES", 2, 5)?),
            budget: Duration::from_secs(20),
        })
    }
}

/// `NN.N` or `NNN.N`: it goes into every path.
fn valid_version(v: &str) -> bool {
    let Some((major, minor)) = v.split_once('.') else {
        return false;
    };
    (2..=3).contains(&major.len())
        && minor.len() == 1
        && major
            .bytes()
            .chain(minor.bytes())
            .all(|b| b.is_ascii_digit())
}

/// The Salesforce client. Holds no credential and no host: each call takes the workspace's
/// `CrmAccess` (its token and `instance_url`). Build once per cold start; share freely.
#[derive(Clone)]
pub struct SalesforceClient {
    crm: CrmHttp,
    /// `/services/data/v60.0/`.
    data_path: String,
}

impl fmt::Debug for SalesforceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceClient")
            .field("api", &self.data_path)
            .finish_non_exhaustive()
    }
}

impl SalesforceClient {
    pub fn new(config: &SalesforceConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            // The login URL stands in for the CRM layer's fixed hosts, which this client
            // never joins onto: every call is built on the connection's instance_url.
            crm: CrmHttp::new(
                PROVIDER,
                &config.http,
                &config.login_url,
                &config.login_url,
                config.retry,
                config.budget,
            )?,
            data_path: format!("/services/data/v{}/", config.api_version),
        })
    }
}

/// Host suffixes of Salesforce's orgs (`MyDomain.my.salesforce.com`, `*.force.com`
/// sites, `*.cloudforce.com`, government cloud `*.salesforce.mil`).
const SALESFORCE_HOSTS: &[&str] = &[
    ".salesforce.com",
    ".force.com",
    ".cloudforce.com",
    ".salesforce.mil",
];

/// A connection's `instance_url` (`CrmAccess::site`) as the API origin, only when it is an
/// https origin on a Salesforce host, or plain http on 127.0.0.1 (the fake in tests and
/// `switchboard demo`; nothing listens there in a Lambda): the bearer token is never sent
/// anywhere else. A path, query, port on a real host or credentials: refused.
pub(crate) fn instance_origin(site: Option<&str>) -> Option<Url> {
    let url = config::parse_base_url(site?.trim())?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let salesforce = url.scheme() == "https"
        && url.port().is_none()
        && SALESFORCE_HOSTS.iter().any(|s| host.ends_with(s));
    let loopback = host == "127.0.0.1";
    (salesforce || loopback).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_salesforce_https_origin_or_loopback_is_an_instance() {
        for good in [
            "https://acme.my.salesforce.com",
            "https://acme.my.salesforce.com/",
            "https://na1.salesforce.com",
            "http://127.0.0.1:4040",
        ] {
            assert!(instance_origin(Some(good)).is_some(), "{good}");
        }
        for bad in [
            "http://acme.my.salesforce.com",
            "https://acme.my.salesforce.com.evil.io",
            "https://evilsalesforce.com",
            "https://evil.io/?x=.salesforce.com",
            "https://acme.my.salesforce.com/services",
            "https://acme.my.salesforce.com:8443",
            "https://u:p@acme.my.salesforce.com",
            "http://localhost:4040",
            "http://127.0.0.2:4040",
            "",
        ] {
            assert!(instance_origin(Some(bad)).is_none(), "{bad}");
        }
        assert!(instance_origin(None).is_none());
    }

    #[test]
    fn settings_default_to_salesforces_and_are_checked() {
        let config = SalesforceConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(config.login_url.as_str(), "https://login.salesforce.com/");
        assert_eq!(config.api_version, "60.0");
        let v = SalesforceConfig::from_lookup(|n: &str| {
            (n == "SALESFORCE_API_VERSION").then(|| "v62.0".to_owned())
        })
        .unwrap();
        assert_eq!(v.api_version, "62.0");
        for bad in ["60", "6.0.1", "60.0/../x", "abc"] {
            let err = SalesforceConfig::from_lookup(|n: &str| {
                (n == "SALESFORCE_API_VERSION").then(|| bad.to_owned())
            })
            .unwrap_err();
            assert_eq!(err.name, "SALESFORCE_API_VERSION");
        }
    }
}
