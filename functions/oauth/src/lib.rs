//! GET /slack/oauth_redirect: where Slack sends the browser back after the consent screen.
//!
//! In order: `error=` → the "cancelled" page (its text bounded before it is logged); the state
//! and this browser's state cookie must be present; the state must be issued here, unexpired,
//! unused and bound to this cookie's hash, checked and consumed in one atomic step (a replay
//! loses, and a wrong cookie consumes nothing, so a state lured into another browser stays
//! usable by its owner); a code must be present. Then the code is exchanged with
//! oauth.v2.access (redirect_uri resent), auth.test is called once with the new bot token to
//! learn the bot id, and `tenant::service::oauth_install` stores everything all-or-nothing and
//! queues provisioning. Each refusal has its own page ([`RedirectError`]); the state cookie is
//! cleared on every answer but a cookie mismatch (that cookie belongs to this browser's own
//! install, which the refusal did not touch).

mod error;
mod success;

use app::wiring::{SlackSettings, WiringError};
use app::{Clock, HttpRequest, HttpResponse};
use http::{HeaderValue, header};
use slack::{OAuthAccess, OAuthClient, WebApi};
use tenant::ports::{StateConsumed, StatePurpose};
use tenant::service::{self, OAuthInstall};
use tenant::{BotToken, Installation, UserToken};
use tracing::{Instrument, info, info_span};

use app::oauth_cookie as state;
pub use error::RedirectError;

/// The redirect function's state, built once per cold start.
pub struct OAuthHandler {
    backend: tenant::Backend,
    /// `None` when the client id/secret or `PUBLIC_BASE_URL` are missing.
    oauth: Option<(OAuthClient, String)>,
    web: WebApi,
    clock: Clock,
}

/// The query Slack redirects with.
#[derive(Debug, Default, serde::Deserialize)]
struct Query {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl OAuthHandler {
    /// The handler for `slack`'s settings. Missing OAuth settings are not an error here (the
    /// route answers a 503 page); malformed URLs are.
    pub fn new(
        backend: tenant::Backend,
        slack: &SlackSettings,
        clock: Clock,
    ) -> Result<Self, WiringError> {
        let oauth = match (slack.oauth_client()?, slack.install.redirect_uri()) {
            (Some(client), Some(redirect_uri)) => Some((client, redirect_uri)),
            _ => None,
        };
        Ok(Self {
            backend,
            oauth,
            web: slack.web_api()?,
            clock,
        })
    }

    /// Handles one request. Never panics on input; every outcome is a page.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        let (mut res, clear) = match self.redirect(&req).await {
            Ok(res) => (res, true),
            // A wrong cookie belongs to this browser's own install, which it leaves alone.
            Err(err @ RedirectError::CookieMismatch) => (err.into_response(), false),
            Err(err) => (err.into_response(), true),
        };
        if clear && let Ok(clear) = HeaderValue::try_from(state::clear_cookie()) {
            res.headers_mut().append(header::SET_COOKIE, clear);
        }
        res
    }

    async fn redirect(&self, req: &HttpRequest) -> Result<HttpResponse, RedirectError> {
        let query: Query = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        if let Some(reason) = query.error.filter(|e| !e.is_empty()) {
            return Err(RedirectError::cancelled(&reason));
        }
        let (client, redirect_uri) = self.oauth.as_ref().ok_or(RedirectError::NotConfigured)?;
        let state_value = query
            .state
            .filter(|s| !s.is_empty())
            .ok_or(RedirectError::MissingState)?;
        // The cookie before the state: a state lured into another browser is refused there
        // without being spent, so the browser it belongs to can still finish.
        let cookie = state::cookie_value(req.headers()).ok_or(RedirectError::MissingCookie)?;
        let now = self.clock.unix_secs();
        match self
            .backend
            .oauth_states
            .consume(&state_value, &state::cookie_hash(&cookie), now)
            .await
            .map_err(RedirectError::store)?
        {
            // A state issued for something else (a user connecting Google) never installs.
            StateConsumed::Valid(record)
                if matches!(record.purpose, StatePurpose::Install { .. }) => {}
            StateConsumed::Valid(_) => return Err(RedirectError::UnknownState),
            StateConsumed::Unknown => return Err(RedirectError::UnknownState),
            StateConsumed::Expired => return Err(RedirectError::ExpiredState),
            StateConsumed::AlreadyUsed => return Err(RedirectError::UsedState),
            StateConsumed::WrongCookie => return Err(RedirectError::CookieMismatch),
        }
        let code = query
            .code
            .filter(|c| !c.is_empty())
            .ok_or(RedirectError::MissingCode)?;

        let access = client
            .exchange_code(&code, Some(redirect_uri))
            .await
            .map_err(RedirectError::from_slack)?;
        let tenant = access
            .tenant_id()
            .ok_or(RedirectError::Incomplete("the workspace or organization"))?;
        let span = info_span!("install", tenant = %tenant);
        self.store(access, now).instrument(span).await
    }

    /// auth.test for the bot id (once, here, never per request), then the all-or-nothing store.
    async fn store(&self, access: OAuthAccess, now: i64) -> Result<HttpResponse, RedirectError> {
        let tenant = access
            .tenant_id()
            .ok_or(RedirectError::Incomplete("the workspace or organization"))?;
        let bot_token = match (&access.access_token, access.has_bot_token()) {
            (Some(token), true) => token.clone(),
            _ => return Err(RedirectError::Incomplete("a bot token")),
        };
        let who = self
            .web
            .auth_test(&bot_token)
            .await
            .map_err(RedirectError::from_slack)?;
        let installer = access.authed_user.as_ref().map(|u| u.id.clone());
        let user_scopes = access
            .authed_user
            .as_ref()
            .map(|u| u.scope.clone())
            .unwrap_or_default();
        let expires = |secs: Option<i64>| secs.map(|s| now + s);
        let installation = Installation {
            tenant: tenant.clone(),
            team_id: access.team.as_ref().map(|t| t.id.clone()),
            enterprise_id: access.enterprise.as_ref().map(|e| e.id.clone()),
            is_enterprise_install: access.is_enterprise_install,
            app_id: access.app_id.clone(),
            bot_user_id: access.bot_user_id.clone(),
            bot_id: who.bot_id.clone(),
            bot_scopes: access.scope.clone(),
            user_scopes,
            installer,
            installed_at: now,
        };
        let name = if access.is_enterprise_install {
            access.enterprise.as_ref().and_then(|e| e.name.clone())
        } else {
            access.team.as_ref().and_then(|t| t.name.clone())
        }
        .unwrap_or_else(|| tenant.to_string());
        let install = OAuthInstall {
            bot: BotToken {
                token: bot_token,
                bot_user_id: access.bot_user_id.clone(),
                bot_id: who.bot_id,
                scopes: access.scope.clone(),
                refresh_token: access.refresh_token.clone(),
                expires_at: expires(access.expires_in),
            },
            user_token: access.authed_user.as_ref().and_then(|u| {
                u.access_token.as_ref().map(|token| UserToken {
                    token: token.clone(),
                    scopes: u.scope.clone(),
                    refresh_token: u.refresh_token.clone(),
                    expires_at: expires(u.expires_in),
                })
            }),
            webhook_url: access.incoming_webhook.as_ref().map(|w| w.url.clone()),
            installation,
            name: name.clone(),
        };
        let done = service::oauth_install(&self.backend, install, self.clock.unix_millis())
            .await
            .map_err(RedirectError::from_tenant)?;
        info!(reinstall = done.reinstall, job = %done.job.id, "install stored; provisioning queued");
        Ok(success::page(&access, &name, done.reinstall))
    }
}

impl app::lambda::HttpHandler for OAuthHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        OAuthHandler::handle(self, req).await
    }
}

#[cfg(test)]
mod tests;
