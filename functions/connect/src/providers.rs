//! The providers a user can connect, each an OAuth client with what its grant must hold.

use std::sync::Arc;

use std::time::Duration;

use connectors::ConfigError;
use connectors::google::{self, GmailClient, GoogleApiConfig};
use connectors::hubspot::HubSpotConfig;
use connectors::hubspot::oauth::HubSpotOAuthApi;
use connectors::oauth2::{OAuth2Client, OAuth2Config};
use tenant::Provider;

/// One provider's connection flow. Built once per cold start.
pub struct Flow {
    pub provider: Provider,
    /// The name pages show ("Google", "Fathom").
    pub name: &'static str,
    pub client: OAuth2Client,
    /// Asked for, and each one required in the grant (a user may untick one at Google).
    pub scopes: &'static [&'static str],
    /// Reads the connected address ("connected as …"): Google's Gmail profile.
    pub profile: Option<GmailClient>,
    /// A workspace connection (a CRM: tenant-wide, admins only) rather than the user's own.
    pub workspace: bool,
    /// HubSpot: reads the grant's portal (hub id) for links.
    pub hub_info: Option<HubSpotOAuthApi>,
    /// How long an access token lives when the answer does not say (Salesforce).
    pub assumed_lifetime: Option<Duration>,
}

impl Flow {
    fn user(
        provider: Provider,
        name: &'static str,
        client: OAuth2Client,
        scopes: &'static [&'static str],
    ) -> Self {
        Self {
            provider,
            name,
            client,
            scopes,
            profile: None,
            workspace: false,
            hub_info: None,
            assumed_lifetime: None,
        }
    }
}

/// The providers this deployment connects: Google when `GOOGLE_CLIENT_ID` is set, Fathom
/// when `FATHOM_CLIENT_ID` is. Cheap to clone.
#[derive(Clone, Default)]
pub struct Providers {
    google: Option<Arc<Flow>>,
    fathom: Option<Arc<Flow>>,
    /// The CRMs connected by OAuth whose `<CRM>_CLIENT_ID` is set.
    crms: Vec<Arc<Flow>>,
}

impl Providers {
    /// Reads `GOOGLE_CLIENT_ID`/`GOOGLE_CLIENT_SECRET`/`GOOGLE_OAUTH_URL`/`GMAIL_API_URL` and
    /// `FATHOM_CLIENT_ID`/`FATHOM_CLIENT_SECRET`/`FATHOM_OAUTH_URL` through `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Clone,
    ) -> Result<Self, ConfigError> {
        let unusable = |name| ConfigError {
            name,
            reason: "the HTTP client could not be built for it",
        };
        let google = match connectors::config::string(&lookup, "GOOGLE_CLIENT_ID") {
            None => None,
            Some(_) => {
                let client = OAuth2Client::new(google::oauth_config(lookup.clone())?)
                    .map_err(|_| unusable("GOOGLE_OAUTH_URL"))?;
                let apis = GoogleApiConfig::from_lookup(lookup.clone())?;
                let profile = GmailClient::new(&apis).map_err(|_| unusable("GMAIL_API_URL"))?;
                let mut flow = Flow::user(Provider::Google, "Google", client, &google::SCOPES);
                flow.profile = Some(profile);
                Some(Arc::new(flow))
            }
        };
        let fathom = match connectors::fathom::oauth::oauth_config(lookup.clone())? {
            None => None,
            Some(config) => Some(Arc::new(Flow::user(
                Provider::Fathom,
                "Fathom",
                OAuth2Client::new(config).map_err(|_| unusable("FATHOM_OAUTH_URL"))?,
                &connectors::fathom::oauth::SCOPES,
            ))),
        };
        let crms = crm_flows(lookup)?;
        Ok(Self {
            google,
            fathom,
            crms,
        })
    }

    /// The flow of the provider a path names: `Ok(None)` for a provider this app connects
    /// but this deployment has not configured (Google without its client id: 503), `Err` for
    /// anything else, Fathom without `FATHOM_CLIENT_ID` included (404: nothing is there).
    pub(crate) fn route(&self, segment: &str) -> Result<(Provider, Option<&Flow>), ()> {
        match segment {
            "google" => Ok((Provider::Google, self.google.as_deref())),
            "fathom" => match self.fathom.as_deref() {
                Some(flow) => Ok((Provider::Fathom, Some(flow))),
                None => Err(()),
            },
            // A CRM this app connects by OAuth: 503 where its client is not configured.
            "hubspot" | "salesforce" | "pipedrive" => {
                let provider = Provider::parse(segment).map_err(|_| ())?;
                let flow = self.crms.iter().find(|f| f.provider == provider);
                Ok((provider, flow.map(|f| f.as_ref())))
            }
            _ => Err(()),
        }
    }

    pub fn google_enabled(&self) -> bool {
        self.google.is_some()
    }

    pub fn fathom_enabled(&self) -> bool {
        self.fathom.is_some()
    }
}

/// A CRM's OAuth flow as configured: provider, name, client (when its id is set), scopes, and
/// the variable its base URL comes from.
type CrmOAuth = (
    Provider,
    &'static str,
    Option<OAuth2Config>,
    &'static [&'static str],
    &'static str,
);

/// The CRMs' flows: workspace connections (tenant-wide, admins only), each with what its
/// grant must hold.
fn crm_flows(
    lookup: impl Fn(&str) -> Option<String> + Clone,
) -> Result<Vec<Arc<Flow>>, ConfigError> {
    use connectors::{hubspot, pipedrive, salesforce};
    let unusable = |name| ConfigError {
        name,
        reason: "the HTTP client could not be built for it",
    };
    let mut flows = Vec::new();
    let configs: [CrmOAuth; 3] = [
        (
            Provider::Hubspot,
            "HubSpot",
            hubspot::oauth::oauth_config(lookup.clone())?,
            &hubspot::oauth::SCOPES,
            "HUBSPOT_OAUTH_URL",
        ),
        (
            Provider::Salesforce,
            "Salesforce",
            salesforce::oauth::oauth_config(lookup.clone())?,
            &salesforce::oauth::SCOPES,
            "SALESFORCE_LOGIN_URL",
        ),
        (
            Provider::Pipedrive,
            "Pipedrive",
            pipedrive::oauth::oauth_config(lookup.clone())?,
            &pipedrive::oauth::SCOPES,
            "PIPEDRIVE_OAUTH_URL",
        ),
    ];
    for (provider, name, config, scopes, var) in configs {
        let Some(config) = config else { continue };
        let client = OAuth2Client::new(config).map_err(|_| unusable(var))?;
        let mut flow = Flow::user(provider, name, client, scopes);
        flow.workspace = true;
        match provider {
            Provider::Hubspot => {
                let api = HubSpotOAuthApi::new(&HubSpotConfig::from_lookup(lookup.clone())?)
                    .map_err(|_| unusable("HUBSPOT_API_URL"))?;
                flow.hub_info = Some(api);
            }
            Provider::Salesforce => {
                flow.assumed_lifetime = Some(salesforce::oauth::ASSUMED_LIFETIME)
            }
            _ => {}
        }
        flows.push(Arc::new(flow));
    }
    Ok(flows)
}
