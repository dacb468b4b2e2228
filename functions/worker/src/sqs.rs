//! The SQS event source: a batch in, partial batch failures out (`ReportBatchItemFailures`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use tenant::ports::JobConsumer;
use tracing::warn;

use crate::{Outcome, Worker};

impl Worker {
    /// Runs every record of the batch concurrently. Records to retry are reported as failures
    /// (SQS redelivers them after the visibility timeout, and moves them to the DLQ after 5
    /// receives); when Slack said when to retry, the message's visibility is set to that first.
    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
        visibility: Option<&Arc<dyn JobConsumer>>,
    ) -> SqsBatchResponse {
        let outcomes = join_all(event.records.iter().map(|record| {
            let count = record
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            self.process(record.body.as_deref().unwrap_or_default(), count)
        }))
        .await;
        let mut failures = Vec::new();
        for (record, outcome) in event.records.iter().zip(outcomes) {
            let after = match outcome {
                Outcome::Retry { after } => after,
                Outcome::DeadLetter { reason } => {
                    let moved = match (visibility, record.receipt_handle.as_deref()) {
                        (Some(consumer), Some(receipt)) => {
                            let body = record.body.as_deref().unwrap_or_default();
                            consumer.dead_letter(receipt, body, &reason).await
                        }
                        _ => Err(tenant::ports::StoreError::NotFound),
                    };
                    match moved {
                        Ok(()) => continue,
                        // Failing the record lets SQS's redrive move it after its last
                        // receive: slower, and without the reason, but not lost.
                        Err(err) => {
                            warn!(error = %err, "could not dead-letter the message; failing it");
                            None
                        }
                    }
                }
                _ => continue,
            };
            if let (Some(delay), Some(consumer), Some(receipt)) =
                (after, visibility, record.receipt_handle.as_deref())
                && let Err(err) = consumer.retry_after(receipt, delay).await
            {
                warn!(error = %err, "could not set the retry delay; the queue default applies");
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.clone().unwrap_or_default();
            failures.push(failure);
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }
}
