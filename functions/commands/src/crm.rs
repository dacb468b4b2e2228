//! The CRM's commands and interactions. As everywhere here: modals open inline on the fresh
//! trigger, everything that calls the CRM is a [`CrmJob`] for the worker.
//!
//! * `/followup connect crm` and App Home's "Manage CRM": admins only (a member is told to ask
//!   one); a loading modal, filled by [`CrmJob::Manage`].
//! * `/followup task`: a loading modal, filled by [`CrmJob::OpenTask`].
//! * The connection modal's buttons: "Use an API key" shows the key form at once; "Make
//!   default" and "Disconnect" are [`CrmJob::Admin`] (the worker checks the admin again).
//! * Submitting a key: sealed into the admin's *pending* slot (never on the queue, never
//!   echoed), checked by [`CrmJob::CheckKey`].
//! * The account chooser, the deals and the task modal: their submits, read and checked here
//!   (an amount that is not one, a task without a contact: inline errors, input kept).

use app::IngressError;
use app::http_io::{self, HttpResponse};
use app::ui::crm::{key_form, working};
use app::ui::{ids, modals};
use followup::crm::{Amount, CrmKind};
use slack::{Interaction, InteractionKind, SlashCommand};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::{AccountUse, AdminOp, CrmJob, DealEdit, TaskForm};
use tenant::ports::Role;
use tenant::service::ingress::CommandOutcome;
use tenant::{JobKind, Secret, TenantId, UserId};
use tracing::info;

use crate::CommandsHandler;
use crate::followup::{field_error, interaction_answer, view_update};

/// A pasted key longer than this is not a CRM key; refusing it keeps a pasted document out
/// of the credential store.
const MAX_KEY_LEN: usize = 512;

/// What a member who is not an admin reads.
pub(crate) const ADMINS_ONLY: &str = "Only a workspace admin can connect or change the CRM: ask \
     one of your Slack admins to run `/followup connect crm`.";

/// A CRM interaction, by its action or callback id.
pub(crate) enum CrmAction {
    Manage,
    KeyOpen(Option<String>),
    Admin(Option<String>, AdminOp),
    SubmitKey,
    SubmitAccount,
    SubmitDeals,
    SubmitTask,
}

impl CrmAction {
    pub(crate) fn of(interaction: &Interaction) -> Option<Self> {
        use InteractionKind::{BlockActions, ViewSubmission};
        let value = || interaction.action_value.clone();
        match (&interaction.kind, interaction.action_id.as_deref()) {
            (BlockActions, Some(ids::HOME_CRM_MANAGE)) => Some(Self::Manage),
            (BlockActions, Some(ids::CRM_KEY_OPEN)) => Some(Self::KeyOpen(value())),
            (BlockActions, Some(ids::CRM_DEFAULT)) => {
                Some(Self::Admin(value(), AdminOp::MakeDefault))
            }
            (BlockActions, Some(ids::CRM_DISCONNECT)) => {
                Some(Self::Admin(value(), AdminOp::Disconnect))
            }
            (ViewSubmission, _) => match interaction.callback_id.as_deref() {
                Some(ids::CRM_KEY) => Some(Self::SubmitKey),
                Some(ids::CRM_ACCOUNT) => Some(Self::SubmitAccount),
                Some(ids::CRM_DEALS) => Some(Self::SubmitDeals),
                Some(ids::CRM_TASK) => Some(Self::SubmitTask),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The CRM a button's value or a key form's metadata names.
fn crm_named(value: Option<&str>) -> Result<CrmKind, IngressError> {
    value
        .and_then(|v| CrmKind::parse(v).ok())
        .ok_or_else(|| IngressError::Malformed("not a CRM".into()))
}

/// `(recording, use)` of the account chooser's `private_metadata` (`42:note`).
fn chooser_metadata(raw: Option<&str>) -> Result<(u64, AccountUse), IngressError> {
    raw.and_then(|m| m.split_once(':'))
        .and_then(|(r, u)| Some((r.parse().ok()?, AccountUse::parse(u)?)))
        .ok_or_else(|| IngressError::Malformed("chooser without its follow-up".into()))
}

fn recording_of(raw: Option<&str>) -> Result<u64, IngressError> {
    raw.and_then(|r| r.parse().ok())
        .ok_or_else(|| IngressError::Malformed("modal without its follow-up".into()))
}

/// The deals modal's inputs: one stage select and one amount per deal, as submitted; an
/// amount that is not a decimal is the block to complain under.
fn deal_edits(interaction: &Interaction) -> Result<Vec<DealEdit>, String> {
    let mut edits = Vec::new();
    for block in interaction.state_blocks(ids::DEAL_STAGE) {
        let deal = &block[ids::DEAL_STAGE.len()..];
        let amount_block = format!("{}{deal}", ids::DEAL_AMOUNT);
        let amount = interaction
            .state_value(&amount_block, &amount_block)
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if amount.is_some_and(|a| Amount::parse(a).is_err()) {
            return Err(amount_block);
        }
        edits.push(DealEdit {
            deal: deal.to_owned(),
            stage: interaction.state_value(block, block).map(str::to_owned),
            amount: amount.map(str::to_owned),
        });
    }
    Ok(edits)
}

fn task_form(interaction: &Interaction) -> Result<TaskForm, (&'static str, &'static str)> {
    let value = |id: &str| interaction.state_value(id, id).map(str::to_owned);
    let contact = value(ids::TASK_CONTACT).ok_or((ids::TASK_CONTACT, "Pick the contact."))?;
    let title = value(ids::TASK_TITLE)
        .filter(|t| !t.trim().is_empty())
        .ok_or((ids::TASK_TITLE, "Give the task a title."))?;
    let date = value(ids::TASK_DATE).ok_or((ids::TASK_DATE, "Pick the day it is due."))?;
    let time = value(ids::TASK_TIME).ok_or((ids::TASK_TIME, "Pick the time it is due."))?;
    Ok(TaskForm {
        contact_label: interaction
            .state_label(ids::TASK_CONTACT, ids::TASK_CONTACT)
            .unwrap_or_default()
            .to_owned(),
        contact,
        title,
        kind: value(ids::TASK_KIND).unwrap_or_else(|| "todo".into()),
        date,
        time,
        notes: value(ids::TASK_NOTES).unwrap_or_default(),
    })
}

impl CommandsHandler {
    async fn is_admin(&self, tenant: &TenantId, user: &UserId) -> Result<bool, IngressError> {
        let member = self
            .backend
            .members
            .get_member(tenant, user)
            .await
            .map_err(IngressError::unavailable)?;
        Ok(member.is_some_and(|m| m.role == Role::Admin))
    }

    /// `/followup connect crm`, `/followup task`: a loading modal on the trigger, then the
    /// job that fills it.
    pub(crate) async fn crm_command(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
        raw: &[u8],
        task: bool,
    ) -> Result<HttpResponse, IngressError> {
        let user = cmd.user_id.clone();
        if !task && !self.is_admin(&tenant, &user).await? {
            return Ok(http_io::ephemeral(ADMINS_ONLY));
        }
        self.open_and_queue(tenant, &cmd.trigger_id, raw, &user, task)
            .await
    }

    async fn open_and_queue(
        &self,
        tenant: TenantId,
        trigger: &str,
        raw: &[u8],
        user: &UserId,
        task: bool,
    ) -> Result<HttpResponse, IngressError> {
        let (title, callback, what) = if task {
            ("Create task", ids::CRM_TASK, "Opening the task…")
        } else {
            ("CRM", ids::CRM_CONNECT, "Loading the CRM connections…")
        };
        let view_id = match self
            .open_modal(&tenant, trigger, &working(title, callback, "", what))
            .await?
        {
            Ok(view_id) => view_id,
            Err(refused) => return Ok(refused),
        };
        let job = if task {
            CrmJob::OpenTask {
                user: user.clone(),
                view_id,
            }
        } else {
            CrmJob::Manage {
                user: user.clone(),
                view_id,
            }
        };
        let outcome = self
            .queue_for(tenant, Some(trigger), raw, JobKind::Crm(job), user)
            .await?;
        Ok(interaction_answer(outcome))
    }

    pub(crate) async fn on_crm_interaction(
        &self,
        tenant: TenantId,
        interaction: &Interaction,
        action: CrmAction,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        let Some(user) = interaction.user_id.clone() else {
            return Err(IngressError::Malformed("interaction without a user".into()));
        };
        let trigger = interaction.trigger_id.as_deref();
        if let CrmAction::Manage = action {
            let Some(trigger) = trigger else {
                return Err(IngressError::Malformed("button without a trigger".into()));
            };
            if !self.is_admin(&tenant, &user).await? {
                let _ = self
                    .open_modal(&tenant, trigger, &modals::notice("CRM", ADMINS_ONLY))
                    .await?;
                return Ok(http_io::ack());
            }
            return self
                .open_and_queue(tenant, trigger, raw, &user, false)
                .await;
        }
        let Some(view_id) = interaction.view_id.clone() else {
            return Err(IngressError::Malformed(
                "modal interaction without a view".into(),
            ));
        };
        let metadata = interaction.private_metadata.as_deref();
        let job = match action {
            CrmAction::Manage => return Err(IngressError::Malformed("answered above".into())),
            CrmAction::KeyOpen(value) => {
                let kind = crm_named(value.as_deref())?;
                if !kind.takes_api_key() {
                    return Err(IngressError::Malformed("this CRM takes no key".into()));
                }
                // The form replaces the connection modal in place: a view update needs no
                // trigger, and this is the same modal the admin is in.
                let form = key_form(kind.as_str(), kind.name(), kind == CrmKind::Crono, None);
                return self
                    .show_in_place(&tenant, interaction, &view_id, &form)
                    .await;
            }
            CrmAction::Admin(value, op) => CrmJob::Admin {
                user: user.clone(),
                view_id,
                provider: crm_named(value.as_deref())?.provider(),
                op,
            },
            CrmAction::SubmitKey => {
                let kind = crm_named(metadata)?;
                let key = |id: &str| {
                    interaction
                        .state_value(id, id)
                        .map(str::trim)
                        .filter(|k| {
                            !k.is_empty()
                                && k.len() <= MAX_KEY_LEN
                                && !k.contains(char::is_whitespace)
                        })
                        .map(Secret::new)
                };
                let pending = if kind == CrmKind::Crono {
                    let Some(public) = key(ids::CRM_KEY_PUBLIC) else {
                        return Ok(field_error(ids::CRM_KEY_PUBLIC, "Paste the public key."));
                    };
                    let Some(private) = key(ids::CRM_KEY_PRIVATE) else {
                        return Ok(field_error(ids::CRM_KEY_PRIVATE, "Paste the private key."));
                    };
                    let mut c = Credential::new(private);
                    c.metadata.public_key = Some(public.expose().to_owned());
                    c
                } else {
                    let Some(token) = key(ids::CRM_KEY_TOKEN) else {
                        return Ok(field_error(ids::CRM_KEY_TOKEN, "Paste the API token."));
                    };
                    Credential::new(token)
                };
                let mut pending = pending;
                pending.metadata.pending_for = Some(kind.provider());
                let id = CredentialId::for_user(tenant.clone(), Provider::CrmPending, user.clone());
                self.store_pending(&id, &pending).await?;
                info!("pasted CRM key stored pending its check");
                let job = CrmJob::CheckKey {
                    user: user.clone(),
                    view_id,
                    provider: kind.provider(),
                };
                let checking = working(
                    &format!("Connect {}", kind.name()),
                    ids::CRM_KEY,
                    kind.as_str(),
                    &format!("Checking the key with {}…", kind.name()),
                );
                return self
                    .queue_then(tenant, trigger, raw, job, &user, &checking)
                    .await;
            }
            CrmAction::SubmitAccount => {
                let (recording, then) = chooser_metadata(metadata)?;
                // The candidates' select first, else the search's; with what it showed.
                let picked = [ids::CRM_ACCOUNT_PICK, ids::CRM_ACCOUNT_SEARCH]
                    .into_iter()
                    .find_map(|id| {
                        let account = interaction.state_value(id, id)?;
                        Some((account, interaction.state_label(id, id).unwrap_or_default()))
                    });
                let Some((account, label)) = picked else {
                    return Ok(field_error(ids::CRM_ACCOUNT_SEARCH, "Pick the account."));
                };
                let job = CrmJob::AccountPicked {
                    user: user.clone(),
                    view_id,
                    recording,
                    then,
                    account: account.to_owned(),
                    label: label.to_owned(),
                };
                let what = match then {
                    AccountUse::Note => "Logging the note…",
                    AccountUse::Deals => "Loading the deals…",
                };
                let shown = working("Follow-up", ids::EDITOR, &recording.to_string(), what);
                return self
                    .queue_then(tenant, trigger, raw, job, &user, &shown)
                    .await;
            }
            CrmAction::SubmitDeals => {
                let recording = recording_of(metadata)?;
                let edits = match deal_edits(interaction) {
                    Ok(edits) => edits,
                    Err(block) => {
                        return Ok(field_error(
                            &block,
                            "Type an amount such as 1500 or 1500.50 (no currency sign).",
                        ));
                    }
                };
                let job = CrmJob::UpdateDeals {
                    user: user.clone(),
                    view_id,
                    recording,
                    edits,
                };
                let shown = working("Deals", ids::CRM_DEALS, &recording.to_string(), "Saving…");
                return self
                    .queue_then(tenant, trigger, raw, job, &user, &shown)
                    .await;
            }
            CrmAction::SubmitTask => {
                let recording = metadata
                    .filter(|m| !m.is_empty())
                    .map(|m| recording_of(Some(m)))
                    .transpose()?;
                let task = match task_form(interaction) {
                    Ok(task) => task,
                    Err((block, text)) => return Ok(field_error(block, text)),
                };
                let job = CrmJob::CreateTask {
                    user: user.clone(),
                    view_id,
                    recording,
                    task: Box::new(task),
                };
                let shown = working(
                    "Create task",
                    ids::CRM_TASK,
                    metadata.unwrap_or_default(),
                    "Creating the task…",
                );
                return self
                    .queue_then(tenant, trigger, raw, job, &user, &shown)
                    .await;
            }
        };
        let outcome = self
            .queue_for(tenant, trigger, raw, JobKind::Crm(job), &user)
            .await?;
        Ok(interaction_answer(outcome))
    }

    /// A submit's job queued, and the modal turned into `shown` ("working…") meanwhile.
    async fn queue_then(
        &self,
        tenant: TenantId,
        trigger: Option<&str>,
        raw: &[u8],
        job: CrmJob,
        user: &UserId,
        shown: &serde_json::Value,
    ) -> Result<HttpResponse, IngressError> {
        match self
            .queue_for(tenant, trigger, raw, JobKind::Crm(job), user)
            .await?
        {
            CommandOutcome::Queued(_) | CommandOutcome::Duplicate | CommandOutcome::InFlight => {
                Ok(view_update(shown))
            }
            other => Ok(interaction_answer(other)),
        }
    }

    async fn show_in_place(
        &self,
        tenant: &TenantId,
        interaction: &Interaction,
        view_id: &str,
        view: &serde_json::Value,
    ) -> Result<HttpResponse, IngressError> {
        let token = match self.bot_token(tenant).await? {
            Ok(token) => token,
            Err(refused) => return Ok(refused),
        };
        if let Err(err) = self
            .web
            .update_view(&token, view_id, interaction.view_hash.as_deref(), view)
            .await
        {
            tracing::warn!(error = %err, "could not show the key form");
        }
        Ok(http_io::ack())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chooser_metadata_names_the_follow_up_and_what_the_pick_is_for() {
        assert_eq!(
            chooser_metadata(Some("42:note")).unwrap(),
            (42, AccountUse::Note)
        );
        assert_eq!(
            chooser_metadata(Some("7:deals")).unwrap(),
            (7, AccountUse::Deals)
        );
        for bad in [None, Some(""), Some("42"), Some("x:note"), Some("42:other")] {
            assert!(chooser_metadata(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_crms_are_named() {
        assert_eq!(crm_named(Some("pipedrive")).unwrap(), CrmKind::Pipedrive);
        assert!(crm_named(Some("google")).is_err());
        assert!(crm_named(None).is_err());
    }
}
