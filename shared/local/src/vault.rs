//! The vault port: one AES-256-GCM sealed bundle per tenant (associated data: the tenant id),
//! with a version column for conditional writes.

use async_trait::async_trait;
use rusqlite::OptionalExtension;
use std::time::SystemTime;
use tenant::TenantId;
use tenant::ports::{Expected, StoreError, Vault, VaultError, Version, Versioned};
use tenant::secret::TokenBundle;
use zeroize::Zeroizing;

use crate::Store;
use crate::db::{next_version, parse_version, unix_ms};

impl Store {
    fn seal_bundle(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
    ) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(bundle)
                .map_err(|_| StoreError::Corrupt("token bundle could not be serialized".into()))?,
        );
        Ok(self
            .sealer
            .seal(tenant.as_str().as_bytes(), &plaintext)
            .ok_or_else(|| StoreError::Corrupt("token bundle could not be encrypted".into()))?)
    }

    fn open_bundle(
        &self,
        tenant: &TenantId,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<TokenBundle, VaultError> {
        let plaintext = self
            .sealer
            .open(tenant.as_str().as_bytes(), nonce, ciphertext)
            .map_err(|_| VaultError::Decrypt)?;
        // Authenticated but not a bundle: written by a different build, or a bug. The text is
        // not shown: it holds tokens.
        serde_json::from_slice(&plaintext)
            .map_err(|_| StoreError::Corrupt("decrypted token bundle is not valid".into()).into())
    }
}

#[async_trait]
impl Vault for Store {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        Ok(self.get_fresh(tenant).await?.map(|v| v.value))
    }

    /// The file is the store: there is no cache to bypass.
    async fn get_fresh(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT nonce, ciphertext, version FROM vault WHERE tenant = ?1")?
                .query_row([tenant.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?)
        })?;
        row.map(|(nonce, ciphertext, version)| {
            Ok(Versioned {
                value: self.open_bundle(tenant, &nonce, &ciphertext)?,
                version: Version::new(version.to_string()),
            })
        })
        .transpose()
    }

    async fn put(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError> {
        let (nonce, ciphertext) = self.seal_bundle(tenant, bundle)?;
        let now = unix_ms(SystemTime::now());
        let written = self.db.write(|tx| {
            let version = next_version(tx)?;
            let params = rusqlite::params![tenant.as_str(), nonce, ciphertext, now, version];
            let rows = match expected {
                Expected::Absent => tx
                    .prepare_cached(
                        "INSERT INTO vault (tenant, nonce, ciphertext, updated_at, version)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant) DO NOTHING",
                    )?
                    .execute(params)?,
                Expected::At(at) => {
                    let Some(at) = parse_version(at) else {
                        return Ok(None);
                    };
                    tx.prepare_cached(
                        "UPDATE vault SET nonce = ?2, ciphertext = ?3, updated_at = ?4,
                             version = ?5
                         WHERE tenant = ?1 AND version = ?6",
                    )?
                    .execute(rusqlite::params![
                        tenant.as_str(),
                        nonce,
                        ciphertext,
                        now,
                        version,
                        at
                    ])?
                }
            };
            Ok((rows == 1).then_some(version))
        })?;
        written
            .map(|v| Version::new(v.to_string()))
            .ok_or(VaultError::Conflict)
    }

    async fn remove(&self, tenant: &TenantId, expected: &Version) -> Result<(), VaultError> {
        let Some(at) = parse_version(expected) else {
            return Err(VaultError::Conflict);
        };
        let rows = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("DELETE FROM vault WHERE tenant = ?1 AND version = ?2")?
                .execute(rusqlite::params![tenant.as_str(), at])?)
        })?;
        if rows == 1 {
            Ok(())
        } else {
            Err(VaultError::Conflict)
        }
    }

    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM vault WHERE tenant = ?1")?
                .execute([tenant.as_str()])?;
            Ok(())
        })?;
        Ok(())
    }
}
