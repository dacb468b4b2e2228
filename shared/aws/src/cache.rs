//! A short-lived in-memory cache of decrypted bundles, per container.
//!
//! Entries live at most the configured ttl. Every write or delete through the vault bumps an
//! epoch; a read that started before the bump does not cache what it read, so a read racing a
//! write cannot reinstate the old bundle.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tenant::{TenantId, TokenBundle};

/// Decrypted bundles by tenant, with an expiry.
#[derive(Debug)]
pub(crate) struct BundleCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    epoch: u64,
    entries: HashMap<TenantId, (Instant, TokenBundle)>,
}

impl BundleCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters (worst case a stale entry that still expires), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh cached bundle, and the epoch to pass to [`Self::insert_if_unchanged`].
    pub(crate) fn get(&self, tenant: &TenantId) -> (Option<TokenBundle>, u64) {
        let inner = self.lock();
        let hit = inner
            .entries
            .get(tenant)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, bundle)| bundle.clone());
        (hit, inner.epoch)
    }

    /// Caches `bundle` unless a write or delete happened since `epoch` was read.
    pub(crate) fn insert_if_unchanged(&self, tenant: &TenantId, bundle: &TokenBundle, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        let ttl = self.ttl;
        inner.entries.retain(|_, (at, _)| at.elapsed() < ttl);
        inner
            .entries
            .insert(tenant.clone(), (Instant::now(), bundle.clone()));
    }

    /// Drops the tenant's entry and fences off reads in flight.
    pub(crate) fn invalidate(&self, tenant: &TenantId) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.entries.remove(tenant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> TenantId {
        TenantId::parse(raw).unwrap()
    }

    #[test]
    fn a_cached_bundle_is_served_until_invalidated() {
        let cache = BundleCache::new(Duration::from_secs(60));
        let (miss, epoch) = cache.get(&t("T1"));
        assert!(miss.is_none());
        cache.insert_if_unchanged(&t("T1"), &TokenBundle::default(), epoch);
        assert!(cache.get(&t("T1")).0.is_some());
        assert!(cache.get(&t("T2")).0.is_none());
        cache.invalidate(&t("T1"));
        assert!(cache.get(&t("T1")).0.is_none());
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_cached() {
        let cache = BundleCache::new(Duration::from_secs(60));
        let (_, epoch) = cache.get(&t("T1"));
        cache.invalidate(&t("T1"));
        cache.insert_if_unchanged(&t("T1"), &TokenBundle::default(), epoch);
        assert!(cache.get(&t("T1")).0.is_none());
    }

    #[test]
    fn entries_expire_and_zero_ttl_disables_caching() {
        let cache = BundleCache::new(Duration::from_millis(20));
        let (_, epoch) = cache.get(&t("T1"));
        cache.insert_if_unchanged(&t("T1"), &TokenBundle::default(), epoch);
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get(&t("T1")).0.is_none());

        let off = BundleCache::new(Duration::ZERO);
        let (_, epoch) = off.get(&t("T1"));
        off.insert_if_unchanged(&t("T1"), &TokenBundle::default(), epoch);
        assert!(off.get(&t("T1")).0.is_none());
    }
}
