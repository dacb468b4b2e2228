use std::time::{Duration, SystemTime};

use super::{expect_eq, ok};
use crate::ids::TenantId;
use crate::ports::{Quota, UsageCounters, WindowSpan, window_of};
use crate::testkit::{join_all, random_tenant};

const WINDOW: Duration = Duration::from_secs(60);

/// [`UsageCounters`] (see also [`peeks`] for `used_in`): of 20 concurrent uses exactly `limit` are allowed, numbered 1..=limit;
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

    monthly(usage).await;
    peeks(usage).await;
}

/// Calendar-month windows: a month's uses count together from its first to its last second,
/// refusals name the 1st of the next month, the next month starts from zero, and a month
/// counter never shares a count with a fixed-window counter of the same name.
async fn monthly(usage: &dyn UsageCounters) {
    let tenant = random_tenant();
    let day = Duration::from_secs(86_400);
    // 2026-12-01T00:00:00Z, the 31st at 23:59:59, and 2027-01-01T00:00:00Z.
    let first = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_083_200);
    let last = first + day * 31 - Duration::from_secs(1);
    let january = first + day * 31;
    let month = WindowSpan::month(first);
    expect_eq(
        "the 1st and the 31st are one month",
        WindowSpan::month(last),
        month,
    );
    let limit = 2;
    for (n, at) in [first, last].into_iter().enumerate() {
        let quota = ok(
            "consume_in",
            usage
                .consume_in(&tenant, "followups", limit, WindowSpan::month(at), at)
                .await,
        );
        expect_eq("a month's uses count together", quota.used, n as u64 + 1);
    }
    expect_eq(
        "a full month refuses, naming the 1st of the next",
        ok(
            "consume_in",
            usage
                .consume_in(&tenant, "followups", limit, month, last)
                .await,
        ),
        Quota {
            allowed: false,
            used: limit,
            limit,
            resets_at: 1_798_761_600,
        },
    );
    let next = ok(
        "consume_in",
        usage
            .consume_in(
                &tenant,
                "followups",
                limit,
                WindowSpan::month(january),
                january,
            )
            .await,
    );
    expect_eq(
        "the next month starts from zero",
        (next.allowed, next.used),
        (true, 1),
    );
    let fixed = ok(
        "consume",
        usage
            .consume(&tenant, "followups", limit, Duration::from_secs(60), last)
            .await,
    );
    expect_eq(
        "a fixed window is counted apart from the month",
        (fixed.allowed, fixed.used),
        (true, 1),
    );
}

/// `used_in` reads a window's count without changing it: 0 before any use, the count after
/// uses (full windows included), the same however often it is read, and only for its own
/// tenant, counter name and window.
async fn peeks(usage: &dyn UsageCounters) {
    let tenant = random_tenant();
    // 2026-12-10T00:00:00Z: inside December, nowhere near a boundary.
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_083_200 + 9 * 86_400);
    let month = WindowSpan::month(at);
    let peek = async |tenant: &TenantId, counter: &str, span: WindowSpan| {
        usage.used_in(tenant, counter, span, at).await
    };
    expect_eq(
        "a window nothing was counted in holds 0",
        ok("used_in", peek(&tenant, "followups", month).await),
        0,
    );
    for _ in 0..3 {
        ok(
            "consume_in",
            usage.consume_in(&tenant, "followups", 3, month, at).await,
        );
    }
    for _ in 0..2 {
        expect_eq(
            "used_in reports the count and counts nothing itself",
            ok("used_in", peek(&tenant, "followups", month).await),
            3,
        );
    }
    let refused = ok(
        "consume_in",
        usage.consume_in(&tenant, "followups", 3, month, at).await,
    );
    expect_eq("the window is full after the peeks", refused.allowed, false);
    expect_eq(
        "a refused use is not counted",
        ok("used_in", peek(&tenant, "followups", month).await),
        3,
    );
    expect_eq(
        "another counter name holds its own count",
        ok("used_in", peek(&tenant, "commands", month).await),
        0,
    );
    expect_eq(
        "another tenant holds its own count",
        ok("used_in", peek(&random_tenant(), "followups", month).await),
        0,
    );
    let january = WindowSpan::month(at + Duration::from_secs(31 * 86_400));
    expect_eq(
        "another window holds its own count",
        ok("used_in", peek(&tenant, "followups", january).await),
        0,
    );
    let fixed = WindowSpan::fixed(at, Duration::from_secs(60));
    expect_eq(
        "a fixed window of the same name is apart from the month",
        ok("used_in", peek(&tenant, "followups", fixed).await),
        0,
    );
}
