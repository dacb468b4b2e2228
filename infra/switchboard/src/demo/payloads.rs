//! The requests Slack itself would send when the demo's user acts, built from what the fake
//! Slack shows them: slash commands (slack.md §4.1), `block_actions` from a modal or a message
//! (slack-ui.md §3), `view_submission` (slack-ui.md §2) and the `block_suggestion` an
//! external select sends as the person types (slack-ui.md §4), with `state.values` taken
//! from the form the person filled in.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

/// Who acts and where: the demo workspace, its user, the app.
#[derive(Debug, Clone)]
pub struct Actor {
    pub team: String,
    pub team_domain: String,
    pub user: String,
    pub user_name: String,
    pub app_id: String,
    pub bot_id: String,
}

/// What the page's form holds: block id → action id → the values chosen (several for
/// checkboxes, none for an empty field).
pub type FormValues = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The options the app last offered for each external select of a view, by (block id,
/// action id). Slack keeps them too: a pick is reported as the whole option it offered.
pub type Offered = BTreeMap<(String, String), Vec<Value>>;

/// The most options Slack shows from one answer (slack-ui.md §4).
pub const MAX_OFFERED: usize = 100;

/// Slack still sends its deprecated verification token; the app never trusts it (it checks the
/// signature), so any fixed value stands in for it.
const VERIFICATION_TOKEN: &str = "demoVerificationToken000";

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A fresh trigger id in Slack's shape (`132456.7890123.abcdef`, slack-ui.md §0). Each one is
/// new: a trigger opens one modal once.
fn trigger_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let salt: u32 = rand::random();
    format!("{}.{n}.{salt:08x}", now_secs())
}

fn action_ts() -> String {
    let now = jiff::Timestamp::now();
    format!("{}.{:06}", now.as_second(), now.subsec_microsecond())
}

/// The block id Slack reports for block number `index`: its own, or one generated (Slack
/// generates ids for blocks that have none; the demo's are stable per position).
pub fn block_id(block: &Value, index: usize) -> String {
    block["block_id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .map_or_else(|| format!("demo-{index}"), str::to_owned)
}

/// `blocks` with every block's id filled in as [`block_id`] reports it, so the page and the
/// payloads name blocks alike.
pub fn with_block_ids(blocks: &Value) -> Value {
    let Some(list) = blocks.as_array() else {
        return json!([]);
    };
    Value::Array(
        list.iter()
            .enumerate()
            .map(|(i, block)| {
                let mut block = block.clone();
                block["block_id"] = block_id(&block, i).into();
                block
            })
            .collect(),
    )
}

/// The interactive element `action_id` in block `block` of `blocks` (a section's accessory,
/// an actions block's element, an input's element).
pub fn find_element(blocks: &Value, block: &str, action_id: &str) -> Option<Value> {
    let list = blocks.as_array()?;
    let (_, found) = list
        .iter()
        .enumerate()
        .find(|(i, b)| block_id(b, *i) == block)?;
    let mut candidates = vec![&found["accessory"], &found["element"]];
    if let Some(elements) = found["elements"].as_array() {
        candidates.extend(elements);
    }
    candidates
        .into_iter()
        .find(|e| e["action_id"].as_str() == Some(action_id))
        .cloned()
}

/// A slash command as Slack posts it: form-encoded, fields in the documented order.
pub fn slash_command(
    actor: &Actor,
    channel: &str,
    command: &str,
    text: &str,
    response_url: &str,
) -> String {
    let trigger = trigger_id();
    let pairs = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", actor.team.as_str()),
        ("team_domain", actor.team_domain.as_str()),
        ("channel_id", channel),
        ("channel_name", "directmessage"),
        ("user_id", actor.user.as_str()),
        ("user_name", actor.user_name.as_str()),
        ("command", command),
        ("text", text),
        ("api_app_id", actor.app_id.as_str()),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger.as_str()),
    ];
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// An interaction as Slack posts it: `payload=<url-encoded JSON>`.
pub fn interaction_form(payload: &Value) -> String {
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap_or_default()
}

fn envelope(actor: &Actor, kind: &str) -> Map<String, Value> {
    let payload = json!({
        "type": kind,
        "team": {"id": actor.team, "domain": actor.team_domain},
        "user": {"id": actor.user, "username": actor.user_name, "name": actor.user_name,
                 "team_id": actor.team},
        "api_app_id": actor.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "enterprise": null,
        "is_enterprise_install": false,
    });
    match payload {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The view object Slack puts in a payload: the modal as last set, its id and hash, and the
/// state of its inputs.
pub fn view_object(
    actor: &Actor,
    id: &str,
    view: &Value,
    hash: &str,
    values: &FormValues,
    offered: &Offered,
) -> Value {
    let blocks = with_block_ids(&view["blocks"]);
    json!({
        "id": id,
        "team_id": actor.team,
        "type": "modal",
        "blocks": blocks,
        "private_metadata": view["private_metadata"].as_str().unwrap_or(""),
        "callback_id": view["callback_id"].as_str().unwrap_or(""),
        "state": {"values": state_values(&blocks, values, offered)},
        "hash": hash,
        "title": view["title"],
        "close": view["close"],
        "submit": view["submit"],
        "clear_on_close": view["clear_on_close"].as_bool().unwrap_or(false),
        "notify_on_close": view["notify_on_close"].as_bool().unwrap_or(false),
        "previous_view_id": null,
        "root_view_id": id,
        "app_id": actor.app_id,
        "external_id": view["external_id"].as_str().unwrap_or(""),
        "app_installed_team_id": actor.team,
        "bot_id": actor.bot_id,
    })
}

/// `view_submission` of the modal (slack-ui.md §2); `response_urls` at the top level, as the
/// SDKs have it.
pub fn view_submission(actor: &Actor, view: Value) -> Value {
    let mut payload = envelope(actor, "view_submission");
    payload.insert("view".into(), view);
    payload.insert("response_urls".into(), json!([]));
    Value::Object(payload)
}

/// `view_closed`, sent only for modals with `notify_on_close`.
pub fn view_closed(actor: &Actor, view: Value) -> Value {
    let mut payload = envelope(actor, "view_closed");
    payload.insert("view".into(), view);
    payload.insert("is_cleared".into(), false.into());
    Value::Object(payload)
}

/// `block_suggestion` of the external select `action_id` in `block` of the modal, with what
/// was typed so far (slack-ui.md §4). Slack sends no trigger id with it.
pub fn block_suggestion(
    actor: &Actor,
    view: Value,
    block: &str,
    action_id: &str,
    typed: &str,
) -> Value {
    let mut payload = envelope(actor, "block_suggestion");
    payload.remove("trigger_id");
    let view_id = view["id"].clone();
    payload.insert(
        "container".into(),
        json!({"type": "view", "view_id": view_id}),
    );
    payload.insert("action_id".into(), action_id.into());
    payload.insert("block_id".into(), block.into());
    payload.insert("value".into(), typed.into());
    payload.insert("view".into(), view);
    Value::Object(payload)
}

/// The options of an options answer (`options`, or every group's of `option_groups`), as
/// many as Slack shows; none for an answer of any other shape.
pub fn offered_options(answer: &Value) -> Vec<Value> {
    listed_options(answer)
        .filter(|o| o["value"].is_string() && o["text"]["text"].is_string())
        .take(MAX_OFFERED)
        .cloned()
        .collect()
}

/// `block_actions` for a button pressed in the modal (container `view`, no response_url).
pub fn modal_action(actor: &Actor, view: Value, block: &str, element: &Value) -> Value {
    let mut payload = envelope(actor, "block_actions");
    let view_id = view["id"].clone();
    payload.insert(
        "container".into(),
        json!({"type": "view", "view_id": view_id}),
    );
    payload.insert("view".into(), view);
    payload.insert("actions".into(), json!([action(block, element)]));
    Value::Object(payload)
}

/// `block_actions` for a button in a message of `channel` (container `message`, with the
/// message, a response_url and an empty top-level state).
pub fn message_action(
    actor: &Actor,
    channel: &str,
    message: Option<&Value>,
    message_ts: &str,
    block: &str,
    element: &Value,
    response_url: &str,
) -> Value {
    let mut payload = envelope(actor, "block_actions");
    payload.insert(
        "container".into(),
        json!({"type": "message", "message_ts": message_ts, "channel_id": channel,
               "is_ephemeral": message.is_none()}),
    );
    payload.insert(
        "channel".into(),
        json!({"id": channel, "name": "directmessage"}),
    );
    if let Some(message) = message {
        payload.insert("message".into(), message.clone());
    }
    payload.insert("state".into(), json!({"values": {}}));
    payload.insert("response_url".into(), response_url.into());
    payload.insert("actions".into(), json!([action(block, element)]));
    Value::Object(payload)
}

fn action(block: &str, element: &Value) -> Value {
    let mut action = json!({
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block,
        "action_ts": action_ts(),
    });
    for field in ["text", "value", "style", "url"] {
        if let Some(value) = element.get(field).filter(|v| !v.is_null()) {
            action[field] = value.clone();
        }
    }
    action
}

/// `view.state.values` (slack-ui.md §2): every stateful element of the view, with the value
/// field its type has, `null` where the person left it empty.
pub fn state_values(blocks: &Value, form: &FormValues, offered: &Offered) -> Value {
    let mut values = Map::new();
    for (index, block) in blocks.as_array().into_iter().flatten().enumerate() {
        let id = block_id(block, index);
        let mut elements: Vec<&Value> = vec![&block["element"], &block["accessory"]];
        elements.extend(block["elements"].as_array().into_iter().flatten());
        let mut of_block = Map::new();
        for element in elements {
            let Some(action_id) = element["action_id"].as_str() else {
                continue;
            };
            let chosen = form.get(&id).and_then(|b| b.get(action_id));
            let offered = offered
                .get(&(id.clone(), action_id.to_owned()))
                .map_or(&[][..], Vec::as_slice);
            if let Some(state) = element_state(element, chosen, offered) {
                of_block.insert(action_id.to_owned(), state);
            }
        }
        if !of_block.is_empty() {
            values.insert(id, Value::Object(of_block));
        }
    }
    Value::Object(values)
}

/// One element's state; `None` for elements without one (buttons). `chosen` is what the form
/// sent; when it sent nothing for the element, its initial value stands (as in Slack, where
/// an untouched field keeps what the app put in it). `offered`: what the app last offered
/// for it, if it is an external select.
fn element_state(
    element: &Value,
    chosen: Option<&Vec<String>>,
    offered: &[Value],
) -> Option<Value> {
    let kind = element["type"].as_str()?;
    let first = chosen.and_then(|c| c.first()).filter(|v| !v.is_empty());
    let state = match kind {
        "plain_text_input" | "number_input" | "email_text_input" | "url_text_input" => {
            let value = match chosen {
                Some(_) => first.cloned().map(Value::String),
                None => element.get("initial_value").cloned(),
            };
            json!({"type": kind, "value": value.unwrap_or(Value::Null)})
        }
        "static_select" | "external_select" | "radio_buttons" => {
            let selected = match chosen {
                Some(_) => first.and_then(|v| option_with_value(element, v, offered)),
                None => element.get("initial_option").cloned(),
            };
            json!({"type": kind, "selected_option": selected.unwrap_or(Value::Null)})
        }
        "checkboxes" | "multi_static_select" => {
            let selected: Vec<Value> = match chosen {
                Some(values) => values
                    .iter()
                    .filter_map(|v| option_with_value(element, v, offered))
                    .collect(),
                None => element["initial_options"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            };
            json!({"type": kind, "selected_options": selected})
        }
        "datepicker" => {
            let date = match chosen {
                Some(_) => first.cloned().map(Value::String),
                None => element.get("initial_date").cloned(),
            };
            json!({"type": kind, "selected_date": date.unwrap_or(Value::Null)})
        }
        "timepicker" => {
            let time = match chosen {
                Some(_) => first.cloned().map(Value::String),
                None => element.get("initial_time").cloned(),
            };
            json!({"type": kind, "selected_time": time.unwrap_or(Value::Null)})
        }
        _ => return None,
    };
    Some(state)
}

/// The option of a select (plain or grouped) or checkbox group whose value is `value`.
fn option_with_value(element: &Value, value: &str, offered: &[Value]) -> Option<Value> {
    // An external select's options come from the options function as the person types
    // (`offered`), besides the one the app chose already (its `initial_option`).
    let initial = element.get("initial_option").into_iter().chain(offered);
    initial
        .chain(listed_options(element))
        .find(|o| o["value"].as_str() == Some(value))
        .cloned()
}

/// The options a select or an options answer lists: `options`, then every group's of
/// `option_groups` (Block Kit's two shapes).
fn listed_options(of: &Value) -> impl Iterator<Item = &Value> {
    let plain = of["options"].as_array().into_iter().flatten();
    let grouped = of["option_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["options"].as_array().into_iter().flatten());
    plain.chain(grouped)
}

/// Whether an input block was left empty: Slack itself refuses to submit a modal whose
/// required input is empty, and says so under the field without asking the app.
pub fn is_empty_state(state: &Value) -> bool {
    ["value", "selected_option", "selected_date", "selected_time"]
        .iter()
        .all(|f| state.get(*f).is_none_or(Value::is_null))
        && state["selected_options"]
            .as_array()
            .is_none_or(Vec::is_empty)
}

#[cfg(test)]
#[path = "payloads_tests.rs"]
mod tests;
