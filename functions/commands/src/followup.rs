//! The follow-up flow's commands and interactions. Modals open here, inline, because a
//! trigger id lives 3 s and is single use; everything that calls a provider is a job.
//!
//! * `/followup` (or `/followup meetings`, `/meetings`): a "loading" modal at once, then a
//!   [`JobKind::MeetingPicker`] fills it.
//! * `/followup connect` and the "Connect Fathom" button: the key modal (with "Connect with
//!   Fathom", the user's signed OAuth link, when Fathom OAuth is configured).
//! * Submitting a key: stored in the user's *pending* slot (encrypted; never on the queue),
//!   the modal shows "checking", and a [`JobKind::ConnectRecorder`] checks it with Fathom.
//! * "Earlier": the picker pages back a day. Submitting the picker: a [`JobKind::Generate`].
//! * `/followup auto on|off`: an ephemeral answer at once and a [`JobKind::AutoFollowups`].

use app::IngressError;
use app::http_io::{self, HttpResponse};
use app::ui::{calendar, ids, modals};
use http::StatusCode;
use serde_json::json;
use slack::{Interaction, SlashCommand};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::{
    AutoFollowups, ConnectRecorder, CreateEvent, EditedTexts, EditorAction, EditorActionKind,
    EventChoice, Generate, MeetingPicker, OpenEditor,
};
use tenant::ports::{CredentialError, Expected};
use tenant::service::ingress::{CommandOutcome, CommandWork, admit, request_key};
use tenant::{JobKind, Secret, SlackContext, TenantId, UserId};
use tracing::{info, warn};

use crate::{CommandsHandler, answer, reply};

/// A pasted key longer than this is not a Fathom key (they are well under 200 characters);
/// refusing it keeps a pasted document out of the credential store.
const MAX_KEY_LEN: usize = 512;

/// What a follow-up interaction is, by its action or callback id.
pub(crate) enum FollowupAction {
    OpenConnect,
    /// A link button (a connect link): the browser opened it; nothing to do here.
    LinkOpened,
    Earlier(u8),
    SubmitKey,
    SubmitPick,
    /// "View & edit" on the ready DM: the recording.
    OpenEditor(u64),
    /// "Try again" on a failed DM: the recording.
    Retry(u64),
    /// A button in the edit modal, or its submit.
    Editor(EditorActionKind),
    /// The calendar form's submit.
    SubmitEvent,
    /// The calendar form's "Back to the follow-up".
    BackToEditor,
}

impl FollowupAction {
    pub(crate) fn of(interaction: &Interaction) -> Option<Self> {
        use slack::InteractionKind::{BlockActions, ViewSubmission};
        match (
            &interaction.kind,
            interaction.action_id.as_deref(),
            interaction.callback_id.as_deref(),
        ) {
            (BlockActions, Some(ids::FATHOM_CONNECT_OPEN), _) => Some(Self::OpenConnect),
            (BlockActions, Some(ids::CONNECT_LINK), _) => Some(Self::LinkOpened),
            (BlockActions, Some(ids::PICKER_EARLIER), _) => interaction
                .action_value
                .as_deref()
                .and_then(|v| v.parse().ok())
                .map(Self::Earlier),
            (BlockActions, Some(ids::VIEW_EDIT), _) => {
                recording_of(interaction).map(Self::OpenEditor)
            }
            (BlockActions, Some(ids::RETRY), _) => recording_of(interaction).map(Self::Retry),
            (BlockActions, Some(ids::ACTION_GMAIL), _) => {
                Some(Self::Editor(EditorActionKind::GmailDraft))
            }
            (BlockActions, Some(ids::ACTION_CALENDAR), _) => {
                Some(Self::Editor(EditorActionKind::CalendarEvent))
            }
            (BlockActions, Some(ids::ACTION_CRM_NOTE), _) => {
                Some(Self::Editor(EditorActionKind::CrmNote))
            }
            (BlockActions, Some(ids::ACTION_CRM_DEALS), _) => {
                Some(Self::Editor(EditorActionKind::CrmDeals))
            }
            (BlockActions, Some(ids::ACTION_CRM_TASK), _) => {
                Some(Self::Editor(EditorActionKind::CrmTask))
            }
            (BlockActions, Some(ids::EVENT_BACK), _) => Some(Self::BackToEditor),
            (ViewSubmission, _, Some(ids::EDITOR)) => Some(Self::Editor(EditorActionKind::Save)),
            (ViewSubmission, _, Some(ids::EVENT_FORM)) => Some(Self::SubmitEvent),
            (ViewSubmission, _, Some(ids::FATHOM_CONNECT)) => Some(Self::SubmitKey),
            (ViewSubmission, _, Some(ids::PICKER)) => Some(Self::SubmitPick),
            _ => None,
        }
    }
}

/// A button's value naming a recording (Fathom ids are integers).
fn recording_of(interaction: &Interaction) -> Option<u64> {
    interaction.action_value.as_deref()?.parse().ok()
}

/// The recording a modal of the flow is about (its `private_metadata`: the recording, or
/// `<recording>:<use>` for the CRM account chooser).
fn modal_recording(interaction: &Interaction) -> Result<u64, IngressError> {
    interaction
        .private_metadata
        .as_deref()
        .and_then(|r| r.split(':').next()?.parse::<u64>().ok())
        .ok_or_else(|| IngressError::Malformed("follow-up modal without its recording".into()))
}

/// The calendar form as submitted, or the field to point at. Slack's pickers only give
/// well-formed values; a forged payload gets the same inline error.
fn event_choice(interaction: &Interaction) -> Result<EventChoice, (&'static str, &'static str)> {
    let date = interaction
        .state_value(ids::EVENT_DATE, ids::EVENT_DATE)
        .filter(|d| picker_date(d).is_some())
        .ok_or((ids::EVENT_DATE, "Pick the follow-up's date."))?;
    let time = interaction
        .state_value(ids::EVENT_TIME, ids::EVENT_TIME)
        .filter(|t| picker_time(t).is_some())
        .ok_or((ids::EVENT_TIME, "Pick the time it starts."))?;
    let send_invitations =
        interaction.state_value(ids::EVENT_INVITE, ids::EVENT_INVITE) == Some(ids::INVITE_SEND);
    Ok(EventChoice {
        date: date.to_owned(),
        time: time.to_owned(),
        guests: interaction
            .state_values(ids::EVENT_GUESTS, ids::EVENT_GUESTS)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        send_invitations,
    })
}

/// A date picker's value, `YYYY-MM-DD`, as a real calendar date. Built with `Date::new` rather
/// than jiff's general parser: the parser (ISO 8601 in all its forms) is 80 KiB of the commands
/// binary for a value whose shape Slack fixes; the worker parses it in full.
fn picker_date(value: &str) -> Option<jiff::civil::Date> {
    let [y, m, d] = picker_fields(value, '-', [4, 2, 2])?;
    jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        m.try_into().ok()?,
        d.try_into().ok()?,
    )
    .ok()
}

/// A time picker's value, `HH:mm`, as a real time of day (see [`picker_date`]).
fn picker_time(value: &str) -> Option<jiff::civil::Time> {
    let [h, m] = picker_fields(value, ':', [2, 2])?;
    jiff::civil::Time::new(h.try_into().ok()?, m.try_into().ok()?, 0, 0).ok()
}

/// The decimal fields of `value` split at `separator`, each exactly its width in ASCII digits.
fn picker_fields<const N: usize>(
    value: &str,
    separator: char,
    widths: [usize; N],
) -> Option<[u32; N]> {
    let mut fields = value.split(separator);
    let mut out = [0; N];
    for (slot, width) in out.iter_mut().zip(widths) {
        let field = fields.next()?;
        if field.len() != width || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = field.parse().ok()?;
    }
    fields.next().is_none().then_some(out)
}

/// The edit modal's texts as they are in its state right now (what the user sees).
fn edited_texts(interaction: &Interaction) -> EditedTexts {
    let field = |id: &str| {
        interaction
            .state_value(id, id)
            .unwrap_or_default()
            .to_owned()
    };
    EditedTexts {
        summary: field(ids::EDIT_SUMMARY),
        subject: field(ids::EDIT_SUBJECT),
        body: field(ids::EDIT_BODY),
        crm_note: field(ids::EDIT_NOTE),
    }
}

impl CommandsHandler {
    /// `/followup` with no words: the meeting picker.
    pub(crate) async fn open_picker(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        let view_id = match self
            .open_modal(&tenant, &cmd.trigger_id, &modals::loading())
            .await?
        {
            Ok(view_id) => view_id,
            Err(refused) => return Ok(refused),
        };
        let kind = JobKind::MeetingPicker(MeetingPicker {
            user: cmd.user_id.clone(),
            view_id,
            day: 0,
            fall_back: true,
        });
        self.queue_for(tenant, Some(&cmd.trigger_id), raw, kind, &cmd.user_id)
            .await
            .map(|outcome| match outcome {
                // The modal is the answer: no "working on it" message under it.
                CommandOutcome::Queued(_) => http_io::ack(),
                other => answer(other, String::new),
            })
    }

    /// `/followup connect`: the Fathom key modal, nothing queued.
    pub(crate) async fn open_connect(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
    ) -> Result<HttpResponse, IngressError> {
        let modal =
            modals::connect_fathom_with(None, self.fathom_link(&tenant, &cmd.user_id).as_deref());
        Ok(
            match self.open_modal(&tenant, &cmd.trigger_id, &modal).await? {
                Ok(_) => http_io::ack(),
                Err(refused) => refused,
            },
        )
    }

    /// `/followup auto on|off`: answered at once, the worker registers (or deletes) the
    /// webhook at Fathom and says how it went on the response_url.
    pub(crate) async fn auto_followups(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
        raw: &[u8],
        on: bool,
    ) -> Result<HttpResponse, IngressError> {
        let work = CommandWork::Job {
            kind: JobKind::AutoFollowups(AutoFollowups {
                user: cmd.user_id.clone(),
                on,
            }),
            slack: SlackContext {
                response_url: Some(cmd.response_url.clone()),
                channel: Some(cmd.channel_id.clone()),
                user: Some(cmd.user_id.clone()),
            },
        };
        let request = request_key(Some(&cmd.trigger_id), raw);
        Ok(match self.accept(tenant, &request, work).await? {
            CommandOutcome::Queued(job_id) => {
                info!(%job_id, on, "automatic follow-ups change queued");
                http_io::ephemeral(if on {
                    reply::AUTO_TURNING_ON
                } else {
                    reply::AUTO_TURNING_OFF
                })
            }
            other => answer(other, String::new),
        })
    }

    pub(crate) async fn on_followup_interaction(
        &self,
        tenant: TenantId,
        interaction: &Interaction,
        action: FollowupAction,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        if let Some(refused) = admit(&self.backend, &tenant)
            .await
            .map_err(IngressError::unavailable)?
        {
            return Ok(answer(refused, String::new));
        }
        let Some(user) = interaction.user_id.clone() else {
            return Err(IngressError::Malformed("interaction without a user".into()));
        };
        let trigger = interaction.trigger_id.as_deref();
        // The buttons on the DM are not in a modal: they open one or queue work.
        match action {
            FollowupAction::LinkOpened => return Ok(http_io::ack()),
            FollowupAction::OpenEditor(recording) => {
                let Some(trigger) = trigger else {
                    return Err(IngressError::Malformed("button without a trigger".into()));
                };
                let view_id = match self
                    .open_modal(&tenant, trigger, &modals::loading_editor())
                    .await?
                {
                    Ok(view_id) => view_id,
                    Err(refused) => return Ok(refused),
                };
                let kind = JobKind::OpenEditor(OpenEditor {
                    user: user.clone(),
                    view_id,
                    recording,
                });
                let outcome = self
                    .queue_for(tenant, Some(trigger), raw, kind, &user)
                    .await?;
                return Ok(interaction_answer(outcome));
            }
            FollowupAction::Retry(recording) => {
                let kind = JobKind::Generate(Generate {
                    user: user.clone(),
                    recording,
                    day: None,
                    usage: None,
                    meeting_started_at: None,
                });
                let outcome = self
                    .queue_for(tenant.clone(), trigger, raw, kind, &user)
                    .await?;
                if let (CommandOutcome::OverQuota { limit, resets_at }, Some(trigger)) =
                    (&outcome, trigger)
                {
                    // A button's answer is not shown: say it in a modal on its trigger.
                    let notice =
                        modals::notice("Follow-up", &reply::over_quota(*limit, *resets_at));
                    let _ = self.open_modal(&tenant, trigger, &notice).await?;
                    return Ok(http_io::ack());
                }
                return Ok(interaction_answer(outcome));
            }
            _ => {}
        }
        let Some(view_id) = interaction.view_id.clone() else {
            return Err(IngressError::Malformed(
                "modal interaction without a view".into(),
            ));
        };
        match action {
            // Answered above: a DM button is not a modal action.
            FollowupAction::OpenEditor(_)
            | FollowupAction::Retry(_)
            | FollowupAction::LinkOpened => {
                Err(IngressError::Malformed("not a modal action".into()))
            }
            FollowupAction::Editor(action) => {
                let recording = modal_recording(interaction)?;
                let kind = JobKind::EditorAction(EditorAction {
                    user: user.clone(),
                    view_id,
                    recording,
                    action,
                    texts: Box::new(edited_texts(interaction)),
                });
                let outcome = self.queue_for(tenant, trigger, raw, kind, &user).await?;
                // Submit ("Save") closes the modal with the empty 200; the texts are saved.
                Ok(interaction_answer(outcome))
            }
            FollowupAction::SubmitEvent => {
                let recording = modal_recording(interaction)?;
                let choice = match event_choice(interaction) {
                    Ok(choice) => choice,
                    Err((block, text)) => return Ok(field_error(block, text)),
                };
                let kind = JobKind::CreateEvent(CreateEvent {
                    user: user.clone(),
                    view_id,
                    recording,
                    choice: Box::new(choice),
                });
                match self.queue_for(tenant, trigger, raw, kind, &user).await? {
                    // The form says it is working; the worker shows the follow-up again
                    // with a link to the event (or the form with what went wrong).
                    CommandOutcome::Queued(_)
                    | CommandOutcome::Duplicate
                    | CommandOutcome::InFlight => Ok(view_update(&calendar::creating_event(
                        &recording.to_string(),
                    ))),
                    other => Ok(interaction_answer(other)),
                }
            }
            FollowupAction::BackToEditor => {
                let recording = modal_recording(interaction)?;
                let kind = JobKind::OpenEditor(OpenEditor {
                    user: user.clone(),
                    view_id,
                    recording,
                });
                let outcome = self.queue_for(tenant, trigger, raw, kind, &user).await?;
                Ok(interaction_answer(outcome))
            }
            FollowupAction::OpenConnect => {
                let token = match self.bot_token(&tenant).await? {
                    Ok(token) => token,
                    Err(refused) => return Ok(refused),
                };
                if let Err(err) = self
                    .web
                    .update_view(
                        &token,
                        &view_id,
                        interaction.view_hash.as_deref(),
                        &modals::connect_fathom_with(
                            None,
                            self.fathom_link(&tenant, &user).as_deref(),
                        ),
                    )
                    .await
                {
                    warn!(error = %err, "could not show the connect modal");
                }
                Ok(http_io::ack())
            }
            FollowupAction::Earlier(day) => {
                let kind = JobKind::MeetingPicker(MeetingPicker {
                    user: user.clone(),
                    view_id,
                    day,
                    fall_back: false,
                });
                let outcome = self.queue_for(tenant, trigger, raw, kind, &user).await?;
                Ok(interaction_answer(outcome))
            }
            FollowupAction::SubmitKey => {
                let key = interaction
                    .state_value(ids::FATHOM_KEY, ids::FATHOM_KEY)
                    .map(str::trim)
                    .filter(|k| {
                        !k.is_empty() && k.len() <= MAX_KEY_LEN && !k.contains(char::is_whitespace)
                    });
                let Some(key) = key else {
                    return Ok(field_error(
                        ids::FATHOM_KEY,
                        "Paste your Fathom API key here.",
                    ));
                };
                let id =
                    CredentialId::for_user(tenant.clone(), Provider::FathomPending, user.clone());
                self.store_pending(&id, &Credential::new(Secret::new(key)))
                    .await?;
                info!("pasted Fathom key stored pending its check");
                let kind = JobKind::ConnectRecorder(ConnectRecorder {
                    user: user.clone(),
                    view_id,
                });
                match self.queue_for(tenant, trigger, raw, kind, &user).await? {
                    CommandOutcome::Queued(_)
                    | CommandOutcome::Duplicate
                    | CommandOutcome::InFlight => Ok(view_update(&modals::checking_key())),
                    other => Ok(interaction_answer(other)),
                }
            }
            FollowupAction::SubmitPick => {
                let recording = interaction
                    .state_value(ids::PICKER_MEETING, ids::PICKER_MEETING)
                    .and_then(|v| v.parse::<u64>().ok());
                let Some(recording) = recording else {
                    return Ok(field_error(ids::PICKER_MEETING, "Pick a meeting first."));
                };
                let day = interaction
                    .private_metadata
                    .as_deref()
                    .and_then(|d| d.parse::<u8>().ok())
                    .unwrap_or(0);
                let kind = JobKind::Generate(Generate {
                    user: user.clone(),
                    recording,
                    day: Some(day),
                    usage: None,
                    meeting_started_at: None,
                });
                let outcome = self.queue_for(tenant, trigger, raw, kind, &user).await?;
                if let CommandOutcome::OverQuota { limit, resets_at } = outcome {
                    // Inline, under the picker: the modal stays open and says why.
                    return Ok(field_error(
                        ids::PICKER_MEETING,
                        &reply::over_quota(limit, resets_at),
                    ));
                }
                // An empty 200 closes the modal; the DM says what happens next.
                Ok(interaction_answer(outcome))
            }
        }
    }

    /// Stores `pending` at `id` (a user's pending slot) without reading what was there: this
    /// function may seal a pending key but not decrypt one (template.yaml), and a newer paste
    /// wins over an older one.
    pub(crate) async fn store_pending(
        &self,
        id: &CredentialId,
        pending: &Credential,
    ) -> Result<(), IngressError> {
        let store = self.backend.credentials.as_ref();
        for attempt in 1..=3 {
            store
                .delete(id, None)
                .await
                .map_err(IngressError::unavailable)?;
            match store.put(id, pending, &Expected::Absent).await {
                Ok(_) => return Ok(()),
                // Another paste landed between the two calls: go again (it is replaced).
                Err(CredentialError::Conflict) if attempt < 3 => {}
                Err(err) => return Err(IngressError::unavailable(err)),
            }
        }
        Err(IngressError::unavailable(CredentialError::Conflict))
    }

    /// views.open on `trigger` with the tenant's bot token: the view id, or the answer to give
    /// instead (a paused or missing install; Slack refused the trigger: expired or reused, as
    /// a replay's is, or a request that waited too long).
    pub(crate) async fn open_modal(
        &self,
        tenant: &TenantId,
        trigger: &str,
        view: &serde_json::Value,
    ) -> Result<Result<String, HttpResponse>, IngressError> {
        if let Some(refused) = admit(&self.backend, tenant)
            .await
            .map_err(IngressError::unavailable)?
        {
            return Ok(Err(answer(refused, String::new)));
        }
        let token = match self.bot_token(tenant).await? {
            Ok(token) => token,
            Err(refused) => return Ok(Err(refused)),
        };
        Ok(match self.web.open_view(&token, trigger, view).await {
            Ok(opened) => Ok(opened.id),
            Err(slack::SlackApiError::Api { error }) if error == "exchanged_trigger_id" => {
                info!("trigger already used: a replay, acked");
                Err(http_io::ack())
            }
            Err(err) => {
                warn!(error = %err, "views.open failed");
                Err(http_io::ephemeral(reply::MODAL_FAILED))
            }
        })
    }

    /// The tenant's bot token, or the answer for a workspace without one.
    pub(crate) async fn bot_token(
        &self,
        tenant: &TenantId,
    ) -> Result<Result<Secret, HttpResponse>, IngressError> {
        let bundle = self
            .backend
            .vault
            .get(tenant)
            .await
            .map_err(IngressError::unavailable)?;
        Ok(bundle
            .and_then(|b| b.bot)
            .map(|bot| bot.token)
            .ok_or_else(|| http_io::ephemeral(reply::REINSTALL)))
    }

    pub(crate) async fn queue_for(
        &self,
        tenant: TenantId,
        trigger: Option<&str>,
        raw: &[u8],
        kind: JobKind,
        user: &UserId,
    ) -> Result<CommandOutcome, IngressError> {
        let request = request_key(trigger, raw);
        let slack = SlackContext {
            response_url: None,
            channel: None,
            user: Some(user.clone()),
        };
        // A generation uses one of the month's follow-ups; nothing else is metered.
        let work = if matches!(kind, JobKind::Generate(_)) {
            CommandWork::Metered {
                kind,
                slack,
                quotas: self.quotas,
            }
        } else {
            CommandWork::Job { kind, slack }
        };
        self.accept(tenant, &request, work).await
    }
}

/// An interaction's answer once its job was (or was not) accepted.
pub(crate) fn interaction_answer(outcome: CommandOutcome) -> HttpResponse {
    match outcome {
        CommandOutcome::Queued(job_id) => {
            info!(%job_id, "follow-up interaction queued");
            http_io::ack()
        }
        other => answer(other, String::new),
    }
}

/// `response_action: errors`: `text` under the field `block`, the modal stays open with what
/// the user typed (slack-ui.md §2.1).
pub(crate) fn field_error(block: &str, text: &str) -> HttpResponse {
    http_io::json(
        StatusCode::OK,
        &json!({"response_action": "errors", "errors": {block: text}}),
    )
}

/// `response_action: update`: the submitted modal becomes `view`.
pub(crate) fn view_update(view: &serde_json::Value) -> HttpResponse {
    http_io::json(
        StatusCode::OK,
        &json!({"response_action": "update", "view": view}),
    )
}

#[cfg(test)]
mod tests {
    use super::{picker_date, picker_time};

    #[test]
    fn picker_values_are_real_dates_and_times_in_slacks_exact_shape() {
        assert_eq!(
            picker_date("2028-02-29"),
            Some(jiff::civil::date(2028, 2, 29))
        );
        assert_eq!(picker_time("09:05"), Some(jiff::civil::time(9, 5, 0, 0)));
        assert_eq!(picker_time("23:59"), Some(jiff::civil::time(23, 59, 0, 0)));
        for date in [
            "2027-02-29", // not a leap year
            "2026-13-01",
            "2026-12-32",
            "2026-1-01",
            "26-12-01",
            "2026-12-01T09:00",
            "2026-12-01-",
            "+2026-12-01",
            "2026-12-0a",
            "",
        ] {
            assert_eq!(picker_date(date), None, "{date}");
        }
        for time in ["24:00", "09:60", "9:05", "09:05:00", "+9:05", "09-05", ""] {
            assert_eq!(picker_time(time), None, "{time}");
        }
    }
}
