use std::time::Duration;

use super::{expect_eq, ok};
use crate::job::JobEnvelope;
use crate::ports::{Delivery, JobConsumer, JobQueue, MAX_RECEIVES};
use crate::testkit::{random_tenant, sample_job};

const LONG: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_secs(1);
/// Receive attempts while waiting for a message (a real SQS may answer short polls empty).
const ATTEMPTS: usize = 20;
const PAUSE: Duration = Duration::from_millis(50);

/// [`JobQueue`] + [`JobConsumer`]: a job comes back as the same envelope with receive count 1,
/// stays invisible while in flight, returns at once with count + 1 after `retry_after(0)`, is
/// gone after `ack`, and after [`MAX_RECEIVES`] receives moves to the dead-letter queue instead
/// of being delivered again.
///
/// Messages of other jobs are ignored (they only become invisible for a while), but nothing
/// else may move messages to the dead-letter queue while the suite runs. Takes about 1.5 s.
pub async fn job_queue(queue: &dyn JobQueue, consumer: &dyn JobConsumer) {
    let tenant = random_tenant();
    let dead_before = ok("dead_letter_count", consumer.dead_letter_count().await);

    let job = sample_job(&tenant);
    ok("enqueue", queue.enqueue(&job).await);
    let first = receive_ours(consumer, &job, LONG).await;
    let first = first.unwrap_or_else(|| panic!("contract broken: an enqueued job is received"));
    expect_eq(
        "a first delivery has receive_count 1",
        first.receive_count,
        1,
    );
    let body = JobEnvelope::from_json(&first.body)
        .unwrap_or_else(|e| panic!("contract broken: the body is not the job envelope: {e}"));
    expect_eq(
        "the delivery carries the enqueued envelope",
        body,
        job.clone(),
    );

    assert!(
        find(ok("receive", consumer.receive(10, LONG).await), &job).is_none(),
        "contract broken: a received message is invisible during its visibility timeout"
    );

    ok(
        "retry_after(0)",
        consumer.retry_after(&first.receipt, Duration::ZERO).await,
    );
    let second = receive_ours(consumer, &job, SHORT)
        .await
        .unwrap_or_else(|| {
            panic!("contract broken: retry_after(0) makes the message visible at once")
        });
    expect_eq("a redelivery counts the receive", second.receive_count, 2);

    ok("ack", consumer.ack(&second.receipt).await);
    // Past the 1 s visibility an un-deleted message would be back.
    tokio::time::sleep(SHORT + Duration::from_millis(200)).await;
    assert!(
        find(ok("receive", consumer.receive(10, LONG).await), &job).is_none(),
        "contract broken: an acked message is deleted, not redelivered"
    );

    let dead = dead_letter(queue, consumer, dead_before).await;
    dead_letter_now(queue, consumer, dead).await;
}

/// `dead_letter` moves a received message to the DLQ at once, out of the queue.
async fn dead_letter_now(queue: &dyn JobQueue, consumer: &dyn JobConsumer, dead_before: u64) {
    let job = sample_job(&random_tenant());
    ok("enqueue", queue.enqueue(&job).await);
    let delivery = receive_ours(consumer, &job, SHORT)
        .await
        .unwrap_or_else(|| panic!("contract broken: an enqueued job is received"));
    ok(
        "dead_letter",
        consumer
            .dead_letter(&delivery.receipt, &delivery.body, "undecodable envelope")
            .await,
    );
    tokio::time::sleep(SHORT + Duration::from_millis(200)).await;
    assert!(
        find(ok("receive", consumer.receive(10, LONG).await), &job).is_none(),
        "contract broken: a dead-lettered message is gone from the queue"
    );
    let dead = dead_count_above(consumer, dead_before).await;
    expect_eq(
        "dead_letter puts the message in the dead-letter queue",
        dead,
        dead_before + 1,
    );
}

async fn dead_letter(queue: &dyn JobQueue, consumer: &dyn JobConsumer, dead_before: u64) -> u64 {
    let job = sample_job(&random_tenant());
    ok("enqueue", queue.enqueue(&job).await);
    for attempt in 1..=MAX_RECEIVES {
        let delivery = receive_ours(consumer, &job, LONG).await.unwrap_or_else(|| {
            panic!("contract broken: a failed job is redelivered (receive {attempt})")
        });
        expect_eq(
            "receive_count counts receives",
            delivery.receive_count,
            attempt,
        );
        ok(
            "retry_after(0)",
            consumer
                .retry_after(&delivery.receipt, Duration::ZERO)
                .await,
        );
    }
    assert!(
        find(ok("receive", consumer.receive(10, LONG).await), &job).is_none(),
        "contract broken: after MAX_RECEIVES receives the message goes to the DLQ, not to a consumer"
    );
    let dead = dead_count_above(consumer, dead_before).await;
    expect_eq(
        "the dead-letter queue holds the message after MAX_RECEIVES receives",
        dead,
        dead_before + 1,
    );
    dead
}

/// The dead-letter count once it is above `before` (or the last one seen): a real SQS reports
/// queue sizes approximately and with a delay.
async fn dead_count_above(consumer: &dyn JobConsumer, before: u64) -> u64 {
    let mut dead = 0;
    for _ in 0..ATTEMPTS {
        dead = ok("dead_letter_count", consumer.dead_letter_count().await);
        if dead > before {
            break;
        }
        tokio::time::sleep(PAUSE).await;
    }
    dead
}

/// Receives until our job's message shows up (other messages are left to time out).
async fn receive_ours(
    consumer: &dyn JobConsumer,
    job: &JobEnvelope,
    visibility: Duration,
) -> Option<Delivery> {
    for _ in 0..ATTEMPTS {
        let batch = ok("receive", consumer.receive(10, visibility).await);
        if let Some(found) = find(batch, job) {
            return Some(found);
        }
        tokio::time::sleep(PAUSE).await;
    }
    None
}

fn find(batch: Vec<Delivery>, job: &JobEnvelope) -> Option<Delivery> {
    let id = job.id.to_string();
    batch.into_iter().find(|d| d.body.contains(&id))
}
