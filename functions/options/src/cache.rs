//! The answers already given, per workspace, in this process: Slack asks again on every
//! keystroke (and for the same text when a user reopens a select), and a CRM search takes
//! hundreds of milliseconds of Slack's 3 s.
//!
//! Keyed by (tenant, CRM kind, select, normalized query): one tenant's answers are never
//! another's, and a workspace that switches its default CRM does not see the old one's ids.
//! Entries live a TTL (60 s by default) and the cache holds a bounded number; at the bound
//! the oldest entry goes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use followup::crm::CrmKind;
use tenant::TenantId;

use crate::render::SlackOption;
use crate::suggestion::Select;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub tenant: TenantId,
    pub kind: CrmKind,
    pub select: Select,
    /// `Query::key`.
    pub query: String,
}

struct Entry {
    stored_at: SystemTime,
    options: Vec<SlackOption>,
}

/// A bounded TTL map; times come from the caller (the handler's clock), so tests move time
/// instead of sleeping.
pub struct OptionsCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl OptionsCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Entry>> {
        // A panic elsewhere while holding it leaves a map that is still consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self, entry: &Entry, now: SystemTime) -> bool {
        now.duration_since(entry.stored_at)
            .is_ok_and(|age| age < self.ttl)
    }

    /// The options stored for `key`, while fresh.
    pub fn get(&self, key: &CacheKey, now: SystemTime) -> Option<Vec<SlackOption>> {
        let mut entries = self.lock();
        match entries.get(key) {
            Some(entry) if self.fresh(entry, now) => Some(entry.options.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores `options` for `key`: expired entries are dropped first, then the oldest while
    /// the cache is full.
    pub fn put(&self, key: CacheKey, options: Vec<SlackOption>, now: SystemTime) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| self.fresh(e, now));
            while entries.len() >= self.capacity {
                let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.stored_at)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                stored_at: now,
                options,
            },
        );
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use tenant::testkit::random_tenant;

    use super::*;
    use crate::render::PlainText;

    fn key(tenant: &TenantId, query: &str) -> CacheKey {
        CacheKey {
            tenant: tenant.clone(),
            kind: CrmKind::Hubspot,
            select: Select::TaskContact,
            query: query.into(),
        }
    }

    fn opts(value: &str) -> Vec<SlackOption> {
        vec![SlackOption {
            text: PlainText {
                kind: "plain_text",
                text: value.into(),
            },
            value: value.into(),
        }]
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = OptionsCache::new(Duration::from_secs(60), 10);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let a = random_tenant();
        cache.put(key(&a, "jo"), opts("1"), t0);
        assert_eq!(
            cache.get(&key(&a, "jo"), t0 + Duration::from_secs(59)),
            Some(opts("1"))
        );
        assert_eq!(
            cache.get(&key(&a, "jo"), t0 + Duration::from_secs(60)),
            None
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn tenants_kinds_and_selects_are_separate_keys() {
        let cache = OptionsCache::new(Duration::from_secs(60), 10);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let (a, b) = (random_tenant(), random_tenant());
        cache.put(key(&a, "jo"), opts("a"), now);
        assert_eq!(cache.get(&key(&b, "jo"), now), None);
        let other_kind = CacheKey {
            kind: CrmKind::Pipedrive,
            ..key(&a, "jo")
        };
        assert_eq!(cache.get(&other_kind, now), None);
        let other_select = CacheKey {
            select: Select::AccountSearch,
            ..key(&a, "jo")
        };
        assert_eq!(cache.get(&other_select, now), None);
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_entry() {
        let cache = OptionsCache::new(Duration::from_secs(60), 2);
        let t = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let a = random_tenant();
        cache.put(key(&a, "one"), opts("1"), t(10));
        cache.put(key(&a, "two"), opts("2"), t(11));
        cache.put(key(&a, "three"), opts("3"), t(12));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&key(&a, "one"), t(12)), None);
        assert_eq!(cache.get(&key(&a, "two"), t(12)), Some(opts("2")));
        assert_eq!(cache.get(&key(&a, "three"), t(12)), Some(opts("3")));
    }
}
