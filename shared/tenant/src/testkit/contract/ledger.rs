use std::time::{Duration, SystemTime};

use super::isolation::acquired;
use super::{expect_eq, ok};
use crate::ids::{JobId, TenantId};
use crate::ports::{Claim, EventLedger, LeaseToken, LedgerKey, StoreError};
use crate::testkit::{join_all, random_suffix, random_tenant};

const LEASE: Duration = Duration::from_secs(30);
const TTL: Duration = Duration::from_secs(600);
const SECOND: Duration = Duration::from_secs(1);

/// [`EventLedger`]: exactly one of 20 concurrent claimers acquires; `InFlight` within the lease;
/// takeover after it, marked `recovered`; `Done` with the outcome after `complete`; only the
/// holder's own token completes, releases or abandons; `release` makes a claim claimable again
/// (fresh) but leaves a completed key completed; `abandon` makes it claimable at once as a
/// recovery; entries expire after their ttl.
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
    let winners: Vec<_> = claims
        .iter()
        .filter_map(|c| match c {
            Claim::Acquired(lease) => Some(lease.clone()),
            _ => None,
        })
        .collect();
    expect_eq(
        "exactly one of 20 concurrent claims is Acquired",
        winners.len(),
        1,
    );
    let holder = winners[0].clone();
    assert!(
        !holder.recovered,
        "contract broken: a first claim is not a recovery"
    );
    assert!(
        claims
            .iter()
            .all(|c| matches!(c, Claim::Acquired(_) | Claim::InFlight)),
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

    // Only the holder's token settles the claim.
    let stranger = LeaseToken::random();
    match ledger
        .complete(&tenant, &key, &stranger, "not mine", at(2), TTL)
        .await
    {
        Err(StoreError::LeaseLost) => {}
        other => panic!(
            "contract broken: complete with another token must be LeaseLost, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    ok(
        "release with another token",
        ledger.release(&tenant, &key, &stranger).await,
    );
    ok(
        "abandon with another token",
        ledger.abandon(&tenant, &key, &stranger).await,
    );
    expect_eq(
        "another token's release or abandon leaves the claim held",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(2), LEASE, TTL).await,
        ),
        Claim::InFlight,
    );

    // Completion records the outcome; release cannot undo it.
    ok(
        "complete",
        ledger
            .complete(&tenant, &key, &holder.token, "enqueued job", at(2), TTL)
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
    ok(
        "release",
        ledger.release(&tenant, &key, &holder.token).await,
    );
    ok(
        "abandon",
        ledger.abandon(&tenant, &key, &holder.token).await,
    );
    expect_eq(
        "release or abandon after complete keeps the key Done",
        ok(
            "claim",
            ledger.claim(&tenant, &key, at(4), LEASE, TTL).await,
        ),
        done,
    );

    takeover(ledger, &tenant, t0).await;
    release_and_abandon(ledger, &tenant, t0).await;
    expiry(ledger, &tenant, t0).await;
}

async fn takeover(ledger: &dyn EventLedger, tenant: &TenantId, t0: SystemTime) {
    // A crashed claimer's lease runs out: the next claim takes over, is told so, and gets a
    // fresh lease of its own; the crashed one's late settling changes nothing.
    let job = LedgerKey::Job(JobId::new());
    let first = acquired(
        "a first claim is Acquired",
        ok("claim", ledger.claim(tenant, &job, t0, LEASE, TTL).await),
    );
    let after_lease = t0 + LEASE + SECOND;
    let second = acquired(
        "a claim after the lease ran out takes over",
        ok(
            "claim",
            ledger.claim(tenant, &job, after_lease, LEASE, TTL).await,
        ),
    );
    assert!(
        second.recovered,
        "contract broken: a takeover must be marked recovered"
    );
    assert_ne!(
        first.token, second.token,
        "contract broken: a takeover gets its own token"
    );
    match ledger
        .complete(tenant, &job, &first.token, "late", after_lease, TTL)
        .await
    {
        Err(StoreError::LeaseLost) => {}
        other => panic!(
            "contract broken: the old holder's complete must be LeaseLost, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    ok(
        "old holder's release",
        ledger.release(tenant, &job, &first.token).await,
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
    ok(
        "the new holder completes",
        ledger
            .complete(tenant, &job, &second.token, "done", after_lease, TTL)
            .await,
    );
    expect_eq(
        "the new holder's outcome is recorded",
        ok(
            "claim",
            ledger
                .claim(tenant, &job, after_lease + SECOND, LEASE, TTL)
                .await,
        ),
        Claim::Done {
            outcome: "done".into(),
        },
    );

    // A holder past its lease that nobody took over may still record its outcome.
    let slow = LedgerKey::Step(JobId::new(), "post");
    let lease = acquired(
        "a first step claim is Acquired",
        ok("claim", ledger.claim(tenant, &slow, t0, LEASE, TTL).await),
    );
    ok(
        "complete after the lease when nobody took over",
        ledger
            .complete(tenant, &slow, &lease.token, "posted", after_lease, TTL)
            .await,
    );
}

async fn release_and_abandon(ledger: &dyn EventLedger, tenant: &TenantId, t0: SystemTime) {
    // Releasing an unfinished claim makes the key claimable at once, as a fresh claim.
    let step = LedgerKey::Step(JobId::new(), "reply");
    let lease = acquired(
        "a first step claim is Acquired",
        ok("claim", ledger.claim(tenant, &step, t0, LEASE, TTL).await),
    );
    ok("release", ledger.release(tenant, &step, &lease.token).await);
    let again = acquired(
        "a released claim is Acquired again within the old lease",
        ok(
            "claim",
            ledger.claim(tenant, &step, t0 + SECOND, LEASE, TTL).await,
        ),
    );
    assert!(
        !again.recovered,
        "contract broken: a claim after a release is fresh, not a recovery"
    );

    // Abandoning makes it claimable at once, as a recovery.
    ok("abandon", ledger.abandon(tenant, &step, &again.token).await);
    let recovered = acquired(
        "an abandoned claim is Acquired again within the old lease",
        ok(
            "claim",
            ledger
                .claim(tenant, &step, t0 + SECOND * 2, LEASE, TTL)
                .await,
        ),
    );
    assert!(
        recovered.recovered,
        "contract broken: a claim after an abandon is a recovery"
    );

    // Releasing something never claimed is harmless; completing it is not allowed.
    let never = LedgerKey::Request(random_suffix(16));
    let token = LeaseToken::random();
    ok(
        "release of an unknown key",
        ledger.release(tenant, &never, &token).await,
    );
    ok(
        "abandon of an unknown key",
        ledger.abandon(tenant, &never, &token).await,
    );
    match ledger.complete(tenant, &never, &token, "x", t0, TTL).await {
        Err(StoreError::LeaseLost) => {}
        other => panic!(
            "contract broken: completing an unclaimed key must be LeaseLost, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    let fresh = acquired(
        "an unknown key is still claimable",
        ok("claim", ledger.claim(tenant, &never, t0, LEASE, TTL).await),
    );
    assert!(!fresh.recovered, "contract broken: nothing to recover");
}

async fn expiry(ledger: &dyn EventLedger, tenant: &TenantId, t0: SystemTime) {
    let ttl = Duration::from_secs(60);
    let key = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    let lease = acquired(
        "a first claim is Acquired",
        ok("claim", ledger.claim(tenant, &key, t0, LEASE, ttl).await),
    );
    ok(
        "complete",
        ledger
            .complete(tenant, &key, &lease.token, "done", t0, ttl)
            .await,
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
    let reborn = acquired(
        "after its ttl a key is as if never seen",
        ok(
            "claim",
            ledger
                .claim(tenant, &key, t0 + ttl + SECOND, LEASE, ttl)
                .await,
        ),
    );
    assert!(!reborn.recovered, "contract broken: an expired key is new");

    // An abandoned claim expires too (its ttl is shorter than its lease here).
    let abandoned = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    let short_ttl = Duration::from_secs(5);
    acquired(
        "a first claim is Acquired",
        ok(
            "claim",
            ledger.claim(tenant, &abandoned, t0, LEASE, short_ttl).await,
        ),
    );
    let after = acquired(
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
    );
    assert!(
        !after.recovered,
        "contract broken: an expired claim is gone, not recovered"
    );
}
