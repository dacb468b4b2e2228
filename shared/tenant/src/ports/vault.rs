//! The vault: a tenant's Slack token bundle, versioned so that every write is conditional on
//! what its writer read ([`update_bundle`] is the one read-modify-write).

use std::fmt;

use async_trait::async_trait;

use super::StoreError;
use crate::ids::TenantId;
use crate::secret::TokenBundle;

/// An opaque version of a stored value, handed out by a read from the store and passed back to
/// a conditional write. Only adapters look inside (`as_str`); two versions of the same value
/// are equal only if no write happened between the reads that returned them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// For adapters: wraps what the adapter uses to recognise the write (a counter, a write id).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// For adapters: the token given to [`Version::new`].
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}

/// What a conditional write expects to find, i.e. what its writer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Nothing: the write creates the value and fails if someone else created it first.
    Absent,
    /// The value at this version: the write fails if anyone wrote or deleted it since.
    At(Version),
}

impl Expected {
    /// What a read answered, as the expectation of the write that follows it.
    pub fn of<T>(read: Option<&Versioned<T>>) -> Self {
        read.map_or(Self::Absent, |v| Self::At(v.version.clone()))
    }
}

/// A value read from the store with the version a conditional write needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: Version,
}

impl<T: fmt::Debug> fmt::Debug for Versioned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Versioned")
            .field("value", &self.value)
            .field("version", &self.version)
            .finish()
    }
}

/// Errors of the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The backend failed; see [`StoreError`]. Transient variants may be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored ciphertext does not decrypt for this tenant: wrong key, tampering, or a
    /// bundle copied from another tenant; on AWS also KMS refusing this role (AccessDenied) or
    /// a key that cannot be used (disabled, pending deletion). Never retried (the worker
    /// dead-letters the job for an operator); never shows the ciphertext.
    #[error("token bundle does not decrypt for this tenant")]
    Decrypt,
    /// A conditional write found another version than the one its writer read: someone else
    /// wrote (or deleted) in between. Nothing was written. Read fresh and try again
    /// ([`update_bundle`] does).
    #[error("token bundle was changed by another writer")]
    Conflict,
}

impl VaultError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// Token storage: one encrypted bundle per tenant. The ciphertext is bound to the tenant
/// (AES-GCM associated data locally, KMS encryption context on AWS), so a bundle moved under
/// another tenant MUST fail with [`VaultError::Decrypt`].
///
/// Writes are conditional: [`Vault::put`] and [`Vault::remove`] take the [`Expected`] state
/// their writer read with [`Vault::get_fresh`] and MUST fail with [`VaultError::Conflict`],
/// writing nothing, when the stored bundle is at any other version (or was created, or
/// deleted, since). Of concurrent writers that read the same version, at most one succeeds.
/// Versions are only handed out by `get_fresh`, which reads the store itself: a cached read
/// ([`Vault::get`]) has no version and cannot be written back.
#[async_trait]
pub trait Vault: Send + Sync {
    /// The tenant's bundle, or `Ok(None)` if it has none. MAY be served from a short-lived
    /// per-process cache: use it to read a token, never as the base of a write.
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError>;

    /// The tenant's bundle and its version, read from the store itself (past any cache). The
    /// read every write starts from; also where a stale bundle would be harmful (after taking
    /// the token-refresh lease, a cached refresh token may already have been spent).
    async fn get_fresh(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<TokenBundle>>, VaultError>;

    /// Whether the tenant has a bundle, answered without decrypting it where the adapter can
    /// (so that an operator view needs no decrypt permission). MUST be true whenever `get`
    /// answers `Some`, and false after [`Vault::delete`]. It MAY stay true after
    /// [`Vault::remove`] where the adapter keeps the bundle in a store it shares with other
    /// tenant-wide credentials (AWS: the tenant's one secret).
    async fn exists(&self, tenant: &TenantId) -> Result<bool, VaultError> {
        Ok(self.get(tenant).await?.is_some())
    }

    /// Stores `bundle` if the stored state is still `expected`, returning the new version.
    /// [`VaultError::Conflict`] (nothing written) otherwise.
    async fn put(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError>;

    /// Removes the bundle if it is still at `expected`; [`VaultError::Conflict`] (nothing
    /// removed) if it is at another version or already gone.
    async fn remove(&self, tenant: &TenantId, expected: &Version) -> Result<(), VaultError>;

    /// Removes the tenant's bundle whatever its version: the tenant is going (uninstall), and
    /// adapters that keep tenant-wide credentials in the same store as the bundle (AWS: one
    /// secret per tenant) remove those too. Deleting a missing bundle is `Ok`.
    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError>;
}

/// How many times [`update_bundle`] reads and writes again after a [`VaultError::Conflict`].
/// Each conflict means another writer's write landed, so this bounds the contention one call
/// waits out (a handful of concurrent writers per tenant at most in practice).
pub const UPDATE_ATTEMPTS: usize = 10;

/// What an [`update_bundle`] call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated<R> {
    /// What the change function returned on the attempt that was written (or found nothing
    /// to write).
    pub value: R,
    /// Whether the bundle changed (a write or removal happened).
    pub changed: bool,
    /// The version now stored (`None`: no bundle), for a later conditional write such as a
    /// rollback that must not undo someone else's write.
    pub version: Option<Version>,
}

/// The one read-modify-write of a tenant's bundle: reads it fresh with its version, lets
/// `change` edit it (`None`: the tenant has no bundle; set it to `None` to remove the bundle),
/// and writes the result conditional on the version read. On [`VaultError::Conflict`] it
/// starts again from a fresh read, up to [`UPDATE_ATTEMPTS`] times, so concurrent updaters all
/// land and none undoes another's write. A change that leaves the bundle as it was writes
/// nothing. `change` may run several times and MUST depend only on the bundle it is given
/// (plus what it captures); whatever it returns on the attempt that took effect is returned.
pub async fn update_bundle<R: Send>(
    vault: &dyn Vault,
    tenant: &TenantId,
    mut change: impl FnMut(&mut Option<TokenBundle>) -> R + Send,
) -> Result<Updated<R>, VaultError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let read = vault.get_fresh(tenant).await?;
        let mut bundle = read.as_ref().map(|v| v.value.clone());
        let value = change(&mut bundle);
        let (changed, written) = match (&read, &bundle) {
            (None, None) => (false, Ok(None)),
            (Some(old), Some(new)) if old.value == *new => (false, Ok(Some(old.version.clone()))),
            (_, Some(new)) => {
                let put = vault.put(tenant, new, &Expected::of(read.as_ref())).await;
                (true, put.map(Some))
            }
            (Some(old), None) => (
                true,
                vault.remove(tenant, &old.version).await.map(|()| None),
            ),
        };
        match written {
            Ok(version) => {
                return Ok(Updated {
                    value,
                    changed,
                    version,
                });
            }
            Err(VaultError::Conflict) if attempt < UPDATE_ATTEMPTS => {
                tracing::debug!(tenant = %tenant, attempt, "token bundle changed under us; re-reading");
            }
            Err(err) => return Err(err),
        }
    }
}

/// Replaces the tenant's bundle whatever it holds now (operator imports, tests), still through
/// a conditional write so that it never interleaves with another writer's read-modify-write.
pub async fn replace_bundle(
    vault: &dyn Vault,
    tenant: &TenantId,
    bundle: TokenBundle,
) -> Result<(), VaultError> {
    update_bundle(vault, tenant, |current| *current = Some(bundle.clone()))
        .await
        .map(|_| ())
}
