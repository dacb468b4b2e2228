//! Cold-start wiring shared by the function binaries and `switchboard serve`: settings from the
//! environment and the backend they run on, built once and reused by every request.

use std::path::PathBuf;

use tenant::Backend;
use tenant::ports::JobConsumer;

/// A setting is missing or malformed. Names the variable, never its value.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("could not open the embedded backend: {0}")]
    Local(#[from] local::LocalError),
}

/// The app's Slack settings.
#[derive(Clone)]
pub struct SlackSettings {
    pub signing_secret: Option<String>,
    /// Web API base (`SLACK_API_URL`, default `https://slack.com/api`).
    pub api_url: String,
    /// Prefix every response_url must have (`SLACK_RESPONSE_URL_BASE`,
    /// default `https://hooks.slack.com/`).
    pub response_url_base: String,
}

impl std::fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSettings")
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("api_url", &self.api_url)
            .field("response_url_base", &self.response_url_base)
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl SlackSettings {
    pub fn from_env() -> Self {
        Self {
            signing_secret: var("SLACK_SIGNING_SECRET"),
            api_url: var("SLACK_API_URL").unwrap_or_else(|| "https://slack.com/api".into()),
            response_url_base: var("SLACK_RESPONSE_URL_BASE")
                .unwrap_or_else(|| "https://hooks.slack.com/".into()),
        }
    }

    /// The request verifier; fails if the signing secret is missing.
    pub fn verifier(&self) -> Result<slack::Verifier, WiringError> {
        let secret = self
            .signing_secret
            .as_deref()
            .ok_or(WiringError::Missing("SLACK_SIGNING_SECRET"))?;
        slack::Verifier::new(secret).map_err(|e| WiringError::Invalid {
            name: "SLACK_SIGNING_SECRET",
            reason: e.to_string(),
        })
    }

    /// The Web API client.
    pub fn web_api(&self) -> Result<slack::WebApi, WiringError> {
        slack::WebApi::new(&self.api_url, &self.response_url_base).map_err(|e| {
            WiringError::Invalid {
                name: "SLACK_API_URL",
                reason: e.to_string(),
            }
        })
    }
}

/// Where the embedded backend lives (`SWITCHBOARD_DATA_DIR`, default `./.switchboard`).
pub fn data_dir() -> PathBuf {
    var("SWITCHBOARD_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".switchboard"))
}

/// A backend and its queue's consumer side.
pub struct Wired {
    pub backend: Backend,
    pub consumer: std::sync::Arc<dyn JobConsumer>,
}

/// The embedded backend in `data_dir()`.
pub fn local_backend() -> Result<Wired, WiringError> {
    local_backend_at(&data_dir())
}

/// The embedded backend in `dir`.
pub fn local_backend_at(dir: &std::path::Path) -> Result<Wired, WiringError> {
    let local = local::LocalBackend::open(dir)?;
    Ok(Wired {
        backend: local.backend(),
        consumer: local.consumer(),
    })
}
