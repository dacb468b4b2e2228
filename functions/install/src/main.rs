//! The install Lambda (GET /slack/install): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use install::InstallHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start. This function holds no secret: the OAuth client id
    // (SLACK_CLIENT_ID) and PUBLIC_BASE_URL are plain settings.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let handler = InstallHandler::new(wired.backend, secrets.environment(), Clock::system());
    app::lambda::run_http(handler).await
}
