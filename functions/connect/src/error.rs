//! Why a connection did not happen, and the one mapping from that to a page.
//!
//! Each refusal says what to do next (usually: ask Slack for a new link), never a provider's
//! own message, a token, the link or the state. The cause is logged once, here.

use app::HttpResponse;
use app::connect_link::LinkError;
use app::pages::{self as page, Badge};
use connectors::oauth2::OAuthError;
use http::StatusCode;
use tracing::{error, warn};

/// What to run in Slack for a fresh link.
fn again(provider: &str) -> String {
    let what = match provider {
        "HubSpot" | "Salesforce" | "Pipedrive" => "crm".to_owned(),
        other => other.to_ascii_lowercase(),
    };
    format!("Run `/followup connect {what}` in Slack for a new link.")
}

/// The outcomes of /connect/{provider} and its callback other than success.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Not a route of ours (an unknown provider, or Fathom without its OAuth client).
    #[error("no such page")]
    NotFound,
    /// The provider's client, the link key or PUBLIC_BASE_URL is not configured.
    #[error("{0} connections are not configured")]
    NotConfigured(&'static str),
    #[error("no link parameter")]
    MissingLink,
    #[error(transparent)]
    Link(LinkError),
    /// A link for another provider than the page's.
    #[error("the link is for another provider")]
    LinkForOtherProvider,
    /// A workspace connection (a CRM) by a member who is not an admin.
    #[error("only an admin may connect the workspace's CRM")]
    NotAdmin,
    /// The link's workspace is not installed (or was uninstalled) or is paused.
    #[error("the workspace is not active")]
    TenantInactive { suspended: bool },
    /// `error=` from the provider (the user pressed Cancel).
    #[error("connection cancelled at the provider ({0})")]
    Cancelled(String),
    #[error("no state parameter")]
    MissingState,
    #[error("state was never issued here")]
    UnknownState,
    #[error("state expired")]
    ExpiredState,
    #[error("state was already used")]
    UsedState,
    #[error("no state cookie")]
    MissingCookie,
    #[error("state cookie does not match the state")]
    CookieMismatch,
    /// A valid state issued for something else: a Slack install, or another provider.
    #[error("state was issued for another flow")]
    WrongPurpose,
    #[error("no code parameter")]
    MissingCode,
    /// The provider refused the code (`invalid_grant`: spent, expired) or our client.
    #[error("the provider refused the code exchange")]
    Refused(#[source] OAuthError),
    /// The provider is down, slow or throttling.
    #[error("the provider could not be reached")]
    ProviderDown(#[source] OAuthError),
    /// The user unticked permissions Switchboard needs.
    #[error("the grant lacks {0} required scope(s)")]
    MissingScopes(usize),
    /// No refresh token: the grant would stop working within the hour.
    #[error("the grant has no refresh token")]
    NoRefreshToken,
    /// Our storage failed; nothing was connected.
    #[error("storage failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ConnectError {
    pub fn store(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(err))
    }

    /// A code-exchange failure: worth retrying later (outages, throttling) or not.
    pub fn exchange(err: OAuthError) -> Self {
        if err.is_retryable() {
            Self::ProviderDown(err)
        } else {
            Self::Refused(err)
        }
    }

    /// `error=` as the query carried it, made safe to log (printable ASCII, 64 characters).
    pub fn cancelled(raw: &str) -> Self {
        let text: String = raw
            .chars()
            .take(64)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        Self::Cancelled(text)
    }

    /// The page for this outcome, naming `provider` ("Google"). Logged here, once.
    pub fn into_response(self, provider: &str) -> HttpResponse {
        let (status, badge, title, message): (_, _, String, String) = match &self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                Badge::Error,
                "Page not found".into(),
                "There is nothing to connect here.".into(),
            ),
            Self::NotConfigured(what) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Badge::Warning,
                "Not configured yet".into(),
                format!(
                    "This Switchboard server cannot connect {what} accounts yet. Its operator \
                     needs to configure it (docs/followups.md)."
                ),
            ),
            Self::MissingLink | Self::Link(LinkError::Malformed) => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "This link is incomplete".into(),
                format!(
                    "The link you followed is not a whole connect link (it may have been cut \
                     when copied). Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::Link(LinkError::Forged) => (
                StatusCode::UNAUTHORIZED,
                Badge::Error,
                "This link is not valid".into(),
                format!(
                    "This connect link was not made by Switchboard for you, so nothing was \
                     connected. {}",
                    again(provider)
                ),
            ),
            Self::Link(LinkError::Expired) => (
                StatusCode::BAD_REQUEST,
                Badge::Warning,
                "This link has expired".into(),
                format!(
                    "Connect links work for 15 minutes. Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::LinkForOtherProvider => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "This link is for something else".into(),
                format!("Nothing was connected. {}", again(provider)),
            ),
            Self::NotAdmin => (
                StatusCode::FORBIDDEN,
                Badge::Error,
                "Only an admin can connect the CRM".into(),
                format!(
                    "{provider} is connected for the whole workspace, so a workspace admin \
                     connects it. Nothing was connected: ask one of your Slack admins to run \
                     `/followup connect crm`."
                ),
            ),
            Self::TenantInactive { suspended: true } => (
                StatusCode::FORBIDDEN,
                Badge::Warning,
                "Switchboard is paused in this workspace".into(),
                "Your workspace's administrator paused Switchboard, so nothing can be \
                 connected right now. Ask them when it will be back."
                    .into(),
            ),
            Self::TenantInactive { suspended: false } => (
                StatusCode::FORBIDDEN,
                Badge::Error,
                "Switchboard is not installed in this workspace".into(),
                "Nothing was connected. Ask your workspace's administrator to install \
                 Switchboard again."
                    .into(),
            ),
            Self::Cancelled(_) => (
                StatusCode::OK,
                Badge::Warning,
                "Connection cancelled".into(),
                format!(
                    "No problem: nothing was connected. {} whenever you are ready.",
                    again(provider).trim_end_matches('.')
                ),
            ),
            Self::MissingState | Self::UnknownState | Self::WrongPurpose => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "We don't recognise this connection".into(),
                format!(
                    "This connection was not started here. For your security nothing was \
                     connected. {}",
                    again(provider)
                ),
            ),
            Self::ExpiredState => (
                StatusCode::BAD_REQUEST,
                Badge::Warning,
                "This connection took too long".into(),
                format!(
                    "A connection must be finished within 10 minutes. Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::UsedState => (
                StatusCode::CONFLICT,
                Badge::Warning,
                "This connection was already used".into(),
                format!(
                    "Each connection works once. If you just connected {provider}, you are all \
                     set; otherwise: {}",
                    again(provider)
                ),
            ),
            Self::MissingCookie | Self::CookieMismatch => (
                StatusCode::FORBIDDEN,
                Badge::Error,
                "Please finish in the same browser".into(),
                format!(
                    "This connection was started in another browser (or cookies are blocked), \
                     so we could not confirm it was you. Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::MissingCode => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                format!("{provider} did not send an authorization"),
                format!("Nothing was connected. {}", again(provider)),
            ),
            Self::Refused(_) => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                format!("{provider} did not accept this connection"),
                format!(
                    "{provider} refused the authorization (it works once and for a few \
                     minutes). Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::ProviderDown(_) => (
                StatusCode::BAD_GATEWAY,
                Badge::Error,
                format!("We couldn't reach {provider}"),
                format!(
                    "{provider} did not answer in time. Nothing was connected. Try again in a \
                     minute: {}",
                    again(provider)
                ),
            ),
            Self::MissingScopes(_) => (
                StatusCode::BAD_REQUEST,
                Badge::Warning,
                "Switchboard needs every permission it asked for".into(),
                format!(
                    "Some permissions were unticked on {provider}'s consent screen. Switchboard \
                     only asks for what it uses (Gmail drafts and Calendar events), and needs \
                     all of it. Nothing was connected. {}",
                    again(provider)
                ),
            ),
            Self::NoRefreshToken => (
                StatusCode::BAD_GATEWAY,
                Badge::Error,
                format!("{provider} did not grant lasting access"),
                format!(
                    "Without it the connection would stop working within the hour, so nothing \
                     was connected. {}",
                    again(provider)
                ),
            ),
            Self::Store(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Badge::Error,
                "Something went wrong on our side".into(),
                format!(
                    "We could not save the connection, so nothing was connected. Please try \
                     again in a moment: {}",
                    again(provider)
                ),
            ),
        };
        if status.is_server_error() {
            error!(error = %app::ingress::chain(&self), status = status.as_u16(), "connect failed");
        } else {
            warn!(error = %self, status = status.as_u16(), "connect refused");
        }
        page::status_page(status, badge, &title, &message, None)
    }
}
