//! The calendar form the edit modal turns into when "Calendar event" is pressed: the
//! follow-up's date and time (prefilled with what the meeting agreed, or a week on at the same
//! local time) in the user's own zone, the guests, and whether Google emails them invitations
//! now. Nothing is sent to anyone unless the user picks it here.

use serde_json::{Value, json};

use super::{escape_mrkdwn, ids, plain, truncate};

/// A multi_static_select holds at most 100 options, a checkbox group 10 (slack-ui.md §8).
const MAX_GUESTS: usize = 100;
const MAX_CHECKBOXES: usize = 10;

/// What the form shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventForm {
    pub meeting_title: String,
    /// `YYYY-MM-DD`, in `zone`.
    pub date: String,
    /// `HH:mm`, in `zone`.
    pub time: String,
    /// The IANA zone the date and time are in (the user's, from Slack).
    pub zone: String,
    pub minutes: u32,
    /// (label, email) of each external attendee; all are chosen at first.
    pub guests: Vec<(String, String)>,
    /// Why the last submit was not done (a date in the past, say), shown at the top.
    pub error: Option<String>,
}

/// The form as a modal for recording `recording`.
pub fn event_form(recording: &str, form: &EventForm) -> Value {
    let mut blocks = Vec::new();
    if let Some(error) = &form.error {
        blocks.push(json!({"type": "section", "block_id": "banner",
            "text": {"type": "mrkdwn", "text": format!(":warning: {}", escape_mrkdwn(error))}}));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!(
        "*Follow-up: {}* · {} minutes · Google Meet link · reminders a day and 30 minutes before · times in {}",
        escape_mrkdwn(form.meeting_title.trim()), form.minutes, escape_mrkdwn(&form.zone))}]}));
    blocks.push(json!({
        "type": "input", "block_id": ids::EVENT_DATE, "label": plain("Date"),
        "element": {"type": "datepicker", "action_id": ids::EVENT_DATE, "initial_date": form.date},
    }));
    blocks.push(json!({
        "type": "input", "block_id": ids::EVENT_TIME, "label": plain("Start"),
        "element": {"type": "timepicker", "action_id": ids::EVENT_TIME,
            "initial_time": form.time, "timezone": form.zone},
    }));
    let options: Vec<Value> = form
        .guests
        .iter()
        .take(MAX_GUESTS)
        .map(|(label, email)| json!({"text": plain(&truncate(label, 75)), "value": email}))
        .collect();
    if options.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": "No external attendees were on the invite: the event goes on your calendar only."}}));
    } else {
        // Checkboxes show every guest at a glance; a long invite list needs the select.
        let kind = if options.len() <= MAX_CHECKBOXES {
            "checkboxes"
        } else {
            "multi_static_select"
        };
        blocks.push(json!({
            "type": "input", "block_id": ids::EVENT_GUESTS, "label": plain("Guests"),
            "optional": true,
            "element": {"type": kind, "action_id": ids::EVENT_GUESTS,
                "options": options, "initial_options": options},
        }));
    }
    let quiet = json!({"text": plain("Don't email invitations yet"), "value": ids::INVITE_NONE});
    let send =
        json!({"text": plain("Email the guests an invitation now"), "value": ids::INVITE_SEND});
    blocks.push(json!({
        "type": "input", "block_id": ids::EVENT_INVITE, "label": plain("Invitations"),
        "element": {"type": "radio_buttons", "action_id": ids::EVENT_INVITE,
            "options": [quiet, send], "initial_option": quiet},
    }));
    blocks.push(json!({"type": "actions", "block_id": "event_actions", "elements": [
        {"type": "button", "action_id": ids::EVENT_BACK, "text": plain("Back to the follow-up"), "value": recording},
    ]}));
    json!({
        "type": "modal",
        "callback_id": ids::EVENT_FORM,
        "private_metadata": recording,
        "title": plain("Calendar event"),
        "submit": plain("Create event"),
        "close": plain("Cancel"),
        "blocks": blocks,
    })
}

/// The form while the worker creates the event.
pub fn creating_event(recording: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": ids::EDITOR,
        "private_metadata": recording,
        "title": plain("Calendar event"),
        "close": plain("Close"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn",
            "text": ":hourglass_flowing_sand: Creating the event…"}}],
    })
}
