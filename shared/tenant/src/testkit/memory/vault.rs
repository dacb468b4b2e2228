use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::{Switch, lock};
use crate::ids::TenantId;
use crate::ports::{Expected, Vault, VaultError, Version, Versioned};
use crate::secret::TokenBundle;

/// In-memory [`Vault`]. Nothing is encrypted: it is for tests, where the point is the flow.
/// Versions come from one counter per adapter, so a bundle deleted and written again never
/// repeats a version a stale writer could still hold.
#[derive(Debug, Default)]
pub struct MemoryVault {
    bundles: Mutex<HashMap<TenantId, (u64, TokenBundle)>>,
    writes: AtomicU64,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory vault";

impl MemoryVault {
    /// Number of tenants with a bundle.
    pub fn len(&self) -> usize {
        self.bundles.lock().map(|b| b.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the stored state (the version, if any) is what the writer expected.
pub(crate) fn matches(stored: Option<u64>, expected: &Expected) -> bool {
    match (stored, expected) {
        (None, Expected::Absent) => true,
        (Some(at), Expected::At(version)) => version.as_str() == at.to_string(),
        _ => false,
    }
}

#[async_trait]
impl Vault for MemoryVault {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.bundles, WHAT)?
            .get(tenant)
            .map(|(_, bundle)| bundle.clone()))
    }

    async fn get_fresh(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.bundles, WHAT)?
            .get(tenant)
            .map(|(at, bundle)| Versioned {
                value: bundle.clone(),
                version: Version::new(at.to_string()),
            }))
    }

    async fn put(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError> {
        self.switch.check(WHAT)?;
        let mut bundles = lock(&self.bundles, WHAT)?;
        if !matches(bundles.get(tenant).map(|(at, _)| *at), expected) {
            return Err(VaultError::Conflict);
        }
        let at = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        bundles.insert(tenant.clone(), (at, bundle.clone()));
        Ok(Version::new(at.to_string()))
    }

    async fn remove(&self, tenant: &TenantId, expected: &Version) -> Result<(), VaultError> {
        self.switch.check(WHAT)?;
        let mut bundles = lock(&self.bundles, WHAT)?;
        let expected = Expected::At(expected.clone());
        if !matches(bundles.get(tenant).map(|(at, _)| *at), &expected) {
            return Err(VaultError::Conflict);
        }
        bundles.remove(tenant);
        Ok(())
    }

    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.switch.check(WHAT)?;
        lock(&self.bundles, WHAT)?.remove(tenant);
        Ok(())
    }
}
