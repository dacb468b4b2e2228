//! Modals of the follow-up flow.

use serde_json::{Value, json};

use super::{escape_mrkdwn, ids, plain, truncate};

/// Slack's limits for a static select (slack-ui.md §8).
const MAX_OPTIONS: usize = 100;
const MAX_OPTION_TEXT: usize = 75;

fn modal(title: &str, callback_id: &str, blocks: Vec<Value>) -> Value {
    json!({
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(&truncate(title, 24)),
        "close": plain("Close"),
        "blocks": blocks,
    })
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
}

/// What the user sees the moment they type `/followup`: opened by the commands function on
/// the fresh trigger id, filled by the worker with [`picker`] or a notice.
pub fn loading() -> Value {
    modal(
        "Follow-up",
        ids::PICKER,
        vec![section(":hourglass_flowing_sand: Loading your meetings…")],
    )
}

/// The edit modal while the worker loads the session.
pub fn loading_editor() -> Value {
    modal(
        "Follow-up",
        ids::EDITOR,
        vec![section(":hourglass_flowing_sand: Loading your follow-up…")],
    )
}

/// One meeting in the picker: `label` as the user reads it ("09:30 · Demo with Acme · 45 min"),
/// `value` what comes back on submit (the recording id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerOption {
    pub label: String,
    pub value: String,
}

/// The meeting picker for one local day. `day_label` names it ("Today, Tue 1 Dec");
/// `earlier` is the day offset the "Earlier" button shows next, `None` at the 14-day limit.
pub fn picker(day_label: &str, options: &[PickerOption], earlier: Option<u8>) -> Value {
    let options: Vec<Value> = options
        .iter()
        .take(MAX_OPTIONS)
        .map(|o| {
            json!({
                "text": plain(&truncate(&o.label, MAX_OPTION_TEXT)),
                "value": o.value,
            })
        })
        .collect();
    let mut blocks = vec![
        section(&format!("*{}*", escape_mrkdwn(day_label))),
        json!({
            "type": "input",
            "block_id": ids::PICKER_MEETING,
            "label": plain("Meeting"),
            "element": {
                "type": "static_select",
                "action_id": ids::PICKER_MEETING,
                "placeholder": plain("Pick a meeting you recorded"),
                "options": options,
            },
        }),
    ];
    blocks.extend(earlier_button(earlier));
    let mut view = modal("Follow-up", ids::PICKER, blocks);
    view["submit"] = plain("Generate");
    view
}

/// No meeting on the day shown. `earlier` is `None` on the oldest day the picker reaches: the
/// user paged there, past days that may have had meetings, so the text names the day and the
/// limit rather than claiming two empty weeks.
pub fn no_meetings(day_label: &str, earlier: Option<u8>) -> Value {
    let day = escape_mrkdwn(day_label);
    let text = match earlier {
        Some(_) => format!(
            "No recorded meetings on *{day}*. Look at an earlier day, or record one with Fathom."
        ),
        None => format!(
            "No recorded meetings on *{day}*. The picker goes back 14 days, no further: run \
             `/followup` again to start from today."
        ),
    };
    let mut blocks = vec![section(&text)];
    blocks.extend(earlier_button(earlier));
    modal("Follow-up", ids::PICKER, blocks)
}

fn earlier_button(earlier: Option<u8>) -> Option<Value> {
    let day = earlier?;
    Some(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "action_id": ids::PICKER_EARLIER,
            "text": plain("Earlier"),
            "value": day.to_string(),
        }],
    }))
}

/// The user has not connected Fathom: say so and offer the way.
pub fn no_recorder() -> Value {
    modal(
        "Connect Fathom",
        ids::PICKER,
        vec![
            section(
                "To turn your meetings into follow-ups, Switchboard needs to read them from \
                 *Fathom*. Connect your Fathom account first; only you will see your meetings.",
            ),
            json!({
                "type": "actions",
                "elements": [{
                    "type": "button",
                    "style": "primary",
                    "action_id": ids::FATHOM_CONNECT_OPEN,
                    "text": plain("Connect Fathom"),
                }],
            }),
        ],
    )
}

/// Pasting a Fathom API key. `error` is shown under the field (inline, slack-ui.md §2.1) when
/// the previous key was refused; the key itself is never echoed back.
pub fn connect_fathom(error: Option<&str>) -> Value {
    connect_fathom_with(error, None)
}

/// [`connect_fathom`], offering "Connect with Fathom" (OAuth) first when `oauth_link` (the
/// user's signed connect link) is given: a link button, so the browser opens it.
pub fn connect_fathom_with(error: Option<&str>, oauth_link: Option<&str>) -> Value {
    let mut blocks = Vec::new();
    if let Some(url) = oauth_link {
        blocks.push(section(
            "Sign in with your Fathom account (recommended): Fathom asks you to allow \
             Switchboard to read your meetings.",
        ));
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "style": "primary",
                "action_id": ids::CONNECT_LINK,
                "text": plain("Connect with Fathom"),
                "url": url,
            }],
        }));
        blocks.push(context("Or paste an API key instead:"));
    }
    blocks.extend([
        section(
            "Paste an API key from Fathom: *Settings → API Access → Generate API key*. \
             It is stored encrypted and used only to read your own meetings.",
        ),
        json!({
            "type": "input",
            "block_id": ids::FATHOM_KEY,
            "label": plain("Fathom API key"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids::FATHOM_KEY,
                "placeholder": plain("Your Fathom API key"),
            },
        }),
    ]);
    if let Some(error) = error {
        blocks.push(context(&format!(":warning: {}", escape_mrkdwn(error))));
    }
    let mut view = modal("Connect Fathom", ids::FATHOM_CONNECT, blocks);
    view["submit"] = plain("Connect");
    view
}

/// While the worker checks a pasted key with Fathom.
pub fn checking_key() -> Value {
    modal(
        "Connect Fathom",
        ids::FATHOM_CONNECT,
        vec![section(
            ":hourglass_flowing_sand: Checking your key with Fathom…",
        )],
    )
}

/// A short notice in a modal: `text` says what happened and what to do next.
pub fn notice(title: &str, text: &str) -> Value {
    modal(title, ids::PICKER, vec![section(text)])
}
