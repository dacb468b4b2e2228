use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Switch, lock};
use crate::ids::TenantId;
use crate::ports::{Vault, VaultError};
use crate::secret::TokenBundle;

/// In-memory [`Vault`]. Nothing is encrypted: it is for tests, where the point is the flow.
#[derive(Debug, Default)]
pub struct MemoryVault {
    bundles: Mutex<HashMap<TenantId, TokenBundle>>,
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

#[async_trait]
impl Vault for MemoryVault {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.bundles, WHAT)?.get(tenant).cloned())
    }

    async fn put(&self, tenant: &TenantId, bundle: &TokenBundle) -> Result<(), VaultError> {
        self.switch.check(WHAT)?;
        lock(&self.bundles, WHAT)?.insert(tenant.clone(), bundle.clone());
        Ok(())
    }

    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.switch.check(WHAT)?;
        lock(&self.bundles, WHAT)?.remove(tenant);
        Ok(())
    }
}
