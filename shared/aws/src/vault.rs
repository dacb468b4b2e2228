//! [`Vault`] on Secrets Manager + KMS: one secret per tenant, `<prefix>/tenants/<tenant>`, whose
//! value is the base64 of a KMS `Encrypt` ciphertext of the bundle's JSON under the encryption
//! context `{"tenant_id": <tenant>, "purpose": "slack-tokens"}`.
//!
//! The context binds a ciphertext to its tenant: a value copied into another tenant's secret is
//! decrypted with that other tenant's context and KMS refuses it, which surfaces as
//! [`VaultError::Decrypt`]. The secret itself is also stored under the customer-managed key
//! (`KmsKeyId`), so reading it needs both the Secrets Manager and the KMS grant.
//!
//! KMS `Encrypt` takes at most 4096 bytes of plaintext; a larger bundle is refused before any
//! call (see [`MAX_PLAINTEXT`]).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tenant::ports::{StoreError, Vault, VaultError};
use tenant::{TenantId, TokenBundle};
use tracing::warn;

use crate::cache::BundleCache;
use crate::error::store_error;
use crate::keys;

/// The `purpose` entry of the encryption context; IAM conditions in template.yaml match it.
pub const PURPOSE: &str = "slack-tokens";
/// KMS `Encrypt`'s plaintext limit.
pub const MAX_PLAINTEXT: usize = 4096;
/// How long decrypted bundles stay in memory (the brief's upper bound).
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// Recovery window of a normal delete: an uninstall by mistake can be undone for a week.
pub const RECOVERY_WINDOW_DAYS: i64 = 7;

/// Token bundles in Secrets Manager, encrypted with KMS under a per-tenant context.
#[derive(Debug)]
pub struct KmsVault {
    secrets: aws_sdk_secretsmanager::Client,
    kms: aws_sdk_kms::Client,
    key_id: String,
    prefix: String,
    force_delete: bool,
    cache: BundleCache,
}

impl KmsVault {
    /// A vault writing secrets under `<prefix>/tenants/` encrypted with the key `key_id`
    /// (id, ARN or alias).
    pub fn new(
        secrets: aws_sdk_secretsmanager::Client,
        kms: aws_sdk_kms::Client,
        key_id: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        Self {
            secrets,
            kms,
            key_id: key_id.into(),
            prefix: prefix.into(),
            force_delete: false,
            cache: BundleCache::new(CACHE_TTL),
        }
    }

    /// Deletes secrets at once instead of after the recovery window (tests, so a name can be
    /// reused immediately).
    pub fn with_force_delete(mut self, force: bool) -> Self {
        self.force_delete = force;
        self
    }

    /// Changes how long decrypted bundles are cached (`Duration::ZERO` turns caching off).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache = BundleCache::new(ttl.min(CACHE_TTL));
        self
    }

    fn secret_name(&self, tenant: &TenantId) -> String {
        keys::tenant_secret_name(&self.prefix, tenant)
    }

    /// Whether the secret exists, and if so whether it is scheduled for deletion.
    async fn describe(&self, name: &str) -> Result<SecretState, StoreError> {
        match self.secrets.describe_secret().secret_id(name).send().await {
            Ok(out) if out.deleted_date.is_some() => Ok(SecretState::ScheduledForDeletion),
            Ok(_) => Ok(SecretState::Live),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DescribeSecretError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(SecretState::Absent)
            }
            Err(err) => Err(store_error(err)),
        }
    }

    /// The stored value, or `None` when there is no live secret.
    async fn fetch(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.secrets.get_secret_value().secret_id(name).send().await {
            Ok(out) => Ok(out.secret_string),
            Err(err) => match err.as_service_error() {
                Some(GetSecretValueError::ResourceNotFoundException(_)) => Ok(None),
                // Also what a secret scheduled for deletion answers: deleted means no bundle.
                Some(GetSecretValueError::InvalidRequestException(_))
                    if self.describe(name).await? == SecretState::ScheduledForDeletion =>
                {
                    Ok(None)
                }
                _ => Err(store_error(err)),
            },
        }
    }

    async fn decrypt(&self, tenant: &TenantId, value: &str) -> Result<TokenBundle, VaultError> {
        let ciphertext = BASE64
            .decode(value.trim())
            .map_err(|_| VaultError::Decrypt)?;
        let out = self
            .kms
            .decrypt()
            // Naming the key makes a ciphertext made under any other key fail too.
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context("tenant_id", tenant.as_str())
            .encryption_context("purpose", PURPOSE)
            .send()
            .await
            .map_err(|err| {
                let code = err.as_service_error().and_then(|e| {
                    aws_sdk_kms::error::ProvideErrorMetadata::code(e).map(str::to_owned)
                });
                match code.as_deref() {
                    Some(
                        "InvalidCiphertextException"
                        | "IncorrectKeyException"
                        | "AccessDeniedException",
                    ) => {
                        // AccessDenied is also what an IAM condition on the context answers;
                        // the code is logged (never the ciphertext) to tell the two apart.
                        warn!(tenant = %tenant, code = code.as_deref(), "token bundle did not decrypt");
                        VaultError::Decrypt
                    }
                    _ => VaultError::Store(store_error(err)),
                }
            })?;
        let plaintext = out.plaintext.ok_or_else(|| {
            VaultError::Store(StoreError::Corrupt("KMS returned no plaintext".into()))
        })?;
        // The serde error text could quote token material, so only its category is kept.
        serde_json::from_slice(plaintext.as_ref()).map_err(|e| {
            VaultError::Store(StoreError::Corrupt(format!(
                "decrypted token bundle is not valid JSON ({:?} error)",
                e.classify()
            )))
        })
    }

    async fn encrypt(&self, tenant: &TenantId, bundle: &TokenBundle) -> Result<String, VaultError> {
        let plaintext = serde_json::to_vec(bundle).map_err(|e| {
            VaultError::Store(StoreError::Corrupt(format!(
                "token bundle does not serialize ({:?} error)",
                e.classify()
            )))
        })?;
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(VaultError::Store(StoreError::Corrupt(format!(
                "token bundle is {} bytes, over KMS Encrypt's {MAX_PLAINTEXT}-byte limit",
                plaintext.len()
            ))));
        }
        let out = self
            .kms
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext))
            .encryption_context("tenant_id", tenant.as_str())
            .encryption_context("purpose", PURPOSE)
            .send()
            .await
            .map_err(|e| VaultError::Store(store_error(e)))?;
        let blob = out.ciphertext_blob.ok_or_else(|| {
            VaultError::Store(StoreError::Corrupt("KMS returned no ciphertext".into()))
        })?;
        Ok(BASE64.encode(blob.as_ref()))
    }

    async fn put_value(&self, name: &str, value: String) -> Result<(), StoreError> {
        match self.describe(name).await? {
            SecretState::Live => {}
            SecretState::ScheduledForDeletion => {
                // A reinstall within the recovery window: bring the secret back, then write.
                self.secrets
                    .restore_secret()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(store_error)?;
            }
            SecretState::Absent => {
                let created = self
                    .secrets
                    .create_secret()
                    .name(name)
                    .kms_key_id(&self.key_id)
                    .description("Switchboard tenant tokens (KMS ciphertext bound to the tenant)")
                    .secret_string(value.clone())
                    .send()
                    .await;
                match created {
                    Ok(_) => return Ok(()),
                    // Created concurrently by another writer: fall through to a new version.
                    Err(err)
                        if matches!(
                            err.as_service_error(),
                            Some(CreateSecretError::ResourceExistsException(_))
                        ) => {}
                    Err(err) => return Err(store_error(err)),
                }
            }
        }
        self.secrets
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretState {
    Absent,
    Live,
    ScheduledForDeletion,
}

#[async_trait]
impl Vault for KmsVault {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        let (cached, epoch) = self.cache.get(tenant);
        if let Some(bundle) = cached {
            return Ok(Some(bundle));
        }
        let Some(value) = self.fetch(&self.secret_name(tenant)).await? else {
            return Ok(None);
        };
        let bundle = self.decrypt(tenant, &value).await?;
        self.cache.insert_if_unchanged(tenant, &bundle, epoch);
        Ok(Some(bundle))
    }

    /// Past the cache: after taking the token-refresh lease, a cached bundle may hold a refresh
    /// token another instance has already spent.
    async fn get_fresh(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        self.cache.invalidate(tenant);
        self.get(tenant).await
    }

    /// DescribeSecret only: no KMS call, so roles without decrypt rights (admin) can ask.
    async fn exists(&self, tenant: &TenantId) -> Result<bool, VaultError> {
        Ok(self.describe(&self.secret_name(tenant)).await? == SecretState::Live)
    }

    async fn put(&self, tenant: &TenantId, bundle: &TokenBundle) -> Result<(), VaultError> {
        self.cache.invalidate(tenant);
        let value = self.encrypt(tenant, bundle).await?;
        let result = self.put_value(&self.secret_name(tenant), value).await;
        // Again after the write: a get that raced with it must not leave the old bundle cached.
        self.cache.invalidate(tenant);
        Ok(result?)
    }

    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.cache.invalidate(tenant);
        let name = self.secret_name(tenant);
        let mut request = self.secrets.delete_secret().secret_id(&name);
        request = if self.force_delete {
            request.force_delete_without_recovery(true)
        } else {
            request.recovery_window_in_days(RECOVERY_WINDOW_DAYS)
        };
        let result = request.send().await;
        self.cache.invalidate(tenant);
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(DeleteSecretError::ResourceNotFoundException(_)) => Ok(()),
                // Already scheduled for deletion: deleting again is a no-op.
                Some(DeleteSecretError::InvalidRequestException(_))
                    if self.describe(&name).await? == SecretState::ScheduledForDeletion =>
                {
                    Ok(())
                }
                _ => Err(VaultError::Store(store_error(err))),
            },
        }
    }
}
