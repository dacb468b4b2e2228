//! Storing an OAuth install all-or-nothing.
//!
//! The writes go in an order where the tenant record is the commit point (`resolve` reads it
//! first, so nothing written before it is served): tokens, installation, tenant record (active),
//! the provisioning job, and the audit entry last, so that an `install`/`reinstall` entry exists
//! only for an install that took effect. When any write fails, what this attempt wrote is put
//! back the way it was: the previous bundle, installation and tenant record on a reinstall, the
//! bundle deleted on a first install. The ports have no delete for tenant records, so a first
//! install whose tenant record was already written is rolled back to `uninstalled` (not served,
//! no tokens; the next install completes it), and its installation metadata stays behind
//! unserved until then. A queued provisioning job of a rolled-back install finds the tenant
//! not active and is dropped by the worker.

use tracing::{error, info};

use crate::audit::{AuditAction, AuditEvent};
use crate::ids::TenantId;
use crate::job::{JobEnvelope, JobKind, SlackContext};
use crate::model::{Installation, Tenant, TenantStatus};
use crate::ports::Backend;
use crate::secret::{BotToken, Secret, TokenBundle, UserToken};

use super::TenantError;

/// The key of the incoming-webhook URL in [`TokenBundle::integrations`].
pub const WEBHOOK_INTEGRATION: &str = "slack_incoming_webhook";

/// What an OAuth code exchange gave us, ready to store.
#[derive(Debug, Clone)]
pub struct OAuthInstall {
    /// `installation.installer` is the user who installed (gets `user_token`).
    pub installation: Installation,
    /// The workspace or org name shown to operators.
    pub name: String,
    pub bot: BotToken,
    /// The installer's user token, when user scopes were granted.
    pub user_token: Option<UserToken>,
    /// The incoming webhook URL (a capability, hence a secret), when granted.
    pub webhook_url: Option<Secret>,
}

/// The result of [`oauth_install`].
#[derive(Debug, Clone)]
pub struct Installed {
    pub tenant: Tenant,
    /// The tenant existed before (in any status): its plan, creation time and members are kept.
    pub reinstall: bool,
    /// The provisioning job that was queued.
    pub job: JobEnvelope,
}

/// What was there before this attempt, to put back on failure.
struct Previous {
    tenant: Option<Tenant>,
    installation: Option<Installation>,
    bundle: Option<TokenBundle>,
}

/// How far an attempt got.
#[derive(Default)]
struct Written {
    installation: bool,
    tenant: bool,
}

/// Stores an OAuth install (new or repeated) so that it either fully happens or leaves the
/// tenant as it was, then queues [`JobKind::Provision`] and audits `install` / `reinstall` with
/// actor `slack:<installer>`. `now_ms` is unix milliseconds.
///
/// A reinstall replaces the bot token, the installer's user token and the webhook, updates the
/// installation (scopes, bot ids), keeps every other user token and integration credential, and
/// keeps the tenant's plan and creation time (its members are not touched).
pub async fn oauth_install(
    backend: &Backend,
    install: OAuthInstall,
    now_ms: i64,
) -> Result<Installed, TenantError> {
    let now = now_ms.div_euclid(1000);
    let id = install.installation.tenant.clone();
    // Reads first: a failure here has written nothing.
    let previous = Previous {
        tenant: backend.tenants.get(&id).await?,
        installation: backend.tenants.get_installation(&id).await?,
        bundle: backend.vault.get(&id).await?,
    };
    let reinstall = previous.tenant.is_some();
    let installer = install.installation.installer.clone();

    let mut bundle = previous.bundle.clone().unwrap_or_default();
    bundle.bot = Some(install.bot);
    if let (Some(user), Some(token)) = (&installer, install.user_token) {
        bundle.users.insert(user.clone(), token);
    }
    if let Some(url) = install.webhook_url {
        bundle
            .integrations
            .insert(WEBHOOK_INTEGRATION.to_owned(), url);
    }
    let tenant = match &previous.tenant {
        Some(existing) => Tenant {
            name: install.name,
            status: TenantStatus::Active,
            updated_at: now,
            ..existing.clone()
        },
        None => Tenant::new(id.clone(), install.name, now),
    };
    let job = JobEnvelope::new(
        id.clone(),
        JobKind::Provision(crate::job::Provision {
            installer: installer.clone(),
            reinstall,
        }),
        SlackContext {
            user: installer.clone(),
            ..SlackContext::default()
        },
        now_ms,
    );
    let event = AuditEvent {
        actor: installer
            .as_ref()
            .map_or_else(|| "slack".to_owned(), |u| format!("slack:{u}")),
        action: if reinstall {
            AuditAction::Reinstall
        } else {
            AuditAction::Install
        },
        detail: format!(
            "bot scopes: {}; user scopes: {}",
            install.installation.bot_scopes.join(","),
            install.installation.user_scopes.join(",")
        ),
        at: now,
    };

    let mut written = Written::default();
    let attempt = async {
        backend.vault.put(&id, &bundle).await?;
        backend
            .tenants
            .put_installation(&install.installation)
            .await?;
        written.installation = true;
        backend.tenants.put(&tenant).await?;
        written.tenant = true;
        backend.queue.enqueue(&job).await?;
        backend.audit.append(&id, event).await?;
        Ok::<(), TenantError>(())
    }
    .await;
    if let Err(err) = attempt {
        error!(tenant = %id, error = %err, "install failed part-way; rolling back");
        roll_back(backend, &id, &previous, &written, now).await;
        return Err(err);
    }
    info!(tenant = %id, reinstall, "tenant installed through OAuth");
    Ok(Installed {
        tenant,
        reinstall,
        job,
    })
}

/// Puts back what an attempt wrote. Best effort: a store that just failed may fail again, and
/// that is logged (the attempt's error is what the caller reports).
async fn roll_back(
    backend: &Backend,
    id: &TenantId,
    previous: &Previous,
    written: &Written,
    now: i64,
) {
    if written.tenant {
        let restored = match &previous.tenant {
            Some(tenant) => backend.tenants.put(tenant).await,
            None => {
                backend
                    .tenants
                    .set_status(id, TenantStatus::Uninstalled, now)
                    .await
            }
        };
        if let Err(err) = restored {
            error!(tenant = %id, error = %err, "rollback: tenant record not restored");
        }
    }
    if written.installation
        && let Some(installation) = &previous.installation
        && let Err(err) = backend.tenants.put_installation(installation).await
    {
        error!(tenant = %id, error = %err, "rollback: installation not restored");
    }
    // The vault is restored even if its own put failed: a failed put may still have landed.
    let restored = match &previous.bundle {
        Some(bundle) => backend.vault.put(id, bundle).await,
        None => backend.vault.delete(id).await,
    };
    if let Err(err) = restored {
        error!(tenant = %id, error = %err, "rollback: token bundle not restored");
    }
}
