//! The event ledger port: one row per (tenant, key) with a lease, its holder's token and an
//! expiry, all decisions made inside one `BEGIN IMMEDIATE` transaction (so a claim's read and
//! write cannot interleave with another process's).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tenant::TenantId;
use tenant::ports::{Claim, EventLedger, Lease, LeaseToken, LedgerKey, StoreError};

use crate::Store;
use crate::db::{ms, purge_expired, unix_ms};

#[async_trait]
impl EventLedger for Store {
    async fn claim(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        now: SystemTime,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let now = unix_ms(now);
        let key = key.as_key();
        let purge = self.db.purge_due();
        self.db.write(|tx| {
            if purge {
                purge_expired(tx, now)?;
            }
            let existing: Option<(bool, Option<String>, i64, i64)> = tx
                .prepare_cached(
                    "SELECT done, outcome, lease_until, expires_at FROM ledger
                     WHERE tenant = ?1 AND key = ?2",
                )?
                .query_row(params![tenant.as_str(), key], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()?;
            let recovered = match existing {
                // Expired entries are as if never written.
                Some((_, _, _, expires_at)) if expires_at <= now => false,
                Some((true, outcome, _, _)) => {
                    return Ok(Claim::Done {
                        outcome: outcome.unwrap_or_default(),
                    });
                }
                Some((false, _, lease_until, _)) if lease_until > now => {
                    return Ok(Claim::InFlight);
                }
                // An unfinished claim whose lease ran out (or was abandoned): take it over.
                Some((false, ..)) => true,
                None => false,
            };
            let token = LeaseToken::random();
            tx.prepare_cached(
                "INSERT INTO ledger (tenant, key, done, outcome, lease_until, expires_at, holder)
                 VALUES (?1, ?2, 0, NULL, ?3, ?4, ?5)
                 ON CONFLICT (tenant, key) DO UPDATE SET done = 0, outcome = NULL,
                     lease_until = excluded.lease_until, expires_at = excluded.expires_at,
                     holder = excluded.holder",
            )?
            .execute(params![
                tenant.as_str(),
                key,
                now.saturating_add(ms(lease)),
                now.saturating_add(ms(ttl)),
                token.as_str(),
            ])?;
            Ok(Claim::Acquired(Lease { token, recovered }))
        })
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
        let now = unix_ms(now);
        let changed = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE ledger SET done = 1, outcome = ?4, lease_until = 0, holder = NULL,
                         expires_at = ?5
                     WHERE tenant = ?1 AND key = ?2 AND done = 0 AND holder = ?3",
                )?
                .execute(params![
                    tenant.as_str(),
                    key.as_key(),
                    token.as_str(),
                    outcome,
                    now.saturating_add(ms(ttl)),
                ])?)
        })?;
        if changed == 1 {
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
        // Only the holder's unfinished claim goes: a completed key stays completed.
        self.db.with(|conn| {
            conn.prepare_cached(
                "DELETE FROM ledger WHERE tenant = ?1 AND key = ?2 AND done = 0 AND holder = ?3",
            )?
            .execute(params![tenant.as_str(), key.as_key(), token.as_str()])?;
            Ok(())
        })
    }

    async fn abandon(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        self.db.with(|conn| {
            conn.prepare_cached(
                "UPDATE ledger SET lease_until = 0
                 WHERE tenant = ?1 AND key = ?2 AND done = 0 AND holder = ?3",
            )?
            .execute(params![tenant.as_str(), key.as_key(), token.as_str()])?;
            Ok(())
        })
    }
}
