//! [`CrmDirectory`] on DynamoDB, in the tenant's partition of the app table:
//! `sk = CRM_SETTINGS` for the settings ([`keys::crm_settings`]) and
//! `sk = CRM_MAP#<kind>#<domain>` per mapping ([`keys::crm_mapping`]).
//!
//! Nothing here is secret (the credentials are in the tenant's secret), so items are in clear
//! and need no KMS purpose. Settings are their JSON with a write id `v` (the version), each
//! put conditional on it. The two mapping rules that race are conditions DynamoDB evaluates
//! atomically, never a read then a write: the verified rule is the put's
//! `ConditionExpression` (its `ConditionalCheckFailed` is the port's `false`), and a use is an
//! `ADD` on `times_used`.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use followup::crm::{AccountId, CrmKind, Domain};
use followup::ports::{AccountMapping, CrmDirectory, CrmSettings, DirectoryError, MappingSource};
use tenant::TenantId;
use tenant::ports::{Expected, StoreError, Version, Versioned};

use crate::dynamo::{Item, Table, get_n, get_s, n, s};
use crate::error::store_error;
use crate::keys;

const SETTINGS: &str = "settings";
const VERSION: &str = "v";
const DOMAIN: &str = "domain";
const ACCOUNT: &str = "account";
const ACCOUNT_NAME: &str = "account_name";
const LINK: &str = "link";
const SOURCE: &str = "source";
const CONFIDENCE: &str = "confidence";
const TIMES_USED: &str = "times_used";
const VERIFIED: &str = "verified";
const UPDATED_AT: &str = "updated_at";

/// CRM settings and account mappings in the app table.
#[derive(Debug, Clone)]
pub struct DynamoCrmDirectory {
    table: Table,
}

impl DynamoCrmDirectory {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }
}

fn source_str(source: MappingSource) -> &'static str {
    match source {
        MappingSource::Domain => "domain",
        MappingSource::Name => "name",
        MappingSource::UserPick => "user_pick",
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("crm mapping item has {what}"))
}

fn decode_mapping(item: &Item) -> Result<AccountMapping, StoreError> {
    let source = get_s(item, SOURCE)?;
    Ok(AccountMapping {
        domain: Domain::parse(get_s(item, DOMAIN)?).map_err(|_| corrupt("a bad domain"))?,
        account: AccountId::parse(get_s(item, ACCOUNT)?)
            .map_err(|_| corrupt("a bad account id"))?,
        account_name: get_s(item, ACCOUNT_NAME)?.to_owned(),
        link: get_s(item, LINK)?.to_owned(),
        source: [
            MappingSource::Domain,
            MappingSource::Name,
            MappingSource::UserPick,
        ]
        .into_iter()
        .find(|s| source_str(*s) == source)
        .ok_or_else(|| corrupt("an unknown source"))?,
        confidence: get_n(item, CONFIDENCE)?,
        times_used: get_n(item, TIMES_USED)?,
        verified: match item.get(VERIFIED) {
            Some(AttributeValue::Bool(b)) => *b,
            _ => return Err(corrupt("no verified flag")),
        },
        updated_at: get_n(item, UPDATED_AT)?,
    })
}

/// Whether a put or update failed only on its condition.
fn put_condition_failed(err: &SdkError<PutItemError, impl std::fmt::Debug>) -> bool {
    matches!(
        err.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}

#[async_trait]
impl CrmDirectory for DynamoCrmDirectory {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<CrmSettings>>, DirectoryError> {
        let Some(item) = self
            .table
            .get_consistent(&keys::crm_settings(tenant))
            .await?
        else {
            return Ok(None);
        };
        let value = serde_json::from_str(get_s(&item, SETTINGS)?).map_err(|e| {
            // serde_json names a position and a type, never the input.
            StoreError::Corrupt(format!("stored CRM settings do not decode: {e}"))
        })?;
        Ok(Some(Versioned {
            value,
            version: Version::new(get_s(&item, VERSION)?),
        }))
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &CrmSettings,
        expected: &Expected,
    ) -> Result<Version, DirectoryError> {
        let json = serde_json::to_string(settings)
            .map_err(|e| StoreError::Corrupt(format!("CRM settings do not serialize: {e}")))?;
        let key = keys::crm_settings(tenant);
        // A fresh write id per write: never one a stale writer (or deleted settings) held.
        let v = uuid::Uuid::new_v4().simple().to_string();
        let request = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(SETTINGS, s(json))
            .item(VERSION, s(v.clone()));
        let request = match expected {
            Expected::Absent => request
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK),
            Expected::At(at) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":v", s(at.as_str())),
        };
        match request.send().await {
            Ok(_) => Ok(Version::new(v)),
            Err(err) if put_condition_failed(&err) => Err(DirectoryError::Conflict),
            Err(err) => Err(store_error(err).into()),
        }
    }

    async fn mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<Option<AccountMapping>, DirectoryError> {
        let item = self
            .table
            .get_consistent(&keys::crm_mapping(tenant, kind, domain))
            .await?;
        Ok(item.as_ref().map(decode_mapping).transpose()?)
    }

    async fn save_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        m: &AccountMapping,
    ) -> Result<bool, DirectoryError> {
        let key = keys::crm_mapping(tenant, kind, &m.domain);
        let mut request = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(DOMAIN, s(m.domain.as_str()))
            .item(ACCOUNT, s(m.account.as_str()))
            .item(ACCOUNT_NAME, s(&m.account_name))
            .item(LINK, s(&m.link))
            .item(SOURCE, s(source_str(m.source)))
            .item(CONFIDENCE, n(m.confidence))
            .item(TIMES_USED, n(m.times_used))
            .item(VERIFIED, AttributeValue::Bool(m.verified))
            .item(UPDATED_AT, n(m.updated_at));
        // The verified rule, evaluated by DynamoDB with the write: an unverified mapping goes
        // in only over nothing or over another unverified one.
        if !m.verified {
            request = request
                .condition_expression("attribute_not_exists(#pk) OR #verified = :false")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#verified", VERIFIED)
                .expression_attribute_values(":false", AttributeValue::Bool(false));
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err) if put_condition_failed(&err) => Ok(false),
            Err(err) => Err(store_error(err).into()),
        }
    }

    async fn mapping_used(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<(), DirectoryError> {
        // `ADD` in place; the condition keeps a missing mapping missing (ADD would create it)
        // and the count within the port's u32.
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(keys::crm_mapping(tenant, kind, domain).to_map()))
            .update_expression("ADD #used :one")
            .condition_expression("attribute_exists(#pk) AND #used < :max")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#used", TIMES_USED)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(u32::MAX))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(store_error(err).into()),
        }
    }

    async fn delete_mappings(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
    ) -> Result<(), DirectoryError> {
        let keys = self
            .table
            .keys_with_prefix(keys::tenant_pk(tenant), &keys::crm_mappings_prefix(kind))
            .await?;
        self.table.delete_keys(keys).await?;
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), DirectoryError> {
        let mut keys = self
            .table
            .keys_with_prefix(keys::tenant_pk(tenant), keys::CRM_MAPPING_PREFIX)
            .await?;
        keys.push(keys::crm_settings(tenant));
        self.table.delete_keys(keys).await?;
        Ok(())
    }
}
