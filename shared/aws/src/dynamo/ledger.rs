//! [`EventLedger`] on DynamoDB: a claim is one conditional `PutItem`, so of any number of
//! concurrent claimers exactly one wins.
//!
//! An item holds `state` (`claimed` or `done`), `lease_ms` (claims: unix ms when the lease ends;
//! 0 once abandoned), `holder` (claims: the holder's lease token, which every later write of the
//! claim is conditional on),
//! `expires_ms` (unix ms when the entry is as if never seen), `outcome` (done entries) and the
//! TTL attribute `expires_at` (unix seconds). TTL deletion is lazy (up to days late), so the
//! conditions treat an entry whose `expires_ms` has passed as absent; leases and expiry are
//! judged by the caller's `now`, never the server's clock.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use tenant::TenantId;
use tenant::ports::{Claim, EventLedger, Lease, LeaseToken, LedgerKey, StoreError};

use super::{Item, Table, get_n, get_s, n, s, ttl_secs, unix_ms};
use crate::error::store_error;
use crate::keys;

const STATE: &str = "state";
const LEASE_MS: &str = "lease_ms";
const EXPIRES_MS: &str = "expires_ms";
const OUTCOME: &str = "outcome";
const HOLDER: &str = "holder";
/// Every write of a claim after it was made: only by its holder, while it is unfinished.
const HELD: &str = "#state = :claimed AND #holder = :token";
const CLAIMED: &str = "claimed";
const DONE: &str = "done";

/// How many times a claim is retried when the entry that beat it vanished before it could be
/// read (released or expired in between). Each retry is another conditional write.
const CLAIM_ATTEMPTS: usize = 3;

/// Dedupe and idempotency records in the app table.
#[derive(Clone, Debug)]
pub struct DynamoLedger {
    table: Table,
}

impl DynamoLedger {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// One conditional claim. `Ok(None)` means the condition failed but the entry that made it
    /// fail is gone again, so the caller should try once more.
    async fn try_claim(
        &self,
        key: &keys::ItemKey,
        now_ms: u64,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let lease_ms = now_ms.saturating_add(duration_ms(lease));
        let expires_ms = now_ms.saturating_add(duration_ms(ttl));
        let token = LeaseToken::random();
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(&key.pk))
            .item(keys::SK, s(&key.sk))
            .item(STATE, s(CLAIMED))
            .item(HOLDER, s(token.as_str()))
            .item(LEASE_MS, n(lease_ms))
            .item(EXPIRES_MS, n(expires_ms))
            .item(keys::EXPIRES_AT, n(ttl_secs(expires_ms)))
            .condition_expression(
                "attribute_not_exists(#pk) OR #expires <= :now \
                 OR (#state = :claimed AND #lease <= :now)",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#expires", EXPIRES_MS)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#lease", LEASE_MS)
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":claimed", s(CLAIMED))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            // On success, the entry this claim replaced: an unfinished claim means a takeover.
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(out) => {
                let recovered = out
                    .attributes
                    .as_ref()
                    .is_some_and(|old| was_live_claim(old, now_ms));
                return Ok(Some(Claim::Acquired(Lease { token, recovered })));
            }
            Err(err) => err,
        };
        if !matches!(
            err.as_service_error(),
            Some(PutItemError::ConditionalCheckFailedException(_))
        ) {
            return Err(store_error(err));
        }
        let returned = match err.into_service_error() {
            PutItemError::ConditionalCheckFailedException(failed) => failed.item,
            _ => None,
        };
        let existing = match returned {
            Some(item) => Some(item),
            // Endpoints that ignore ReturnValuesOnConditionCheckFailure: read it instead.
            None => self.read(key).await?,
        };
        match existing {
            Some(item) => answer_for(&item, now_ms),
            None => Ok(None),
        }
    }

    async fn read(&self, key: &keys::ItemKey) -> Result<Option<Item>, StoreError> {
        self.table.get_consistent(key).await
    }
}

/// What a live entry that beat a claim means for the claimer; `None` if it is no longer live
/// at `now_ms` (only possible when it was read after the failed write).
fn answer_for(item: &Item, now_ms: u64) -> Result<Option<Claim>, StoreError> {
    let expires_ms: u64 = get_n(item, EXPIRES_MS)?;
    if expires_ms <= now_ms {
        return Ok(None);
    }
    match get_s(item, STATE)? {
        DONE => Ok(Some(Claim::Done {
            outcome: get_s(item, OUTCOME)?.to_owned(),
        })),
        CLAIMED => {
            let lease_ms: u64 = get_n(item, LEASE_MS)?;
            Ok((lease_ms > now_ms).then_some(Claim::InFlight))
        }
        other => Err(StoreError::Corrupt(format!(
            "ledger entry has unknown state {other:?}"
        ))),
    }
}

/// Whether `old`, the entry a successful claim replaced, was an unexpired unfinished claim.
fn was_live_claim(old: &Item, now_ms: u64) -> bool {
    let live = get_n::<u64>(old, EXPIRES_MS).is_ok_and(|expires| expires > now_ms);
    live && get_s(old, STATE).is_ok_and(|state| state == CLAIMED)
}

fn is_condition_failure<E>(err: &aws_sdk_dynamodb::error::SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl EventLedger for DynamoLedger {
    async fn claim(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        now: SystemTime,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, StoreError> {
        let item_key = keys::ledger(tenant, key);
        let now_ms = unix_ms(now);
        for _ in 0..CLAIM_ATTEMPTS {
            if let Some(claim) = self.try_claim(&item_key, now_ms, lease, ttl).await? {
                return Ok(claim);
            }
        }
        // The entry kept appearing and vanishing under us: report it as busy, which makes the
        // caller retry later rather than risk doing the work twice.
        Ok(Claim::InFlight)
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
        let item_key = keys::ledger(tenant, key);
        let expires_ms = unix_ms(now).saturating_add(duration_ms(ttl));
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(item_key.pk))
            .item(keys::SK, s(item_key.sk))
            .item(STATE, s(DONE))
            .item(OUTCOME, s(outcome))
            .item(EXPIRES_MS, n(expires_ms))
            .item(keys::EXPIRES_AT, n(ttl_secs(expires_ms)))
            .condition_expression(HELD)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":claimed", s(CLAIMED))
            .expression_attribute_values(":token", s(token.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Err(StoreError::LeaseLost),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn release(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        let result = self
            .table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .set_key(Some(keys::ledger(tenant, key).to_map()))
            // Only the holder's unfinished claim is dropped; a completed entry stays completed.
            .condition_expression(HELD)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":claimed", s(CLAIMED))
            .expression_attribute_values(":token", s(token.as_str()))
            .send()
            .await;
        match result {
            // Absent, done or someone else's: nothing to release, which the contract makes Ok.
            Err(err) if !is_condition_failure(&err) => Err(store_error(err)),
            _ => Ok(()),
        }
    }

    async fn abandon(
        &self,
        tenant: &TenantId,
        key: &LedgerKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(keys::ledger(tenant, key).to_map()))
            .update_expression("SET #lease = :zero")
            .condition_expression(HELD)
            .expression_attribute_names("#lease", LEASE_MS)
            .expression_attribute_names("#state", STATE)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":zero", n(0u64))
            .expression_attribute_values(":claimed", s(CLAIMED))
            .expression_attribute_values(":token", s(token.as_str()))
            .send()
            .await;
        match result {
            // As for release: nothing of ours to abandon is Ok.
            Err(err) if !is_condition_failure(&err) => Err(store_error(err)),
            _ => Ok(()),
        }
    }
}
