use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Switch, lock};
use crate::ids::TenantId;
use crate::model::{Installation, Tenant, TenantStatus};
use crate::ports::{StoreError, TenantDirectory};

/// In-memory [`TenantDirectory`]. Tenants are kept by the id's string form, which is also the
/// order `list` promises.
#[derive(Debug, Default)]
pub struct MemoryTenants {
    tenants: Mutex<BTreeMap<String, Tenant>>,
    installations: Mutex<HashMap<TenantId, Installation>>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory tenant directory";

#[async_trait]
impl TenantDirectory for MemoryTenants {
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.tenants, WHAT)?.get(id.as_str()).cloned())
    }

    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        lock(&self.tenants, WHAT)?.insert(tenant.id.as_str().to_owned(), tenant.clone());
        Ok(())
    }

    async fn set_status(
        &self,
        id: &TenantId,
        status: TenantStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut tenants = lock(&self.tenants, WHAT)?;
        let tenant = tenants.get_mut(id.as_str()).ok_or(StoreError::NotFound)?;
        tenant.status = status;
        tenant.updated_at = now;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.tenants, WHAT)?.values().cloned().collect())
    }

    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.installations, WHAT)?.get(id).cloned())
    }

    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        lock(&self.installations, WHAT)?.insert(installation.tenant.clone(), installation.clone());
        Ok(())
    }
}
