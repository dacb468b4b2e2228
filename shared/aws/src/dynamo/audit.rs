//! [`AuditLog`] on DynamoDB, in a table of its own whose only writes the app's roles may make
//! are `PutItem` (template.yaml): no update, no delete.
//!
//! An append reads the tenant's last entry (a consistent, descending `Query` with limit 1),
//! builds the next one ([`AuditEntry::next`]) and puts it with `attribute_not_exists(pk)`: the
//! sort key is the sequence number, so of two writers racing for entry n one fails the
//! condition, re-reads and appends n+1. The chain never forks.
//!
//! Each entry is sealed before it is put: KMS `GenerateMac` (HMAC-SHA-256) over its hash with
//! the audit HMAC key, which the app's roles may use (`kms:GenerateMac`; the admin role
//! `kms:VerifyMac`) but nobody can read. Someone who can write the table but not call KMS with
//! that key, such as an out-of-stack writer, cannot produce a seal for a rewritten entry.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::operation::verify_mac::VerifyMacError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use tenant::TenantId;
use tenant::audit::{AuditAction, AuditEntry, AuditEvent, seal_message};
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
const SEAL: &str = "seal";

/// Appends that lose the race for a sequence number retry this many times; each round one of
/// the racers wins, so this bounds the writers one tenant can have at once.
const APPEND_ATTEMPTS: u32 = 40;

/// The audit log table.
#[derive(Clone, Debug)]
pub struct DynamoAuditLog {
    table: Table,
    kms: aws_sdk_kms::Client,
    /// The HMAC key's id, ARN or alias (`AUDIT_KEY_ID`).
    key_id: String,
}

impl DynamoAuditLog {
    /// `table` is the audit table (`AUDIT_TABLE_NAME`), not the app table; `key_id` the KMS
    /// HMAC key (`HMAC_256`, `GENERATE_VERIFY_MAC`) that seals entries.
    pub fn new(table: Table, kms: aws_sdk_kms::Client, key_id: &str) -> Self {
        Self {
            table,
            kms,
            key_id: key_id.to_owned(),
        }
    }

    /// The KMS seal of `entry` (hex).
    async fn seal(&self, entry: &AuditEntry) -> Result<String, StoreError> {
        let out = self
            .kms
            .generate_mac()
            .key_id(&self.key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(seal_message(entry)))
            .send()
            .await
            .map_err(store_error)?;
        let mac = out
            .mac
            .ok_or_else(|| StoreError::Corrupt("KMS GenerateMac answered no MAC".into()))?;
        Ok(hex::encode(mac.as_ref()))
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
        // Entries from before sealing have none.
        seal: match item.get(SEAL) {
            Some(AttributeValue::S(seal)) => seal.clone(),
            _ => String::new(),
        },
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
            let mut entry = AuditEntry::next(tenant, last.as_ref(), event.clone());
            entry.seal = self.seal(&entry).await?;
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
                .item(SEAL, s(&entry.seal))
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

    async fn verify_seal(&self, entry: &AuditEntry) -> Result<bool, StoreError> {
        let Ok(mac) = hex::decode(&entry.seal) else {
            return Ok(false);
        };
        if mac.is_empty() {
            return Ok(false);
        }
        let result = self
            .kms
            .verify_mac()
            .key_id(&self.key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(seal_message(entry)))
            .mac(Blob::new(mac))
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.mac_valid),
            // KMS answers a MAC that does not match with this error, not with MacValid=false.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(VerifyMacError::KmsInvalidMacException(_))
                ) =>
            {
                Ok(false)
            }
            Err(err) => Err(store_error(err)),
        }
    }
}
