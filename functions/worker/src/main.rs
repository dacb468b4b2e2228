//! The worker Lambda (SQS event source): wiring only; the logic is in lib.rs.

use std::sync::Arc;
use std::time::Duration;

use app::wiring;
use app::{Clock, telemetry};
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use worker::{JobTiming, Worker};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Built once per cold start and shared by every invocation.
    let (wired, slack) = wiring::wire_from_env().await?;
    let web = slack.web_api()?;
    // template.yaml: JobQueue.VisibilityTimeout 360 s, the worker's Timeout 60 s.
    let timing = JobTiming::lambda(Duration::from_secs(360), Duration::from_secs(60))?;
    let mut worker = Worker::new(wired.backend, web, Clock::system()).with_timing(timing)?;
    if let Some(oauth) = slack.oauth_client()? {
        worker = worker.with_oauth(oauth);
    }
    let worker = Arc::new(worker);
    let consumer = wired.consumer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let (worker, consumer) = (Arc::clone(&worker), Arc::clone(&consumer));
        async move { Ok::<_, Error>(worker.handle_sqs(event.payload, Some(&consumer)).await) }
    }))
    .await
}
