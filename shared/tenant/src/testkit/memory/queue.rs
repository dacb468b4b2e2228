use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Switch, lock};
use crate::job::JobEnvelope;
use crate::ports::{Delivery, JobConsumer, JobQueue, MAX_RECEIVES, StoreError};

#[derive(Debug)]
struct Message {
    body: String,
    receive_count: u32,
    visible_at: Instant,
    /// The receipt of the latest receive; older receipts no longer match.
    receipt: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// By sequence number, so receives go oldest first.
    messages: BTreeMap<u64, Message>,
    dead: Vec<String>,
    reasons: Vec<String>,
    next_seq: u64,
}

/// In-memory job queue with SQS semantics (visibility timeout, receive count, dead-letter queue
/// after [`MAX_RECEIVES`] receives). Both [`JobQueue`] and [`JobConsumer`].
#[derive(Debug, Default)]
pub struct MemoryQueue {
    state: Mutex<State>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory job queue";

impl MemoryQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages in the queue, visible or in flight (the dead-letter queue not included).
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.messages.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every queued job, oldest first, without receiving anything. Bodies that are not job
    /// envelopes are skipped; see [`MemoryQueue::peek_bodies`].
    pub fn peek_all(&self) -> Vec<JobEnvelope> {
        self.peek_bodies()
            .iter()
            .filter_map(|body| JobEnvelope::from_json(body).ok())
            .collect()
    }

    /// Every queued message body, oldest first.
    pub fn peek_bodies(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.messages.values().map(|m| m.body.clone()).collect())
            .unwrap_or_default()
    }

    /// The reasons given to [`JobConsumer::dead_letter`], oldest first (messages moved after
    /// their last receive have none).
    pub fn dead_letter_reasons(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.reasons.clone())
            .unwrap_or_default()
    }

    /// Bodies in the dead-letter queue, oldest first.
    pub fn dead_letters(&self) -> Vec<String> {
        self.state
            .lock()
            .map(|s| s.dead.clone())
            .unwrap_or_default()
    }

    /// Enqueues a raw body (e.g. a malformed envelope, to test the worker's handling of it).
    pub fn enqueue_raw(&self, body: impl Into<String>) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut state = lock(&self.state, WHAT)?;
        let seq = state.next_seq;
        state.next_seq += 1;
        state.messages.insert(
            seq,
            Message {
                body: body.into(),
                receive_count: 0,
                visible_at: Instant::now(),
                receipt: None,
            },
        );
        Ok(())
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &JobEnvelope) -> Result<(), StoreError> {
        self.enqueue_raw(job.to_json())
    }
}

#[async_trait]
impl JobConsumer for MemoryQueue {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, StoreError> {
        self.switch.check(WHAT)?;
        let now = Instant::now();
        let mut state = lock(&self.state, WHAT)?;
        let state = &mut *state;
        let mut deliveries = Vec::new();
        let mut dead = Vec::new();
        for (seq, message) in state.messages.iter_mut() {
            if deliveries.len() == max {
                break;
            }
            if message.visible_at > now {
                continue;
            }
            if message.receive_count >= MAX_RECEIVES {
                // SQS redrive: the receive that would exceed maxReceiveCount moves it instead.
                dead.push(*seq);
                continue;
            }
            message.receive_count += 1;
            message.visible_at = now + visibility;
            let receipt = format!("{seq}:{}", uuid::Uuid::new_v4());
            message.receipt = Some(receipt.clone());
            deliveries.push(Delivery {
                receipt,
                body: message.body.clone(),
                receive_count: message.receive_count,
            });
        }
        for seq in dead {
            if let Some(message) = state.messages.remove(&seq) {
                state.dead.push(message.body);
            }
        }
        Ok(deliveries)
    }

    async fn ack(&self, receipt: &str) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut state = lock(&self.state, WHAT)?;
        // Like SQS, acking a message that is already gone (or a stale receipt) is not an error.
        if let Some(seq) = find(&state.messages, receipt) {
            state.messages.remove(&seq);
        }
        Ok(())
    }

    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut state = lock(&self.state, WHAT)?;
        let seq = find(&state.messages, receipt).ok_or(StoreError::NotFound)?;
        if let Some(message) = state.messages.get_mut(&seq) {
            message.visible_at = Instant::now() + delay;
        }
        Ok(())
    }

    async fn dead_letter(
        &self,
        receipt: &str,
        _body: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut state = lock(&self.state, WHAT)?;
        let seq = find(&state.messages, receipt).ok_or(StoreError::NotFound)?;
        if let Some(message) = state.messages.remove(&seq) {
            state.dead.push(message.body);
            state.reasons.push(reason.to_owned());
        }
        Ok(())
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.state, WHAT)?.dead.len() as u64)
    }
}

/// The message whose latest receipt is `receipt` (receipts start with the sequence number).
fn find(messages: &BTreeMap<u64, Message>, receipt: &str) -> Option<u64> {
    let seq: u64 = receipt.split_once(':')?.0.parse().ok()?;
    let message = messages.get(&seq)?;
    (message.receipt.as_deref() == Some(receipt)).then_some(seq)
}
