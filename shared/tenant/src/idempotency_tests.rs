use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::*;
use crate::ids::JobId;
use crate::testkit::memory::MemoryLedger;

const POLICY: Policy = Policy {
    lease: Duration::from_secs(30),
    ttl: Duration::from_secs(600),
};

fn tenant() -> TenantId {
    TenantId::parse("T0ONCE001").unwrap()
}

fn wall() -> SystemTime {
    SystemTime::now()
}

#[tokio::test]
async fn a_recorded_step_is_not_run_again() {
    let ledger = MemoryLedger::default();
    let key = LedgerKey::Step(JobId::new(), "post");
    let runs = AtomicUsize::new(0);
    for _ in 0..3 {
        let _ = once(&ledger, &tenant(), &key, POLICY, &wall, |attempt| {
            assert_eq!(attempt, Attempt::Fresh);
            runs.fetch_add(1, Ordering::SeqCst);
            async {
                Settle::<(), ()>::Done {
                    value: (),
                    outcome: "posted".into(),
                }
            }
        })
        .await
        .unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let again = once(&ledger, &tenant(), &key, POLICY, &wall, |_| async {
        Settle::<(), ()>::Release(())
    })
    .await
    .unwrap();
    assert!(matches!(again, Once::AlreadyDone { outcome } if outcome == "posted"));
}

#[tokio::test]
async fn a_released_step_runs_again_fresh_and_an_abandoned_one_as_a_recovery() {
    let ledger = MemoryLedger::default();
    let key = LedgerKey::Step(JobId::new(), "post");
    let first = once(&ledger, &tenant(), &key, POLICY, &wall, |_| async {
        Settle::<(), &str>::Release("429")
    })
    .await
    .unwrap();
    assert!(matches!(first, Once::Ran(Err("429"))));
    let second = once(
        &ledger,
        &tenant(),
        &key,
        POLICY,
        &wall,
        |attempt| async move {
            assert_eq!(attempt, Attempt::Fresh, "nothing happened before: fresh");
            Settle::<(), &str>::Abandon("timeout")
        },
    )
    .await
    .unwrap();
    assert!(matches!(second, Once::Ran(Err("timeout"))));
    let third = once(
        &ledger,
        &tenant(),
        &key,
        POLICY,
        &wall,
        |attempt| async move {
            Settle::<Attempt, &str>::Done {
                value: attempt,
                outcome: "found the marker".into(),
            }
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(third, Once::Ran(Ok(Attempt::Recovery))),
        "after an abandoned try the next one must check first: {third:?}"
    );
}

#[tokio::test]
async fn a_holder_that_died_is_taken_over_as_a_recovery_only_after_its_lease() {
    let ledger = MemoryLedger::default();
    let key = LedgerKey::Job(JobId::new());
    let t0 = SystemTime::now();
    // A holder claims and dies (never settles).
    let claim = ledger
        .claim(&tenant(), &key, t0, POLICY.lease, POLICY.ttl)
        .await
        .unwrap();
    assert!(claim.is_acquired());
    let within = move || t0 + Duration::from_secs(10);
    let busy = once(&ledger, &tenant(), &key, POLICY, &within, |_| async {
        Settle::<(), ()>::Release(())
    })
    .await
    .unwrap();
    assert!(matches!(busy, Once::Busy));
    let after = move || t0 + POLICY.lease + Duration::from_secs(1);
    let taken = once(
        &ledger,
        &tenant(),
        &key,
        POLICY,
        &after,
        |attempt| async move {
            Settle::<Attempt, ()>::Done {
                value: attempt,
                outcome: "done".into(),
            }
        },
    )
    .await
    .unwrap();
    assert!(matches!(taken, Once::Ran(Ok(Attempt::Recovery))));
}

#[tokio::test]
async fn a_late_holder_cannot_record_over_the_one_that_took_over() {
    let ledger = MemoryLedger::default();
    let key = LedgerKey::Job(JobId::new());
    let t0 = SystemTime::now();
    let slow = move || t0;
    // The slow holder's step runs past its lease; meanwhile another caller takes over.
    let result = once(&ledger, &tenant(), &key, POLICY, &slow, |_| async {
        let later = t0 + POLICY.lease + Duration::from_secs(1);
        let Claim::Acquired(_) = ledger
            .claim(&tenant(), &key, later, POLICY.lease, POLICY.ttl)
            .await
            .unwrap()
        else {
            panic!("the key must be taken over after the lease");
        };
        Settle::<(), ()>::Done {
            value: (),
            outcome: "late".into(),
        }
    })
    .await;
    assert!(
        matches!(result, Err(OnceError::Record(StoreError::LeaseLost))),
        "{result:?}"
    );
    // The new holder's claim is intact: still in flight, not recorded as the late one's.
    let now = t0 + POLICY.lease + Duration::from_secs(2);
    assert_eq!(
        ledger
            .claim(&tenant(), &key, now, POLICY.lease, POLICY.ttl)
            .await
            .unwrap(),
        Claim::InFlight
    );
}

#[tokio::test]
async fn a_record_that_fails_keeps_the_claim_so_nothing_reruns_within_the_lease() {
    let ledger = MemoryLedger::default();
    let key = LedgerKey::Step(JobId::new(), "post");
    let result = once(&ledger, &tenant(), &key, POLICY, &wall, |_| async {
        // The store fails after the effect, before the record.
        ledger.switch.set_down(true);
        Settle::<(), ()>::Done {
            value: (),
            outcome: "posted".into(),
        }
    })
    .await;
    assert!(matches!(&result, Err(e) if e.step_ran()), "{result:?}");
    ledger.switch.set_down(false);
    let again = once(&ledger, &tenant(), &key, POLICY, &wall, |_| async {
        Settle::<(), ()>::Release(())
    })
    .await
    .unwrap();
    assert!(matches!(again, Once::Busy));
}

#[tokio::test]
async fn a_ledger_that_cannot_be_claimed_runs_nothing() {
    let ledger = MemoryLedger::default();
    ledger.switch.set_down(true);
    let key = LedgerKey::Step(JobId::new(), "post");
    let result = once(&ledger, &tenant(), &key, POLICY, &wall, |_| async {
        panic!("must not run");
        #[allow(unreachable_code)]
        Settle::<(), ()>::Release(())
    })
    .await;
    assert!(matches!(&result, Err(e) if !e.step_ran()), "{result:?}");
}
