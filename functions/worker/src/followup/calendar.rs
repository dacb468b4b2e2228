//! "Calendar event": the edit modal becomes a form prefilled with the follow-up's date (agreed
//! in the meeting, or a week on at the same local time) in the user's zone, with the meeting's
//! external attendees and invitations off; its submit creates the event as chosen, once per
//! job, and the follow-up shows again with a link to it.

use app::ui::calendar::{EventForm, event_form};
use app::ui::editor::{Banner, editor};
use app::ui::modals;
use followup::service::follow_up::{
    FOLLOW_UP_LENGTH, chosen_start, event_request, follow_up_start,
};
use followup::session::ArtifactKind;
use followup::{Mailbox, RecordingId, Session, SessionKey};
use tenant::job::CreateEvent;
use tenant::{JobEnvelope, Secret};

use super::editor::{GONE, banner_for, texts_of};
use crate::Worker;
use crate::error::JobError;

/// The form shows (label, email) per guest: the name when the invite had one.
fn guest_options(recipients: &[Mailbox]) -> Vec<(String, String)> {
    recipients
        .iter()
        .map(|m| {
            let email = m.address.as_str().to_owned();
            let label = match m.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => format!("{name} <{email}>"),
                None => email.clone(),
            };
            (label, email)
        })
        .collect()
}

impl Worker {
    /// Turns the modal `view_id` into the calendar form for `session`; `error` (a chosen time
    /// that could not be used) shows on top with what the user chose kept in the fields.
    pub(super) async fn show_event_form(
        &self,
        job: &JobEnvelope,
        bot: &Secret,
        view_id: &str,
        session: &Session,
        chosen: Option<(&str, &str, String)>,
    ) -> Result<(), JobError> {
        let zone = self.user_zone(bot, &job.tenant, &session.user).await;
        let (date, time, error) = match chosen {
            Some((date, time, error)) => (date.to_owned(), time.to_owned(), Some(error)),
            None => {
                let plan = session
                    .current_draft()
                    .map(|d| d.follow_up.clone())
                    .unwrap_or_default();
                match follow_up_start(&plan, session.meeting_started_at, &zone) {
                    Ok((start, _)) => (
                        start.date().to_string(),
                        start.strftime("%H:%M").to_string(),
                        None,
                    ),
                    // An agreed date off the calendar: a week from now, at this hour.
                    Err(_) => {
                        let now = self.now().to_zoned_datetime(zone.tz().clone());
                        let week = now.saturating_add(jiff::ToSpan::days(7));
                        (
                            week.date().to_string(),
                            week.strftime("%H:00").to_string(),
                            None,
                        )
                    }
                }
            }
        };
        let form = EventForm {
            meeting_title: session.meeting_title.clone(),
            date,
            time,
            zone: zone.iana_name().to_owned(),
            minutes: (FOLLOW_UP_LENGTH.as_secs() / 60) as u32,
            guests: guest_options(&session.recipients),
            error,
        };
        let view = event_form(&session.recording.get().to_string(), &form);
        self.web.update_view(bot, view_id, None, &view).await?;
        Ok(())
    }

    /// The calendar form's submit: the event as the user chose it, then the follow-up again
    /// with a banner (a link to the event, or what to do).
    pub(crate) async fn create_event(
        &self,
        job: &JobEnvelope,
        create: &CreateEvent,
    ) -> Result<(), JobError> {
        let followup = self.followup()?;
        let bot = self.bot_token(job).await?;
        // Always the pressing user's own session: another user's recording id finds nothing.
        let key = SessionKey::new(
            job.tenant.clone(),
            create.user.clone(),
            RecordingId::new(create.recording),
        );
        let Some(session) = followup
            .sessions
            .get(&key, self.now())
            .await?
            .map(|r| r.value)
        else {
            let gone = modals::notice("Follow-up", GONE);
            self.web
                .update_view(&bot, &create.view_id, None, &gone)
                .await?;
            return Ok(());
        };
        let choice = &create.choice;
        let zone = self.user_zone(&bot, &job.tenant, &create.user).await;
        // A time that cannot be booked: the form again, with the user's choice and why.
        let start = match chosen_start(&choice.date, &choice.time, &zone) {
            Some(start) if start.timestamp() > self.now() => start,
            unusable => {
                let why = match unusable {
                    None => "Pick a date and a time.",
                    Some(_) => "That time has already passed: pick one in the future.",
                };
                let kept = (choice.date.as_str(), choice.time.as_str(), why.to_owned());
                return self
                    .show_event_form(job, &bot, &create.view_id, &session, Some(kept))
                    .await;
            }
        };
        let Some(calendar) = &followup.calendar else {
            return self
                .editor_with_banner(
                    &bot,
                    &create.view_id,
                    &session,
                    Banner::Error("Calendar events are not enabled on this Switchboard.".into()),
                )
                .await;
        };
        let token = match self.google_token(job, &create.user).await? {
            Ok(token) => token,
            Err(banner) => {
                return self
                    .editor_with_banner(&bot, &create.view_id, &session, banner)
                    .await;
            }
        };
        // Only the meeting's own attendees can be invited from here: a forged form cannot add
        // an address the meeting did not have.
        let guests: Vec<Mailbox> = session
            .recipients
            .iter()
            .filter(|m| choice.guests.iter().any(|g| g == m.address.as_str()))
            .cloned()
            .collect();
        let invited = choice.send_invitations && !guests.is_empty();
        let description = session
            .current_draft()
            .map(|d| d.summary.clone())
            .unwrap_or_default();
        let event = event_request(
            &session.meeting_title,
            start,
            &zone,
            guests,
            description,
            invited,
        );
        let created = self
            .artifact_once(
                job,
                "calendar",
                &session,
                ArtifactKind::CalendarEvent,
                || async { calendar.create_event(&token, &event).await },
            )
            .await?;
        let banner = match created {
            Ok(artifact) => Banner::Done {
                text: if invited {
                    "Event added to your calendar; invitations sent".into()
                } else {
                    "Event added to your calendar (no invitations sent)".into()
                },
                link: Some(("Open event".into(), artifact.link)),
            },
            Err(err) => banner_for(&err, "event"),
        };
        self.editor_with_banner(&bot, &create.view_id, &session, banner)
            .await
    }

    /// The edit modal for `session` with `banner` on top, in place of `view_id`.
    pub(super) async fn editor_with_banner(
        &self,
        bot: &Secret,
        view_id: &str,
        session: &Session,
        banner: Banner,
    ) -> Result<(), JobError> {
        let texts = session.current_draft().map(texts_of).unwrap_or_default();
        let view = editor(
            &session.meeting_title,
            &session.recording.get().to_string(),
            &texts,
            Some(&banner),
        );
        self.web.update_view(bot, view_id, None, &view).await?;
        Ok(())
    }
}
