//! The one way to do something once: claim a ledger key → run the step → record its outcome
//! (or give the claim back). Event dedupe, jobs, a job's side effects and the token-refresh
//! lock all go through [`once`], so the owner-checked lease, takeover and "outcome unknown"
//! rules live here and nowhere else.
//!
//! The rules a caller relies on:
//! * Of concurrent callers for one key, one runs the step; the others get [`Once::Busy`], and
//!   after it is recorded, [`Once::AlreadyDone`].
//! * A step runs within its lease. Its timeouts MUST be shorter than `Policy::lease`: a holder
//!   still running past its lease may see another holder take the key over (and its own record
//!   refused, [`OnceError::Record`] with [`StoreError::LeaseLost`]).
//! * A step says how it ended ([`Settle`]): done (recorded), nothing happened (released: the
//!   next try is [`Attempt::Fresh`]), or it cannot tell (abandoned: the next try is
//!   [`Attempt::Recovery`] and must check whether the effect already happened before repeating
//!   it). A holder that died is treated like an abandoned one once its lease runs out.
//! * A step whose outcome was not recorded keeps its claim until the lease runs out, so nothing
//!   reruns it in the meantime.

use std::time::{Duration, SystemTime};

use tracing::{debug, warn};

use crate::ids::TenantId;
use crate::ports::{Claim, EventLedger, LedgerKey, StoreError};

/// How long a claim is held and how long its record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long the holder has before another caller may take the key over. Longer than the
    /// step can take (its timeouts), and for jobs not shorter than the queue's visibility, so
    /// that a redelivery never runs beside a live holder.
    pub lease: Duration,
    /// How long the outcome is remembered (longer than any redelivery can come).
    pub ttl: Duration,
}

/// Which try of a step this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// No earlier try of this step may have had an effect.
    Fresh,
    /// An earlier try died or could not tell how it ended: its effect MAY have happened. A step
    /// with an outside effect looks for it (a marker it left) before doing it again.
    Recovery,
}

/// How a step ended, and so what the ledger records.
#[derive(Debug)]
pub enum Settle<T, E> {
    /// Finished, successfully or for good: `outcome` (short, never a secret) is recorded and
    /// later callers get [`Once::AlreadyDone`].
    Done { value: T, outcome: String },
    /// Finished, and nothing is to be remembered: the key is free again at once (a lock such
    /// as the token-refresh lease, not a once-only step).
    Free(T),
    /// Nothing happened (refused before any effect, e.g. a 429): the claim is released and the
    /// next try is fresh.
    Release(E),
    /// The effect may or may not have happened (a timeout or 5xx after the request went out):
    /// the lease ends now and the next try is a [`Attempt::Recovery`].
    Abandon(E),
}

impl<T, E> Settle<T, E> {
    /// `Done` with `outcome` for `Ok`; for `Err`, what `unknown` says: `true` abandons (the
    /// error leaves the outcome unknown), `false` releases.
    pub fn from_result(
        result: Result<T, E>,
        outcome: &str,
        unknown: impl FnOnce(&E) -> bool,
    ) -> Self {
        match result {
            Ok(value) => Self::Done {
                value,
                outcome: outcome.to_owned(),
            },
            Err(err) if unknown(&err) => Self::Abandon(err),
            Err(err) => Self::Release(err),
        }
    }
}

/// What [`once`] did.
#[derive(Debug)]
pub enum Once<T, E> {
    /// The step ran now: its value (recorded) or its error (released or abandoned).
    Ran(Result<T, E>),
    /// The key was done before; the step did not run.
    AlreadyDone { outcome: String },
    /// Another holder has the key within its lease; the step did not run.
    Busy,
}

/// The ledger failed around the step.
#[derive(Debug, thiserror::Error)]
pub enum OnceError {
    /// The claim could not be made: the step did not run.
    #[error("the ledger could not be claimed")]
    Claim(#[source] StoreError),
    /// The step ran (its effect may have happened) but its outcome was not recorded. The claim
    /// stays held until its lease runs out; the next try after that is a recovery.
    #[error("the step ran but its outcome was not recorded")]
    Record(#[source] StoreError),
}

impl OnceError {
    /// Whether the step ran (and so its effect may have happened).
    pub fn step_ran(&self) -> bool {
        matches!(self, Self::Record(_))
    }
}

/// How many times recording an outcome is tried before giving up (immediately, one after the
/// other: a store that is briefly unavailable usually answers the next call).
const RECORD_ATTEMPTS: usize = 3;

/// Runs `step` once for `key` of `tenant` (see the module doc). `now` is the caller's clock.
pub async fn once<T, E, F, Fut>(
    ledger: &dyn EventLedger,
    tenant: &TenantId,
    key: &LedgerKey,
    policy: Policy,
    now: &(dyn Fn() -> SystemTime + Sync),
    step: F,
) -> Result<Once<T, E>, OnceError>
where
    F: FnOnce(Attempt) -> Fut,
    Fut: Future<Output = Settle<T, E>>,
{
    let lease = match ledger
        .claim(tenant, key, now(), policy.lease, policy.ttl)
        .await
        .map_err(OnceError::Claim)?
    {
        Claim::Acquired(lease) => lease,
        Claim::Done { outcome } => return Ok(Once::AlreadyDone { outcome }),
        Claim::InFlight => return Ok(Once::Busy),
    };
    let attempt = if lease.recovered {
        debug!(key = %key.as_key(), "taking over an unfinished claim");
        Attempt::Recovery
    } else {
        Attempt::Fresh
    };
    match step(attempt).await {
        Settle::Done { value, outcome } => {
            let mut last = None;
            for _ in 0..RECORD_ATTEMPTS {
                match ledger
                    .complete(tenant, key, &lease.token, &outcome, now(), policy.ttl)
                    .await
                {
                    Ok(()) => return Ok(Once::Ran(Ok(value))),
                    // Someone else holds the key now: trying again cannot help.
                    Err(StoreError::LeaseLost) => {
                        return Err(OnceError::Record(StoreError::LeaseLost));
                    }
                    Err(err) => last = Some(err),
                }
            }
            Err(OnceError::Record(last.unwrap_or(StoreError::Throttled)))
        }
        Settle::Free(value) => {
            release(ledger, tenant, key, &lease.token).await;
            Ok(Once::Ran(Ok(value)))
        }
        Settle::Release(err) => {
            release(ledger, tenant, key, &lease.token).await;
            Ok(Once::Ran(Err(err)))
        }
        Settle::Abandon(err) => {
            if let Err(e) = ledger.abandon(tenant, key, &lease.token).await {
                warn!(error = %e, "could not abandon a claim; it lapses with its lease");
            }
            Ok(Once::Ran(Err(err)))
        }
    }
}

async fn release(
    ledger: &dyn EventLedger,
    tenant: &TenantId,
    key: &LedgerKey,
    token: &crate::ports::LeaseToken,
) {
    if let Err(e) = ledger.release(tenant, key, token).await {
        // The lease runs out on its own; the next try is then a (harmless) recovery.
        warn!(error = %e, "could not release a claim");
    }
}

#[cfg(test)]
#[path = "idempotency_tests.rs"]
mod tests;
