//! GET /connect/{provider}?link=… and GET /connect/{provider}/callback: a Slack user connects
//! their own account at a provider (Google for Gmail drafts and Calendar events; Fathom by
//! OAuth when `FATHOM_CLIENT_ID` is set).
//!
//! * The start verifies the signed link the app sent the user (`app::connect_link`: tenant,
//!   user, provider, 15 minutes) before anything is stored, checks the workspace is active,
//!   issues a single-use state bound to this browser's cookie AND to what the link names
//!   (`StatePurpose::Connect`), and redirects to the provider's consent screen.
//! * The callback checks the cookie before the state is consumed (a state lured into another
//!   browser is refused there and stays usable by its owner), consumes the state once, takes
//!   the tenant, user and provider from the state alone (never from its query), exchanges the
//!   code, refuses a grant without every scope asked for or without a refresh token, stores it
//!   as that user's credential, audits it, queues a Slack DM, and shows a success page.
//!
//! Handler shape as in the oauth function: parse, one flow, one mapping of [`ConnectError`]
//! to a page. The state cookie is cleared on every answer but a cookie mismatch.

mod callback;
mod error;
mod providers;
mod start;

use app::connect_link::LinkKey;
use app::oauth_cookie::CONNECT as COOKIE;
use app::wiring::SlackSettings;
use app::{Clock, HttpRequest, HttpResponse};
use http::{HeaderValue, header};
use tenant::service::{self, Resolved};
use tenant::{Backend, Provider, TenantId};
use url::Url;

pub use error::ConnectError;
pub use providers::{Flow, Providers};

/// The connect function's state, built once per cold start.
pub struct ConnectHandler {
    backend: Backend,
    /// `None` without a usable connect-link key (every page then answers 503).
    key: Option<LinkKey>,
    /// `PUBLIC_BASE_URL`; the callbacks are `{base}/connect/{provider}/callback`.
    base_url: Option<String>,
    providers: Providers,
    clock: Clock,
}

/// Which page a path is.
enum Page {
    Start,
    Callback,
}

impl ConnectHandler {
    pub fn new(
        backend: Backend,
        slack: &SlackSettings,
        providers: Providers,
        clock: Clock,
    ) -> Self {
        Self {
            backend,
            key: slack.checked_connect_link_key(),
            base_url: slack.install.public_base_url.clone(),
            providers,
            clock,
        }
    }

    /// Handles one request. Never panics on input; every outcome is a page or a redirect.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        let Some((segment, page)) = parse_path(req.uri().path()) else {
            return ConnectError::NotFound.into_response("Switchboard");
        };
        let (provider, flow) = match self.providers.route(segment) {
            Ok(found) => found,
            Err(()) => return ConnectError::NotFound.into_response("Switchboard"),
        };
        let name = flow.map_or(display_name(provider), |f| f.name);
        let result = match (flow, self.key.as_ref(), self.redirect_uri(provider)) {
            (Some(flow), Some(key), Some(redirect)) => match page {
                Page::Start => self.start(flow, key, &redirect, &req).await,
                Page::Callback => self.callback(flow, &redirect, &req).await,
            },
            _ => Err(ConnectError::NotConfigured(name)),
        };
        let (mut res, clear) = match result {
            Ok(res) => (res, matches!(page, Page::Callback)),
            // Another browser's connection, which this refusal did not touch.
            Err(err @ ConnectError::CookieMismatch) => (err.into_response(name), false),
            Err(err) => (err.into_response(name), true),
        };
        if clear && let Ok(value) = HeaderValue::try_from(COOKIE.clear()) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
        res
    }

    /// `{PUBLIC_BASE_URL}/connect/{provider}/callback`: sent with the authorize step and again,
    /// byte for byte, with the exchange.
    fn redirect_uri(&self, provider: Provider) -> Option<Url> {
        let base = self.base_url.as_deref()?.trim_end_matches('/');
        Url::parse(&format!("{base}/connect/{}/callback", provider.as_str())).ok()
    }

    /// A workspace connection (a CRM) is an admin's to make: checked when it starts and again
    /// when it lands (an admin demoted in between connects nothing).
    async fn check_admin(
        &self,
        tenant: &TenantId,
        user: &tenant::UserId,
    ) -> Result<(), ConnectError> {
        let member = self
            .backend
            .members
            .get_member(tenant, user)
            .await
            .map_err(ConnectError::store)?;
        match member {
            Some(m) if m.role == tenant::ports::Role::Admin => Ok(()),
            _ => Err(ConnectError::NotAdmin),
        }
    }

    /// The link's (or state's) workspace must be installed and active.
    async fn check_tenant(&self, tenant: &TenantId) -> Result<(), ConnectError> {
        match service::resolve(&self.backend, tenant)
            .await
            .map_err(ConnectError::store)?
        {
            Resolved::Active(_) => Ok(()),
            Resolved::Suspended(_) => Err(ConnectError::TenantInactive { suspended: true }),
            Resolved::NotInstalled => Err(ConnectError::TenantInactive { suspended: false }),
        }
    }
}

impl app::lambda::HttpHandler for ConnectHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        ConnectHandler::handle(self, req).await
    }
}

fn display_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Fathom => "Fathom",
        Provider::Hubspot => "HubSpot",
        Provider::Salesforce => "Salesforce",
        Provider::Pipedrive => "Pipedrive",
        _ => "Google",
    }
}

/// `/connect/{provider}` or `/connect/{provider}/callback` (one trailing `/` tolerated).
fn parse_path(path: &str) -> Option<(&str, Page)> {
    let rest = path.strip_prefix("/connect/")?.trim_end_matches('/');
    match rest.split_once('/') {
        None if !rest.is_empty() => Some((rest, Page::Start)),
        Some((provider, "callback")) if !provider.is_empty() => Some((provider, Page::Callback)),
        _ => None,
    }
}

/// The query of either page, each value optional.
#[derive(Debug, Default, serde::Deserialize)]
struct Query {
    link: Option<String>,
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl Query {
    fn of(req: &HttpRequest) -> Self {
        req.uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default()
    }
}

/// A value that is present and not empty.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_crm;
