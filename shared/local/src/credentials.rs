//! The credentials port: one AES-256-GCM sealed row per credential in `credentials`, with the
//! tenant id, the user id and the provider's purpose as associated data (the fields of the KMS
//! encryption context on AWS), and a version column for conditional writes.

use std::time::SystemTime;

use async_trait::async_trait;
use rusqlite::OptionalExtension;
use tenant::ports::{CredentialError, Credentials, Expected, StoreError, Version, Versioned};
use tenant::{Credential, CredentialId, Provider, TenantId, UserId};
use zeroize::Zeroizing;

use crate::Store;
use crate::db::{next_version, parse_version, unix_ms};

/// The row key of a credential: (tenant, provider, user or '').
fn key(id: &CredentialId) -> (&str, &'static str, &str) {
    (
        id.tenant().as_str(),
        id.provider().as_str(),
        id.user().map_or("", UserId::as_str),
    )
}

/// The associated data binding a ciphertext to its credential: every field of the id, and the
/// purpose, each labelled so that no two ids give the same bytes.
pub(crate) fn associated_data(id: &CredentialId) -> Vec<u8> {
    format!(
        "switchboard-credential\0tenant_id={}\0user_id={}\0purpose={}",
        id.tenant(),
        id.user().map_or("", UserId::as_str),
        id.provider().purpose()
    )
    .into_bytes()
}

impl Store {
    fn seal_credential(
        &self,
        id: &CredentialId,
        credential: &Credential,
    ) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(credential)
                .map_err(|_| StoreError::Corrupt("credential could not be serialized".into()))?,
        );
        self.sealer
            .seal(&associated_data(id), &plaintext)
            .ok_or(CredentialError::TooLarge(plaintext.len()))
    }

    fn open_credential(
        &self,
        id: &CredentialId,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Credential, CredentialError> {
        let plaintext = self
            .sealer
            .open(&associated_data(id), nonce, ciphertext)
            .map_err(|_| CredentialError::Decrypt)?;
        serde_json::from_slice(&plaintext)
            .map_err(|_| StoreError::Corrupt("decrypted credential is not valid".into()).into())
    }
}

#[async_trait]
impl Credentials for Store {
    async fn get_fresh(
        &self,
        id: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        let (tenant, provider, user) = key(id);
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT nonce, ciphertext, version FROM credentials
                     WHERE tenant = ?1 AND provider = ?2 AND user = ?3",
                )?
                .query_row([tenant, provider, user], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?)
        })?;
        row.map(|(nonce, ciphertext, version)| {
            Ok(Versioned {
                value: self.open_credential(id, &nonce, &ciphertext)?,
                version: Version::new(version.to_string()),
            })
        })
        .transpose()
    }

    async fn put(
        &self,
        id: &CredentialId,
        credential: &Credential,
        expected: &Expected,
    ) -> Result<Version, CredentialError> {
        let (nonce, ciphertext) = self.seal_credential(id, credential)?;
        let (tenant, provider, user) = key(id);
        let now = unix_ms(SystemTime::now());
        let written = self.db.write(|tx| {
            let version = next_version(tx)?;
            let rows = match expected {
                Expected::Absent => tx
                    .prepare_cached(
                        "INSERT INTO credentials
                             (tenant, provider, user, nonce, ciphertext, version, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (tenant, provider, user) DO NOTHING",
                    )?
                    .execute(rusqlite::params![
                        tenant, provider, user, nonce, ciphertext, version, now
                    ])?,
                Expected::At(at) => {
                    let Some(at) = parse_version(at) else {
                        return Ok(None);
                    };
                    tx.prepare_cached(
                        "UPDATE credentials SET nonce = ?4, ciphertext = ?5, version = ?6,
                             updated_at = ?7
                         WHERE tenant = ?1 AND provider = ?2 AND user = ?3 AND version = ?8",
                    )?
                    .execute(rusqlite::params![
                        tenant, provider, user, nonce, ciphertext, version, now, at
                    ])?
                }
            };
            Ok((rows == 1).then_some(version))
        })?;
        written
            .map(|v| Version::new(v.to_string()))
            .ok_or(CredentialError::Conflict)
    }

    async fn delete(
        &self,
        id: &CredentialId,
        expected: Option<&Version>,
    ) -> Result<(), CredentialError> {
        let (tenant, provider, user) = key(id);
        let rows = match expected {
            None => self.db.with(|conn| {
                conn.prepare_cached(
                    "DELETE FROM credentials WHERE tenant = ?1 AND provider = ?2 AND user = ?3",
                )?
                .execute([tenant, provider, user])?;
                Ok(1)
            })?,
            Some(version) => {
                let Some(at) = parse_version(version) else {
                    return Err(CredentialError::Conflict);
                };
                self.db.with(|conn| {
                    Ok(conn
                        .prepare_cached(
                            "DELETE FROM credentials
                             WHERE tenant = ?1 AND provider = ?2 AND user = ?3 AND version = ?4",
                        )?
                        .execute(rusqlite::params![tenant, provider, user, at])?)
                })?
            }
        };
        if rows == 1 {
            Ok(())
        } else {
            Err(CredentialError::Conflict)
        }
    }

    async fn list(&self, tenant: &TenantId) -> Result<Vec<CredentialId>, CredentialError> {
        let names: Vec<String> = self.db.with(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT provider FROM credentials WHERE tenant = ?1 AND user = ''",
            )?;
            let rows = statement.query_map([tenant.as_str()], |row| row.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut ids = names
            .iter()
            .map(|name| {
                Provider::parse(name)
                    .map(|p| CredentialId::tenant_wide(tenant.clone(), p))
                    .map_err(|_| {
                        StoreError::Corrupt("credential row has an unknown provider".into())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        Ok(ids)
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), CredentialError> {
        self.db.with(|conn| {
            conn.prepare_cached("DELETE FROM credentials WHERE tenant = ?1")?
                .execute([tenant.as_str()])?;
            Ok(())
        })?;
        Ok(())
    }
}
