//! The providers a user can connect, each an OAuth client with what its grant must hold.

use std::sync::Arc;

use connectors::ConfigError;
use connectors::google::{self, GmailClient, GoogleApiConfig};
use connectors::oauth2::OAuth2Client;
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
}

/// The providers this deployment connects: Google when `GOOGLE_CLIENT_ID` is set, Fathom
/// when `FATHOM_CLIENT_ID` is. Cheap to clone.
#[derive(Clone, Default)]
pub struct Providers {
    google: Option<Arc<Flow>>,
    fathom: Option<Arc<Flow>>,
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
                Some(Arc::new(Flow {
                    provider: Provider::Google,
                    name: "Google",
                    client,
                    scopes: &google::SCOPES,
                    profile: Some(profile),
                }))
            }
        };
        let fathom = match connectors::fathom::oauth::oauth_config(lookup)? {
            None => None,
            Some(config) => Some(Arc::new(Flow {
                provider: Provider::Fathom,
                name: "Fathom",
                client: OAuth2Client::new(config).map_err(|_| unusable("FATHOM_OAUTH_URL"))?,
                scopes: &connectors::fathom::oauth::SCOPES,
                profile: None,
            })),
        };
        Ok(Self { google, fathom })
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
