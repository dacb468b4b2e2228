//! Audit entries and their per-tenant hash chain, sealed with a key the storage does not hold.
//!
//! Each entry carries the hash of the entry before it and its own hash over its fields, so an
//! entry edited in storage no longer matches its hash, and a deleted or reordered entry breaks
//! the link the next one carries. A plain hash can be recomputed, though: someone able to write
//! the table could rewrite the newest entries and their hashes and leave a valid chain. So each
//! entry is also sealed when it is appended: a MAC over its hash under the audit key, which the
//! writers can use but not read (a KMS HMAC key on AWS, a key file of its own locally). As each
//! hash covers the whole chain before it, the newest entry's seal vouches for every entry;
//! [`verify_chain`] checks the links, the hashes and that seal.
//!
//! What the chain cannot show is a tail cut off (the newest entries deleted): the remaining
//! newest entry is genuinely sealed. On AWS, the app's roles cannot delete audit items at all.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::TenantId;
use crate::ports::{AuditLog, StoreError};

/// The `prev_hash` of a tenant's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Install,
    Reinstall,
    Uninstall,
    TokensRevoked,
    TokenRefreshed,
    Suspend,
    Resume,
    /// A user connected their own account at a provider (detail: the provider).
    Connected,
    /// A user's provider connection was removed (detail: the provider, and whether the
    /// provider confirmed the revocation).
    Disconnected,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Reinstall => "reinstall",
            Self::Uninstall => "uninstall",
            Self::TokensRevoked => "tokens_revoked",
            Self::TokenRefreshed => "token_refreshed",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

/// An event to append: who did what, when, with a short detail (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// `slack:U…` for a Slack user, `slack` for Slack itself, `operator` for the CLI,
    /// `system` for the app.
    pub actor: String,
    pub action: AuditAction,
    pub detail: String,
    /// Unix seconds.
    pub at: i64,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant: TenantId,
    /// 1 for the first entry of a tenant, then consecutive.
    pub seq: u64,
    pub at: i64,
    pub actor: String,
    pub action: AuditAction,
    pub detail: String,
    /// Hash of the previous entry ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over this entry's other fields.
    pub hash: String,
    /// Hex MAC of [`seal_message`] of `hash` under the audit key, set by the adapter that
    /// appended the entry. Empty on entries written before entries were sealed.
    #[serde(default)]
    pub seal: String,
}

/// What the audit key MACs for an entry: its hash, with a label so that the key's MACs can
/// never be taken for anything else.
pub fn seal_message(entry: &AuditEntry) -> Vec<u8> {
    [b"switchboard-audit-v1:".as_slice(), entry.hash.as_bytes()].concat()
}

/// An audit key held in memory (the SQLite backend's key file, the memory backend's random
/// key): HMAC-SHA256 over [`seal_message`]. On AWS the key stays in KMS instead. `Debug`
/// never shows it.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }

    /// The seal of `entry` (hex).
    pub fn seal(&self, entry: &AuditEntry) -> String {
        let mut mac = self.mac();
        mac.update(&seal_message(entry));
        hex_lower(&mac.finalize().into_bytes())
    }

    /// Whether `entry.seal` is this key's seal of it (compared in constant time).
    pub fn verifies(&self, entry: &AuditEntry) -> bool {
        let Ok(presented) = hex::decode(&entry.seal) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(&seal_message(entry));
        mac.verify_slice(&presented).is_ok()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditEntry {
    /// The entry that follows `prev` (or the first one) for `event`.
    pub fn next(tenant: &TenantId, prev: Option<&AuditEntry>, event: AuditEvent) -> Self {
        let (seq, prev_hash) = match prev {
            Some(p) => (p.seq + 1, p.hash.clone()),
            None => (1, GENESIS.to_owned()),
        };
        let mut entry = Self {
            tenant: tenant.clone(),
            seq,
            at: event.at,
            actor: event.actor,
            action: event.action,
            detail: event.detail,
            prev_hash,
            hash: String::new(),
            seal: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The hash this entry's fields give. Fields are length-prefixed so that no two different
    /// entries serialize the same way.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        for field in [
            self.tenant.as_str(),
            &self.seq.to_string(),
            &self.at.to_string(),
            &self.actor,
            self.action.as_str(),
            &self.detail,
            &self.prev_hash,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex_lower(&h.finalize())
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {seq} was edited: its hash does not match its contents")]
    Edited { seq: u64 },
    #[error("entry {seq} does not follow the entry before it (one was removed or reordered)")]
    Broken { seq: u64 },
    #[error("entry {seq} belongs to another tenant")]
    WrongTenant { seq: u64 },
    #[error(
        "entry {seq} does not carry the audit key's seal: the newest entries were written or \
         rewritten outside the app"
    )]
    Unsealed { seq: u64 },
    #[error(
        "the seal of entry {seq} could not be checked (the audit key is unavailable); try again"
    )]
    SealUnchecked { seq: u64 },
}

/// Checks a tenant's entries (in sequence order) through the log that holds them: the links
/// and hashes ([`verify_links`]), then the newest entry's seal under the log's audit key
/// ([`AuditLog::verify_seal`]), which vouches for every entry before it. An empty log verifies.
pub async fn verify_chain(
    log: &dyn AuditLog,
    tenant: &TenantId,
    entries: &[AuditEntry],
) -> Result<(), ChainError> {
    verify_links(tenant, entries)?;
    let Some(newest) = entries.last() else {
        return Ok(());
    };
    match log.verify_seal(newest).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ChainError::Unsealed { seq: newest.seq }),
        Err(err) => {
            tracing::warn!(error = %StoreErrorChain(&err), "audit seal could not be checked");
            Err(ChainError::SealUnchecked { seq: newest.seq })
        }
    }
}

/// A store error with its causes, for one log line.
struct StoreErrorChain<'a>(&'a StoreError);

impl std::fmt::Display for StoreErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// The structure alone, without the key: every hash matches its entry, every entry links to
/// the one before, sequence numbers start at 1 and have no gaps. A chain that passes this but
/// not [`verify_chain`] was rewritten with recomputed hashes.
pub fn verify_links(tenant: &TenantId, entries: &[AuditEntry]) -> Result<(), ChainError> {
    let mut prev: Option<&AuditEntry> = None;
    for entry in entries {
        if &entry.tenant != tenant {
            return Err(ChainError::WrongTenant { seq: entry.seq });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainError::Edited { seq: entry.seq });
        }
        let (want_seq, want_prev) = match prev {
            Some(p) => (p.seq + 1, p.hash.as_str()),
            None => (1, GENESIS),
        };
        if entry.seq != want_seq || entry.prev_hash != want_prev {
            return Err(ChainError::Broken { seq: entry.seq });
        }
        prev = Some(entry);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> (TenantId, Vec<AuditEntry>) {
        let tenant = TenantId::parse("T0AUDIT01").unwrap();
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let event = AuditEvent {
                actor: "operator".into(),
                action: AuditAction::Suspend,
                detail: format!("step {i}"),
                at: 1_700_000_000 + i as i64,
            };
            let next = AuditEntry::next(&tenant, entries.last(), event);
            entries.push(next);
        }
        (tenant, entries)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (tenant, entries) = chain(5);
        assert_eq!(verify_links(&tenant, &entries), Ok(()));
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[4].seq, 5);
    }

    #[test]
    fn an_edited_entry_is_detected() {
        let (tenant, mut entries) = chain(5);
        entries[2].detail = "something else".into();
        assert_eq!(
            verify_links(&tenant, &entries),
            Err(ChainError::Edited { seq: 3 })
        );
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let (tenant, mut entries) = chain(5);
        entries[2].actor = "attacker".into();
        entries[2].hash = entries[2].compute_hash();
        assert_eq!(
            verify_links(&tenant, &entries),
            Err(ChainError::Broken { seq: 4 })
        );
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let (tenant, mut entries) = chain(5);
        entries.remove(1);
        assert_eq!(
            verify_links(&tenant, &entries),
            Err(ChainError::Broken { seq: 3 })
        );
        let (tenant, mut entries) = chain(3);
        entries.remove(0);
        assert_eq!(
            verify_links(&tenant, &entries),
            Err(ChainError::Broken { seq: 2 })
        );
    }

    #[test]
    fn a_key_seals_and_verifies_and_another_key_or_an_edit_does_not() {
        let (_, mut entries) = chain(2);
        let key = AuditKey::from_bytes([7; 32]);
        entries[1].seal = key.seal(&entries[1]);
        assert!(key.verifies(&entries[1]));
        assert!(!AuditKey::from_bytes([8; 32]).verifies(&entries[1]));
        let mut rewritten = entries[1].clone();
        rewritten.detail = "rewritten".into();
        rewritten.hash = rewritten.compute_hash();
        assert!(
            !key.verifies(&rewritten),
            "a recomputed hash needs a new seal"
        );
        rewritten.seal = "not hex".into();
        assert!(!key.verifies(&rewritten));
        assert_eq!(format!("{key:?}"), "AuditKey(..)");
    }

    #[test]
    fn another_tenants_entry_is_detected() {
        let (tenant, mut entries) = chain(2);
        entries[1].tenant = TenantId::parse("T0OTHER01").unwrap();
        assert!(matches!(
            verify_links(&tenant, &entries),
            Err(ChainError::WrongTenant { seq: 2 })
        ));
    }
}
