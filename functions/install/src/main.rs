//! The install Lambda (GET /slack/install): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use install::InstallHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start. This function holds no secret: the OAuth client id
    // (SLACK_CLIENT_ID) and PUBLIC_BASE_URL are plain settings. Its one port is the OAuth
    // state store.
    let (states, settings) = wiring::wire_oauth_states_from_env().await?;
    let handler = InstallHandler::new(states, &settings, Clock::system());
    app::lambda::run_http(handler).await
}
