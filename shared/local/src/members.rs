//! The members port: a `members` row per (tenant, user) and an `admin_guard` row per tenant
//! that has had an admin. `add_first_admin` inserts the guard and the member in one
//! `BEGIN IMMEDIATE` transaction, so of concurrent callers exactly one gets `true`.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use tenant::ports::{Member, Members, Role, StoreError};
use tenant::{TenantId, UserId};

use crate::Store;
use crate::db::DbError;

struct MemberRow {
    user: String,
    role: String,
    added_at: i64,
}

impl MemberRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            user: row.get(0)?,
            role: row.get(1)?,
            added_at: row.get(2)?,
        })
    }

    fn decode(self) -> Result<Member, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("member row has an invalid {what}"));
        Ok(Member {
            user: UserId::parse(&self.user).map_err(|_| corrupt("user"))?,
            role: [Role::Admin, Role::Member]
                .into_iter()
                .find(|r| r.as_str() == self.role)
                .ok_or_else(|| corrupt("role"))?,
            added_at: self.added_at,
        })
    }
}

fn upsert(tx: &Transaction<'_>, tenant: &TenantId, member: &Member) -> Result<(), DbError> {
    tx.prepare_cached(
        "INSERT INTO members (tenant, user, role, added_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant, user) DO UPDATE SET role = excluded.role,
             added_at = excluded.added_at",
    )?
    .execute(params![
        tenant.as_str(),
        member.user.as_str(),
        member.role.as_str(),
        member.added_at,
    ])?;
    Ok(())
}

/// Claims the tenant's admin guard; whether this call was the one that claimed it.
fn claim_guard(tx: &Transaction<'_>, tenant: &TenantId, member: &Member) -> Result<bool, DbError> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO admin_guard (tenant, user, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant) DO NOTHING",
        )?
        .execute(params![
            tenant.as_str(),
            member.user.as_str(),
            member.added_at
        ])?;
    Ok(inserted == 1)
}

#[async_trait]
impl Members for Store {
    async fn put_member(&self, tenant: &TenantId, member: &Member) -> Result<(), StoreError> {
        self.db.write(|tx| {
            // An admin put by other means also closes add_first_admin, as on DynamoDB.
            if member.role == Role::Admin {
                claim_guard(tx, tenant, member)?;
            }
            upsert(tx, tenant, member)
        })
    }

    async fn add_first_admin(
        &self,
        tenant: &TenantId,
        member: &Member,
    ) -> Result<bool, StoreError> {
        self.db.write(|tx| {
            if !claim_guard(tx, tenant, member)? {
                return Ok(false);
            }
            upsert(tx, tenant, member)?;
            Ok(true)
        })
    }

    async fn get_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<Member>, StoreError> {
        let row = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT user, role, added_at FROM members WHERE tenant = ?1 AND user = ?2",
                )?
                .query_row([tenant.as_str(), user.as_str()], MemberRow::read)
                .optional()?)
        })?;
        row.map(MemberRow::decode).transpose()
    }

    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Member>, StoreError> {
        let rows = self.db.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT user, role, added_at FROM members WHERE tenant = ?1 ORDER BY user",
            )?;
            let rows = stmt
                .query_map([tenant.as_str()], MemberRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(MemberRow::decode).collect()
    }
}
