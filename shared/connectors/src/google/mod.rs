//! Google: the OAuth client ([`oauth_config`] for [`crate::oauth2`]), Gmail drafts
//! ([`GmailClient`], `users.drafts.create`) and Calendar events ([`CalendarClient`],
//! `events.insert` with a Meet link). Contract: `shared/reference/fathom-google.md`, Part B.
//!
//! One Google connection (one refresh token) serves both APIs (B.4); each call takes the
//! user's access token, so the clients hold no credential. Google's error body
//! (`{"error": {"code", "message", "errors": [{"reason"}], "status"}}`) is not in the
//! reference: its shape is taken from Google's API docs and is UNCONFIRMED here
//! ([`errors`]).

mod calendar;
mod errors;
mod gmail;
mod mime;

use std::time::Duration;

use tenant::Secret;
use url::Url;

use crate::config::{self, ConfigError, Lookup};
use crate::http::{HttpConfig, RetryPolicy};
use crate::oauth2::{ClientAuth, Endpoints, OAuth2Config};

pub use calendar::{CalendarClient, CreatedEvent};
pub use gmail::{CreatedDraft, GmailClient};
pub use mime::{draft_message, html_of};

const PROVIDER: &str = "Google";

/// Drafts (create, and send later from Gmail): the least Gmail scope that allows
/// `users.drafts.create` (B.2). Google classes it as restricted: a public app needs
/// verification and a security assessment (B.1).
pub const GMAIL_COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";
/// Events only, not the whole calendar (B.3).
pub const CALENDAR_EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";
/// Exactly what the integration asks for. No `openid email`: drafts and events are created as
/// `me` and `primary`, and B.4 says to keep login scopes out of the integration's consent. The
/// "connected as …" address comes from Gmail's `users.getProfile`, which answers under
/// `gmail.compose` per Google's docs (UNCONFIRMED by the reference), without another scope.
/// No `gmail.send` either: a draft needs compose only (B.1).
pub const SCOPES: [&str; 2] = [GMAIL_COMPOSE, CALENDAR_EVENTS];

/// B.1's endpoints.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/auth";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Not called by the reference repo (B.1, "Disconnect"); the address it names.
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const DEFAULT_GMAIL_API_URL: &str = "https://gmail.googleapis.com/gmail/v1";
pub const DEFAULT_CALENDAR_API_URL: &str = "https://www.googleapis.com/calendar/v3";

/// Google's access tokens live an hour; the repo assumed 3600 s when it was not told (B.1).
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(3600);

/// Google's OAuth client, read through `lookup`:
///
/// * `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`: required (the secret is held as a
///   [`Secret`]; errors name the variable, never the value).
/// * Endpoints: Google's real ones by default, on two hosts (B.1). `GOOGLE_OAUTH_URL`, when
///   set, is one base all three derive from (`{base}/o/oauth2/auth`, `{base}/token`,
///   `{base}/revoke`: the paths a fake serves, e.g. `fakes::google::FakeGoogle::oauth_url`);
///   `GOOGLE_AUTHORIZE_URL`, `GOOGLE_TOKEN_URL`, `GOOGLE_REVOKE_URL` override each one.
/// * `GOOGLE_TIMEOUT_SECS` (default 10) per call, `GOOGLE_MAX_RETRIES` (default 1) for
///   refresh and revoke, all within 15 s per call: shorter than a refresh lease of 30 s.
///
/// The authorize URL carries `access_type=offline` and `prompt=consent` (B.1: so Google
/// issues a refresh token on every consent, not only the first), and no
/// `include_granted_scopes` (B.1: removed by the repo, and not needed: the grant is exactly
/// the two scopes; the connect function checks the granted ones with
/// [`crate::oauth2::TokenGrant::missing_scopes`]).
pub fn oauth_config(lookup: impl Lookup) -> Result<OAuth2Config, ConfigError> {
    let base = config::string(&lookup, "GOOGLE_OAUTH_URL")
        .map(|raw| {
            config::parse_base_url(&raw).ok_or(ConfigError {
                name: "GOOGLE_OAUTH_URL",
                reason: "not an http(s) base URL",
            })
        })
        .transpose()?;
    let derived = |path: &str, default: &str| match &base {
        Some(base) => base
            .join(path)
            .map(String::from)
            .unwrap_or_else(|_| default.to_owned()),
        None => default.to_owned(),
    };
    let authorize = config::endpoint_url(
        &lookup,
        "GOOGLE_AUTHORIZE_URL",
        &derived("o/oauth2/auth", DEFAULT_AUTHORIZE_URL),
    )?;
    let token = config::endpoint_url(
        &lookup,
        "GOOGLE_TOKEN_URL",
        &derived("token", DEFAULT_TOKEN_URL),
    )?;
    let revoke = config::endpoint_url(
        &lookup,
        "GOOGLE_REVOKE_URL",
        &derived("revoke", DEFAULT_REVOKE_URL),
    )?;
    let timeout = config::seconds(
        &lookup,
        "GOOGLE_TIMEOUT_SECS",
        HttpConfig::DEFAULT_TIMEOUT,
        Duration::from_secs(60),
    )?;
    let retries = config::number(&lookup, "GOOGLE_MAX_RETRIES", 1, 3)?;
    Ok(OAuth2Config {
        provider: PROVIDER,
        endpoints: Endpoints {
            authorize,
            token,
            revoke: Some(revoke),
        },
        client_id: config::required(&lookup, "GOOGLE_CLIENT_ID")?,
        client_secret: Secret::new(config::required(&lookup, "GOOGLE_CLIENT_SECRET")?),
        // B.1 sends the client's credentials in the form.
        client_auth: ClientAuth::Body,
        authorize_extras: vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ],
        default_expires_in: Some(DEFAULT_EXPIRES_IN),
        http: HttpConfig::with_timeout(timeout),
        retry: RetryPolicy::standard(retries),
        budget: Duration::from_secs(15),
    })
}

/// How the worker reaches Gmail and Calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleApiConfig {
    /// `GMAIL_API_URL`, default [`DEFAULT_GMAIL_API_URL`].
    pub gmail_api_url: Url,
    /// `GOOGLE_CALENDAR_API_URL`, default [`DEFAULT_CALENDAR_API_URL`].
    pub calendar_api_url: Url,
    /// `GOOGLE_TIMEOUT_SECS` (default 10).
    pub http: HttpConfig,
}

impl GoogleApiConfig {
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let timeout = config::seconds(
            &lookup,
            "GOOGLE_TIMEOUT_SECS",
            HttpConfig::DEFAULT_TIMEOUT,
            Duration::from_secs(60),
        )?;
        Ok(Self {
            gmail_api_url: config::base_url(&lookup, "GMAIL_API_URL", DEFAULT_GMAIL_API_URL)?,
            calendar_api_url: config::base_url(
                &lookup,
                "GOOGLE_CALENDAR_API_URL",
                DEFAULT_CALENDAR_API_URL,
            )?,
            http: HttpConfig::with_timeout(timeout),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: Vec<(&'static str, &'static str)>) -> impl Lookup {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn endpoints_default_to_googles_derive_from_one_base_or_are_overridden_one_by_one() {
        let creds = vec![
            ("GOOGLE_CLIENT_ID", "id-1"),
            ("GOOGLE_CLIENT_SECRET", "secret-1"),
        ];
        let real = oauth_config(env(creds.clone())).unwrap();
        assert_eq!(real.endpoints.authorize.as_str(), DEFAULT_AUTHORIZE_URL);
        assert_eq!(real.endpoints.token.as_str(), DEFAULT_TOKEN_URL);
        let mut fake = creds.clone();
        fake.push(("GOOGLE_OAUTH_URL", "http://127.0.0.1:9"));
        fake.push(("GOOGLE_REVOKE_URL", "http://127.0.0.1:8/r"));
        let fake = oauth_config(env(fake)).unwrap();
        assert_eq!(
            fake.endpoints.authorize.as_str(),
            "http://127.0.0.1:9/o/oauth2/auth"
        );
        assert_eq!(fake.endpoints.token.as_str(), "http://127.0.0.1:9/token");
        assert_eq!(
            fake.endpoints.revoke.unwrap().as_str(),
            "http://127.0.0.1:8/r"
        );
        let api = GoogleApiConfig::from_lookup(env(vec![])).unwrap();
        assert_eq!(
            api.gmail_api_url.as_str(),
            "https://gmail.googleapis.com/gmail/v1/"
        );
    }

    #[test]
    fn client_credentials_are_required_and_never_echoed() {
        let err = oauth_config(env(vec![("GOOGLE_CLIENT_ID", "id-1")])).unwrap_err();
        assert_eq!(err.name, "GOOGLE_CLIENT_SECRET");
        let config = oauth_config(env(vec![
            ("GOOGLE_CLIENT_ID", "id-1"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-very-secret"),
        ]))
        .unwrap();
        assert!(!format!("{config:?}").contains("GOCSPX"));
    }
}
