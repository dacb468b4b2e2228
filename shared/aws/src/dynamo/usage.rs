//! [`UsageCounters`] on DynamoDB: one item per counter and window, counted with an atomic
//! `ADD count :one` guarded by `count < :limit`, so concurrent callers never overshoot.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use tenant::TenantId;
use tenant::ports::{Quota, StoreError, UsageCounters, WindowSpan};

use super::{Table, get_n, n};
use crate::error::store_error;
use crate::keys;

const COUNT: &str = "count";

/// Windows are kept this long after they end (TTL), long enough to look at recent usage.
const KEEP_AFTER_WINDOW_SECS: u64 = 24 * 60 * 60;

/// Per-tenant fixed-window counters in the app table.
#[derive(Clone, Debug)]
pub struct DynamoUsage {
    table: Table,
}

impl DynamoUsage {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl UsageCounters for DynamoUsage {
    async fn consume_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        limit: u64,
        span: WindowSpan,
        _now: SystemTime,
    ) -> Result<Quota, StoreError> {
        let WindowSpan {
            length_secs,
            index,
            resets_at,
        } = span;
        let denied = |used| Quota {
            allowed: false,
            used,
            limit,
            resets_at,
        };
        // `attribute_not_exists(count)` would let a first use through a zero limit.
        if limit == 0 {
            return Ok(denied(0));
        }
        let key = keys::usage(tenant, counter, length_secs, index);
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key.to_map()))
            .update_expression("ADD #count :one SET #expires = :expires")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_names("#expires", keys::EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":expires", n(resets_at + KEEP_AFTER_WINDOW_SECS))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let used = match out.attributes {
                    Some(attributes) => get_n(&attributes, COUNT)?,
                    None => {
                        return Err(StoreError::Corrupt("usage update returned no count".into()));
                    }
                };
                Ok(Quota {
                    allowed: true,
                    used,
                    limit,
                    resets_at,
                })
            }
            Err(err) => {
                if !matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) {
                    return Err(store_error(err));
                }
                // The window is full: report what it holds (the limit, if the item did not
                // come back with the error).
                let used = match err.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(failed) => failed
                        .item
                        .and_then(|item| get_n::<u64>(&item, COUNT).ok())
                        .unwrap_or(limit),
                    _ => limit,
                };
                Ok(denied(used))
            }
        }
    }

    async fn used_in(
        &self,
        tenant: &TenantId,
        counter: &str,
        span: WindowSpan,
        _now: SystemTime,
    ) -> Result<u64, StoreError> {
        let key = keys::usage(tenant, counter, span.length_secs, span.index);
        // Consistent: a use counted just before (a generation accepted a moment ago) shows.
        match self.table.get_consistent(&key).await? {
            Some(item) => get_n(&item, COUNT),
            None => Ok(0),
        }
    }
}
