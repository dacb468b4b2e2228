use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::StoreError;
use crate::ids::{JobId, TenantId};

/// What a ledger entry is about. Adapters turn it into a key under the tenant's partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerKey {
    /// A Slack event delivery (`event_id`, globally unique; retries reuse it).
    Event(String),
    /// A whole job, by its id.
    Job(JobId),
    /// One side effect of a job (`"reply"`, `"post"`), so that a job with several steps
    /// redelivered after a crash skips the steps it already did.
    Step(JobId, &'static str),
    /// The tenant's token-refresh lease: at most one refresh of its rotating tokens at a time.
    TokenRefresh,
}

impl LedgerKey {
    /// The key's stable text form (what adapters store under the tenant's partition).
    pub fn as_key(&self) -> String {
        match self {
            Self::Event(id) => format!("event#{id}"),
            Self::Job(id) => format!("job#{id}"),
            Self::Step(id, step) => format!("step#{id}#{step}"),
            Self::TokenRefresh => "lease#token-refresh".to_owned(),
        }
    }
}

/// The answer of [`EventLedger::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it (or an earlier claim's lease ran out): the caller owns it now and must
    /// [`EventLedger::complete`] or [`EventLedger::release`] it.
    Acquired,
    /// Already completed, with the outcome recorded then.
    Done { outcome: String },
    /// Another caller claimed it less than `lease` ago and has not finished.
    InFlight,
}

/// First-seen records with expiry: dedupe of Slack retries and idempotency of jobs.
///
/// A claim is a conditional write: of any number of concurrent callers exactly one gets
/// `Acquired`. A claim that was neither completed nor released is taken over after its lease, so
/// a crashed caller cannot block a key forever. Entries expire `ttl` after they are written and
/// are then as if never seen.
#[async_trait]
pub trait EventLedger: Send + Sync {
    /// Claims `key` for the caller. `now` is the caller's clock (injectable in tests).
    async fn claim(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        now: SystemTime,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, StoreError>;

    /// Marks a claimed key done with a short outcome text (never a secret), kept until `ttl`
    /// from `now`. Completing an unclaimed key records it as done too.
    async fn complete(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        outcome: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Drops an unfinished claim so that the next delivery is accepted at once (used when the
    /// work could not be accepted). Releasing a completed key MUST leave it completed.
    async fn release(&self, tenant: &TenantId, key: &LedgerKey) -> Result<(), StoreError>;
}
