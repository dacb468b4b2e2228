//! The audit log port: one row per entry, `PRIMARY KEY (tenant, seq)`. An append reads the
//! tenant's last entry and inserts the next one inside `BEGIN IMMEDIATE`; the key makes the
//! insert conditional, so even a writer that bypassed the lock could not fork the chain. Each
//! entry is sealed with the audit key file's HMAC before it is inserted.

use async_trait::async_trait;
use rusqlite::{ErrorCode, OptionalExtension, Row, params};
use tenant::TenantId;
use tenant::audit::{AuditAction, AuditEntry, AuditEvent};
use tenant::ports::{AuditLog, StoreError};

use crate::Store;
use crate::db::DbError;

const SELECT: &str =
    "SELECT tenant, seq, at, actor, action, detail, prev_hash, hash, seal FROM audit_log";

/// How many times an append is retried after losing the race for a sequence number.
const APPEND_ATTEMPTS: usize = 8;

struct EntryRow {
    tenant: String,
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    detail: String,
    prev_hash: String,
    hash: String,
    seal: String,
}

impl EntryRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            tenant: row.get(0)?,
            seq: row.get(1)?,
            at: row.get(2)?,
            actor: row.get(3)?,
            action: row.get(4)?,
            detail: row.get(5)?,
            prev_hash: row.get(6)?,
            hash: row.get(7)?,
            seal: row.get(8)?,
        })
    }

    /// Decodes the row. The hash is NOT checked here: `verify_chain` is how callers find out,
    /// and it needs to see an edited entry to report it.
    fn decode(self, want: &TenantId) -> Result<AuditEntry, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("audit row has an invalid {what}"));
        let tenant = TenantId::parse(&self.tenant).map_err(|_| corrupt("tenant"))?;
        if &tenant != want {
            return Err(corrupt("tenant"));
        }
        Ok(AuditEntry {
            tenant,
            seq: u64::try_from(self.seq).map_err(|_| corrupt("seq"))?,
            at: self.at,
            actor: self.actor,
            action: parse_action(&self.action).ok_or_else(|| corrupt("action"))?,
            detail: self.detail,
            prev_hash: self.prev_hash,
            hash: self.hash,
            seal: self.seal,
        })
    }
}

/// The action from its stored name (its serde name, which is also `as_str`).
fn parse_action(raw: &str) -> Option<AuditAction> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
}

#[async_trait]
impl AuditLog for Store {
    async fn append(&self, tenant: &TenantId, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        for _ in 0..APPEND_ATTEMPTS {
            let event = event.clone();
            let appended = self.db.write(|tx| {
                let last = tx
                    .prepare_cached(&format!(
                        "{SELECT} WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1"
                    ))?
                    .query_row([tenant.as_str()], EntryRow::read)
                    .optional()?
                    .map(|row| row.decode(tenant))
                    .transpose()?;
                let mut entry = AuditEntry::next(tenant, last.as_ref(), event);
                entry.seal = self.audit_key.seal(&entry);
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO audit_log
                             (tenant, seq, at, actor, action, detail, prev_hash, hash, seal)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        tenant.as_str(),
                        i64::try_from(entry.seq).map_err(|_| StoreError::Corrupt(
                            "audit sequence number overflow".into()
                        ))?,
                        entry.at,
                        entry.actor,
                        entry.action.as_str(),
                        entry.detail,
                        entry.prev_hash,
                        entry.hash,
                        entry.seal,
                    ]);
                match inserted {
                    Ok(_) => Ok(Some(entry)),
                    // The sequence number was taken: read again and retry.
                    Err(rusqlite::Error::SqliteFailure(f, _))
                        if f.code == ErrorCode::ConstraintViolation =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(DbError::from(e)),
                }
            })?;
            if let Some(entry) = appended {
                return Ok(entry);
            }
        }
        Err(StoreError::Throttled)
    }

    async fn list(&self, tenant: &TenantId) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self.db.with(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{SELECT} WHERE tenant = ?1 ORDER BY seq"))?;
            let rows = stmt
                .query_map([tenant.as_str()], EntryRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(|row| row.decode(tenant)).collect()
    }

    async fn verify_seal(&self, entry: &AuditEntry) -> Result<bool, StoreError> {
        Ok(self.audit_key.verifies(entry))
    }
}
