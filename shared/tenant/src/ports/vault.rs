use async_trait::async_trait;

use super::StoreError;
use crate::ids::TenantId;
use crate::secret::TokenBundle;

/// Errors of the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The backend failed; see [`StoreError`]. Transient variants may be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored ciphertext does not decrypt for this tenant: wrong key, tampering, or a
    /// bundle copied from another tenant. Never retried; never shows the ciphertext.
    #[error("token bundle does not decrypt for this tenant")]
    Decrypt,
}

impl VaultError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// Token storage: one encrypted bundle per tenant. The ciphertext is bound to the tenant
/// (AES-GCM associated data locally, KMS encryption context on AWS), so a bundle moved under
/// another tenant MUST fail with [`VaultError::Decrypt`].
#[async_trait]
pub trait Vault: Send + Sync {
    /// The tenant's bundle, or `Ok(None)` if it has none.
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError>;

    /// The tenant's bundle read from the store itself, bypassing any cache the adapter keeps.
    /// Used where a stale bundle would be harmful: after taking the token-refresh lease, a
    /// cached refresh token may already have been spent by another process.
    async fn get_fresh(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        self.get(tenant).await
    }

    /// Whether the tenant has a bundle, answered without decrypting it where the adapter can
    /// (so that an operator view needs no decrypt permission).
    async fn exists(&self, tenant: &TenantId) -> Result<bool, VaultError> {
        Ok(self.get(tenant).await?.is_some())
    }

    /// Replaces the tenant's bundle.
    async fn put(&self, tenant: &TenantId, bundle: &TokenBundle) -> Result<(), VaultError>;

    /// Removes the tenant's bundle. Deleting a missing bundle is `Ok`.
    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError>;
}
