//! Filling the meeting picker: the user's meetings of one local day, newest day first.

use app::ui::modals::{self, PickerOption};
use followup::service::labels::option_text;
use followup::service::{DayOffset, DayWindow, PickerMove, UserZone, next_offset};
use followup::{Meeting, ProviderError, Recorder, RecorderAuth};
use serde_json::Value;
use tenant::JobEnvelope;
use tenant::job::MeetingPicker;
use tracing::info;

use crate::Worker;
use crate::error::JobError;

/// At most this many recorder pages for one day (Fathom pages are 10 meetings): a rep with
/// more than 50 recordings a day is not a case to spend a minute of rate limit on.
const MAX_PAGES: usize = 5;

impl Worker {
    pub(crate) async fn meeting_picker(
        &self,
        job: &JobEnvelope,
        picker: &MeetingPicker,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let view = self.picker_view(job, &token, picker).await?;
        // Re-rendering is harmless, so a redelivered job simply updates the view again.
        self.web
            .update_view(&token, &picker.view_id, None, &view)
            .await?;
        Ok(())
    }

    /// The view to show: the picker of the first day with meetings, or why there is none.
    pub(crate) async fn picker_view(
        &self,
        job: &JobEnvelope,
        token: &tenant::Secret,
        picker: &MeetingPicker,
    ) -> Result<Value, JobError> {
        let followup = self.followup()?;
        let Some(auth) = self.recorder_auth(&job.tenant, &picker.user).await? else {
            return Ok(modals::no_recorder());
        };
        let zone = self.user_zone(token, &job.tenant, &picker.user).await;
        let now = self.now();
        let mut day = DayOffset::new(picker.day).ok_or(JobError::BadPayload("day offset"))?;
        loop {
            let window = DayWindow::of(now, &zone, day).map_err(|_| JobError::BadPayload("day"))?;
            let meetings = match meetings_on(followup.recorder.as_ref(), &auth, &window).await {
                Ok(meetings) => meetings,
                Err(ProviderError::Unauthorized) => {
                    info!("Fathom refused the user's credential: asking to reconnect");
                    return Ok(modals::connect_fathom(Some(
                        "Fathom no longer accepts your key. Paste a new one to reconnect.",
                    )));
                }
                Err(err) => return Err(err.into()),
            };
            if picker.fall_back
                && let Some(next) = next_offset(PickerMove::Open, day, !meetings.is_empty())
            {
                day = next;
                continue;
            }
            let label = day_label(&window, day, &zone);
            let earlier = day.earlier().map(DayOffset::days_back);
            info!(
                day = day.days_back(),
                meetings = meetings.len(),
                "picker filled"
            );
            if meetings.is_empty() {
                return Ok(modals::no_meetings(&label, earlier));
            }
            let options: Vec<PickerOption> = meetings
                .iter()
                .map(|m| PickerOption {
                    label: option_text(m, &zone),
                    value: m.recording_id.to_string(),
                })
                .collect();
            let mut view = modals::picker(&label, &options, earlier);
            // The day travels with the submission: generation looks the meeting up in it.
            view["private_metadata"] = Value::String(day.days_back().to_string());
            return Ok(view);
        }
    }
}

/// The meetings that started on `window`'s local day, earliest first, following the
/// recorder's cursor pages.
pub(crate) async fn meetings_on(
    recorder: &dyn Recorder,
    auth: &RecorderAuth,
    window: &DayWindow,
) -> Result<Vec<Meeting>, ProviderError> {
    let mut meetings = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = recorder.list_meetings(auth, &window.query(cursor)).await?;
        meetings.extend(page.meetings.into_iter().filter(|m| window.contains(m)));
        match page.next_cursor {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => break,
        }
    }
    meetings.sort_by_key(|m| m.started_at);
    Ok(meetings)
}

/// "Today · Tue 1 Dec", "Yesterday · Mon 30 Nov", "Wed 25 Nov"; "(times in UTC)" when the
/// user's zone is unknown.
fn day_label(window: &DayWindow, day: DayOffset, zone: &UserZone) -> String {
    let date = window.date.strftime("%a %-d %b").to_string();
    let mut label = match day.days_back() {
        0 => format!("Today · {date}"),
        1 => format!("Yesterday · {date}"),
        _ => date,
    };
    if zone.fell_back() {
        label.push_str(" (times in UTC)");
    }
    label
}
