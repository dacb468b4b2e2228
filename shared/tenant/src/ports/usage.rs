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

/// Fixed-window counters with limits, per tenant: rate limits and quotas.
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
    ) -> Result<Quota, StoreError>;
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
