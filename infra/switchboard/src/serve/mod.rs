//! `switchboard serve`: every function's handler on one local HTTP server. (Lead is writing it.)

use crate::config::ServeConfig;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not bind the server address: {0}")]
    Bind(#[source] std::io::Error),
}

/// Runs the server until Ctrl-C.
pub async fn run(_config: ServeConfig) -> Result<(), ServeError> {
    Ok(())
}
