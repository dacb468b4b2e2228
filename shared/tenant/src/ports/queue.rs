use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::job::JobEnvelope;

/// Receives after which a message moves to the dead-letter queue (SQS `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 5;

/// The producer side of the job queue.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Durably enqueues the job. `Ok` means the job will be delivered at least once;
    /// any error means it may not have been and the caller MUST NOT ack the work.
    async fn enqueue(&self, job: &JobEnvelope) -> Result<(), StoreError>;
}

/// A message handed to a consumer.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Opaque handle for [`JobConsumer::ack`] and [`JobConsumer::retry_after`].
    pub receipt: String,
    /// The raw message body (a job envelope, unless something else wrote to the queue).
    pub body: String,
    /// How many times this message has been received, this time included (1 on first receipt).
    pub receive_count: u32,
}

/// The consumer side, with SQS semantics: a received message is invisible for the visibility
/// timeout, then comes back unless acked; after [`MAX_RECEIVES`] receives it moves to the
/// dead-letter queue instead of being delivered again.
#[async_trait]
pub trait JobConsumer: Send + Sync {
    /// Up to `max` visible messages, each made invisible for `visibility`. May return fewer
    /// (or none) without waiting.
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, StoreError>;

    /// Deletes a received message: the job is finished (done, or failed permanently).
    async fn ack(&self, receipt: &str) -> Result<(), StoreError>;

    /// Makes a received message visible again after `delay` (0 = now), counting as a failed
    /// attempt; used to honour Retry-After.
    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), StoreError>;

    /// Moves a received message (`receipt`, with its `body`) to the dead-letter queue now,
    /// with `reason` (short, never a secret) kept beside it, and removes it from the queue: for
    /// a message that can never succeed but that an operator must see (an undecodable envelope,
    /// a permission the deployment lacks). The copy is written to the dead-letter queue before
    /// the message is deleted, so a failure in between can duplicate it there but never lose
    /// it. A receipt the queue does not know MAY be answered [`StoreError::NotFound`].
    async fn dead_letter(&self, receipt: &str, body: &str, reason: &str) -> Result<(), StoreError>;

    /// Number of messages in the dead-letter queue.
    async fn dead_letter_count(&self) -> Result<u64, StoreError>;
}
