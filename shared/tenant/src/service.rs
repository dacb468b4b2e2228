//! Tenant operations over the ports. Ingress, the worker and the operator CLI call these rather
//! than the ports directly, so the rules (what uninstall removes, what suspend blocks) live once.

use tracing::info;

use crate::audit::{AuditAction, AuditEvent};
use crate::ids::{TenantId, UserId};
use crate::model::{Installation, Tenant, TenantStatus};
use crate::ports::{Backend, CredentialError, StoreError, VaultError, update_bundle};
use crate::secret::{BotToken, TokenBundle};

pub mod delivery;
pub mod ingress;
mod oauth_install;

pub use oauth_install::{Installed, OAuthInstall, oauth_install};

/// Where a request's tenant stands, as far as serving it goes.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// Installed and active.
    Active(Tenant),
    /// Installed but suspended by an operator.
    Suspended(Tenant),
    /// Never installed, or uninstalled.
    NotInstalled,
}

/// Errors of tenant operations.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error("tenant {0} does not exist")]
    NotFound(TenantId),
    /// Suspend and resume apply to installed tenants; an uninstalled one needs a reinstall.
    #[error("tenant {0} is uninstalled")]
    Uninstalled(TenantId),
}

impl TenantError {
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Store(e) => e.is_transient(),
            Self::Vault(e) => e.is_transient(),
            Self::Credentials(e) => e.is_transient(),
            Self::NotFound(_) | Self::Uninstalled(_) => false,
        }
    }
}

/// Who acted, as recorded in the audit log.
pub mod actor {
    /// Slack itself (events such as app_uninstalled).
    pub const SLACK: &str = "slack";
    /// The operator CLI.
    pub const OPERATOR: &str = "operator";
    /// The app on its own (token refresh).
    pub const SYSTEM: &str = "system";
}

/// Appends an audit entry for a change that was just made.
pub async fn audit(
    backend: &Backend,
    id: &TenantId,
    actor: &str,
    action: AuditAction,
    detail: impl Into<String>,
    now: i64,
) -> Result<(), StoreError> {
    let event = AuditEvent {
        actor: actor.to_owned(),
        action,
        detail: detail.into(),
        at: now,
    };
    backend.audit.append(id, event).await.map(|_| ())
}

/// Looks the tenant up for serving a request: one read of the tenant record. Callers that
/// need the installation metadata (the events function, for the bot's ids) read it themselves,
/// only when they do.
pub async fn resolve(backend: &Backend, id: &TenantId) -> Result<Resolved, StoreError> {
    let Some(tenant) = backend.tenants.get(id).await? else {
        return Ok(Resolved::NotInstalled);
    };
    Ok(match tenant.status {
        TenantStatus::Uninstalled | TenantStatus::UninstalledSuspended => Resolved::NotInstalled,
        TenantStatus::Suspended => Resolved::Suspended(tenant),
        TenantStatus::Active => Resolved::Active(tenant),
    })
}

/// What an operator (or, later, OAuth) provides to install a tenant with an existing bot token.
#[derive(Debug, Clone)]
pub struct NewInstall {
    pub installation: Installation,
    pub name: String,
    pub bot: BotToken,
}

/// Installs or reinstalls a tenant: tokens first, then the installation, then the tenant record
/// installed ([`commit_install`]). A failure part-way leaves the tenant not served, and running
/// it again completes it; a reinstall keeps the tenant's plan, creation time and any
/// suspension an operator set.
pub async fn install(backend: &Backend, new: NewInstall, now: i64) -> Result<Tenant, TenantError> {
    let id = new.installation.tenant.clone();
    // Conditional on the bundle it read: the user tokens and a refresh racing this import stay.
    update_bundle(backend.vault.as_ref(), &id, |bundle| {
        bundle.get_or_insert_with(TokenBundle::default).bot = Some(new.bot.clone());
    })
    .await?;
    backend.tenants.put_installation(&new.installation).await?;
    let (tenant, previous) = commit_install(backend, &id, new.name, now).await?;
    let action = match previous {
        Some(_) => AuditAction::Reinstall,
        None => AuditAction::Install,
    };
    let detail = if tenant.status.is_suspended() {
        "bot token imported; stays suspended"
    } else {
        "bot token imported"
    };
    audit(backend, &id, actor::OPERATOR, action, detail, now).await?;
    info!(tenant = %id, status = tenant.status.as_str(), "tenant installed");
    Ok(tenant)
}

/// How many times a conditional write of a tenant record re-reads after losing a race. Each
/// loss means another writer changed the record in between; losing every round is reported as
/// `Throttled` (transient).
const CAS_ATTEMPTS: usize = 8;

/// Writes the tenant record of an install, conditional on the record it read (re-read and
/// retried on a race): a new record (active), or the existing one renamed and installed with
/// [`TenantStatus::on_install`], which keeps an operator's suspension, its plan and creation
/// time. Returns the record written and the one it replaced.
pub(crate) async fn commit_install(
    backend: &Backend,
    id: &TenantId,
    name: String,
    now: i64,
) -> Result<(Tenant, Option<Tenant>), TenantError> {
    for _ in 0..CAS_ATTEMPTS {
        let previous = backend.tenants.get(id).await?;
        let tenant = match &previous {
            Some(existing) => Tenant {
                name: name.clone(),
                status: existing.status.on_install(),
                updated_at: now,
                ..existing.clone()
            },
            None => Tenant::new(id.clone(), name.clone(), now),
        };
        let expected = previous.as_ref().map(|t| t.status);
        if backend.tenants.put_if(&tenant, expected).await? {
            return Ok((tenant, previous));
        }
    }
    Err(StoreError::Throttled.into())
}

/// A status change decided from the status read: `Ok(Some(new))` to write `new`, `Ok(None)`
/// when there is nothing to change.
type Decide = fn(TenantStatus) -> Result<Option<TenantStatus>, Refused>;

/// Why a status change does not apply.
enum Refused {
    Uninstalled,
}

/// Reads the tenant, decides, and writes the new status conditional on the one read
/// ([`TenantDirectory::set_status_if`](crate::ports::TenantDirectory::set_status_if)),
/// re-reading when another writer got in between. Returns `(from, to)` when it changed
/// something.
async fn change_status(
    backend: &Backend,
    id: &TenantId,
    now: i64,
    decide: Decide,
) -> Result<Option<(TenantStatus, TenantStatus)>, TenantError> {
    for _ in 0..CAS_ATTEMPTS {
        let Some(tenant) = backend.tenants.get(id).await? else {
            return Err(TenantError::NotFound(id.clone()));
        };
        let from = tenant.status;
        let to = match decide(from) {
            Ok(Some(to)) => to,
            Ok(None) => return Ok(None),
            Err(Refused::Uninstalled) => return Err(TenantError::Uninstalled(id.clone())),
        };
        match backend.tenants.set_status_if(id, from, to, now).await {
            Ok(true) => {
                info!(tenant = %id, from = from.as_str(), to = to.as_str(), "tenant status changed");
                return Ok(Some((from, to)));
            }
            Ok(false) => continue,
            Err(StoreError::NotFound) => return Err(TenantError::NotFound(id.clone())),
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Throttled.into())
}

/// `app_uninstalled`: the tenant is marked uninstalled (remembering an operator's suspension,
/// [`TenantStatus::on_uninstall`]) and all its tokens and credentials are deleted. Its other data stays
/// for a reinstall. Idempotent; an unknown tenant is a no-op.
pub async fn uninstall(backend: &Backend, id: &TenantId, now: i64) -> Result<(), TenantError> {
    let changed = match change_status(backend, id, now, |from| {
        Ok(Some(from.on_uninstall()).filter(|to| *to != from))
    })
    .await
    {
        Ok(changed) => changed,
        Err(TenantError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    backend.vault.delete(id).await?;
    backend.credentials.delete_all(id).await?;
    if changed.is_some() {
        audit(
            backend,
            id,
            actor::SLACK,
            AuditAction::Uninstall,
            "app_uninstalled",
            now,
        )
        .await?;
    }
    info!(tenant = %id, "tenant uninstalled");
    Ok(())
}

/// `tokens_revoked`: removes the bot token if its bot user is named in `bots`, and the user
/// tokens of `users`. Safe in either order with [`uninstall`] and when repeated.
pub async fn revoke_tokens(
    backend: &Backend,
    id: &TenantId,
    bots: &[UserId],
    users: &[UserId],
    now: i64,
) -> Result<(), TenantError> {
    // A conditional read-modify-write from a fresh read: a refresh or reinstall that lands
    // between the read and the write makes it start again rather than be undone.
    let updated = update_bundle(backend.vault.as_ref(), id, |slot| {
        let Some(bundle) = slot.as_mut() else {
            return (false, 0);
        };
        let bot_revoked = match &bundle.bot {
            // A bot token whose bot user we never learned is removed whenever any bot is
            // named: an app has one bot user per install.
            Some(bot) => {
                !bots.is_empty()
                    && bot
                        .bot_user_id
                        .as_ref()
                        .is_none_or(|bot_user| bots.contains(bot_user))
            }
            None => false,
        };
        if bot_revoked {
            bundle.bot = None;
        }
        let before = bundle.users.len();
        bundle.users.retain(|user, _| !users.contains(user));
        let users_revoked = before - bundle.users.len();
        if bundle.is_empty() {
            *slot = None;
        }
        (bot_revoked, users_revoked)
    })
    .await?;
    if !updated.changed {
        return Ok(());
    }
    let (bot_revoked, users_revoked) = updated.value;
    let detail = format!("bot token: {bot_revoked}; user tokens: {users_revoked}");
    audit(
        backend,
        id,
        actor::SLACK,
        AuditAction::TokensRevoked,
        detail,
        now,
    )
    .await?;
    info!(
        tenant = %id,
        bot_revoked,
        user_tokens_revoked = users_revoked,
        "tokens revoked"
    );
    Ok(())
}

/// Suspends an installed tenant: requests get a notice and no work is queued, and a
/// reinstall keeps it suspended. `actor` is who asked (audited). Suspending a suspended tenant
/// changes nothing; an uninstalled one is [`TenantError::Uninstalled`].
pub async fn suspend(
    backend: &Backend,
    id: &TenantId,
    actor: &str,
    now: i64,
) -> Result<(), TenantError> {
    operator_change(
        backend,
        id,
        actor,
        now,
        AuditAction::Suspend,
        |from| match from {
            TenantStatus::Active => Ok(Some(TenantStatus::Suspended)),
            TenantStatus::Suspended => Ok(None),
            TenantStatus::Uninstalled | TenantStatus::UninstalledSuspended => {
                Err(Refused::Uninstalled)
            }
        },
    )
    .await
}

/// Resumes a suspended tenant: the one way a suspension is lifted. Resuming an active tenant
/// changes nothing; an uninstalled one is [`TenantError::Uninstalled`] (it is resumed after it
/// reinstalls, which keeps it suspended until then).
pub async fn resume(
    backend: &Backend,
    id: &TenantId,
    actor: &str,
    now: i64,
) -> Result<(), TenantError> {
    operator_change(
        backend,
        id,
        actor,
        now,
        AuditAction::Resume,
        |from| match from {
            TenantStatus::Suspended => Ok(Some(TenantStatus::Active)),
            TenantStatus::Active => Ok(None),
            TenantStatus::Uninstalled | TenantStatus::UninstalledSuspended => {
                Err(Refused::Uninstalled)
            }
        },
    )
    .await
}

/// An operator's status change ([`change_status`]), audited as `action` when it changed
/// something.
async fn operator_change(
    backend: &Backend,
    id: &TenantId,
    actor: &str,
    now: i64,
    action: AuditAction,
    decide: Decide,
) -> Result<(), TenantError> {
    if change_status(backend, id, now, decide).await?.is_some() {
        audit(backend, id, actor, action, "", now).await?;
    }
    Ok(())
}

/// The tenant's bot token, if it has one (possibly from the vault's short cache: for use, not
/// for a write).
pub async fn bot_token(backend: &Backend, id: &TenantId) -> Result<Option<BotToken>, VaultError> {
    Ok(backend.vault.get(id).await?.and_then(|b| b.bot))
}
