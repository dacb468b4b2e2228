//! [`JobQueue`] and [`JobConsumer`] on SQS.
//!
//! Producers send the envelope's JSON with `MessageGroupId` = the tenant id, which on a standard
//! queue turns on SQS fair queues (one noisy tenant cannot starve the others' jobs), and a
//! `tenant_id` message attribute for filtering and tracing without parsing the body.
//!
//! Dead-lettering is mostly SQS's own: the queue's redrive policy (`maxReceiveCount` =
//! [`MAX_RECEIVES`](tenant::ports::MAX_RECEIVES), in template.yaml) moves a message to the DLQ
//! when it would be received once more. A message that can never succeed is moved at once
//! ([`JobConsumer::dead_letter`]: SendMessage to the DLQ with a `reason` attribute, then
//! DeleteMessage), so an operator sees why it failed.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};
use tenant::JobEnvelope;
use tenant::ports::{Delivery, JobConsumer, JobQueue, StoreError};

use crate::error::store_error;

/// SQS's largest batch for `ReceiveMessage`.
const MAX_BATCH: usize = 10;
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_SECS: u64 = 43_200;

/// The job queue on SQS, producer and consumer side.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dlq_url: Option<String>,
}

impl SqsQueue {
    /// `dlq_url` is only read by [`JobConsumer::dead_letter_count`]; without it that count is 0.
    pub fn new(client: Client, queue_url: impl Into<String>, dlq_url: Option<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            dlq_url,
        }
    }
}

/// `dead_letter` was asked for but no `DLQ_URL` is configured.
#[derive(Debug, thiserror::Error)]
#[error("no dead-letter queue URL is configured (DLQ_URL)")]
struct NoDeadLetterQueue;

/// SQS takes whole seconds: round up, so a message never becomes visible earlier than asked.
fn visibility_secs(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(secs.min(MAX_VISIBILITY_SECS)).unwrap_or(i32::MAX)
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn enqueue(&self, job: &JobEnvelope) -> Result<(), StoreError> {
        let tenant_attr = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(job.tenant.as_str())
            .build()
            .map_err(StoreError::unavailable)?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_json())
            .message_group_id(job.tenant.as_str())
            .message_attributes("tenant_id", tenant_attr)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[async_trait]
impl JobConsumer for SqsQueue {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let batch = i32::try_from(max.min(MAX_BATCH)).unwrap_or(1);
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(batch)
            .visibility_timeout(visibility_secs(visibility))
            // Short poll: the port promises not to wait.
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(store_error)?;
        let mut deliveries = Vec::new();
        for message in out.messages.unwrap_or_default() {
            let (Some(receipt), Some(body)) = (message.receipt_handle, message.body) else {
                return Err(StoreError::Corrupt(
                    "SQS message without receipt handle or body".into(),
                ));
            };
            let receive_count = message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|raw| raw.parse().ok())
                .unwrap_or(1);
            deliveries.push(Delivery {
                receipt,
                body,
                receive_count,
            });
        }
        Ok(deliveries)
    }

    async fn dead_letter(&self, receipt: &str, body: &str, reason: &str) -> Result<(), StoreError> {
        let Some(dlq) = &self.dlq_url else {
            return Err(StoreError::unavailable(NoDeadLetterQueue));
        };
        let reason_attr = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason)
            .build()
            .map_err(StoreError::unavailable)?;
        self.client
            .send_message()
            .queue_url(dlq)
            .message_body(body)
            .message_attributes("reason", reason_attr)
            .send()
            .await
            .map_err(store_error)?;
        self.ack(receipt).await
    }

    async fn ack(&self, receipt: &str) -> Result<(), StoreError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), StoreError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(visibility_secs(delay))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        let Some(dlq_url) = &self.dlq_url else {
            return Ok(0);
        };
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(dlq_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(store_error)?;
        out.attributes
            .as_ref()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| {
                StoreError::Corrupt("DLQ attributes lack ApproximateNumberOfMessages".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rounds_up_to_whole_seconds_and_caps_at_twelve_hours() {
        assert_eq!(visibility_secs(Duration::ZERO), 0);
        assert_eq!(visibility_secs(Duration::from_millis(1)), 1);
        assert_eq!(visibility_secs(Duration::from_secs(30)), 30);
        assert_eq!(visibility_secs(Duration::from_secs(30 * 3600)), 43_200);
    }
}
