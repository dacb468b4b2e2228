//! The options Lambda (POST /slack/options): wiring only; the handler is in lib.rs.

use app::refreshing::gate;
use app::wiring;
use app::{Clock, telemetry};
use options::{Crms, OptionsConfig, OptionsHandler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; the handler is rebuilt only when a re-read of the signing
    // secret finds it changed, and keeps the same searcher (cache, in-flight searches). No
    // bot token: this function calls the CRM, never Slack.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let env = |name: &str| std::env::var(name).ok();
    let config = OptionsConfig::from_lookup(env)?;
    let crms = Crms::from_lookup(env)?;
    let searcher =
        OptionsHandler::searcher(wired.backend.clone(), wired.crm_directory(), crms, config);
    let handler = secrets
        .refreshing(move |slack| {
            gate(
                "options",
                slack.verifier().map(|verifier| {
                    OptionsHandler::new(verifier, Clock::system(), searcher.clone())
                }),
            )
        })
        .await;
    app::lambda::run_http(handler).await
}
