//! The edit modal: filled from the user's own session, and its actions run on the texts the
//! user had in it when they pressed (saved to the session first, so an action's error never
//! loses them). Results show in place as a banner with a link.

use app::ui::editor::{Banner, EditorTexts, editor};
use app::ui::modals;
use followup::service::sessions::update_session;
use followup::session::{Artifact, ArtifactKind};
use followup::{Draft, Email, EmailDraft, ProviderError, RecordingId, Session, SessionKey};
use tenant::credential::{CredentialId, Provider};
use tenant::job::{EditedTexts, EditorAction, EditorActionKind, OpenEditor};
use tenant::refresh::{CredentialSlot, RefreshError, RefreshPolicy, TokenError, fresh_token};
use tenant::{JobEnvelope, Secret, UserId};
use tracing::info;

/// Google access tokens live an hour: refresh within 5 minutes of the end, under a lease
/// longer than the OAuth client's 15 s bound per call.
const GOOGLE_REFRESH: RefreshPolicy = RefreshPolicy {
    margin: std::time::Duration::from_secs(300),
    lease: std::time::Duration::from_secs(30),
    wait: std::time::Duration::from_secs(10),
    poll: std::time::Duration::from_millis(50),
};

use crate::Worker;
use crate::error::JobError;

/// Shown when the session is gone (expired, or never this user's: the key is always the
/// user who pressed, so another user's recording id finds nothing).
pub(super) const GONE: &str = "This follow-up is no longer available (follow-ups are kept for 30 days). \
                    Run `/followup` to make a new one.";

pub(super) fn texts_of(draft: &Draft) -> EditorTexts {
    EditorTexts {
        summary: draft.summary.clone(),
        subject: draft.email.subject.clone(),
        body: draft.email.body.clone(),
        crm_note: draft.crm_note.clone(),
    }
}

fn edited(texts: &EditedTexts, previous: &Draft) -> Draft {
    Draft {
        summary: texts.summary.clone(),
        email: Email {
            subject: texts.subject.clone(),
            body: texts.body.clone(),
        },
        crm_note: texts.crm_note.clone(),
        follow_up: previous.follow_up.clone(),
    }
}

/// What a provider failure tells the user in the banner.
pub(super) fn banner_for(err: &ProviderError, what: &str) -> Banner {
    Banner::Error(match err {
        ProviderError::Unauthorized => {
            format!("Google refused the connection for {what}: reconnect Google, then try again.")
        }
        ProviderError::RateLimited { .. } | ProviderError::Unavailable => {
            format!("Google is busy right now; your text is kept. Try {what} again in a minute.")
        }
        ProviderError::NotFound | ProviderError::Invalid(_) => {
            format!("Google did not accept the {what}; your text is kept. Try again.")
        }
    })
}

impl Worker {
    pub(crate) async fn open_editor(
        &self,
        job: &JobEnvelope,
        open: &OpenEditor,
    ) -> Result<(), JobError> {
        let followup = self.followup()?;
        let token = self.bot_token(job).await?;
        let key = SessionKey::new(
            job.tenant.clone(),
            open.user.clone(),
            RecordingId::new(open.recording),
        );
        let view = match followup.sessions.get(&key, self.now()).await? {
            Some(read) => match read.value.current_draft() {
                Some(draft) => editor(
                    &read.value.meeting_title,
                    &open.recording.to_string(),
                    &texts_of(draft),
                    None,
                ),
                None => modals::notice(
                    "Follow-up",
                    "This follow-up is still being written. Open it again from the DM when it says ready.",
                ),
            },
            None => modals::notice("Follow-up", GONE),
        };
        self.web
            .update_view(&token, &open.view_id, None, &view)
            .await?;
        Ok(())
    }

    pub(crate) async fn editor_action(
        &self,
        job: &JobEnvelope,
        action: &EditorAction,
    ) -> Result<(), JobError> {
        let followup = self.followup()?;
        let token = self.bot_token(job).await?;
        let recording = RecordingId::new(action.recording);
        let key = SessionKey::new(job.tenant.clone(), action.user.clone(), recording);
        // The user's text first: whatever happens next, it is kept.
        let saved = update_session(
            followup.sessions.as_ref(),
            &key,
            self.now(),
            followup.retention,
            |s| {
                let Some(previous) = s.current_draft() else {
                    return false;
                };
                let next = edited(&action.texts, previous);
                if s.edited.as_ref() == Some(&next) {
                    return false;
                }
                s.edited = Some(next);
                true
            },
        )
        .await?;
        let Some(session) = saved.map(|v| v.value) else {
            if action.action != EditorActionKind::Save {
                self.web
                    .update_view(
                        &token,
                        &action.view_id,
                        None,
                        &modals::notice("Follow-up", GONE),
                    )
                    .await?;
            }
            return Ok(());
        };
        let banner = match action.action {
            // Submit closed the modal; the texts are saved.
            EditorActionKind::Save => {
                info!("edits saved");
                return Ok(());
            }
            EditorActionKind::GmailDraft => self.gmail_draft(job, &action.user, &session).await?,
            EditorActionKind::CrmNote | EditorActionKind::CrmDeals | EditorActionKind::CrmTask => {
                return self.crm_editor_action(job, &token, action, &session).await;
            }
            // The texts are saved; the modal becomes the calendar form.
            EditorActionKind::CalendarEvent => {
                return self
                    .show_event_form(job, &token, &action.view_id, &session, None)
                    .await;
            }
        };
        self.editor_with_banner(&token, &action.view_id, &session, banner)
            .await
    }

    /// The user's Google access token, refreshed under the shared lease when it is about to
    /// expire, or the banner that says what to do.
    pub(super) async fn google_token(
        &self,
        job: &JobEnvelope,
        user: &UserId,
    ) -> Result<Result<Secret, Banner>, JobError> {
        let followup = self.followup()?;
        let Some(oauth) = &followup.google_oauth else {
            return Ok(Err(Banner::Error(
                "Google is not enabled on this Switchboard.".into(),
            )));
        };
        let id = CredentialId::for_user(job.tenant.clone(), Provider::Google, user.clone());
        let slot = CredentialSlot::new(self.backend.credentials.as_ref(), id);
        let clock = || self.clock.now();
        match fresh_token(&self.backend, &slot, oauth.as_ref(), GOOGLE_REFRESH, &clock).await {
            Ok(token) => Ok(Ok(token)),
            Err(TokenError::Missing) => Ok(Err(self.connect_banner(
                job,
                user,
                "Your Google account is not connected to Switchboard, so there is nowhere to put \
                 this yet. Your text is saved.",
            ))),
            Err(TokenError::Refresh(RefreshError::Revoked)) => Ok(Err(self.connect_banner(
                job,
                user,
                "Google no longer accepts Switchboard's access to your account: it must be \
                 connected again. Your text is saved.",
            ))),
            Err(err) => Err(JobError::Token(err)),
        }
    }

    /// `text` with a fresh "Connect Google" link for `user` (valid 15 minutes, only theirs),
    /// or with the command to run when this deployment makes no links.
    fn connect_banner(&self, job: &JobEnvelope, user: &UserId, text: &str) -> Banner {
        match &self.links {
            Some(links) => Banner::Needs {
                text: text.to_owned(),
                link: (
                    "Connect Google".to_owned(),
                    links.url(&job.tenant, user, Provider::Google, self.clock.unix_secs()),
                ),
            },
            None => Banner::Error(format!(
                "{text} Run `/followup connect google` to connect it."
            )),
        }
    }

    async fn gmail_draft(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        session: &Session,
    ) -> Result<Banner, JobError> {
        let followup = self.followup()?;
        let Some(mailer) = &followup.mailer else {
            return Ok(Banner::Error(
                "Gmail drafts are not enabled on this Switchboard.".into(),
            ));
        };
        let token = match self.google_token(job, user).await? {
            Ok(token) => token,
            Err(banner) => return Ok(banner),
        };
        let Some(draft) = session.current_draft() else {
            return Ok(Banner::Error(GONE.into()));
        };
        let email = EmailDraft {
            to: session.recipients.clone(),
            subject: draft.email.subject.clone(),
            body_text: draft.email.body.clone(),
        };
        let created = self
            .artifact_once(job, "gmail", session, ArtifactKind::GmailDraft, || async {
                mailer.create_draft(&token, &email).await
            })
            .await?;
        Ok(match created {
            Ok(artifact) => Banner::Done {
                text: "Draft created in Gmail".into(),
                link: Some(("Open draft".into(), artifact.link)),
            },
            Err(err) => banner_for(&err, "draft"),
        })
    }

    /// Creates an artifact once per job: under the job's step `name`, and recorded in the
    /// session. A rerun after a crash finds the step done and answers with what the session
    /// recorded. A provider error comes back as `Ok(Err(_))` for the banner.
    pub(super) async fn artifact_once<F, Fut>(
        &self,
        job: &JobEnvelope,
        name: &'static str,
        session: &Session,
        kind: ArtifactKind,
        create: F,
    ) -> Result<Result<Artifact, ProviderError>, JobError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<followup::Created, ProviderError>>,
    {
        let followup = self.followup()?;
        let mut outcome: Option<Result<Artifact, ProviderError>> = None;
        let slot = &mut outcome;
        let key = session.key();
        let step = self
            .step(job, name, |_attempt| async move {
                match create().await {
                    Ok(created) => {
                        let artifact = Artifact {
                            kind,
                            id: created.id,
                            link: created.link,
                        };
                        let recorded = artifact.clone();
                        update_session(
                            followup.sessions.as_ref(),
                            &key,
                            self.now(),
                            followup.retention,
                            |s| {
                                s.artifacts.push(recorded.clone());
                                true
                            },
                        )
                        .await?;
                        *slot = Some(Ok(artifact));
                        Ok(())
                    }
                    // Transient: the step is retried with the job; the user's text is saved.
                    Err(err) if err.is_transient() => Err(JobError::Provider(err)),
                    Err(err) => {
                        *slot = Some(Err(err));
                        Ok(())
                    }
                }
            })
            .await;
        step?;
        Ok(match outcome {
            Some(result) => result,
            // Done by an earlier attempt of this job: the session holds what it made.
            None => {
                let now = self.now();
                let stored = followup.sessions.get(&session.key(), now).await?;
                stored
                    .and_then(|s| {
                        s.value
                            .artifacts
                            .iter()
                            .rev()
                            .find(|a| a.kind == kind)
                            .cloned()
                    })
                    .ok_or(ProviderError::NotFound)
            }
        })
    }
}
