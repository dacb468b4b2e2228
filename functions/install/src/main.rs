//! The install Lambda (GET /slack/install): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use install::InstallHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation.
    let (wired, slack) = wiring::wire_from_env().await?;
    app::lambda::run_http(InstallHandler::new(wired.backend, &slack, Clock::system())).await
}
