//! The session store.

use async_trait::async_trait;
use jiff::Timestamp;
use tenant::ports::{Expected, StoreError, Version, Versioned};
use tenant::{TenantId, UserId};

use crate::ids::SessionKey;
use crate::session::Session;

/// The largest stored form of a session ([`encode_session`]'s JSON) every adapter accepts.
/// DynamoDB items hold 400 KB; this leaves room for the key attributes and the encryption
/// overhead, and is far above what a draft needs (a few KB), so only a runaway edit hits it.
pub const MAX_SESSION_BYTES: usize = 256 * 1024;

/// Errors of the session store.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The backend failed; see [`StoreError`] (transient variants may be retried). A stored
    /// session that does not decode, or that decodes as another key's, is
    /// [`StoreError::Corrupt`].
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A conditional put found another state than its writer read: someone else wrote (or
    /// created, or deleted) the session in between. Nothing was written: read again and redo
    /// the change.
    #[error("session was changed by another writer")]
    Conflict,
    /// The session's stored form is over [`MAX_SESSION_BYTES`] (the size is given). Nothing was
    /// written.
    #[error("session is too large to store ({0} bytes)")]
    TooLarge(usize),
}

impl SessionError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_transient())
    }
}

/// Sessions, one per (tenant, user, recording).
///
/// * Every key is derived from the [`SessionKey`] (or the tenant and user) alone: no call can
///   reach another tenant's or another user's session, even with the same recording id.
/// * A session whose `expires_at` is at or before the caller's `now` is invisible: `get` and
///   `recent` skip it and `put` with [`Expected::Absent`] may replace it. Adapters also let
///   the store delete it (DynamoDB TTL; SQLite on write).
/// * `put` is conditional: with [`Expected::Absent`] it creates the session and MUST fail with
///   [`SessionError::Conflict`] if a live one exists; with [`Expected::At`] it replaces the
///   session only if it is still at that version (else `Conflict`, also when it is gone). Of
///   concurrent writers that read the same version exactly one succeeds.
/// * Sessions over [`MAX_SESSION_BYTES`] are refused with [`SessionError::TooLarge`] on every
///   adapter alike.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// The live session at `key` and its version, or `None`.
    async fn get(
        &self,
        key: &SessionKey,
        now: Timestamp,
    ) -> Result<Option<Versioned<Session>>, SessionError>;

    /// Stores `session` under `session.key()` if the stored state is still `expected`,
    /// returning its new version.
    async fn put(
        &self,
        session: &Session,
        expected: &Expected,
        now: Timestamp,
    ) -> Result<Version, SessionError>;

    /// The user's live sessions, most recently updated first (ties: higher recording id
    /// first), at most `limit`.
    async fn recent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Session>, SessionError>;

    /// Removes the session, whatever its version. Removing a missing one is `Ok`.
    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError>;

    /// Removes every session of the tenant, of every user (uninstall). `Ok` if there are none.
    async fn delete_all(&self, tenant: &TenantId) -> Result<(), SessionError>;
}

/// The stored form of a session, the same on every adapter: its JSON, refused over
/// [`MAX_SESSION_BYTES`].
pub fn encode_session(session: &Session) -> Result<Vec<u8>, SessionError> {
    let bytes = serde_json::to_vec(session)
        .map_err(|e| StoreError::Corrupt(format!("session does not serialize: {e}")))?;
    if bytes.len() > MAX_SESSION_BYTES {
        return Err(SessionError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// A session read back from its stored form at `key`. A session that does not decode, or is
/// filed under another key than its own ids (a row moved by hand, a key bug), is
/// [`StoreError::Corrupt`]: never handed to the wrong user. The error names no content.
pub fn decode_session(bytes: &[u8], key: &SessionKey) -> Result<Session, SessionError> {
    let session: Session = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's message names a position and an expected type, never the input.
        StoreError::Corrupt(format!("stored session does not decode: {e}"))
    })?;
    if &session.key() != key {
        return Err(StoreError::Corrupt("stored session belongs to another key".into()).into());
    }
    Ok(session)
}

/// Puts sessions in the order [`Sessions::recent`] promises: most recently updated first,
/// then higher recording id first. Adapters that cannot sort in the store use this.
pub fn sort_recent(sessions: &mut [Session]) {
    sessions.sort_by_key(|s| std::cmp::Reverse((s.updated_at, s.recording)));
}
