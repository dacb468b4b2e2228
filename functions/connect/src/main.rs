//! The connect Lambda (GET /connect/{provider} and its callback): wiring only; the handler is
//! in lib.rs.

use app::refreshing::gate;
use app::wiring::{self, WiringError};
use app::{Clock, telemetry};
use connect::{ConnectHandler, Providers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; rebuilt when a re-read of the connect-link key (every
    // 5 minutes at most) finds it changed. The providers' OAuth clients come from the
    // environment (GOOGLE_*, FATHOM_*); an unusable setting answers 503, logged once.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let providers = Providers::from_lookup(|name: &str| std::env::var(name).ok());
    let handler = secrets
        .refreshing(move |slack| {
            let built = providers
                .clone()
                .map(|p| ConnectHandler::new(backend.clone(), slack, p, Clock::system()))
                .map_err(|e| WiringError::Invalid {
                    name: e.name,
                    reason: e.reason.to_owned(),
                });
            gate("connect", built)
        })
        .await;
    app::lambda::run_http(handler).await
}
