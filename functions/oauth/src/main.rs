//! The OAuth redirect Lambda (GET /slack/oauth_redirect): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use oauth::OAuthHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation: adapters and both Slack clients.
    let (wired, slack) = wiring::wire_from_env().await?;
    let handler = OAuthHandler::new(wired.backend, &slack, Clock::system())?;
    app::lambda::run_http(handler).await
}
