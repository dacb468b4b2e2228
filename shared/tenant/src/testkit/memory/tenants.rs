use std::sync::Mutex;

use async_trait::async_trait;

use super::{FastMap, Switch, lock};
use crate::ids::TenantId;
use crate::model::{BotIdentity, Installation, Tenant, TenantStatus};
use crate::ports::{StoreError, TenantDirectory};

/// In-memory [`TenantDirectory`]. Tenants are hashed by id (every request looks one up); `list`
/// sorts them by the id's string form, the order it promises.
#[derive(Debug, Default)]
pub struct MemoryTenants {
    tenants: Mutex<FastMap<TenantId, Tenant>>,
    installations: Mutex<FastMap<TenantId, Installation>>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory tenant directory";

#[async_trait]
impl TenantDirectory for MemoryTenants {
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.tenants, WHAT)?.get(id).cloned())
    }

    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        lock(&self.tenants, WHAT)?.insert(tenant.id.clone(), tenant.clone());
        Ok(())
    }

    async fn put_if(
        &self,
        tenant: &Tenant,
        expected: Option<TenantStatus>,
    ) -> Result<bool, StoreError> {
        self.switch.check(WHAT)?;
        let mut tenants = lock(&self.tenants, WHAT)?;
        if tenants.get(&tenant.id).map(|t| t.status) != expected {
            return Ok(false);
        }
        tenants.insert(tenant.id.clone(), tenant.clone());
        Ok(true)
    }

    async fn set_status_if(
        &self,
        id: &TenantId,
        expected: TenantStatus,
        new: TenantStatus,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.switch.check(WHAT)?;
        let mut tenants = lock(&self.tenants, WHAT)?;
        let tenant = tenants.get_mut(id).ok_or(StoreError::NotFound)?;
        if tenant.status != expected {
            return Ok(false);
        }
        tenant.status = new;
        tenant.updated_at = now;
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        self.switch.check(WHAT)?;
        let mut all: Vec<Tenant> = lock(&self.tenants, WHAT)?.values().cloned().collect();
        all.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(all)
    }

    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.installations, WHAT)?.get(id).cloned())
    }

    async fn bot_identity(&self, id: &TenantId) -> Result<Option<BotIdentity>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.installations, WHAT)?
            .get(id)
            .map(BotIdentity::of))
    }

    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        lock(&self.installations, WHAT)?.insert(installation.tenant.clone(), installation.clone());
        Ok(())
    }
}
