//! The commands Lambda (POST /slack/commands and /slack/interactions): wiring only; the handler
//! is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use commands::CommandsHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation.
    let (wired, slack) = wiring::wire_from_env().await?;
    let verifier = slack.verifier()?;
    app::lambda::run_http(CommandsHandler::new(
        wired.backend,
        verifier,
        Clock::system(),
    ))
    .await
}
