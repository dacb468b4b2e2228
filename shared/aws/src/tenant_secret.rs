//! The tenant's one Secrets Manager secret, `<prefix>/tenants/<tenant>`, holding every
//! tenant-wide token: the Slack bundle ([`crate::KmsVault`]) and the tenant-wide credentials
//! ([`crate::KmsCredentials`]), each a *part* encrypted by KMS on its own.
//!
//! ## Value
//!
//! ```json
//! {"format":2,"parts":{"bundle":{"v":"<write id>","ct":"<base64 KMS ciphertext>"},
//!                      "hubspot":{"v":"…","ct":"…"}}}
//! ```
//!
//! Each part's ciphertext is KMS `Encrypt` of `{"part":<name>,"v":<write id>,"value":…}` under
//! the encryption context `{"tenant_id": <tenant>, "purpose": <the part's purpose>}`
//! (`slack-tokens` for the bundle, [`tenant::Provider::purpose`] for a credential), so a role
//! whose KMS grant is limited to one purpose decrypts that part and no other, and a part moved
//! to another tenant's secret does not decrypt. The purpose comes from the part's *name*, never
//! from the stored value; the name and write id inside the ciphertext must match the ones
//! outside, so a ciphertext moved to another part, or an old ciphertext put back under a newer
//! write id, fails as `Decrypt` too. A value that is not JSON is the format-1 layout (the base64
//! of the bundle's ciphertext alone) and reads as the bundle part.
//!
//! ## Conditional writes
//!
//! `PutSecretValue` has no compare-and-set, so every write names the version it builds on: its
//! `ClientRequestToken` (which becomes the new version's `VersionId`) is a UUID v5 derived from
//! the `VersionId` it read. Two writers that read the same version send the same token; Secrets
//! Manager refuses a second version with an existing token and different content
//! (`ResourceExistsException`), so exactly one lands and the other re-reads. A writer whose
//! read is stale also collides: whoever replaced the version it read already used the token it
//! derives. A first write is `CreateSecret`, which fails if the name exists. Above that, each
//! part carries a random write id (its [`Version`](tenant::ports::Version)): a write re-reads
//! the value, checks the part it changes is still at the version its caller read, and on a
//! collision caused by another part (a CRM refresh next to a Slack revocation) tries again on
//! the new value, so writers of different parts do not conflict with each other.
//!
//! What this guarantees and where it stops:
//!
//! * It holds as long as the version a writer read still exists. Secrets Manager removes
//!   versions without a staging label only past 100 versions *and* 24 hours of age, so a writer
//!   whose read is less than a day old (every writer here: reads and writes are seconds apart)
//!   cannot slip past; one holding a day-old read of a secret with 100+ newer versions could.
//! * It relies on Secrets Manager's documented refusal of a reused `ClientRequestToken` with
//!   different content, checked on moto by the contract suite; AWS does not document how that
//!   check orders two simultaneous requests, only that versions are immutable.
//! * Anyone with `secretsmanager:PutSecretValue` who writes without the token scheme (a person
//!   in the console) is not fenced; the next conditional writer based on the version before
//!   that write will then collide or, if its read predates it, overwrite it.
//! * Secrets Manager advises against more than one `PutSecretValue` per 10 minutes on average
//!   per secret (versions pile up); token refreshes are hours apart, but a provider whose access
//!   tokens live 30 minutes, refreshed in this secret, costs about 50 versions a day.
//!
//! ## Deletion
//!
//! An uninstall first writes an empty value (conditionally), then schedules the deletion (7
//! days) or force-deletes. A later write restores the secret and finds the empty value, so
//! nothing from before the uninstall comes back with a reinstall.

use std::collections::BTreeMap;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tenant::TenantId;
use tenant::ports::StoreError;
use tracing::warn;
use zeroize::Zeroizing;

use crate::error::store_error;
use crate::keys;

/// KMS `Encrypt`'s plaintext limit, per part.
pub const MAX_PLAINTEXT: usize = 4096;
/// Recovery window of a normal delete: an uninstall by mistake can be undone for a week.
pub const RECOVERY_WINDOW_DAYS: i64 = 7;
/// The part holding the Slack bundle.
pub(crate) const BUNDLE_PART: &str = "bundle";
/// How many times a write re-reads after a collision another part caused.
const WRITE_ATTEMPTS: usize = 10;
/// The value format this build writes.
const FORMAT: u32 = 2;
/// Namespace of the derived `ClientRequestToken`s (a fixed random UUID).
const TOKEN_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5b1e_2f0c_9d8a_4c47_a1e3_7f60_2b9d_41c5);

/// The secret's value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    format: u32,
    #[serde(default)]
    pub(crate) parts: BTreeMap<String, Part>,
}

/// One part: its write id and its ciphertext (base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Part {
    pub(crate) v: String,
    ct: String,
    /// Format 1: the ciphertext is of the bundle alone, not of a [`Sealed`] payload.
    #[serde(skip)]
    legacy: bool,
}

/// What a part's ciphertext holds.
#[derive(Serialize)]
struct Sealed<'a, T> {
    part: &'a str,
    v: &'a str,
    value: &'a T,
}

#[derive(Deserialize)]
struct Opened<T> {
    part: String,
    v: String,
    value: T,
}

/// Why a secret operation failed, for the vault and credential adapters to map.
#[derive(Debug)]
pub(crate) enum SecretError {
    Store(StoreError),
    /// A part does not decrypt here (context, key, tampering, or no KMS grant for its purpose).
    Decrypt,
    /// The part is not at the version the caller expected.
    Conflict,
    /// The plaintext is over [`MAX_PLAINTEXT`].
    TooLarge(usize),
}

impl From<StoreError> for SecretError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A part, sealed and ready to be written under a new write id.
pub(crate) struct NewPart {
    name: String,
    part: Part,
}

impl NewPart {
    /// The write id, i.e. the part's new version.
    pub(crate) fn version(&self) -> &str {
        &self.part.v
    }

    /// The base64 KMS ciphertext (stored as is by the per-user items).
    pub(crate) fn ciphertext(&self) -> &str {
        &self.part.ct
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretState {
    Absent,
    Live,
    ScheduledForDeletion,
}

/// What a read of the secret found.
enum Read {
    Absent,
    ScheduledForDeletion,
    Live {
        envelope: Envelope,
        version_id: String,
    },
}

/// The tenants' secrets and the KMS key their parts are encrypted under.
#[derive(Debug, Clone)]
pub(crate) struct TenantSecrets {
    secrets: aws_sdk_secretsmanager::Client,
    kms: aws_sdk_kms::Client,
    key_id: String,
    prefix: String,
    pub(crate) force_delete: bool,
}

impl TenantSecrets {
    pub(crate) fn new(
        secrets: aws_sdk_secretsmanager::Client,
        kms: aws_sdk_kms::Client,
        key_id: String,
        prefix: String,
    ) -> Self {
        Self {
            secrets,
            kms,
            key_id,
            prefix,
            force_delete: false,
        }
    }

    fn name(&self, tenant: &TenantId) -> String {
        keys::tenant_secret_name(&self.prefix, tenant)
    }

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

    /// Whether the tenant has a live secret (DescribeSecret only: no decrypt rights needed).
    pub(crate) async fn exists(&self, tenant: &TenantId) -> Result<bool, StoreError> {
        Ok(self.describe(&self.name(tenant)).await? == SecretState::Live)
    }

    async fn read_raw(&self, name: &str) -> Result<Read, SecretError> {
        let out = match self.secrets.get_secret_value().secret_id(name).send().await {
            Ok(out) => out,
            Err(err) => {
                return match err.as_service_error() {
                    Some(GetSecretValueError::ResourceNotFoundException(_)) => Ok(Read::Absent),
                    // Also what a secret scheduled for deletion answers.
                    Some(GetSecretValueError::InvalidRequestException(_))
                        if self.describe(name).await? == SecretState::ScheduledForDeletion =>
                    {
                        Ok(Read::ScheduledForDeletion)
                    }
                    Some(e) if secret_refuses_to_decrypt(ProvideErrorMetadata::code(e)) => {
                        warn!(
                            code = ProvideErrorMetadata::code(e),
                            "tenant secret not readable"
                        );
                        Err(SecretError::Decrypt)
                    }
                    _ => Err(store_error(err).into()),
                };
            }
        };
        let version_id = out
            .version_id
            .ok_or_else(|| StoreError::Corrupt("secret version has no id".into()))?;
        let value = out.secret_string.unwrap_or_default();
        Ok(Read::Live {
            envelope: parse_envelope(&value)?,
            version_id,
        })
    }

    /// The tenant's envelope, or `None` when it has no live secret.
    pub(crate) async fn read(&self, tenant: &TenantId) -> Result<Option<Envelope>, SecretError> {
        Ok(match self.read_raw(&self.name(tenant)).await? {
            Read::Live { envelope, .. } => Some(envelope),
            Read::Absent | Read::ScheduledForDeletion => None,
        })
    }

    /// Encrypts `value` as part `name` under `context`, with a fresh write id.
    pub(crate) async fn seal<T: Serialize>(
        &self,
        name: &str,
        context: &[(&str, &str)],
        value: &T,
    ) -> Result<NewPart, SecretError> {
        let v = uuid::Uuid::new_v4().simple().to_string();
        let ct = self
            .encrypt(
                context,
                &Sealed {
                    part: name,
                    v: &v,
                    value,
                },
            )
            .await?;
        Ok(NewPart {
            name: name.to_owned(),
            part: Part {
                v,
                ct,
                legacy: false,
            },
        })
    }

    /// KMS `Encrypt` of `payload`'s JSON under `context`, as base64.
    pub(crate) async fn encrypt<P: Serialize>(
        &self,
        context: &[(&str, &str)],
        payload: &P,
    ) -> Result<String, SecretError> {
        let plaintext = Zeroizing::new(serde_json::to_vec(payload).map_err(|e| {
            StoreError::Corrupt(format!(
                "token payload does not serialize ({:?} error)",
                e.classify()
            ))
        })?);
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(SecretError::TooLarge(plaintext.len()));
        }
        let mut request = self
            .kms
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext.to_vec()));
        for (key, value) in context {
            request = request.encryption_context(*key, *value);
        }
        let out = request.send().await.map_err(store_error)?;
        let blob = out
            .ciphertext_blob
            .ok_or_else(|| StoreError::Corrupt("KMS returned no ciphertext".into()))?;
        Ok(BASE64.encode(blob.as_ref()))
    }

    /// A fresh AES-256 data key from KMS `GenerateDataKey` under `context`: the plaintext key
    /// (wiped on drop) and its KMS ciphertext as base64, which [`Self::decrypt`] opens under
    /// the same context. For payloads over [`MAX_PLAINTEXT`] (follow-up sessions), sealed
    /// locally with the key.
    pub(crate) async fn generate_data_key(
        &self,
        context: &[(&str, &str)],
    ) -> Result<(Zeroizing<Vec<u8>>, String), SecretError> {
        let mut request = self
            .kms
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256);
        for (key, value) in context {
            request = request.encryption_context(*key, *value);
        }
        let out = request.send().await.map_err(store_error)?;
        let plaintext = out
            .plaintext
            .ok_or_else(|| StoreError::Corrupt("KMS returned no data key".into()))?;
        let blob = out
            .ciphertext_blob
            .ok_or_else(|| StoreError::Corrupt("KMS returned no data key ciphertext".into()))?;
        Ok((
            Zeroizing::new(plaintext.into_inner()),
            BASE64.encode(blob.as_ref()),
        ))
    }

    /// KMS `Decrypt` of a base64 ciphertext under `context`; refusals are [`SecretError::Decrypt`].
    pub(crate) async fn decrypt(
        &self,
        context: &[(&str, &str)],
        ciphertext: &str,
    ) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let blob = BASE64
            .decode(ciphertext.trim())
            .map_err(|_| SecretError::Decrypt)?;
        let mut request = self
            .kms
            .decrypt()
            // Naming the key makes a ciphertext made under any other key fail too.
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(blob));
        for (key, value) in context {
            request = request.encryption_context(*key, *value);
        }
        let out = request.send().await.map_err(kms_decrypt_error)?;
        let plaintext = out
            .plaintext
            .ok_or_else(|| StoreError::Corrupt("KMS returned no plaintext".into()))?;
        Ok(Zeroizing::new(plaintext.into_inner()))
    }

    /// Decrypts part `name` of `envelope` under `context`, checking the name and write id
    /// sealed inside. `None` if there is no such part.
    pub(crate) async fn open<T: DeserializeOwned>(
        &self,
        envelope: &Envelope,
        name: &str,
        context: &[(&str, &str)],
    ) -> Result<Option<(T, String)>, SecretError> {
        let Some(part) = envelope.parts.get(name) else {
            return Ok(None);
        };
        let plaintext = self.decrypt(context, &part.ct).await?;
        // The serde error text could quote token material, so only its category is kept.
        let corrupt = |e: serde_json::Error| {
            SecretError::Store(StoreError::Corrupt(format!(
                "decrypted token payload is not valid ({:?} error)",
                e.classify()
            )))
        };
        if part.legacy {
            return Ok(Some((
                serde_json::from_slice(&plaintext).map_err(corrupt)?,
                part.v.clone(),
            )));
        }
        let opened: Opened<T> = serde_json::from_slice(&plaintext).map_err(corrupt)?;
        if opened.part != name || opened.v != part.v {
            warn!(part = name, "token part sealed for another part or write");
            return Err(SecretError::Decrypt);
        }
        Ok(Some((opened.value, opened.v)))
    }

    /// Changes the tenant's envelope with `change` and writes it conditionally (see the module
    /// doc), re-reading and re-applying `change` after a collision. `change` returns whether
    /// there is anything to write; it may refuse with [`SecretError::Conflict`].
    pub(crate) async fn update(
        &self,
        tenant: &TenantId,
        mut change: impl FnMut(&mut Envelope) -> Result<bool, SecretError> + Send,
    ) -> Result<(), SecretError> {
        let name = self.name(tenant);
        for _ in 0..WRITE_ATTEMPTS {
            match self.read_raw(&name).await? {
                Read::Absent => {
                    let mut envelope = Envelope::default();
                    if !change(&mut envelope)? {
                        return Ok(());
                    }
                    let created = self
                        .secrets
                        .create_secret()
                        .name(&name)
                        .kms_key_id(&self.key_id)
                        .description(
                            "Switchboard tenant tokens (KMS ciphertexts bound to the tenant)",
                        )
                        .secret_string(to_value(&envelope)?)
                        .send()
                        .await;
                    match created {
                        Ok(_) => return Ok(()),
                        // Created by another writer since our read: read again.
                        Err(err)
                            if matches!(
                                err.as_service_error(),
                                Some(CreateSecretError::ResourceExistsException(_))
                            ) => {}
                        Err(err) => return Err(store_error(err).into()),
                    }
                }
                Read::ScheduledForDeletion => {
                    if !change(&mut Envelope::default())? {
                        return Ok(());
                    }
                    // A reinstall within the recovery window: bring the secret back (its value
                    // is the empty one the delete wrote), then write on top of it.
                    self.secrets
                        .restore_secret()
                        .secret_id(&name)
                        .send()
                        .await
                        .map_err(store_error)?;
                }
                Read::Live {
                    mut envelope,
                    version_id,
                } => {
                    if !change(&mut envelope)? {
                        return Ok(());
                    }
                    let token = uuid::Uuid::new_v5(&TOKEN_NAMESPACE, version_id.as_bytes());
                    let put = self
                        .secrets
                        .put_secret_value()
                        .secret_id(&name)
                        .client_request_token(token.to_string())
                        .secret_string(to_value(&envelope)?)
                        .send()
                        .await;
                    match put {
                        Ok(_) => return Ok(()),
                        // Someone wrote since our read: read again, re-check, re-apply.
                        Err(err)
                            if matches!(
                                err.as_service_error(),
                                Some(PutSecretValueError::ResourceExistsException(_))
                            ) => {}
                        Err(err) => return Err(store_error(err).into()),
                    }
                }
            }
        }
        Err(SecretError::Conflict)
    }

    /// Writes the empty value, then deletes the secret (scheduled, or at once when
    /// `force_delete`). Deleting a missing secret is `Ok`.
    pub(crate) async fn delete(&self, tenant: &TenantId) -> Result<(), SecretError> {
        self.update(tenant, |envelope| {
            let had_parts = !envelope.parts.is_empty();
            envelope.parts.clear();
            Ok(had_parts)
        })
        .await?;
        let name = self.name(tenant);
        let mut request = self.secrets.delete_secret().secret_id(&name);
        request = if self.force_delete {
            request.force_delete_without_recovery(true)
        } else {
            request.recovery_window_in_days(RECOVERY_WINDOW_DAYS)
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(DeleteSecretError::ResourceNotFoundException(_)) => Ok(()),
                // Already scheduled for deletion: deleting again is a no-op.
                Some(DeleteSecretError::InvalidRequestException(_))
                    if self.describe(&name).await? == SecretState::ScheduledForDeletion =>
                {
                    Ok(())
                }
                _ => Err(store_error(err).into()),
            },
        }
    }
}

/// KMS `Decrypt` refusals that no retry can fix: the ciphertext is not this key's or this
/// context's (`InvalidCiphertextException`, `IncorrectKeyException`; also a part moved to
/// another tenant or purpose), or this role may not use the key for it (`AccessDeniedException`,
/// which is also what an IAM condition on the purpose answers), or the key cannot be used at
/// all until an operator acts (`DisabledException`, `KMSInvalidStateException`: disabled or
/// pending deletion). They surface as `Decrypt`, which the worker dead-letters; anything else
/// (throttling, 5xx, a timeout) stays a transient store error.
pub(crate) fn kms_refuses_to_decrypt(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidCiphertextException"
                | "IncorrectKeyException"
                | "AccessDeniedException"
                | "DisabledException"
                | "KMSInvalidStateException"
        )
    )
}

/// A failed KMS `Decrypt` as a [`SecretError`]: a refusal ([`kms_refuses_to_decrypt`]) is
/// `Decrypt`, the rest a store error.
fn kms_decrypt_error<E, R>(err: SdkError<E, R>) -> SecretError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.code();
    if kms_refuses_to_decrypt(code) {
        // The code is logged (never the ciphertext) to tell a foreign or tampered ciphertext
        // from a role without the grant.
        warn!(code, "token ciphertext did not decrypt");
        SecretError::Decrypt
    } else {
        SecretError::Store(store_error(err))
    }
}

/// Secrets Manager's own refusals to hand out the secret's value for the same reasons: it
/// cannot decrypt it under its KMS key (`DecryptionFailure`), or the role may not read it or
/// use the key (`AccessDeniedException`).
pub(crate) fn secret_refuses_to_decrypt(code: Option<&str>) -> bool {
    matches!(code, Some("DecryptionFailure" | "AccessDeniedException"))
}

/// Whether part `name` of `envelope` is at `expected` (`None`: absent).
pub(crate) fn part_is_at(envelope: &Envelope, name: &str, expected: Option<&str>) -> bool {
    envelope.parts.get(name).map(|p| p.v.as_str()) == expected
}

/// Sets part `new` into `envelope`.
pub(crate) fn set_part(envelope: &mut Envelope, new: &NewPart) {
    envelope.parts.insert(new.name.clone(), new.part.clone());
}

fn parse_envelope(value: &str) -> Result<Envelope, StoreError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(Envelope::default());
    }
    if !trimmed.starts_with('{') {
        // Format 1: the bundle's ciphertext alone.
        let part = Part {
            v: "format-1".to_owned(),
            ct: trimmed.to_owned(),
            legacy: true,
        };
        return Ok(Envelope {
            format: 1,
            parts: BTreeMap::from([(BUNDLE_PART.to_owned(), part)]),
        });
    }
    serde_json::from_str(trimmed).map_err(|e| {
        StoreError::Corrupt(format!(
            "tenant secret is not a valid envelope ({:?} error)",
            e.classify()
        ))
    })
}

fn to_value(envelope: &Envelope) -> Result<String, StoreError> {
    let mut envelope = envelope.clone();
    envelope.format = FORMAT;
    serde_json::to_string(&envelope)
        .map_err(|_| StoreError::Corrupt("tenant secret envelope does not serialize".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_1_value_reads_as_the_bundle_part() {
        let envelope = parse_envelope("AQIDBA==").unwrap();
        let part = &envelope.parts[BUNDLE_PART];
        assert!(part.legacy && part.ct == "AQIDBA==");
        assert!(parse_envelope("").unwrap().parts.is_empty());
        assert!(parse_envelope("{not json").is_err());
    }

    #[test]
    fn envelopes_round_trip_and_name_their_format() {
        let mut envelope = Envelope::default();
        envelope.parts.insert(
            "hubspot".into(),
            Part {
                v: "w1".into(),
                ct: "Y3Q=".into(),
                legacy: false,
            },
        );
        let value = to_value(&envelope).unwrap();
        assert!(value.contains("\"format\":2"), "{value}");
        let back = parse_envelope(&value).unwrap();
        assert_eq!(back.parts, envelope.parts);
        assert!(part_is_at(&back, "hubspot", Some("w1")));
        assert!(!part_is_at(&back, "hubspot", None));
        assert!(part_is_at(&back, "salesforce", None));
    }

    // moto answers AccessDeniedException for a ciphertext of another key (tests/it/vault.rs), but
    // neither IncorrectKey, a disabled key (its Decrypt still succeeds) nor an IAM denial, so
    // the classification of every code is checked here, on the SDK error itself.
    #[test]
    fn kms_refusals_are_decrypt_and_everything_else_a_store_error() {
        use aws_sdk_kms::config::http::HttpResponse;
        use aws_sdk_kms::error::ErrorMetadata;
        use aws_sdk_kms::operation::decrypt::DecryptError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;

        let refused = |code: &str| {
            let err = DecryptError::generic(ErrorMetadata::builder().code(code).build());
            let response = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty());
            kms_decrypt_error(SdkError::service_error(err, response))
        };
        for code in [
            "AccessDeniedException",
            "InvalidCiphertextException",
            "IncorrectKeyException",
            "DisabledException",
            "KMSInvalidStateException",
        ] {
            assert!(matches!(refused(code), SecretError::Decrypt), "{code}");
        }
        assert!(matches!(
            refused("ThrottlingException"),
            SecretError::Store(StoreError::Throttled)
        ));
        match refused("KMSInternalException") {
            SecretError::Store(e) => assert!(e.is_transient()),
            other => panic!("KMSInternalException: {other:?}"),
        }
        let timeout: SdkError<DecryptError, HttpResponse> = SdkError::timeout_error("slow");
        assert!(matches!(
            kms_decrypt_error(timeout),
            SecretError::Store(StoreError::Unavailable(_))
        ));
        assert!(!kms_refuses_to_decrypt(None));
    }

    #[test]
    fn secrets_manager_refusing_to_decrypt_is_decrypt_too() {
        assert!(secret_refuses_to_decrypt(Some("DecryptionFailure")));
        assert!(secret_refuses_to_decrypt(Some("AccessDeniedException")));
        assert!(!secret_refuses_to_decrypt(Some("InternalServiceError")));
        assert!(!secret_refuses_to_decrypt(Some(
            "ResourceNotFoundException"
        )));
        assert!(!secret_refuses_to_decrypt(None));
    }

    #[test]
    fn request_tokens_are_derived_from_the_version_read_and_fit_secrets_manager() {
        let a = uuid::Uuid::new_v5(&TOKEN_NAMESPACE, b"version-1").to_string();
        let b = uuid::Uuid::new_v5(&TOKEN_NAMESPACE, b"version-1").to_string();
        let c = uuid::Uuid::new_v5(&TOKEN_NAMESPACE, b"version-2").to_string();
        assert_eq!(a, b, "two writers from the same read collide");
        assert_ne!(a, c);
        assert!(
            (32..=64).contains(&a.len()),
            "ClientRequestToken takes 32-64 characters"
        );
    }
}
