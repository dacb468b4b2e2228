//! The events Lambda (POST /slack/events): wiring only; the handler is in lib.rs.

use app::wiring;
use app::{Clock, telemetry};
use events::EventsHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    // Built once per cold start; rebuilt only when a re-read of the signing secret (every
    // 5 minutes at most) finds it changed. Missing or placeholder secret: 503, logged once.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let backend = wired.backend;
    let handler = secrets
        .verified("events", move |verifier| {
            EventsHandler::new(backend.clone(), verifier, Clock::system())
        })
        .await;
    app::lambda::run_http(handler).await
}
