//! The commands Lambda (POST /slack/commands and /slack/interactions): wiring only; the handler
//! is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use commands::CommandsHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; rebuilt only when a re-read of the signing secret (every
    // 5 minutes at most) finds it changed. Missing or placeholder secret: 503, logged once.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let web = secrets
        .environment()
        .web_api_with_timeout(commands::MODAL_TIMEOUT)?;
    let quotas = wiring::followup_quotas_from_env()?;
    let handler = secrets
        .verified("commands", move |verifier| {
            CommandsHandler::new(backend.clone(), verifier, Clock::system(), web.clone())
                .with_quotas(quotas)
        })
        .await;
    app::lambda::run_http(handler).await
}
