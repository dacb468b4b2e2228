//! Storing an OAuth install all-or-nothing.
//!
//! The writes go in an order where the tenant record is the commit point (`resolve` reads it
//! first, so nothing written before it is served): tokens (the bundle, then the incoming
//! webhook credential), installation, tenant record (installed, conditional on the record
//! read, keeping an operator's suspension), the provisioning job, and the audit entry last, so
//! that an `install`/`reinstall` entry exists only for an install that took effect. The token
//! writes are conditional read-modify-writes ([`update_bundle`]), so a refresh or revocation
//! racing the install is neither undone nor undoes it. When any write fails, what this attempt
//! wrote is put back the way it was: the previous bundle, webhook, installation and tenant
//! record on a reinstall, the bundle deleted on a first install. The token rollbacks are
//! conditional on the version this attempt wrote, and the tenant record's on the status it
//! wrote: a later writer's change (a refresh, an operator's suspension) stays, and that is
//! logged. The ports have no delete for tenant records, so a first install whose tenant record
//! was already written is rolled back to `uninstalled` (not served, no tokens; the next install
//! completes it), and its installation metadata stays behind unserved until then. A queued
//! provisioning job of a rolled-back install finds the tenant not active and is dropped by the
//! worker.

use tracing::{error, info};

use crate::audit::{AuditAction, AuditEvent};
use crate::credential::{Credential, CredentialId, Provider};
use crate::ids::TenantId;
use crate::job::{JobEnvelope, JobKind, SlackContext};
#[cfg(doc)]
use crate::model::TenantStatus;
use crate::model::{Installation, Tenant};
use crate::ports::{Backend, Expected, Version, update_bundle, update_credential};
use crate::secret::{BotToken, Secret, TokenBundle, UserToken};

use super::TenantError;

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
    /// The incoming webhook URL (a capability, hence a secret), when granted. Stored as the
    /// tenant's [`Provider::SlackIncomingWebhook`] credential.
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
    installation: Option<Installation>,
}

/// A token write of this attempt: what it replaced, the version it stored (`None`: the write
/// failed, and may or may not have landed) and the token it wrote, so that a rollback puts
/// back only this attempt's own write, never a later writer's.
struct TokenWrite<T> {
    replaced: Option<T>,
    stored: Option<Version>,
    ours: Secret,
}

/// How far an attempt got.
#[derive(Default)]
struct Written {
    bundle: Option<TokenWrite<TokenBundle>>,
    webhook: Option<TokenWrite<Credential>>,
    installation: bool,
    /// The record written and the one it replaced.
    tenant: Option<(Tenant, Option<Tenant>)>,
}

/// Stores an OAuth install (new or repeated) so that it either fully happens or leaves the
/// tenant as it was, then queues [`JobKind::Provision`] and audits `install` / `reinstall` with
/// actor `slack:<installer>`. `now_ms` is unix milliseconds.
///
/// A reinstall replaces the bot token, the installer's user token and the webhook, updates the
/// installation (scopes, bot ids), keeps every other user token and credential, and keeps the
/// tenant's plan, creation time and status as far as an operator set it: a suspended tenant
/// stays suspended ([`TenantStatus::on_install`]; only `resume` lifts it). Its members are not
/// touched.
pub async fn oauth_install(
    backend: &Backend,
    install: OAuthInstall,
    now_ms: i64,
) -> Result<Installed, TenantError> {
    let now = now_ms.div_euclid(1000);
    let id = install.installation.tenant.clone();
    // Reads first: a failure here has written nothing.
    let previous = Previous {
        installation: backend.tenants.get_installation(&id).await?,
    };
    let installer = install.installation.installer.clone();
    let scopes = format!(
        "bot scopes: {}; user scopes: {}",
        install.installation.bot_scopes.join(","),
        install.installation.user_scopes.join(",")
    );

    let mut written = Written::default();
    let webhook_id = CredentialId::tenant_wide(id.clone(), Provider::SlackIncomingWebhook);
    let attempt = async {
        let mut replaced = None;
        let updated = update_bundle(backend.vault.as_ref(), &id, |slot| {
            replaced = slot.clone();
            let bundle = slot.get_or_insert_with(TokenBundle::default);
            bundle.bot = Some(install.bot.clone());
            if let (Some(user), Some(token)) = (&installer, &install.user_token) {
                bundle.users.insert(user.clone(), token.clone());
            }
        })
        .await;
        // Recorded before `?`: a failed conditional write may still have landed.
        written.bundle = Some(TokenWrite {
            replaced,
            stored: updated.as_ref().ok().and_then(|u| u.version.clone()),
            ours: install.bot.token.clone(),
        });
        updated?;
        if let Some(url) = &install.webhook_url {
            let mut replaced = None;
            let updated = update_credential(backend.credentials.as_ref(), &webhook_id, |slot| {
                replaced = slot.clone();
                *slot = Some(Credential::new(url.clone()));
            })
            .await;
            written.webhook = Some(TokenWrite {
                replaced,
                stored: updated.as_ref().ok().and_then(|u| u.version.clone()),
                ours: url.clone(),
            });
            updated?;
        }
        backend
            .tenants
            .put_installation(&install.installation)
            .await?;
        written.installation = true;
        let (tenant, replaced) = super::commit_install(backend, &id, install.name, now).await?;
        written.tenant = Some((tenant.clone(), replaced.clone()));
        let reinstall = replaced.is_some();
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
        backend.queue.enqueue(&job).await?;
        let detail = if tenant.status.is_suspended() {
            format!("{scopes}; stays suspended")
        } else {
            scopes
        };
        let event = AuditEvent {
            actor: installer
                .as_ref()
                .map_or_else(|| "slack".to_owned(), |u| format!("slack:{u}")),
            action: if reinstall {
                AuditAction::Reinstall
            } else {
                AuditAction::Install
            },
            detail,
            at: now,
        };
        backend.audit.append(&id, event).await?;
        Ok::<_, TenantError>(Installed {
            tenant,
            reinstall,
            job,
        })
    }
    .await;
    match attempt {
        Ok(installed) => {
            info!(
                tenant = %id,
                reinstall = installed.reinstall,
                status = installed.tenant.status.as_str(),
                "tenant installed through OAuth"
            );
            Ok(installed)
        }
        Err(err) => {
            error!(tenant = %id, error = %err, "install failed part-way; rolling back");
            roll_back(backend, &id, &previous, &written, now).await;
            Err(err)
        }
    }
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
    // Conditional on the status this attempt wrote: an operator's change made since stays.
    if let Some((tenant, replaced)) = &written.tenant {
        let restored = match replaced {
            Some(before) => backend.tenants.put_if(before, Some(tenant.status)).await,
            None => {
                backend
                    .tenants
                    .set_status_if(id, tenant.status, tenant.status.on_uninstall(), now)
                    .await
            }
        };
        match restored {
            Ok(true) => {}
            Ok(false) => error!(tenant = %id, "rollback: tenant record changed meanwhile; kept"),
            Err(err) => error!(tenant = %id, error = %err, "rollback: tenant record not restored"),
        }
    }
    if written.installation
        && let Some(installation) = &previous.installation
        && let Err(err) = backend.tenants.put_installation(installation).await
    {
        error!(tenant = %id, error = %err, "rollback: installation not restored");
    }
    if let Some(write) = &written.webhook
        && let Err(err) = restore_webhook(backend, id, write).await
    {
        error!(tenant = %id, error = %err, "rollback: webhook credential not restored");
    }
    if let Some(write) = &written.bundle
        && let Err(err) = restore_bundle(backend, id, write).await
    {
        error!(tenant = %id, error = %err, "rollback: token bundle not restored");
    }
}

/// Puts back the bundle this attempt replaced. After a write that succeeded, conditional on
/// the version it stored; after one that failed (it may still have landed), only if the stored
/// bot token is still the one this attempt wrote.
async fn restore_bundle(
    backend: &Backend,
    id: &TenantId,
    write: &TokenWrite<TokenBundle>,
) -> Result<(), TenantError> {
    let vault = backend.vault.as_ref();
    match (&write.stored, &write.replaced) {
        (Some(ours), Some(old)) => {
            vault.put(id, old, &Expected::At(ours.clone())).await?;
        }
        (Some(ours), None) => vault.remove(id, ours).await?,
        (None, replaced) => {
            update_bundle(vault, id, |slot| {
                let landed = slot
                    .as_ref()
                    .and_then(|b| b.bot.as_ref())
                    .is_some_and(|bot| bot.token == write.ours);
                if landed {
                    slot.clone_from(replaced);
                }
            })
            .await?;
        }
    }
    Ok(())
}

/// The same for the webhook credential.
async fn restore_webhook(
    backend: &Backend,
    id: &TenantId,
    write: &TokenWrite<Credential>,
) -> Result<(), TenantError> {
    let store = backend.credentials.as_ref();
    let webhook = CredentialId::tenant_wide(id.clone(), Provider::SlackIncomingWebhook);
    match (&write.stored, &write.replaced) {
        (Some(ours), Some(old)) => {
            store
                .put(&webhook, old, &Expected::At(ours.clone()))
                .await?;
        }
        (Some(ours), None) => store.delete(&webhook, Some(ours)).await?,
        (None, replaced) => {
            update_credential(store, &webhook, |slot| {
                if slot.as_ref().is_some_and(|c| c.access_token == write.ours) {
                    slot.clone_from(replaced);
                }
            })
            .await?;
        }
    }
    Ok(())
}
