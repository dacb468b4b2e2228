//! The local stand-in for the SQS event source: a loop that drains the embedded queue with the
//! worker, woken at once when a job is enqueued (and polling, for jobs other processes add).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tenant::JobEnvelope;
use tenant::ports::{JobConsumer, JobQueue, StoreError};
use tokio::sync::{Notify, watch};
use tracing::warn;
use worker::Worker;

/// How often the loop looks at the queue when nobody wakes it: jobs enqueued by another process
/// on the same file, and retries coming due.
const POLL: Duration = Duration::from_millis(250);
const BATCH: usize = 10;

/// A queue that wakes the local worker after each successful enqueue.
pub struct NotifyingQueue {
    inner: Arc<dyn JobQueue>,
    notify: Arc<Notify>,
}

impl NotifyingQueue {
    pub fn new(inner: Arc<dyn JobQueue>, notify: Arc<Notify>) -> Self {
        Self { inner, notify }
    }
}

#[async_trait]
impl JobQueue for NotifyingQueue {
    async fn enqueue(&self, job: &JobEnvelope) -> Result<(), StoreError> {
        self.inner.enqueue(job).await?;
        self.notify.notify_one();
        Ok(())
    }
}

/// Drains until `stopped` turns true.
pub async fn run(
    worker: Arc<Worker>,
    consumer: Arc<dyn JobConsumer>,
    notify: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        match worker.drain_once(consumer.as_ref(), BATCH).await {
            Ok(0) => {}
            Ok(_) => continue,
            Err(err) => warn!(error = %err, "local queue unavailable"),
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stopped.changed() => {}
        }
    }
}
