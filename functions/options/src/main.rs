//! The options Lambda (POST /slack/options): wiring only; the handler is in lib.rs.

use std::sync::Arc;

use app::refreshing::gate;
use app::wiring;
use app::{Clock, telemetry};
use options::{Crms, OptionsConfig, OptionsHandler};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; the handler is rebuilt only when a re-read of the app secrets
    // (the signing secret, the CRMs' OAuth client secrets) finds them changed, and keeps the
    // same cache and in-flight searches. No bot token: this function calls the CRM, never
    // Slack.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let env = |name: &str| std::env::var(name).ok();
    let config = OptionsConfig::from_lookup(env)?;
    // A bad URL setting fails the cold start (building the clients calls nothing).
    let crms = Crms::from_lookup(env)?;
    let base = OptionsHandler::searcher(wired.backend.clone(), wired.crm_directory(), crms, config);
    let handler = secrets
        .refreshing(move |slack| {
            // HUBSPOT_CLIENT_SECRET & co. come with the app secrets (CRM_CLIENT_SECRETS_ARN):
            // the OAuth clients that refresh a workspace's grant.
            let crms = Crms::from_lookup(slack.provider_lookup()).unwrap_or_else(|err| {
                tracing::error!(error = %err, "CRM OAuth clients unusable: refreshing is off");
                base.crms().clone()
            });
            let searcher = Arc::new(base.with_crms(crms));
            gate(
                "options",
                slack
                    .verifier()
                    .map(|verifier| OptionsHandler::new(verifier, Clock::system(), searcher)),
            )
        })
        .await;
    app::lambda::run_http(handler).await
}
