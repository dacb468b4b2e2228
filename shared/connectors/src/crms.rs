//! Every CRM this build connects, by [`CrmKind`]: the API clients (built once per cold start,
//! holding no credential) and the OAuth clients that connect and refresh them. The worker and
//! the `options` function hold one [`Crms`] each.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use followup::crm::{Crm, CrmAccess, CrmKind, access_of};
use followup::ports::{CrmDirectory, DirectoryError};
use tenant::TenantId;
use tenant::credential::CredentialId;
use tenant::ports::{Backend, CredentialError};
use tenant::refresh::{CredentialSlot, RefreshError, RefreshPolicy, TokenError, fresh_token};

use crate::config::{ConfigError, Lookup};
use crate::crono::{CronoClient, CronoConfig};
use crate::hubspot::{HubSpotClient, HubSpotConfig};
use crate::oauth2::OAuth2Client;
use crate::pipedrive::{PipedriveClient, PipedriveConfig};
use crate::salesforce::{SalesforceClient, SalesforceConfig};

/// The CRM clients, one per kind, and their OAuth clients where the deployment configured
/// one (`<CRM>_CLIENT_ID`). Cheap to clone.
#[derive(Clone)]
pub struct Crms {
    clients: Vec<(CrmKind, Arc<dyn Crm>)>,
    oauth: Vec<(CrmKind, Arc<OAuth2Client>)>,
    /// HubSpot's refresh-token deletion (it has no RFC 7009 revocation endpoint), when its
    /// OAuth is configured.
    hubspot_tokens: Option<crate::hubspot::oauth::HubSpotOAuthApi>,
}

impl std::fmt::Debug for Crms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crms")
            .field(
                "clients",
                &self.clients.iter().map(|c| c.0).collect::<Vec<_>>(),
            )
            .field("oauth", &self.oauth.iter().map(|c| c.0).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn unusable(name: &'static str) -> ConfigError {
    ConfigError {
        name,
        reason: "the HTTP client could not be built for it",
    }
}

impl Crms {
    /// Every CRM's client from its `<CRM>_API_URL` & co. (defaults: the real APIs) and the
    /// OAuth clients whose ids are set.
    pub fn from_lookup(lookup: impl Lookup + Clone) -> Result<Self, ConfigError> {
        let hubspot = HubSpotClient::new(&HubSpotConfig::from_lookup(lookup.clone())?)
            .map_err(|_| unusable("HUBSPOT_API_URL"))?;
        let pipedrive = PipedriveClient::new(&PipedriveConfig::from_lookup(lookup.clone())?)
            .map_err(|_| unusable("PIPEDRIVE_API_URL"))?;
        let crono = CronoClient::new(&CronoConfig::from_lookup(lookup.clone())?)
            .map_err(|_| unusable("CRONO_API_URL"))?;
        let salesforce = SalesforceClient::new(&SalesforceConfig::from_lookup(lookup.clone())?)
            .map_err(|_| unusable("SALESFORCE_LOGIN_URL"))?;
        let clients: Vec<(CrmKind, Arc<dyn Crm>)> = vec![
            (CrmKind::Hubspot, Arc::new(hubspot)),
            (CrmKind::Salesforce, Arc::new(salesforce)),
            (CrmKind::Pipedrive, Arc::new(pipedrive)),
            (CrmKind::Crono, Arc::new(crono)),
        ];
        let mut oauth = Vec::new();
        for (kind, config, var) in [
            (
                CrmKind::Hubspot,
                crate::hubspot::oauth::oauth_config(lookup.clone())?,
                "HUBSPOT_OAUTH_URL",
            ),
            (
                CrmKind::Salesforce,
                crate::salesforce::oauth::oauth_config(lookup.clone())?,
                "SALESFORCE_LOGIN_URL",
            ),
            (
                CrmKind::Pipedrive,
                crate::pipedrive::oauth::oauth_config(lookup.clone())?,
                "PIPEDRIVE_OAUTH_URL",
            ),
        ] {
            if let Some(config) = config {
                oauth.push((
                    kind,
                    Arc::new(OAuth2Client::new(config).map_err(|_| unusable(var))?),
                ));
            }
        }
        let hubspot_tokens = match oauth.iter().any(|(k, _)| *k == CrmKind::Hubspot) {
            true => Some(
                crate::hubspot::oauth::HubSpotOAuthApi::new(&HubSpotConfig::from_lookup(
                    lookup.clone(),
                )?)
                .map_err(|_| unusable("HUBSPOT_API_URL"))?,
            ),
            false => None,
        };
        Ok(Self {
            clients,
            oauth,
            hubspot_tokens,
        })
    }

    /// A set of given clients (tests, the demo).
    pub fn of(
        clients: Vec<(CrmKind, Arc<dyn Crm>)>,
        oauth: Vec<(CrmKind, Arc<OAuth2Client>)>,
    ) -> Self {
        Self {
            clients,
            oauth,
            hubspot_tokens: None,
        }
    }

    /// Ends a workspace's grant at the CRM on disconnect, where the CRM can: HubSpot deletes
    /// the refresh token, Salesforce revokes it (RFC 7009); Pipedrive documents no revocation,
    /// and a pasted key is the CRM user's to delete. `Ok(false)`: nothing to revoke here. The
    /// error names no token.
    pub async fn revoke(
        &self,
        kind: CrmKind,
        credential: &tenant::Credential,
    ) -> Result<bool, crate::ConnectorError> {
        let Some(refresh) = &credential.refresh_token else {
            return Ok(false);
        };
        match (kind, &self.hubspot_tokens, self.oauth(kind)) {
            (CrmKind::Hubspot, Some(api), _) => {
                api.delete_refresh_token(refresh).await.map(|()| true)
            }
            (CrmKind::Salesforce, _, Some(oauth)) => match oauth.revoke(refresh).await {
                Ok(()) => Ok(true),
                Err(crate::oauth2::OAuthError::Http(err)) => Err(err),
                Err(_) => Err(crate::ConnectorError::invalid(
                    "Salesforce",
                    "the revocation was refused",
                )),
            },
            _ => Ok(false),
        }
    }

    /// The client of `kind`; `None` for a CRM this build does not have.
    pub fn crm(&self, kind: CrmKind) -> Option<&dyn Crm> {
        self.clients
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c.as_ref())
    }

    /// The OAuth client of `kind`, when this deployment connects it by OAuth.
    pub fn oauth(&self, kind: CrmKind) -> Option<&Arc<OAuth2Client>> {
        self.oauth.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
    }

    /// The CRMs an admin can connect here: a client, and OAuth configured or a key taken.
    pub fn connectable(&self) -> Vec<CrmKind> {
        CrmKind::ALL
            .into_iter()
            .filter(|k| self.crm(*k).is_some() && (k.takes_api_key() || self.oauth(*k).is_some()))
            .collect()
    }
}

/// CRM OAuth access tokens live 30 minutes (HubSpot) to a couple of hours: refresh within
/// 5 minutes of the end, under a lease longer than the OAuth client's bound per call.
pub const CRM_REFRESH: RefreshPolicy = RefreshPolicy {
    margin: Duration::from_secs(300),
    lease: Duration::from_secs(30),
    wait: Duration::from_secs(10),
    poll: Duration::from_millis(50),
};

/// The workspace's default CRM, ready to call.
pub struct Ready<'a> {
    pub kind: CrmKind,
    pub crm: &'a dyn Crm,
    pub access: CrmAccess,
}

/// Why the workspace's CRM cannot be called now; each says what the user must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No CRM is connected: an admin connects one (`/followup connect crm`).
    NotConnected,
    /// The CRM refused the connection before, and nobody reconnected it since.
    Broken(CrmKind),
    /// The CRM refused it just now (a revoked refresh, a credential gone): the caller marks
    /// it broken and tells the admins (once).
    Refused(CrmKind),
    /// The connection is to a CRM this deployment does not configure (its OAuth client id
    /// was removed): an operator's fix.
    NotConfigured(CrmKind),
}

/// The stores failed while resolving the connection (retry later).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("the CRM settings could not be read")]
    Directory(#[from] DirectoryError),
    #[error("the CRM credential could not be read")]
    Credential(#[from] CredentialError),
    #[error("the CRM token could not be refreshed")]
    Token(#[source] TokenError),
}

impl Crms {
    /// The workspace's default CRM connection with a fresh access token: the settings say
    /// which CRM, the tenant-wide credential of that CRM's provider says how (refreshed under
    /// the shared lease when it is an OAuth grant about to expire).
    pub async fn default_connection(
        &self,
        backend: &Backend,
        directory: &dyn CrmDirectory,
        tenant: &TenantId,
        now: &(dyn Fn() -> SystemTime + Sync),
    ) -> Result<Result<Ready<'_>, Unusable>, ResolveError> {
        let settings = directory.settings(tenant).await?.map(|v| v.value);
        let Some(connection) = settings.as_ref().and_then(|s| s.default_connection()) else {
            return Ok(Err(Unusable::NotConnected));
        };
        let kind = connection.kind;
        if connection.broken_since.is_some() {
            return Ok(Err(Unusable::Broken(kind)));
        }
        self.connection(backend, tenant, kind, now).await
    }

    /// The connection of `kind`, as [`Self::default_connection`] without the settings.
    pub async fn connection(
        &self,
        backend: &Backend,
        tenant: &TenantId,
        kind: CrmKind,
        now: &(dyn Fn() -> SystemTime + Sync),
    ) -> Result<Result<Ready<'_>, Unusable>, ResolveError> {
        let Some(crm) = self.crm(kind) else {
            return Ok(Err(Unusable::NotConfigured(kind)));
        };
        let id = CredentialId::tenant_wide(tenant.clone(), kind.provider());
        let Some(stored) = backend.credentials.get(&id).await? else {
            // Settings say connected, the credential is gone (an uninstall deleted it).
            return Ok(Err(Unusable::Refused(kind)));
        };
        let mut credential = stored.value;
        if credential.refresh_token.is_some() {
            let Some(oauth) = self.oauth(kind) else {
                return Ok(Err(Unusable::NotConfigured(kind)));
            };
            let slot = CredentialSlot::new(backend.credentials.as_ref(), id);
            match fresh_token(backend, &slot, oauth.as_ref(), CRM_REFRESH, now).await {
                Ok(token) => credential.access_token = token,
                Err(TokenError::Missing | TokenError::Refresh(RefreshError::Revoked)) => {
                    return Ok(Err(Unusable::Refused(kind)));
                }
                Err(err) => return Err(ResolveError::Token(err)),
            }
        }
        Ok(match access_of(kind, &credential) {
            Some(access) => Ok(Ready { kind, crm, access }),
            None => Err(Unusable::Refused(kind)),
        })
    }
}
