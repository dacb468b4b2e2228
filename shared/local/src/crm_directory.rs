//! The CRM directory (`followup::ports::CrmDirectory`): a tenant's CRM settings as one JSON
//! row in `crm_settings`, and its account mappings one row per (tenant, kind, domain) in
//! `crm_mappings`.
//!
//! Nothing here is secret (the credentials are in `credentials`), so rows are in clear.
//! Settings writes are conditional on the version column, drawn from the file's one counter
//! so versions never repeat. The two mapping rules that race are single SQL statements, never
//! a read then a write: the verified rule is the upsert's `WHERE`, and a use is
//! `times_used + 1` in place.

use async_trait::async_trait;
use followup::crm::{AccountId, CrmKind, Domain};
use followup::ports::{AccountMapping, CrmDirectory, CrmSettings, DirectoryError, MappingSource};
use rusqlite::OptionalExtension;
use tenant::TenantId;
use tenant::ports::{Expected, StoreError, Version, Versioned};

use crate::Store;
use crate::db::{next_version, parse_version};

fn source_str(source: MappingSource) -> &'static str {
    match source {
        MappingSource::Domain => "domain",
        MappingSource::Name => "name",
        MappingSource::UserPick => "user_pick",
    }
}

fn parse_source(raw: &str) -> Option<MappingSource> {
    [
        MappingSource::Domain,
        MappingSource::Name,
        MappingSource::UserPick,
    ]
    .into_iter()
    .find(|s| source_str(*s) == raw)
}

fn corrupt(what: &str) -> DirectoryError {
    DirectoryError::Store(StoreError::Corrupt(format!("crm mapping row has {what}")))
}

/// A mapping row as stored, decoded after the connection's lock is released.
struct Row {
    domain: String,
    account: String,
    account_name: String,
    link: String,
    source: String,
    confidence: i64,
    times_used: i64,
    verified: bool,
    updated_at: i64,
}

impl Row {
    fn decode(self) -> Result<AccountMapping, DirectoryError> {
        Ok(AccountMapping {
            domain: Domain::parse(&self.domain).map_err(|_| corrupt("a bad domain"))?,
            account: AccountId::parse(&self.account).map_err(|_| corrupt("a bad account id"))?,
            account_name: self.account_name,
            link: self.link,
            source: parse_source(&self.source).ok_or_else(|| corrupt("an unknown source"))?,
            confidence: u8::try_from(self.confidence).map_err(|_| corrupt("a bad confidence"))?,
            times_used: u32::try_from(self.times_used).map_err(|_| corrupt("a bad count"))?,
            verified: self.verified,
            updated_at: self.updated_at,
        })
    }
}

#[async_trait]
impl CrmDirectory for Store {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<CrmSettings>>, DirectoryError> {
        let row: Option<(String, i64)> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT settings, version FROM crm_settings WHERE tenant = ?1")?
                .query_row([tenant.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?)
        })?;
        row.map(|(json, version)| {
            let value = serde_json::from_str(&json).map_err(|e| {
                // serde_json names a position and a type, never the input.
                StoreError::Corrupt(format!("stored CRM settings do not decode: {e}"))
            })?;
            Ok(Versioned {
                value,
                version: Version::new(version.to_string()),
            })
        })
        .transpose()
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &CrmSettings,
        expected: &Expected,
    ) -> Result<Version, DirectoryError> {
        let json = serde_json::to_string(settings)
            .map_err(|e| StoreError::Corrupt(format!("CRM settings do not serialize: {e}")))?;
        let written =
            self.db.write(|tx| {
                let version = next_version(tx)?;
                let rows = match expected {
                Expected::Absent => tx
                    .prepare_cached(
                        "INSERT INTO crm_settings (tenant, settings, version) VALUES (?1, ?2, ?3)
                         ON CONFLICT (tenant) DO NOTHING",
                    )?
                    .execute(rusqlite::params![tenant.as_str(), json, version])?,
                Expected::At(at) => {
                    let Some(at) = parse_version(at) else {
                        return Ok(None);
                    };
                    tx.prepare_cached(
                        "UPDATE crm_settings SET settings = ?2, version = ?3
                         WHERE tenant = ?1 AND version = ?4",
                    )?
                    .execute(rusqlite::params![tenant.as_str(), json, version, at])?
                }
            };
                Ok((rows == 1).then_some(version))
            })?;
        written
            .map(|v| Version::new(v.to_string()))
            .ok_or(DirectoryError::Conflict)
    }

    async fn mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<Option<AccountMapping>, DirectoryError> {
        let row: Option<Row> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT domain, account, account_name, link, source, confidence, times_used,
                            verified, updated_at
                     FROM crm_mappings WHERE tenant = ?1 AND kind = ?2 AND domain = ?3",
                )?
                .query_row(
                    rusqlite::params![tenant.as_str(), kind.as_str(), domain.as_str()],
                    |row| {
                        Ok(Row {
                            domain: row.get(0)?,
                            account: row.get(1)?,
                            account_name: row.get(2)?,
                            link: row.get(3)?,
                            source: row.get(4)?,
                            confidence: row.get(5)?,
                            times_used: row.get(6)?,
                            verified: row.get(7)?,
                            updated_at: row.get(8)?,
                        })
                    },
                )
                .optional()?)
        })?;
        row.map(Row::decode).transpose()
    }

    async fn save_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        m: &AccountMapping,
    ) -> Result<bool, DirectoryError> {
        // One statement: the upsert's WHERE is the verified rule, so a follow-up racing a
        // user's pick cannot overwrite it between a read and a write. No row changed = false.
        let rows = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT INTO crm_mappings
                         (tenant, kind, domain, account, account_name, link, source, confidence,
                          times_used, verified, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (tenant, kind, domain) DO UPDATE SET
                         account = excluded.account, account_name = excluded.account_name,
                         link = excluded.link, source = excluded.source,
                         confidence = excluded.confidence, times_used = excluded.times_used,
                         verified = excluded.verified, updated_at = excluded.updated_at
                     WHERE excluded.verified OR NOT crm_mappings.verified",
                )?
                .execute(rusqlite::params![
                    tenant.as_str(),
                    kind.as_str(),
                    m.domain.as_str(),
                    m.account.as_str(),
                    m.account_name,
                    m.link,
                    source_str(m.source),
                    m.confidence,
                    m.times_used,
                    m.verified,
                    m.updated_at
                ])?)
        })?;
        Ok(rows == 1)
    }

    async fn mapping_used(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<(), DirectoryError> {
        // In place, capped at u32::MAX (what the port's type holds).
        self.db.with(|conn| {
            conn.prepare_cached(
                "UPDATE crm_mappings SET times_used = MIN(times_used + 1, 4294967295)
                 WHERE tenant = ?1 AND kind = ?2 AND domain = ?3",
            )?
            .execute(rusqlite::params![
                tenant.as_str(),
                kind.as_str(),
                domain.as_str()
            ])?;
            Ok(())
        })?;
        Ok(())
    }

    async fn delete_mappings(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
    ) -> Result<(), DirectoryError> {
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM crm_mappings WHERE tenant = ?1 AND kind = ?2")?
                .execute([tenant.as_str(), kind.as_str()])?;
            Ok(())
        })?;
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), DirectoryError> {
        self.db.write(|tx| {
            tx.prepare_cached("DELETE FROM crm_mappings WHERE tenant = ?1")?
                .execute([tenant.as_str()])?;
            tx.prepare_cached("DELETE FROM crm_settings WHERE tenant = ?1")?
                .execute([tenant.as_str()])?;
            Ok(())
        })?;
        Ok(())
    }
}
