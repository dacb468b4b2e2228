//! The port contract suites on the in-memory adapters: the adapters handler tests and
//! benchmarks rely on keep the same promises as the real ones.

use std::sync::Arc;

use tenant::ports::{JobQueue, StoreError, TenantDirectory};
use tenant::testkit::memory::{Down, MemoryStores};
use tenant::testkit::{contract, memory_backend, random_tenant, sample_job};

#[tokio::test]
async fn memory_tenant_directory_keeps_the_contract() {
    let (backend, _) = memory_backend();
    contract::tenant_directory(backend.tenants.as_ref()).await;
}

#[tokio::test]
async fn memory_event_ledger_keeps_the_contract() {
    let (backend, _) = memory_backend();
    contract::event_ledger(backend.ledger.as_ref()).await;
}

#[tokio::test]
async fn memory_usage_counters_keep_the_contract() {
    let (backend, _) = memory_backend();
    contract::usage_counters(backend.usage.as_ref()).await;
}

#[tokio::test]
async fn memory_vault_keeps_the_contract() {
    let (backend, _) = memory_backend();
    contract::vault(backend.vault.as_ref()).await;
}

#[tokio::test]
async fn memory_credentials_keep_the_contract() {
    let (backend, _) = memory_backend();
    contract::credentials(backend.credentials.as_ref()).await;
}

#[tokio::test]
async fn memory_queue_keeps_the_contract() {
    let (backend, queue) = memory_backend();
    contract::job_queue(backend.queue.as_ref(), queue.as_ref()).await;
    assert!(
        queue.is_empty(),
        "acked and dead-lettered jobs leave the queue"
    );
    // One moved after its last receive, one moved at once (with its reason).
    assert_eq!(queue.dead_letters().len(), 2);
    assert_eq!(queue.dead_letter_reasons(), ["undecodable envelope"]);
}

#[tokio::test]
async fn memory_backend_isolates_tenants() {
    let (backend, _) = memory_backend();
    contract::isolation(&backend).await;
}

#[tokio::test]
async fn all_suites_can_share_one_store() {
    let (backend, queue) = memory_backend();
    contract::isolation(&backend).await;
    contract::job_queue(backend.queue.as_ref(), queue.as_ref()).await;
    contract::tenant_directory(backend.tenants.as_ref()).await;
    contract::event_ledger(backend.ledger.as_ref()).await;
    contract::usage_counters(backend.usage.as_ref()).await;
    contract::vault(backend.vault.as_ref()).await;
    contract::credentials(backend.credentials.as_ref()).await;
    contract::isolation(&backend).await;
}

#[tokio::test]
async fn a_switched_off_adapter_fails_as_unavailable_until_switched_on() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let job = sample_job(&random_tenant());

    stores.queue.switch.set_down(true);
    let err = backend.queue.enqueue(&job).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)) && err.is_transient());
    assert!(stores.queue.is_empty(), "a failed enqueue stores nothing");

    stores.queue.switch.set_down(false);
    backend.queue.enqueue(&job).await.unwrap();
    assert_eq!(stores.queue.peek_all(), vec![job]);

    stores.tenants.switch.set_down(true);
    assert!(matches!(
        backend.tenants.get(&random_tenant()).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_down_adapter_fails_every_call() {
    let down: Arc<dyn TenantDirectory> = Arc::new(Down);
    assert!(matches!(down.list().await, Err(StoreError::Unavailable(_))));
    let queue: Arc<dyn JobQueue> = Arc::new(Down);
    assert!(
        queue
            .enqueue(&sample_job(&random_tenant()))
            .await
            .unwrap_err()
            .is_transient()
    );
}
