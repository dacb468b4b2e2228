//! The job queue ports with SQS behaviour on a `jobs` table: a receive makes a message
//! invisible until `visible_at` and gives it a fresh receipt; the receive after
//! [`MAX_RECEIVES`] moves it to `dead_jobs` instead.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tenant::JobEnvelope;
use tenant::ports::{Delivery, JobConsumer, JobQueue, MAX_RECEIVES, StoreError};

use crate::Store;
use crate::db::{ms, unix_ms};

#[async_trait]
impl JobQueue for Store {
    async fn enqueue(&self, job: &JobEnvelope) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        let body = job.to_json();
        // A single INSERT commits on its own: when it returns Ok the job is in the file.
        self.db.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO jobs (tenant, body, visible_at, receive_count, receipt, enqueued_at)
                 VALUES (?1, ?2, ?3, 0, NULL, ?3)",
            )?
            .execute(params![job.tenant.as_str(), body, now])?;
            Ok(())
        })
    }
}

#[async_trait]
impl JobConsumer for Store {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = unix_ms(SystemTime::now());
        let visible_at = now.saturating_add(ms(visibility));
        let batch = i64::try_from(max).unwrap_or(i64::MAX);
        self.db.write(|tx| {
            let mut deliveries = Vec::with_capacity(max.min(64));
            // Walk visible messages oldest first from a cursor, so dead-lettered ones are
            // replaced by later ones and a 0 s visibility cannot hand one message out twice.
            let mut after = 0_i64;
            while deliveries.len() < max {
                let rows: Vec<(i64, String, u32)> = tx
                    .prepare_cached(
                        "SELECT id, body, receive_count FROM jobs
                         WHERE visible_at <= ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                    )?
                    .query_map(params![now, after, batch], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                if rows.is_empty() {
                    break;
                }
                for (id, body, receive_count) in rows {
                    after = id;
                    if deliveries.len() == max {
                        break;
                    }
                    if receive_count >= MAX_RECEIVES {
                        dead_letter(tx, id, now)?;
                        continue;
                    }
                    let receipt = uuid::Uuid::new_v4().simple().to_string();
                    tx.prepare_cached(
                        "UPDATE jobs SET receive_count = receive_count + 1, visible_at = ?2,
                             receipt = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, visible_at, receipt])?;
                    deliveries.push(Delivery {
                        receipt,
                        body,
                        receive_count: receive_count + 1,
                    });
                }
            }
            Ok(deliveries)
        })
    }

    async fn ack(&self, receipt: &str) -> Result<(), StoreError> {
        // Like SQS, an unknown or stale receipt is not an error: the message is gone or was
        // received again by someone else (whose receipt is the one that counts).
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM jobs WHERE receipt = ?1")?
                .execute([receipt])?;
            Ok(())
        })
    }

    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), StoreError> {
        let visible_at = unix_ms(SystemTime::now()).saturating_add(ms(delay));
        let changed = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("UPDATE jobs SET visible_at = ?2 WHERE receipt = ?1")?
                .execute(params![receipt, visible_at])?)
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn dead_letter(
        &self,
        receipt: &str,
        _body: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let now = unix_ms(SystemTime::now());
        let moved = self.db.write(|tx| {
            let id: Option<i64> = tx
                .prepare_cached("SELECT id FROM jobs WHERE receipt = ?1")?
                .query_row([receipt], |row| row.get(0))
                .optional()?;
            let Some(id) = id else {
                return Ok(false);
            };
            dead_letter(tx, id, now)?;
            tx.prepare_cached("UPDATE dead_jobs SET reason = ?2 WHERE id = ?1")?
                .execute(params![id, reason])?;
            Ok(true)
        })?;
        if moved {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn dead_letter_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT COUNT(*) FROM dead_jobs")?
                .query_row([], |row| row.get(0))?)
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

fn dead_letter(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    now: i64,
) -> Result<(), crate::db::DbError> {
    tx.prepare_cached(
        "INSERT INTO dead_jobs (id, tenant, body, receive_count, enqueued_at, dead_at)
         SELECT id, tenant, body, receive_count, enqueued_at, ?2 FROM jobs WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
        .execute([id])?;
    tracing::warn!(
        job_row = id,
        "job moved to the dead-letter table after max receives"
    );
    Ok(())
}
