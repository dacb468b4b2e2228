//! The webhooks Lambda (POST /webhooks/{provider}): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use webhooks::WebhooksHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start. No app secret: each delivery is verified with the secret of
    // the registration it names (a per-user credential, purpose recorder:fathom-webhook).
    let (wired, _secrets) = wiring::wire_from_env().await?;
    let quotas = wiring::followup_quotas_from_env()?;
    let handler = WebhooksHandler::new(wired.backend, Clock::system(), quotas);
    app::lambda::run_http(handler).await
}
