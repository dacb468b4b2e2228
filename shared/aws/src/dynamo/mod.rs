//! The DynamoDB adapters: [`DynamoTenants`], [`DynamoLedger`], [`DynamoUsage`],
//! [`DynamoOAuthStates`] and [`DynamoMembers`] on the app table, [`DynamoAuditLog`] on the audit
//! table; every key comes from [`crate::keys`].

mod audit;
mod ledger;
mod members;
mod oauth_states;
mod tenants;
mod usage;

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use tenant::ports::StoreError;

pub use audit::DynamoAuditLog;
pub use ledger::DynamoLedger;
pub use members::DynamoMembers;
pub use oauth_states::{DynamoOAuthStates, STATE_GRACE_SECS};
pub use tenants::DynamoTenants;
pub use usage::DynamoUsage;

/// A DynamoDB client and the table it works on; cheap to clone (the client is an `Arc`).
#[derive(Clone, Debug)]
pub struct Table {
    pub client: Client,
    pub name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The item at `key`, read consistently (strongly consistent `GetItem`): what every
    /// adapter reads before or after a conditional write, so it sees the latest write.
    pub(crate) async fn get_consistent(
        &self,
        key: &crate::keys::ItemKey,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key.to_map()))
            .consistent_read(true)
            .send()
            .await
            .map_err(crate::error::store_error)?;
        Ok(out.item)
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`, in sort-key order,
    /// read consistently across all pages.
    pub(crate) async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", crate::keys::PK)
                .expression_attribute_names("#sk", crate::keys::SK)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(crate::error::store_error)?;
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

/// How many keys one `BatchWriteItem` takes, and how often its unprocessed rest is retried.
const BATCH: usize = 25;
const BATCH_ATTEMPTS: u32 = 8;

impl Table {
    /// Deletes the items at `keys` with `BatchWriteItem`, 25 at a time, retrying what
    /// DynamoDB leaves unprocessed (it does so under load) with a growing pause; `Throttled`
    /// if some are still left after that. Missing items are no error.
    pub(crate) async fn delete_keys(
        &self,
        keys: Vec<crate::keys::ItemKey>,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let mut requests = Vec::with_capacity(keys.len());
        for key in keys {
            let delete = DeleteRequest::builder()
                .set_key(Some(key.to_map()))
                .build()
                .map_err(StoreError::unavailable)?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        for chunk in requests.chunks(BATCH) {
            self.batch_delete(chunk.to_vec()).await?;
        }
        Ok(())
    }

    async fn batch_delete(
        &self,
        mut pending: Vec<aws_sdk_dynamodb::types::WriteRequest>,
    ) -> Result<(), StoreError> {
        for attempt in 0..BATCH_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.name, pending)
                .send()
                .await
                .map_err(crate::error::store_error)?;
            pending = out
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.name))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(StoreError::Throttled)
    }

    /// The keys of every item of partition `pk` whose sort key starts with `prefix`.
    pub(crate) async fn keys_with_prefix(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<crate::keys::ItemKey>, StoreError> {
        self.query_prefix(pk, prefix)
            .await?
            .iter()
            .map(|item| {
                Ok(crate::keys::ItemKey {
                    pk: get_s(item, crate::keys::PK)?.to_owned(),
                    sk: get_s(item, crate::keys::SK)?.to_owned(),
                })
            })
            .collect()
    }
}

/// An item as the SDK returns it.
pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute, or `Corrupt` naming it.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(StoreError::Corrupt(format!(
            "attribute {name} missing or not a string"
        ))),
    }
}

/// A number attribute, or `Corrupt` naming it.
pub(crate) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a valid number"))),
        _ => Err(StoreError::Corrupt(format!(
            "attribute {name} missing or not a number"
        ))),
    }
}

/// Unix milliseconds of a caller's clock ([`tenant::time::unix_ms`]), unsigned as the items
/// store them.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    u64::try_from(tenant::time::unix_ms(t)).unwrap_or(0)
}

/// The TTL attribute value for an expiry in unix milliseconds: whole seconds, rounded up so
/// DynamoDB never deletes an item before the adapter itself treats it as expired.
pub(crate) fn ttl_secs(expires_ms: u64) -> u64 {
    expires_ms.div_ceil(1000)
}
