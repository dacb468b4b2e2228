use async_trait::async_trait;

use super::StoreError;
use crate::ids::TenantId;
use crate::model::{BotIdentity, Installation, Tenant, TenantStatus};

/// Tenant records and their installation metadata.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant, or `Ok(None)` if it was never stored.
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Creates or replaces the tenant record (keyed by `tenant.id`).
    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError>;

    /// Changes the status of an existing tenant and its `updated_at` (unix seconds).
    /// MUST return [`StoreError::NotFound`] if the tenant does not exist, creating nothing.
    async fn set_status(
        &self,
        id: &TenantId,
        status: TenantStatus,
        now: i64,
    ) -> Result<(), StoreError>;

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
