//! Configuration of the local operator tool, from the environment (and `.env`, loaded by main).

use std::path::PathBuf;

/// Where the embedded backend keeps its files (`SWITCHBOARD_DATA_DIR`, default `./.switchboard`).
pub fn data_dir() -> PathBuf {
    std::env::var_os("SWITCHBOARD_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".switchboard"))
}

/// Settings of `switchboard serve`. (Being filled in by the lead.)
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
}

/// A required setting is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl ServeConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            data_dir: data_dir(),
        })
    }
}
