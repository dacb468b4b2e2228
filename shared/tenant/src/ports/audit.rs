use async_trait::async_trait;

use super::StoreError;
use crate::audit::{AuditEntry, AuditEvent};
use crate::ids::TenantId;

/// The append-only audit log, one hash chain per tenant (see [`crate::audit`]).
///
/// There is no update and no delete: the app's roles can only append (IAM on AWS), and
/// [`crate::audit::verify_chain`] detects an entry edited or removed behind the app's back.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends `event` as the tenant's next entry (sequence number and previous hash taken from
    /// the current last entry, see [`AuditEntry::next`]). Concurrent appends MUST NOT fork the
    /// chain: the write is conditional on the sequence number being free, and a loser re-reads
    /// and retries. Returns the stored entry.
    async fn append(&self, tenant: &TenantId, event: AuditEvent) -> Result<AuditEntry, StoreError>;

    /// The tenant's entries in sequence order.
    async fn list(&self, tenant: &TenantId) -> Result<Vec<AuditEntry>, StoreError>;
}
