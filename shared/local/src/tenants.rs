//! The tenant directory port: a `tenants` table with a column per field, and installations as
//! JSON records.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row};
use tenant::ports::{StoreError, TenantDirectory};
use tenant::{Installation, Plan, Tenant, TenantId, TenantStatus};

use crate::Store;
use crate::db::DbError;

const SELECT_TENANT: &str =
    "SELECT tenant, name, status, plan, created_at, updated_at FROM tenants";

/// The raw columns of a tenant row, decoded outside rusqlite's closure so decode errors can be
/// `Corrupt` rather than driver errors.
struct TenantRow {
    id: String,
    name: String,
    status: String,
    plan: String,
    created_at: i64,
    updated_at: i64,
}

impl TenantRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            status: row.get(2)?,
            plan: row.get(3)?,
            created_at: row.get(4)?,
            updated_at: row.get(5)?,
        })
    }

    fn decode(self) -> Result<Tenant, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("tenant row has an invalid {what}"));
        Ok(Tenant {
            id: TenantId::parse(&self.id).map_err(|_| corrupt("id"))?,
            name: self.name,
            status: TenantStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            plan: parse_plan(&self.plan).ok_or_else(|| corrupt("plan"))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn parse_plan(raw: &str) -> Option<Plan> {
    [Plan::Free, Plan::Team, Plan::Enterprise]
        .into_iter()
        .find(|p| p.as_str() == raw)
}

#[async_trait]
impl TenantDirectory for Store {
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        let row = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(&format!("{SELECT_TENANT} WHERE tenant = ?1"))?
                .query_row([id.as_str()], TenantRow::read)
                .optional()?)
        })?;
        row.map(TenantRow::decode).transpose()
    }

    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.db.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO tenants (tenant, name, status, plan, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant) DO UPDATE SET name = excluded.name,
                     status = excluded.status, plan = excluded.plan,
                     created_at = excluded.created_at, updated_at = excluded.updated_at",
            )?
            .execute(rusqlite::params![
                tenant.id.as_str(),
                tenant.name,
                tenant.status.as_str(),
                tenant.plan.as_str(),
                tenant.created_at,
                tenant.updated_at,
            ])?;
            Ok(())
        })
    }

    async fn put_if(
        &self,
        tenant: &Tenant,
        expected: Option<TenantStatus>,
    ) -> Result<bool, StoreError> {
        // One statement each: the condition and the write are one atomic step in SQLite.
        let sql = match expected {
            None => {
                "INSERT INTO tenants (tenant, name, status, plan, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant) DO NOTHING"
            }
            Some(_) => {
                "UPDATE tenants SET name = ?2, status = ?3, plan = ?4, created_at = ?5,
                     updated_at = ?6
                 WHERE tenant = ?1 AND status = ?7"
            }
        };
        let expected = expected.map(TenantStatus::as_str);
        let (id, status, plan) = (
            tenant.id.as_str(),
            tenant.status.as_str(),
            tenant.plan.as_str(),
        );
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![
            &id,
            &tenant.name,
            &status,
            &plan,
            &tenant.created_at,
            &tenant.updated_at,
        ];
        values.extend(expected.as_ref().map(|s| s as &dyn rusqlite::ToSql));
        let changed = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(values))?)
        })?;
        Ok(changed == 1)
    }

    async fn set_status_if(
        &self,
        id: &TenantId,
        expected: TenantStatus,
        new: TenantStatus,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The conditional UPDATE is the compare-and-set; when it changes nothing, the same
        // transaction tells a missing tenant (NotFound) from another status (false).
        self.db.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE tenants SET status = ?3, updated_at = ?4
                     WHERE tenant = ?1 AND status = ?2",
                )?
                .execute(rusqlite::params![
                    id.as_str(),
                    expected.as_str(),
                    new.as_str(),
                    now
                ])?;
            if changed == 1 {
                return Ok(true);
            }
            let exists = tx
                .prepare_cached("SELECT 1 FROM tenants WHERE tenant = ?1")?
                .exists([id.as_str()])?;
            if exists {
                Ok(false)
            } else {
                Err(StoreError::NotFound.into())
            }
        })
    }

    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = self.db.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT_TENANT} ORDER BY tenant"))?;
            let rows = stmt
                .query_map([], TenantRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(TenantRow::decode).collect()
    }

    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError> {
        let record: Option<String> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT record FROM installations WHERE tenant = ?1")?
                .query_row([id.as_str()], |row| row.get(0))
                .optional()?)
        })?;
        let Some(record) = record else {
            return Ok(None);
        };
        let installation: Installation = serde_json::from_str(&record)
            .map_err(|e| StoreError::Corrupt(format!("installation record: {e}")))?;
        // The key and the record must agree; a mismatch would hand one tenant another's bot ids.
        if &installation.tenant != id {
            return Err(StoreError::Corrupt(
                "installation record is filed under another tenant".into(),
            ));
        }
        Ok(Some(installation))
    }

    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        let record = serde_json::to_string(installation)
            .map_err(|e| StoreError::Corrupt(format!("installation record: {e}")))?;
        self.db.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO installations (tenant, record) VALUES (?1, ?2)
                 ON CONFLICT (tenant) DO UPDATE SET record = excluded.record",
            )?
            .execute([installation.tenant.as_str(), record.as_str()])?;
            Ok::<_, DbError>(())
        })
    }
}
