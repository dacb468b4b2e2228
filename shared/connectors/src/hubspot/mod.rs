//! HubSpot CRM v3 (`shared/reference/hubspot.md`): [`HubSpotClient`] implements
//! `followup::crm::Crm` ([`crm`]): companies found by domain (`EQ` on `domain`) and by name
//! (`query`), notes and tasks with the reference's association type ids, deals of a company
//! (the `associations.company` search pseudo-property) with closed stages taken from
//! `GET /crm/v3/pipelines/deals` stage metadata (`isClosed`), deal stage/amount by `PATCH`.
//!
//! A note carries its marker as a trailing HTML comment and is found again by it through the
//! company's note associations, never through the lagging CRM search ([`marker`]).
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
mod marker;
pub mod oauth;
mod request;
mod wire;

use crate::crm_http::{CrmClient, CrmConfig, CrmProvider, Vars};

pub use crate::note_html::note_html;

const PROVIDER: &str = "HubSpot";

pub const DEFAULT_API_URL: &str = "https://api.hubapi.com";
pub const DEFAULT_APP_URL: &str = "https://app.hubspot.com";

/// The marker of HubSpot's [`HubSpotConfig`] and [`HubSpotClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubSpot;

impl CrmProvider for HubSpot {
    const NAME: &'static str = PROVIDER;
    const CLIENT: &'static str = "HubSpotClient";
    const VARS: Vars = Vars {
        api_url: "HUBSPOT_API_URL",
        app_url: "HUBSPOT_APP_URL",
        timeout: "HUBSPOT_TIMEOUT_SECS",
        max_retries: "HUBSPOT_MAX_RETRIES",
    };
    const DEFAULT_API_URL: &'static str = DEFAULT_API_URL;
    const DEFAULT_APP_URL: &'static str = DEFAULT_APP_URL;
}

/// How the client reaches HubSpot: `HUBSPOT_API_URL` (default [`DEFAULT_API_URL`]),
/// `HUBSPOT_APP_URL` (default [`DEFAULT_APP_URL`]), `HUBSPOT_TIMEOUT_SECS`, `HUBSPOT_MAX_RETRIES`.
pub type HubSpotConfig = CrmConfig<HubSpot>;

/// The HubSpot client; holds no credential. Build once per cold start.
pub type HubSpotClient = CrmClient<HubSpot>;

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
