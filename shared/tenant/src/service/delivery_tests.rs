use std::time::SystemTime;

use super::*;
use crate::service;
use crate::testkit::{self, memory_backend};

fn wall() -> SystemTime {
    SystemTime::now()
}

async fn installed() -> (
    Backend,
    std::sync::Arc<crate::testkit::memory::MemoryQueue>,
    TenantId,
) {
    let (backend, queue) = memory_backend();
    let tenant = testkit::random_tenant();
    testkit::install_sample(&backend, &tenant, "xoxb-delivery-test", 1).await;
    (backend, queue, tenant)
}

/// [`accept_delivery`] now, with `free` follow-ups a month on the free plan.
async fn accept(
    backend: &Backend,
    tenant: &TenantId,
    delivery: Delivery,
    free: u64,
) -> DeliveryOutcome {
    accept_delivery(backend, &wall, tenant.clone(), delivery, quotas(free))
        .await
        .unwrap()
}

fn delivery(user: &str, id: &str, recording: u64) -> Delivery {
    Delivery {
        user: UserId::parse(user).unwrap(),
        id: DeliveryId::parse(id).unwrap(),
        recording,
        started_at: Some("2025-03-01T16:01:12Z".parse().unwrap()),
        title: "Globex renewal".into(),
    }
}

fn quotas(free: u64) -> FollowupQuotas {
    FollowupQuotas {
        free: Some(free),
        ..FollowupQuotas::default()
    }
}

async fn used(backend: &Backend, tenant: &TenantId) -> u64 {
    let at = wall();
    backend
        .usage
        .used_in(
            tenant,
            crate::service::ingress::FOLLOWUP_COUNTER,
            crate::ports::WindowSpan::month(at),
            at,
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_delivery_queues_one_generation_for_its_user_and_a_resend_nothing() {
    let (backend, queue, tenant) = installed().await;
    let first = accept(&backend, &tenant, delivery("U0ALICE01", "msg_1", 42), 10).await;
    let DeliveryOutcome::Queued(job_id) = first else {
        panic!("queued: {first:?}");
    };
    let again = accept(&backend, &tenant, delivery("U0ALICE01", "msg_1", 42), 10).await;
    assert_eq!(again, DeliveryOutcome::Duplicate);
    let jobs = queue.peek_all();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, job_id);
    assert_eq!(jobs[0].slack.user.as_ref().unwrap().as_str(), "U0ALICE01");
    let JobKind::Generate(generate) = &jobs[0].kind else {
        panic!("a generation: {:?}", jobs[0].kind);
    };
    assert_eq!(generate.recording, 42);
    assert_eq!(generate.user.as_str(), "U0ALICE01");
    assert_eq!(generate.day, None);
    assert_eq!(
        generate.usage,
        Some(crate::job::MonthlyUse { used: 1, limit: 10 })
    );
    assert!(generate.meeting_started_at.is_some());
    assert_eq!(used(&backend, &tenant).await, 1, "counted once");
}

#[tokio::test]
async fn the_same_delivery_id_to_two_users_is_two_deliveries() {
    let (backend, queue, tenant) = installed().await;
    for user in ["U0ALICE01", "U0BOB0001"] {
        let outcome = accept(&backend, &tenant, delivery(user, "msg_same", 42), 10).await;
        assert!(matches!(outcome, DeliveryOutcome::Queued(_)), "{outcome:?}");
    }
    let ids: Vec<_> = queue.peek_all().iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn over_the_quota_the_user_gets_a_notice_job_once_and_nothing_is_counted() {
    let (backend, queue, tenant) = installed().await;
    let ok = accept(&backend, &tenant, delivery("U0ALICE01", "msg_1", 1), 1).await;
    assert!(matches!(ok, DeliveryOutcome::Queued(_)));
    for _ in 0..2 {
        let over = accept(&backend, &tenant, delivery("U0ALICE01", "msg_2", 2), 1).await;
        assert!(
            matches!(
                over,
                DeliveryOutcome::OverQuota { limit: 1, .. } | DeliveryOutcome::Duplicate
            ),
            "{over:?}"
        );
    }
    let jobs = queue.peek_all();
    assert_eq!(jobs.len(), 2, "the first generation and one notice");
    let JobKind::QuotaReached(notice) = &jobs[1].kind else {
        panic!("a notice: {:?}", jobs[1].kind);
    };
    assert_eq!((notice.limit, notice.title.as_str()), (1, "Globex renewal"));
    assert!(notice.resets_at > 0);
    assert_eq!(used(&backend, &tenant).await, 1);
}

#[tokio::test]
async fn a_suspended_or_unknown_tenant_is_acked_and_nothing_is_queued_or_counted() {
    let (backend, queue, tenant) = installed().await;
    service::suspend(&backend, &tenant, "operator", 2)
        .await
        .unwrap();
    let outcome = accept(&backend, &tenant, delivery("U0ALICE01", "msg_1", 1), 10).await;
    assert_eq!(outcome, DeliveryOutcome::Dropped(Dropped::Suspended));
    let unknown = accept(
        &backend,
        &testkit::random_tenant(),
        delivery("U0ALICE01", "msg_1", 1),
        10,
    )
    .await;
    assert_eq!(unknown, DeliveryOutcome::Dropped(Dropped::NotInstalled));
    assert!(queue.peek_all().is_empty());
    assert_eq!(used(&backend, &tenant).await, 0);
}

#[tokio::test]
async fn a_failed_enqueue_releases_the_claim_so_the_resend_is_accepted() {
    let (backend, queue, tenant) = installed().await;
    queue.switch.set_down(true);
    let failed = accept_delivery(
        &backend,
        &wall,
        tenant.clone(),
        delivery("U0ALICE01", "msg_1", 1),
        quotas(10),
    )
    .await;
    assert!(failed.is_err(), "never acked when not queued");
    queue.switch.set_down(false);
    let retried = accept(&backend, &tenant, delivery("U0ALICE01", "msg_1", 1), 10).await;
    assert!(matches!(retried, DeliveryOutcome::Queued(_)), "{retried:?}");
    assert_eq!(queue.peek_all().len(), 1);
}

#[test]
fn delivery_ids_are_bounded_printable_ascii_and_debug_hides_the_title() {
    assert!(DeliveryId::parse("msg_2x2zwLOcWaRTzsLK8KtbQt1FTk9").is_ok());
    for bad in ["", "msg 1", "msg\n1", "é", &"x".repeat(MAX_DELIVERY_ID + 1)] {
        assert_eq!(DeliveryId::parse(bad), Err(BadDeliveryId), "{bad:?}");
    }
    let shown = format!("{:?}", delivery("U0ALICE01", "msg_1", 1));
    assert!(!shown.contains("Globex"), "{shown}");
}
