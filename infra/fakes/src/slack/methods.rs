//! The Web API methods the fake implements, answering with the shapes of slack.md §5 (and,
//! where slack.md has no example, the commonly observed shape, marked UNCONFIRMED).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// Who a registered token belongs to: what `auth.test` reports and what posted messages carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub team_id: String,
    pub team_name: String,
    pub enterprise_id: Option<String>,
    /// The bot's user id (`U…`).
    pub user_id: String,
    pub user_name: String,
    pub bot_id: String,
    pub app_id: String,
    /// Whether the token comes from an org-wide install (what auth.test reports).
    pub is_enterprise_install: bool,
}

impl Default for BotIdentity {
    fn default() -> Self {
        Self {
            team_id: "T0FAKETEAM".into(),
            team_name: "Fake Workspace".into(),
            enterprise_id: None,
            user_id: "U0FAKEBOT".into(),
            user_name: "switchboard".into(),
            bot_id: "B0FAKEBOT".into(),
            app_id: "A0FAKEAPP".into(),
            is_enterprise_install: false,
        }
    }
}

/// State that makes answers unique (message ts, view and channel ids) and stable (the same
/// user always gets the same DM channel).
#[derive(Default)]
pub(super) struct Counters {
    base_secs: u64,
    messages: u64,
    views: u64,
    groups: u64,
    dms: HashMap<String, String>,
    /// Every message posted, with its channel, for conversations.history and .replies.
    posted: Vec<(String, Value)>,
    /// Trigger ids already exchanged for a modal (single use, slack-ui.md §1).
    used_triggers: std::collections::HashSet<String>,
    /// Open modals by view id: the view as last set, and its current hash.
    pub(super) modals: HashMap<String, (Value, String)>,
    /// Ids of the modals opened with views.open, in order (closed ones included).
    pub(super) opened: Vec<String>,
    /// Workspace members users.info knows, by user id.
    pub(super) users: HashMap<String, Value>,
    /// Every ephemeral message shown, oldest first (what [`super::FakeSlack::ephemerals`]
    /// reads; Slack itself keeps none).
    ephemerals: Vec<Value>,
}

impl Counters {
    /// A fresh message ts, `SECONDS.MICROS` like Slack's, strictly increasing per fake.
    fn next_ts(&mut self) -> String {
        if self.base_secs == 0 {
            self.base_secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(1_700_000_000);
        }
        self.messages += 1;
        let n = self.messages;
        format!("{}.{:06}", self.base_secs + n / 1_000_000, n % 1_000_000)
    }

    /// The DM channel with `user`, and whether it was already open.
    fn dm_with(&mut self, user: &str) -> (String, bool) {
        let next = self.dms.len() + 1;
        let mut already_open = true;
        let id = self
            .dms
            .entry(user.to_owned())
            .or_insert_with(|| {
                already_open = false;
                format!("D0FAKE{next:04}")
            })
            .clone();
        (id, already_open)
    }
}

fn text<'a>(params: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    params
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A structured argument: JSON in a JSON body, or a JSON string in a form body.
fn structured(params: &Map<String, Value>, key: &str) -> Option<Value> {
    match params.get(key)? {
        Value::String(raw) => serde_json::from_str(raw).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn not_ok(code: &str) -> Value {
    json!({"ok": false, "error": code})
}

/// Answers one authenticated call.
pub(super) fn call(
    method: &str,
    params: &Map<String, Value>,
    who: &BotIdentity,
    counters: &mut Counters,
) -> Value {
    match method {
        "chat.postMessage" => post_message(params, who, counters),
        "chat.postEphemeral" => post_ephemeral(params, counters),
        "chat.update" => update(params, who, counters),
        "conversations.open" => conversations_open(params, counters),
        "views.publish" => views_publish(params, who, counters),
        "views.open" => views_open(params, who, counters),
        "views.update" => views_update(params, who, counters),
        "users.info" => users_info(params, counters),
        "conversations.history" => history(params, counters, None),
        "conversations.replies" => match text(params, "ts") {
            Some(ts) => history(params, counters, Some(ts)),
            None => not_ok("thread_not_found"),
        },
        "auth.test" => auth_test(who),
        _ => not_ok("unknown_method"),
    }
}

fn has_content(params: &Map<String, Value>) -> bool {
    text(params, "text").is_some()
        || structured(params, "blocks").is_some()
        || structured(params, "attachments").is_some()
}

fn message(params: &Map<String, Value>, who: &BotIdentity, ts: &str) -> Value {
    let mut message = json!({
        "text": text(params, "text").unwrap_or(""),
        "username": who.user_name,
        "bot_id": who.bot_id,
        "type": "message",
        "subtype": "bot_message",
        "ts": ts,
    });
    if let Some(blocks) = structured(params, "blocks") {
        message["blocks"] = blocks;
    }
    if let Some(thread_ts) = text(params, "thread_ts") {
        message["thread_ts"] = thread_ts.into();
    }
    if let Some(metadata) = structured(params, "metadata") {
        message["metadata"] = metadata;
    }
    message
}

/// slack-ui.md §5.4: the channel's messages newest first (or a thread's, root included, oldest
/// first), at or after `oldest`; `metadata` only with `include_all_metadata=true` (without it
/// Slack returns only `event_type`).
fn history(params: &Map<String, Value>, counters: &Counters, thread: Option<&str>) -> Value {
    let Some(channel) = text(params, "channel") else {
        return not_ok("channel_not_found");
    };
    let oldest: f64 = text(params, "oldest")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0.0);
    let full_metadata = text(params, "include_all_metadata") == Some("true");
    let mut messages: Vec<Value> = counters
        .posted
        .iter()
        .filter(|(c, _)| c == channel)
        .map(|(_, m)| m.clone())
        .filter(|m| {
            let ts = m["ts"].as_str().unwrap_or("");
            let in_thread = match thread {
                Some(root) => ts == root || m["thread_ts"].as_str() == Some(root),
                None => true,
            };
            in_thread && ts.parse::<f64>().unwrap_or(0.0) >= oldest
        })
        .map(|mut m| {
            if !full_metadata && let Some(meta) = m.get_mut("metadata") {
                *meta = json!({"event_type": meta["event_type"].clone()});
            }
            m
        })
        .collect();
    if thread.is_none() {
        messages.reverse();
    }
    json!({"ok": true, "messages": messages, "has_more": false})
}

/// slack.md §5.2. A user id as channel posts into the bot's DM with that user.
fn post_message(params: &Map<String, Value>, who: &BotIdentity, counters: &mut Counters) -> Value {
    let Some(channel) = text(params, "channel") else {
        return not_ok("channel_not_found");
    };
    if !has_content(params) {
        return not_ok("no_text");
    }
    let channel = if channel.starts_with(['U', 'W']) {
        counters.dm_with(channel).0
    } else {
        channel.to_owned()
    };
    let ts = counters.next_ts();
    let message = message(params, who, &ts);
    counters.posted.push((channel.clone(), message.clone()));
    json!({
        "ok": true,
        "channel": channel,
        "ts": ts,
        "message": message,
    })
}

/// slack-ui.md §5.3: `{"ok":true,"message_ts":"…"}`. Shown to `user` only and kept by the
/// fake for tests (Slack persists nothing). Metadata is ignored, as Slack ignores it.
fn post_ephemeral(params: &Map<String, Value>, counters: &mut Counters) -> Value {
    let Some(channel) = text(params, "channel") else {
        return not_ok("channel_not_found");
    };
    let Some(user) = text(params, "user") else {
        return not_ok("user_not_in_channel");
    };
    if !has_content(params) {
        return not_ok("no_text");
    }
    let ts = counters.next_ts();
    let mut shown = json!({
        "channel": channel,
        "user": user,
        "text": text(params, "text").unwrap_or(""),
        "message_ts": ts,
    });
    if let Some(blocks) = structured(params, "blocks") {
        shown["blocks"] = blocks;
    }
    if let Some(thread_ts) = text(params, "thread_ts") {
        shown["thread_ts"] = thread_ts.into();
    }
    counters.ephemerals.push(shown);
    json!({"ok": true, "message_ts": ts})
}

/// UNCONFIRMED (not in slack.md): echoes channel, ts, text and the updated message. A message
/// this fake posted is replaced in place (what conversations.history and
/// [`super::FakeSlack::messages`] show from then on); an omitted `metadata` keeps the old one
/// (slack-ui.md §5.2). A ts the fake never posted is still answered `ok`, as before, so tests
/// that update messages of their own making keep working.
fn update(params: &Map<String, Value>, who: &BotIdentity, counters: &mut Counters) -> Value {
    let Some(channel) = text(params, "channel") else {
        return not_ok("channel_not_found");
    };
    let Some(ts) = text(params, "ts") else {
        return not_ok("message_not_found");
    };
    if !has_content(params) {
        return not_ok("no_text");
    }
    let mut updated = message(params, who, ts);
    let posted = counters
        .posted
        .iter_mut()
        .find(|(c, m)| c == channel && m["ts"].as_str() == Some(ts));
    if let Some((_, old)) = posted {
        if updated.get("metadata").is_none()
            && let Some(metadata) = old.get("metadata")
        {
            updated["metadata"] = metadata.clone();
        }
        updated["edited"] = json!({"user": who.user_id, "ts": ts});
        *old = updated.clone();
    }
    json!({
        "ok": true,
        "channel": channel,
        "ts": ts,
        "text": text(params, "text").unwrap_or(""),
        "message": updated,
    })
}

/// slack.md §5.4: `{"channel":{"id":"D…"},"ok":true}`, with `no_op`/`already_open` on repeats.
fn conversations_open(params: &Map<String, Value>, counters: &mut Counters) -> Value {
    if let Some(channel) = text(params, "channel") {
        return json!({"ok": true, "no_op": true, "already_open": true, "channel": {"id": channel}});
    }
    let users: Vec<&str> = text(params, "users")
        .map(|u| {
            u.split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .collect()
        })
        .unwrap_or_default();
    match users.as_slice() {
        [] => not_ok("users_list_not_supplied"),
        [user] if !user.starts_with(['U', 'W']) => not_ok("user_not_found"),
        [user] => {
            let (id, already_open) = counters.dm_with(user);
            if already_open {
                json!({"ok": true, "no_op": true, "already_open": true, "channel": {"id": id}})
            } else {
                json!({"ok": true, "channel": {"id": id}})
            }
        }
        many if many.len() > 8 => not_ok("too_many_users"),
        _ => {
            counters.groups += 1;
            json!({"ok": true, "channel": {"id": format!("G0FAKE{:04}", counters.groups)}})
        }
    }
}

/// UNCONFIRMED (not in slack.md): `{"ok":true,"view":{…}}` with the published home view.
fn views_publish(params: &Map<String, Value>, who: &BotIdentity, counters: &mut Counters) -> Value {
    if text(params, "user_id").is_none() {
        return not_ok("invalid_arguments");
    }
    let Some(view) = structured(params, "view") else {
        return not_ok("invalid_arguments");
    };
    if view.get("type").and_then(Value::as_str) != Some("home") {
        return not_ok("invalid_arguments");
    }
    counters.views += 1;
    json!({
        "ok": true,
        "view": {
            "id": format!("V0FAKE{:04}", counters.views),
            "team_id": who.team_id,
            "type": "home",
            "blocks": view.get("blocks").cloned().unwrap_or(json!([])),
            "private_metadata": view.get("private_metadata").cloned().unwrap_or(json!("")),
            "callback_id": view.get("callback_id").cloned().unwrap_or(json!("")),
            "hash": format!("{}.fake", counters.views),
            "app_id": who.app_id,
            "bot_id": who.bot_id,
        }
    })
}

/// slack.md §2.5, with the bot fields (`bot_id`, `app_id`, enterprise ones) a bot token adds.
fn auth_test(who: &BotIdentity) -> Value {
    let subdomain = who.team_name.to_lowercase().replace(' ', "-");
    let mut answer = json!({
        "ok": true,
        "url": format!("https://{subdomain}.slack.com/"),
        "team": who.team_name,
        "user": who.user_name,
        "team_id": who.team_id,
        "user_id": who.user_id,
        "bot_id": who.bot_id,
        "app_id": who.app_id,
        // UNCONFIRMED for org-wide installs: slack.md lists `is_enterprise_install` and
        // `enterprise_id` as auth.test fields but gives no org-install example; the fake keeps
        // `team_id` as the workspace and adds the org.
        "is_enterprise_install": who.is_enterprise_install,
    });
    if let Some(enterprise) = &who.enterprise_id {
        answer["enterprise_id"] = enterprise.as_str().into();
    }
    answer
}

/// slack-ui.md §1: a modal opened on a trigger id, which works once (`exchanged_trigger_id`
/// after). The fake does not age triggers; tests that need `expired_trigger_id` inject it.
fn views_open(params: &Map<String, Value>, who: &BotIdentity, counters: &mut Counters) -> Value {
    let Some(trigger) = text(params, "trigger_id") else {
        return not_ok("invalid_trigger_id");
    };
    let Some(view) = structured(params, "view") else {
        return not_ok("invalid_arguments");
    };
    if let Err(code) = check_modal(&view) {
        return not_ok(code);
    }
    if !counters.used_triggers.insert(trigger.to_owned()) {
        return not_ok("exchanged_trigger_id");
    }
    counters.views += 1;
    let id = format!("V0MODAL{:04}", counters.views);
    counters.opened.push(id.clone());
    modal_answer(id, view, who, counters)
}

/// slack-ui.md §1: `not_found` for an unknown view, `hash_conflict` for a stale hash.
fn views_update(params: &Map<String, Value>, who: &BotIdentity, counters: &mut Counters) -> Value {
    let Some(id) = text(params, "view_id") else {
        return not_ok("invalid_arguments");
    };
    let Some(view) = structured(params, "view") else {
        return not_ok("invalid_arguments");
    };
    if let Err(code) = check_modal(&view) {
        return not_ok(code);
    }
    let Some((_, current)) = counters.modals.get(id) else {
        return not_ok("not_found");
    };
    if let Some(hash) = text(params, "hash")
        && hash != current
    {
        return not_ok("hash_conflict");
    }
    counters.views += 1;
    modal_answer(id.to_owned(), view, who, counters)
}

/// The limits of slack-ui.md §1.1 a real Slack enforces and a bug of ours would break.
fn check_modal(view: &Value) -> Result<(), &'static str> {
    if view.get("type").and_then(Value::as_str) != Some("modal") {
        return Err("invalid_arguments");
    }
    let title = view["title"]["text"].as_str().unwrap_or("");
    if title.is_empty() || title.chars().count() > 24 {
        return Err("invalid_arguments");
    }
    let blocks = view["blocks"].as_array().map_or(0, Vec::len);
    if blocks == 0 || blocks > 100 {
        return Err("invalid_arguments");
    }
    let has_input = view["blocks"]
        .as_array()
        .is_some_and(|b| b.iter().any(|b| b["type"] == "input"));
    if has_input && view.get("submit").is_none_or(Value::is_null) {
        return Err("invalid_arguments");
    }
    if view["private_metadata"].as_str().map_or(0, str::len) > 3000 {
        return Err("invalid_arguments");
    }
    if serde_json::to_vec(view).map_or(0, |v| v.len()) > 250_000 {
        return Err("view_too_large");
    }
    Ok(())
}

impl Counters {
    /// Sets the modal `id` to `view` under the hash of the current view count, returning the
    /// hash: each caller counts its call first (views.open, views.update, and a
    /// view_submission answered `response_action: update`), so each version gets its own.
    pub(super) fn set_modal(&mut self, id: &str, view: Value) -> String {
        let hash = format!(
            "{}.{:08x}",
            1_700_000_000 + self.views,
            self.views * 2_654_435_761 % 0xffff_ffff
        );
        self.modals.insert(id.to_owned(), (view, hash.clone()));
        hash
    }

    /// An open modal replaced outside the Web API (see [`super::FakeSlack::replace_modal`]).
    pub(super) fn replace_modal(&mut self, id: &str, view: Value) -> Option<String> {
        if !self.modals.contains_key(id) {
            return None;
        }
        self.views += 1;
        Some(self.set_modal(id, view))
    }

    /// The DM channel with `user`, opening it if needed (as conversations.open would).
    pub(super) fn dm_channel(&mut self, user: &str) -> String {
        self.dm_with(user).0
    }

    /// The ephemeral messages shown to `user`, oldest first.
    pub(super) fn ephemerals_for(&self, user: &str) -> Vec<Value> {
        self.ephemerals
            .iter()
            .filter(|m| m["user"] == user)
            .cloned()
            .collect()
    }

    /// The messages posted in `channel`, oldest first, as they are now (updates applied).
    pub(super) fn messages_in(&self, channel: &str) -> Vec<Value> {
        self.posted
            .iter()
            .filter(|(c, _)| c == channel)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

fn modal_answer(id: String, view: Value, who: &BotIdentity, counters: &mut Counters) -> Value {
    let hash = counters.set_modal(&id, view.clone());
    json!({
        "ok": true,
        "view": {
            "id": id,
            "team_id": who.team_id,
            "type": "modal",
            "title": view["title"],
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata").cloned().unwrap_or(json!("")),
            "callback_id": view.get("callback_id").cloned().unwrap_or(json!("")),
            "external_id": "",
            "state": {"values": {}},
            "hash": hash,
            "root_view_id": id,
            "app_id": who.app_id,
            "bot_id": who.bot_id,
        }
    })
}

/// slack.md §5.3 / slack-ui.md §6: `tz`, `tz_offset`, `is_admin` on `user`; `user_not_found`
/// for a member the test did not add.
fn users_info(params: &Map<String, Value>, counters: &Counters) -> Value {
    let Some(user) = text(params, "user") else {
        return not_ok("user_not_found");
    };
    match counters.users.get(user) {
        Some(found) => json!({"ok": true, "user": found}),
        None => not_ok("user_not_found"),
    }
}
