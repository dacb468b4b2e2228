//! Connecting a pasted Fathom API key: the commands function stored it in the user's pending
//! slot (it cannot call Fathom within Slack's 3 s, nor put a key on the queue); here it is
//! checked with one list call, then moved to the user's Fathom credential, or refused inline.

use app::ui::modals;
use followup::{ProviderError, RecorderAuth};
use tenant::JobEnvelope;
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::{ConnectRecorder, MeetingPicker};
use tenant::ports::update_credential;
use tracing::info;

use crate::Worker;
use crate::error::JobError;

/// What the user reads under the key field when Fathom refused it.
const REFUSED: &str = "Fathom did not accept that key. Copy it again from Settings → API Access \
                       and paste it here.";

impl Worker {
    pub(crate) async fn connect_recorder(
        &self,
        job: &JobEnvelope,
        connect: &ConnectRecorder,
    ) -> Result<(), JobError> {
        let followup = self.followup()?;
        let token = self.bot_token(job).await?;
        let pending_id = CredentialId::for_user(
            job.tenant.clone(),
            Provider::FathomPending,
            connect.user.clone(),
        );
        let Some(pending) = self.backend.credentials.get_fresh(&pending_id).await? else {
            // Already moved by an earlier attempt of this job (or the user pasted again and a
            // later job took it): show what is connected now.
            return self.connected(job, &token, connect).await;
        };
        let key = pending.value.access_token.clone();
        let view = match followup
            .recorder
            .verify(&RecorderAuth::ApiKey(key.clone()))
            .await
        {
            Ok(()) => {
                let id = CredentialId::for_user(
                    job.tenant.clone(),
                    Provider::Fathom,
                    connect.user.clone(),
                );
                update_credential(self.backend.credentials.as_ref(), &id, |slot| {
                    *slot = Some(Credential::new(key.clone()));
                })
                .await?;
                self.backend
                    .credentials
                    .delete(&pending_id, Some(&pending.version))
                    .await
                    .or_else(ignore_conflict)?;
                info!("Fathom connected for the user");
                return self.connected(job, &token, connect).await;
            }
            Err(ProviderError::Unauthorized) => {
                info!("Fathom refused the pasted key");
                self.backend
                    .credentials
                    .delete(&pending_id, Some(&pending.version))
                    .await
                    .or_else(ignore_conflict)?;
                modals::connect_fathom(Some(REFUSED))
            }
            Err(err) => return Err(err.into()),
        };
        self.web
            .update_view(&token, &connect.view_id, None, &view)
            .await?;
        Ok(())
    }

    /// After connecting, the modal becomes the meeting picker: the user came to pick one.
    async fn connected(
        &self,
        job: &JobEnvelope,
        token: &tenant::Secret,
        connect: &ConnectRecorder,
    ) -> Result<(), JobError> {
        let picker = MeetingPicker {
            user: connect.user.clone(),
            view_id: connect.view_id.clone(),
            day: 0,
            fall_back: true,
        };
        let view = self.picker_view(job, token, &picker).await?;
        self.web
            .update_view(token, &connect.view_id, None, &view)
            .await?;
        // The Home shows the new connection at once (the key may have come from its button).
        self.refresh_home(job, &connect.user).await;
        Ok(())
    }
}

/// A pending key replaced meanwhile (the user pasted another) is that newer job's to handle.
pub(crate) fn ignore_conflict(
    err: tenant::ports::CredentialError,
) -> Result<(), tenant::ports::CredentialError> {
    match err {
        tenant::ports::CredentialError::Conflict => Ok(()),
        other => Err(other),
    }
}
