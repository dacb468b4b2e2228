//! Connections a user made or removed: [`JobKind::Disconnect`](tenant::JobKind) revokes the
//! grant at the provider where there is a revocation endpoint (Google), then deletes the
//! stored credential, audits it and confirms it; [`JobKind::Connected`](tenant::JobKind) (from
//! the connect function's callback) tells the user which account was connected, so a wrong one
//! is seen at once. Both republish the user's Home, which shows what is connected.
//!
//! Each side effect is a step of the job (`tenant::once` underneath): a redelivery neither
//! revokes, audits nor posts twice, and a revoke that failed for a while is retried before
//! anything is deleted, so the token is never dropped while Google still honours it.

use connectors::oauth2::OAuthError;
use followup::ProviderError;
use tenant::audit::{AuditAction, AuditEvent};
use tenant::job::{Connected, Disconnect};
use tenant::{CredentialId, JobEnvelope, Provider, Tenant, UserId};
use tracing::{info, warn};

use crate::Worker;
use crate::error::JobError;

/// The name users read for a provider.
fn name(provider: Provider) -> &'static str {
    match provider {
        Provider::Google => "Google",
        Provider::Fathom | Provider::FathomPending => "Fathom",
        _ => "the account",
    }
}

/// A revocation failure as the job sees it: throttling and outages are retried (the
/// credential is kept until Google confirms); a refusal is permanent and not worth keeping the
/// user's connection for.
fn revoke_error(err: OAuthError) -> Result<(), JobError> {
    match err {
        err if err.is_retryable() => Err(JobError::Provider(match err {
            OAuthError::Http(connectors::ConnectorError::RateLimited { retry_after, .. }) => {
                ProviderError::RateLimited { retry_after }
            }
            _ => ProviderError::Unavailable,
        })),
        err => {
            warn!(error = %err, "the provider refused the revocation; the credential is deleted anyway");
            Ok(())
        }
    }
}

impl Worker {
    pub(crate) async fn disconnect(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        disconnect: &Disconnect,
    ) -> Result<(), JobError> {
        let Disconnect { user, provider } = disconnect;
        if !Disconnect::allows(*provider) {
            // Ingress refuses these; a job naming one is a producer bug, not retried.
            return Err(JobError::BadPayload(
                "only a user's own Fathom or Google can be disconnected",
            ));
        }
        if *provider == Provider::Fathom && self.followup.is_some() {
            // Automatic follow-ups go with it: their webhook is deleted at Fathom while the
            // user's key still works (a step of this job, so a rerun does not repeat it).
            self.auto_off(job, user).await?;
        }
        let id = CredentialId::for_user(job.tenant.clone(), *provider, user.clone());
        let stored = self.backend.credentials.get_fresh(&id).await?;
        let google = self.followup.as_ref().and_then(|f| f.google_oauth.clone());
        if let (Some(stored), Provider::Google) = (&stored, provider) {
            match &google {
                // Either token ends the whole grant at Google; the refresh token outlives the
                // access token, so it is the one sure to be known.
                Some(oauth) => {
                    let token = stored
                        .value
                        .refresh_token
                        .clone()
                        .unwrap_or_else(|| stored.value.access_token.clone());
                    self.step(job, "revoke", |_| async {
                        match oauth.revoke(&token).await {
                            Ok(()) => {
                                info!("grant revoked at Google");
                                Ok(())
                            }
                            Err(err) => revoke_error(err),
                        }
                    })
                    .await?;
                }
                None => warn!("Google is not configured here: the grant is deleted unrevoked"),
            }
        }
        // Audited before the delete: a retry after a failed delete still finds the credential,
        // and the done step is not repeated.
        if stored.is_some() {
            self.audit_once(job, user, AuditAction::Disconnected, *provider)
                .await?;
        }
        // Unconditional: whatever the user had is gone, also a grant stored meanwhile (and a
        // Fathom key still pending its check).
        self.backend.credentials.delete(&id, None).await?;
        if *provider == Provider::Fathom {
            let pending =
                CredentialId::for_user(job.tenant.clone(), Provider::FathomPending, user.clone());
            self.backend.credentials.delete(&pending, None).await?;
        }
        info!(provider = %provider, "disconnected");
        // True on a first run and on a rerun after the delete alike.
        let text = match provider {
            Provider::Google => ":white_check_mark: Google is disconnected: Switchboard holds no \
                 access to your account any more, and a grant it had is revoked at Google."
                .to_owned(),
            other => format!(
                ":white_check_mark: {} is disconnected: Switchboard holds no access to your \
                 account any more.",
                name(*other)
            ),
        };
        self.tell(job, user, text).await?;
        self.republish_home(job, tenant, user).await
    }

    pub(crate) async fn announce_connection(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        connected: &Connected,
    ) -> Result<(), JobError> {
        if let Some(kind) = followup::crm::CrmKind::from_provider(connected.provider) {
            return self.crm_connected(job, tenant, connected, kind).await;
        }
        let Connected { user, provider } = connected;
        let id = CredentialId::for_user(job.tenant.clone(), *provider, user.clone());
        let Some(stored) = self.backend.credentials.get(&id).await? else {
            // Disconnected again before this ran: nothing to announce.
            return Ok(());
        };
        let account = match &stored.value.metadata.account_email {
            Some(email) => format!(" as *{}*", app::ui::escape_mrkdwn(email)),
            None => String::new(),
        };
        let uses = match provider {
            Provider::Google => "Gmail drafts and Calendar events from your follow-ups",
            _ => "reading your meetings",
        };
        let text = format!(
            ":white_check_mark: {} is connected{account}. Switchboard uses it for {uses}, \
             nothing else. Not you, or changed your mind? `/followup disconnect {}`",
            name(*provider),
            provider.as_str()
        );
        self.tell(job, user, text).await?;
        self.republish_home(job, tenant, user).await
    }

    async fn audit_once(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        action: AuditAction,
        provider: Provider,
    ) -> Result<(), JobError> {
        self.step(job, "audit", |_| async {
            let event = AuditEvent {
                actor: format!("slack:{user}"),
                action,
                detail: provider.as_str().to_owned(),
                at: self.clock.unix_secs(),
            };
            self.backend.audit.append(&job.tenant, event).await?;
            Ok(())
        })
        .await
    }

    /// views.publish replaces the whole Home tab, so repeating it is harmless.
    async fn republish_home(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        user: &UserId,
    ) -> Result<(), JobError> {
        self.step(job, "home", |_| self.publish_home(job, tenant, user))
            .await
    }
}
