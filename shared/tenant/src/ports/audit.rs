use async_trait::async_trait;

use super::StoreError;
use crate::audit::{AuditEntry, AuditEvent};
use crate::ids::TenantId;

/// The append-only audit log, one hash chain per tenant (see [`crate::audit`]).
///
/// There is no update and no delete: the app's roles can only append (IAM on AWS), and
/// [`crate::audit::verify_chain`] detects an entry edited or removed behind the app's back, and
/// (by the seal) the newest entries rewritten with recomputed hashes.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends `event` as the tenant's next entry (sequence number and previous hash taken from
    /// the current last entry, see [`AuditEntry::next`]). Concurrent appends MUST NOT fork the
    /// chain: the write is conditional on the sequence number being free, and a loser re-reads
    /// and retries. The stored entry MUST carry its seal ([`AuditEntry::seal`]) under the log's
    /// audit key, a key the table's writers can use but not read. Returns the stored entry.
    async fn append(&self, tenant: &TenantId, event: AuditEvent) -> Result<AuditEntry, StoreError>;

    /// The tenant's entries in sequence order, seals as stored (not checked here).
    async fn list(&self, tenant: &TenantId) -> Result<Vec<AuditEntry>, StoreError>;

    /// Whether `entry.seal` is the audit key's seal of `entry` (its hash, see
    /// [`crate::audit::seal_message`]). A missing, malformed or wrong seal MUST be `Ok(false)`;
    /// an error means the key could not be used (transient), never a verdict.
    async fn verify_seal(&self, entry: &AuditEntry) -> Result<bool, StoreError>;
}
