//! [`Credentials`] on AWS, split as the design's credential model says:
//!
//! * **Tenant-wide** credentials are parts of the tenant's one Secrets Manager secret (named by
//!   the provider, next to the Slack `bundle` part; see [`crate::tenant_secret`] for the layout
//!   and the conditional writes), each encrypted by KMS under `{"tenant_id", "purpose"}` with
//!   the provider's own purpose. A secret costs the same whatever it holds; the purposes keep
//!   least privilege (the events function's role, allowed `slack-tokens`, cannot decrypt
//!   `crm:hubspot`).
//! * **Per-user** credentials are items `CRED#<provider>#<user>` in the tenant's partition of
//!   the table: attribute `ct` is the base64 KMS ciphertext under
//!   `{"tenant_id", "user_id", "purpose"}`, `v` its write id (the version), written with
//!   `attribute_not_exists` / `v = :expected` conditions. A secret holds 64 KB, too little for a
//!   workspace's users, and a secret per user would cost $0.40 a month each.
//!
//! A per-user ciphertext holds the same sealed payload as a part (`part` = the provider, `v` =
//! the write id), checked on read: an item's ciphertext copied over another item of the same
//! user and purpose, or an old one put back, does not read.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;
use tenant::ports::{CredentialError, Credentials, Expected, StoreError, Version, Versioned};
use tenant::{Credential, CredentialId, Provider, TenantId, UserId};
use tracing::warn;

use crate::dynamo::{Item, Table, get_s, s};
use crate::error::store_error;
use crate::keys;
use crate::tenant_secret::{BUNDLE_PART, SecretError, TenantSecrets, part_is_at, set_part};

const CIPHERTEXT: &str = "ct";
const VERSION: &str = "v";
const UPDATED_AT: &str = "updated_at";

/// Typed credentials in the tenants' secrets (tenant-wide) and the table (per user).
#[derive(Debug, Clone)]
pub struct KmsCredentials {
    secrets: TenantSecrets,
    table: Table,
}

impl From<SecretError> for CredentialError {
    fn from(err: SecretError) -> Self {
        match err {
            SecretError::Store(e) => Self::Store(e),
            SecretError::Decrypt => Self::Decrypt,
            SecretError::Conflict => Self::Conflict,
            SecretError::TooLarge(len) => Self::TooLarge(len),
        }
    }
}

/// The sealed payload of a per-user item, as [`crate::tenant_secret`] seals parts.
#[derive(Deserialize)]
struct Opened {
    part: String,
    v: String,
    value: Credential,
}

impl KmsCredentials {
    pub(crate) fn new(secrets: TenantSecrets, table: Table) -> Self {
        Self { secrets, table }
    }

    async fn get_user(
        &self,
        id: &CredentialId,
        user: &UserId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        let key = keys::user_credential(id.tenant(), id.provider(), user);
        let Some(item) = self.table.get_consistent(&key).await? else {
            return Ok(None);
        };
        let stored_v = get_s(&item, VERSION)?;
        let plaintext = self
            .secrets
            .decrypt(&user_context(id, user), get_s(&item, CIPHERTEXT)?)
            .await?;
        let opened: Opened = serde_json::from_slice(&plaintext).map_err(|e| {
            StoreError::Corrupt(format!(
                "decrypted credential is not valid ({:?} error)",
                e.classify()
            ))
        })?;
        if opened.part != id.provider().as_str() || opened.v != stored_v {
            warn!(provider = %id.provider(), "credential sealed for another item or write");
            return Err(CredentialError::Decrypt);
        }
        Ok(Some(Versioned {
            value: opened.value,
            version: Version::new(opened.v),
        }))
    }

    async fn put_user(
        &self,
        id: &CredentialId,
        user: &UserId,
        credential: &Credential,
        expected: &Expected,
    ) -> Result<Version, CredentialError> {
        let sealed = self
            .secrets
            .seal(id.provider().as_str(), &user_context(id, user), credential)
            .await?;
        let (v, ct) = (sealed.version().to_owned(), sealed.ciphertext().to_owned());
        let key = keys::user_credential(id.tenant(), id.provider(), user);
        let mut request = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(CIPHERTEXT, s(ct))
            .item(VERSION, s(v.clone()))
            .item(UPDATED_AT, crate::dynamo::n(now_secs()));
        request = match expected {
            Expected::Absent => request.condition_expression("attribute_not_exists(#pk)"),
            Expected::At(at) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":v", s(at.as_str())),
        };
        if matches!(expected, Expected::Absent) {
            request = request.expression_attribute_names("#pk", keys::PK);
        }
        match request.send().await {
            Ok(_) => Ok(Version::new(v)),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(CredentialError::Conflict)
            }
            Err(err) => Err(store_error(err).into()),
        }
    }

    async fn delete_user(
        &self,
        id: &CredentialId,
        user: &UserId,
        expected: Option<&Version>,
    ) -> Result<(), CredentialError> {
        let key = keys::user_credential(id.tenant(), id.provider(), user);
        let mut request = self
            .table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .set_key(Some(key.to_map()));
        if let Some(version) = expected {
            request = request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":v", s(version.as_str()));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(CredentialError::Conflict)
            }
            Err(err) => Err(store_error(err).into()),
        }
    }

    /// Writes (`Some`) or removes (`None`) a tenant-wide part if it is at `expected`.
    async fn write_part(
        &self,
        id: &CredentialId,
        credential: Option<&Credential>,
        expected: Option<&str>,
        unconditional: bool,
    ) -> Result<Option<Version>, CredentialError> {
        let name = id.provider().as_str();
        let sealed = match credential {
            Some(c) => Some(self.secrets.seal(name, &tenant_context(id), c).await?),
            None => None,
        };
        self.secrets
            .update(id.tenant(), |envelope| {
                if !unconditional && !part_is_at(envelope, name, expected) {
                    return Err(SecretError::Conflict);
                }
                Ok(match &sealed {
                    Some(new) => {
                        set_part(envelope, new);
                        true
                    }
                    None => envelope.parts.remove(name).is_some(),
                })
            })
            .await?;
        Ok(sealed.map(|new| Version::new(new.version())))
    }
}

fn tenant_context(id: &CredentialId) -> [(&'static str, &str); 2] {
    [
        ("tenant_id", id.tenant().as_str()),
        ("purpose", id.provider().purpose()),
    ]
}

fn user_context<'a>(id: &'a CredentialId, user: &'a UserId) -> [(&'static str, &'a str); 3] {
    [
        ("tenant_id", id.tenant().as_str()),
        ("user_id", user.as_str()),
        ("purpose", id.provider().purpose()),
    ]
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[async_trait]
impl Credentials for KmsCredentials {
    async fn get_fresh(
        &self,
        id: &CredentialId,
    ) -> Result<Option<Versioned<Credential>>, CredentialError> {
        if let Some(user) = id.user() {
            return self.get_user(id, user).await;
        }
        let Some(envelope) = self.secrets.read(id.tenant()).await? else {
            return Ok(None);
        };
        let opened = self
            .secrets
            .open::<Credential>(&envelope, id.provider().as_str(), &tenant_context(id))
            .await?;
        Ok(opened.map(|(value, v)| Versioned {
            value,
            version: Version::new(v),
        }))
    }

    async fn put(
        &self,
        id: &CredentialId,
        credential: &Credential,
        expected: &Expected,
    ) -> Result<Version, CredentialError> {
        if let Some(user) = id.user() {
            return self.put_user(id, user, credential, expected).await;
        }
        let expected = match expected {
            Expected::Absent => None,
            Expected::At(v) => Some(v.as_str()),
        };
        let version = self
            .write_part(id, Some(credential), expected, false)
            .await?;
        version.ok_or_else(|| StoreError::Corrupt("write returned no version".into()).into())
    }

    async fn delete(
        &self,
        id: &CredentialId,
        expected: Option<&Version>,
    ) -> Result<(), CredentialError> {
        if let Some(user) = id.user() {
            return self.delete_user(id, user, expected).await;
        }
        match expected {
            Some(v) => self.write_part(id, None, Some(v.as_str()), false).await,
            None => self.write_part(id, None, None, true).await,
        }
        .map(|_| ())
    }

    /// Part names only: GetSecretValue, no KMS call.
    async fn list(&self, tenant: &TenantId) -> Result<Vec<CredentialId>, CredentialError> {
        let Some(envelope) = self.secrets.read(tenant).await? else {
            return Ok(Vec::new());
        };
        let mut ids = Vec::new();
        for name in envelope.parts.keys().filter(|n| n.as_str() != BUNDLE_PART) {
            let provider = Provider::parse(name)
                .map_err(|_| StoreError::Corrupt("tenant secret has an unknown part".into()))?;
            ids.push(CredentialId::tenant_wide(tenant.clone(), provider));
        }
        ids.sort();
        Ok(ids)
    }

    /// Every per-user item of the tenant, then every credential part of its secret (the Slack
    /// bundle stays: it is the vault's).
    async fn delete_all(&self, tenant: &TenantId) -> Result<(), CredentialError> {
        let items = self
            .table
            .query_prefix(keys::tenant_pk(tenant), keys::CREDENTIAL_PREFIX)
            .await?;
        for item in items {
            let key: HashMap<String, AttributeValue> = item_key(&item)?;
            self.table
                .client
                .delete_item()
                .table_name(&self.table.name)
                .set_key(Some(key))
                .send()
                .await
                .map_err(store_error)?;
        }
        self.secrets
            .update(tenant, |envelope| {
                let before = envelope.parts.len();
                envelope.parts.retain(|name, _| name == BUNDLE_PART);
                Ok(envelope.parts.len() != before)
            })
            .await?;
        Ok(())
    }
}

fn item_key(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    Ok(HashMap::from([
        (keys::PK.to_owned(), s(get_s(item, keys::PK)?)),
        (keys::SK.to_owned(), s(get_s(item, keys::SK)?)),
    ]))
}
