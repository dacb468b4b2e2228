use std::collections::hash_map::Entry as Slot;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{FastMap, Switch, lock, unix_ms};
use crate::ids::TenantId;
use crate::ports::{Claim, EventLedger, LedgerKey, StoreError};

#[derive(Debug, Clone)]
enum State {
    /// Claimed until this time (unix ms).
    Claimed {
        lease_until: u128,
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
        let claimed = Entry {
            state: State::Claimed {
                lease_until: now + lease.as_millis(),
            },
            expires_at: now + ttl.as_millis(),
        };
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
                        State::Claimed { lease_until } if *lease_until > now => {
                            return Ok(Claim::InFlight);
                        }
                        // The holder's lease ran out: take over.
                        State::Claimed { .. } => {}
                    }
                }
                slot.insert(claimed);
            }
        }
        Ok(Claim::Acquired)
    }

    async fn complete(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        outcome: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let entry = Entry {
            state: State::Done {
                outcome: outcome.to_owned(),
            },
            expires_at: unix_ms(now) + ttl.as_millis(),
        };
        lock(&self.entries, WHAT)?.insert(slot_of(tenant, key), entry);
        Ok(())
    }

    async fn release(&self, tenant: &TenantId, key: &LedgerKey) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut entries = lock(&self.entries, WHAT)?;
        let slot = slot_of(tenant, key);
        if matches!(
            entries.get(&slot),
            Some(Entry {
                state: State::Claimed { .. },
                ..
            })
        ) {
            entries.remove(&slot);
        }
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
        ] {
            assert_eq!(slot_of(&tenant, &key), (tenant.clone(), key.as_key()));
        }
    }
}
