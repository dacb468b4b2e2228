//! Storage or queue down: Slack gets a 500 (so it retries), never an ack for work not accepted.

use std::sync::Arc;

use tenant::testkit::MemoryStores;
use testkit::payloads;

use crate::helpers::{TestApp, spawn_on};

async fn app_on_memory() -> (TestApp, MemoryStores) {
    let stores = MemoryStores::new();
    let app = spawn_on(
        stores.backend(),
        stores.queue.clone() as Arc<dyn tenant::ports::JobConsumer>,
        false,
        tempfile::tempdir().unwrap(),
    )
    .await;
    app.install("T0ACME001", "Acme").await;
    (app, stores)
}

#[tokio::test]
async fn an_event_is_not_acked_when_the_queue_is_down_and_its_retry_is_accepted() {
    let (app, stores) = app_on_memory().await;
    let body = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    stores.queue.switch.set_down(true);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 500);
    assert!(stores.queue.is_empty());

    // Slack's retry of the same event must not be mistaken for a duplicate.
    stores.queue.switch.set_down(false);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 200);
    assert_eq!(stores.queue.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_event_is_not_acked_when_the_ledger_or_directory_is_down() {
    let (app, stores) = app_on_memory().await;
    let body = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    stores.ledger.switch.set_down(true);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 500);
    stores.ledger.switch.set_down(false);
    stores.tenants.switch.set_down(true);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 500);
    // Lifecycle events too: an uninstall that was not stored must be retried.
    assert_eq!(
        app.post_signed("/slack/events", &payloads::app_uninstalled("T0ACME001"))
            .await
            .status(),
        500
    );
    stores.tenants.switch.set_down(false);
    assert!(stores.queue.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_command_is_not_acked_as_working_when_the_queue_is_down() {
    let (app, stores) = app_on_memory().await;
    stores.queue.switch.set_down(true);
    let res = app.command("T0ACME001", "ping", "x").await;
    assert_eq!(res.status(), 500);
    let text = res.text().await.unwrap();
    assert!(!text.contains("Working"), "{text}");
    stores.queue.switch.set_down(false);
    stores.usage.switch.set_down(true);
    assert_eq!(app.command("T0ACME001", "ping", "x").await.status(), 500);
    assert!(stores.queue.is_empty());
    app.stop().await;
}
