//! The event ledger port: one row per (tenant, key) with a lease and an expiry, all decisions
//! made inside one `BEGIN IMMEDIATE` transaction.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tenant::TenantId;
use tenant::ports::{Claim, EventLedger, LedgerKey, StoreError};

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
            // Take the key if it is new, expired, or an unfinished claim whose lease ran out.
            // The conditional upsert changes 0 rows when someone else legitimately holds it.
            let acquired = tx
                .prepare_cached(
                    "INSERT INTO ledger (tenant, key, done, outcome, lease_until, expires_at)
                     VALUES (?1, ?2, 0, NULL, ?3, ?4)
                     ON CONFLICT (tenant, key) DO UPDATE SET done = 0, outcome = NULL,
                         lease_until = excluded.lease_until, expires_at = excluded.expires_at
                     WHERE ledger.expires_at <= ?5 OR (ledger.done = 0 AND ledger.lease_until <= ?5)",
                )?
                .execute(params![
                    tenant.as_str(),
                    key,
                    now.saturating_add(ms(lease)),
                    now.saturating_add(ms(ttl)),
                    now,
                ])?;
            if acquired == 1 {
                return Ok(Claim::Acquired);
            }
            let outcome: Option<Option<String>> = tx
                .prepare_cached(
                    "SELECT outcome FROM ledger WHERE tenant = ?1 AND key = ?2 AND done = 1",
                )?
                .query_row(params![tenant.as_str(), key], |row| row.get(0))
                .optional()?;
            Ok(match outcome {
                Some(outcome) => Claim::Done {
                    outcome: outcome.unwrap_or_default(),
                },
                None => Claim::InFlight,
            })
        })
    }

    async fn complete(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        outcome: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = unix_ms(now);
        self.db.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO ledger (tenant, key, done, outcome, lease_until, expires_at)
                 VALUES (?1, ?2, 1, ?3, 0, ?4)
                 ON CONFLICT (tenant, key) DO UPDATE SET done = 1, outcome = excluded.outcome,
                     lease_until = 0, expires_at = excluded.expires_at",
            )?
            .execute(params![
                tenant.as_str(),
                key.as_key(),
                outcome,
                now.saturating_add(ms(ttl)),
            ])?;
            Ok(())
        })
    }

    async fn release(&self, tenant: &TenantId, key: &LedgerKey) -> Result<(), StoreError> {
        // Only an unfinished claim goes: a completed key stays completed.
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM ledger WHERE tenant = ?1 AND key = ?2 AND done = 0")?
                .execute(params![tenant.as_str(), key.as_key()])?;
            Ok(())
        })
    }
}
