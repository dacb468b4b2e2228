//! Pipedrive's OAuth (pipedrive.md §5) for the generic [`crate::oauth2`] client:
//! `{PIPEDRIVE_OAUTH_URL}/oauth/authorize` and `/oauth/token`, the client authenticated by
//! HTTP Basic, answers carrying `api_domain` ([`crate::oauth2::TokenGrant::site`], the
//! company's API host) and comma-separated scopes.
//!
//! No revocation endpoint is in the reference, so none is configured: a disconnect deletes
//! the stored grant (UNCONFIRMED whether Pipedrive offers one). Scopes are set on the app in
//! Pipedrive's Developer Hub, not asked in the authorize URL; [`SCOPES`] is what the app must
//! be registered with and what a grant is checked against (UNCONFIRMED names beyond the
//! reference's `deals:full` example).

use std::time::Duration;

use tenant::Secret;

use super::PROVIDER;
use crate::config::{self, ConfigError, Lookup};
use crate::http::{HttpConfig, RetryPolicy};
use crate::oauth2::{ClientAuth, Endpoints, OAuth2Config};

/// Deals (open deals, stage and amount, notes on them), contacts (organizations and persons),
/// activities (tasks).
pub const SCOPES: [&str; 3] = ["deals:full", "contacts:full", "activities:full"];

pub const DEFAULT_OAUTH_URL: &str = "https://oauth.pipedrive.com";

/// Pipedrive's OAuth client, when `PIPEDRIVE_CLIENT_ID` is set (`None` otherwise: Pipedrive
/// is then connected by API token only):
///
/// * `PIPEDRIVE_CLIENT_SECRET`, required with the id;
/// * `PIPEDRIVE_OAUTH_URL`, default [`DEFAULT_OAUTH_URL`] (a fake's in tests);
/// * `PIPEDRIVE_TIMEOUT_SECS` (default 10) per call.
///
/// No retries of a refresh: whether Pipedrive rotates refresh tokens is not in the
/// reference, and a refresh whose answer was lost may have spent the token; the shared
/// refresh (`tenant::refresh`) recovers that case better.
pub fn oauth_config(lookup: impl Lookup) -> Result<Option<OAuth2Config>, ConfigError> {
    let Some(client_id) = config::string(&lookup, "PIPEDRIVE_CLIENT_ID") else {
        return Ok(None);
    };
    let base = config::base_url(&lookup, "PIPEDRIVE_OAUTH_URL", DEFAULT_OAUTH_URL)?;
    let endpoint = |path: &str| {
        base.join(path).map_err(|_| ConfigError {
            name: "PIPEDRIVE_OAUTH_URL",
            reason: "not an http(s) base URL",
        })
    };
    let timeout = config::seconds(
        &lookup,
        "PIPEDRIVE_TIMEOUT_SECS",
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(30),
    )?;
    Ok(Some(OAuth2Config {
        provider: PROVIDER,
        endpoints: Endpoints {
            authorize: endpoint("oauth/authorize")?,
            token: endpoint("oauth/token")?,
            revoke: None,
        },
        client_id,
        client_secret: Secret::new(config::required(&lookup, "PIPEDRIVE_CLIENT_SECRET")?),
        client_auth: ClientAuth::Basic,
        authorize_extras: Vec::new(),
        default_expires_in: None,
        http: HttpConfig::with_timeout(timeout),
        retry: RetryPolicy::NONE,
        budget: Duration::from_secs(15),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipedrive_oauth_uses_basic_client_auth_under_one_base() {
        assert!(oauth_config(|_: &str| None).unwrap().is_none());
        let config = oauth_config(|name: &str| match name {
            "PIPEDRIVE_CLIENT_ID" => Some("b4d083d9216986345b32".into()),
            "PIPEDRIVE_CLIENT_SECRET" => Some("pd-secret-xyz".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            config.endpoints.authorize.as_str(),
            "https://oauth.pipedrive.com/oauth/authorize"
        );
        assert_eq!(
            config.endpoints.token.as_str(),
            "https://oauth.pipedrive.com/oauth/token"
        );
        assert!(config.endpoints.revoke.is_none());
        assert_eq!(config.client_auth, ClientAuth::Basic);
        assert!(!format!("{config:?}").contains("pd-secret-xyz"));
        let err = oauth_config(|name: &str| (name == "PIPEDRIVE_CLIENT_ID").then(|| "id".into()))
            .unwrap_err();
        assert_eq!(err.name, "PIPEDRIVE_CLIENT_SECRET");
    }
}
