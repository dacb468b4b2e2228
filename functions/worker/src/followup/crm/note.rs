//! "Log to CRM": the follow-up's CRM note, as the user edited it, on the meeting's account,
//! once per follow-up.

use app::ui::editor::Banner;
use connectors::crms::Ready;
use followup::Session;
use followup::crm::{Account, CrmError, NewNote};
use followup::service::sessions::update_session;
use followup::session::{Artifact, ArtifactKind};
use tenant::idempotency::{Attempt, Once, Settle};
use tenant::job::{AccountUse, EditorAction};
use tenant::ports::LedgerKey;
use tenant::{JobEnvelope, Secret, UserId};
use tracing::{info, warn};

use super::account::Resolved;
use super::{Failed, crm_settle};
use crate::Worker;
use crate::error::JobError;

/// The ledger key of a follow-up's note: one per (user, recording), whichever job asks.
fn note_key(session: &Session) -> LedgerKey {
    LedgerKey::Effect(format!("crm-note#{}#{}", session.user, session.recording))
}

/// How the write ended.
enum Logged {
    Written(Artifact),
    /// An earlier try may have written it (it died or timed out after sending): not written
    /// again blindly, the user is asked to look.
    Unconfirmed,
}

impl Worker {
    pub(super) async fn crm_log_note(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        action: &EditorAction,
        session: &Session,
    ) -> Result<(), JobError> {
        let view_id = action.view_id.as_str();
        if let Some(done) = logged_before(session) {
            return self
                .back_to_editor(token, view_id, session, already(done))
                .await;
        }
        let note = session
            .current_draft()
            .map(|d| d.crm_note.trim().to_owned());
        if note.as_deref().is_none_or(str::is_empty) {
            let banner = Banner::Error("The CRM note is empty: write it, then log it.".into());
            return self.back_to_editor(token, view_id, session, banner).await;
        }
        let ready = match self.crm_ready(job, &action.user).await? {
            Ok(ready) => ready,
            Err(banner) => return self.back_to_editor(token, view_id, session, banner).await,
        };
        match self.crm_account(job, &ready, session).await? {
            Ok(Resolved::Found(account)) => {
                self.note_on(job, token, view_id, &action.user, session, &ready, &account)
                    .await
            }
            Ok(Resolved::Choose { prompt, candidates }) => {
                self.show_chooser(
                    token,
                    view_id,
                    session,
                    AccountUse::Note,
                    ready.kind.name(),
                    &prompt,
                    &candidates,
                )
                .await
            }
            Err(err) => {
                self.crm_error_in_editor(job, token, view_id, session, &ready, err, "the note")
                    .await
            }
        }
    }

    /// Writes the note on `account` once, records it in the session, and shows the edit
    /// modal with "Open in <CRM>".
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn note_on(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        view_id: &str,
        user: &UserId,
        session: &Session,
        ready: &Ready<'_>,
        account: &Account,
    ) -> Result<(), JobError> {
        let Some(body) = session.current_draft().map(|d| d.crm_note.clone()) else {
            return self.gone(token, view_id).await;
        };
        let note = NewNote {
            body,
            at: session.meeting_started_at,
        };
        let followup = self.followup()?;
        let key = session.key();
        let ran = self
            .effect_once(job, note_key(session), |attempt| async move {
                if attempt == Attempt::Recovery {
                    // The CRM may hold the note already and none of them takes an
                    // idempotency key: never write it twice, ask the user to look.
                    warn!("an earlier try of this note may have reached the CRM: not repeated");
                    return Settle::Done {
                        value: Logged::Unconfirmed,
                        outcome: "unconfirmed".to_owned(),
                    };
                }
                let written = ready
                    .crm
                    .create_note(&ready.access, &account.id, &note)
                    .await;
                let Ok(written) = written else {
                    return crm_settle(written.map(|_| Logged::Unconfirmed));
                };
                let artifact = Artifact {
                    kind: ArtifactKind::CrmNote,
                    id: written.id.as_str().to_owned(),
                    link: written.link,
                };
                let recorded = artifact.clone();
                // Recorded in the session so that "Log to CRM" pressed again says where it
                // is; a failure here is logged, the note stays logged once (the ledger).
                if let Err(err) = update_session(
                    followup.sessions.as_ref(),
                    &key,
                    self.now(),
                    followup.retention,
                    |s| {
                        s.artifacts.push(recorded.clone());
                        true
                    },
                )
                .await
                {
                    warn!(error = %err, "the note is logged but the session could not record it");
                }
                Settle::Done {
                    value: Logged::Written(artifact),
                    outcome: "written".to_owned(),
                }
            })
            .await?;
        let crm = ready.kind;
        let banner = match ran {
            Once::Ran(Ok(Logged::Written(artifact))) => {
                info!(crm = %crm, "note logged");
                Banner::Done {
                    text: format!("Note logged on {} in {crm}", account.name),
                    link: Some((format!("Open in {crm}"), artifact.link)),
                }
            }
            Once::Ran(Ok(Logged::Unconfirmed)) => Banner::Needs {
                text: format!(
                    "Switchboard could not confirm that {crm} saved the note (it stopped \
                     answering). Look at the account before logging it again:"
                ),
                link: (format!("Open {}", account.name), account.link.clone()),
            },
            Once::Ran(Err(err)) => match self.crm_failed(job, user, crm, err, "the note").await? {
                Failed::Banner(banner) => banner,
                Failed::Retry(err) => return Err(err),
            },
            Once::AlreadyDone { .. } | Once::Busy => {
                // Another press of the button did it (or is doing it): say where.
                let fresh = self.own_session(job, user, session.recording.get()).await?;
                match fresh.as_ref().and_then(logged_before) {
                    Some(done) => already(done),
                    None => Banner::Done {
                        text: format!("The note is being logged in {crm}"),
                        link: Some((format!("Open {}", account.name), account.link.clone())),
                    },
                }
            }
        };
        let shown = self
            .own_session(job, user, session.recording.get())
            .await?
            .unwrap_or_else(|| session.clone());
        self.back_to_editor(token, view_id, &shown, banner).await
    }

    /// A CRM error before anything was written, in the edit modal (or a retry).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn crm_error_in_editor(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        view_id: &str,
        session: &Session,
        ready: &Ready<'_>,
        err: CrmError,
        what: &str,
    ) -> Result<(), JobError> {
        match self
            .crm_failed(job, &session.user, ready.kind, err, what)
            .await?
        {
            Failed::Banner(banner) => self.back_to_editor(token, view_id, session, banner).await,
            Failed::Retry(err) => Err(err),
        }
    }
}

fn logged_before(session: &Session) -> Option<&Artifact> {
    session
        .artifacts
        .iter()
        .rev()
        .find(|a| a.kind == ArtifactKind::CrmNote)
}

fn already(done: &Artifact) -> Banner {
    Banner::Done {
        text: "This follow-up's note is already logged in the CRM".into(),
        link: Some(("Open the note".into(), done.link.clone())),
    }
}
