use std::time::{Duration, SystemTime};

use super::{expect_eq, ok};
use crate::ids::JobId;
use crate::ports::{Claim, EventLedger, LedgerKey};
use crate::testkit::{join_all, random_suffix, random_tenant};

const LEASE: Duration = Duration::from_secs(30);
const TTL: Duration = Duration::from_secs(600);
const SECOND: Duration = Duration::from_secs(1);

/// [`EventLedger`]: exactly one of 20 concurrent claimers acquires; `InFlight` within the lease;
/// takeover after it; `Done` with the outcome after `complete`; `release` makes a claim
/// claimable again but leaves a completed key completed; entries expire after their ttl.
///
/// Times are the real clock plus offsets, passed in as `now`; adapters must judge leases and
/// expiry by the `now` they are given.
pub async fn event_ledger(ledger: &dyn EventLedger) {
    let tenant = random_tenant();
    let t0 = SystemTime::now();
    let at = |secs: u64| t0 + SECOND * u32::try_from(secs).unwrap_or(u32::MAX);

    // One winner among concurrent claimers.
    let key = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    let claims = join_all(
        (0..20)
            .map(|_| ledger.claim(&tenant, &key, t0, LEASE, TTL))
            .collect(),
    )
    .await;
    let claims: Vec<Claim> = claims.into_iter().map(|c| ok("claim", c)).collect();
    let acquired = claims.iter().filter(|c| **c == Claim::Acquired).count();
    expect_eq(
        "exactly one of 20 concurrent claims is Acquired",
        acquired,
        1,
    );
    assert!(
        claims
            .iter()
            .all(|c| matches!(c, Claim::Acquired | Claim::InFlight)),
        "contract broken: losers of a fresh claim must see InFlight, got {claims:?}"
    );
    expect_eq(
        "a claim within the lease is InFlight",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(1), LEASE, TTL).await,
        ),
        Claim::InFlight,
    );

    // Completion records the outcome; release cannot undo it.
    ok(
        "complete",
        ledger
            .complete(&tenant, &key, "enqueued job", at(2), TTL)
            .await,
    );
    let done = Claim::Done {
        outcome: "enqueued job".into(),
    };
    expect_eq(
        "a completed key answers Done with its outcome",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(3), LEASE, TTL).await,
        ),
        done.clone(),
    );
    expect_eq(
        "a completed key stays Done after the lease",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(100), LEASE, TTL).await,
        ),
        done.clone(),
    );
    ok("release", ledger.release(&tenant, &key).await);
    expect_eq(
        "release after complete keeps the key Done",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(4), LEASE, TTL).await,
        ),
        done,
    );

    takeover_and_release(ledger, &tenant, t0).await;
    expiry(ledger, &tenant, t0).await;
}

async fn takeover_and_release(ledger: &dyn EventLedger, tenant: &crate::TenantId, t0: SystemTime) {
    // A crashed claimer's lease runs out: the next claim takes over and gets a fresh lease.
    let job = LedgerKey::Job(JobId::new());
    expect_eq(
        "a first claim is Acquired",
        ok("claim", ledger.claim(tenant, &job, t0, LEASE, TTL).await),
        Claim::Acquired,
    );
    let after_lease = t0 + LEASE + SECOND;
    expect_eq(
        "a claim after the lease ran out takes over (Acquired)",
        ok(
            "claim",
            ledger.claim(tenant, &job, after_lease, LEASE, TTL).await,
        ),
        Claim::Acquired,
    );
    expect_eq(
        "the takeover holds a fresh lease (InFlight)",
        ok(
            "claim",
            ledger
                .claim(tenant, &job, after_lease + SECOND, LEASE, TTL)
                .await,
        ),
        Claim::InFlight,
    );

    // Releasing an unfinished claim makes the key claimable at once.
    let step = LedgerKey::Step(JobId::new(), "reply");
    expect_eq(
        "a first step claim is Acquired",
        ok("claim", ledger.claim(tenant, &step, t0, LEASE, TTL).await),
        Claim::Acquired,
    );
    ok("release", ledger.release(tenant, &step).await);
    expect_eq(
        "a released claim is Acquired again within the old lease",
        ok(
            "claim",
            ledger.claim(tenant, &step, t0 + SECOND, LEASE, TTL).await,
        ),
        Claim::Acquired,
    );

    // Releasing something never claimed is harmless; completing an unclaimed key records it.
    let never = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    ok(
        "release of an unknown key",
        ledger.release(tenant, &never).await,
    );
    ok(
        "complete of an unclaimed key",
        ledger.complete(tenant, &never, "skipped", t0, TTL).await,
    );
    expect_eq(
        "completing an unclaimed key records it as Done",
        ok(
            "claim",
            ledger.claim(tenant, &never, t0 + SECOND, LEASE, TTL).await,
        ),
        Claim::Done {
            outcome: "skipped".into(),
        },
    );
}

async fn expiry(ledger: &dyn EventLedger, tenant: &crate::TenantId, t0: SystemTime) {
    let ttl = Duration::from_secs(60);
    let key = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    expect_eq(
        "a first claim is Acquired",
        ok("claim", ledger.claim(tenant, &key, t0, LEASE, ttl).await),
        Claim::Acquired,
    );
    ok(
        "complete",
        ledger.complete(tenant, &key, "done", t0, ttl).await,
    );
    expect_eq(
        "a completed key is Done until its ttl",
        ok(
            "claim",
            ledger
                .claim(tenant, &key, t0 + ttl - SECOND, LEASE, ttl)
                .await,
        ),
        Claim::Done {
            outcome: "done".into(),
        },
    );
    expect_eq(
        "after its ttl a key is as if never seen (Acquired)",
        ok(
            "claim",
            ledger
                .claim(tenant, &key, t0 + ttl + SECOND, LEASE, ttl)
                .await,
        ),
        Claim::Acquired,
    );

    // An abandoned claim expires too (its ttl is shorter than its lease here).
    let abandoned = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    let short_ttl = Duration::from_secs(5);
    expect_eq(
        "a first claim is Acquired",
        ok(
            "claim",
            ledger.claim(tenant, &abandoned, t0, LEASE, short_ttl).await,
        ),
        Claim::Acquired,
    );
    expect_eq(
        "an expired claim is as if never seen",
        ok(
            "claim",
            ledger
                .claim(
                    tenant,
                    &abandoned,
                    t0 + short_ttl + SECOND,
                    LEASE,
                    short_ttl,
                )
                .await,
        ),
        Claim::Acquired,
    );
}
