use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{FastMap, Switch, lock};
use crate::ids::TenantId;
use crate::ports::{Quota, StoreError, UsageCounters, WindowSpan, window_of};

/// Key: tenant, counter name, window length (s), window index.
type CounterKey = (TenantId, String, u64, u64);

/// In-memory [`UsageCounters`]: one count per (tenant, counter, window); windows that ended
/// are dropped when the map grows.
#[derive(Debug, Default)]
pub struct MemoryUsage {
    counts: Mutex<FastMap<CounterKey, (u64, u64)>>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory usage counters";
/// Map size past which ended windows are purged (amortized: the purge doubles the threshold).
const PURGE_AT: usize = 4096;

#[async_trait]
impl UsageCounters for MemoryUsage {
    async fn consume_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        limit: u64,
        span: WindowSpan,
        now: SystemTime,
    ) -> Result<Quota, StoreError> {
        self.switch.check(WHAT)?;
        let WindowSpan {
            length_secs,
            index,
            resets_at,
        } = span;
        let mut counts = lock(&self.counts, WHAT)?;
        if counts.len() >= PURGE_AT && counts.len().is_power_of_two() {
            let now_s = window_of(now, Duration::from_secs(1)).0;
            counts.retain(|_, (_, ends)| *ends > now_s);
        }
        let key = (tenant.clone(), counter.to_owned(), length_secs, index);
        let (used, _) = counts.entry(key).or_insert((0, resets_at));
        let allowed = *used < limit;
        if allowed {
            *used += 1;
        }
        Ok(Quota {
            allowed,
            used: *used,
            limit,
            resets_at,
        })
    }

    async fn used_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        span: WindowSpan,
        _now: SystemTime,
    ) -> Result<u64, StoreError> {
        self.switch.check(WHAT)?;
        let counts = lock(&self.counts, WHAT)?;
        let key = (
            tenant.clone(),
            counter.to_owned(),
            span.length_secs,
            span.index,
        );
        Ok(counts.get(&key).map_or(0, |(used, _)| *used))
    }
}
