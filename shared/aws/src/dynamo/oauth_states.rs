//! [`OAuthStates`] on DynamoDB: one item per state under `OAUTH#<sha256>` / `STATE`.
//!
//! Issue is a `PutItem` conditional on the key being new. Consume is one conditional
//! `UpdateItem` (`used = false AND state_expires_at > :now AND cookie_hash = :cookie`), so of
//! any number of concurrent consumers exactly one wins and a wrong cookie consumes nothing; a
//! loser reads the item to tell a replay, an expired state, a wrong cookie and an unknown one
//! apart. The record's own expiry is `state_expires_at`; the table's TTL attribute
//! `expires_at` is set [`STATE_GRACE_SECS`] later, so used and expired states are still there
//! to be recognised for a while before DynamoDB removes them.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use tenant::ports::{OAuthStateRecord, OAuthStates, StateConsumed, StatePurpose, StoreError};
use tenant::{Provider, TeamId, TenantId, UserId};

use super::{Item, Table, get_n, get_s, n, s};
use crate::error::store_error;
use crate::keys;

/// The TTL of a state item is its expiry plus this.
pub use tenant::ports::STATE_GRACE_SECS;

const COOKIE_HASH: &str = "cookie_hash";
const TEAM: &str = "team";
/// `install` or `connect` (`StatePurpose::kind`); absent on items from before it existed,
/// which were all installs.
const PURPOSE: &str = "purpose";
/// A connect state's tenant, user and provider.
const TENANT: &str = "tenant_id";
const USER: &str = "user_id";
const PROVIDER: &str = "provider";
const CREATED_AT: &str = "created_at";
const STATE_EXPIRES_AT: &str = "state_expires_at";
const USED: &str = "used";

/// Single-use OAuth states in the app table.
#[derive(Clone, Debug)]
pub struct DynamoOAuthStates {
    table: Table,
}

impl DynamoOAuthStates {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("OAuth state has an invalid {what}"))
}

fn purpose_from_item(item: &Item) -> Result<StatePurpose, StoreError> {
    let kind = match item.get(PURPOSE) {
        None => "install",
        Some(AttributeValue::S(raw)) => raw.as_str(),
        Some(_) => return Err(corrupt("purpose")),
    };
    match kind {
        "install" => {
            let team = match item.get(TEAM) {
                None => None,
                Some(AttributeValue::S(raw)) => {
                    Some(TeamId::parse(raw).map_err(|_| corrupt("team"))?)
                }
                Some(_) => return Err(corrupt("team")),
            };
            Ok(StatePurpose::Install { team })
        }
        "connect" => Ok(StatePurpose::Connect {
            tenant: TenantId::parse(get_s(item, TENANT)?).map_err(|_| corrupt("tenant"))?,
            user: UserId::parse(get_s(item, USER)?).map_err(|_| corrupt("user"))?,
            provider: Provider::parse(get_s(item, PROVIDER)?).map_err(|_| corrupt("provider"))?,
        }),
        _ => Err(corrupt("purpose")),
    }
}

fn record_from_item(item: &Item) -> Result<OAuthStateRecord, StoreError> {
    Ok(OAuthStateRecord {
        cookie_hash: get_s(item, COOKIE_HASH)?.to_owned(),
        purpose: purpose_from_item(item)?,
        created_at: get_n(item, CREATED_AT)?,
        expires_at: get_n(item, STATE_EXPIRES_AT)?,
    })
}

fn is_used(item: &Item) -> Result<bool, StoreError> {
    match item.get(USED) {
        Some(AttributeValue::Bool(used)) => Ok(*used),
        _ => Err(StoreError::Corrupt(
            "OAuth state's used flag is missing".into(),
        )),
    }
}

#[async_trait]
impl OAuthStates for DynamoOAuthStates {
    async fn issue(&self, state: &str, record: &OAuthStateRecord) -> Result<(), StoreError> {
        let key = keys::oauth_state(state);
        let mut request = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(COOKIE_HASH, s(&record.cookie_hash))
            .item(CREATED_AT, n(record.created_at))
            .item(STATE_EXPIRES_AT, n(record.expires_at))
            .item(USED, AttributeValue::Bool(false))
            .item(PURPOSE, s(record.purpose.kind()))
            .item(
                keys::EXPIRES_AT,
                n(record.expires_at.saturating_add(STATE_GRACE_SECS)),
            )
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK);
        match &record.purpose {
            StatePurpose::Install { team: Some(team) } => {
                request = request.item(TEAM, s(team.as_str()));
            }
            StatePurpose::Install { team: None } => {}
            StatePurpose::Connect {
                tenant,
                user,
                provider,
            } => {
                request = request
                    .item(TENANT, s(tenant.as_str()))
                    .item(USER, s(user.as_str()))
                    .item(PROVIDER, s(provider.as_str()));
            }
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(StoreError::Corrupt(
                    "OAuth state issued twice: the random source is broken".into(),
                ))
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn consume(
        &self,
        state: &str,
        cookie_hash: &str,
        now: i64,
    ) -> Result<StateConsumed, StoreError> {
        let key = keys::oauth_state(state);
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key.to_map()))
            .update_expression("SET #used = :true")
            .condition_expression("#used = :false AND #expires > :now AND #cookie = :cookie")
            .expression_attribute_names("#used", USED)
            .expression_attribute_names("#expires", STATE_EXPIRES_AT)
            .expression_attribute_names("#cookie", COOKIE_HASH)
            .expression_attribute_values(":cookie", s(cookie_hash))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| {
                    StoreError::Corrupt("consumed OAuth state came back empty".into())
                })?;
                return record_from_item(&item).map(StateConsumed::Valid);
            }
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) => {}
            Err(err) => return Err(store_error(err)),
        }
        // The condition failed: absent (the update never creates: the condition needs `used`),
        // used, expired, or another browser's cookie. A consistent read says which.
        let item = self.table.get_consistent(&key).await?;
        Ok(match item {
            None => StateConsumed::Unknown,
            Some(item) if is_used(&item)? => StateConsumed::AlreadyUsed,
            Some(item) if now >= get_n::<i64>(&item, STATE_EXPIRES_AT)? => StateConsumed::Expired,
            Some(_) => StateConsumed::WrongCookie,
        })
    }
}
