use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::Timestamp;
use tenant::ports::{Expected, StoreError, Version, Versioned};
use tenant::{TenantId, UserId};

use crate::ids::SessionKey;
use crate::ports::{SessionError, Sessions, decode_session, encode_session};
use crate::session::Session;

/// In-memory [`Sessions`]. Holds each session's stored form (so size limits and decoding are
/// those of the real adapters), unencrypted (tests only), under its whole [`SessionKey`].
#[derive(Debug, Default)]
pub struct MemorySessions {
    entries: Mutex<BTreeMap<SessionKey, Stored>>,
    /// Versions are drawn from one counter, so a session deleted and created again never
    /// gets back a version a stale writer holds.
    writes: AtomicU64,
}

#[derive(Debug)]
struct Stored {
    version: u64,
    expires_at: Timestamp,
    bytes: Vec<u8>,
}

impl MemorySessions {
    /// Number of stored sessions (expired ones included), all tenants together.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<SessionKey, Stored>>, SessionError> {
        self.entries.lock().map_err(|_| {
            SessionError::Store(StoreError::unavailable("memory sessions lock poisoned"))
        })
    }
}

fn version(n: u64) -> Version {
    Version::new(n.to_string())
}

#[async_trait]
impl Sessions for MemorySessions {
    async fn get(
        &self,
        key: &SessionKey,
        now: Timestamp,
    ) -> Result<Option<Versioned<Session>>, SessionError> {
        let entries = self.lock()?;
        let Some(stored) = entries.get(key).filter(|s| s.expires_at > now) else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            value: decode_session(&stored.bytes, key)?,
            version: version(stored.version),
        }))
    }

    async fn put(
        &self,
        session: &Session,
        expected: &Expected,
        now: Timestamp,
    ) -> Result<Version, SessionError> {
        let bytes = encode_session(session)?;
        let key = session.key();
        let mut entries = self.lock()?;
        let current = entries.get(&key);
        let holds = match expected {
            Expected::Absent => current.is_none_or(|s| s.expires_at <= now),
            Expected::At(v) => current.is_some_and(|s| version(s.version) == *v),
        };
        if !holds {
            return Err(SessionError::Conflict);
        }
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        entries.insert(
            key,
            Stored {
                version: n,
                expires_at: session.expires_at,
                bytes,
            },
        );
        Ok(version(n))
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Session>, SessionError> {
        let entries = self.lock()?;
        let mut sessions = entries
            .iter()
            .filter(|(k, s)| k.tenant() == tenant && k.user() == user && s.expires_at > now)
            .map(|(k, s)| decode_session(&s.bytes, k))
            .collect::<Result<Vec<_>, _>>()?;
        crate::ports::sort_recent(&mut sessions);
        sessions.truncate(limit);
        Ok(sessions)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.lock()?.remove(key);
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), SessionError> {
        self.lock()?.retain(|k, _| k.tenant() != tenant);
        Ok(())
    }
}
