use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{Switch, lock};
use crate::ports::{OAuthStateRecord, OAuthStates, StateConsumed, StoreError};

pub use crate::ports::STATE_GRACE_SECS;

#[derive(Debug, Clone)]
struct Entry {
    record: OAuthStateRecord,
    used: bool,
}

/// In-memory [`OAuthStates`], keyed like the real adapters by the hex SHA-256 of the state
/// (never the value itself). Records are purged [`STATE_GRACE_SECS`] after they expire.
#[derive(Debug, Default)]
pub struct MemoryOAuthStates {
    states: Mutex<HashMap<String, Entry>>,
    /// Makes every call fail with `StoreError::Unavailable` while on.
    pub switch: Switch,
}

const WHAT: &str = "memory OAuth states";
/// Map size past which purged records are dropped (at each power of two: amortized O(1)).
const PURGE_AT: usize = 1024;

/// Hex SHA-256 of a state value: the storage key.
pub(crate) fn state_key(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl MemoryOAuthStates {
    /// The storage keys held, for tests that check the raw state is not stored.
    pub fn stored_keys(&self) -> Vec<String> {
        self.states
            .lock()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl OAuthStates for MemoryOAuthStates {
    async fn issue(&self, state: &str, record: &OAuthStateRecord) -> Result<(), StoreError> {
        self.switch.check(WHAT)?;
        let mut states = lock(&self.states, WHAT)?;
        if states.len() >= PURGE_AT && states.len().is_power_of_two() {
            // Expired by both the caller's clock and the wall clock, so a test's made-up times
            // cannot drop records other callers still rely on.
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            let now = record.created_at.min(wall);
            states.retain(|_, e| e.record.expires_at.saturating_add(STATE_GRACE_SECS) > now);
        }
        let key = state_key(state);
        if states.contains_key(&key) {
            return Err(StoreError::Corrupt(
                "OAuth state issued twice: the random source is broken".into(),
            ));
        }
        states.insert(
            key,
            Entry {
                record: record.clone(),
                used: false,
            },
        );
        Ok(())
    }

    async fn consume(
        &self,
        state: &str,
        cookie_hash: &str,
        now: i64,
    ) -> Result<StateConsumed, StoreError> {
        self.switch.check(WHAT)?;
        let mut states = lock(&self.states, WHAT)?;
        let Some(entry) = states.get_mut(&state_key(state)) else {
            return Ok(StateConsumed::Unknown);
        };
        // A replay is reported as such even after expiry: it is the more telling answer.
        if entry.used {
            return Ok(StateConsumed::AlreadyUsed);
        }
        if now >= entry.record.expires_at {
            return Ok(StateConsumed::Expired);
        }
        if entry.record.cookie_hash != cookie_hash {
            return Ok(StateConsumed::WrongCookie);
        }
        entry.used = true;
        Ok(StateConsumed::Valid(entry.record.clone()))
    }
}
