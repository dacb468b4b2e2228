//! Audit entries and their per-tenant hash chain.
//!
//! Each entry carries the hash of the entry before it and its own hash over its fields, so an
//! entry edited in storage no longer matches its hash, and a deleted or reordered entry breaks
//! the link the next one carries. [`verify_chain`] checks both.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::TenantId;

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
}

/// Checks a tenant's entries (in sequence order): every hash matches its entry, every entry
/// links to the one before, sequence numbers start at 1 and have no gaps.
pub fn verify_chain(tenant: &TenantId, entries: &[AuditEntry]) -> Result<(), ChainError> {
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
        assert_eq!(verify_chain(&tenant, &entries), Ok(()));
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[4].seq, 5);
    }

    #[test]
    fn an_edited_entry_is_detected() {
        let (tenant, mut entries) = chain(5);
        entries[2].detail = "something else".into();
        assert_eq!(
            verify_chain(&tenant, &entries),
            Err(ChainError::Edited { seq: 3 })
        );
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let (tenant, mut entries) = chain(5);
        entries[2].actor = "attacker".into();
        entries[2].hash = entries[2].compute_hash();
        assert_eq!(
            verify_chain(&tenant, &entries),
            Err(ChainError::Broken { seq: 4 })
        );
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let (tenant, mut entries) = chain(5);
        entries.remove(1);
        assert_eq!(
            verify_chain(&tenant, &entries),
            Err(ChainError::Broken { seq: 3 })
        );
        let (tenant, mut entries) = chain(3);
        entries.remove(0);
        assert_eq!(
            verify_chain(&tenant, &entries),
            Err(ChainError::Broken { seq: 2 })
        );
    }

    #[test]
    fn another_tenants_entry_is_detected() {
        let (tenant, mut entries) = chain(2);
        entries[1].tenant = TenantId::parse("T0OTHER01").unwrap();
        assert!(matches!(
            verify_chain(&tenant, &entries),
            Err(ChainError::WrongTenant { seq: 2 })
        ));
    }
}
