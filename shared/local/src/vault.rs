//! The vault port: one AES-256-GCM sealed bundle per tenant.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use rusqlite::OptionalExtension;
use std::time::SystemTime;
use tenant::TenantId;
use tenant::ports::{StoreError, Vault, VaultError};
use tenant::secret::TokenBundle;

use crate::Store;
use crate::db::unix_ms;

const NONCE_LEN: usize = 12;

/// Seals and opens bundles. The tenant id is the associated data, so a ciphertext only opens
/// under the tenant it was sealed for.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub(crate) fn new(key: &Key<Aes256Gcm>) -> Self {
        Self {
            cipher: Aes256Gcm::new(key),
        }
    }

    /// (nonce, ciphertext) of the bundle's JSON; a fresh random 96-bit nonce per call.
    fn seal(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
    ) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
        let plaintext = serde_json::to_vec(bundle)
            .map_err(|_| StoreError::Corrupt("token bundle could not be serialized".into()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: &plaintext,
            aad: tenant.as_str().as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| StoreError::Corrupt("token bundle could not be encrypted".into()))?;
        Ok((nonce.to_vec(), ciphertext))
    }

    fn open(
        &self,
        tenant: &TenantId,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<TokenBundle, VaultError> {
        if nonce.len() != NONCE_LEN {
            return Err(VaultError::Decrypt);
        }
        let payload = Payload {
            msg: ciphertext,
            aad: tenant.as_str().as_bytes(),
        };
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
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
        let row: Option<(Vec<u8>, Vec<u8>)> = self.db.with(|conn| {
            Ok(conn
                .prepare_cached("SELECT nonce, ciphertext FROM vault WHERE tenant = ?1")?
                .query_row([tenant.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?)
        })?;
        row.map(|(nonce, ciphertext)| self.sealer.open(tenant, &nonce, &ciphertext))
            .transpose()
    }

    async fn put(&self, tenant: &TenantId, bundle: &TokenBundle) -> Result<(), VaultError> {
        let (nonce, ciphertext) = self.sealer.seal(tenant, bundle)?;
        let now = unix_ms(SystemTime::now());
        self.db.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO vault (tenant, nonce, ciphertext, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant) DO UPDATE SET nonce = excluded.nonce,
                     ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
            )?
            .execute(rusqlite::params![tenant.as_str(), nonce, ciphertext, now])?;
            Ok(())
        })?;
        Ok(())
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
