//! "Log to CRM": the follow-up's CRM note, as the user edited it, on the meeting's account,
//! once per follow-up.

use app::ui::editor::Banner;
use connectors::crms::Ready;
use followup::crm::{Account, CrmError, CrmKind, NewNote, note_marker};
use followup::service::sessions::update_session;
use followup::session::{Artifact, ArtifactKind};
use followup::{RecordingId, Session};
use tenant::idempotency::{Attempt, Once, Settle};
use tenant::job::{AccountUse, EditorAction};
use tenant::ports::LedgerKey;
use tenant::{JobEnvelope, Secret, TenantId, UserId};
use tracing::{info, warn};

use super::account::Resolved;
use super::{Failed, crm_settle};
use crate::Worker;
use crate::error::JobError;

/// The ledger key of a follow-up's note: one per (user, recording), whichever job asks.
fn note_key(session: &Session) -> LedgerKey {
    LedgerKey::Effect(note_key_text(&session.user, session.recording))
}

fn note_key_text(user: &UserId, recording: RecordingId) -> String {
    format!("crm-note#{user}#{recording}")
}

/// The marker the note is written with and found by when a try's outcome is unknown: from
/// what makes the note unique (the tenant and the ledger key), so every process and every
/// redelivery derives the same one, and two workspaces never share one.
fn marker_of(tenant: &TenantId, user: &UserId, recording: RecordingId) -> String {
    note_marker(&format!("{tenant}#{}", note_key_text(user, recording)))
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
            marker: marker_of(&job.tenant, &session.user, session.recording),
        };
        let followup = self.followup()?;
        let key = session.key();
        let ran = self
            .effect_once(job, note_key(session), |attempt| async move {
                let found = if attempt == Attempt::Recovery {
                    // The CRM may hold the note already and none of them takes an
                    // idempotency key: look for the marker the earlier try wrote it with.
                    match ready
                        .crm
                        .find_note(&ready.access, &account.id, &note.marker)
                        .await
                    {
                        Ok(found) => found,
                        // Still unknown, and the next try must look again (never Release:
                        // a fresh try would write without looking).
                        Err(err) if err.is_transient() => return Settle::Abandon(err),
                        Err(err) => {
                            // No consistent lookup (Unsupported) or none possible now: never
                            // write it twice, ask the user to look.
                            warn!(error = %err, "an earlier try of this note may have reached the CRM: not repeated");
                            return Settle::Done {
                                value: Logged::Unconfirmed,
                                outcome: UNCONFIRMED.to_owned(),
                            };
                        }
                    }
                } else {
                    None
                };
                let written = match found {
                    Some(found) => {
                        info!("an earlier try's note was found by its marker: not written again");
                        Ok(found)
                    }
                    None => {
                        ready
                            .crm
                            .create_note(&ready.access, &account.id, &note)
                            .await
                    }
                };
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
            Once::Ran(Ok(Logged::Unconfirmed)) => unconfirmed(crm, account),
            Once::Ran(Err(err)) => match self.crm_failed(job, user, crm, err, "the note").await? {
                Failed::Banner(banner) => banner,
                Failed::Retry(err) => return Err(err),
            },
            // An earlier try's outcome stayed unknown: still unknown, and still not repeated
            // (not "being logged": nothing is).
            Once::AlreadyDone { outcome } if outcome == UNCONFIRMED => unconfirmed(crm, account),
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

/// The ledger outcome of a note whose write may or may not have reached the CRM.
const UNCONFIRMED: &str = "unconfirmed";

/// The note may be in the CRM; Switchboard does not write it twice, so the user looks.
fn unconfirmed(crm: CrmKind, account: &Account) -> Banner {
    Banner::Needs {
        text: format!(
            "Switchboard could not confirm that {crm} saved the note (it stopped answering), \
             and never writes a note twice: look at the account, and add the note there if it \
             is missing:"
        ),
        link: (format!("Open {}", account.name), account.link.clone()),
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

#[cfg(test)]
mod tests {
    use followup::crm::is_note_marker;

    use super::*;

    #[test]
    fn a_notes_marker_is_stable_and_differs_per_tenant_user_and_recording() {
        let t = TenantId::parse("T0MARK001").unwrap();
        let u = UserId::parse("U0MARK001").unwrap();
        let r = RecordingId::new(42);
        let m = marker_of(&t, &u, r);
        assert!(is_note_marker(&m), "{m}");
        // Pinned: a redelivery handled by another process (or version) derives the same.
        assert_eq!(m, note_marker("T0MARK001#crm-note#U0MARK001#42"));
        assert_eq!(m, marker_of(&t, &u, r));
        let other_tenant = TenantId::parse("T0MARK002").unwrap();
        let other_user = UserId::parse("U0MARK002").unwrap();
        assert_ne!(m, marker_of(&other_tenant, &u, r));
        assert_ne!(m, marker_of(&t, &other_user, r));
        assert_ne!(m, marker_of(&t, &u, RecordingId::new(43)));
    }
}
