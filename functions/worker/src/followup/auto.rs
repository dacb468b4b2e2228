//! Automatic follow-ups: `/followup auto on` registers a webhook at Fathom for the user's own
//! recordings, delivering to `{PUBLIC_BASE_URL}/webhooks/fathom?r=<tenant>.<user>`, and keeps
//! its secret (and id) as the user's `FathomWebhook` credential, which is what the webhooks
//! function verifies deliveries with; `off` deletes it at Fathom, then here.
//!
//! Exactly once: registering is one step of the job, and the credential is written in that
//! step right after Fathom answers, so a redelivered job registers nothing more. Fathom has no
//! way to list webhooks (fathom.md), so a crash between Fathom's answer and the write leaves a
//! webhook whose secret nobody kept: its deliveries fail verification (401) and queue nothing.

use followup::webhook::Registration;
use followup::{ProviderError, WebhookRegistration};
use slack::Message;
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::idempotency::Attempt;
use tenant::job::{AutoFollowups, QuotaReached};
use tenant::ports::{CredentialError, Expected};
use tenant::{JobEnvelope, UserId};
use tracing::{info, warn};

use crate::Worker;
use crate::error::JobError;

/// What the user reads: what happened and what to do next.
mod say {
    pub const ON: &str = ":white_check_mark: Automatic follow-ups are on. When Fathom has \
        processed a meeting you recorded, I'll DM you its follow-up, no command needed. \
        Turn them off with `/followup auto off`.";
    pub const ALREADY_ON: &str = "Automatic follow-ups are already on. Turn them off with \
        `/followup auto off`.";
    pub const OFF: &str = "Automatic follow-ups are off. Pick a meeting with `/followup` \
        whenever you want a follow-up.";
    pub const ALREADY_OFF: &str = "Automatic follow-ups were not on. Turn them on with \
        `/followup auto on`.";
    pub const OFF_LEFT_AT_FATHOM: &str = "Automatic follow-ups are off: Switchboard ignores \
        anything Fathom still sends. Fathom no longer accepts your key, so its webhook may \
        still be listed in Fathom under Settings → API Access; you can delete it there.";
    pub const CONNECT_FIRST: &str = "Connect Fathom first: run `/followup connect`, then \
        `/followup auto on`.";
    pub const RECONNECT: &str = "Fathom no longer accepts your key: run `/followup connect` \
        to reconnect, then `/followup auto on` again.";
    pub const NOT_HERE: &str = "Automatic follow-ups are not set up on this Switchboard \
        server (it has no public address for Fathom to reach). Please tell your Switchboard \
        admin; you can still pick meetings with `/followup`.";
}

impl Worker {
    pub(crate) async fn auto_followups(
        &self,
        job: &JobEnvelope,
        auto: &AutoFollowups,
    ) -> Result<(), JobError> {
        let text = if auto.on {
            self.auto_on(job, &auto.user).await?
        } else {
            self.auto_off(job, &auto.user).await?
        };
        self.tell(job, &auto.user, text).await
    }

    async fn auto_on(&self, job: &JobEnvelope, user: &UserId) -> Result<&'static str, JobError> {
        let followup = self.followup()?;
        let Some(base) = self.public_base_url.as_deref() else {
            warn!("automatic follow-ups asked for, but PUBLIC_BASE_URL is not set");
            return Ok(say::NOT_HERE);
        };
        let Some(auth) = self.recorder_auth(&job.tenant, user).await? else {
            return Ok(say::CONNECT_FIRST);
        };
        let id = CredentialId::for_user(job.tenant.clone(), Provider::FathomWebhook, user.clone());
        let destination = Registration {
            tenant: job.tenant.clone(),
            user: user.clone(),
        }
        .destination(base);
        let store = self.backend.credentials.as_ref();
        let webhooks = followup.webhooks.as_ref();
        let mut already_on = false;
        let (already_ref, auth_ref, id_ref, destination_ref) =
            (&mut already_on, &auth, &id, &destination);
        let registered = self
            .step(job, "register", |attempt| async move {
                // One webhook per user: one already stored (an earlier `on`, or this job's
                // earlier attempt) is kept, and nothing more is registered.
                if store.get_fresh(id_ref).await?.is_some() {
                    *already_ref = attempt == Attempt::Fresh;
                    return Ok(());
                }
                let registration = webhooks.register(auth_ref, destination_ref).await?;
                let Err(err) = keep(store, id_ref, &registration).await else {
                    return Ok(());
                };
                // Not kept, so its deliveries could never verify: remove it (best effort; if
                // this fails, it only ever gets 401s).
                if let Err(e) = webhooks.unregister(auth_ref, &registration.id).await {
                    warn!(error = %e, "could not remove a webhook that was not kept");
                }
                match err {
                    // A concurrent `on` stored its own first: that one stands.
                    CredentialError::Conflict => Ok(()),
                    other => Err(other.into()),
                }
            })
            .await;
        match registered {
            Ok(()) if already_on => Ok(say::ALREADY_ON),
            Ok(()) => {
                info!("automatic follow-ups on");
                Ok(say::ON)
            }
            Err(JobError::Provider(ProviderError::Unauthorized)) => Ok(say::RECONNECT),
            Err(err) => Err(err),
        }
    }

    pub(super) async fn auto_off(
        &self,
        job: &JobEnvelope,
        user: &UserId,
    ) -> Result<&'static str, JobError> {
        let followup = self.followup()?;
        let id = CredentialId::for_user(job.tenant.clone(), Provider::FathomWebhook, user.clone());
        let auth = self.recorder_auth(&job.tenant, user).await?;
        let store = self.backend.credentials.as_ref();
        let webhooks = followup.webhooks.as_ref();
        let mut was_off = false;
        let mut left_at_fathom = false;
        let (was_off_ref, left_ref, auth_ref, id_ref) =
            (&mut was_off, &mut left_at_fathom, &auth, &id);
        self.step(job, "unregister", |_| async move {
            let Some(stored) = store.get_fresh(id_ref).await? else {
                *was_off_ref = true;
                return Ok(());
            };
            // At Fathom first, then here: a failure in between leaves it on, and the retry
            // finishes (a webhook already deleted at Fathom is NotFound, which is done).
            match (auth_ref, stored.value.metadata.webhook_id.as_deref()) {
                (Some(auth), Some(webhook)) => match webhooks.unregister(auth, webhook).await {
                    Ok(()) | Err(ProviderError::NotFound) => {}
                    Err(ProviderError::Unauthorized) => *left_ref = true,
                    Err(err) => return Err(err.into()),
                },
                // Fathom disconnected meanwhile: nothing to delete it with.
                _ => *left_ref = true,
            }
            match store.delete(id_ref, Some(&stored.version)).await {
                // Changed meanwhile (another `on`/`off`): that job's outcome stands.
                Ok(()) | Err(CredentialError::Conflict) => Ok(()),
                Err(err) => Err(err.into()),
            }
        })
        .await?;
        info!(left_at_fathom, "automatic follow-ups off");
        Ok(if was_off {
            say::ALREADY_OFF
        } else if left_at_fathom {
            say::OFF_LEFT_AT_FATHOM
        } else {
            say::OFF
        })
    }

    /// A follow-up that arrived by webhook was over the month's quota: one DM to its user.
    pub(crate) async fn quota_reached(
        &self,
        job: &JobEnvelope,
        notice: &QuotaReached,
    ) -> Result<(), JobError> {
        let text = format!(
            ":no_entry: Fathom finished *{}*, but your workspace has used all {} follow-ups of \
             its plan this month, so no follow-up was made. They come back on {} (UTC); a \
             workspace admin can move to a bigger plan before then. You can then pick this \
             meeting with `/followup`.",
            app::ui::escape_mrkdwn(&notice.title),
            notice.limit,
            tenant::time::day_label(notice.resets_at)
        );
        info!(
            limit = notice.limit,
            "over the monthly quota: the user is told"
        );
        self.dm_once(job, &notice.user, text).await
    }

    async fn dm_once(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        text: String,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let channel = self.web.open_dm(&token, user).await?;
        let msg = Message {
            channel: Some(channel),
            text,
            ..Message::default()
        };
        self.post_once(job, "dm", &token, msg).await
    }
}

/// Stores the registration as the user's webhook credential, if none is stored yet.
async fn keep(
    store: &dyn tenant::ports::Credentials,
    id: &CredentialId,
    registration: &WebhookRegistration,
) -> Result<(), CredentialError> {
    let mut credential = Credential::new(registration.secret.clone());
    credential.metadata.webhook_id = Some(registration.id.clone());
    store
        .put(id, &credential, &Expected::Absent)
        .await
        .map(|_| ())
}
