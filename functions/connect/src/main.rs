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
    // environment (GOOGLE_*, FATHOM_*) and their client secrets from the app secrets; an
    // unusable setting answers 503, logged once.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let handler = secrets
        .refreshing(move |slack| {
            // The OAuth client secrets are app secrets (GOOGLE_CLIENT_SECRET_ARN, ...), read
            // with the link key; the rest of the providers' settings is the environment.
            let built = Providers::from_lookup(slack.provider_lookup())
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
