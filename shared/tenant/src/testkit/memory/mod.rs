//! In-memory adapters for every port: a `Mutex` around a map each, honest semantics (they pass
//! the contract suites) and cheap enough for benchmarks of the request path.
//!
//! Every adapter has a switch ([`Switch::set_down`]) that makes all its calls fail with
//! [`StoreError::Unavailable`], so handler tests can check "store or queue down → 5xx".
//! [`Down`] is an adapter for every port that always fails.

mod audit;
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
pub use ledger::MemoryLedger;
pub use members::MemoryMembers;
pub use oauth_states::{MemoryOAuthStates, STATE_GRACE_SECS};
pub use queue::MemoryQueue;
pub use tenants::MemoryTenants;
pub use usage::MemoryUsage;
pub use vault::MemoryVault;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::audit::{AuditEntry, AuditEvent};
use crate::ids::{TenantId, UserId};
use crate::job::JobEnvelope;
use crate::model::{Installation, Tenant, TenantStatus};
use crate::ports::{
    AuditLog, Backend, Claim, Delivery, EventLedger, JobConsumer, JobQueue, LedgerKey, Member,
    Members, OAuthStateRecord, OAuthStates, Quota, StateConsumed, StoreError, TenantDirectory,
    UsageCounters, Vault, VaultError,
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

/// A `HashMap` with [`FastHasher`]: the maps on the request path (ledger, usage counters,
/// installations) are keyed by ids we issued or Slack signed, hashed on every request.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A word-at-a-time hash with a folded multiply (the 128-bit product's halves xored, as
/// foldhash and aHash do): a few instructions per word where SipHash-1-3 runs its rounds. It
/// does not resist chosen-key flooding, which these test and benchmark adapters, holding one
/// process's own data, have no need for.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

/// Odd constants from the fractional digits of pi (as foldhash's seeds).
const MUL: u64 = 0x243f_6a88_85a3_08d3;
const ADD: u64 = 0x1319_8a2e_0370_7344;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.0 ^ word ^ ADD) * u128::from(MUL);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while let Some((word, rest)) = bytes.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*word));
            bytes = rest;
        }
        if !bytes.is_empty() {
            let mut tail = [0u8; 8];
            tail[..bytes.len()].copy_from_slice(bytes);
            // The length keeps "ab" and "ab\0" apart within one word.
            self.add(u64::from_le_bytes(tail) ^ ((bytes.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Unix milliseconds of a `SystemTime` (0 before the epoch).
pub(crate) fn unix_ms(t: SystemTime) -> u128 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
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
    async fn set_status(&self, _: &TenantId, _: TenantStatus, _: i64) -> Result<(), StoreError> {
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
        _: &str,
        _: SystemTime,
        _: Duration,
    ) -> Result<(), StoreError> {
        down()
    }
    async fn release(&self, _: &TenantId, _: &LedgerKey) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl UsageCounters for Down {
    async fn consume(
        &self,
        _: &TenantId,
        _: &str,
        _: u64,
        _: Duration,
        _: SystemTime,
    ) -> Result<Quota, StoreError> {
        down()
    }
}

#[async_trait]
impl Vault for Down {
    async fn get(&self, _: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        Ok(down()?)
    }
    async fn put(&self, _: &TenantId, _: &TokenBundle) -> Result<(), VaultError> {
        Ok(down()?)
    }
    async fn delete(&self, _: &TenantId) -> Result<(), VaultError> {
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
    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        down()
    }
}

#[async_trait]
impl OAuthStates for Down {
    async fn issue(&self, _: &str, _: &OAuthStateRecord) -> Result<(), StoreError> {
        down()
    }
    async fn consume(&self, _: &str, _: i64) -> Result<StateConsumed, StoreError> {
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
