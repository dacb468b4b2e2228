//! "Create task" (from the edit modal or `/followup task`): a task for a CRM contact, due at
//! a date and time in the user's own zone, stored by the CRM in UTC. The contact comes from an
//! external select the `options` function answers; from a follow-up, the first external
//! attendee found in the CRM is chosen already.

use app::ui::crm::{Choice, TaskView, task};
use app::ui::editor::Banner;
use followup::Session;
use followup::crm::{ContactId, NewTask, TaskKind};
use followup::service::UserZone;
use followup::service::follow_up::{chosen_start, follow_up_start};
use jiff::ToSpan;
use tenant::idempotency::{Attempt, Once, Settle};
use tenant::job::TaskForm;
use tenant::ports::LedgerKey;
use tenant::{JobEnvelope, Secret, UserId};
use tracing::{info, warn};

use super::{Failed, crm_settle};
use crate::Worker;
use crate::error::JobError;

/// A task with no agreed date is due the next morning at this hour, local.
const DEFAULT_HOUR: i8 = 9;

fn kind_of(raw: &str) -> Option<TaskKind> {
    match raw {
        "call" => Some(TaskKind::Call),
        "email" => Some(TaskKind::Email),
        "todo" => Some(TaskKind::Todo),
        _ => None,
    }
}

/// The default due date and time in `zone`: the follow-up the meeting agreed on, else the
/// next day at 09:00.
fn default_due(
    session: Option<&Session>,
    zone: &UserZone,
    now: jiff::Timestamp,
) -> (String, String) {
    if let Some(s) = session
        && let Some(draft) = s.current_draft()
        && draft.follow_up.agreed
        && let Ok((start, _)) = follow_up_start(&draft.follow_up, s.meeting_started_at, zone)
    {
        return (
            start.date().to_string(),
            start.time().strftime("%H:%M").to_string(),
        );
    }
    let today = now.to_zoned_datetime(zone.tz().clone()).date();
    let tomorrow = today.checked_add(1.day()).unwrap_or(today);
    (tomorrow.to_string(), format!("{DEFAULT_HOUR:02}:00"))
}

/// The form as it was submitted, to show again (the user's input kept).
fn view_of(form: &TaskForm, recording: Option<u64>, crm: &str, zone: &UserZone) -> TaskView {
    TaskView {
        recording: recording.map(|r| r.to_string()).unwrap_or_default(),
        crm: crm.to_owned(),
        contact: (!form.contact.is_empty()).then(|| Choice {
            value: form.contact.clone(),
            label: form.contact_label.clone(),
        }),
        title: form.title.clone(),
        kind: form.kind.clone(),
        date: form.date.clone(),
        time: form.time.clone(),
        zone: zone.iana_name().to_owned(),
        notes: form.notes.clone(),
    }
}

enum Created {
    Written(String),
    Unconfirmed,
}

impl Worker {
    /// The task modal, prefilled, in place of the current view.
    pub(crate) async fn crm_open_task(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        session: Option<&Session>,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let ready = match self.crm_ready(job, user).await? {
            Ok(ready) => ready,
            Err(banner) => return self.task_blocked(&token, view_id, session, banner).await,
        };
        let zone = self.user_zone(&token, &job.tenant, user).await;
        let (date, time) = default_due(session, &zone, self.now());
        // The first external attendee the CRM knows, chosen already.
        let mut contact = None;
        if let Some(s) = session {
            for mailbox in s.recipients.iter().take(3) {
                match ready
                    .crm
                    .search_contacts(&ready.access, mailbox.address.as_str())
                    .await
                {
                    Ok(found) => {
                        if let Some(c) = found.into_iter().next() {
                            let label = match &c.email {
                                Some(email) => format!("{} · {email}", c.name),
                                None => c.name.clone(),
                            };
                            contact = Some(Choice {
                                value: c.id.as_str().to_owned(),
                                label,
                            });
                            break;
                        }
                    }
                    // Best effort: the user can still search.
                    Err(err) => {
                        warn!(error = %err, "contact look-up for the task failed");
                        break;
                    }
                }
            }
        }
        let view = TaskView {
            recording: session.map(|s| s.recording.to_string()).unwrap_or_default(),
            crm: ready.kind.name().to_owned(),
            contact,
            title: session
                .map(|s| format!("Follow up: {}", s.meeting_title.trim()))
                .unwrap_or_default(),
            kind: "call".into(),
            date,
            time,
            zone: zone.iana_name().to_owned(),
            notes: session
                .and_then(|s| s.current_draft())
                .map(|d| d.summary.clone())
                .unwrap_or_default(),
        };
        self.web
            .update_view(&token, view_id, None, &task(&view, None))
            .await?;
        Ok(())
    }

    /// No usable CRM: in the edit modal when there is a follow-up, else a notice.
    async fn task_blocked(
        &self,
        token: &Secret,
        view_id: &str,
        session: Option<&Session>,
        banner: Banner,
    ) -> Result<(), JobError> {
        if let Some(session) = session {
            return self.back_to_editor(token, view_id, session, banner).await;
        }
        let text = match &banner {
            Banner::Error(text) | Banner::Needs { text, .. } | Banner::Done { text, .. } => text,
        };
        self.web
            .update_view(
                token,
                view_id,
                None,
                &app::ui::modals::notice("Create task", text),
            )
            .await?;
        Ok(())
    }

    /// The task modal's submit: the due time converted from the user's zone to UTC, the task
    /// created once per job (a redelivery or a replayed submit does not make a second one).
    pub(crate) async fn crm_create_task(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        recording: Option<u64>,
        form: &TaskForm,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let ready = match self.crm_ready(job, user).await? {
            Ok(ready) => ready,
            Err(banner) => {
                let zone = self.user_zone(&token, &job.tenant, user).await;
                let view = view_of(form, recording, "the CRM", &zone);
                self.web
                    .update_view(&token, view_id, None, &task(&view, Some(&banner)))
                    .await?;
                return Ok(());
            }
        };
        let crm = ready.kind;
        let zone = self.user_zone(&token, &job.tenant, user).await;
        let view = view_of(form, recording, crm.name(), &zone);
        let show = |banner: Banner| {
            let modal = task(&view, Some(&banner));
            let token = token.clone();
            async move {
                self.web.update_view(&token, view_id, None, &modal).await?;
                Ok::<(), JobError>(())
            }
        };
        let (Ok(contact), Some(kind)) = (ContactId::parse(&form.contact), kind_of(&form.kind))
        else {
            return show(Banner::Error(
                "Pick a contact and a type for the task.".into(),
            ))
            .await;
        };
        let Some(due) = chosen_start(&form.date, &form.time, &zone) else {
            return show(Banner::Error("Pick the date and time it is due.".into())).await;
        };
        if due.timestamp() <= self.now() {
            return show(Banner::Error(format!(
                "{} {} has passed in {}: pick a later time.",
                form.date,
                form.time,
                zone.iana_name()
            )))
            .await;
        }
        let new = NewTask {
            subject: form.title.trim().to_owned(),
            description: form.notes.clone(),
            due: due.timestamp(),
            kind,
        };
        if new.subject.is_empty() {
            return show(Banner::Error("Give the task a title.".into())).await;
        }
        let key = LedgerKey::Effect(format!("crm-task#{user}#{}", job.id));
        let ready_ref = &ready;
        let ran = self
            .effect_once(job, key, |attempt| async move {
                if attempt == Attempt::Recovery {
                    warn!("an earlier try of this task may have reached the CRM: not repeated");
                    return Settle::Done {
                        value: Created::Unconfirmed,
                        outcome: "unconfirmed".to_owned(),
                    };
                }
                let written = ready_ref
                    .crm
                    .create_task(&ready_ref.access, &contact, &new)
                    .await;
                crm_settle(written.map(|w| Created::Written(w.link)))
            })
            .await?;
        let when = format!("{} {} ({})", form.date, form.time, zone.iana_name());
        let banner = match ran {
            Once::Ran(Ok(Created::Written(link))) => {
                info!(crm = %crm, "task created");
                Banner::Done {
                    text: format!("Task created in {crm}, due {when}"),
                    link: Some((format!("Open in {crm}"), link)),
                }
            }
            Once::Ran(Ok(Created::Unconfirmed)) => Banner::Error(format!(
                "Switchboard could not confirm that {crm} saved the task (it stopped answering): \
                 look at the contact in {crm} before creating it again."
            )),
            Once::AlreadyDone { .. } => Banner::Done {
                text: format!("Task created in {crm}, due {when}"),
                link: None,
            },
            Once::Busy => return Err(JobError::StepBusy),
            Once::Ran(Err(err)) => match self.crm_failed(job, user, crm, err, "the task").await? {
                Failed::Banner(banner) => banner,
                Failed::Retry(err) => return Err(err),
            },
        };
        show(banner).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_in_rome_in_winter_is_eight_utc() {
        let zone = UserZone::resolve(Some("Europe/Rome"));
        let due = chosen_start("2026-01-15", "09:00", &zone).unwrap();
        assert_eq!(due.timestamp().to_string(), "2026-01-15T08:00:00Z");
        let summer = chosen_start("2026-07-15", "09:00", &zone).unwrap();
        assert_eq!(summer.timestamp().to_string(), "2026-07-15T07:00:00Z");
    }

    #[test]
    fn without_an_agreed_date_the_task_is_due_the_next_morning_local() {
        let zone = UserZone::resolve(Some("Europe/Rome"));
        // 23:30 UTC on 1 Dec is 00:30 on 2 Dec in Rome: "tomorrow" is the 3rd.
        let now: jiff::Timestamp = "2026-12-01T23:30:00Z".parse().unwrap();
        assert_eq!(
            default_due(None, &zone, now),
            ("2026-12-03".to_owned(), "09:00".to_owned())
        );
    }
}
