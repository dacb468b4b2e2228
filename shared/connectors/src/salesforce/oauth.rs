//! Salesforce's OAuth 2.0 web server flow (salesforce.md § Auth basics) for the generic
//! [`crate::oauth2`] client: `{login}/services/oauth2/authorize`, `…/token` (code exchange and
//! refresh, the client's credentials in the form), `…/revoke` (`token=`). The token answer's
//! `instance_url` is [`crate::oauth2::TokenGrant::site`]: the connection's API host, which
//! may change on a refresh (an org migration), so the latest is stored.

use std::time::Duration;

use tenant::Secret;

use crate::config::{self, ConfigError, Lookup};
use crate::http::{HttpConfig, RetryPolicy};
use crate::oauth2::{ClientAuth, Endpoints, OAuth2Config};

use super::{DEFAULT_LOGIN_URL, PROVIDER};

/// REST access and a refresh token (§ Auth basics: `scope=api%20refresh_token`).
pub const SCOPES: [&str; 2] = ["api", "refresh_token"];

/// The access token's lifetime when the answer has none: Salesforce never sends
/// `expires_in`; the session timeout is the org's (2 hours by default, per the reference).
/// Assumed a little shorter so a token is refreshed before the default timeout.
pub const ASSUMED_LIFETIME: Duration = Duration::from_secs(90 * 60);

/// Salesforce's OAuth client, when `SALESFORCE_CLIENT_ID` (the connected app's consumer key)
/// is set; `None` otherwise (Salesforce cannot be connected then):
///
/// * `SALESFORCE_CLIENT_SECRET`, required with the id (errors name the variable only);
/// * `SALESFORCE_LOGIN_URL`, default [`DEFAULT_LOGIN_URL`] (`https://test.salesforce.com`
///   for sandboxes, a My Domain login URL, or a fake's in tests);
/// * `SALESFORCE_TIMEOUT_SECS` (default 10) per call.
///
/// Refreshes are retried after outages: the refresh token is not rotated unless the
/// connected app turns rotation on (the reference); with rotation on, set
/// `SALESFORCE_MAX_RETRIES=0`.
pub fn oauth_config(lookup: impl Lookup) -> Result<Option<OAuth2Config>, ConfigError> {
    let Some(client_id) = config::string(&lookup, "SALESFORCE_CLIENT_ID") else {
        return Ok(None);
    };
    let base = config::base_url(&lookup, "SALESFORCE_LOGIN_URL", DEFAULT_LOGIN_URL)?;
    let endpoint = |path: &str| {
        base.join(path).map_err(|_| ConfigError {
            name: "SALESFORCE_LOGIN_URL",
            reason: "not an http(s) base URL",
        })
    };
    let timeout = config::seconds(
        &lookup,
        "SALESFORCE_TIMEOUT_SECS",
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(30),
    )?;
    let retries = config::number(&lookup, "SALESFORCE_MAX_RETRIES", 2, 5)?;
    Ok(Some(OAuth2Config {
        provider: PROVIDER,
        endpoints: Endpoints {
            authorize: endpoint("services/oauth2/authorize")?,
            token: endpoint("services/oauth2/token")?,
            revoke: Some(endpoint("services/oauth2/revoke")?),
        },
        client_id,
        client_secret: Secret::new(config::required(&lookup, "SALESFORCE_CLIENT_SECRET")?),
        client_auth: ClientAuth::Body,
        authorize_extras: Vec::new(),
        default_expires_in: Some(ASSUMED_LIFETIME),
        http: HttpConfig::with_timeout(timeout),
        retry: RetryPolicy::standard(retries),
        budget: Duration::from_secs(15),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_oauth_is_off_without_a_client_id_and_lives_under_the_login_url() {
        assert!(oauth_config(|_: &str| None).unwrap().is_none());
        let env = |name: &str| match name {
            "SALESFORCE_CLIENT_ID" => Some("3MVG9-consumer-key".into()),
            "SALESFORCE_CLIENT_SECRET" => Some("sf-consumer-secret-xyz".into()),
            _ => None,
        };
        let config = oauth_config(env).unwrap().unwrap();
        assert_eq!(
            config.endpoints.authorize.as_str(),
            "https://login.salesforce.com/services/oauth2/authorize"
        );
        assert_eq!(
            config.endpoints.token.as_str(),
            "https://login.salesforce.com/services/oauth2/token"
        );
        assert_eq!(
            config.endpoints.revoke.as_ref().map(url::Url::as_str),
            Some("https://login.salesforce.com/services/oauth2/revoke")
        );
        assert_eq!(config.client_auth, ClientAuth::Body);
        assert!(!format!("{config:?}").contains("sf-consumer-secret-xyz"));
        let sandbox = oauth_config(|name: &str| match name {
            "SALESFORCE_LOGIN_URL" => Some("https://test.salesforce.com".into()),
            other => env(other),
        })
        .unwrap()
        .unwrap();
        assert!(
            sandbox
                .endpoints
                .token
                .as_str()
                .starts_with("https://test.salesforce.com/")
        );
        let err = oauth_config(|name: &str| (name == "SALESFORCE_CLIENT_ID").then(|| "id".into()))
            .unwrap_err();
        assert_eq!(err.name, "SALESFORCE_CLIENT_SECRET");
    }
}
