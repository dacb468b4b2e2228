//! SQS on moto beyond the contract: the real redrive to the DLQ and the message's metadata.

use crate::common;

use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use tenant::testkit::{random_tenant, sample_job};

#[tokio::test]
async fn a_message_received_five_times_without_delete_lands_in_the_dlq() {
    let Some(env) = common::env("queue_redrive").await else {
        return;
    };
    let backend = env.backend();
    let (queue, consumer) = (backend.backend().queue, backend.consumer());
    let job = sample_job(&random_tenant());
    queue.enqueue(&job).await.unwrap();

    // A worker that crashes every time: receive with a 1 s visibility, never ack, wait it out.
    let mut receives = 0;
    for _ in 0..40 {
        let batch = consumer.receive(10, Duration::from_secs(1)).await.unwrap();
        if let Some(delivery) = batch.iter().find(|d| d.body.contains(&job.id.to_string())) {
            receives += 1;
            assert_eq!(delivery.receive_count, receives);
        }
        if receives == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(receives, 5, "the job was received 5 times");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = consumer.receive(10, Duration::from_secs(1)).await.unwrap();
    assert!(after.is_empty(), "a sixth receive finds nothing: {after:?}");

    assert_eq!(consumer.dead_letter_count().await.unwrap(), 1);
    let dead = env
        .sqs()
        .receive_message()
        .queue_url(&env.created.dlq_url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some(job.to_json().as_str()));
}

#[tokio::test]
async fn messages_carry_the_tenant_as_group_id_and_attribute() {
    let Some(env) = common::env("queue_metadata").await else {
        return;
    };
    let backend = env.backend();
    let tenant = random_tenant();
    let job = sample_job(&tenant);
    backend.backend().queue.enqueue(&job).await.unwrap();
    let messages = env
        .sqs()
        .receive_message()
        .queue_url(&env.created.queue_url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    let attribute = message
        .message_attributes
        .as_ref()
        .and_then(|a| a.get("tenant_id"))
        .and_then(|v| v.string_value.as_deref());
    assert_eq!(attribute, Some(tenant.as_str()));
    let group = message
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .map(String::as_str);
    assert_eq!(group, Some(tenant.as_str()), "fair-queue group = tenant");
}
