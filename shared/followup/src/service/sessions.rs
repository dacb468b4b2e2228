//! The two ways the flow writes a session, on top of the conditional [`Sessions`] port: open
//! it (the stored one, or a new one, race-safe) and update it (read, change, write
//! conditionally, again on a conflict). Writers use these rather than `get` + `put` by hand,
//! so a user's edit and the worker's status update never overwrite each other.

use jiff::Timestamp;
use tenant::ports::{Expected, UPDATE_ATTEMPTS, Versioned};
use tenant::{TenantId, UserId};

use crate::ids::SessionKey;
use crate::meeting::Meeting;
use crate::ports::{SessionError, Sessions};
use crate::session::{Retention, Session};

/// The live session of `user` on `meeting`, or a new one (generating) if there is none. When
/// two callers create it at once, both get the one that was stored first.
pub async fn open_session(
    store: &dyn Sessions,
    tenant: &TenantId,
    user: &UserId,
    meeting: &Meeting,
    now: Timestamp,
    retention: Retention,
) -> Result<Versioned<Session>, SessionError> {
    let key = SessionKey::new(tenant.clone(), user.clone(), meeting.recording_id);
    for _ in 0..UPDATE_ATTEMPTS {
        if let Some(stored) = store.get(&key, now).await? {
            return Ok(stored);
        }
        let fresh = Session::start(tenant.clone(), user.clone(), meeting, now, retention);
        match store.put(&fresh, &Expected::Absent, now).await {
            Ok(version) => {
                return Ok(Versioned {
                    value: fresh,
                    version,
                });
            }
            // Someone else created it in between: read theirs.
            Err(SessionError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(SessionError::Conflict)
}

/// Reads the live session at `key`, lets `change` edit it (returning whether it changed
/// anything), and writes it back conditional on the version read, with `updated_at` and the
/// expiry moved to `now`. On a conflict it starts again from a fresh read (so `change` may run
/// more than once and must be a pure edit), up to [`UPDATE_ATTEMPTS`] times, then gives up
/// with `Conflict`. `None`: there is no live session. A change that changes nothing writes
/// nothing.
pub async fn update_session(
    store: &dyn Sessions,
    key: &SessionKey,
    now: Timestamp,
    retention: Retention,
    mut change: impl FnMut(&mut Session) -> bool + Send,
) -> Result<Option<Versioned<Session>>, SessionError> {
    for _ in 0..UPDATE_ATTEMPTS {
        let Some(mut read) = store.get(key, now).await? else {
            return Ok(None);
        };
        if !change(&mut read.value) {
            return Ok(Some(read));
        }
        read.value.touch(now, retention);
        match store
            .put(&read.value, &Expected::At(read.version.clone()), now)
            .await
        {
            Ok(version) => {
                return Ok(Some(Versioned {
                    value: read.value,
                    version,
                }));
            }
            Err(SessionError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(SessionError::Conflict)
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
