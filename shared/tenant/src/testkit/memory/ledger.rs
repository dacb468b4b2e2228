use std::collections::hash_map::{Entry as Slot, OccupiedEntry};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{FastMap, Switch, lock, unix_ms};
use crate::ids::TenantId;
use crate::ports::{Claim, EventLedger, Lease, LeaseToken, LedgerKey, StoreError};

#[derive(Debug, Clone)]
enum State {
    /// Claimed by the holder of `token` until `lease_until` (unix ms; 0 once abandoned).
    Claimed {
        lease_until: u128,
        token: LeaseToken,
    },
    Done {
        outcome: String,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    state: State,
    /// Unix ms after which the entry is as if never written.
    expires_at: u128,
}

/// In-memory [`EventLedger`]. Leases and expiry are judged by the `now` callers pass.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    entries: Mutex<FastMap<(TenantId, String), Entry>>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory event ledger";
/// Map size past which expired entries are purged (at each power of two, so amortized O(1)).
const PURGE_AT: usize = 4096;

impl MemoryLedger {
    /// Number of entries held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands the entry of `key` to `change` if `token` still holds its claim; whether it did.
    fn with_held(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
        change: impl FnOnce(OccupiedEntry<'_, (TenantId, String), Entry>),
    ) -> Result<bool, StoreError> {
        self.switch.check(WHAT)?;
        let mut entries = lock(&self.entries, WHAT)?;
        match entries.entry(slot_of(tenant, key)) {
            Slot::Occupied(entry) if matches!(&entry.get().state, State::Claimed { token: t, .. } if t == token) =>
            {
                change(entry);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl EventLedger for MemoryLedger {
    async fn claim(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        now: SystemTime,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        self.switch.check(WHAT)?;
        let now = unix_ms(now);
        let mut entries = lock(&self.entries, WHAT)?;
        if entries.len() >= PURGE_AT && entries.len().is_power_of_two() {
            // Purge only what is expired by the wall clock too, so a caller's made-up `now`
            // in the future cannot drop entries other callers still rely on.
            let cutoff = now.min(unix_ms(SystemTime::now()));
            entries.retain(|_, e| e.expires_at > cutoff);
        }
        let token = LeaseToken::random();
        let claimed = Entry {
            state: State::Claimed {
                lease_until: now + lease.as_millis(),
                token: token.clone(),
            },
            expires_at: now + ttl.as_millis(),
        };
        let mut recovered = false;
        match entries.entry(slot_of(tenant, key)) {
            Slot::Vacant(slot) => {
                slot.insert(claimed);
            }
            Slot::Occupied(mut slot) => {
                let entry = slot.get();
                if entry.expires_at > now {
                    match &entry.state {
                        State::Done { outcome } => {
                            return Ok(Claim::Done {
                                outcome: outcome.clone(),
                            });
                        }
                        State::Claimed { lease_until, .. } if *lease_until > now => {
                            return Ok(Claim::InFlight);
                        }
                        // The holder's lease ran out (or it abandoned the claim): take over.
                        State::Claimed { .. } => recovered = true,
                    }
                }
                slot.insert(claimed);
            }
        }
        Ok(Claim::Acquired(Lease { token, recovered }))
    }

    async fn complete(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
        outcome: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let entry = Entry {
            state: State::Done {
                outcome: outcome.to_owned(),
            },
            expires_at: unix_ms(now) + ttl.as_millis(),
        };
        let held = self.with_held(tenant, key, token, |mut held| {
            held.insert(entry);
        })?;
        if held {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }

    async fn release(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        self.with_held(tenant, key, token, |held| {
            held.remove();
        })?;
        Ok(())
    }

    async fn abandon(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        self.with_held(tenant, key, token, |mut held| {
            if let State::Claimed { lease_until, .. } = &mut held.get_mut().state {
                *lease_until = 0;
            }
        })?;
        Ok(())
    }
}

/// The map key: the tenant and [`LedgerKey::as_key`]'s text. Event keys (two per accepted
/// event) are built directly rather than through `format!`; the test below holds the two equal.
fn slot_of(tenant: &TenantId, key: &LedgerKey) -> (TenantId, String) {
    let text = match key {
        LedgerKey::Event(id) => {
            let mut text = String::with_capacity(EVENT_PREFIX.len() + id.len());
            text.push_str(EVENT_PREFIX);
            text.push_str(id);
            text
        }
        other => other.as_key(),
    };
    (tenant.clone(), text)
}

const EVENT_PREFIX: &str = "event#";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::JobId;

    #[test]
    fn slots_use_the_ports_key_text() {
        let tenant = TenantId::parse("T0ONE").unwrap();
        let job = JobId::new();
        for key in [
            LedgerKey::Event("Ev0123ABC".into()),
            LedgerKey::Event(String::new()),
            LedgerKey::Job(job),
            LedgerKey::Step(job, "reply"),
            LedgerKey::TokenRefresh,
            LedgerKey::CredentialRefresh {
                provider: crate::Provider::Google,
                user: Some(crate::testkit::user("U0GRANTER")),
            },
            LedgerKey::Request("cmd0".into()),
        ] {
            assert_eq!(slot_of(&tenant, &key), (tenant.clone(), key.as_key()));
        }
    }
}
