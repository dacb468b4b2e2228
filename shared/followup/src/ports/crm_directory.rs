//! What a workspace keeps about its CRM: its connections (which CRMs, which is the default,
//! which are broken) and its account mappings (which account a domain's meetings go to).
//!
//! The credentials themselves are not here: they are tenant-wide [`tenant::Credential`]s
//! under the CRM's [`tenant::Provider`], encrypted under its own purpose. This store holds
//! what App Home shows and what the follow-up flow decides with; nothing in it is secret.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tenant::ports::{Expected, StoreError, Version, Versioned};
use tenant::{TenantId, UserId};

use crate::crm::{AccountId, CrmKind, Domain};

/// Errors of the directory.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The backend failed; see [`StoreError`] (transient variants may be retried).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A conditional write found another version than its writer read. Nothing was written:
    /// read again and redo the change.
    #[error("CRM settings were changed by another writer")]
    Conflict,
}

/// One CRM the workspace connected. At most one per [`CrmKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmConnection {
    pub kind: CrmKind,
    /// The admin who connected it.
    pub connected_by: UserId,
    /// Unix seconds.
    pub connected_at: i64,
    /// What the CRM calls the account connected (a portal, org or company name), for App
    /// Home; `None` when the CRM did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Set when the CRM refused the credentials (revoked, expired beyond refresh): the
    /// connection must be redone by an admin. Unix seconds of the first refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_since: Option<i64>,
}

/// The workspace's CRM connections and which one follow-ups use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmSettings {
    /// In the order they were connected.
    #[serde(default)]
    pub connections: Vec<CrmConnection>,
    /// The connection follow-ups use; always one of `connections` (see [`Self::normalize`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<CrmKind>,
}

impl CrmSettings {
    pub fn connection(&self, kind: CrmKind) -> Option<&CrmConnection> {
        self.connections.iter().find(|c| c.kind == kind)
    }

    /// The default connection, if any.
    pub fn default_connection(&self) -> Option<&CrmConnection> {
        self.default.and_then(|k| self.connection(k))
    }

    /// Adds or replaces the connection of `connection.kind` (a reconnect clears `broken`).
    /// The first connection becomes the default.
    pub fn connect(&mut self, connection: CrmConnection) {
        match self
            .connections
            .iter_mut()
            .find(|c| c.kind == connection.kind)
        {
            Some(slot) => *slot = connection,
            None => self.connections.push(connection),
        }
        self.normalize();
    }

    /// Removes the connection of `kind`; the default moves to the oldest one left.
    pub fn disconnect(&mut self, kind: CrmKind) {
        self.connections.retain(|c| c.kind != kind);
        self.normalize();
    }

    /// Marks `kind` broken at `now`; `true` only when it was not broken before (so the admins
    /// are told once).
    pub fn mark_broken(&mut self, kind: CrmKind, now: i64) -> bool {
        match self.connections.iter_mut().find(|c| c.kind == kind) {
            Some(c) if c.broken_since.is_none() => {
                c.broken_since = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Keeps `default` pointing at a connection: the first one when unset or stale.
    pub fn normalize(&mut self) {
        if self.default.is_none_or(|k| self.connection(k).is_none()) {
            self.default = self.connections.first().map(|c| c.kind);
        }
    }
}

/// How a mapping came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingSource {
    /// The CRM's search found one account whose website domain is exactly the domain.
    Domain,
    /// One account's name matched exactly (no website domain matched).
    Name,
    /// A user picked it from the list in the modal.
    UserPick,
}

/// Which account a domain's meetings are logged on, in one CRM of one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMapping {
    pub domain: Domain,
    pub account: AccountId,
    /// The account's name and link when mapped, to show without a CRM call.
    pub account_name: String,
    pub link: String,
    pub source: MappingSource,
    /// 0–100: 100 for a user's pick or an exact domain match, lower for a name match.
    pub confidence: u8,
    /// How many follow-ups used it.
    pub times_used: u32,
    /// A user confirmed it (picked it). A verified mapping is never replaced by an
    /// unverified one.
    pub verified: bool,
    /// Unix seconds of the last change.
    pub updated_at: i64,
}

/// CRM settings and account mappings, per tenant.
///
/// * Every key is derived from the tenant id (and the CRM kind and domain) alone: no call can
///   reach another tenant's settings or mappings.
/// * [`CrmDirectory::put_settings`] is conditional on the [`Expected`] state read, like the
///   session store: `Conflict`, nothing written, when someone else wrote in between. Use
///   [`update_settings`].
/// * [`CrmDirectory::save_mapping`] never replaces a verified mapping with an unverified one
///   (it answers `false` then), atomically: two follow-ups racing a user's pick cannot
///   undo it.
#[async_trait]
pub trait CrmDirectory: Send + Sync {
    /// The tenant's settings and their version; `None` when it never connected a CRM.
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<CrmSettings>>, DirectoryError>;

    /// Stores `settings` if the stored state is still `expected`, returning the new version.
    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &CrmSettings,
        expected: &Expected,
    ) -> Result<Version, DirectoryError>;

    /// The mapping of `domain` in `kind`, if any.
    async fn mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<Option<AccountMapping>, DirectoryError>;

    /// Adds or replaces the mapping of `mapping.domain`, except that an unverified mapping
    /// never replaces a verified one: then nothing is written and the answer is `false`.
    async fn save_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        mapping: &AccountMapping,
    ) -> Result<bool, DirectoryError>;

    /// Removes the mapping of `domain` if it still points at `account` (the CRM said that
    /// account is gone: deleted or merged), atomically, so a newer pick is never lost; `true`
    /// when it was removed.
    async fn forget_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
        account: &AccountId,
    ) -> Result<bool, DirectoryError>;

    /// Adds one to the mapping's `times_used` (atomically; a missing mapping is `Ok`).
    async fn mapping_used(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<(), DirectoryError>;

    /// Removes every mapping of `kind` (its connection went: another account's ids would
    /// not be valid). `Ok` if there are none.
    async fn delete_mappings(&self, tenant: &TenantId, kind: CrmKind)
    -> Result<(), DirectoryError>;

    /// Removes the tenant's settings and all its mappings (uninstall).
    async fn delete_all(&self, tenant: &TenantId) -> Result<(), DirectoryError>;
}

/// Read-modify-write of the settings: reads, lets `change` edit them (starting from the
/// default when none are stored), writes conditional on what was read, and starts again on
/// `Conflict` a few times. A change that leaves them as they were writes nothing. Answers
/// what `change` returned and the settings as stored.
pub async fn update_settings<R: Send>(
    store: &dyn CrmDirectory,
    tenant: &TenantId,
    mut change: impl FnMut(&mut CrmSettings) -> R + Send,
) -> Result<(R, CrmSettings), DirectoryError> {
    const ATTEMPTS: usize = 5;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let read = store.settings(tenant).await?;
        let mut settings = read.as_ref().map(|v| v.value.clone()).unwrap_or_default();
        let value = change(&mut settings);
        settings.normalize();
        if read.as_ref().is_some_and(|v| v.value == settings)
            || (read.is_none() && settings == CrmSettings::default())
        {
            return Ok((value, settings));
        }
        match store
            .put_settings(tenant, &settings, &Expected::of(read.as_ref()))
            .await
        {
            Ok(_) => return Ok((value, settings)),
            Err(DirectoryError::Conflict) if attempt < ATTEMPTS => {}
            Err(err) => return Err(err),
        }
    }
}
