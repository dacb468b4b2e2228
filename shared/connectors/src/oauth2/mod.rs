//! A generic OAuth 2.0 authorization-code client (RFC 6749 §4.1, refresh §6, revocation
//! RFC 7009): build the authorize URL, exchange a code, refresh, revoke. What differs per
//! provider is configuration ([`OAuth2Config`]: endpoints, how the client authenticates, the
//! extra authorize parameters such as Google's `access_type=offline`), so Google uses it now
//! and the CRMs (HubSpot, Salesforce, Pipedrive) can later.
//!
//! It is also the [`Refresher`] of `tenant::refresh` for its provider: the one refresh path
//! (lease, re-read, conditional write) stays in the tenant crate; this client only makes the
//! call and classifies the answer.
//!
//! No error, log line or `Debug` output carries a code, a token or the client secret: the
//! token endpoint's answer is read for its `error` code only, and only codes from the RFCs'
//! fixed list are repeated ([`error_code`]).

mod errors;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tenant::refresh::{Grant, RefreshError, Refresher};
use tenant::{Credential, Secret};
use url::Url;

use crate::http::{self, ConnectorError, Deadline, HttpClient, HttpConfig, RetryPolicy};
pub use errors::OAuthError;
use errors::token_error;

/// How the client proves itself at the token and revoke endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form parameters (Google as the reference shows it,
    /// HubSpot, Salesforce).
    Body,
    /// HTTP Basic (RFC 6749 §2.3.1's recommendation; Pipedrive's).
    Basic,
}

/// The provider's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: Url,
    pub token: Url,
    /// `None`: the provider has no revocation endpoint ([`OAuth2Client::revoke`] is then
    /// `Rejected`).
    pub revoke: Option<Url>,
}

/// One provider's OAuth client. `Debug` is safe: the secret is a [`Secret`].
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// The name errors and logs carry, e.g. `"Google"`.
    pub provider: &'static str,
    pub endpoints: Endpoints,
    pub client_id: String,
    pub client_secret: Secret,
    pub client_auth: ClientAuth,
    /// Parameters every authorize URL carries besides the standard ones, in order.
    pub authorize_extras: Vec<(String, String)>,
    /// The lifetime assumed when a token answer has no `expires_in` (RFC 6749 makes it
    /// optional). `None` stores the token without expiry, so it is never refreshed before use.
    pub default_expires_in: Option<Duration>,
    pub http: HttpConfig,
    /// Retries of refresh and revoke (never of a code exchange: a code is single use, so a
    /// retry after a lost answer could only fail with `invalid_grant`). Only outages and
    /// 429s are retried. A provider whose refresh tokens are single use should take
    /// [`RetryPolicy::NONE`]: a refresh whose answer was lost may have spent the token, and
    /// `tenant::refresh` recovers that case better (the next holder re-reads what is stored).
    pub retry: RetryPolicy,
    /// One call with its retries is over by then. As the [`Refresher`] contract asks, it
    /// MUST be shorter than the refresh lease of the caller's `RefreshPolicy`.
    pub budget: Duration,
}

/// What the authorize step asks for.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    /// Must be registered with the provider, and sent again, byte for byte, with the
    /// exchange (else Google's `redirect_uri_mismatch`).
    pub redirect_uri: &'a Url,
    pub scopes: &'a [&'a str],
    /// The CSRF token the callback checks (issued and consumed once by the caller's OAuth
    /// state store).
    pub state: &'a str,
}

/// A token endpoint's answer (RFC 6749 §5.1).
#[derive(Clone)]
pub struct TokenGrant {
    pub access_token: Secret,
    /// `None` when the provider sent none (Google on refresh: the old one stays valid).
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<Duration>,
    /// What the user granted, which may be less than asked for (Google's consent screen lets
    /// the user untick scopes); empty when the answer did not say.
    pub scopes: Vec<String>,
    /// Where the grant's API lives, when the answer says: Salesforce's `instance_url`,
    /// Pipedrive's `api_domain`. The CRM adapters check it before sending a token there.
    pub site: Option<String>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .field("site", &self.site.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenGrant {
    /// The `required` scopes the user did not grant (empty: all granted). An answer that
    /// lists no scopes is taken as granting what was asked (RFC 6749 §5.1: `scope` may be
    /// left out when it equals the request).
    pub fn missing_scopes<'a>(&self, required: &[&'a str]) -> Vec<&'a str> {
        if self.scopes.is_empty() {
            return Vec::new();
        }
        required
            .iter()
            .copied()
            .filter(|want| !self.scopes.iter().any(|got| got == want))
            .collect()
    }

    /// As the tenant crate stores it. No new refresh token keeps the stored one
    /// (`Grant::refresh_token = None`).
    pub fn into_grant(self) -> Grant {
        let mut grant = Grant::new(self.access_token);
        grant.refresh_token = self.refresh_token;
        grant.expires_in = self.expires_in;
        grant.scopes = self.scopes;
        // The API base, reported again on a refresh (a Salesforce org may move).
        grant.metadata.instance_url = self.site;
        grant
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    /// Salesforce (salesforce.md § Auth basics).
    #[serde(default)]
    instance_url: Option<String>,
    /// Pipedrive (pipedrive.md §5).
    #[serde(default)]
    api_domain: Option<String>,
}

impl TokenResponse {
    /// The grant a token answer carries; `default_expires_in` when it says no lifetime.
    fn into_token_grant(self, default_expires_in: Option<Duration>) -> TokenGrant {
        TokenGrant {
            access_token: self.access_token,
            refresh_token: self.refresh_token.filter(|t| !t.expose().is_empty()),
            expires_in: self
                .expires_in
                .map(Duration::from_secs)
                .or(default_expires_in),
            scopes: self
                .scope
                // Space separated (RFC 6749 §3.3); Pipedrive's are comma separated (§5).
                .map(|s| {
                    s.split(|c: char| c.is_whitespace() || c == ',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            site: self
                .instance_url
                .or(self.api_domain)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
        }
    }
}

/// The OAuth client of one provider. Build once per cold start; share freely.
#[derive(Clone)]
pub struct OAuth2Client {
    config: OAuth2Config,
    http: HttpClient,
}

impl fmt::Debug for OAuth2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Client")
            .field("provider", &self.config.provider)
            .field("token", &self.config.endpoints.token.as_str())
            .finish_non_exhaustive()
    }
}

impl OAuth2Client {
    pub fn new(config: OAuth2Config) -> Result<Self, ConnectorError> {
        let http = HttpClient::new(config.provider, &config.http)?;
        Ok(Self { config, http })
    }

    pub fn provider(&self) -> &'static str {
        self.config.provider
    }

    /// Where to send the user: the authorize endpoint with `response_type=code`,
    /// `client_id`, `redirect_uri`, `scope` (space separated, RFC 6749 §3.3), `state` and the
    /// provider's extras. Parameters already in the configured URL are kept.
    pub fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Url {
        let mut url = self.config.endpoints.authorize.clone();
        {
            let mut pairs = url.query_pairs_mut();
            pairs
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", request.redirect_uri.as_str())
                .append_pair("scope", &request.scopes.join(" "))
                .append_pair("state", request.state);
            for (name, value) in &self.config.authorize_extras {
                pairs.append_pair(name, value);
            }
        }
        url
    }

    /// Trades the callback's `code` for tokens. `redirect_uri` must be the authorize step's.
    /// `Revoked` when the code is unknown, spent or expired (`invalid_grant`).
    #[tracing::instrument(skip_all, fields(provider = self.config.provider))]
    pub async fn exchange(&self, code: &str, redirect_uri: &Url) -> Result<TokenGrant, OAuthError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        let deadline = Deadline::after(self.config.budget);
        self.token_call(&form, deadline).await
    }

    /// A new access token for `refresh_token`. A provider that does not rotate refresh
    /// tokens (Google) answers none: `refresh_token` is then `None` and the stored one stays.
    /// `Revoked` when the grant is gone (`invalid_grant`: revoked by the user, expired,
    /// spent).
    #[tracing::instrument(skip_all, fields(provider = self.config.provider))]
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenGrant, OAuthError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        let deadline = Deadline::after(self.config.budget);
        http::retry(&self.config.retry, deadline, || {
            self.token_call(&form, deadline)
        })
        .await
    }

    /// Revokes `token` (an access or a refresh token; at Google either ends the whole grant)
    /// at the revocation endpoint (RFC 7009). A token the provider no longer knows
    /// (`invalid_token`) counts as revoked: what the caller wants, a dead token, holds.
    #[tracing::instrument(skip_all, fields(provider = self.config.provider))]
    pub async fn revoke(&self, token: &Secret) -> Result<(), OAuthError> {
        let provider = self.config.provider;
        let Some(url) = self.config.endpoints.revoke.clone() else {
            return Err(OAuthError::Rejected {
                provider,
                code: "no revocation endpoint".to_owned(),
            });
        };
        let form = [("token", token.expose())];
        let deadline = Deadline::after(self.config.budget);
        http::retry(&self.config.retry, deadline, || async {
            let response = self
                .http
                .send_any(
                    self.authenticated(self.http.post(url.clone()), &form),
                    deadline,
                )
                .await?;
            if response.status.is_success() {
                return Ok(());
            }
            match token_error(provider, &response) {
                OAuthError::Rejected { code, .. } if code == "invalid_token" => Ok(()),
                err => Err(err),
            }
        })
        .await
    }

    async fn token_call(
        &self,
        form: &[(&str, &str)],
        deadline: Deadline,
    ) -> Result<TokenGrant, OAuthError> {
        let provider = self.config.provider;
        let request = self.authenticated(self.http.post(self.config.endpoints.token.clone()), form);
        let response = self.http.send_any(request, deadline).await?;
        if !response.status.is_success() {
            let err = token_error(provider, &response);
            tracing::debug!(provider, status = response.status.as_u16(), error = %err, "token endpoint refused");
            return Err(err);
        }
        let body: TokenResponse = response.json(provider)?;
        // RFC 6749 §7.1: a client must understand the token type; every API here takes bearer.
        if let Some(kind) = &body.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(ConnectorError::invalid(provider, "token type is not Bearer").into());
        }
        if body.access_token.expose().is_empty() {
            return Err(ConnectorError::invalid(provider, "empty access token").into());
        }
        Ok(body.into_token_grant(self.config.default_expires_in))
    }

    /// `form` plus the client's credentials, the way the provider wants them.
    fn authenticated(
        &self,
        request: reqwest::RequestBuilder,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let request = match self.config.client_auth {
            ClientAuth::Body => {
                fields.push(("client_id", &self.config.client_id));
                fields.push(("client_secret", self.config.client_secret.expose()));
                request
            }
            // reqwest marks the Authorization header it builds sensitive.
            ClientAuth::Basic => request.basic_auth(
                form_encode(&self.config.client_id),
                Some(form_encode(self.config.client_secret.expose())),
            ),
        };
        request
            .header(::http::header::ACCEPT, "application/json")
            .form(&fields)
    }
}

/// RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[async_trait]
impl Refresher for OAuth2Client {
    /// One refresh call; the stored credential is not needed (no provider here keys its
    /// token endpoint on metadata yet; Salesforce's `instance_url` will be read from it).
    async fn refresh(&self, refresh_token: &Secret, _: &Credential) -> Result<Grant, RefreshError> {
        match OAuth2Client::refresh(self, refresh_token).await {
            Ok(grant) => Ok(grant.into_grant()),
            Err(err) => Err(err.into_refresh_error()),
        }
    }
}

#[cfg(test)]
#[path = "oauth2_tests.rs"]
mod tests;
