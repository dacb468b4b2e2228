//! Configuration of the local operator tool, from the environment (and `.env`, which main loads
//! first). Every variable is documented in `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::wiring::{BackendChoice, SlackSettings};

/// Where the embedded backend keeps its files (`SWITCHBOARD_DATA_DIR`, default `./.switchboard`).
pub fn data_dir() -> PathBuf {
    app::wiring::data_dir()
}

/// Printed by `serve` when Slack credentials are missing: the server still starts.
pub const MISSING_SLACK_HELP: &str = "\
SLACK_SIGNING_SECRET is not set, so Slack requests will be answered 503 until you set it.
To connect a Slack app:
  1. switchboard manifest --base-url https://<your-tunnel>  (create the app from this manifest)
  2. put its Signing Secret in .env as SLACK_SIGNING_SECRET=...
  3. install it to your workspace and import the bot token:
     switchboard tenant add --team T... --bot-token xoxb-...
See .env.example for every setting.";

/// Settings of `switchboard serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// `SWITCHBOARD_ADDR`, default 127.0.0.1:3000.
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub slack: SlackSettings,
    /// `--backend`: the embedded one (default) or AWS (named by the environment, honouring
    /// `AWS_ENDPOINT_URL` for a local endpoint such as moto).
    pub backend: BackendChoice,
}

/// A setting is malformed. Names the variable, never a secret's value.
#[derive(Debug, thiserror::Error)]
#[error("{name} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl ServeConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let addr = match std::env::var("SWITCHBOARD_ADDR") {
            Ok(raw) if !raw.trim().is_empty() => raw.trim().parse().map_err(|_| ConfigError {
                name: "SWITCHBOARD_ADDR",
                reason: format!("`{raw}` is not an address like 127.0.0.1:3000"),
            })?,
            _ => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        Ok(Self {
            addr,
            data_dir: data_dir(),
            slack: SlackSettings::from_env(),
            backend: BackendChoice::Local,
        })
    }
}
