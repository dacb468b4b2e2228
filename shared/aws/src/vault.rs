//! [`Vault`] on Secrets Manager + KMS: the Slack bundle is the `bundle` part of the tenant's one
//! secret ([`crate::tenant_secret`] has the layout, the conditional-write scheme and its
//! limits), encrypted under the context `{"tenant_id": <tenant>, "purpose": "slack-tokens"}`.
//!
//! The context binds a ciphertext to its tenant: a value copied into another tenant's secret is
//! decrypted with that other tenant's context and KMS refuses it, which surfaces as
//! [`VaultError::Decrypt`]. The secret itself is also stored under the customer-managed key
//! (`KmsKeyId`), so reading it needs both the Secrets Manager and the KMS grant.
//!
//! `get` serves decrypted bundles from a per-container cache for up to [`CACHE_TTL`];
//! `get_fresh`, where every write starts, always reads the secret. KMS `Encrypt` takes at most
//! 4096 bytes of plaintext; a larger bundle is refused before any call (see [`MAX_PLAINTEXT`]).

use std::time::Duration;

use async_trait::async_trait;
use tenant::ports::{Expected, StoreError, Vault, VaultError, Version, Versioned};
use tenant::{TenantId, TokenBundle};

use crate::cache::BundleCache;
use crate::tenant_secret::{
    BUNDLE_PART, MAX_PLAINTEXT, SecretError, TenantSecrets, part_is_at, set_part,
};

/// The `purpose` entry of the bundle's encryption context; IAM conditions in template.yaml
/// match it.
pub const PURPOSE: &str = "slack-tokens";
/// How long decrypted bundles stay in memory (the brief's upper bound).
pub const CACHE_TTL: Duration = Duration::from_secs(300);

/// Token bundles in Secrets Manager, encrypted with KMS under a per-tenant context.
#[derive(Debug)]
pub struct KmsVault {
    secrets: TenantSecrets,
    cache: BundleCache,
}

impl From<SecretError> for VaultError {
    fn from(err: SecretError) -> Self {
        match err {
            SecretError::Store(e) => Self::Store(e),
            SecretError::Decrypt => Self::Decrypt,
            SecretError::Conflict => Self::Conflict,
            SecretError::TooLarge(len) => Self::Store(StoreError::Corrupt(format!(
                "token bundle is {len} bytes, over KMS Encrypt's {MAX_PLAINTEXT}-byte limit"
            ))),
        }
    }
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
            secrets: TenantSecrets::new(secrets, kms, key_id.into(), prefix.into()),
            cache: BundleCache::new(CACHE_TTL),
        }
    }

    /// Deletes secrets at once instead of after the recovery window (tests, so a name can be
    /// reused immediately).
    pub fn with_force_delete(mut self, force: bool) -> Self {
        self.secrets.force_delete = force;
        self
    }

    /// Changes how long decrypted bundles are cached (`Duration::ZERO` turns caching off).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache = BundleCache::new(ttl.min(CACHE_TTL));
        self
    }

    /// The secrets this vault writes, for the credential store sharing them.
    pub(crate) fn tenant_secrets(&self) -> &TenantSecrets {
        &self.secrets
    }

    async fn read(&self, tenant: &TenantId) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        let Some(envelope) = self.secrets.read(tenant).await? else {
            return Ok(None);
        };
        let opened = self
            .secrets
            .open::<TokenBundle>(&envelope, BUNDLE_PART, &context(tenant))
            .await?;
        Ok(opened.map(|(value, v)| Versioned {
            value,
            version: Version::new(v),
        }))
    }

    /// Writes (`Some`) or removes (`None`) the bundle part if it is at `expected`.
    async fn write(
        &self,
        tenant: &TenantId,
        bundle: Option<&TokenBundle>,
        expected: Option<&str>,
    ) -> Result<Option<Version>, VaultError> {
        self.cache.invalidate(tenant);
        let sealed = match bundle {
            Some(bundle) => Some(
                self.secrets
                    .seal(BUNDLE_PART, &context(tenant), bundle)
                    .await?,
            ),
            None => None,
        };
        let result = self
            .secrets
            .update(tenant, |envelope| {
                if !part_is_at(envelope, BUNDLE_PART, expected) {
                    return Err(SecretError::Conflict);
                }
                match &sealed {
                    Some(new) => set_part(envelope, new),
                    None => {
                        envelope.parts.remove(BUNDLE_PART);
                    }
                }
                Ok(true)
            })
            .await;
        // Again after the write: a get that raced with it must not leave the old bundle cached.
        self.cache.invalidate(tenant);
        result?;
        Ok(sealed.map(|new| Version::new(new.version())))
    }
}

fn context(tenant: &TenantId) -> [(&'static str, &str); 2] {
    [("tenant_id", tenant.as_str()), ("purpose", PURPOSE)]
}

#[async_trait]
impl Vault for KmsVault {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TokenBundle>, VaultError> {
        let (cached, epoch) = self.cache.get(tenant);
        if let Some(bundle) = cached {
            return Ok(Some(bundle));
        }
        let read = self.read(tenant).await?.map(|v| v.value);
        if let Some(bundle) = &read {
            self.cache.insert_if_unchanged(tenant, bundle, epoch);
        }
        Ok(read)
    }

    /// Past the cache: after taking the token-refresh lease, a cached bundle may hold a refresh
    /// token another instance has already spent; and every write starts here.
    async fn get_fresh(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<TokenBundle>>, VaultError> {
        let (_, epoch) = self.cache.get(tenant);
        let read = self.read(tenant).await?;
        match &read {
            Some(v) => self.cache.insert_if_unchanged(tenant, &v.value, epoch),
            None => self.cache.invalidate(tenant),
        }
        Ok(read)
    }

    /// DescribeSecret only: no KMS call, so roles without decrypt rights (admin) can ask. True
    /// while the tenant's secret is live, which it stays after `remove` (it may hold other
    /// credentials).
    async fn exists(&self, tenant: &TenantId) -> Result<bool, VaultError> {
        Ok(self.secrets.exists(tenant).await?)
    }

    async fn put(
        &self,
        tenant: &TenantId,
        bundle: &TokenBundle,
        expected: &Expected,
    ) -> Result<Version, VaultError> {
        let expected = match expected {
            Expected::Absent => None,
            Expected::At(v) => Some(v.as_str()),
        };
        let version = self.write(tenant, Some(bundle), expected).await?;
        version.ok_or_else(|| StoreError::Corrupt("write returned no version".into()).into())
    }

    async fn remove(&self, tenant: &TenantId, expected: &Version) -> Result<(), VaultError> {
        self.write(tenant, None, Some(expected.as_str()))
            .await
            .map(|_| ())
    }

    /// Deletes the whole secret: the bundle and the tenant-wide credentials with it.
    async fn delete(&self, tenant: &TenantId) -> Result<(), VaultError> {
        self.cache.invalidate(tenant);
        let result = self.secrets.delete(tenant).await;
        self.cache.invalidate(tenant);
        Ok(result?)
    }
}
