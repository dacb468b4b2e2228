//! [`Members`] on DynamoDB: `MEMBER#<user>` items in the tenant's partition, and an
//! `ADMIN_GUARD` item that exists once the tenant has had an admin.
//!
//! `add_first_admin` is one `TransactWriteItems`: put the guard if it does not exist AND put
//! the member, so two concurrent installers cannot both become the first admin. `put_member`
//! of an admin also creates the guard (keeping the first admin's name if it exists), so an admin
//! added by other means closes `add_first_admin` too.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use tenant::ports::{Member, Members, Role, StoreError};
use tenant::{TenantId, UserId};

use super::{Item, Table, get_n, get_s, n, s};
use crate::error::store_error;
use crate::keys;

const USER: &str = "user_id";
const ROLE: &str = "role";
const ADDED_AT: &str = "added_at";

/// Transactions cancelled for a conflict with another transaction on the same items are
/// retried this many times.
const TRANSACT_ATTEMPTS: u32 = 8;

/// Tenant members in the app table.
#[derive(Clone, Debug)]
pub struct DynamoMembers {
    table: Table,
}

/// How a transaction ended.
enum Transacted {
    Done,
    /// The condition on the item at this index failed.
    ConditionFailed(usize),
}

impl DynamoMembers {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn member_put(&self, tenant: &TenantId, member: &Member) -> Result<Put, StoreError> {
        let key = keys::member(tenant, &member.user);
        Put::builder()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(USER, s(member.user.as_str()))
            .item(ROLE, s(member.role.as_str()))
            .item(ADDED_AT, n(member.added_at))
            .build()
            .map_err(StoreError::unavailable)
    }

    /// Runs a transaction, retrying conflicts with concurrent transactions.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Transacted, StoreError> {
        for attempt in 1..=TRANSACT_ATTEMPTS {
            let result = self
                .table
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Transacted::Done),
                Err(err) => err,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                err.as_service_error()
            else {
                return Err(store_error(err));
            };
            let codes: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None"))
                .collect();
            if let Some(index) = codes.iter().position(|c| *c == "ConditionalCheckFailed") {
                return Ok(Transacted::ConditionFailed(index));
            }
            if !codes.contains(&"TransactionConflict") || attempt == TRANSACT_ATTEMPTS {
                return Err(store_error(err));
            }
            tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
        }
        Err(StoreError::Throttled)
    }
}

fn member_from_item(item: &Item) -> Result<Member, StoreError> {
    let user = UserId::parse(get_s(item, USER)?)
        .map_err(|_| StoreError::Corrupt("member item has an invalid user id".into()))?;
    let role = match get_s(item, ROLE)? {
        "admin" => Role::Admin,
        "member" => Role::Member,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown member role {other:?}"
            )));
        }
    };
    Ok(Member {
        user,
        role,
        added_at: get_n(item, ADDED_AT)?,
    })
}

/// Decodes a member item, checking it is filed under the key its user id gives.
fn checked_member(tenant: &TenantId, item: &Item) -> Result<Member, StoreError> {
    let member = member_from_item(item)?;
    let key = keys::member(tenant, &member.user);
    if get_s(item, keys::PK)? != key.pk || get_s(item, keys::SK)? != key.sk {
        return Err(StoreError::Corrupt(
            "member item is filed under another key".into(),
        ));
    }
    Ok(member)
}

#[async_trait]
impl Members for DynamoMembers {
    async fn put_member(&self, tenant: &TenantId, member: &Member) -> Result<(), StoreError> {
        let put = self.member_put(tenant, member)?;
        if member.role != Role::Admin {
            let mut request = self.table.client.put_item().table_name(&self.table.name);
            for (name, value) in put.item {
                request = request.item(name, value);
            }
            request.send().await.map_err(store_error)?;
            return Ok(());
        }
        let guard = Update::builder()
            .table_name(&self.table.name)
            .set_key(Some(keys::admin_guard(tenant).to_map()))
            .update_expression(
                "SET #user = if_not_exists(#user, :user), #added = if_not_exists(#added, :added)",
            )
            .expression_attribute_names("#user", USER)
            .expression_attribute_names("#added", ADDED_AT)
            .expression_attribute_values(":user", s(member.user.as_str()))
            .expression_attribute_values(":added", n(member.added_at))
            .build()
            .map_err(StoreError::unavailable)?;
        let items = vec![
            TransactWriteItem::builder().update(guard).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        match self.transact(items).await? {
            Transacted::Done => Ok(()),
            // Neither item carries a condition.
            Transacted::ConditionFailed(_) => Err(StoreError::Corrupt(
                "unconditional member write reported a failed condition".into(),
            )),
        }
    }

    async fn add_first_admin(
        &self,
        tenant: &TenantId,
        member: &Member,
    ) -> Result<bool, StoreError> {
        let guard_key = keys::admin_guard(tenant);
        let guard = Put::builder()
            .table_name(&self.table.name)
            .item(keys::PK, s(guard_key.pk))
            .item(keys::SK, s(guard_key.sk))
            .item(USER, s(member.user.as_str()))
            .item(ADDED_AT, n(member.added_at))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(StoreError::unavailable)?;
        let items = vec![
            TransactWriteItem::builder().put(guard).build(),
            TransactWriteItem::builder()
                .put(self.member_put(tenant, member)?)
                .build(),
        ];
        match self.transact(items).await? {
            Transacted::Done => Ok(true),
            Transacted::ConditionFailed(0) => Ok(false),
            Transacted::ConditionFailed(_) => Err(StoreError::Corrupt(
                "first-admin transaction failed on an unconditional item".into(),
            )),
        }
    }

    async fn get_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<Member>, StoreError> {
        self.table
            .get_consistent(&keys::member(tenant, user))
            .await?
            .map(|item| checked_member(tenant, &item))
            .transpose()
    }

    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Member>, StoreError> {
        // The sort key order is the user id order the port promises.
        self.table
            .query_prefix(keys::tenant_pk(tenant), keys::MEMBER_PREFIX)
            .await?
            .iter()
            .map(|item| checked_member(tenant, item))
            .collect()
    }
}
