//! The "View & edit" modal: the draft's four texts, editable, and the actions that use them.
//! Every action reads the text from the modal's state at the moment it is pressed (never the
//! first draft), and the result shows in place as a banner, with the user's text kept.

use serde_json::{Value, json};

use super::{escape_mrkdwn, ids, plain, truncate};

/// Slack's limit on a plain_text_input's value (slack-ui.md §8).
pub const MAX_INPUT: usize = 3000;

/// The four texts of a draft as the modal shows and returns them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EditorTexts {
    pub summary: String,
    pub subject: String,
    pub body: String,
    pub crm_note: String,
}

impl std::fmt::Debug for EditorTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Customer text: lengths only.
        f.debug_struct("EditorTexts")
            .field("summary", &self.summary.len())
            .field("subject", &self.subject.len())
            .field("body", &self.body.len())
            .field("crm_note", &self.crm_note.len())
            .finish()
    }
}

/// What happened last, shown at the top of the modal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner {
    /// Done: `text` and an optional (label, url) link such as ("Open draft", …).
    Done {
        text: String,
        link: Option<(String, String)>,
    },
    /// Failed: what to do next (never a provider's message).
    Error(String),
    /// Failed, and the next step is a link (label, url): "Connect Google".
    Needs {
        text: String,
        link: (String, String),
    },
}

/// The banner as the section at the top of a modal.
pub fn banner_block(banner: &Banner) -> Value {
    let text = match banner {
        Banner::Done {
            text,
            link: Some((label, url)),
        } => {
            format!(
                ":white_check_mark: {} · <{}|{}>",
                escape_mrkdwn(text),
                url,
                escape_mrkdwn(label)
            )
        }
        Banner::Done { text, link: None } => {
            format!(":white_check_mark: {}", escape_mrkdwn(text))
        }
        Banner::Error(text) => format!(":warning: {}", escape_mrkdwn(text)),
        Banner::Needs {
            text,
            link: (label, url),
        } => format!(
            ":warning: {} <{}|{}>",
            escape_mrkdwn(text),
            url,
            escape_mrkdwn(label)
        ),
    };
    json!({"type": "section", "block_id": "banner", "text": {"type": "mrkdwn", "text": text}})
}

fn input(block: &str, label: &str, value: &str, multiline: bool) -> Value {
    json!({
        "type": "input",
        "block_id": block,
        "label": plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": block,
            "multiline": multiline,
            "max_length": MAX_INPUT,
            "initial_value": truncate(value, MAX_INPUT),
        },
    })
}

/// The edit modal for the meeting `title` (recording `recording`), with `texts` in its fields.
pub fn editor(title: &str, recording: &str, texts: &EditorTexts, banner: Option<&Banner>) -> Value {
    let mut blocks = Vec::new();
    blocks.extend(banner.map(banner_block));
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!(
        "*{}* · edit anything: every action below uses your text as it is now.", escape_mrkdwn(title))}]}));
    blocks.push(input(ids::EDIT_SUMMARY, "Summary", &texts.summary, true));
    blocks.push(input(
        ids::EDIT_SUBJECT,
        "Email subject",
        &texts.subject,
        false,
    ));
    blocks.push(input(ids::EDIT_BODY, "Email", &texts.body, true));
    blocks.push(input(ids::EDIT_NOTE, "CRM note", &texts.crm_note, true));
    blocks.push(json!({"type": "actions", "block_id": "followup_actions", "elements": [
        {"type": "button", "action_id": ids::ACTION_GMAIL, "text": plain("Gmail draft"), "value": recording},
        {"type": "button", "action_id": ids::ACTION_CALENDAR, "text": plain("Calendar event"), "value": recording},
        {"type": "button", "action_id": ids::ACTION_CRM_NOTE, "text": plain("Log to CRM"), "value": recording},
        {"type": "button", "action_id": ids::ACTION_CRM_DEALS, "text": plain("Deals"), "value": recording},
        {"type": "button", "action_id": ids::ACTION_CRM_TASK, "text": plain("Create task"), "value": recording},
    ]}));
    json!({
        "type": "modal",
        "callback_id": ids::EDITOR,
        "private_metadata": recording,
        "title": plain("Follow-up"),
        "submit": plain("Save"),
        "close": plain("Close"),
        "blocks": blocks,
    })
}
