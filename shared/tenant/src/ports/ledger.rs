use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::StoreError;
use crate::credential::Provider;
use crate::ids::{JobId, TenantId, UserId};

/// What a ledger entry is about. Adapters turn it into a key under the tenant's partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerKey {
    /// A Slack event delivery (`event_id`, globally unique; retries reuse it).
    Event(String),
    /// A signed Slack request other than an event (a slash command or an interaction), by a
    /// digest of what identifies it, so that a replay within the signature window is a
    /// duplicate rather than new work.
    Request(String),
    /// A provider's webhook delivery to one user's registration, by the delivery's own id
    /// (Standard Webhooks `webhook-id`: the same on a resend), so a resend is a duplicate.
    Delivery { user: UserId, id: String },
    /// A whole job, by its id.
    Job(JobId),
    /// One side effect of a job (`"reply"`, `"post"`), so that a job with several steps
    /// redelivered after a crash skips the steps it already did.
    Step(JobId, &'static str),
    /// One side effect named by what it is about rather than by the job that asked for it
    /// (`crm-note#<user>#<recording>`: the CRM note of one follow-up), so that two jobs asking
    /// for it (the button pressed twice) do it once. The caller builds the text; it never
    /// holds a secret or customer text.
    Effect(String),
    /// The tenant's token-refresh lease: at most one refresh of its rotating tokens at a time.
    TokenRefresh,
    /// The refresh lease of one typed credential (a CRM connection, a user's Google grant): at
    /// most one refresh of it at a time. Keyed by provider and user only, since the tenant is
    /// the partition already.
    CredentialRefresh {
        provider: Provider,
        user: Option<UserId>,
    },
}

impl LedgerKey {
    /// The key's stable text form (what adapters store under the tenant's partition).
    pub fn as_key(&self) -> String {
        match self {
            Self::Event(id) => format!("event#{id}"),
            Self::Request(id) => format!("request#{id}"),
            Self::Delivery { user, id } => format!("delivery#{user}#{id}"),
            Self::Job(id) => format!("job#{id}"),
            Self::Step(id, step) => format!("step#{id}#{step}"),
            Self::Effect(what) => format!("effect#{what}"),
            Self::TokenRefresh => "lease#token-refresh".to_owned(),
            // Provider names and user ids never contain `#`, so the key is unambiguous.
            Self::CredentialRefresh {
                provider,
                user: None,
            } => format!("lease#credential-refresh#{provider}"),
            Self::CredentialRefresh {
                provider,
                user: Some(user),
            } => format!("lease#credential-refresh#{provider}#{user}"),
        }
    }
}

/// Proof of holding a claim: a random value drawn by the adapter when the claim is made.
/// [`EventLedger::complete`], [`EventLedger::release`] and [`EventLedger::abandon`] act only
/// for the holder whose token is still the entry's, so a holder whose lease ran out and was
/// taken over cannot settle (or free) the new holder's claim.
#[derive(Clone, PartialEq, Eq)]
pub struct LeaseToken(String);

impl LeaseToken {
    /// A fresh token, unique across processes and claims: a 128-bit random prefix drawn once
    /// per process, then a counter. Not a secret (it only tells cooperating holders apart), so
    /// one `getrandom` per process instead of one per claim (the claim is on the ingress path).
    pub fn random() -> Self {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PREFIX: OnceLock<String> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string());
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self(format!("{prefix}-{n:x}"))
    }

    /// A token read back from storage.
    pub fn from_stored(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not a secret, but nothing a log reader needs either.
        f.write_str("LeaseToken(..)")
    }
}

/// The claim a caller now holds (see [`Claim::Acquired`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub token: LeaseToken,
    /// An earlier holder had claimed the key and neither completed nor released it: its
    /// lease ran out (it crashed or was killed) or it gave the claim up with
    /// [`EventLedger::abandon`] (it could not tell whether its effect happened). Whatever it
    /// was doing MAY have happened: a step with an outside effect checks before repeating it.
    pub recovered: bool,
}

/// The answer of [`EventLedger::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody held it (or an earlier claim's lease ran out): the caller owns it now and must
    /// [`EventLedger::complete`], [`EventLedger::release`] or [`EventLedger::abandon`] it.
    Acquired(Lease),
    /// Already completed, with the outcome recorded then.
    Done { outcome: String },
    /// Another caller claimed it less than `lease` ago and has not finished.
    InFlight,
}

impl Claim {
    /// Whether this answer gave the caller the claim.
    pub fn is_acquired(&self) -> bool {
        matches!(self, Self::Acquired(_))
    }
}

/// First-seen records with expiry and owner-checked leases: dedupe of Slack retries,
/// idempotency of jobs and their steps, and single-holder locks (token refresh).
///
/// A claim is a conditional write: of any number of concurrent callers exactly one gets
/// `Acquired`, with a [`LeaseToken`] that only it holds. A claim that was neither completed nor
/// released is taken over after its lease, so a crashed caller cannot block a key forever; the
/// taker is told (`Lease::recovered`). Entries expire `ttl` after they are written and are then
/// as if never seen. Use these through [`crate::idempotency::once`], not one by one.
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

    /// Marks the key done with a short outcome text (never a secret), kept until `ttl` from
    /// `now`. MUST be conditional on `token` still holding the claim (even past its lease, as
    /// long as nobody took it over); otherwise nothing is written and the answer is
    /// [`StoreError::LeaseLost`].
    async fn complete(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
        outcome: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Drops the holder's unfinished claim so that the next claim is accepted at once as a
    /// fresh one (nothing happened). MUST leave a completed key completed and another holder's
    /// claim untouched; either is `Ok`.
    async fn release(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError>;

    /// Ends the holder's lease now without a result, because the holder cannot tell whether
    /// its effect happened (a timeout after the request went out). The next claim is accepted
    /// at once and marked [`Lease::recovered`]. Same conditions as [`EventLedger::release`].
    async fn abandon(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError>;
}
