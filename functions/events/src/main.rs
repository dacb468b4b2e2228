//! The events Lambda (POST /slack/events): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use events::EventsHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation.
    let (wired, slack) = wiring::wire_from_env().await?;
    let verifier = slack.verifier()?;
    app::lambda::run_http(EventsHandler::new(wired.backend, verifier, Clock::system())).await
}
