//! The usage counters port: one row per (tenant, counter, window), counted inside a
//! `BEGIN IMMEDIATE` transaction so concurrent processes never exceed the limit.

use std::time::SystemTime;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tenant::TenantId;
use tenant::ports::{Quota, StoreError, UsageCounters, WindowSpan};

use crate::Store;
use crate::db::{purge_expired, unix_ms};

#[async_trait]
impl UsageCounters for Store {
    async fn consume_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        limit: u64,
        span: WindowSpan,
        now: SystemTime,
    ) -> Result<Quota, StoreError> {
        let WindowSpan {
            length_secs,
            index,
            resets_at,
        } = span;
        let window_secs = i64::try_from(length_secs).unwrap_or(i64::MAX);
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        let expires_at = i64::try_from(resets_at.saturating_mul(1000)).unwrap_or(i64::MAX);
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let purge = self.db.purge_due();
        let now_ms = unix_ms(now);
        let (allowed, used) = self.db.write(|tx| {
            if purge {
                purge_expired(tx, now_ms)?;
            }
            let key = params![tenant.as_str(), counter, window_secs, index];
            let used: i64 = tx
                .prepare_cached(
                    "SELECT used FROM usage WHERE tenant = ?1 AND counter = ?2
                     AND window_secs = ?3 AND window_index = ?4",
                )?
                .query_row(key, |row| row.get(0))
                .optional()?
                .unwrap_or(0);
            if used >= limit_sql {
                return Ok((false, used));
            }
            tx.prepare_cached(
                "INSERT INTO usage (tenant, counter, window_secs, window_index, used, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant, counter, window_secs, window_index)
                 DO UPDATE SET used = excluded.used",
            )?
            .execute(params![
                tenant.as_str(),
                counter,
                window_secs,
                index,
                used + 1,
                expires_at
            ])?;
            Ok((true, used + 1))
        })?;
        Ok(Quota {
            allowed,
            used: u64::try_from(used).unwrap_or(0),
            limit,
            resets_at,
        })
    }

    async fn used_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        span: WindowSpan,
        _now: SystemTime,
    ) -> Result<u64, StoreError> {
        let window_secs = i64::try_from(span.length_secs).unwrap_or(i64::MAX);
        let index = i64::try_from(span.index).unwrap_or(i64::MAX);
        // A plain read: no transaction needed for one row, and no write lock taken.
        let used: Option<i64> = self.db.with(|conn| {
            conn.prepare_cached(
                "SELECT used FROM usage WHERE tenant = ?1 AND counter = ?2
                 AND window_secs = ?3 AND window_index = ?4",
            )?
            .query_row(
                params![tenant.as_str(), counter, window_secs, index],
                |row| row.get(0),
            )
            .optional()
            .map_err(Into::into)
        })?;
        Ok(used.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}
