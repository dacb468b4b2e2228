use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Switch, lock};
use crate::ids::{TenantId, UserId};
use crate::ports::{Member, Members, Role, StoreError};

#[derive(Debug, Default)]
struct Inner {
    /// Per tenant, by user id (the order `list_members` promises).
    members: HashMap<TenantId, BTreeMap<String, Member>>,
    /// Tenants that have had an admin: the same one-way guard the DynamoDB adapter keeps, so a
    /// demoted or removed first admin does not reopen `add_first_admin`.
    admin_claimed: HashSet<TenantId>,
}

/// In-memory [`Members`].
#[derive(Debug, Default)]
pub struct MemoryMembers {
    inner: Mutex<Inner>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory members";

#[async_trait]
impl Members for MemoryMembers {
    async fn put_member(&self, tenant: &TenantId, member: &Member) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut inner = lock(&self.inner, WHAT)?;
        if member.role == Role::Admin {
            inner.admin_claimed.insert(tenant.clone());
        }
        inner
            .members
            .entry(tenant.clone())
            .or_default()
            .insert(member.user.as_str().to_owned(), member.clone());
        Ok(())
    }

    async fn add_first_admin(
        &self,
        tenant: &TenantId,
        member: &Member,
    ) -> Result<bool, StoreError> {
        self.switch.check(WHAT)?;
        let mut inner = lock(&self.inner, WHAT)?;
        if !inner.admin_claimed.insert(tenant.clone()) {
            return Ok(false);
        }
        inner
            .members
            .entry(tenant.clone())
            .or_default()
            .insert(member.user.as_str().to_owned(), member.clone());
        Ok(true)
    }

    async fn get_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<Member>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.inner, WHAT)?
            .members
            .get(tenant)
            .and_then(|m| m.get(user.as_str()))
            .cloned())
    }

    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Member>, StoreError> {
        self.switch.check(WHAT)?;
        Ok(lock(&self.inner, WHAT)?
            .members
            .get(tenant)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }
}
