use async_trait::async_trait;

use super::StoreError;
use crate::ids::TenantId;
use crate::model::{BotIdentity, Installation, Tenant, TenantStatus};

/// Tenant records and their installation metadata.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant, or `Ok(None)` if it was never stored.
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Creates or replaces the tenant record (keyed by `tenant.id`), unconditionally. For
    /// operators' tools and tests; services change a record with [`Self::put_if`] or
    /// [`Self::set_status_if`], conditional on what they read.
    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError>;

    /// Compare-and-set of the whole record: writes `tenant` (keyed by `tenant.id`) only if the
    /// stored record is as the caller read it: absent when `expected` is `None`, present with
    /// status `expected` otherwise. Returns whether it wrote. Atomic against every other
    /// writer: of two racers that read the same record, at most one MUST succeed; the other
    /// MUST get `Ok(false)` and write nothing (it re-reads and decides again).
    async fn put_if(
        &self,
        tenant: &Tenant,
        expected: Option<TenantStatus>,
    ) -> Result<bool, StoreError>;

    /// Compare-and-set of the status: if the tenant's stored status is `expected`, sets it to
    /// `new` and its `updated_at` to `now` (unix seconds), leaving every other field, and
    /// returns `Ok(true)`. If the status is anything else it MUST write nothing and return
    /// `Ok(false)`, atomically against every other writer (a suspend racing an uninstall can
    /// never both succeed from the same read). MUST return [`StoreError::NotFound`] if the
    /// tenant does not exist, creating nothing.
    async fn set_status_if(
        &self,
        id: &TenantId,
        expected: TenantStatus,
        new: TenantStatus,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Every tenant, ordered by id. For operators, not for request paths.
    async fn list(&self) -> Result<Vec<Tenant>, StoreError>;

    /// The installation of the tenant, or `Ok(None)`.
    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError>;

    /// The bot ids of the tenant's installation, or `Ok(None)` without one: what the events
    /// function reads per event. The default reads the whole installation; an adapter that can
    /// answer without materializing it (scopes and all) overrides this.
    async fn bot_identity(&self, id: &TenantId) -> Result<Option<BotIdentity>, StoreError> {
        Ok(self
            .get_installation(id)
            .await?
            .map(|installation| BotIdentity::of(&installation)))
    }

    /// Creates or replaces the installation (keyed by `installation.tenant`).
    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError>;
}
