use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::ids::{TenantId, UserId};

/// A member's role in the tenant (who may administer it from Slack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

/// A Slack user known to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: UserId,
    pub role: Role,
    /// Unix seconds.
    pub added_at: i64,
}

/// The tenant's members.
#[async_trait]
pub trait Members: Send + Sync {
    /// Adds the member, or replaces the one with the same user id.
    async fn put_member(&self, tenant: &TenantId, member: &Member) -> Result<(), StoreError>;

    /// Adds `member` only if the tenant has no admin yet (atomically); returns whether it was
    /// added. This is how an installer becomes the tenant's first admin without a race between
    /// two concurrent provisioning runs.
    async fn add_first_admin(&self, tenant: &TenantId, member: &Member)
    -> Result<bool, StoreError>;

    /// The member, or `Ok(None)`.
    async fn get_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<Member>, StoreError>;

    /// Every member, ordered by user id.
    async fn list_members(&self, tenant: &TenantId) -> Result<Vec<Member>, StoreError>;
}
