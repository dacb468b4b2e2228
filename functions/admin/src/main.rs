//! The admin Lambda (ANY /admin/{proxy+}): wiring only; the handler is in lib.rs.

use admin::AdminHandler;
use app::wiring;
use app::{Clock, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation. The admin key comes from
    // ADMIN_API_KEY or, on AWS, the app secret's optional `admin_api_key`.
    let (wired, settings) = wiring::wire_from_env().await?;
    let handler = AdminHandler::new(
        wired.backend,
        settings.admin_api_key.as_ref(),
        Clock::system(),
    );
    app::lambda::run_http(handler).await
}
