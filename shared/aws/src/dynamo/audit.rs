//! [`AuditLog`] on DynamoDB, in a table of its own whose only writes the app's roles may make
//! are `PutItem` (template.yaml): no update, no delete.
//!
//! An append reads the tenant's last entry (a consistent, descending `Query` with limit 1),
//! builds the next one ([`AuditEntry::next`]) and puts it with `attribute_not_exists(pk)`: the
//! sort key is the sequence number, so of two writers racing for entry n one fails the
//! condition, re-reads and appends n+1. The chain never forks.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use tenant::TenantId;
use tenant::audit::{AuditAction, AuditEntry, AuditEvent};
use tenant::ports::{AuditLog, StoreError};

use super::{Item, Table, get_n, get_s, n, s};
use crate::error::store_error;
use crate::keys;

const TENANT_ID: &str = "tenant_id";
const SEQ: &str = "seq";
const AT: &str = "at";
const ACTOR: &str = "actor";
const ACTION: &str = "action";
const DETAIL: &str = "detail";
const PREV_HASH: &str = "prev_hash";
const HASH: &str = "hash";

/// Appends that lose the race for a sequence number retry this many times; each round one of
/// the racers wins, so this bounds the writers one tenant can have at once.
const APPEND_ATTEMPTS: u32 = 40;

/// The audit log table.
#[derive(Clone, Debug)]
pub struct DynamoAuditLog {
    table: Table,
}

impl DynamoAuditLog {
    /// `table` is the audit table (`AUDIT_TABLE_NAME`), not the app table.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn last(&self, tenant: &TenantId) -> Result<Option<AuditEntry>, StoreError> {
        let out = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", s(keys::tenant_pk(tenant)))
            .expression_attribute_values(":prefix", s(keys::AUDIT_SEQ_PREFIX))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        out.items()
            .first()
            .map(|item| entry_from_item(tenant, item))
            .transpose()
    }
}

/// Decodes an entry. The hash is not checked here (`verify_chain` reports edits); the tenant
/// and the key are, so an item filed under another tenant's partition is `Corrupt`.
fn entry_from_item(tenant: &TenantId, item: &Item) -> Result<AuditEntry, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("audit item has an invalid {what}"));
    let id = TenantId::parse(get_s(item, TENANT_ID)?).map_err(|_| corrupt("tenant"))?;
    let seq: u64 = get_n(item, SEQ)?;
    let key = keys::audit_entry(tenant, seq);
    if &id != tenant || get_s(item, keys::PK)? != key.pk || get_s(item, keys::SK)? != key.sk {
        return Err(corrupt("key"));
    }
    let action: AuditAction =
        serde_json::from_value(serde_json::Value::String(get_s(item, ACTION)?.to_owned()))
            .map_err(|_| corrupt("action"))?;
    Ok(AuditEntry {
        tenant: id,
        seq,
        at: get_n(item, AT)?,
        actor: get_s(item, ACTOR)?.to_owned(),
        action,
        detail: get_s(item, DETAIL)?.to_owned(),
        prev_hash: get_s(item, PREV_HASH)?.to_owned(),
        hash: get_s(item, HASH)?.to_owned(),
    })
}

/// A short pause before retrying a lost race, spread so racers do not collide in lockstep
/// (the sub-second clock is jitter enough here; it is not a security value).
fn backoff(attempt: u32) -> Duration {
    let jitter = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()) % 10);
    Duration::from_millis(u64::from(attempt.min(10)) * 2 + jitter)
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn append(&self, tenant: &TenantId, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        for attempt in 1..=APPEND_ATTEMPTS {
            let last = self.last(tenant).await?;
            let entry = AuditEntry::next(tenant, last.as_ref(), event.clone());
            let key = keys::audit_entry(tenant, entry.seq);
            let result = self
                .table
                .client
                .put_item()
                .table_name(&self.table.name)
                .item(keys::PK, s(key.pk))
                .item(keys::SK, s(key.sk))
                .item(TENANT_ID, s(tenant.as_str()))
                .item(SEQ, n(entry.seq))
                .item(AT, n(entry.at))
                .item(ACTOR, s(&entry.actor))
                .item(ACTION, s(entry.action.as_str()))
                .item(DETAIL, s(&entry.detail))
                .item(PREV_HASH, s(&entry.prev_hash))
                .item(HASH, s(&entry.hash))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(entry),
                Err(err)
                    if matches!(
                        err.as_service_error(),
                        Some(PutItemError::ConditionalCheckFailedException(_))
                    ) =>
                {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(err) => return Err(store_error(err)),
            }
        }
        // Lost every round: far more concurrent writers than one tenant should have.
        Err(StoreError::Throttled)
    }

    async fn list(&self, tenant: &TenantId) -> Result<Vec<AuditEntry>, StoreError> {
        self.table
            .query_prefix(keys::tenant_pk(tenant), keys::AUDIT_SEQ_PREFIX)
            .await?
            .iter()
            .map(|item| entry_from_item(tenant, item))
            .collect()
    }
}
