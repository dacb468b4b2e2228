//! The admin Lambda (ANY /admin/{proxy+}): wiring only; the handler is in lib.rs.

use admin::AdminHandler;
use app::wiring;
use app::{Clock, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; rebuilt only when a re-read of the admin key (every 5 minutes
    // at most) finds it changed. A missing or weak key (see app::secrets): /admin answers 503.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let handler = secrets
        .refreshing(move |slack| {
            AdminHandler::new(
                backend.clone(),
                slack.checked_admin_api_key(),
                Clock::system(),
            )
        })
        .await;
    app::lambda::run_http(handler).await
}
