//! The workspace's CRM connections, an admin's business: the connection modal, a pasted key
//! checked with one call before it is saved (and never shown again), the default, and
//! disconnecting (revoked at the CRM where it can be). Every operation checks again that the
//! user who asked is an admin: the commands function checked first, this is the second lock.

use app::ui::crm::{ConnectionRow, ConnectionState, connections, key_form};
use app::ui::editor::Banner;
use followup::crm::{CrmError, CrmKind, PastedKey};
use followup::ports::{CrmConnection, update_settings};
use tenant::audit::{AuditAction, AuditEvent};
use tenant::job::{AdminOp, Connected};
use tenant::ports::update_credential;
use tenant::{CredentialId, JobEnvelope, Provider, Tenant, UserId};
use tracing::{info, warn};

use crate::Worker;
use crate::error::JobError;
use crate::followup::connect::ignore_conflict;

/// What a member who is not an admin reads.
pub(crate) const ADMINS_ONLY: &str = "Only a workspace admin can connect or change the CRM: ask \
     one of your Slack admins to run `/followup connect crm`.";

impl Worker {
    /// The connection modal (admins) in place of `view_id`, with `banner` on top.
    pub(crate) async fn crm_manage(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        banner: Option<Banner>,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let view = if self.is_admin(job, user).await? {
            self.connections_view(job, user, banner.as_ref()).await?
        } else {
            app::ui::modals::notice("CRM", ADMINS_ONLY)
        };
        self.web.update_view(&token, view_id, None, &view).await?;
        Ok(())
    }

    async fn connections_view(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        banner: Option<&Banner>,
    ) -> Result<serde_json::Value, JobError> {
        let parts = self.crm_parts()?;
        let settings = parts
            .directory
            .settings(&job.tenant)
            .await?
            .map(|v| v.value)
            .unwrap_or_default();
        let now = self.clock.unix_secs();
        // What can be connected here, and what is connected even if it no longer can be
        // (its OAuth client was removed): an admin must still see it broken and disconnect it.
        let mut kinds = parts.crms.connectable();
        for c in &settings.connections {
            if !kinds.contains(&c.kind) {
                kinds.push(c.kind);
            }
        }
        let rows: Vec<ConnectionRow> = kinds
            .into_iter()
            .map(|kind| ConnectionRow {
                value: kind.as_str().to_owned(),
                name: kind.name().to_owned(),
                state: match settings.connection(kind) {
                    None => ConnectionState::NotConnected,
                    Some(c) => ConnectionState::Connected {
                        default: settings.default == Some(kind),
                        label: c.label.clone(),
                        broken: c.broken_since.is_some(),
                    },
                },
                connect_url: match (&self.links, parts.crms.oauth(kind)) {
                    (Some(links), Some(_)) => {
                        Some(links.url(&job.tenant, user, kind.provider(), now))
                    }
                    _ => None,
                },
                takes_key: kind.takes_api_key(),
            })
            .collect();
        Ok(connections(&rows, banner))
    }

    /// The pasted key: checked with the CRM, then stored as the workspace's connection (and
    /// the pending copy dropped), or the key form again saying it was refused.
    pub(crate) async fn crm_check_key(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        provider: Provider,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let Some(kind) = CrmKind::from_provider(provider).filter(|k| k.takes_api_key()) else {
            return Err(JobError::BadPayload("not a CRM that takes a key"));
        };
        let pending_id =
            CredentialId::for_user(job.tenant.clone(), Provider::CrmPending, user.clone());
        if !self.is_admin(job, user).await? {
            self.backend.credentials.delete(&pending_id, None).await?;
            let notice = app::ui::modals::notice("CRM", ADMINS_ONLY);
            self.web.update_view(&token, view_id, None, &notice).await?;
            return Ok(());
        }
        let Some(pending) = self.backend.credentials.get_fresh(&pending_id).await? else {
            // Checked by an earlier attempt of this job: show what is connected now.
            return self.crm_manage(job, user, view_id, None).await;
        };
        if pending.value.metadata.pending_for != Some(provider) {
            // A paste for another CRM replaced it meanwhile; that one's job checks it.
            return Ok(());
        }
        let key = PastedKey::of_credential(&pending.value);
        let parts = self.crm_parts()?;
        let (Some(crm), Some(access)) = (parts.crms.crm(kind), key.access(kind)) else {
            return Err(JobError::BadPayload("CRM not configured"));
        };
        let refused = |text: String| {
            key_form(
                kind.as_str(),
                kind.name(),
                kind == CrmKind::Crono,
                Some(&text),
            )
        };
        match crm.verify(&access).await {
            Ok(()) => {}
            Err(CrmError::Unauthorized | CrmError::NotFound | CrmError::Invalid(_)) => {
                self.backend
                    .credentials
                    .delete(&pending_id, Some(&pending.version))
                    .await
                    .or_else(ignore_conflict)?;
                info!(crm = %kind, "pasted key refused by the CRM");
                let view = refused(format!(
                    "{kind} did not accept that key. Copy it again from {kind}'s settings and \
                     paste it here."
                ));
                self.web.update_view(&token, view_id, None, &view).await?;
                return Ok(());
            }
            Err(CrmError::Unsupported) => {
                return Err(JobError::BadPayload("the CRM cannot check a key"));
            }
            Err(CrmError::RateLimited { retry_after }) => {
                return Err(JobError::Provider(followup::ProviderError::RateLimited {
                    retry_after,
                }));
            }
            Err(CrmError::Unavailable) => {
                return Err(JobError::Provider(followup::ProviderError::Unavailable));
            }
        }
        let id = CredentialId::tenant_wide(job.tenant.clone(), provider);
        let credential = key.credential();
        update_credential(self.backend.credentials.as_ref(), &id, |slot| {
            *slot = Some(credential.clone());
        })
        .await?;
        self.connected_in_settings(job, user, kind).await?;
        self.backend
            .credentials
            .delete(&pending_id, Some(&pending.version))
            .await
            .or_else(ignore_conflict)?;
        self.audit_crm(job, user, AuditAction::Connected, kind)
            .await?;
        info!(crm = %kind, "CRM connected by key");
        let banner = Banner::Done {
            text: format!("{kind} is connected: follow-ups can be logged there now"),
            link: None,
        };
        self.crm_manage(job, user, view_id, Some(banner)).await
    }

    async fn connected_in_settings(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        kind: CrmKind,
    ) -> Result<(), JobError> {
        let connection = CrmConnection {
            kind,
            connected_by: user.clone(),
            connected_at: self.clock.unix_secs(),
            label: None,
            broken_since: None,
        };
        update_settings(self.crm_parts()?.directory.as_ref(), &job.tenant, |s| {
            s.connect(connection.clone());
        })
        .await?;
        Ok(())
    }

    async fn audit_crm(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        action: AuditAction,
        kind: CrmKind,
    ) -> Result<(), JobError> {
        self.step(job, "audit", |_| async {
            let event = AuditEvent {
                actor: format!("slack:{user}"),
                action,
                detail: kind.provider().as_str().to_owned(),
                at: self.clock.unix_secs(),
            };
            self.backend.audit.append(&job.tenant, event).await?;
            Ok(())
        })
        .await
    }

    /// "Make default" and "Disconnect".
    pub(crate) async fn crm_admin(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        provider: Provider,
        op: AdminOp,
    ) -> Result<(), JobError> {
        let Some(kind) = CrmKind::from_provider(provider) else {
            return Err(JobError::BadPayload("not a CRM"));
        };
        if !self.is_admin(job, user).await? {
            return self.crm_manage(job, user, view_id, None).await;
        }
        let parts = self.crm_parts()?;
        let banner = match op {
            AdminOp::MakeDefault => {
                update_settings(parts.directory.as_ref(), &job.tenant, |s| {
                    if s.connection(kind).is_some() {
                        s.default = Some(kind);
                    }
                })
                .await?;
                info!(crm = %kind, "default CRM changed");
                format!("Follow-ups are logged in {kind} now")
            }
            AdminOp::Disconnect => {
                self.disconnect_crm(job, user, kind).await?;
                format!("{kind} is disconnected: Switchboard holds no access to it any more")
            }
        };
        let banner = Banner::Done {
            text: banner,
            link: None,
        };
        self.crm_manage(job, user, view_id, Some(banner)).await
    }

    /// Revokes the grant at the CRM where it has an endpoint (a step: a redelivery does not
    /// revoke twice), then deletes the credential, the connection and its account mappings
    /// (another account connected later would not have the same ids).
    async fn disconnect_crm(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        kind: CrmKind,
    ) -> Result<(), JobError> {
        let parts = self.crm_parts()?;
        let id = CredentialId::tenant_wide(job.tenant.clone(), kind.provider());
        let stored = self.backend.credentials.get_fresh(&id).await?;
        if let Some(stored) = &stored {
            self.step(job, "revoke", |_| async {
                // Best effort: a CRM that refuses or lacks revocation still loses our copy.
                match parts.crms.revoke(kind, &stored.value).await {
                    Ok(true) => info!(crm = %kind, "grant revoked at the CRM"),
                    Ok(false) => info!(crm = %kind, "nothing to revoke at the CRM"),
                    Err(err) => {
                        warn!(error = %err, crm = %kind, "the CRM did not revoke the grant; deleting it anyway");
                    }
                }
                Ok(())
            })
            .await?;
        }
        if stored.is_some() {
            self.audit_crm(job, user, AuditAction::Disconnected, kind)
                .await?;
        }
        self.backend.credentials.delete(&id, None).await?;
        update_settings(parts.directory.as_ref(), &job.tenant, |s| {
            s.disconnect(kind)
        })
        .await?;
        parts.directory.delete_mappings(&job.tenant, kind).await?;
        info!(crm = %kind, "CRM disconnected");
        Ok(())
    }

    /// The connect function stored a CRM grant (OAuth): record the connection and tell the
    /// admin who made it.
    pub(crate) async fn crm_connected(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        connected: &Connected,
        kind: CrmKind,
    ) -> Result<(), JobError> {
        let id = CredentialId::tenant_wide(job.tenant.clone(), kind.provider());
        if self.backend.credentials.get(&id).await?.is_none() {
            // Disconnected again before this ran.
            return Ok(());
        }
        self.connected_in_settings(job, &connected.user, kind)
            .await?;
        let text = format!(
            ":white_check_mark: *{kind}* is connected for this workspace: follow-ups can be \
             logged there from the edit modal (\"Log to CRM\", \"Deals\", \"Create task\"). \
             Switchboard uses this connection for nothing else. Manage it with \
             `/followup connect crm`."
        );
        self.tell(job, &connected.user, text).await?;
        self.step(job, "home", |_| {
            self.publish_home(job, tenant, &connected.user)
        })
        .await
    }
}
