//! Two LocalBackend handles on one file, as two processes would have (`switchboard serve` and
//! `switchboard tenant add`): each sees the other's writes, and claims and counters stay exact
//! across them, also when they race from different threads.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use local::LocalBackend;
use tenant::ports::{Claim, LedgerKey, MAX_RECEIVES};
use tenant::testkit::{random_suffix, random_tenant, sample_job};
use tenant::{Tenant, TenantStatus};

const LEASE: Duration = Duration::from_secs(30);
const TTL: Duration = Duration::from_secs(600);

#[tokio::test]
async fn two_handles_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let serve = LocalBackend::open(dir.path()).unwrap().backend();
    let cli = LocalBackend::open(dir.path()).unwrap().backend();
    let id = random_tenant();

    cli.tenants
        .put(&Tenant::new(id.clone(), "Acme", 1))
        .await
        .unwrap();
    assert_eq!(serve.tenants.get(&id).await.unwrap().unwrap().name, "Acme");

    serve
        .tenants
        .set_status_if(&id, TenantStatus::Active, TenantStatus::Suspended, 2)
        .await
        .unwrap();
    assert_eq!(
        cli.tenants.get(&id).await.unwrap().unwrap().status,
        TenantStatus::Suspended
    );

    let job = sample_job(&id);
    cli.queue.enqueue(&job).await.unwrap();
    let other = LocalBackend::open(dir.path()).unwrap();
    let got = other.consumer().receive(10, LEASE).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(tenant::JobEnvelope::from_json(&got[0].body).unwrap(), job);
}

#[test]
fn a_claim_is_exactly_once_across_handles_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let handles: Vec<Arc<LocalBackend>> = (0..4)
        .map(|_| Arc::new(LocalBackend::open(dir.path()).unwrap()))
        .collect();
    let tenant = random_tenant();
    for round in 0..5 {
        let key = LedgerKey::Event(format!("Ev{round}{}", random_suffix(8)));
        let now = SystemTime::now();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let backend = handles[i % handles.len()].backend();
                let (tenant, key) = (tenant.clone(), key.clone());
                thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    rt.block_on(backend.ledger.claim(&tenant, &key, now, LEASE, TTL))
                        .unwrap()
                })
            })
            .collect();
        let claims: Vec<Claim> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let acquired = claims.iter().filter(|c| c.is_acquired()).count();
        assert_eq!(acquired, 1, "round {round}: {claims:?}");
    }
}

#[test]
fn usage_limits_hold_across_handles_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let handles: Vec<Arc<LocalBackend>> = (0..3)
        .map(|_| Arc::new(LocalBackend::open(dir.path()).unwrap()))
        .collect();
    let tenant = random_tenant();
    let now = SystemTime::now();
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let backend = handles[i % handles.len()].backend();
            let tenant = tenant.clone();
            thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                rt.block_on(backend.usage.consume(&tenant, "commands", 10, LEASE, now))
                    .unwrap()
            })
        })
        .collect();
    let allowed = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|q| q.allowed)
        .count();
    assert_eq!(allowed, 10);
}

#[tokio::test]
async fn a_message_goes_to_the_dead_letter_table_after_max_receives() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBackend::open(dir.path()).unwrap();
    let consumer = local.consumer();
    local
        .backend()
        .queue
        .enqueue(&sample_job(&random_tenant()))
        .await
        .unwrap();
    for attempt in 1..=MAX_RECEIVES {
        let got = consumer.receive(10, LEASE).await.unwrap();
        assert_eq!(got.len(), 1, "receive {attempt}");
        assert_eq!(got[0].receive_count, attempt);
        consumer
            .retry_after(&got[0].receipt, Duration::ZERO)
            .await
            .unwrap();
    }
    assert!(consumer.receive(10, LEASE).await.unwrap().is_empty());
    assert_eq!(consumer.dead_letter_count().await.unwrap(), 1);

    // The dead letter keeps the body for an operator, and the jobs table is empty.
    let conn = rusqlite::Connection::open(local.db_path()).unwrap();
    let (jobs, dead_count): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM jobs), (SELECT receive_count FROM dead_jobs)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((jobs, dead_count), (0, i64::from(MAX_RECEIVES)));
}

#[tokio::test]
async fn a_stale_receipt_cannot_ack_a_redelivered_message() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBackend::open(dir.path()).unwrap();
    let consumer = local.consumer();
    local
        .backend()
        .queue
        .enqueue(&sample_job(&random_tenant()))
        .await
        .unwrap();
    let first = consumer.receive(1, Duration::ZERO).await.unwrap().remove(0);
    let second = consumer.receive(1, LEASE).await.unwrap().remove(0);
    assert_eq!(second.receive_count, 2);
    consumer.ack(&first.receipt).await.unwrap();
    consumer
        .retry_after(&second.receipt, Duration::ZERO)
        .await
        .unwrap();
    let third = consumer.receive(1, LEASE).await.unwrap();
    assert_eq!(third.len(), 1, "the stale ack left the message in place");
    assert!(matches!(
        consumer.retry_after(&first.receipt, Duration::ZERO).await,
        Err(tenant::ports::StoreError::NotFound)
    ));
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = LocalBackend::open(dir.path()).unwrap().db_path();
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = LocalBackend::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, local::LocalError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}
