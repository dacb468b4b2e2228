//! The CRM jobs: the edit modal's "Log to CRM", "Deals" and "Create task", the account
//! chooser, `/followup task`, and the admins' connection modal. Every CRM call uses the
//! workspace's own connection (`connectors::crms::Crms::default_connection`), never another's:
//! the credential is the tenant's, read by the tenant id of the job.
//!
//! A CRM that refuses the connection marks it broken: its admins get one DM, users are told to
//! ask an admin, and nobody sees the provider's error.

mod account;
mod admin;
mod deals;
mod note;
mod task;

use std::sync::Arc;

use app::ui::editor::Banner;
use connectors::crms::{Crms, Ready, ResolveError, Unusable};
use followup::Session;
use followup::crm::{CrmError, CrmKind};
use followup::ports::{CrmDirectory, DirectoryError, update_settings};
use tenant::idempotency::{Attempt, Once, OnceError, Settle, once};
use tenant::job::{CrmJob, EditorAction, EditorActionKind};
use tenant::ports::{LedgerKey, Role};
use tenant::{JobEnvelope, Secret, UserId};
use tracing::{info, warn};

use crate::Worker;
use crate::error::JobError;

/// What the CRM jobs need: the workspace settings and mappings, and the CRM clients.
#[derive(Clone)]
pub struct CrmParts {
    pub directory: Arc<dyn CrmDirectory>,
    pub crms: Crms,
}

/// How to reach an admin, for users who are not one.
const ASK_ADMIN: &str = "ask a workspace admin to connect it again (`/followup connect crm`)";

impl From<DirectoryError> for JobError {
    fn from(err: DirectoryError) -> Self {
        match err {
            DirectoryError::Store(err) => JobError::Store(err),
            DirectoryError::Conflict => JobError::Store(tenant::ports::StoreError::Throttled),
        }
    }
}

impl From<ResolveError> for JobError {
    fn from(err: ResolveError) -> Self {
        match err {
            ResolveError::Directory(err) => err.into(),
            ResolveError::Credential(err) => JobError::Credentials(err),
            ResolveError::Token(err) => JobError::Token(err),
        }
    }
}

/// A CRM failure as the job sees it: transient ones are retried with the job (the user's
/// text is saved); the rest become a banner.
pub(crate) enum Failed {
    /// Tell the user this (inline).
    Banner(Banner),
    /// Retry the job.
    Retry(JobError),
}

impl Worker {
    pub(crate) fn crm_parts(&self) -> Result<&CrmParts, JobError> {
        self.followup()?
            .crm
            .as_ref()
            .ok_or(JobError::FollowupNotConfigured)
    }

    pub(crate) async fn crm_job(&self, job: &JobEnvelope, crm: &CrmJob) -> Result<(), JobError> {
        match crm {
            CrmJob::Manage { user, view_id } => self.crm_manage(job, user, view_id, None).await,
            CrmJob::CheckKey {
                user,
                view_id,
                provider,
            } => self.crm_check_key(job, user, view_id, *provider).await,
            CrmJob::Admin {
                user,
                view_id,
                provider,
                op,
            } => self.crm_admin(job, user, view_id, *provider, *op).await,
            CrmJob::Refused { provider } => match CrmKind::from_provider(*provider) {
                Some(kind) => self.crm_refused(job, kind).await,
                None => Err(JobError::BadPayload("not a CRM")),
            },
            CrmJob::AccountPicked {
                user,
                view_id,
                recording,
                then,
                account,
                label,
            } => {
                let picked = (account.as_str(), label.as_str());
                self.crm_account_picked(job, user, view_id, *recording, *then, picked)
                    .await
            }
            CrmJob::UpdateDeals {
                user,
                view_id,
                recording,
                edits,
            } => {
                self.crm_update_deals(job, user, view_id, *recording, edits)
                    .await
            }
            CrmJob::OpenTask { user, view_id } => {
                self.crm_open_task(job, user, view_id, None).await
            }
            CrmJob::CreateTask {
                user,
                view_id,
                recording,
                task,
            } => {
                self.crm_create_task(job, user, view_id, *recording, task)
                    .await
            }
        }
    }

    /// The edit modal's CRM buttons, once the texts are saved.
    pub(crate) async fn crm_editor_action(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        action: &EditorAction,
        session: &Session,
    ) -> Result<(), JobError> {
        match action.action {
            EditorActionKind::CrmNote => self.crm_log_note(job, token, action, session).await,
            EditorActionKind::CrmDeals => {
                self.crm_show_deals(job, token, &action.view_id, session, None)
                    .await
            }
            EditorActionKind::CrmTask => {
                self.crm_open_task(job, &action.user, &action.view_id, Some(session))
                    .await
            }
            _ => Err(JobError::BadPayload("not a CRM action")),
        }
    }

    /// The workspace's default CRM, ready to call, or the banner saying what to do instead
    /// (a refusal found now marks the connection broken and tells the admins once).
    pub(crate) async fn crm_ready(
        &self,
        job: &JobEnvelope,
        user: &UserId,
    ) -> Result<Result<Ready<'_>, Banner>, JobError> {
        let parts = self.crm_parts()?;
        let clock = || self.clock.now();
        let resolved = parts
            .crms
            .default_connection(&self.backend, parts.directory.as_ref(), &job.tenant, &clock)
            .await?;
        match resolved {
            Ok(ready) => Ok(Ok(ready)),
            Err(unusable) => {
                if let Unusable::Refused(kind) = unusable {
                    self.crm_refused(job, kind).await?;
                }
                Ok(Err(self.unusable_banner(job, user, unusable).await?))
            }
        }
    }

    async fn unusable_banner(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        unusable: Unusable,
    ) -> Result<Banner, JobError> {
        let admin = self.is_admin(job, user).await?;
        Ok(Banner::Error(match unusable {
            Unusable::NotConnected if admin => {
                "No CRM is connected to this workspace yet: connect one with \
                 `/followup connect crm`. Your text is saved."
                    .to_owned()
            }
            Unusable::NotConnected => {
                "No CRM is connected to this workspace yet: ask a workspace admin to connect \
                 one (`/followup connect crm`). Your text is saved."
                    .to_owned()
            }
            Unusable::Broken(kind) | Unusable::Refused(kind) if admin => format!(
                "{kind} no longer accepts Switchboard's connection: connect it again with \
                 `/followup connect crm`. Your text is saved."
            ),
            Unusable::Broken(kind) | Unusable::Refused(kind) => format!(
                "{kind} no longer accepts Switchboard's connection: {ASK_ADMIN}. Your text is \
                 saved."
            ),
            Unusable::NotConfigured(kind) => format!(
                "{kind} is not enabled on this Switchboard any more: ask its operator. Your \
                 text is saved."
            ),
        }))
    }

    /// A CRM error from a call: `Unauthorized` marks the connection broken (admins told
    /// once) and the user is told who can fix it; transient ones retry the job.
    pub(crate) async fn crm_failed(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        kind: CrmKind,
        err: CrmError,
        what: &str,
    ) -> Result<Failed, JobError> {
        Ok(match err {
            CrmError::Unauthorized => {
                self.crm_refused(job, kind).await?;
                Failed::Banner(
                    self.unusable_banner(job, user, Unusable::Broken(kind))
                        .await?,
                )
            }
            CrmError::RateLimited { retry_after } => {
                Failed::Retry(JobError::Provider(followup::ProviderError::RateLimited {
                    retry_after,
                }))
            }
            CrmError::Unavailable => {
                Failed::Retry(JobError::Provider(followup::ProviderError::Unavailable))
            }
            CrmError::NotFound => Failed::Banner(Banner::Error(format!(
                "{kind} could not find the record for {what} any more (deleted or merged?). \
                 Your text is saved: pick again and retry."
            ))),
            CrmError::Unsupported => Failed::Banner(Banner::Error(format!(
                "{kind} cannot do {what}: this CRM has no way to do it through its API."
            ))),
            CrmError::Invalid(_) => Failed::Banner(Banner::Error(format!(
                "{kind} did not accept {what}; your text is saved. Check it and try again."
            ))),
        })
    }

    /// Whether `user` is one of the tenant's admins.
    pub(crate) async fn is_admin(
        &self,
        job: &JobEnvelope,
        user: &UserId,
    ) -> Result<bool, JobError> {
        let member = self.backend.members.get_member(&job.tenant, user).await?;
        Ok(member.is_some_and(|m| m.role == Role::Admin))
    }

    /// Marks `kind` broken; the first to do so DMs every admin (once, as a step keyed by the
    /// moment it broke, so a redelivery does not repeat it and a later break is told again).
    pub(crate) async fn crm_refused(
        &self,
        job: &JobEnvelope,
        kind: CrmKind,
    ) -> Result<(), JobError> {
        let parts = self.crm_parts()?;
        let now = self.clock.unix_secs();
        let (first, settings) = update_settings(parts.directory.as_ref(), &job.tenant, |s| {
            s.mark_broken(kind, now)
        })
        .await?;
        let Some(since) = settings.connection(kind).and_then(|c| c.broken_since) else {
            return Ok(());
        };
        if first {
            warn!(crm = %kind, "the CRM refused the workspace's connection: marked broken");
        }
        let key = LedgerKey::Effect(format!("crm-broken#{}#{since}", kind.as_str()));
        let text = format!(
            ":warning: *{kind}* no longer accepts Switchboard's connection for this workspace \
             (the access was revoked or has expired), so follow-ups cannot be logged there. \
             Connect it again with `/followup connect crm`."
        );
        let told = self
            .effect_once(job, key, |_| async {
                Settle::from_result(
                    self.dm_admins(job, &text).await,
                    "told",
                    JobError::outcome_unknown,
                )
            })
            .await?;
        match told {
            Once::Ran(result) => result,
            Once::AlreadyDone { .. } => Ok(()),
            Once::Busy => Err(JobError::StepBusy),
        }
    }

    async fn dm_admins(&self, job: &JobEnvelope, text: &str) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let members = self.backend.members.list_members(&job.tenant).await?;
        for admin in members.iter().filter(|m| m.role == Role::Admin) {
            let channel = self.web.open_dm(&token, &admin.user).await?;
            let msg = slack::Message {
                channel: Some(channel),
                text: text.to_owned(),
                ..slack::Message::default()
            };
            self.web.post_message(&token, &msg).await?;
        }
        info!("admins told");
        Ok(())
    }

    /// Runs `effect` once for `key` in the tenant, whichever job asks (two presses of one
    /// button do it once). An effect that ends with [`Settle::Abandon`] (a timeout or 5xx
    /// after sending: the record may exist) makes the next try an [`Attempt::Recovery`],
    /// which the effect answers by looking before it writes again.
    pub(crate) async fn effect_once<T, E, F, Fut>(
        &self,
        job: &JobEnvelope,
        key: LedgerKey,
        effect: F,
    ) -> Result<Once<T, E>, JobError>
    where
        F: FnOnce(Attempt) -> Fut,
        Fut: std::future::Future<Output = Settle<T, E>>,
    {
        let clock = || self.clock.now();
        once(
            self.backend.ledger.as_ref(),
            &job.tenant,
            &key,
            self.timing.policy(),
            &clock,
            effect,
        )
        .await
        .map_err(|(OnceError::Claim(err) | OnceError::Record(err))| JobError::Store(err))
    }
}

/// How a CRM write ended, for the ledger: a 5xx or a timeout may have written the record
/// (abandoned: the next try recovers instead of writing blindly); any other refusal wrote
/// nothing (released: the user may try again).
pub(crate) fn crm_settle<T>(result: Result<T, CrmError>) -> Settle<T, CrmError> {
    match result {
        Ok(value) => Settle::Done {
            value,
            outcome: "written".to_owned(),
        },
        Err(CrmError::Unavailable) => Settle::Abandon(CrmError::Unavailable),
        Err(err) => Settle::Release(err),
    }
}
