use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Switch, lock};
use crate::audit::{AuditEntry, AuditEvent, AuditKey};
use crate::ids::TenantId;
use crate::ports::{AuditLog, StoreError};

/// In-memory [`AuditLog`]: one vector per tenant, appended under the lock (so never forked),
/// each entry sealed with a random key of this log's own (what [`Self::tamper`] cannot redo).
#[derive(Debug)]
pub struct MemoryAuditLog {
    entries: Mutex<HashMap<TenantId, Vec<AuditEntry>>>,
    key: AuditKey,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

impl Default for MemoryAuditLog {
    fn default() -> Self {
        // 244 random bits from two v4 UUIDs (the OS's random source): plenty for a test key.
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            entries: Mutex::default(),
            key: AuditKey::from_bytes(key),
            switch: Switch::default(),
        }
    }
}

const WHAT: &str = "memory audit log";

impl MemoryAuditLog {
    /// Replaces a stored entry behind the port's back, as tampering would (tests of
    /// `verify_chain` on what `list` returns). Returns whether the entry existed.
    pub fn tamper(&self, tenant: &TenantId, seq: u64, edit: impl FnOnce(&mut AuditEntry)) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        match entries
            .get_mut(tenant)
            .and_then(|list| list.iter_mut().find(|e| e.seq == seq))
        {
            Some(entry) => {
                edit(entry);
                true
            }
            None => false,
        }
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn append(&self, tenant: &TenantId, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        self.switch.check(WHAT)?;
        let mut entries = lock(&self.entries, WHAT)?;
        let list = entries.entry(tenant.clone()).or_default();
        let mut entry = AuditEntry::next(tenant, list.last(), event);
        entry.seal = self.key.seal(&entry);
        list.push(entry.clone());
        Ok(entry)
    }

    async fn list(&self, tenant: &TenantId) -> Result<Vec<AuditEntry>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.entries, WHAT)?
            .get(tenant)
            .cloned()
            .unwrap_or_default())
    }

    async fn verify_seal(&self, entry: &AuditEntry) -> Result<bool, StoreError> {
        self.switch.check(WHAT)?;
        Ok(self.key.verifies(entry))
    }
}
