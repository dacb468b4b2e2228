//! In-memory adapters for every port: a `Mutex` around a map each, honest semantics (they pass
//! the contract suites) and cheap enough for benchmarks of the request path.
//!
//! Every adapter has a switch ([`Switch::set_down`]) that makes all its calls fail with
//! [`StoreError::Unavailable`], so handler tests can check "store or queue down → 5xx".
//! [`Down`] is an adapter for every port that always fails.

mod audit;
mod credentials;
mod ledger;
mod members;
mod oauth_states;
mod queue;
mod tenants;
#[cfg(test)]
mod tests;
mod usage;
mod vault;

pub use audit::MemoryAuditLog;
pub use credentials::MemoryCredentials;
pub use ledger::MemoryLedger;
pub use members::MemoryMembers;
pub use oauth_states::{MemoryOAuthStates, STATE_GRACE_SECS};
pub use queue::MemoryQueue;
pub use tenants::MemoryTenants;
pub use usage::MemoryUsage;
pub use vault::MemoryVault;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::audit::{AuditEntry, AuditEvent};
use crate::credential::{Credential, CredentialId};
use crate::ids::{TenantId, UserId};
use crate::job::JobEnvelope;
use crate::model::{Installation, Tenant, TenantStatus};
use crate::ports::{
    AuditLog, Backend, Claim, CredentialError, Credentials, Delivery, EventLedger, Expected,
    JobConsumer, JobQueue, LeaseToken, LedgerKey, Member, Members, OAuthStateRecord, OAuthStates,
    Quota, StateConsumed, StoreError, TenantDirectory, UsageCounters, Vault, VaultError, Version,
    Versioned,
};
use crate::secret::TokenBundle;

/// The memory adapters, each reachable for assertions and failure switches, and sharing nothing.
#[derive(Clone, Default)]
pub struct MemoryStores {
    pub tenants: Arc<MemoryTenants>,
    pub ledger: Arc<MemoryLedger>,
    pub queue: Arc<MemoryQueue>,
    pub vault: Arc<MemoryVault>,
    pub usage: Arc<MemoryUsage>,
    pub oauth_states: Arc<MemoryOAuthStates>,
    pub audit: Arc<MemoryAuditLog>,
    pub members: Arc<MemoryMembers>,
    pub credentials: Arc<MemoryCredentials>,
}

impl MemoryStores {
    pub fn new() -> Self {
        Self::default()
    }

    /// A [`Backend`] over these adapters.
    pub fn backend(&self) -> Backend {
        Backend {
            tenants: self.tenants.clone(),
            ledger: self.ledger.clone(),
            queue: self.queue.clone(),
            vault: self.vault.clone(),
            usage: self.usage.clone(),
            oauth_states: self.oauth_states.clone(),
            audit: self.audit.clone(),
            members: self.members.clone(),
            credentials: self.credentials.clone(),
        }
    }
}

/// A fresh in-memory [`Backend`] and its queue (which is also the [`JobConsumer`]).
pub fn memory_backend() -> (Backend, Arc<MemoryQueue>) {
    let stores = MemoryStores::new();
    (stores.backend(), stores.queue)
}

/// The cause inside the `StoreError::Unavailable` of a switched-off adapter.
#[derive(Debug, thiserror::Error)]
#[error("{0} is switched off for this test")]
pub struct SwitchedOff(pub &'static str);

/// An on/off failure switch, embedded in every memory adapter.
#[derive(Debug, Default)]
pub struct Switch(AtomicBool);

impl Switch {
    /// While `down`, every call of the adapter fails with [`StoreError::Unavailable`].
    pub fn set_down(&self, down: bool) {
        self.0.store(down, Ordering::SeqCst);
    }

    pub fn is_down(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn check(&self, what: &'static str) -> Result<(), StoreError> {
        if self.is_down() {
            Err(StoreError::unavailable(SwitchedOff(what)))
        } else {
            Ok(())
        }
    }
}

/// Locks a memory map. A poisoned lock (a panic in another test thread while holding it) is
/// reported as an unavailable store rather than a second panic.
pub(crate) fn lock<'a, T>(
    mutex: &'a Mutex<T>,
    what: &'static str,
) -> Result<MutexGuard<'a, T>, StoreError> {
    mutex
        .lock()
        .map_err(|_| StoreError::unavailable(SwitchedOff(what)))
}

/// A `HashMap` hashed with foldhash instead of SipHash: the maps on the request path (ledger,
/// usage counters, installations) are hashed on every request. foldhash's fast hasher does not
/// resist chosen-key flooding, which these in-process adapters (one process's own data, tests
/// and benchmarks) have no need for.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Unix milliseconds of a `SystemTime` ([`crate::time::unix_ms`]), as the memory maps keep
/// them.
pub(crate) fn unix_ms(t: SystemTime) -> u128 {
    u128::try_from(crate::time::unix_ms(t)).unwrap_or(0)
}

/// An adapter for every port that always fails with [`StoreError::Unavailable`]: put it in a
/// [`Backend`] field to simulate one store being down.
#[derive(Debug, Clone, Copy, Default)]
pub struct Down;

fn down<T>() -> Result<T, StoreError> {
    Err(StoreError::unavailable(SwitchedOff("the Down adapter")))
}

#[async_trait]
impl TenantDirectory for Down {
    async fn get(&self, _: &TenantId) -> Result<Option<Tenant>, StoreError> {
        down()
    }
    async fn put(&self, _: &Tenant) -> Result<(), StoreError> {
        down()
    }
    async fn put_if(&self, _: &Tenant, _: Option<TenantStatus>) -> Result<bool, StoreError> {
        down()
    }
    async fn set_status_if(
        &self,
        _: &TenantId,
        _: TenantStatus,
        _: TenantStatus,
        _: i64,
    ) -> Result<bool, StoreError> {
        down()
    }
    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        down()
    }
    async fn get_installation(&self, _: &TenantId) -> Result<Option<Installation>, StoreError> {
        down()
    }
    async fn put_installation(&self, _: &Installation) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl EventLedger for Down {
    async fn claim(
        &self,
        _: &TenantId,
        _: &LedgerKey,
        _: SystemTime,
        _: Duration,
        _: Duration,
    ) -> Result<Claim, StoreError> {
        down()
    }
    async fn complete(
        &self,
        _: &TenantId,
        _: &LedgerKey,
        _: &LeaseToken,
        _: &str,
        _: SystemTime,
        _: Duration,
    ) -> Result<(), StoreError> {
        down()
    }
    async fn release(&self, _: &TenantId, _: &LedgerKey, _: &LeaseToken) -> Result<(), StoreError> {
        down()
    }
    async fn abandon(&self, _: &TenantId, _: &LedgerKey, _: &LeaseToken) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl UsageCounters for Down {
    async fn consume_in(
        &self,
        _: &TenantId,
        _: &str,
        _: u64,
        _: crate::ports::WindowSpan,
        _: SystemTime,
    ) -> Result<Quota, StoreError> {
        down()
    }

    async fn used_in(
        &self,
        _: &TenantId,
        _: &str,
        _: crate::ports::WindowSpan,
        _: SystemTime,
    ) -> Result<u64, StoreError> {
        down()
    }
}

#[async_trait]
impl Vault for Down {
    async fn get(&self, _: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        Ok(down()?)
    }
    async fn get_fresh(&self, _: &TenantId) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        Ok(down()?)
    }
    async fn put(
        &self,
        _: &TenantId,
        _: &TokenBundle,
        _: &Expected,
    ) -> Result<Version, VaultError> {
        Ok(down()?)
    }
    async fn remove(&self, _: &TenantId, _: &Version) -> Result<(), VaultError> {
        Ok(down()?)
    }
    async fn delete(&self, _: &TenantId) -> Result<(), VaultError> {
        Ok(down()?)
    }
}

#[async_trait]
impl Credentials for Down {
    async fn get_fresh(
        &self,
        _: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        Ok(down()?)
    }
    async fn put(
        &self,
        _: &CredentialId,
        _: &Credential,
        _: &Expected,
    ) -> Result<Version, CredentialError> {
        Ok(down()?)
    }
    async fn delete(&self, _: &CredentialId, _: Option<&Version>) -> Result<(), CredentialError> {
        Ok(down()?)
    }
    async fn list(&self, _: &TenantId) -> Result<Vec<CredentialId>, CredentialError> {
        Ok(down()?)
    }
    async fn delete_all(&self, _: &TenantId) -> Result<(), CredentialError> {
        Ok(down()?)
    }
}

#[async_trait]
impl JobQueue for Down {
    async fn enqueue(&self, _: &JobEnvelope) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl JobConsumer for Down {
    async fn receive(&self, _: usize, _: Duration) -> Result<Vec<Delivery>, StoreError> {
        down()
    }
    async fn ack(&self, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn retry_after(&self, _: &str, _: Duration) -> Result<(), StoreError> {
        down()
    }
    async fn dead_letter(&self, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        down()
    }
}

#[async_trait]
impl OAuthStates for Down {
    async fn issue(&self, _: &str, _: &OAuthStateRecord) -> Result<(), StoreError> {
        down()
    }
    async fn consume(&self, _: &str, _: &str, _: i64) -> Result<StateConsumed, StoreError> {
        down()
    }
}

#[async_trait]
impl AuditLog for Down {
    async fn append(&self, _: &TenantId, _: AuditEvent) -> Result<AuditEntry, StoreError> {
        down()
    }
    async fn list(&self, _: &TenantId) -> Result<Vec<AuditEntry>, StoreError> {
        down()
    }
    async fn verify_seal(&self, _: &AuditEntry) -> Result<bool, StoreError> {
        down()
    }
}

#[async_trait]
impl Members for Down {
    async fn put_member(&self, _: &TenantId, _: &Member) -> Result<(), StoreError> {
        down()
    }
    async fn add_first_admin(&self, _: &TenantId, _: &Member) -> Result<bool, StoreError> {
        down()
    }
    async fn get_member(&self, _: &TenantId, _: &UserId) -> Result<Option<Member>, StoreError> {
        down()
    }
    async fn list_members(&self, _: &TenantId) -> Result<Vec<Member>, StoreError> {
        down()
    }
}
