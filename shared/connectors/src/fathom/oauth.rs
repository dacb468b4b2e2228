//! Fathom's OAuth 2.0 (fathom.md, "OAuth 2.0, for public apps"): the authorization-code flow
//! for the generic [`crate::oauth2`] client. Scope `public_api` (the only one); the client's
//! credentials in the form; no revocation endpoint is documented, so a disconnect only deletes
//! the stored grant.

use std::time::Duration;

use tenant::Secret;

use crate::config::{self, ConfigError, Lookup};
use crate::http::{HttpConfig, RetryPolicy};
use crate::oauth2::{ClientAuth, Endpoints, OAuth2Config};

use super::PROVIDER;

/// The only scope Fathom has.
pub const PUBLIC_API: &str = "public_api";
/// What a connection asks for.
pub const SCOPES: [&str; 1] = [PUBLIC_API];
/// The OAuth base (fathom.md): `{base}/oauth2/authorize` and `{base}/oauth2/token`.
pub const DEFAULT_OAUTH_URL: &str = "https://fathom.video/external/v1";

/// Fathom's OAuth client, when `FATHOM_CLIENT_ID` is set (`None` otherwise: connecting Fathom
/// is then by pasted key only):
///
/// * `FATHOM_CLIENT_ID`, `FATHOM_CLIENT_SECRET` (required with the id; errors name the
///   variable, never the value);
/// * `FATHOM_OAUTH_URL`, default [`DEFAULT_OAUTH_URL`] (a fake's in tests);
/// * `FATHOM_TIMEOUT_SECS` (default 10) per call.
///
/// No retries of a refresh: third-party guides (not Fathom, so UNCONFIRMED) say refresh tokens
/// are single use, and a refresh whose answer was lost may have spent the token; the shared
/// refresh (`tenant::refresh`) recovers that case better than a blind retry. The access
/// token's lifetime is not documented either: `expires_in` is read, and nothing is assumed
/// when it is missing.
pub fn oauth_config(lookup: impl Lookup) -> Result<Option<OAuth2Config>, ConfigError> {
    let Some(client_id) = config::string(&lookup, "FATHOM_CLIENT_ID") else {
        return Ok(None);
    };
    let base = config::base_url(&lookup, "FATHOM_OAUTH_URL", DEFAULT_OAUTH_URL)?;
    let endpoint = |path: &str| {
        base.join(path).map_err(|_| ConfigError {
            name: "FATHOM_OAUTH_URL",
            reason: "not an http(s) base URL",
        })
    };
    let timeout = config::seconds(
        &lookup,
        "FATHOM_TIMEOUT_SECS",
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(120),
    )?;
    Ok(Some(OAuth2Config {
        provider: PROVIDER,
        endpoints: Endpoints {
            authorize: endpoint("oauth2/authorize")?,
            token: endpoint("oauth2/token")?,
            revoke: None,
        },
        client_id,
        client_secret: Secret::new(config::required(&lookup, "FATHOM_CLIENT_SECRET")?),
        client_auth: ClientAuth::Body,
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
    fn fathom_oauth_is_off_without_a_client_id_and_derives_both_endpoints_from_one_base() {
        assert!(oauth_config(|_: &str| None).unwrap().is_none());
        let config = oauth_config(|name: &str| match name {
            "FATHOM_CLIENT_ID" => Some("fathom-client".into()),
            "FATHOM_CLIENT_SECRET" => Some("fathom-secret-xyz".into()),
            _ => None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(
            config.endpoints.authorize.as_str(),
            "https://fathom.video/external/v1/oauth2/authorize"
        );
        assert_eq!(
            config.endpoints.token.as_str(),
            "https://fathom.video/external/v1/oauth2/token"
        );
        assert!(config.endpoints.revoke.is_none());
        assert!(!format!("{config:?}").contains("fathom-secret-xyz"));
        let err = oauth_config(|name: &str| (name == "FATHOM_CLIENT_ID").then(|| "id".into()))
            .unwrap_err();
        assert_eq!(err.name, "FATHOM_CLIENT_SECRET");
    }
}
