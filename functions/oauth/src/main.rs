//! The OAuth redirect Lambda (GET /slack/oauth_redirect): wiring only; the handler is in lib.rs.

use app::refreshing::gate;
use app::wiring;
use app::{Clock, telemetry};
use oauth::OAuthHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start (adapters and both Slack clients); rebuilt only when a re-read
    // of the OAuth client secret (every 5 minutes at most) finds it changed.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let handler = secrets
        .refreshing(move |slack| {
            gate(
                "oauth",
                OAuthHandler::new(backend.clone(), slack, Clock::system()),
            )
        })
        .await;
    app::lambda::run_http(handler).await
}
