use std::time::{Duration, SystemTime};

use super::{expect_eq, ok};
use crate::ports::{Quota, UsageCounters, window_of};
use crate::testkit::{join_all, random_tenant};

const WINDOW: Duration = Duration::from_secs(60);

/// [`UsageCounters`]: of 20 concurrent uses exactly `limit` are allowed, numbered 1..=limit;
/// refusals report the full window; a new window starts from zero; counters are independent per
/// tenant and per counter name; a zero limit allows nothing.
pub async fn usage_counters(usage: &dyn UsageCounters) {
    let tenant = random_tenant();
    // A time 5 s into the current window, so the suite's offsets never cross a boundary.
    let (index, resets_at) = window_of(SystemTime::now(), WINDOW);
    let t0 = SystemTime::UNIX_EPOCH
        + WINDOW * u32::try_from(index).unwrap_or(u32::MAX)
        + Duration::from_secs(5);
    expect_eq(
        "window_of agrees with the suite's window",
        window_of(t0, WINDOW).1,
        resets_at,
    );
    let limit = 7;

    let quotas = join_all(
        (0..20)
            .map(|_| usage.consume(&tenant, "commands", limit, WINDOW, t0))
            .collect(),
    )
    .await;
    let quotas: Vec<Quota> = quotas.into_iter().map(|q| ok("consume", q)).collect();
    let mut allowed: Vec<u64> = quotas
        .iter()
        .filter(|q| q.allowed)
        .map(|q| q.used)
        .collect();
    allowed.sort_unstable();
    expect_eq(
        "exactly `limit` of 20 concurrent uses are allowed, counted 1..=limit",
        allowed,
        (1..=limit).collect(),
    );
    for quota in &quotas {
        expect_eq("every answer carries the limit", quota.limit, limit);
        expect_eq(
            "every answer carries the window end",
            quota.resets_at,
            resets_at,
        );
        if !quota.allowed {
            expect_eq(
                "a refused use reports the window as full",
                quota.used,
                limit,
            );
        }
    }

    let later = t0 + Duration::from_secs(50);
    expect_eq(
        "a full window refuses further uses",
        ok(
            "consume",
            usage
                .consume(&tenant, "commands", limit, WINDOW, later)
                .await,
        ),
        Quota {
            allowed: false,
            used: limit,
            limit,
            resets_at,
        },
    );

    let next = t0 + WINDOW;
    expect_eq(
        "a new window starts from zero",
        ok(
            "consume",
            usage
                .consume(&tenant, "commands", limit, WINDOW, next)
                .await,
        ),
        Quota {
            allowed: true,
            used: 1,
            limit,
            resets_at: resets_at + WINDOW.as_secs(),
        },
    );

    let fresh = Quota {
        allowed: true,
        used: 1,
        limit,
        resets_at,
    };
    expect_eq(
        "counters with different names are independent",
        ok(
            "consume",
            usage.consume(&tenant, "ai_calls", limit, WINDOW, t0).await,
        ),
        fresh,
    );
    let other = random_tenant();
    expect_eq(
        "counters of different tenants are independent",
        ok(
            "consume",
            usage.consume(&other, "commands", limit, WINDOW, t0).await,
        ),
        fresh,
    );

    let zero = ok(
        "consume",
        usage.consume(&tenant, "closed", 0, WINDOW, t0).await,
    );
    assert!(
        !zero.allowed && zero.used == 0,
        "contract broken: a zero limit allows nothing and counts nothing, got {zero:?}"
    );
}
