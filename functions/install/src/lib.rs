//! GET /slack/install: the product page with an "Add to Slack" button that starts Slack's OAuth
//! v2 install (slack.md 2.1).
//!
//! The page itself stores nothing: its button links to `?redirect=1`, and only that (the
//! button pressed, or a direct install link as Slack's App Directory uses) issues a fresh
//! single-use state ([`state`]) through the `OAuthStates` port with a 600 s expiry, bound to
//! this browser by a cookie, and answers 302 to Slack's authorize URL with it. A crawler that
//! hammers the page fills no table (and the link is `rel="nofollow"`). `?team=T…` is passed
//! through as `team=`. Missing client settings give a 503 "not configured" page, never a
//! panic.

mod product;

use app::oauth_cookie as state;
use app::pages::{self as page, Badge};
use app::wiring::SlackSettings;
use app::{Clock, HttpRequest, HttpResponse};
use http::{HeaderValue, StatusCode, header};
use std::sync::Arc;

use tenant::TeamId;
use tenant::ports::{OAuthStateRecord, OAuthStates, StatePurpose};
use tracing::{error, info};

/// What the authorize link is built from, when the app is configured.
#[derive(Debug, Clone)]
struct Authorize {
    url: String,
    client_id: String,
    scopes: Vec<String>,
    user_scopes: Vec<String>,
    redirect_uri: String,
}

/// The install function's state, built once per cold start.
pub struct InstallHandler {
    /// Its only port: the install page writes a state, nothing else.
    states: Arc<dyn OAuthStates>,
    authorize: Option<Authorize>,
    clock: Clock,
}

/// The query of GET /slack/install.
#[derive(Debug, Default, serde::Deserialize)]
struct Query {
    team: Option<String>,
    redirect: Option<String>,
}

impl InstallHandler {
    /// The handler for `slack`'s settings. Without `SLACK_CLIENT_ID` or `PUBLIC_BASE_URL` it
    /// serves the "not configured" page.
    pub fn new(states: Arc<dyn OAuthStates>, slack: &SlackSettings, clock: Clock) -> Self {
        let authorize = match (&slack.client_id, slack.install.redirect_uri()) {
            (Some(client_id), Some(redirect_uri)) => Some(Authorize {
                url: slack.install.authorize_url.clone(),
                client_id: client_id.clone(),
                scopes: slack.install.scopes.clone(),
                user_scopes: slack.install.user_scopes.clone(),
                redirect_uri,
            }),
            _ => None,
        };
        Self {
            states,
            authorize,
            clock,
        }
    }

    /// Handles one request. Never panics on input; every outcome is an HTML page or a redirect.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        let Some(authorize) = &self.authorize else {
            return page::status_page(
                StatusCode::SERVICE_UNAVAILABLE,
                Badge::Warning,
                "Not configured yet",
                "This Switchboard server has no Slack app credentials yet, so it cannot be \
                 installed. Its operator needs to set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and \
                 PUBLIC_BASE_URL.",
                None,
            );
        };
        let query: Query = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        // `team` is only a hint for Slack: one that is not a team id is dropped, not echoed.
        let team = query.team.as_deref().and_then(|t| TeamId::parse(t).ok());

        if !matches!(query.redirect.as_deref(), Some("1" | "true")) {
            // The product page: no state until the button is pressed.
            return page::html(
                StatusCode::OK,
                product::install_page(
                    &start_url(team.as_ref()),
                    &authorize.scopes,
                    &authorize.user_scopes,
                ),
            );
        }
        let state = state::new_state();
        let now = self.clock.unix_secs();
        let record = OAuthStateRecord {
            cookie_hash: state::cookie_hash(&state),
            purpose: StatePurpose::Install { team: team.clone() },
            created_at: now,
            expires_at: now + state::STATE_TTL_SECS,
        };
        if let Err(err) = self.states.issue(&state, &record).await {
            error!(error = %app::ingress::chain(&err), "could not store an OAuth state");
            return page::status_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                Badge::Error,
                "Something went wrong",
                "We could not start the installation. Please try again in a moment.",
                Some(("Try again", "/slack/install")),
            );
        }
        let url = authorize_url(authorize, &state, team.as_ref());
        info!(team = ?team.as_ref().map(TeamId::as_str), "install started");
        let mut res = http::Response::new(String::new());
        *res.status_mut() = StatusCode::FOUND;
        if let Ok(location) = HeaderValue::try_from(url) {
            res.headers_mut().insert(header::LOCATION, location);
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(cookie) = HeaderValue::try_from(state::set_cookie(&state)) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        res
    }
}

/// Where the page's button goes: this route in redirect mode, keeping a valid team hint.
fn start_url(team: Option<&TeamId>) -> String {
    match team {
        Some(team) => format!("/slack/install?redirect=1&team={}", team.as_str()),
        None => "/slack/install?redirect=1".to_owned(),
    }
}

impl app::lambda::HttpHandler for InstallHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        InstallHandler::handle(self, req).await
    }
}

/// Slack's authorize URL in the order the Slack SDK emits it:
/// `{url}?state=…&client_id=…&scope=a,b&user_scope=c,d&redirect_uri=…` (+ `&team=…`).
/// Scopes are joined by literal commas as Slack documents; every value is percent-encoded.
fn authorize_url(a: &Authorize, state: &str, team: Option<&TeamId>) -> String {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let join = |scopes: &[String]| scopes.iter().map(|s| enc(s)).collect::<Vec<_>>().join(",");
    let sep = if a.url.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{}{sep}state={}&client_id={}&scope={}&user_scope={}&redirect_uri={}",
        a.url,
        enc(state),
        enc(&a.client_id),
        join(&a.scopes),
        join(&a.user_scopes),
        enc(&a.redirect_uri),
    );
    if let Some(team) = team {
        url.push_str("&team=");
        url.push_str(team.as_str());
    }
    url
}

#[cfg(test)]
mod tests;
