//! The worker Lambda (SQS event source): wiring only; the logic is in lib.rs.

use std::sync::Arc;
use std::time::Duration;

use app::wiring;
use app::{Clock, telemetry};
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use worker::{Followup, JobTiming, Worker};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Built once per cold start; rebuilt only when a re-read of the OAuth client secret (every
    // 5 minutes at most) finds it changed. Without it, rotating tokens are not refreshed.
    let (wired, secrets) = wiring::wire_from_env().await?;
    let web = secrets.environment().web_api()?;
    let sessions = wired.sessions();
    let directory = wired.crm_directory();
    let backend = wired.backend;
    // template.yaml: JobQueue.VisibilityTimeout 360 s, the worker's Timeout 60 s.
    let timing = JobTiming::lambda(Duration::from_secs(360), Duration::from_secs(60))?;
    // The follow-up providers from the environment (FATHOM_API_URL, ANTHROPIC_MODEL, GOOGLE_*);
    // the AI key is an app secret (ANTHROPIC_API_KEY, or ANTHROPIC_KEY_ARN on AWS), so the
    // providers are built with each read of the secrets. Without it follow-up jobs answer
    // "not configured".
    // A bad URL or model setting fails the cold start, as before: checked once here with a
    // stand-in key (building the clients calls nothing).
    let env = |name: &str| std::env::var(name).ok();
    Followup::from_lookup(
        env,
        Some(tenant::Secret::new("config-check")),
        sessions.clone(),
    )?;
    let followup_for = move |slack: &wiring::SlackSettings| {
        // GOOGLE_CLIENT_SECRET and FATHOM_CLIENT_SECRET come with the app secrets too.
        let lookup = slack.provider_lookup();
        let built = Followup::from_lookup(
            lookup.clone(),
            slack.anthropic_api_key.clone(),
            sessions.clone(),
        )
        .and_then(|f| f.map(|f| f.with_crm(lookup, directory.clone())).transpose());
        match built {
            Ok(followup) => followup,
            Err(err) => {
                tracing::error!(error = %err, "follow-ups are off: their configuration is invalid");
                None
            }
        }
    };
    // The same monthly table the commands function enforces, for the App Home's "this month".
    let quotas = wiring::followup_quotas_from_env()?;
    let worker = secrets
        .refreshing(move |slack| {
            // PUBLIC_BASE_URL: where Fathom delivers automatic follow-ups.
            let mut worker = Worker::new(backend.clone(), web.clone(), Clock::system())
                .with_timing(timing)
                .with_quotas(quotas)
                .with_public_base_url(slack.install.public_base_url.clone());
            if let Some(followup) = followup_for(slack) {
                worker = worker.with_followup(followup);
            }
            // The connect-link key is an app secret (CONNECT_LINK_KEY_ARN), re-read with it.
            worker = worker.with_connect_links(slack.connect_links());
            match slack.oauth_client() {
                Ok(Some(oauth)) => worker.with_oauth(oauth),
                _ => worker,
            }
        })
        .await;
    let (worker, consumer) = (Arc::new(worker), wired.consumer);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (worker, consumer) = (Arc::clone(&worker), Arc::clone(&consumer));
        async move {
            let worker = worker.get().await;
            Ok::<_, Error>(worker.handle_sqs(event.payload, Some(&consumer)).await)
        }
    }))
    .await
}
