//! Cold-start wiring shared by the function binaries and `switchboard serve`: settings from the
//! environment and the backend they run on, built once and reused by every request.

use std::path::PathBuf;
use std::sync::Arc;

use tenant::ports::JobConsumer;
use tenant::{Backend, Secret};
use tracing::{error, warn};

use crate::clock::Clock;
use crate::refreshing::{NotConfigured, RefreshPolicy, Refreshing, gate};
use crate::secrets::{self, SecretSource, SecretValues, SecretsManagerSource, WeakSecret};

/// A setting is missing or malformed. Names the variable, never its value.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[cfg(feature = "embedded")]
    #[error("could not open the embedded backend: {0}")]
    Local(#[from] local::LocalError),
    #[error("this build has no embedded backend (built without the `embedded` feature)")]
    NoEmbeddedBackend,
    #[error("AWS backend: {0}")]
    Aws(#[from] aws::ConfigError),
    /// A secret is not usable: the placeholder rule of [`crate::secrets`].
    #[error("{name} is not usable: {reason}")]
    Weak {
        name: &'static str,
        reason: WeakSecret,
    },
    #[error("could not read the app's secrets: {0}")]
    SecretSource(String),
}

/// Where the signing secret comes from, as the error names it.
const SIGNING_SECRET: &str = "the signing secret (SLACK_SIGNING_SECRET or SIGNING_SECRET_ARN)";
/// Where the admin key comes from, as the log names it.
const ADMIN_KEY: &str = "the admin API key (ADMIN_API_KEY or ADMIN_KEY_ARN)";
/// Where the connect-link key comes from, as the log names it.
const CONNECT_LINK_KEY: &str = "the connect-link key (CONNECT_LINK_KEY or CONNECT_LINK_KEY_ARN)";

/// The app's Slack settings.
#[derive(Clone)]
pub struct SlackSettings {
    pub signing_secret: Option<String>,
    /// Web API base (`SLACK_API_URL`, default `https://slack.com/api`).
    pub api_url: String,
    /// Prefix every response_url must have (`SLACK_RESPONSE_URL_BASE`,
    /// default `https://hooks.slack.com/`).
    pub response_url_base: String,
    /// OAuth client id (`SLACK_CLIENT_ID`; on AWS the `SlackClientId` parameter: not a secret).
    pub client_id: Option<String>,
    /// OAuth client secret (`SLACK_CLIENT_SECRET`, or on AWS the secret at `CLIENT_SECRET_ARN`).
    pub client_secret: Option<Secret>,
    /// The install flow: scopes, Slack's authorize URL, our public base URL.
    pub install: InstallSettings,
    /// The operator API's bearer key (`ADMIN_API_KEY`, or the secret at `ADMIN_KEY_ARN` on
    /// AWS). Not a Slack setting, but carried here because these settings are what wiring hands
    /// every process. `None`: the admin API answers 503.
    pub admin_api_key: Option<Secret>,
    /// The key connect links are signed with (`CONNECT_LINK_KEY`, the secret at
    /// `CONNECT_LINK_KEY_ARN` on AWS, or serve's key file in the data directory). Carried
    /// here for the same reason. `None`: no links are made and `/connect` answers 503.
    pub connect_link_key: Option<Secret>,
    /// The platform's Anthropic key for follow-up drafts (`ANTHROPIC_API_KEY`, or the secret
    /// at `ANTHROPIC_KEY_ARN` on AWS, which only the worker may read). `None`: follow-up
    /// jobs answer "not configured".
    pub anthropic_api_key: Option<Secret>,
    /// The Google and Fathom OAuth client secrets (`GOOGLE_CLIENT_SECRET`,
    /// `FATHOM_CLIENT_SECRET`, or the secrets at `GOOGLE_CLIENT_SECRET_ARN` and
    /// `FATHOM_CLIENT_SECRET_ARN` on AWS): see [`SlackSettings::provider_lookup`].
    pub google_client_secret: Option<Secret>,
    pub fathom_client_secret: Option<Secret>,
    /// The CRMs' OAuth client secrets as one JSON object by variable name (the secret at
    /// `CRM_CLIENT_SECRETS_ARN` on AWS); locally `HUBSPOT_CLIENT_SECRET` & co. are read from
    /// the environment instead. See [`SlackSettings::provider_lookup`].
    pub crm_client_secrets: Option<Secret>,
}

/// The variables [`SlackSettings::crm_client_secrets`] may hold.
const CRM_CLIENT_SECRETS: [&str; 3] = [
    "HUBSPOT_CLIENT_SECRET",
    "SALESFORCE_CLIENT_SECRET",
    "PIPEDRIVE_CLIENT_SECRET",
];

impl std::fmt::Debug for SlackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSettings")
            .field(
                "signing_secret",
                &self.signing_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("api_url", &self.api_url)
            .field("response_url_base", &self.response_url_base)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("install", &self.install)
            .field(
                "admin_api_key",
                &self.admin_api_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "connect_link_key",
                &self.connect_link_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "anthropic_api_key",
                &self.anthropic_api_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "google_client_secret",
                &self.google_client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "fathom_client_secret",
                &self.fathom_client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "crm_client_secrets",
                &self.crm_client_secrets.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The CRM client secrets of the JSON object `raw` holds (a malformed one is logged, without
/// its value, and counts as none: the CRMs' OAuth is then "not configured").
fn crm_secrets(raw: Option<&Secret>) -> Vec<(String, Secret)> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    match serde_json::from_str::<std::collections::BTreeMap<String, String>>(raw.expose()) {
        Ok(map) => map
            .into_iter()
            .filter(|(name, value)| {
                CRM_CLIENT_SECRETS.contains(&name.as_str())
                    && crate::secrets::check_not_placeholder(value).is_ok()
            })
            .map(|(name, value)| (name, Secret::new(value)))
            .collect(),
        Err(_) => {
            tracing::error!(
                "the CRM client secrets are not a JSON object of strings: CRM OAuth is off"
            );
            Vec::new()
        }
    }
}

/// The monthly follow-up table (`FOLLOWUP_QUOTAS`, defaults when unset).
pub fn followup_quotas_from_env() -> Result<tenant::FollowupQuotas, WiringError> {
    match var("FOLLOWUP_QUOTAS") {
        None => Ok(tenant::FollowupQuotas::default()),
        Some(spec) => tenant::FollowupQuotas::parse(&spec).map_err(|e| WiringError::Invalid {
            name: "FOLLOWUP_QUOTAS",
            reason: e.to_string(),
        }),
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
            client_id: var("SLACK_CLIENT_ID"),
            client_secret: var("SLACK_CLIENT_SECRET").map(Secret::new),
            install: InstallSettings::from_env(),
            admin_api_key: var("ADMIN_API_KEY").map(Secret::new),
            connect_link_key: var("CONNECT_LINK_KEY").map(Secret::new),
            anthropic_api_key: var("ANTHROPIC_API_KEY").map(Secret::new),
            google_client_secret: var("GOOGLE_CLIENT_SECRET").map(Secret::new),
            fathom_client_secret: var("FATHOM_CLIENT_SECRET").map(Secret::new),
            crm_client_secrets: None,
        }
    }

    /// These settings with the secrets a source read filled in where the environment left
    /// them unset (a variable set in the environment wins).
    pub fn with_values(&self, values: &SecretValues) -> Self {
        let mut merged = self.clone();
        if merged.signing_secret.is_none() {
            merged.signing_secret = values
                .signing_secret
                .as_ref()
                .map(|s| s.expose().to_owned());
        }
        if merged.client_secret.is_none() {
            merged.client_secret = values.client_secret.clone();
        }
        if merged.admin_api_key.is_none() {
            merged.admin_api_key = values.admin_api_key.clone();
        }
        if merged.connect_link_key.is_none() {
            merged.connect_link_key = values.connect_link_key.clone();
        }
        // The template creates these with `replace-me` for the operator to fill: a
        // placeholder counts as unset (the feature says "not configured").
        let real = |s: &Option<Secret>| {
            s.clone()
                .filter(|k| crate::secrets::check_not_placeholder(k.expose()).is_ok())
        };
        if merged.anthropic_api_key.is_none() {
            merged.anthropic_api_key = real(&values.anthropic_api_key);
        }
        if merged.google_client_secret.is_none() {
            merged.google_client_secret = real(&values.google_client_secret);
        }
        if merged.fathom_client_secret.is_none() {
            merged.fathom_client_secret = real(&values.fathom_client_secret);
        }
        // A JSON object (with spaces, and `replace-me` for each CRM not configured): its
        // values are checked one by one in `crm_secrets`.
        if merged.crm_client_secrets.is_none() {
            merged.crm_client_secrets = values.crm_client_secrets.clone();
        }
        merged
    }

    /// The providers' settings as the connectors read them: the environment, with the OAuth
    /// client secrets (`GOOGLE_CLIENT_SECRET`, `FATHOM_CLIENT_SECRET`, and the CRMs' from the
    /// one JSON secret) from these settings, so that on AWS they come from their app secrets
    /// and follow a rotation like the others.
    pub fn provider_lookup(&self) -> impl Fn(&str) -> Option<String> + Clone + use<> {
        let google = self.google_client_secret.clone();
        let fathom = self.fathom_client_secret.clone();
        let crm = crm_secrets(self.crm_client_secrets.as_ref());
        move |name: &str| {
            let secret = match name {
                "GOOGLE_CLIENT_SECRET" => &google,
                "FATHOM_CLIENT_SECRET" => &fathom,
                crm_name if CRM_CLIENT_SECRETS.contains(&crm_name) => {
                    return crm
                        .iter()
                        .find(|(n, _)| n == crm_name)
                        .map(|(_, v)| v.expose().to_owned())
                        .or_else(|| var(crm_name));
                }
                _ => return var(name),
            };
            secret.as_ref().map(|s| s.expose().to_owned())
        }
    }

    /// The connect-link key if it passes the rule of [`crate::secrets`]; a weak one is logged
    /// and treated as unset (whoever could guess it could connect any account to any user).
    pub fn checked_connect_link_key(&self) -> Option<crate::connect_link::LinkKey> {
        let key = self.connect_link_key.clone()?;
        match crate::connect_link::LinkKey::new(key) {
            Ok(key) => Some(key),
            Err(reason) => {
                error!(
                    error = %WiringError::Weak { name: CONNECT_LINK_KEY, reason },
                    "no connect links are made and /connect answers 503 until the key is fixed"
                );
                None
            }
        }
    }

    /// What connect links are made with: the key and `PUBLIC_BASE_URL`, when both are set.
    pub fn connect_links(&self) -> Option<crate::connect_link::ConnectLinks> {
        let base = self.install.public_base_url.as_deref()?;
        Some(crate::connect_link::ConnectLinks::new(
            base,
            self.checked_connect_link_key()?,
        ))
    }

    /// The request verifier. Fails if the signing secret is missing or fails the rule of
    /// [`crate::secrets`] (a placeholder such as `replace-me`, shorter than 32 characters, ...):
    /// a guessable secret would let anyone forge Slack's requests.
    pub fn verifier(&self) -> Result<slack::Verifier, WiringError> {
        let secret = self
            .signing_secret
            .as_deref()
            .ok_or(WiringError::Missing(SIGNING_SECRET))?;
        secrets::check_strong(secret).map_err(|reason| WiringError::Weak {
            name: SIGNING_SECRET,
            reason,
        })?;
        slack::Verifier::new(secret).map_err(|e| WiringError::Invalid {
            name: SIGNING_SECRET,
            reason: e.to_string(),
        })
    }

    /// The operator API's key if it passes the rule of [`crate::secrets`]; a weak one is
    /// logged and treated as unset, so `/admin` answers 503 rather than open to a guess.
    pub fn checked_admin_api_key(&self) -> Option<&Secret> {
        let key = self.admin_api_key.as_ref()?;
        match secrets::check_strong(key.expose()) {
            Ok(()) => Some(key),
            Err(reason) => {
                error!(
                    error = %WiringError::Weak { name: ADMIN_KEY, reason },
                    "the admin API answers 503 until the key is fixed (docs/deploy.md)"
                );
                None
            }
        }
    }

    /// The OAuth client (token refresh, code exchange), when client id and secret are set. A
    /// placeholder client secret counts as unset (logged).
    pub fn oauth_client(&self) -> Result<Option<slack::oauth::OAuthClient>, WiringError> {
        let (Some(id), Some(secret)) = (&self.client_id, &self.client_secret) else {
            return Ok(None);
        };
        if let Err(reason) = secrets::check_not_placeholder(secret.expose()) {
            warn!(
                error = %WiringError::Weak { name: "the OAuth client secret (SLACK_CLIENT_SECRET or CLIENT_SECRET_ARN)", reason },
                "OAuth is not configured: installs answer 503 and rotating tokens are not refreshed"
            );
            return Ok(None);
        }
        slack::oauth::OAuthClient::new(&self.api_url, id, secret.clone())
            .map(Some)
            .map_err(|e| WiringError::Invalid {
                name: "SLACK_API_URL",
                reason: e.to_string(),
            })
    }

    /// A Web API client whose every call ends within `timeout` (the commands function's, for
    /// views.open inside Slack's 3 s).
    pub fn web_api_with_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> Result<slack::WebApi, WiringError> {
        slack::WebApi::with_timeout(&self.api_url, &self.response_url_base, timeout).map_err(|e| {
            WiringError::Invalid {
                name: "SLACK_API_URL",
                reason: e.to_string(),
            }
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

/// Slack's authorize URL (slack.md 2.1).
pub const DEFAULT_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";

/// The bot scopes asked for when `SLACK_SCOPES` is unset: the same list as the app manifest
/// (`switchboard manifest`, `infra/switchboard/src/manifest.rs`), which the install must match.
pub const DEFAULT_BOT_SCOPES: &[&str] = &[
    "app_mentions:read",
    // Reading back the app's own recent messages in a thread, channel or DM, to find the
    // metadata marker of a post whose outcome a crash or timeout left unknown (no double posts;
    // docs/security.md).
    "channels:history",
    "chat:write",
    "commands",
    "groups:history",
    "im:history",
    "im:write",
    "mpim:history",
    "users:read",
];

/// Settings of the install flow (GET /slack/install and /slack/oauth_redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSettings {
    /// Bot scopes (`SLACK_SCOPES`, comma-separated; default [`DEFAULT_BOT_SCOPES`]).
    pub scopes: Vec<String>,
    /// User scopes for the installer's own token (`SLACK_USER_SCOPES`; default none).
    pub user_scopes: Vec<String>,
    /// `SLACK_AUTHORIZE_URL`, default [`DEFAULT_AUTHORIZE_URL`] (GovSlack and tests change it).
    pub authorize_url: String,
    /// Where browsers reach this app (`PUBLIC_BASE_URL`, e.g. `https://abc.execute-api...`);
    /// the OAuth redirect_uri is `{PUBLIC_BASE_URL}/slack/oauth_redirect`. Without it the
    /// install routes answer 503.
    pub public_base_url: Option<String>,
}

impl Default for InstallSettings {
    fn default() -> Self {
        Self {
            scopes: DEFAULT_BOT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            user_scopes: Vec::new(),
            authorize_url: DEFAULT_AUTHORIZE_URL.to_owned(),
            public_base_url: None,
        }
    }
}

impl InstallSettings {
    pub fn from_env() -> Self {
        let defaults = Self::default();
        Self {
            scopes: var("SLACK_SCOPES")
                .map(|raw| slack::oauth::split_scopes(&raw))
                .unwrap_or(defaults.scopes),
            user_scopes: var("SLACK_USER_SCOPES")
                .map(|raw| slack::oauth::split_scopes(&raw))
                .unwrap_or_default(),
            authorize_url: var("SLACK_AUTHORIZE_URL").unwrap_or(defaults.authorize_url),
            public_base_url: var("PUBLIC_BASE_URL")
                .map(|u| u.trim().trim_end_matches('/').to_owned()),
        }
    }

    /// `{PUBLIC_BASE_URL}/slack/oauth_redirect`, when the base URL is set.
    pub fn redirect_uri(&self) -> Option<String> {
        self.public_base_url
            .as_deref()
            .map(|base| format!("{}/slack/oauth_redirect", base.trim_end_matches('/')))
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
    sessions: SessionsSource,
}

/// Where [`Wired::sessions`] and [`Wired::crm_directory`] come from. The AWS stores are built
/// only when asked for, so the functions that never ask do not link them.
enum SessionsSource {
    /// Boxed: one per process, and the variants stay small.
    Aws(Box<aws::AwsBackend>),
    /// The embedded backend's (built with it; not in the Lambda packages).
    #[cfg(feature = "embedded")]
    Ready(
        std::sync::Arc<dyn followup::Sessions>,
        std::sync::Arc<dyn followup::ports::CrmDirectory>,
    ),
}

impl Wired {
    /// The follow-up session store (the follow-up domain's, not the tenant crate's `Backend`).
    /// `None` where a backend has none (every backend here has one).
    pub fn sessions(&self) -> Option<std::sync::Arc<dyn followup::Sessions>> {
        Some(match &self.sessions {
            SessionsSource::Aws(adapters) => adapters.sessions(),
            #[cfg(feature = "embedded")]
            SessionsSource::Ready(sessions, _) => sessions.clone(),
        })
    }

    /// The CRM directory (connections, default, account mappings), built on demand on AWS
    /// like [`Self::sessions`].
    pub fn crm_directory(&self) -> std::sync::Arc<dyn followup::ports::CrmDirectory> {
        match &self.sessions {
            SessionsSource::Aws(adapters) => adapters.crm_directory(),
            #[cfg(feature = "embedded")]
            SessionsSource::Ready(_, directory) => directory.clone(),
        }
    }
}

/// Which adapters a process runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// The embedded backend in `SWITCHBOARD_DATA_DIR`.
    Local,
    /// DynamoDB, Secrets Manager + KMS and SQS, named by the environment (`aws::AwsConfig`).
    Aws,
}

impl BackendChoice {
    /// `SWITCHBOARD_BACKEND` (`local` or `aws`) if set; otherwise AWS on Lambda and local
    /// elsewhere.
    pub fn from_env() -> Result<Self, WiringError> {
        match var("SWITCHBOARD_BACKEND").as_deref().map(str::trim) {
            Some("aws") => Ok(Self::Aws),
            Some("local") => Ok(Self::Local),
            Some(other) => Err(WiringError::Invalid {
                name: "SWITCHBOARD_BACKEND",
                reason: format!("`{other}` is neither `local` nor `aws`"),
            }),
            None if var("AWS_LAMBDA_FUNCTION_NAME").is_some() => Ok(Self::Aws),
            None => Ok(Self::Local),
        }
    }
}

/// The app's settings from the environment, and where its secrets are re-read from on AWS.
pub struct AppSecrets {
    base: SlackSettings,
    source: Option<Arc<dyn SecretSource>>,
}

impl AppSecrets {
    /// Settings that never change (the environment, tests): nothing is re-read.
    pub fn fixed(settings: SlackSettings) -> Self {
        Self {
            base: settings,
            source: None,
        }
    }

    /// Settings from the environment, with the secrets `source` holds filled in.
    pub fn with_source(base: SlackSettings, source: Arc<dyn SecretSource>) -> Self {
        Self {
            base,
            source: Some(source),
        }
    }

    /// What the environment says, before any secret is read (the install function needs
    /// nothing else).
    pub fn environment(&self) -> &SlackSettings {
        &self.base
    }

    /// Reads the secrets once (`switchboard serve`, which does not re-read them).
    pub async fn read_once(self) -> Result<SlackSettings, WiringError> {
        let Some(source) = &self.source else {
            return Ok(self.base);
        };
        let values = source
            .read()
            .await
            .map_err(|e| WiringError::SecretSource(crate::ingress::chain(e.as_ref())))?;
        Ok(self.base.with_values(&values))
    }

    /// The events and commands functions' handler: built from a verifier of the signing
    /// secret, or answering 503 (logged once per build) when the secret is missing or fails
    /// the rule of [`crate::secrets`].
    pub async fn verified<H: Send + Sync + 'static>(
        self,
        function: &'static str,
        build: impl Fn(slack::Verifier) -> H + Send + Sync + 'static,
    ) -> Refreshing<Result<H, NotConfigured>> {
        self.refreshing(move |slack| gate(function, slack.verifier().map(&build)))
            .await
    }

    /// A handler (or worker) built from the settings now, and rebuilt when a re-read every
    /// [`RefreshPolicy::max_age`] finds the secrets changed: what each function's `main` runs.
    pub async fn refreshing<T: Send + Sync + 'static>(
        self,
        build: impl Fn(&SlackSettings) -> T + Send + Sync + 'static,
    ) -> Refreshing<T> {
        Refreshing::start(
            self.base,
            self.source,
            Clock::system(),
            RefreshPolicy::default(),
            build,
        )
        .await
    }
}

/// Everything a process needs, built once per cold start: the backend, the settings, and on
/// AWS where the app's secrets are read from. Each function's role may read only its own
/// secret (template.yaml sets `SIGNING_SECRET_ARN`, `CLIENT_SECRET_ARN` or `ADMIN_KEY_ARN`); a
/// value set in the environment (`SLACK_SIGNING_SECRET`, ...) wins and that secret is not read.
/// Reading happens in [`AppSecrets::refreshing`] or [`AppSecrets::read_once`], so a missing or
/// unreadable secret never fails the cold start: the function answers 503 and logs why.
pub async fn wire(choice: BackendChoice) -> Result<(Wired, AppSecrets), WiringError> {
    let base = SlackSettings::from_env();
    match choice {
        BackendChoice::Local => {
            let mut base = base;
            if base.connect_link_key.is_none() {
                base.connect_link_key = local_connect_link_key()?;
            }
            Ok((local_backend()?, AppSecrets::fixed(base)))
        }
        BackendChoice::Aws => {
            let config = aws::AwsConfig::from_env()?;
            let sdk = config.load_sdk_config().await;
            let adapters = aws::AwsBackend::new(&config, &sdk);
            let wired = Wired {
                backend: adapters.backend(),
                consumer: adapters.consumer(),
                sessions: SessionsSource::Aws(Box::new(adapters.clone())),
            };
            let mut arns = config.app_secrets.clone();
            if base.signing_secret.is_some() {
                arns.signing_secret = None;
            }
            if base.client_secret.is_some() {
                arns.client_secret = None;
            }
            if base.admin_api_key.is_some() {
                arns.admin_api_key = None;
            }
            if base.connect_link_key.is_some() {
                arns.connect_link_key = None;
            }
            if base.anthropic_api_key.is_some() {
                arns.anthropic_api_key = None;
            }
            if base.google_client_secret.is_some() {
                arns.google_client_secret = None;
            }
            if base.fathom_client_secret.is_some() {
                arns.fathom_client_secret = None;
            }
            if base.crm_client_secrets.is_some() {
                arns.crm_client_secrets = None;
            }
            let secrets = if arns == aws::AppSecretArns::default() {
                AppSecrets::fixed(base)
            } else {
                let source = SecretsManagerSource::new(adapters.secrets_client().clone(), arns);
                AppSecrets::with_source(base, Arc::new(source))
            };
            Ok((wired, secrets))
        }
    }
}

/// Only the OAuth state store and the plain settings, for the install function: it holds no
/// secret (so no app secret is read) and uses no other port (so none is built or linked).
pub async fn wire_oauth_states_from_env()
-> Result<(Arc<dyn tenant::ports::OAuthStates>, SlackSettings), WiringError> {
    let settings = SlackSettings::from_env();
    let states = match BackendChoice::from_env()? {
        BackendChoice::Local => local_backend()?.backend.oauth_states,
        BackendChoice::Aws => {
            let config = aws::AwsConfig::from_env()?;
            aws::oauth_states(&config, &config.load_sdk_config().await)
        }
    };
    Ok((states, settings))
}

/// [`wire`] with [`BackendChoice::from_env`]: what every other function's `main` calls.
pub async fn wire_from_env() -> Result<(Wired, AppSecrets), WiringError> {
    wire(BackendChoice::from_env()?).await
}

/// The connect-link key of the embedded backend in `data_dir()` (created on first use), so
/// that `serve` makes links without any setting and they survive a restart.
#[cfg(feature = "embedded")]
fn local_connect_link_key() -> Result<Option<Secret>, WiringError> {
    Ok(Some(local::connect_link_key(&data_dir())?))
}

#[cfg(not(feature = "embedded"))]
fn local_connect_link_key() -> Result<Option<Secret>, WiringError> {
    Ok(None)
}

/// The embedded backend in `data_dir()`.
#[cfg(not(feature = "embedded"))]
pub fn local_backend() -> Result<Wired, WiringError> {
    Err(WiringError::NoEmbeddedBackend)
}

/// The embedded backend in `data_dir()`.
#[cfg(feature = "embedded")]
pub fn local_backend() -> Result<Wired, WiringError> {
    local_backend_at(&data_dir())
}

/// The embedded backend in `dir`.
#[cfg(feature = "embedded")]
pub fn local_backend_at(dir: &std::path::Path) -> Result<Wired, WiringError> {
    let local = local::LocalBackend::open(dir)?;
    Ok(Wired {
        backend: local.backend(),
        consumer: local.consumer(),
        sessions: SessionsSource::Ready(local.sessions(), local.crm_directory()),
    })
}
