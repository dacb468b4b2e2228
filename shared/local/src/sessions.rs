//! The follow-up session store (`followup::ports::Sessions`): one row per (tenant, user,
//! recording) in `sessions`.
//!
//! Encrypted at rest: a session holds drafts (customer data), so its stored JSON
//! ([`followup::ports::encode_session`]) is sealed with AES-256-GCM under the vault key, like
//! tokens, with the tenant id, the user id and the recording id as associated data: a row
//! copied under another tenant, user or recording does not open (and the decoded session must
//! name the row's own key besides). The columns left in clear are the key, the version and the
//! two times the queries need.
//!
//! Writes are conditional on the version column (the file's one counter, so versions never
//! repeat). Expired rows are invisible to reads, may be created over, and are purged on a
//! write now and then and at open.

use async_trait::async_trait;
use followup::ports::{SessionError, Sessions, decode_session, encode_session, sort_recent};
use followup::{Session, SessionKey};
use jiff::Timestamp;
use rusqlite::OptionalExtension;
use tenant::ports::{Expected, StoreError, Version, Versioned};
use tenant::{TenantId, UserId};

use crate::Store;
use crate::db::{DbError, next_version, parse_version};

/// The row key: (tenant, user, recording as decimal text, so every `u64` fits).
fn row_key(key: &SessionKey) -> (&str, &str, String) {
    (
        key.tenant().as_str(),
        key.user().as_str(),
        key.recording().to_string(),
    )
}

/// The associated data binding a ciphertext to its session, each field labelled so that no
/// two keys give the same bytes.
fn associated_data(key: &SessionKey) -> Vec<u8> {
    format!(
        "switchboard-session\0tenant_id={}\0user_id={}\0recording_id={}",
        key.tenant(),
        key.user(),
        key.recording()
    )
    .into_bytes()
}

/// Nanoseconds since the epoch, as the table stores times: the full precision of the
/// session's own timestamps, so SQL orders exactly as [`sort_recent`] does (saturating far
/// outside 1678–2262).
fn nanos(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(if t.as_second() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

impl Store {
    fn seal_session(&self, session: &Session) -> Result<(Vec<u8>, Vec<u8>), SessionError> {
        let plaintext = zeroize::Zeroizing::new(encode_session(session)?);
        self.sealer
            .seal(&associated_data(&session.key()), &plaintext)
            .ok_or(SessionError::TooLarge(plaintext.len()))
    }

    fn open_session(
        &self,
        key: &SessionKey,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Session, SessionError> {
        let plaintext = self
            .sealer
            .open(&associated_data(key), nonce, ciphertext)
            .map_err(|_| StoreError::Corrupt("session does not decrypt under its key".into()))?;
        decode_session(&plaintext, key)
    }
}

/// Deletes sessions expired by both `now` (the caller's clock) and the wall clock, so a
/// made-up `now` in a test cannot purge what other callers still see.
fn purge_expired_sessions(tx: &rusqlite::Transaction<'_>, now: Timestamp) -> Result<(), DbError> {
    let cutoff = nanos(now).min(nanos(Timestamp::now()));
    tx.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([cutoff])?;
    Ok(())
}

#[async_trait]
impl Sessions for Store {
    async fn get(
        &self,
        key: &SessionKey,
        now: Timestamp,
    ) -> Result<Option<Versioned<Session>>, SessionError> {
        let (tenant, user, recording) = row_key(key);
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT nonce, ciphertext, version FROM sessions
                     WHERE tenant = ?1 AND user = ?2 AND recording = ?3 AND expires_at > ?4",
                )?
                .query_row(
                    rusqlite::params![tenant, user, recording, nanos(now)],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?)
        })?;
        row.map(|(nonce, ciphertext, version)| {
            Ok(Versioned {
                value: self.open_session(key, &nonce, &ciphertext)?,
                version: Version::new(version.to_string()),
            })
        })
        .transpose()
    }

    async fn put(
        &self,
        session: &Session,
        expected: &Expected,
        now: Timestamp,
    ) -> Result<Version, SessionError> {
        let (nonce, ciphertext) = self.seal_session(session)?;
        let key = session.key();
        let (tenant, user, recording) = row_key(&key);
        let (updated, expires) = (nanos(session.updated_at), nanos(session.expires_at));
        let purge = self.db.purge_due();
        let written = self.db.write(|tx| {
            if purge {
                purge_expired_sessions(tx, now)?;
            }
            let version = next_version(tx)?;
            let rows = match expected {
                // Creates, or replaces a row that has expired (invisible, so absent).
                Expected::Absent => tx
                    .prepare_cached(
                        "INSERT INTO sessions
                             (tenant, user, recording, nonce, ciphertext, version, updated_at,
                              expires_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (tenant, user, recording) DO UPDATE SET
                             nonce = excluded.nonce, ciphertext = excluded.ciphertext,
                             version = excluded.version, updated_at = excluded.updated_at,
                             expires_at = excluded.expires_at
                         WHERE sessions.expires_at <= ?9",
                    )?
                    .execute(rusqlite::params![
                        tenant,
                        user,
                        recording,
                        nonce,
                        ciphertext,
                        version,
                        updated,
                        expires,
                        nanos(now)
                    ])?,
                Expected::At(at) => {
                    let Some(at) = parse_version(at) else {
                        return Ok(None);
                    };
                    tx.prepare_cached(
                        "UPDATE sessions SET nonce = ?4, ciphertext = ?5, version = ?6,
                             updated_at = ?7, expires_at = ?8
                         WHERE tenant = ?1 AND user = ?2 AND recording = ?3 AND version = ?9",
                    )?
                    .execute(rusqlite::params![
                        tenant, user, recording, nonce, ciphertext, version, updated, expires, at
                    ])?
                }
            };
            Ok((rows == 1).then_some(version))
        })?;
        written
            .map(|v| Version::new(v.to_string()))
            .ok_or(SessionError::Conflict)
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Session>, SessionError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Decimal ids of one length order as numbers; a longer one is a larger number.
        let rows: Vec<(String, Vec<u8>, Vec<u8>)> = self.db.with(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT recording, nonce, ciphertext FROM sessions
                 WHERE tenant = ?1 AND user = ?2 AND expires_at > ?3
                 ORDER BY updated_at DESC, length(recording) DESC, recording DESC
                 LIMIT ?4",
            )?;
            let rows = statement.query_map(
                rusqlite::params![tenant.as_str(), user.as_str(), nanos(now), limit],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut sessions = rows
            .iter()
            .map(|(recording, nonce, ciphertext)| {
                let recording = followup::RecordingId::parse(recording)
                    .map_err(|_| StoreError::Corrupt("session row has a bad recording".into()))?;
                let key = SessionKey::new(tenant.clone(), user.clone(), recording);
                self.open_session(&key, nonce, ciphertext)
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Already in order; sorting again keeps one definition of it.
        sort_recent(&mut sessions);
        Ok(sessions)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let (tenant, user, recording) = row_key(key);
        self.db.with(|conn| {
            conn.prepare_cached(
                "DELETE FROM sessions WHERE tenant = ?1 AND user = ?2 AND recording = ?3",
            )?
            .execute(rusqlite::params![tenant, user, recording])?;
            Ok(())
        })?;
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), SessionError> {
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE tenant = ?1")?
                .execute([tenant.as_str()])?;
            Ok(())
        })?;
        Ok(())
    }
}

/// Purges sessions expired by the wall clock (at open). Times in this table are nanoseconds,
/// not the other tables' milliseconds.
pub(crate) fn purge_at_open(conn: &rusqlite::Connection) -> rusqlite::Result<usize> {
    let now = nanos(Timestamp::now());
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])
}
