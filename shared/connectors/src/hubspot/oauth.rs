//! HubSpot's OAuth (hubspot.md §5) for the generic [`crate::oauth2`] client: authorize at
//! `{HUBSPOT_OAUTH_URL}/oauth/authorize` (the browser), tokens at
//! `{HUBSPOT_API_URL}/oauth/v1/token` with the client's credentials in the form. HubSpot has
//! no RFC 7009 revocation: [`HubSpotOAuthApi::delete_refresh_token`] is its
//! `DELETE /oauth/v1/refresh-tokens/{token}` (the refresh token only: it does not uninstall
//! the app, and issued access tokens live until they expire). The hub id a connection's
//! links need comes from the token's metadata ([`HubSpotOAuthApi::token_info`]).
//!
//! UNCONFIRMED: the answer of the metadata and delete endpoints for an unknown token (read
//! as 404 here); the v1 OAuth API's announced deprecation (February 2027, the reference) may
//! move these to `/oauth/v3/token`.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use tenant::Secret;
use url::Url;

use super::{DEFAULT_API_URL, HubSpotConfig, PROVIDER};
use crate::config::{self, ConfigError, Lookup};
use crate::http::{ConnectorError, Deadline, HttpClient, HttpConfig, RetryPolicy, retry};
use crate::oauth2::{ClientAuth, Endpoints, OAuth2Config};

/// What the connection asks for: companies read (domain and name search), contacts read and
/// write (contact search; notes and tasks are engagements under contacts' write scope, per
/// the v3 spec), deals read and write (open deals, stage and amount).
pub const SCOPES: [&str; 5] = [
    "crm.objects.companies.read",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
];

/// Where the browser goes to authorize.
pub const DEFAULT_OAUTH_URL: &str = "https://app.hubspot.com";

/// HubSpot's OAuth client, when `HUBSPOT_CLIENT_ID` is set (`None` otherwise: HubSpot is
/// then connected by private app token only):
///
/// * `HUBSPOT_CLIENT_SECRET`, required with the id (errors name the variable only);
/// * `HUBSPOT_OAUTH_URL`, default [`DEFAULT_OAUTH_URL`], for the authorize page;
/// * `HUBSPOT_API_URL`, default [`DEFAULT_API_URL`], for the token endpoint;
/// * `HUBSPOT_TIMEOUT_SECS` (default 10) per call.
///
/// A refresh is retried after outages: the reference's example returns the same refresh
/// token, so a lost answer spends nothing.
pub fn oauth_config(lookup: impl Lookup) -> Result<Option<OAuth2Config>, ConfigError> {
    let Some(client_id) = config::string(&lookup, "HUBSPOT_CLIENT_ID") else {
        return Ok(None);
    };
    let join = |base: &Url, path: &str, name: &'static str| {
        base.join(path).map_err(|_| ConfigError {
            name,
            reason: "not an http(s) base URL",
        })
    };
    let app = config::base_url(&lookup, "HUBSPOT_OAUTH_URL", DEFAULT_OAUTH_URL)?;
    let api = config::base_url(&lookup, "HUBSPOT_API_URL", DEFAULT_API_URL)?;
    let timeout = config::seconds(
        &lookup,
        "HUBSPOT_TIMEOUT_SECS",
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(30),
    )?;
    Ok(Some(OAuth2Config {
        provider: PROVIDER,
        endpoints: Endpoints {
            authorize: join(&app, "oauth/authorize", "HUBSPOT_OAUTH_URL")?,
            token: join(&api, "oauth/v1/token", "HUBSPOT_API_URL")?,
            revoke: None,
        },
        client_id,
        client_secret: Secret::new(config::required(&lookup, "HUBSPOT_CLIENT_SECRET")?),
        client_auth: ClientAuth::Body,
        authorize_extras: Vec::new(),
        // Answers carry `expires_in` (1800 s in the reference's example).
        default_expires_in: None,
        http: HttpConfig::with_timeout(timeout),
        retry: RetryPolicy::standard(2),
        budget: Duration::from_secs(15),
    }))
}

/// What `GET /oauth/v1/access-tokens/{token}` says of a token. `Debug` shows no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The portal: `CrmAccess::site` for HubSpot, for "Open in HubSpot" links.
    pub hub_id: String,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
struct TokenInfoBody {
    hub_id: serde_json::Number,
    #[serde(default)]
    scopes: Vec<String>,
}

/// HubSpot's OAuth calls outside RFC 6749 (token metadata, refresh token deletion), on
/// `HUBSPOT_API_URL`. Build once per cold start.
#[derive(Clone)]
pub struct HubSpotOAuthApi {
    http: HttpClient,
    api: Url,
    retry: RetryPolicy,
    budget: Duration,
}

impl fmt::Debug for HubSpotOAuthApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubSpotOAuthApi")
            .field("api", &self.api.as_str())
            .finish_non_exhaustive()
    }
}

impl HubSpotOAuthApi {
    pub fn new(config: &HubSpotConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, &config.http)?,
            api: config.api_url.clone(),
            retry: config.retry,
            budget: config.budget,
        })
    }

    /// `{api}/oauth/v1/{kind}/{token}`: the token is one path segment, percent-encoded (it is
    /// HubSpot's documented shape; no log line of this crate prints a URL).
    fn token_url(&self, kind: &str, token: &Secret) -> Result<Url, ConnectorError> {
        let mut url = self.api.clone();
        url.path_segments_mut()
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid API URL"))?
            .pop_if_empty()
            .extend(["oauth", "v1", kind, token.expose()]);
        Ok(url)
    }

    /// The portal (hub id) and scopes of `access_token`, right after a code exchange.
    /// An unknown token: `NotFound`.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn token_info(&self, access_token: &Secret) -> Result<TokenInfo, ConnectorError> {
        let url = self.token_url("access-tokens", access_token)?;
        let deadline = Deadline::after(self.budget);
        let response = retry(&self.retry, deadline, || {
            self.http
                .send(self.http.get(url.clone()), deadline, |_| None)
        })
        .await?;
        let body: TokenInfoBody = response.json(PROVIDER)?;
        let hub_id = body.hub_id.to_string();
        if hub_id.is_empty() || !hub_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConnectorError::invalid(PROVIDER, "hub_id is not a number"));
        }
        Ok(TokenInfo {
            hub_id,
            scopes: body.scopes,
        })
    }

    /// Deletes `refresh_token` at HubSpot (on disconnect). One already gone counts as done.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn delete_refresh_token(&self, refresh_token: &Secret) -> Result<(), ConnectorError> {
        let url = self.token_url("refresh-tokens", refresh_token)?;
        let deadline = Deadline::after(self.budget);
        let result = retry(&self.retry, deadline, || {
            self.http
                .send(self.http.delete(url.clone()), deadline, |_| None)
        })
        .await;
        match result {
            Ok(_) | Err(ConnectorError::NotFound { .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_oauth_is_off_without_a_client_id_and_splits_authorize_from_token() {
        assert!(oauth_config(|_: &str| None).unwrap().is_none());
        let config = oauth_config(|name: &str| match name {
            "HUBSPOT_CLIENT_ID" => Some("hs-client".into()),
            "HUBSPOT_CLIENT_SECRET" => Some("hs-secret-xyz".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            config.endpoints.authorize.as_str(),
            "https://app.hubspot.com/oauth/authorize"
        );
        assert_eq!(
            config.endpoints.token.as_str(),
            "https://api.hubapi.com/oauth/v1/token"
        );
        assert!(config.endpoints.revoke.is_none());
        assert_eq!(config.client_auth, ClientAuth::Body);
        assert!(!format!("{config:?}").contains("hs-secret-xyz"));
        let err = oauth_config(|name: &str| (name == "HUBSPOT_CLIENT_ID").then(|| "id".into()))
            .unwrap_err();
        assert_eq!(err.name, "HUBSPOT_CLIENT_SECRET");
    }
}
