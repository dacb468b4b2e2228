//! The worker: redeliveries act once, failures are retried or recorded as they should be.

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use tenant::ports::{Claim, LedgerKey};
use tenant::{JobEnvelope, JobId, JobKind, SlackContext, TenantId};
use testkit::{Failure, RESPONSE_URL, payloads};
use worker::{Outcome, Worker};

use crate::helpers::{TestApp, WAIT, spawn_app, spawn_app_without_worker};

fn worker_for(app: &TestApp) -> Arc<Worker> {
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    Arc::new(Worker::new(app.backend.clone(), web, Clock::system()))
}

fn ping_job(app: &TestApp, team: &str, hook: &str) -> JobEnvelope {
    JobEnvelope::new(
        TenantId::parse(team).unwrap(),
        JobKind::Ping,
        SlackContext {
            response_url: Some(app.fake.response_url(hook)),
            ..Default::default()
        },
        testkit::signer::now() * 1000,
    )
}

#[tokio::test]
async fn a_crash_after_the_side_effect_but_before_the_ack_does_not_repeat_it() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let worker = worker_for(&app);
    app.backend
        .queue
        .enqueue(&ping_job(&app, "T0ACME001", "crash"))
        .await
        .unwrap();

    // First delivery: the job runs, then the worker "crashes" before acking.
    let first = app
        .consumer
        .receive(1, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(worker.process(&first[0].body, 1).await, Outcome::Done);
    // The message comes back (as after the visibility timeout).
    app.consumer
        .retry_after(&first[0].receipt, Duration::ZERO)
        .await
        .unwrap();

    let drained = worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    assert_eq!(drained, 1, "redelivered");
    assert_eq!(app.fake.calls_to(RESPONSE_URL).len(), 1, "answered once");
    assert!(
        app.take_queued().await.is_empty(),
        "acked after the redelivery"
    );
    app.stop().await;
}

#[tokio::test]
async fn slack_rate_limits_are_retried_after_retry_after() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme").await;
    app.fake.fail_next(
        RESPONSE_URL,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    app.command("T0ACME001", "ping", "limited").await;
    let calls = app.fake.wait_for(RESPONSE_URL, 2, WAIT).await;
    assert_eq!(calls.len(), 2, "refused once, then delivered");
    let gap = calls[1].at.duration_since(calls[0].at);
    assert!(
        gap >= Duration::from_millis(900),
        "waited for Retry-After, got {gap:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_reply_whose_outcome_is_unknown_is_not_sent_again_on_a_response_url() {
    // A 5xx from a response_url may come after Slack showed the reply; Slack offers no way to
    // read an ephemeral reply back, so the retry does not send it again (at most once).
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let worker = worker_for(&app);
    app.fake.fail_next(RESPONSE_URL, Failure::Status(503));
    let job = ping_job(&app, "T0ACME001", "flaky");
    assert!(matches!(
        worker.process(&job.to_json(), 1).await,
        Outcome::Retry { .. }
    ));
    assert_eq!(worker.process(&job.to_json(), 2).await, Outcome::Done);
    assert_eq!(app.fake.calls_to(RESPONSE_URL).len(), 1, "not repeated");
    app.stop().await;
}

fn mention_job(team: &str, thread: &str) -> JobEnvelope {
    JobEnvelope::new(
        TenantId::parse(team).unwrap(),
        JobKind::AppMention(tenant::job::AppMention {
            channel: tenant::ChannelId::parse("C0GENERAL1").unwrap(),
            ts: thread.to_owned(),
            thread_ts: None,
            user: Some(tenant::UserId::parse("U0ASKER01").unwrap()),
            text: "<@U0FAKEBOT> hi".into(),
        }),
        SlackContext::default(),
        testkit::signer::now() * 1000,
    )
}

#[tokio::test]
async fn a_mention_reply_that_reached_slack_behind_a_5xx_is_found_by_its_marker_not_reposted() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let worker = worker_for(&app);
    // Slack posts the reply, but the answer is lost behind a 502.
    app.fake
        .fail_next("chat.postMessage", Failure::AfterEffect(502));
    let job = mention_job("T0ACME001", "1700000000.000100");
    assert!(matches!(
        worker.process(&job.to_json(), 1).await,
        Outcome::Retry { .. }
    ));
    assert_eq!(worker.process(&job.to_json(), 2).await, Outcome::Done);
    assert_eq!(
        app.fake.calls_to("chat.postMessage").len(),
        1,
        "the reply is in Slack once"
    );
    let lookups = app.fake.calls_to("conversations.replies");
    assert_eq!(lookups.len(), 1, "the retry looked for its marker first");
    assert_eq!(lookups[0].body["ts"], "1700000000.000100");
    assert_eq!(lookups[0].body["include_all_metadata"], "true");
    app.stop().await;
}

#[tokio::test]
async fn a_mention_reply_refused_with_a_5xx_is_posted_by_the_retry_after_its_lookup() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let worker = worker_for(&app);
    // Refused before any effect: the lookup finds nothing, and the reply is posted.
    app.fake.fail_next("chat.postMessage", Failure::Status(503));
    let job = mention_job("T0ACME001", "1700000000.000200");
    assert!(matches!(
        worker.process(&job.to_json(), 1).await,
        Outcome::Retry { .. }
    ));
    assert_eq!(worker.process(&job.to_json(), 2).await, Outcome::Done);
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 2, "refused once, then posted");
    assert_eq!(
        posts[1].body["metadata"]["event_payload"]["job"],
        job.id.to_string(),
        "the post carries its marker"
    );
    assert_eq!(app.fake.calls_to("conversations.replies").len(), 1);
    assert_eq!(
        worker.process(&job.to_json(), 3).await,
        Outcome::AlreadyDone
    );
    app.stop().await;
}

#[tokio::test]
async fn a_job_whose_worker_died_after_posting_is_taken_over_after_its_lease_and_not_reposted() {
    let app = spawn_app_without_worker().await;
    let token = tenant::Secret::new(app.install("T0ACME001", "Acme").await);
    let worker = worker_for(&app);
    let job = mention_job("T0ACME001", "1700000000.000300");
    // A first worker posted (with its marker), then died before recording anything: its job
    // and step claims are still held.
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let now = std::time::SystemTime::now();
    let lease = worker.timing().lease;
    for key in [LedgerKey::Job(job.id), LedgerKey::Step(job.id, "reply")] {
        let claim = app
            .backend
            .ledger
            .claim(&job.tenant, &key, now, lease, Duration::from_secs(600))
            .await
            .unwrap();
        assert!(claim.is_acquired());
    }
    let mut msg = slack::Message {
        channel: Some(tenant::ChannelId::parse("C0GENERAL1").unwrap()),
        text: "Hi!".into(),
        thread_ts: Some("1700000000.000300".into()),
        ..slack::Message::default()
    };
    msg.metadata = Some(slack::MessageMetadata {
        event_type: "switchboard_job_step".into(),
        event_payload: serde_json::json!({"job": job.id.to_string(), "step": "reply"}),
    });
    web.post_message(&token, &msg).await.unwrap();
    // Within the lease the redelivery waits; the lease is shorter than the queue's visibility.
    assert!(lease < worker.timing().visibility);
    assert!(matches!(
        worker.process(&job.to_json(), 2).await,
        Outcome::Retry { after: Some(after) } if after <= lease
    ));
    // After the lease (the clock moved on), the job is taken over and the marker found.
    let later = Worker::new(
        app.backend.clone(),
        web,
        Clock::fixed(now + lease + Duration::from_secs(1)),
    );
    assert_eq!(later.process(&job.to_json(), 3).await, Outcome::Done);
    assert_eq!(app.fake.calls_to("chat.postMessage").len(), 1, "not twice");
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_fails_the_job_for_good_and_records_why() {
    let app = spawn_app_without_worker().await;
    let token = app.install("T0ACME001", "Acme").await;
    app.fake.revoke_token(&token);
    let event_id = payloads::event_id();
    let body = payloads::app_mention("T0ACME001", &event_id, "U0USER001", "C0CHAN001", "hi");
    app.post_signed("/slack/events", &body).await;

    let worker = worker_for(&app);
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    assert_eq!(app.fake.calls_to("chat.postMessage").len(), 1);
    assert!(app.take_queued().await.is_empty(), "not retried");

    let tenant = TenantId::parse("T0ACME001").unwrap();
    let key = LedgerKey::Job(JobId::derived(&tenant, &event_id));
    let claim = app
        .backend
        .ledger
        .claim(
            &tenant,
            &key,
            std::time::SystemTime::now(),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    match claim {
        Claim::Done { outcome } => assert!(outcome.contains("token_revoked"), "{outcome}"),
        other => panic!("outcome not recorded: {other:?}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn jobs_of_an_uninstalled_workspace_are_dropped_not_retried() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    app.backend
        .queue
        .enqueue(&ping_job(&app, "T0ACME001", "gone"))
        .await
        .unwrap();
    let tenant = TenantId::parse("T0ACME001").unwrap();
    tenant::service::uninstall(&app.backend, &tenant, 0)
        .await
        .unwrap();

    let worker = worker_for(&app);
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    assert!(app.take_queued().await.is_empty());
    let told = app.fake.calls_to(RESPONSE_URL);
    assert_eq!(told.len(), 1, "the user is told once");
    assert!(told[0].body["text"].as_str().unwrap().contains("reinstall"));
    app.stop().await;
}

fn sqs_message(id: &str, body: &str) -> SqsMessage {
    let mut msg = SqsMessage::default();
    msg.message_id = Some(id.into());
    msg.receipt_handle = Some(format!("receipt-{id}"));
    msg.body = Some(body.into());
    msg.attributes
        .insert("ApproximateReceiveCount".into(), "1".into());
    msg
}

#[tokio::test]
async fn an_sqs_batch_reports_only_the_retryable_records_as_failures() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let worker = worker_for(&app);
    // Refused with a 429 (nothing happened): retried, and delivered by the retry.
    app.fake.fail_next(
        RESPONSE_URL,
        Failure::RateLimited {
            retry_after_secs: 0,
        },
    );
    let failing = ping_job(&app, "T0ACME001", "fails");
    let mut event = SqsEvent::default();
    event.records = vec![
        sqs_message("m-fails", &failing.to_json()),
        sqs_message("m-garbage", "{not a job"),
        sqs_message(
            "m-unknown-tenant",
            &ping_job(&app, "T0NOBODY1", "nobody").to_json(),
        ),
    ];
    let res = worker.handle_sqs(event, None).await;
    let failed: Vec<_> = res
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    // Without a consumer to move it, the undecodable record is failed, so SQS's redrive puts
    // it in the DLQ after its last receive; it is never silently deleted.
    assert_eq!(failed, ["m-fails", "m-garbage"]);

    // The redelivery succeeds, and a second redelivery after that does not post again.
    let mut again = SqsEvent::default();
    again.records = vec![sqs_message("m-fails", &failing.to_json())];
    assert!(
        worker
            .handle_sqs(again.clone(), None)
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        worker
            .handle_sqs(again, None)
            .await
            .batch_item_failures
            .is_empty()
    );
    let hooks: Vec<_> = app
        .fake
        .calls_to(RESPONSE_URL)
        .into_iter()
        .filter(|c| c.path == "/hooks/fails")
        .collect();
    assert_eq!(
        hooks.len(),
        2,
        "one refused by the fake, one delivered, none repeated"
    );
    app.stop().await;
}

#[tokio::test]
async fn provisioning_sends_one_welcome_dm_and_publishes_home_even_across_a_retry() {
    let app = spawn_app_without_worker().await;
    let token = app.install("T0ACME001", "Acme").await;
    let job = JobEnvelope::new(
        TenantId::parse("T0ACME001").unwrap(),
        JobKind::Provision(tenant::job::Provision {
            installer: Some(tenant::UserId::parse("U0ADMIN01").unwrap()),
            reinstall: false,
        }),
        SlackContext::default(),
        testkit::signer::now() * 1000,
    );
    app.backend.queue.enqueue(&job).await.unwrap();
    // The Home tab publish fails once: the job is retried, the DM is not sent again.
    app.fake.fail_next("views.publish", Failure::Status(502));
    let worker = worker_for(&app);
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    // retry_after put it back after a backoff; make it visible now, as time would.
    let again = app
        .consumer
        .receive(10, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(again.is_empty(), "not visible before its backoff");
    tokio::time::sleep(worker::backoff(1) + Duration::from_millis(100)).await;
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();

    // conversations.open is idempotent (the same DM every time), so it is not a step.
    let opens = app.fake.calls_to("conversations.open");
    assert!(!opens.is_empty());
    assert!(opens.iter().all(|o| o.body["users"] == "U0ADMIN01"));
    let dms = app.fake.calls_to("chat.postMessage");
    assert_eq!(dms.len(), 1, "one welcome DM");
    assert_eq!(
        dms[0].token.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    assert!(
        dms[0].body["text"]
            .as_str()
            .unwrap()
            .contains("first admin")
    );
    let homes = app.fake.calls_to("views.publish");
    assert_eq!(homes.len(), 2, "failed once, then published");
    assert_eq!(homes[1].body["user_id"], "U0ADMIN01");
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_later_installer_becomes_a_member_not_a_second_first_admin() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let tenant = TenantId::parse("T0ACME001").unwrap();
    let worker = worker_for(&app);
    for (user, reinstall) in [("U0ADMIN01", false), ("U0OTHER01", true)] {
        let job = JobEnvelope::new(
            tenant.clone(),
            JobKind::Provision(tenant::job::Provision {
                installer: Some(tenant::UserId::parse(user).unwrap()),
                reinstall,
            }),
            SlackContext::default(),
            testkit::signer::now() * 1000,
        );
        app.backend.queue.enqueue(&job).await.unwrap();
        worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    }
    let members = app.backend.members.list_members(&tenant).await.unwrap();
    let roles: Vec<(&str, tenant::ports::Role)> =
        members.iter().map(|m| (m.user.as_str(), m.role)).collect();
    assert_eq!(
        roles,
        [
            ("U0ADMIN01", tenant::ports::Role::Admin),
            ("U0OTHER01", tenant::ports::Role::Member)
        ]
    );
    let dms = app.fake.calls_to("chat.postMessage");
    assert_eq!(dms.len(), 2);
    assert!(
        !dms[1].body["text"]
            .as_str()
            .unwrap()
            .contains("first admin")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_undecodable_envelope_goes_to_the_dead_letter_queue_with_its_reason() {
    // Before issue 7 it was deleted: an operator never saw it.
    let stores = tenant::testkit::MemoryStores::new();
    let app = crate::helpers::spawn_on(
        stores.backend(),
        stores.queue.clone() as Arc<dyn tenant::ports::JobConsumer>,
        false,
        tempfile::tempdir().unwrap(),
    )
    .await;
    stores.queue.enqueue_raw("{not a job").unwrap();
    let worker = worker_for(&app);
    assert_eq!(
        worker.drain_once(stores.queue.as_ref(), 10).await.unwrap(),
        1
    );
    assert_eq!(stores.queue.dead_letters(), ["{not a job"]);
    let reasons = stores.queue.dead_letter_reasons();
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].contains("not valid JSON"), "{reasons:?}");
    assert!(stores.queue.peek_bodies().is_empty(), "gone from the queue");
    app.stop().await;
}
