use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::StoreError;
use crate::ids::TenantId;

/// The answer of [`UsageCounters::consume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Whether this use was counted (within the limit).
    pub allowed: bool,
    /// Uses counted in the current window, this one included if allowed.
    pub used: u64,
    pub limit: u64,
    /// Unix seconds when the window ends.
    pub resets_at: u64,
}

/// Which window a use is counted in: its kind (`length_secs`, part of the counter's key), its
/// index among windows of that kind, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpan {
    pub length_secs: u64,
    pub index: u64,
    /// Unix seconds when the window ends (and its count may be forgotten).
    pub resets_at: u64,
}

/// The key kind of calendar-month windows: no fixed window is this long, so the two kinds
/// never share a key.
const MONTH_KIND: u64 = 31 * 24 * 3600 + 1;

impl WindowSpan {
    /// The fixed window of length `window` containing `now`, aligned to the unix epoch.
    pub fn fixed(now: SystemTime, window: Duration) -> Self {
        let (index, resets_at) = window_of(now, window);
        Self {
            length_secs: window.as_secs().max(1),
            index,
            resets_at,
        }
    }

    /// The calendar month (UTC) containing `now`: monthly quotas reset on the 1st at 00:00
    /// UTC, whatever the month's length.
    pub fn month(now: SystemTime) -> Self {
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let (year, month) = crate::time::year_month(secs);
        let (next_year, next_month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        Self {
            length_secs: MONTH_KIND,
            index: year * 12 + (month - 1),
            resets_at: crate::time::month_start(next_year, next_month),
        }
    }
}

/// Windowed counters with limits, per tenant: rate limits and quotas.
#[async_trait]
pub trait UsageCounters: Send + Sync {
    /// Counts one use of `counter` in the fixed window of length `window` containing `now`,
    /// unless the window already has `limit` uses. Atomic: of concurrent callers at most
    /// `limit` get `allowed`. Windows are aligned to the unix epoch; old windows expire.
    async fn consume(
        &self,
        tenant: &TenantId,
        counter: &str,
        limit: u64,
        window: Duration,
        now: SystemTime,
    ) -> Result<Quota, StoreError> {
        self.consume_in(tenant, counter, limit, WindowSpan::fixed(now, window), now)
            .await
    }

    /// As [`UsageCounters::consume`], in the window `span` (a calendar month, say).
    async fn consume_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        limit: u64,
        span: WindowSpan,
        now: SystemTime,
    ) -> Result<Quota, StoreError>;

    /// How many uses of `counter` the window `span` holds right now, without counting one:
    /// what a page that shows usage (the App Home's "this month") reads. A window nothing was
    /// counted in yet (or one that ended and was forgotten) holds 0. Reads the store itself,
    /// so a use counted before the call is seen; it never changes a count.
    async fn used_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        span: WindowSpan,
        now: SystemTime,
    ) -> Result<u64, StoreError>;
}

/// The window a time falls in: (window index, unix seconds when it ends). Shared by adapters so
/// they agree on boundaries.
pub fn window_of(now: SystemTime, window: Duration) -> (u64, u64) {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let len = window.as_secs().max(1);
    let index = secs / len;
    (index, (index + 1) * len)
}
