//! Ports: the small traits the domain needs from storage and queues.
//!
//! Each trait documents what it promises and which [`StoreError`] it returns when. Adapters
//! (`shared/local`, `shared/aws`) translate their driver errors into these variants: a
//! DynamoDB `ConditionalCheckFailed` or a SQLite constraint becomes a domain answer (usually not
//! an error at all), throttling becomes [`StoreError::Throttled`], everything transient becomes
//! [`StoreError::Unavailable`].
//!
//! Every tenant-scoped method takes a [`TenantId`](crate::TenantId); adapters derive every storage
//! key from it and nothing else, so no method can reach another tenant's data.

mod audit;
mod credentials;
mod ledger;
mod members;
mod oauth_state;
mod queue;
mod tenants;
mod usage;
mod vault;

use std::sync::Arc;

pub use audit::AuditLog;
pub use credentials::{CredentialError, Credentials, update_credential};
pub use ledger::{Claim, EventLedger, Lease, LeaseToken, LedgerKey};
pub use members::{Member, Members, Role};
pub use oauth_state::{
    OAuthStateRecord, OAuthStates, STATE_GRACE_SECS, StateConsumed, StatePurpose,
};
pub use queue::{Delivery, JobConsumer, JobQueue, MAX_RECEIVES};
pub use tenants::TenantDirectory;
pub use usage::{Quota, UsageCounters, WindowSpan, window_of};
pub use vault::{
    Expected, UPDATE_ATTEMPTS, Updated, Vault, VaultError, Version, Versioned, replace_bundle,
    update_bundle,
};

/// A boxed error from a driver, kept as the cause of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the storage and queue ports.
///
/// `Unavailable` and `Throttled` are transient: callers answer 5xx (ingress) or retry (worker).
/// The others are permanent for the request at hand.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or failed; retrying later may work.
    #[error("storage backend unavailable")]
    Unavailable(#[source] BoxError),
    /// The backend refused for load (DynamoDB throughput, SQLite busy past its timeout).
    #[error("storage backend throttled the request")]
    Throttled,
    /// The record the operation needs does not exist.
    #[error("record not found")]
    NotFound,
    /// Stored data could not be decoded: a bug or tampering, never retried.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// The caller's claim on a ledger key is no longer its own (its lease ran out and another
    /// holder took the key over): the caller's write was not made.
    #[error("the claim's lease was taken over by another holder")]
    LeaseLost,
}

impl StoreError {
    pub fn unavailable(err: impl Into<BoxError>) -> Self {
        Self::Unavailable(err.into())
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Throttled)
    }
}

/// The set of adapters a function runs on, built once per cold start and shared by requests.
#[derive(Clone)]
pub struct Backend {
    pub tenants: Arc<dyn TenantDirectory>,
    pub ledger: Arc<dyn EventLedger>,
    pub queue: Arc<dyn JobQueue>,
    pub vault: Arc<dyn Vault>,
    pub usage: Arc<dyn UsageCounters>,
    /// Single-use OAuth states (not tenant-scoped: the tenant is not known yet).
    pub oauth_states: Arc<dyn OAuthStates>,
    /// The append-only, hash-chained audit log.
    pub audit: Arc<dyn AuditLog>,
    /// The tenant's members and their roles.
    pub members: Arc<dyn Members>,
    /// Typed credentials of every other provider (CRMs, recorder, Google, the webhook),
    /// tenant-wide and per user.
    pub credentials: Arc<dyn Credentials>,
}
