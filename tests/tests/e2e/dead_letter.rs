//! A job whose tenant tokens do not decrypt (KMS denies the role, the ciphertext is another
//! tenant's) goes to the dead-letter queue with its reason: not deleted as a failure, not
//! retried until SQS gives up, nothing posted. A redrive after the fix runs it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use app::Clock;
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use tenant::ports::{
    Claim, EventLedger, Expected, JobConsumer, JobQueue, LedgerKey, Vault, VaultError, Version,
    Versioned,
};
use tenant::testkit::MemoryStores;
use tenant::{JobEnvelope, JobKind, SlackContext, TenantId, TokenBundle};
use testkit::RESPONSE_URL;
use worker::Worker;

use crate::helpers::{TestApp, spawn_on};

const TEAM: &str = "T0DENIED1";

/// What the vault answers when KMS refuses to decrypt the bundle: the AWS adapter maps
/// `AccessDeniedException`, `InvalidCiphertextException` and `IncorrectKeyException` (and a
/// ciphertext bound to another tenant's context) to `VaultError::Decrypt` (shared/aws).
struct Undecryptable(Arc<dyn Vault>);

#[async_trait]
impl Vault for Undecryptable {
    async fn get(&self, _: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        Err(VaultError::Decrypt)
    }
    async fn get_fresh(&self, _: &TenantId) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        Err(VaultError::Decrypt)
    }
    async fn put(
        &self,
        t: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError> {
        self.0.put(t, bundle, expected).await
    }
    async fn remove(&self, t: &TenantId, expected: &Version) -> Result<(), VaultError> {
        self.0.remove(t, expected).await
    }
    async fn delete(&self, t: &TenantId) -> Result<(), VaultError> {
        self.0.delete(t).await
    }
}

/// The app on memory stores with TEAM installed, a mention job for it queued, and a worker
/// whose vault cannot decrypt.
async fn denied_setup() -> (TestApp, MemoryStores, JobEnvelope, Arc<Worker>) {
    let stores = MemoryStores::new();
    let app = spawn_on(
        stores.backend(),
        stores.queue.clone() as Arc<dyn JobConsumer>,
        false,
        tempfile::tempdir().unwrap(),
    )
    .await;
    app.install(TEAM, "Denied").await;
    let job = JobEnvelope::new(
        TenantId::parse(TEAM).unwrap(),
        JobKind::AppMention(tenant::job::AppMention {
            channel: tenant::ChannelId::parse("C0GENERAL1").unwrap(),
            ts: "1700000000.000100".into(),
            thread_ts: None,
            user: Some(tenant::UserId::parse("U0ASKER01").unwrap()),
            text: "<@U0FAKEBOT> hi".into(),
        }),
        SlackContext {
            response_url: Some(app.fake.response_url("denied")),
            ..SlackContext::default()
        },
        testkit::signer::now() * 1000,
    );
    stores.queue.enqueue(&job).await.unwrap();
    let mut backend = stores.backend();
    backend.vault = Arc::new(Undecryptable(stores.vault.clone()));
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let worker = Arc::new(Worker::new(backend, web, Clock::system()));
    (app, stores, job, worker)
}

fn assert_nothing_posted(app: &TestApp) {
    assert!(app.fake.calls_to("chat.postMessage").is_empty());
    assert!(
        app.fake.calls_to(RESPONSE_URL).is_empty(),
        "the user is not told it failed"
    );
}

#[tokio::test]
async fn a_job_whose_tokens_do_not_decrypt_is_dead_lettered_with_its_reason_and_redrivable() {
    let (app, stores, job, worker) = denied_setup().await;

    assert_eq!(
        worker.drain_once(stores.queue.as_ref(), 10).await.unwrap(),
        1
    );

    assert_eq!(stores.queue.dead_letters(), [job.to_json()]);
    let reasons = stores.queue.dead_letter_reasons();
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("does not decrypt"), "{reasons:?}");
    assert!(stores.queue.peek_bodies().is_empty(), "gone from the queue");
    assert_nothing_posted(&app);
    // Not retried: nothing comes back.
    assert_eq!(
        worker.drain_once(stores.queue.as_ref(), 10).await.unwrap(),
        0
    );
    // Nothing was recorded for the job: a redrive runs it as a new one.
    let claim = stores
        .ledger
        .claim(
            &job.tenant,
            &LedgerKey::Job(job.id),
            SystemTime::now(),
            Duration::from_secs(1),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    assert!(
        matches!(&claim, Claim::Acquired(lease) if !lease.recovered),
        "{claim:?}"
    );
    if let Claim::Acquired(lease) = claim {
        stores
            .ledger
            .release(&job.tenant, &LedgerKey::Job(job.id), &lease.token)
            .await
            .unwrap();
    }

    // The operator fixes the key grant and redrives: the job runs and answers once.
    stores
        .queue
        .enqueue_raw(stores.queue.dead_letters()[0].clone())
        .unwrap();
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let fixed = Arc::new(Worker::new(stores.backend(), web, Clock::system()));
    assert_eq!(
        fixed.drain_once(stores.queue.as_ref(), 10).await.unwrap(),
        1
    );
    assert_eq!(app.fake.calls_to("chat.postMessage").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn on_lambda_such_a_record_is_moved_to_the_dlq_not_reported_for_retry() {
    let (app, stores, job, worker) = denied_setup().await;
    let delivery = stores
        .queue
        .receive(1, Duration::from_secs(60))
        .await
        .unwrap()
        .remove(0);
    let mut record = SqsMessage::default();
    record.message_id = Some("m-denied".into());
    record.receipt_handle = Some(delivery.receipt.clone());
    record.body = Some(delivery.body.clone());
    let mut event = SqsEvent::default();
    event.records = vec![record];
    let consumer = stores.queue.clone() as Arc<dyn JobConsumer>;

    let res = worker.handle_sqs(event, Some(&consumer)).await;

    assert!(res.batch_item_failures.is_empty(), "not retried");
    assert_eq!(stores.queue.dead_letters(), [job.to_json()]);
    assert!(stores.queue.dead_letter_reasons()[0].contains("does not decrypt"));
    assert_nothing_posted(&app);
    app.stop().await;
}
