use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use tenant::TenantId;
use tenant::ports::{Expected, StoreError, Version, Versioned};

use crate::crm::{CrmKind, Domain};
use crate::ports::{AccountMapping, CrmDirectory, CrmSettings, DirectoryError};

/// In-memory [`CrmDirectory`]: the reference semantics the SQLite and DynamoDB adapters are
/// held to by `contract::crm_directory`. Everything sits under one lock, so the verified rule
/// and the counter are atomic as the real adapters make them.
#[derive(Debug, Default)]
pub struct MemoryCrmDirectory {
    state: Mutex<State>,
    /// Versions come from one counter, so settings deleted and created again never get back a
    /// version a stale writer holds.
    writes: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    settings: BTreeMap<TenantId, (u64, CrmSettings)>,
    mappings: BTreeMap<(TenantId, CrmKind, Domain), AccountMapping>,
}

impl MemoryCrmDirectory {
    /// Number of stored mappings, all tenants and kinds together.
    pub fn mappings_len(&self) -> usize {
        self.state.lock().map(|s| s.mappings.len()).unwrap_or(0)
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, DirectoryError> {
        self.state.lock().map_err(|_| {
            DirectoryError::Store(StoreError::unavailable("memory directory lock poisoned"))
        })
    }
}

fn version(n: u64) -> Version {
    Version::new(n.to_string())
}

#[async_trait]
impl CrmDirectory for MemoryCrmDirectory {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<CrmSettings>>, DirectoryError> {
        Ok(self.lock()?.settings.get(tenant).map(|(n, s)| Versioned {
            value: s.clone(),
            version: version(*n),
        }))
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &CrmSettings,
        expected: &Expected,
    ) -> Result<Version, DirectoryError> {
        let mut state = self.lock()?;
        let current = state.settings.get(tenant);
        let holds = match expected {
            Expected::Absent => current.is_none(),
            Expected::At(v) => current.is_some_and(|(n, _)| version(*n) == *v),
        };
        if !holds {
            return Err(DirectoryError::Conflict);
        }
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        state.settings.insert(tenant.clone(), (n, settings.clone()));
        Ok(version(n))
    }

    async fn mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<Option<AccountMapping>, DirectoryError> {
        let key = (tenant.clone(), kind, domain.clone());
        Ok(self.lock()?.mappings.get(&key).cloned())
    }

    async fn save_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        mapping: &AccountMapping,
    ) -> Result<bool, DirectoryError> {
        let key = (tenant.clone(), kind, mapping.domain.clone());
        let mut state = self.lock()?;
        if !mapping.verified && state.mappings.get(&key).is_some_and(|m| m.verified) {
            return Ok(false);
        }
        state.mappings.insert(key, mapping.clone());
        Ok(true)
    }

    async fn mapping_used(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<(), DirectoryError> {
        let key = (tenant.clone(), kind, domain.clone());
        if let Some(m) = self.lock()?.mappings.get_mut(&key) {
            m.times_used = m.times_used.saturating_add(1);
        }
        Ok(())
    }

    async fn delete_mappings(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
    ) -> Result<(), DirectoryError> {
        self.lock()?
            .mappings
            .retain(|(t, k, _), _| !(t == tenant && *k == kind));
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), DirectoryError> {
        let mut state = self.lock()?;
        state.settings.remove(tenant);
        state.mappings.retain(|(t, _, _), _| t != tenant);
        Ok(())
    }
}
