//! The credentials port: typed, versioned credentials for any provider.

use async_trait::async_trait;

use super::StoreError;
use super::vault::{Expected, Updated, Version, Versioned};
use crate::credential::{Credential, CredentialId};
use crate::ids::TenantId;

/// Errors of the credential store.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The backend failed; see [`StoreError`]. Transient variants may be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored ciphertext does not decrypt as this credential: wrong key, tampering, or a
    /// ciphertext moved from another tenant, user or provider (the encryption context or
    /// associated data differs). Never retried; never shows the ciphertext. On AWS it is also
    /// what a role without the provider's KMS `purpose` gets.
    #[error("credential does not decrypt for this tenant, user and provider")]
    Decrypt,
    /// A conditional write or delete found another version than its writer read: someone
    /// else wrote or deleted the credential in between, and nothing was changed. Read fresh
    /// and decide again (a refresher that already spent a refresh token keeps its new tokens
    /// only if the stored credential still holds the token it spent).
    #[error("credential was changed by another writer")]
    Conflict,
    /// The credential serializes to more than the adapter can store encrypted in one piece
    /// (KMS `Encrypt` takes 4 KB). Nothing was written.
    #[error("credential is too large to store ({0} bytes)")]
    TooLarge(usize),
}

impl CredentialError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// Credentials of any provider, for a tenant or one of its users.
///
/// * Every key and every encryption context is derived from the [`CredentialId`] alone, so no
///   call can reach another tenant's or another user's credential. A ciphertext moved under
///   another tenant, user or provider MUST fail with [`CredentialError::Decrypt`].
/// * Each provider's ciphertext is bound to its own purpose ([`crate::Provider::purpose`]):
///   on AWS a role allowed one purpose cannot decrypt another's credentials.
/// * Writes are conditional on the [`Expected`] state their writer read: [`Credentials::put`]
///   and a conditional [`Credentials::delete`] MUST fail with [`CredentialError::Conflict`],
///   changing nothing, when the stored credential is at another version (or was created or
///   deleted since). Of concurrent writers that read the same version at most one succeeds.
/// * [`Credentials::get_fresh`] reads the store itself, past any cache: a refresher reads
///   with it after taking its lease.
#[async_trait]
pub trait Credentials: Send + Sync {
    /// The credential and its version, or `None`. MAY come from a short-lived cache, so its
    /// version may be stale (a write from it then fails with `Conflict`, never silently).
    async fn get(
        &self,
        id: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        self.get_fresh(id).await
    }

    /// The credential and its version, read from the store itself.
    async fn get_fresh(
        &self,
        id: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError>;

    /// Stores `credential` if the stored state is still `expected`, returning its new version.
    async fn put(
        &self,
        id: &CredentialId,
        credential: &Credential,
        expected: &Expected,
    ) -> Result<Version, CredentialError>;

    /// Removes the credential: if `expected` is given, only while it is still at that version
    /// (`Conflict` otherwise, also when it is gone); without, whatever it holds (a user
    /// disconnecting). Removing a missing credential unconditionally is `Ok`.
    async fn delete(
        &self,
        id: &CredentialId,
        expected: Option<&Version>,
    ) -> Result<(), CredentialError>;

    /// The tenant's tenant-wide credentials (no per-user ones), by id, in [`CredentialId`]
    /// order, without decrypting them.
    async fn list(&self, tenant: &TenantId) -> Result<Vec<CredentialId>, CredentialError>;

    /// Removes every credential of the tenant, tenant-wide and per-user (uninstall). `Ok` if
    /// there are none.
    async fn delete_all(&self, tenant: &TenantId) -> Result<(), CredentialError>;
}

/// The read-modify-write of one credential, like [`super::update_bundle`] for the bundle:
/// reads fresh, lets `change` edit it (`None`: absent; set `None` to delete), writes
/// conditional on the version read, and starts again on `Conflict` up to
/// [`super::UPDATE_ATTEMPTS`] times. A change that leaves it as it was writes nothing.
pub async fn update_credential<R: Send>(
    store: &dyn Credentials,
    id: &CredentialId,
    mut change: impl FnMut(&mut Option<Credential>) -> R + Send,
) -> Result<Updated<R>, CredentialError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let read = store.get_fresh(id).await?;
        let mut credential = read.as_ref().map(|v| v.value.clone());
        let value = change(&mut credential);
        let (changed, written) = match (&read, &credential) {
            (None, None) => (false, Ok(None)),
            (Some(old), Some(new)) if old.value == *new => (false, Ok(Some(old.version.clone()))),
            (_, Some(new)) => {
                let put = store.put(id, new, &Expected::of(read.as_ref())).await;
                (true, put.map(Some))
            }
            (Some(old), None) => {
                let deleted = store.delete(id, Some(&old.version)).await;
                (true, deleted.map(|()| None))
            }
        };
        match written {
            Ok(version) => {
                return Ok(Updated {
                    value,
                    changed,
                    version,
                });
            }
            Err(CredentialError::Conflict) if attempt < super::UPDATE_ATTEMPTS => {}
            Err(err) => return Err(err),
        }
    }
}
