//! [`TenantDirectory`] on DynamoDB: the tenant record as typed attributes (so `set_status_if`
//! is one conditional `UpdateItem` and `put_if` one conditional `PutItem`), the installation as
//! a JSON attribute.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use tenant::ports::{StoreError, TenantDirectory};
use tenant::{Installation, Plan, Tenant, TenantId, TenantStatus};

use super::{Item, Table, get_n, get_s, n, s};
use crate::error::store_error;
use crate::keys;

const TENANT_ID: &str = "tenant_id";
const NAME: &str = "name";
const STATUS: &str = "status";
const PLAN: &str = "plan";
const CREATED_AT: &str = "created_at";
const UPDATED_AT: &str = "updated_at";
const INSTALLATION: &str = "installation";

/// Tenant records and installations in the app table.
#[derive(Clone, Debug)]
pub struct DynamoTenants {
    table: Table,
}

impl DynamoTenants {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// The `PutItem` of a whole tenant record, ready for a condition.
    fn put_request(&self, tenant: &Tenant) -> PutItemFluentBuilder {
        let key = keys::tenant(&tenant.id);
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(TENANT_ID, s(tenant.id.as_str()))
            .item(NAME, s(&tenant.name))
            .item(STATUS, s(tenant.status.as_str()))
            .item(PLAN, s(tenant.plan.as_str()))
            .item(CREATED_AT, n(tenant.created_at))
            .item(UPDATED_AT, n(tenant.updated_at))
    }
}

fn parse_status(raw: &str) -> Result<TenantStatus, StoreError> {
    TenantStatus::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown tenant status {raw:?}")))
}

fn parse_plan(raw: &str) -> Result<Plan, StoreError> {
    [Plan::Free, Plan::Team, Plan::Enterprise]
        .into_iter()
        .find(|plan| plan.as_str() == raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown plan {raw:?}")))
}

/// Decodes a tenant item, checking that the id it carries is the one its key was built from.
fn tenant_from_item(item: &Item) -> Result<Tenant, StoreError> {
    let raw_id = get_s(item, TENANT_ID)?;
    let id = TenantId::parse(raw_id)
        .map_err(|_| StoreError::Corrupt("tenant item has an invalid tenant_id".into()))?;
    if get_s(item, keys::PK)? != keys::tenant_pk(&id) {
        return Err(StoreError::Corrupt(
            "tenant item's tenant_id does not match its partition".into(),
        ));
    }
    Ok(Tenant {
        id,
        name: get_s(item, NAME)?.to_owned(),
        status: parse_status(get_s(item, STATUS)?)?,
        plan: parse_plan(get_s(item, PLAN)?)?,
        created_at: get_n(item, CREATED_AT)?,
        updated_at: get_n(item, UPDATED_AT)?,
    })
}

#[async_trait]
impl TenantDirectory for DynamoTenants {
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        match self.table.get_consistent(&keys::tenant(id)).await? {
            Some(item) => tenant_from_item(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.put_request(tenant).send().await.map_err(store_error)?;
        Ok(())
    }

    async fn put_if(
        &self,
        tenant: &Tenant,
        expected: Option<TenantStatus>,
    ) -> Result<bool, StoreError> {
        let request = match expected {
            None => self
                .put_request(tenant)
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", keys::PK),
            // A status comparison fails on a missing item too: nothing is created.
            Some(status) => self
                .put_request(tenant)
                .condition_expression("#status = :expected")
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_values(":expected", s(status.as_str())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn set_status_if(
        &self,
        id: &TenantId,
        expected: TenantStatus,
        new: TenantStatus,
        now: i64,
    ) -> Result<bool, StoreError> {
        let key = keys::tenant(id);
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key.to_map()))
            // The status comparison is the compare-and-set, and it fails on a missing item, so
            // nothing is upserted.
            .condition_expression("#status = :expected")
            .update_expression("SET #status = :status, #updated = :now")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#updated", UPDATED_AT)
            .expression_attribute_values(":expected", s(expected.as_str()))
            .expression_attribute_values(":status", s(new.as_str()))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                // Another status, or no tenant at all: a consistent read says which.
                match self.table.get_consistent(&key).await? {
                    Some(_) => Ok(false),
                    None => Err(StoreError::NotFound),
                }
            }
            Err(err) => Err(store_error(err)),
        }
    }

    /// A paginated `Scan` filtered on `sk = TENANT`: it reads the whole table, which is fine for
    /// an operator command and must never be on a request path. A GSI on `sk` would make it a
    /// query if the table grows large.
    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        let mut tenants = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .table
                .client
                .scan()
                .table_name(&self.table.name)
                .filter_expression("#sk = :tenant")
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":tenant", s(keys::TENANT_SK))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            for item in page.items() {
                tenants.push(tenant_from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        tenants.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(tenants)
    }

    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError> {
        let Some(item) = self.table.get_consistent(&keys::installation(id)).await? else {
            return Ok(None);
        };
        let installation: Installation = serde_json::from_str(get_s(&item, INSTALLATION)?)
            .map_err(|e| StoreError::Corrupt(format!("installation is not valid JSON: {e}")))?;
        if &installation.tenant != id {
            return Err(StoreError::Corrupt(
                "installation belongs to another tenant than its partition".into(),
            ));
        }
        Ok(Some(installation))
    }

    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        let key = keys::installation(&installation.tenant);
        let json = serde_json::to_string(installation)
            .map_err(|e| StoreError::Corrupt(format!("installation does not serialize: {e}")))?;
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(TENANT_ID, s(installation.tenant.as_str()))
            .item(INSTALLATION, s(json))
            .item(CREATED_AT, n(installation.installed_at))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
