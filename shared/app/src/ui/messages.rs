//! The DM messages of a follow-up: posted when a generation starts, updated in place when it
//! ends (chat.update), so the user has one message per meeting, never a channel post.

use serde_json::{Value, json};

use super::{escape_mrkdwn, ids, plain};

/// A DM message: the notification text and its blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct DmMessage {
    pub text: String,
    pub blocks: Value,
}

/// "Generating a follow-up for *title*…".
pub fn generating(title: &str) -> DmMessage {
    let text = format!(
        ":hourglass_flowing_sand: Generating a follow-up for *{}*…",
        escape_mrkdwn(title)
    );
    DmMessage {
        blocks: json!([{"type": "section", "text": {"type": "mrkdwn", "text": text}}]),
        text,
    }
}

/// Ready, with the summary and the "View & edit" button (its value names the recording).
pub fn ready(title: &str, summary: &str, recording: &str) -> DmMessage {
    let text = format!(
        ":white_check_mark: Your follow-up for *{}* is ready.",
        escape_mrkdwn(title)
    );
    DmMessage {
        blocks: json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": escape_mrkdwn(summary)}},
            {"type": "actions", "elements": [{
                "type": "button", "style": "primary", "action_id": ids::VIEW_EDIT,
                "text": plain("View & edit"), "value": recording,
            }]},
        ]),
        text,
    }
}

/// Failed: `reason` is our own sentence saying what to do next (never a provider's message).
pub fn failed(title: &str, reason: &str, recording: &str) -> DmMessage {
    let text = format!(
        ":warning: I could not prepare the follow-up for *{}*. {}",
        escape_mrkdwn(title),
        reason
    );
    DmMessage {
        blocks: json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": [{
                "type": "button", "action_id": ids::RETRY,
                "text": plain("Try again"), "value": recording,
            }]},
        ]),
        text,
    }
}
