//! [`Sessions`] on DynamoDB: one item per (tenant, user, recording) in the tenant's partition,
//! `sk = SESS#<user>#<recording>` ([`keys::session`]).
//!
//! Encrypted at rest with a KMS envelope: a session holds drafts (customer data) and runs to
//! tens of KB, past KMS `Encrypt`'s 4 KB, so each write draws a fresh AES-256 data key with
//! `GenerateDataKey` under the encryption context `{tenant_id, user_id, purpose =
//! followup-session, recording_id}`, seals the session's JSON with AES-256-GCM under it (the
//! same context as associated data), and stores the KMS-encrypted data key beside the
//! ciphertext. A read decrypts the data key under the context its own key gives, so an item
//! copied under another tenant, user or recording does not open; a role needs the
//! `followup-session` purpose to read or write sessions at all (template.yaml must grant it).
//!
//! In clear: the key, the write id `v` (the version), `updated_ns` and `expires_ns` (unix
//! nanoseconds, for ordering and expiry without decrypting) and `expires_at`, the table's TTL
//! attribute in unix seconds, rounded up so DynamoDB never deletes a session before the
//! adapter treats it as expired. DynamoDB's TTL deletes lazily (within days), so reads check
//! `expires_ns` themselves.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use followup::ports::{SessionError, Sessions, decode_session, encode_session, sort_recent};
use followup::{RecordingId, Session, SessionKey};
use jiff::Timestamp;
use tenant::ports::{Expected, StoreError, Version, Versioned};
use tenant::{TenantId, UserId};
use zeroize::Zeroizing;

use crate::dynamo::{Item, Table, get_s, n, s};
use crate::error::store_error;
use crate::keys;
use crate::tenant_secret::{SecretError, TenantSecrets};

/// The KMS purpose of session data keys (IAM conditions match it).
pub const SESSION_PURPOSE: &str = "followup-session";

const DATA_KEY: &str = "dk";
const NONCE: &str = "nonce";
const CIPHERTEXT: &str = "ct";
const VERSION: &str = "v";
const UPDATED_NS: &str = "updated_ns";
const EXPIRES_NS: &str = "expires_ns";

/// Follow-up sessions in the app table, sealed under KMS data keys.
#[derive(Debug, Clone)]
pub struct DynamoSessions {
    table: Table,
    kms: TenantSecrets,
}

impl DynamoSessions {
    pub(crate) fn new(table: Table, kms: TenantSecrets) -> Self {
        Self { table, kms }
    }

    async fn seal(&self, session: &Session) -> Result<(String, Vec<u8>, Vec<u8>), SessionError> {
        let plaintext = Zeroizing::new(encode_session(session)?);
        let key = session.key();
        let recording = key.recording().to_string();
        let context = context(&key, &recording);
        let (data_key, wrapped) = self
            .kms
            .generate_data_key(&context)
            .await
            .map_err(secret_error)?;
        let cipher = Aes256Gcm::new_from_slice(&data_key)
            .map_err(|_| StoreError::Corrupt("KMS data key is not 256 bits".into()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = associated_data(&context);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SessionError::TooLarge(plaintext.len()))?;
        Ok((wrapped, nonce.to_vec(), ciphertext))
    }

    async fn open(&self, key: &SessionKey, item: &Item) -> Result<Session, SessionError> {
        let recording = key.recording().to_string();
        let context = context(key, &recording);
        let data_key = self
            .kms
            .decrypt(&context, get_s(item, DATA_KEY)?)
            .await
            .map_err(secret_error)?;
        let cipher = Aes256Gcm::new_from_slice(&data_key)
            .map_err(|_| StoreError::Corrupt("session data key is not 256 bits".into()))?;
        let nonce = get_b(item, NONCE)?;
        if nonce.len() != 12 {
            return Err(StoreError::Corrupt("session nonce has the wrong length".into()).into());
        }
        let aad = associated_data(&context);
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: get_b(item, CIPHERTEXT)?,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| StoreError::Corrupt("session does not open under its key".into()))?;
        decode_session(&plaintext, key)
    }
}

/// The encryption context of a session's data key, from its key alone.
fn context<'a>(key: &'a SessionKey, recording: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("tenant_id", key.tenant().as_str()),
        ("user_id", key.user().as_str()),
        ("purpose", SESSION_PURPOSE),
        ("recording_id", recording),
    ]
}

/// The same context as AES-GCM associated data, each field labelled and separated.
fn associated_data(context: &[(&str, &str)]) -> Vec<u8> {
    let mut aad = b"switchboard-session".to_vec();
    for (name, value) in context {
        aad.push(0);
        aad.extend_from_slice(format!("{name}={value}").as_bytes());
    }
    aad
}

fn secret_error(err: SecretError) -> SessionError {
    match err {
        SecretError::Store(e) => SessionError::Store(e),
        // Also what a role without the `followup-session` purpose gets (logged by `decrypt`).
        SecretError::Decrypt => SessionError::Store(StoreError::Corrupt(
            "session data key does not decrypt for this tenant, user and recording".into(),
        )),
        SecretError::Conflict => SessionError::Conflict,
        SecretError::TooLarge(len) => SessionError::TooLarge(len),
    }
}

fn get_b<'a>(item: &'a Item, name: &str) -> Result<&'a [u8], StoreError> {
    match item.get(name) {
        Some(AttributeValue::B(blob)) => Ok(blob.as_ref()),
        _ => Err(StoreError::Corrupt(format!(
            "attribute {name} missing or not binary"
        ))),
    }
}

fn nanos(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

fn get_nanos(item: &Item, name: &str) -> Result<i128, StoreError> {
    crate::dynamo::get_n(item, name)
}

/// The TTL value: whole unix seconds, rounded up.
fn ttl_secs(t: Timestamp) -> i64 {
    let secs = t.as_second();
    if t.subsec_nanosecond() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
    .max(0)
}

/// The recording id at the end of a session's sort key (zero-padded decimal).
fn recording_of(item: &Item, prefix: &str) -> Result<RecordingId, StoreError> {
    get_s(item, keys::SK)?
        .strip_prefix(prefix)
        .and_then(|digits| RecordingId::parse(digits).ok())
        .ok_or_else(|| StoreError::Corrupt("session sort key has no recording id".into()))
}

#[async_trait]
impl Sessions for DynamoSessions {
    async fn get(
        &self,
        key: &SessionKey,
        now: Timestamp,
    ) -> Result<Option<Versioned<Session>>, SessionError> {
        let Some(item) = self.table.get_consistent(&keys::session(key)).await? else {
            return Ok(None);
        };
        if get_nanos(&item, EXPIRES_NS)? <= nanos(now) {
            return Ok(None);
        }
        Ok(Some(Versioned {
            value: self.open(key, &item).await?,
            version: Version::new(get_s(&item, VERSION)?),
        }))
    }

    async fn put(
        &self,
        session: &Session,
        expected: &Expected,
        now: Timestamp,
    ) -> Result<Version, SessionError> {
        let (wrapped, nonce, ciphertext) = self.seal(session).await?;
        let key = keys::session(&session.key());
        let v = uuid::Uuid::new_v4().simple().to_string();
        let mut request = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item(keys::PK, s(key.pk))
            .item(keys::SK, s(key.sk))
            .item(DATA_KEY, s(wrapped))
            .item(NONCE, AttributeValue::B(Blob::new(nonce)))
            .item(CIPHERTEXT, AttributeValue::B(Blob::new(ciphertext)))
            .item(VERSION, s(v.clone()))
            .item(UPDATED_NS, n(nanos(session.updated_at)))
            .item(EXPIRES_NS, n(nanos(session.expires_at)))
            .item(keys::EXPIRES_AT, n(ttl_secs(session.expires_at)));
        request = match expected {
            // Creates, or replaces a session that has expired (invisible, so absent).
            Expected::Absent => request
                .condition_expression("attribute_not_exists(#pk) OR #exp <= :now")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#exp", EXPIRES_NS)
                .expression_attribute_values(":now", n(nanos(now))),
            Expected::At(at) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":v", s(at.as_str())),
        };
        match request.send().await {
            Ok(_) => Ok(Version::new(v)),
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Err(SessionError::Conflict)
            }
            Err(err) => Err(store_error(err).into()),
        }
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Session>, SessionError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // A user's sessions within the retention period are a few hundred at most: read them
        // all, order by the clear `updated_ns`, and decrypt only the `limit` newest.
        let prefix = keys::user_sessions_prefix(user);
        let items = self
            .table
            .query_prefix(keys::tenant_pk(tenant), &prefix)
            .await?;
        let now = nanos(now);
        let mut live = Vec::new();
        for item in items {
            if get_nanos(&item, EXPIRES_NS)? > now {
                let updated = get_nanos(&item, UPDATED_NS)?;
                live.push((updated, recording_of(&item, &prefix)?, item));
            }
        }
        live.sort_by_key(|(updated, recording, _)| std::cmp::Reverse((*updated, *recording)));
        let mut sessions = Vec::with_capacity(limit.min(live.len()));
        for (_, recording, item) in live.into_iter().take(limit) {
            let key = SessionKey::new(tenant.clone(), user.clone(), recording);
            sessions.push(self.open(&key, &item).await?);
        }
        // The clear times order them already; sorting again keeps one definition of it.
        sort_recent(&mut sessions);
        Ok(sessions)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .set_key(Some(keys::session(key).to_map()))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), SessionError> {
        let keys = self
            .table
            .keys_with_prefix(keys::tenant_pk(tenant), keys::SESSION_PREFIX)
            .await?;
        self.table.delete_keys(keys).await?;
        Ok(())
    }
}
