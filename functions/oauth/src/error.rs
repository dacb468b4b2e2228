//! Why a redirect did not end in an install, and the one mapping from that to a page.
//!
//! Every refusal has its own page and status, so a user (and support) can tell "you took too
//! long" from "this link was opened in another browser". Pages never show a cause chain, a
//! token or the state; the cause is logged once, here.

use app::HttpResponse;
use app::pages::{self as page, Badge};
use http::StatusCode;
use slack::SlackApiError;
use tenant::service::TenantError;
use tracing::{error, warn};

/// The outcomes of GET /slack/oauth_redirect other than success.
#[derive(Debug, thiserror::Error)]
pub enum RedirectError {
    /// `error=` (the user pressed Cancel, or Slack refused): not a failure of ours.
    #[error("install cancelled in Slack ({0})")]
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
    #[error("no code parameter")]
    MissingCode,
    /// Slack answered `ok:false` to the code exchange (`invalid_code`, ...).
    #[error("Slack refused the code exchange: {0}")]
    Refused(String),
    /// The exchange succeeded but granted no bot token, or named no workspace/org.
    #[error("Slack's answer lacks {0}")]
    Incomplete(&'static str),
    /// Slack could not be reached or failed (exchange or auth.test).
    #[error("Slack call failed")]
    Slack(#[source] SlackApiError),
    /// Our storage failed; the install was rolled back.
    #[error("could not store the install")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Client id/secret or PUBLIC_BASE_URL missing.
    #[error("OAuth is not configured")]
    NotConfigured,
}

/// The most of Slack's `error=` text that is kept (its codes are short snake_case words).
const MAX_ERROR_TEXT: usize = 64;

impl RedirectError {
    /// `error=` as the query carried it, made safe to log: at most [`MAX_ERROR_TEXT`]
    /// characters, each a printable ASCII character other than a space (anything else becomes
    /// `?`), so a crafted link cannot forge log lines or flood them.
    pub fn cancelled(raw: &str) -> Self {
        let mut text: String = raw
            .chars()
            .take(MAX_ERROR_TEXT)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        if raw.chars().nth(MAX_ERROR_TEXT).is_some() {
            text.push_str("...");
        }
        Self::Cancelled(text)
    }

    pub fn store(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(err))
    }

    /// Slack errors: `ok:false` is Slack's verdict on this code (4xx page), the rest is
    /// Slack or the network being unavailable (5xx page).
    pub fn from_slack(err: SlackApiError) -> Self {
        match err {
            SlackApiError::Api { error } => Self::Refused(error),
            SlackApiError::Auth(code) => Self::Refused(code.to_string()),
            other => Self::Slack(other),
        }
    }

    pub fn from_tenant(err: TenantError) -> Self {
        Self::store(err)
    }

    /// The page for this outcome. Logged here, once, with the cause chain for 5xx.
    pub fn into_response(self) -> HttpResponse {
        const RESTART: Option<(&str, &str)> =
            Some(("Start the installation again", "/slack/install"));
        let (status, badge, title, message, action): (_, _, &str, String, _) = match &self {
            Self::Cancelled(_) => (
                StatusCode::OK,
                Badge::Warning,
                "Installation cancelled",
                "No problem: nothing was installed and nothing was stored. You can add \
                 Switchboard whenever you are ready."
                    .into(),
                Some(("Back to Switchboard", "/slack/install")),
            ),
            Self::MissingState => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "This link is incomplete",
                "The page Slack sent you back to is missing its security check. Please start \
                 the installation from the Switchboard page."
                    .into(),
                RESTART,
            ),
            Self::UnknownState => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "We don't recognise this installation",
                "This installation was not started here. For your security nothing was \
                 installed; please start again from the Switchboard page."
                    .into(),
                RESTART,
            ),
            Self::ExpiredState => (
                StatusCode::BAD_REQUEST,
                Badge::Warning,
                "This installation link has expired",
                "Installation links are valid for 10 minutes. Nothing was installed; please \
                 start again."
                    .into(),
                RESTART,
            ),
            Self::UsedState => (
                StatusCode::CONFLICT,
                Badge::Warning,
                "This installation link was already used",
                "Each installation link works once. If you just installed Switchboard, you are \
                 all set; otherwise please start again."
                    .into(),
                RESTART,
            ),
            Self::MissingCookie => (
                StatusCode::FORBIDDEN,
                Badge::Error,
                "Please finish in the same browser",
                "This installation was started in a different browser (or cookies are blocked), \
                 so we could not confirm it was you. Nothing was installed."
                    .into(),
                RESTART,
            ),
            Self::CookieMismatch => (
                StatusCode::FORBIDDEN,
                Badge::Error,
                "This installation belongs to another session",
                "The installation you came back from was not started in this browser session. \
                 For your security nothing was installed."
                    .into(),
                RESTART,
            ),
            Self::MissingCode => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "Slack did not send an authorization",
                "Slack sent you back without an authorization code. Nothing was installed; \
                 please try again."
                    .into(),
                RESTART,
            ),
            Self::Refused(code) => (
                StatusCode::BAD_REQUEST,
                Badge::Error,
                "Slack did not accept this installation",
                format!(
                    "Slack refused the authorization (error: {code}). Codes are valid once and \
                     for 10 minutes; please start again."
                ),
                RESTART,
            ),
            Self::Incomplete(_) => (
                StatusCode::BAD_GATEWAY,
                Badge::Error,
                "Slack's answer was incomplete",
                "Slack did not grant what Switchboard needs. Nothing was installed; please try \
                 again, and make sure to allow the bot permissions."
                    .into(),
                RESTART,
            ),
            Self::Slack(_) => (
                StatusCode::BAD_GATEWAY,
                Badge::Error,
                "We couldn't reach Slack",
                "Slack did not answer in time. Nothing was installed; please try again in a \
                 moment."
                    .into(),
                RESTART,
            ),
            Self::Store(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Badge::Error,
                "Something went wrong on our side",
                "We could not save your installation, so nothing was installed. Please try \
                 again in a moment."
                    .into(),
                RESTART,
            ),
            Self::NotConfigured => (
                StatusCode::SERVICE_UNAVAILABLE,
                Badge::Warning,
                "Not configured yet",
                "This Switchboard server has no Slack app credentials yet. Its operator needs \
                 to set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and PUBLIC_BASE_URL."
                    .into(),
                None,
            ),
        };
        if status.is_server_error() {
            error!(error = %app::ingress::chain(&self), status = status.as_u16(), "install failed");
        } else {
            warn!(error = %self, status = status.as_u16(), "install redirect refused");
        }
        page::status_page(status, badge, title, &message, action)
    }
}
