//! The CRM's modals: the account chooser, the deals, the task, and the admins' connection
//! modal with its key form. Results and errors show in place as a [`Banner`] (the user's
//! input kept); nothing here names a provider's raw error.

use serde_json::{Value, json};

use super::editor::{Banner, banner_block};
use super::{escape_mrkdwn, ids, plain, truncate};

/// Slack's limits (slack-ui.md §8): 100 options in a static select, 75 characters an option,
/// 150 a value, 100 blocks a modal.
const MAX_OPTIONS: usize = 100;
const MAX_OPTION_TEXT: usize = 75;
/// Deals shown at once: each takes three blocks, and a modal holds 100.
pub const MAX_DEALS: usize = 10;

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
}

/// One option of a select: what the user reads, and the id that comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// As Block Kit's option object.
pub fn option(choice: &Choice) -> Value {
    json!({
        "text": plain(&truncate(&choice.label, MAX_OPTION_TEXT)),
        "value": truncate(&choice.value, 150),
    })
}

fn options(choices: &[Choice]) -> Vec<Value> {
    choices.iter().take(MAX_OPTIONS).map(option).collect()
}

fn modal(title: &str, callback_id: &str, metadata: &str, blocks: Vec<Value>) -> Value {
    json!({
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": plain(&truncate(title, 24)),
        "close": plain("Close"),
        "blocks": blocks,
    })
}

/// "Back to the follow-up" (the edit modal again, from the session).
fn back(recording: &str) -> Value {
    json!({"type": "actions", "block_id": "crm_back", "elements": [
        {"type": "button", "action_id": ids::EVENT_BACK, "text": plain("Back to the follow-up"), "value": recording},
    ]})
}

/// Which account a follow-up is about, when the CRM's search did not say: `candidates` (best
/// first; none when nothing matched) in a select, and a search by name answered by the
/// `options` function. `purpose` is `note` or `deals`: what is done with the pick.
pub fn account_chooser(
    recording: &str,
    purpose: &str,
    crm: &str,
    prompt: &str,
    candidates: &[Choice],
) -> Value {
    let mut blocks = vec![section(&escape_mrkdwn(prompt))];
    if !candidates.is_empty() {
        blocks.push(json!({
            "type": "input", "block_id": ids::CRM_ACCOUNT_PICK, "optional": true,
            "label": plain(&format!("Account in {crm}")),
            "element": {"type": "static_select", "action_id": ids::CRM_ACCOUNT_PICK,
                "placeholder": plain("Pick the account"), "options": options(candidates)},
        }));
    }
    blocks.push(json!({
        "type": "input", "block_id": ids::CRM_ACCOUNT_SEARCH, "optional": !candidates.is_empty(),
        "label": plain(if candidates.is_empty() { "Search for the account" } else { "Or search by name" }),
        "element": {"type": "external_select", "action_id": ids::CRM_ACCOUNT_SEARCH,
            "min_query_length": 2, "placeholder": plain("Type the company's name")},
    }));
    blocks.push(context(
        "Your pick is remembered for this company's domain, for everyone in the workspace.",
    ));
    blocks.push(back(recording));
    let mut view = modal(
        "Which account?",
        ids::CRM_ACCOUNT,
        &format!("{recording}:{purpose}"),
        blocks,
    );
    view["submit"] = plain(if purpose == "deals" {
        "Show deals"
    } else {
        "Log note"
    });
    view
}

/// One open deal in the deals modal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRow {
    pub id: String,
    pub name: String,
    pub pipeline: String,
    /// The deal's stage (its id) and its pipeline's stages, in the CRM's order.
    pub stage: String,
    pub stages: Vec<Choice>,
    /// Decimal text, if the deal has an amount.
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// "Open in <CRM>".
    pub link: String,
}

/// The account's open deals, each with its stage and amount editable. `account` is (name,
/// link).
pub fn deals(
    recording: &str,
    crm: &str,
    account: (&str, &str),
    rows: &[DealRow],
    banner: Option<&Banner>,
) -> Value {
    let mut blocks: Vec<Value> = banner.map(banner_block).into_iter().collect();
    blocks.push(context(&format!(
        "Open deals of *<{}|{}>* in {crm}",
        account.1,
        escape_mrkdwn(account.0)
    )));
    if rows.is_empty() {
        blocks.push(section(&format!(
            "This account has no open deals in {crm}. Closed ones (won or lost) are not shown."
        )));
    }
    for row in rows.iter().take(MAX_DEALS) {
        blocks.push(section(&format!(
            "*<{}|{}>* · {}",
            row.link,
            escape_mrkdwn(&row.name),
            escape_mrkdwn(&row.pipeline)
        )));
        let choices = options(&row.stages);
        let initial = row.stages.iter().find(|s| s.value == row.stage).map(option);
        let mut select = json!({"type": "static_select", "action_id": format!("{}{}", ids::DEAL_STAGE, row.id),
            "options": choices});
        if let Some(initial) = initial {
            select["initial_option"] = initial;
        }
        blocks.push(
            json!({"type": "input", "block_id": format!("{}{}", ids::DEAL_STAGE, row.id),
            "label": plain("Stage"), "element": select}),
        );
        let currency = row.currency.as_deref().unwrap_or("the deal's currency");
        let mut amount = json!({"type": "plain_text_input", "action_id": format!("{}{}", ids::DEAL_AMOUNT, row.id),
            "placeholder": plain("1500.00")});
        if let Some(value) = &row.amount {
            amount["initial_value"] = json!(value);
        }
        blocks.push(json!({"type": "input", "block_id": format!("{}{}", ids::DEAL_AMOUNT, row.id),
            "optional": true, "label": plain(&truncate(&format!("Amount ({currency})"), 2000)), "element": amount}));
    }
    if rows.len() > MAX_DEALS {
        blocks.push(context(&format!(
            "{} more open deals: open the account in {crm} to see them.",
            rows.len() - MAX_DEALS
        )));
    }
    blocks.push(back(recording));
    let mut view = modal("Deals", ids::CRM_DEALS, recording, blocks);
    if !rows.is_empty() {
        view["submit"] = plain("Save deals");
    }
    view
}

/// What the task modal shows (prefilled, or as the user submitted it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    /// The follow-up it belongs to; empty from `/followup task`.
    pub recording: String,
    pub crm: String,
    /// The contact chosen, if any (an external select's `initial_option`).
    pub contact: Option<Choice>,
    pub title: String,
    /// `call`, `email` or `todo`.
    pub kind: String,
    /// `YYYY-MM-DD` and `HH:mm` in `zone`.
    pub date: String,
    pub time: String,
    pub zone: String,
    pub notes: String,
}

/// The task kinds the modal offers, as (value, label).
pub const TASK_KINDS: [(&str, &str); 3] = [("call", "Call"), ("email", "Email"), ("todo", "To-do")];

/// The task modal: a contact found as the user types (the `options` function), a title, a
/// kind, the due date and time in the user's own zone, notes.
pub fn task(view: &TaskView, banner: Option<&Banner>) -> Value {
    let mut blocks: Vec<Value> = banner.map(banner_block).into_iter().collect();
    let mut contact = json!({"type": "external_select", "action_id": ids::TASK_CONTACT,
        "min_query_length": 2, "placeholder": plain("Type a name or an email")});
    if let Some(chosen) = &view.contact {
        contact["initial_option"] = option(chosen);
    }
    blocks.push(json!({"type": "input", "block_id": ids::TASK_CONTACT,
        "label": plain(&format!("Contact in {}", view.crm)), "element": contact}));
    blocks.push(
        json!({"type": "input", "block_id": ids::TASK_TITLE, "label": plain("Task"),
        "element": {"type": "plain_text_input", "action_id": ids::TASK_TITLE, "max_length": 255,
            "initial_value": truncate(&view.title, 255)}}),
    );
    let kinds: Vec<Value> = TASK_KINDS
        .iter()
        .map(|(value, label)| json!({"text": plain(label), "value": value}))
        .collect();
    let initial = kinds
        .iter()
        .find(|k| k["value"] == view.kind.as_str())
        .cloned()
        .unwrap_or_else(|| kinds[0].clone());
    blocks.push(
        json!({"type": "input", "block_id": ids::TASK_KIND, "label": plain("Type"),
        "element": {"type": "radio_buttons", "action_id": ids::TASK_KIND, "options": kinds,
            "initial_option": initial}}),
    );
    blocks.push(
        json!({"type": "input", "block_id": ids::TASK_DATE, "label": plain("Due date"),
        "element": {"type": "datepicker", "action_id": ids::TASK_DATE, "initial_date": view.date}}),
    );
    blocks.push(
        json!({"type": "input", "block_id": ids::TASK_TIME, "label": plain("Due time"),
        "element": {"type": "timepicker", "action_id": ids::TASK_TIME, "initial_time": view.time,
            "timezone": view.zone}}),
    );
    blocks.push(context(&format!(
        "Times are in {}: the CRM stores them in UTC.",
        escape_mrkdwn(&view.zone)
    )));
    blocks.push(
        json!({"type": "input", "block_id": ids::TASK_NOTES, "label": plain("Notes"),
        "optional": true,
        "element": {"type": "plain_text_input", "action_id": ids::TASK_NOTES, "multiline": true,
            "max_length": 3000, "initial_value": truncate(&view.notes, 3000)}}),
    );
    if !view.recording.is_empty() {
        blocks.push(back(&view.recording));
    }
    let mut modal = modal("Create task", ids::CRM_TASK, &view.recording, blocks);
    modal["submit"] = plain("Create task");
    modal
}

/// A modal that says the worker is on it (`what`: "Logging the note in HubSpot…").
pub fn working(title: &str, callback_id: &str, metadata: &str, what: &str) -> Value {
    modal(
        title,
        callback_id,
        metadata,
        vec![section(&format!(
            ":hourglass_flowing_sand: {}",
            escape_mrkdwn(what)
        ))],
    )
}

/// One CRM in the connection modal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    /// The CRM's stable name (`hubspot`): the buttons' value.
    pub value: String,
    pub name: String,
    pub state: ConnectionState,
    /// The admin's signed connect link, when this CRM connects by OAuth here.
    pub connect_url: Option<String>,
    /// Whether a pasted key connects it (Pipedrive, Crono).
    pub takes_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    NotConnected,
    Connected {
        default: bool,
        /// The account connected ("Acme portal"), if the CRM said.
        label: Option<String>,
        /// Since when the CRM refuses it (it needs reconnecting).
        broken: bool,
    },
}

/// The admins' CRM connections: connect (OAuth link or key), make default, disconnect.
pub fn connections(rows: &[ConnectionRow], banner: Option<&Banner>) -> Value {
    let mut blocks: Vec<Value> = banner.map(banner_block).into_iter().collect();
    blocks.push(section(
        "Connect the CRM your team uses. Follow-ups are logged in the *default* one; the \
         credentials are this workspace's own and used for nothing else.",
    ));
    for row in rows {
        let name = escape_mrkdwn(&row.name);
        let status = match &row.state {
            ConnectionState::NotConnected => format!("*{name}* · not connected"),
            ConnectionState::Connected {
                default,
                label,
                broken,
            } => {
                let mut text = format!("*{name}* · connected");
                if let Some(label) = label {
                    text.push_str(&format!(" to {}", escape_mrkdwn(label)));
                }
                if *default {
                    text.push_str(" · default");
                }
                if *broken {
                    text.push_str(&format!(
                        "\n:warning: {name} no longer accepts the connection: connect it again."
                    ));
                }
                text
            }
        };
        blocks.push(section(&status));
        let mut buttons = Vec::new();
        let connected = matches!(row.state, ConnectionState::Connected { .. });
        let reconnect = matches!(
            row.state,
            ConnectionState::NotConnected | ConnectionState::Connected { broken: true, .. }
        );
        if reconnect {
            if let Some(url) = &row.connect_url {
                buttons.push(
                    json!({"type": "button", "style": "primary", "action_id": ids::CONNECT_LINK,
                    "text": plain(&format!("Connect {}", row.name)), "url": url}),
                );
            }
            if row.takes_key {
                buttons.push(json!({"type": "button", "action_id": ids::CRM_KEY_OPEN,
                    "text": plain("Use an API key"), "value": row.value}));
            }
        }
        if let ConnectionState::Connected { default: false, .. } = row.state {
            buttons.push(json!({"type": "button", "action_id": ids::CRM_DEFAULT,
                "text": plain("Make default"), "value": row.value}));
        }
        if connected {
            buttons.push(json!({"type": "button", "style": "danger", "action_id": ids::CRM_DISCONNECT,
                "text": plain("Disconnect"), "value": row.value,
                "confirm": {"title": plain(&format!("Disconnect {}?", truncate(&row.name, 12))),
                    "text": plain("Follow-ups will no longer be logged there until an admin connects it again."),
                    "confirm": plain("Disconnect"), "deny": plain("Cancel")}}));
        }
        if !buttons.is_empty() {
            blocks.push(json!({"type": "actions", "block_id": format!("crm_row:{}", row.value), "elements": buttons}));
        }
    }
    if rows.is_empty() {
        blocks.push(section(
            "No CRM is configured on this Switchboard: ask its operator.",
        ));
    }
    modal("CRM", ids::CRM_CONNECT, "", blocks)
}

/// The key form for `crm` (`value`: its stable name). Crono takes a key pair, Pipedrive a
/// token. `error` (the last key was refused) shows at the top; a key is never echoed back.
pub fn key_form(value: &str, crm: &str, pair: bool, error: Option<&str>) -> Value {
    let mut blocks: Vec<Value> = error
        .map(|e| banner_block(&Banner::Error(e.to_owned())))
        .into_iter()
        .collect();
    let field = |block: &str, label: &str| {
        json!({"type": "input", "block_id": block, "label": plain(label),
            "element": {"type": "plain_text_input", "action_id": block, "max_length": 512}})
    };
    if pair {
        blocks.push(section(&format!(
            "Paste the key pair from *{crm} → Settings → API*. It is stored encrypted and used \
             only for this workspace's follow-ups."
        )));
        blocks.push(field(ids::CRM_KEY_PUBLIC, "Public key"));
        blocks.push(field(ids::CRM_KEY_PRIVATE, "Private key"));
    } else {
        blocks.push(section(&format!(
            "Paste an API token from *{crm} → Personal preferences → API*. It is stored \
             encrypted and used only for this workspace's follow-ups."
        )));
        blocks.push(field(ids::CRM_KEY_TOKEN, "API token"));
    }
    let mut view = modal(&format!("Connect {crm}"), ids::CRM_KEY, value, blocks);
    view["submit"] = plain("Connect");
    view
}

#[cfg(test)]
#[path = "crm_tests.rs"]
mod tests;
