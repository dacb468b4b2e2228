//! Pipedrive (`shared/reference/pipedrive.md`): [`PipedriveClient`] implements
//! `followup::crm::Crm` ([`crm`]) over v2 (organization and person search, deals, stages,
//! pipelines) and v1 (notes, activities), with an API token (`x-api-token`) or an OAuth
//! token (Bearer, on the connection's `api_domain`).
//!
//! Pipedrive's stages are never closed: a deal is closed by its status (`won`/`lost`). So
//! open deals are `status=open`, Pipedrive's own field, and [`Crm::pipelines`] lists each
//! pipeline's stages followed by two closed pseudo-stages, `won` and `lost`; moving a deal to
//! one sets its status.
//!
//! Rate limits (§6): a 2 s window per token; 429 is retried after `Retry-After` or, without
//! it, `x-ratelimit-reset` (seconds; the unit is UNCONFIRMED) or the policy's backoff.
//!
//! UNCONFIRMED in the reference, and so here: organizations have no standard domain field,
//! so a domain is matched exactly (`exact_match=true`) against custom fields (the workspace
//! keeps the website domain in one); `GET /api/v2/pipelines`, `GET /api/v2/persons/search`,
//! `GET /api/v2/{organizations,persons}/{id}` and `POST /v1/activities` (with `due_date` and
//! `due_time` in UTC) are not in the reference; the app's record URLs
//! (`{company}.pipedrive.com/{organization,deal,person}/{id}`).
//!
//! [`Crm::pipelines`]: followup::crm::Crm::pipelines

mod crm;
mod marker;
pub mod oauth;
mod request;
mod wire;

use url::Url;

use crate::config;
use crate::crm_http::{CrmClient, CrmConfig, CrmProvider, Vars};

const PROVIDER: &str = "Pipedrive";

pub const DEFAULT_API_URL: &str = "https://api.pipedrive.com";
pub const DEFAULT_APP_URL: &str = "https://app.pipedrive.com";

/// The marker of Pipedrive's [`PipedriveConfig`] and [`PipedriveClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipedrive;

impl CrmProvider for Pipedrive {
    const NAME: &'static str = PROVIDER;
    const CLIENT: &'static str = "PipedriveClient";
    const VARS: Vars = Vars {
        api_url: "PIPEDRIVE_API_URL",
        app_url: "PIPEDRIVE_APP_URL",
        timeout: "PIPEDRIVE_TIMEOUT_SECS",
        max_retries: "PIPEDRIVE_MAX_RETRIES",
    };
    const DEFAULT_API_URL: &'static str = DEFAULT_API_URL;
    const DEFAULT_APP_URL: &'static str = DEFAULT_APP_URL;
}

/// How the client reaches Pipedrive: `PIPEDRIVE_API_URL` (default [`DEFAULT_API_URL`]),
/// `PIPEDRIVE_APP_URL` (for links when the connection has no `api_domain`, default
/// [`DEFAULT_APP_URL`]), `PIPEDRIVE_TIMEOUT_SECS`, `PIPEDRIVE_MAX_RETRIES`.
pub type PipedriveConfig = CrmConfig<Pipedrive>;

/// The Pipedrive client; holds no credential. Build once per cold start.
pub type PipedriveClient = CrmClient<Pipedrive>;

/// A connection's `api_domain` (OAuth token answer, §5), used as the API host only if it is
/// an https `*.pipedrive.com` origin: the token must never be sent anywhere else.
pub(crate) fn company_domain(site: Option<&str>) -> Option<Url> {
    let url = config::parse_base_url(site?)?;
    let host = url.host_str()?;
    (url.scheme() == "https" && host.ends_with(".pipedrive.com") && url.path() == "/")
        .then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_https_pipedrive_api_domain_replaces_the_configured_host() {
        assert_eq!(
            company_domain(Some("https://acme.pipedrive.com"))
                .unwrap()
                .as_str(),
            "https://acme.pipedrive.com/"
        );
        for bad in [
            "http://acme.pipedrive.com",
            "https://acme.pipedrive.com.evil.io",
            "https://evil.io/?x=.pipedrive.com",
            "https://acme.pipedrive.com/path",
            "",
        ] {
            assert_eq!(company_domain(Some(bad)), None, "{bad}");
        }
        let config = PipedriveConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(config.api_url.as_str(), "https://api.pipedrive.com/");
    }
}
