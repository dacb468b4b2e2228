//! The OAuth state port: one row per issued state, keyed by the hex SHA-256 of the value, with
//! a `used` flag. Consuming is one conditional UPDATE inside `BEGIN IMMEDIATE` (unused,
//! unexpired, this cookie's hash), so of any number of consumers (threads or processes) exactly
//! one flips `used`, and never one with another browser's cookie.

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use sha2::{Digest, Sha256};
use tenant::ports::{OAuthStateRecord, OAuthStates, StateConsumed, StatePurpose, StoreError};
use tenant::{Provider, TeamId, TenantId, UserId};

use crate::Store;
use crate::db::{DbError, unix_ms};

pub use tenant::ports::STATE_GRACE_SECS;

/// The storage key of a state: hex SHA-256, so the file never holds a usable state value.
pub fn state_key(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deletes states past their grace period at `now` (unix seconds, capped by the wall clock so
/// a made-up `now` cannot drop rows another caller still relies on).
pub(crate) fn purge_states(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    let wall = unix_ms(std::time::SystemTime::now()) / 1000;
    conn.prepare_cached("DELETE FROM oauth_states WHERE expires_at <= ?1")?
        .execute([now.min(wall).saturating_sub(STATE_GRACE_SECS)])
}

struct StateRow {
    cookie_hash: String,
    purpose: String,
    team: Option<String>,
    tenant: Option<String>,
    user: Option<String>,
    provider: Option<String>,
    created_at: i64,
    expires_at: i64,
    used: bool,
}

const SELECT_ROW: &str = "SELECT cookie_hash, purpose, team, tenant, user, provider, created_at, \
                          expires_at, used FROM oauth_states WHERE key = ?1";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("OAuth state row has an invalid {what}"))
}

impl StateRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            cookie_hash: row.get(0)?,
            purpose: row.get(1)?,
            team: row.get(2)?,
            tenant: row.get(3)?,
            user: row.get(4)?,
            provider: row.get(5)?,
            created_at: row.get(6)?,
            expires_at: row.get(7)?,
            used: row.get(8)?,
        })
    }

    fn record(self) -> Result<OAuthStateRecord, StoreError> {
        let purpose = match self.purpose.as_str() {
            "install" => StatePurpose::Install {
                team: self
                    .team
                    .map(|raw| TeamId::parse(&raw))
                    .transpose()
                    .map_err(|_| corrupt("team"))?,
            },
            "connect" => StatePurpose::Connect {
                tenant: self
                    .tenant
                    .and_then(|raw| TenantId::parse(&raw).ok())
                    .ok_or_else(|| corrupt("tenant"))?,
                user: self
                    .user
                    .and_then(|raw| UserId::parse(&raw).ok())
                    .ok_or_else(|| corrupt("user"))?,
                provider: self
                    .provider
                    .and_then(|raw| Provider::parse(&raw).ok())
                    .ok_or_else(|| corrupt("provider"))?,
            },
            _ => return Err(corrupt("purpose")),
        };
        Ok(OAuthStateRecord {
            cookie_hash: self.cookie_hash,
            purpose,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

/// The columns a purpose is stored in: (purpose, team, tenant, user, provider).
type PurposeColumns<'a> = (
    &'static str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'static str>,
);

fn purpose_columns(purpose: &StatePurpose) -> PurposeColumns<'_> {
    match purpose {
        StatePurpose::Install { team } => (
            purpose.kind(),
            team.as_ref().map(TeamId::as_str),
            None,
            None,
            None,
        ),
        StatePurpose::Connect {
            tenant,
            user,
            provider,
        } => (
            purpose.kind(),
            None,
            Some(tenant.as_str()),
            Some(user.as_str()),
            Some(provider.as_str()),
        ),
    }
}

#[async_trait]
impl OAuthStates for Store {
    async fn issue(&self, state: &str, record: &OAuthStateRecord) -> Result<(), StoreError> {
        let key = state_key(state);
        let purge = self.db.purge_due();
        self.db.with(|conn| {
            if purge {
                purge_states(conn, record.created_at)?;
            }
            let (purpose, team, tenant, user, provider) = purpose_columns(&record.purpose);
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO oauth_states (key, cookie_hash, purpose, team, tenant, user,
                         provider, created_at, expires_at, used)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
                )?
                .execute(params![
                    key,
                    record.cookie_hash,
                    purpose,
                    team,
                    tenant,
                    user,
                    provider,
                    record.created_at,
                    record.expires_at,
                ]);
            match inserted {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == ErrorCode::ConstraintViolation =>
                {
                    Err(DbError::Store(StoreError::Corrupt(
                        "OAuth state issued twice: the random source is broken".into(),
                    )))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    async fn consume(
        &self,
        state: &str,
        cookie_hash: &str,
        now: i64,
    ) -> Result<StateConsumed, StoreError> {
        let key = state_key(state);
        let row = self.db.write(|tx| {
            let flipped = tx
                .prepare_cached(
                    "UPDATE oauth_states SET used = 1
                     WHERE key = ?1 AND used = 0 AND expires_at > ?2 AND cookie_hash = ?3",
                )?
                .execute(params![key, now, cookie_hash])?;
            let row = tx
                .prepare_cached(SELECT_ROW)?
                .query_row([&key], StateRow::read)
                .optional()?;
            Ok((flipped == 1, row))
        })?;
        Ok(match row {
            (true, Some(row)) => StateConsumed::Valid(row.record()?),
            (_, None) => StateConsumed::Unknown,
            // Someone else's consume flipped it (or it was used before): a replay, reported
            // as such even after expiry.
            (false, Some(row)) if row.used => StateConsumed::AlreadyUsed,
            (false, Some(row)) if now >= row.expires_at => StateConsumed::Expired,
            (false, Some(_)) => StateConsumed::WrongCookie,
        })
    }
}
