//! The commands Lambda (POST /slack/commands and /slack/interactions): wiring only; the handler
//! is in lib.rs.

use app::refreshing::gate;
use app::wiring;
use app::{Clock, telemetry};
use commands::{CommandsHandler, Connections};

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
    // Which providers users may connect (plain settings: client ids are not secrets).
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let (google, fathom_oauth) = (set("GOOGLE_CLIENT_ID"), set("FATHOM_CLIENT_ID"));
    let handler = secrets
        .refreshing(move |slack| {
            // Links are signed with the connect-link key (CONNECT_LINK_KEY_ARN), re-read
            // with the signing secret.
            let connections = Connections {
                links: slack.connect_links(),
                google,
                fathom_oauth,
            };
            gate(
                "commands",
                slack.verifier().map(|verifier| {
                    CommandsHandler::new(backend.clone(), verifier, Clock::system(), web.clone())
                        .with_quotas(quotas)
                        .with_connections(connections)
                }),
            )
        })
        .await;
    app::lambda::run_http(handler).await
}
