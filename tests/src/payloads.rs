//! Realistic Slack request bodies (slack.md §3 and §4), as the exact bytes Slack would send:
//! form-encoded slash commands and interactions, JSON Events API callbacks.
//!
//! Ids are plain `&str` on purpose: tests also build payloads with malformed ids.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

/// The `api_app_id` the payloads carry.
pub const APP_ID: &str = "A0FAKEAPP";
/// The bot user id the payloads' `authorizations` name (the fake Slack's default bot user).
pub const BOT_USER_ID: &str = "U0FAKEBOT";
/// The deprecated verification token Slack still puts in payloads; never trusted.
pub const VERIFICATION_TOKEN: &str = "fakeVerificationToken000";

fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}{:08}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A fresh, unique event id (`Ev…`).
pub fn event_id() -> String {
    unique("Ev0FAKE")
}

fn now() -> i64 {
    crate::signer::now()
}

fn trigger_id() -> String {
    format!("{}.{}.{}", now(), 47445629121u64, unique("fa4e"))
}

fn form(pairs: &[(&str, &str)]) -> String {
    // Encoding string pairs cannot fail.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A slash command invocation (slack.md §4.1), with the Enterprise Grid fields optional.
#[derive(Debug, Clone)]
pub struct SlashCommand {
    pub team_id: String,
    pub user_id: String,
    pub channel_id: String,
    pub command: String,
    pub text: String,
    pub response_url: String,
    /// Set when the workspace is part of an Enterprise Grid org.
    pub enterprise_id: Option<String>,
    /// `true` when the app is installed org-wide.
    pub is_enterprise_install: bool,
}

impl SlashCommand {
    pub fn new(
        team: &str,
        user: &str,
        channel: &str,
        command: &str,
        text: &str,
        response_url: &str,
    ) -> Self {
        Self {
            team_id: team.into(),
            user_id: user.into(),
            channel_id: channel.into(),
            command: command.into(),
            text: text.into(),
            response_url: response_url.into(),
            enterprise_id: None,
            is_enterprise_install: false,
        }
    }

    /// In an Enterprise Grid org, installed org-wide or not.
    pub fn enterprise(mut self, enterprise: &str, is_enterprise_install: bool) -> Self {
        self.enterprise_id = Some(enterprise.into());
        self.is_enterprise_install = is_enterprise_install;
        self
    }

    /// The form body, fields in the order of the documented example.
    pub fn to_form(&self) -> String {
        let trigger = trigger_id();
        let mut pairs = vec![
            ("token", VERIFICATION_TOKEN),
            ("team_id", self.team_id.as_str()),
            ("team_domain", "fakeworkspace"),
        ];
        if let Some(enterprise) = &self.enterprise_id {
            pairs.push(("enterprise_id", enterprise.as_str()));
            pairs.push(("enterprise_name", "Fake Org"));
        }
        pairs.extend([
            ("channel_id", self.channel_id.as_str()),
            ("channel_name", "general"),
            ("user_id", self.user_id.as_str()),
            ("user_name", "fake.user"),
            ("command", self.command.as_str()),
            ("text", self.text.as_str()),
            ("api_app_id", APP_ID),
            (
                "is_enterprise_install",
                if self.is_enterprise_install {
                    "true"
                } else {
                    "false"
                },
            ),
            ("response_url", self.response_url.as_str()),
            ("trigger_id", trigger.as_str()),
        ]);
        form(&pairs)
    }
}

/// A slash command in a plain workspace, form-encoded.
pub fn slash_command(
    team: &str,
    user: &str,
    channel: &str,
    command: &str,
    text: &str,
    response_url: &str,
) -> String {
    SlashCommand::new(team, user, channel, command, text, response_url).to_form()
}

/// `ssl_check=1` as Slack sends it to command URLs (slack.md §3.8).
pub fn ssl_check() -> String {
    form(&[("ssl_check", "1"), ("token", VERIFICATION_TOKEN)])
}

/// An Events API `event_callback` envelope (slack.md §3.2), for a workspace or an org.
#[derive(Debug, Clone)]
pub struct EventCallback {
    /// `None` for org-level payloads that carry only `enterprise_id`.
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
    pub is_enterprise_install: bool,
    pub event_id: String,
    pub event: Value,
}

impl EventCallback {
    pub fn new(team: &str, event_id: &str, event: Value) -> Self {
        Self {
            team_id: Some(team.into()),
            enterprise_id: None,
            is_enterprise_install: false,
            event_id: event_id.into(),
            event,
        }
    }

    /// In an Enterprise Grid org, installed org-wide or not.
    pub fn enterprise(mut self, enterprise: &str, is_enterprise_install: bool) -> Self {
        self.enterprise_id = Some(enterprise.into());
        self.is_enterprise_install = is_enterprise_install;
        self
    }

    /// Drops `team_id`, as org-level payloads do (bolt's tokens_revoked org scenario).
    pub fn without_team(mut self) -> Self {
        self.team_id = None;
        self
    }

    /// The JSON body (compact, as Slack sends it).
    pub fn to_json(&self) -> String {
        let mut body = json!({
            "token": VERIFICATION_TOKEN,
            "api_app_id": APP_ID,
            "event": self.event,
            "type": "event_callback",
            "event_id": self.event_id,
            "event_time": now(),
            "authorizations": [{
                "enterprise_id": self.enterprise_id,
                "team_id": self.team_id,
                "user_id": BOT_USER_ID,
                "is_bot": true,
                "is_enterprise_install": self.is_enterprise_install,
            }],
            "is_ext_shared_channel": false,
            "context_team_id": self.team_id,
            "context_enterprise_id": self.enterprise_id,
        });
        if let Some(team) = &self.team_id {
            body["team_id"] = team.as_str().into();
        }
        if let Some(enterprise) = &self.enterprise_id {
            body["enterprise_id"] = enterprise.as_str().into();
        }
        body.to_string()
    }
}

/// An `event_callback` for a workspace carrying `event`.
pub fn event_callback(team: &str, event_id: &str, event: Value) -> String {
    EventCallback::new(team, event_id, event).to_json()
}

/// The inner `app_mention` event (slack.md §3.5, with a dotted `event_ts`).
pub fn app_mention_event(user: &str, channel: &str, text: &str, ts: &str) -> Value {
    json!({
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    })
}

/// An `app_mention` callback with a fresh ts.
pub fn app_mention(team: &str, event_id: &str, user: &str, channel: &str, text: &str) -> String {
    let ts = format!("{}.000100", now());
    event_callback(team, event_id, app_mention_event(user, channel, text, &ts))
}

/// An `app_home_opened` callback for the Home tab.
pub fn app_home_opened(team: &str, user: &str) -> String {
    let ts = format!("{}.000200", now());
    let event = json!({
        "type": "app_home_opened",
        "user": user,
        "channel": "D0FAKEHOME",
        "tab": "home",
        "event_ts": ts,
    });
    event_callback(team, &event_id(), event)
}

/// `app_uninstalled` (slack.md §3.3), with a fresh event id.
pub fn app_uninstalled(team: &str) -> String {
    event_callback(team, &event_id(), json!({"type": "app_uninstalled"}))
}

/// `tokens_revoked` (slack.md §3.4): user ids whose user tokens (`oauth`) and bot tokens
/// (`bot`) were revoked.
pub fn tokens_revoked(team: &str, oauth_users: &[&str], bot_users: &[&str]) -> String {
    let event = json!({
        "type": "tokens_revoked",
        "tokens": {"oauth": oauth_users, "bot": bot_users},
    });
    event_callback(team, &event_id(), event)
}

/// `url_verification` (slack.md §3.1).
pub fn url_verification(challenge: &str) -> String {
    json!({
        "token": VERIFICATION_TOKEN,
        "challenge": challenge,
        "type": "url_verification",
    })
    .to_string()
}

/// The JSON of a `block_actions` interaction: a button click on a message (slack.md §4.2).
pub fn block_actions_json(
    team: &str,
    user: &str,
    channel: &str,
    action_id: &str,
    value: &str,
    response_url: &str,
) -> Value {
    let ts = format!("{}.000300", now());
    json!({
        "type": "block_actions",
        "user": {"id": user, "username": "fake.user", "name": "fake.user", "team_id": team},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
        "trigger_id": trigger_id(),
        "team": {"id": team, "domain": "fakeworkspace"},
        "is_enterprise_install": false,
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id,
            "block_id": "followup_actions",
            "text": {"type": "plain_text", "text": "Button", "emoji": true},
            "value": value,
            "type": "button",
            "action_ts": ts,
        }],
    })
}

/// Wraps an interaction payload as Slack posts it: `payload=<url-encoded JSON>`.
pub fn interaction_form(payload: &Value) -> String {
    form(&[("payload", payload.to_string().as_str())])
}

/// A `block_actions` interaction, form-encoded as `payload=…`.
pub fn block_actions(
    team: &str,
    user: &str,
    channel: &str,
    action_id: &str,
    value: &str,
    response_url: &str,
) -> String {
    interaction_form(&block_actions_json(
        team,
        user,
        channel,
        action_id,
        value,
        response_url,
    ))
}

/// A `view_submission` of the modal `view_id` (slack-ui.md §2) with `callback_id`, the
/// view's `state.values` and `private_metadata`.
pub fn view_submission(
    team: &str,
    user: &str,
    view_id: &str,
    callback_id: &str,
    values: Value,
    private_metadata: &str,
) -> String {
    interaction_form(&json!({
        "type": "view_submission",
        "team": {"id": team, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "fake.user", "name": "fake.user", "team_id": team},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "is_enterprise_install": false,
        "view": {
            "id": view_id, "team_id": team, "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata, "hash": "1700000000.abcdef12",
            "state": {"values": values},
        },
        "response_urls": [],
    }))
}

/// A button pressed inside the modal `view_id` (block_actions with a `view` container), whose
/// `callback_id` and `private_metadata` are the modal's, with its current `values`.
#[allow(clippy::too_many_arguments)]
pub fn view_block_action(
    team: &str,
    user: &str,
    view_id: &str,
    callback_id: &str,
    private_metadata: &str,
    values: Value,
    action_id: &str,
    value: &str,
) -> String {
    interaction_form(&json!({
        "type": "block_actions",
        "team": {"id": team, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "fake.user", "name": "fake.user", "team_id": team},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "container": {"type": "view", "view_id": view_id},
        "view": {"id": view_id, "team_id": team, "type": "modal", "callback_id": callback_id,
                 "private_metadata": private_metadata, "hash": "1700000000.abcdef12",
                 "state": {"values": values}},
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                     "action_ts": format!("{}.000400", now())}],
    }))
}

/// A button pressed on the user's App Home tab (block_actions with a `view` container whose
/// view is the `home` one, slack-ui.md §3): no channel and no `response_url`.
pub fn home_block_action(
    team: &str,
    user: &str,
    view_id: &str,
    action_id: &str,
    value: &str,
) -> String {
    interaction_form(&json!({
        "type": "block_actions",
        "team": {"id": team, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "fake.user", "name": "fake.user", "team_id": team},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "container": {"type": "view", "view_id": view_id},
        "is_enterprise_install": false,
        "view": {"id": view_id, "team_id": team, "type": "home", "callback_id": "",
                 "private_metadata": "", "hash": "1700000000.home0001",
                 "state": {"values": {}}},
        "actions": [{"action_id": action_id, "block_id": "home", "type": "button",
                     "value": value, "action_ts": format!("{}.000500", now())}],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(form: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(form).unwrap()
    }

    fn field<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn slash_command_is_a_form_with_the_documented_fields() {
        let body = slash_command(
            "T1",
            "U1",
            "C1",
            "/followup",
            "ping now",
            "http://127.0.0.1:9/hooks/x",
        );
        assert!(body.contains("command=%2Ffollowup"));
        let pairs = decode(&body);
        assert_eq!(field(&pairs, "team_id"), Some("T1"));
        assert_eq!(field(&pairs, "text"), Some("ping now"));
        assert_eq!(
            field(&pairs, "response_url"),
            Some("http://127.0.0.1:9/hooks/x")
        );
        assert_eq!(field(&pairs, "is_enterprise_install"), Some("false"));
        assert_eq!(field(&pairs, "enterprise_id"), None);
        assert!(field(&pairs, "trigger_id").is_some());
    }

    #[test]
    fn enterprise_slash_command_carries_the_org_fields() {
        let body = SlashCommand::new("T1", "W1", "C1", "/followup", "", "http://h/x")
            .enterprise("E1", true)
            .to_form();
        let pairs = decode(&body);
        assert_eq!(field(&pairs, "enterprise_id"), Some("E1"));
        assert_eq!(field(&pairs, "is_enterprise_install"), Some("true"));
    }

    #[test]
    fn event_callbacks_carry_envelope_and_authorizations() {
        let body: Value =
            serde_json::from_str(&app_mention("T1", "Ev1", "U1", "C1", "<@U0FAKEBOT> hi")).unwrap();
        assert_eq!(body["type"], "event_callback");
        assert_eq!(body["team_id"], "T1");
        assert_eq!(body["event_id"], "Ev1");
        assert_eq!(body["event"]["type"], "app_mention");
        assert_eq!(body["event"]["channel"], "C1");
        assert_eq!(body["authorizations"][0]["team_id"], "T1");
        assert_eq!(body["authorizations"][0]["is_enterprise_install"], false);
        assert!(body["event_time"].is_i64());

        let org: Value = serde_json::from_str(
            &EventCallback::new("T1", "Ev2", json!({"type": "app_uninstalled"}))
                .enterprise("E1", true)
                .without_team()
                .to_json(),
        )
        .unwrap();
        assert!(org.get("team_id").is_none());
        assert_eq!(org["enterprise_id"], "E1");
        assert_eq!(org["authorizations"][0]["is_enterprise_install"], true);
    }

    #[test]
    fn tokens_revoked_lists_user_ids_and_event_ids_are_unique() {
        let a: Value =
            serde_json::from_str(&tokens_revoked("T1", &["U2"], &["U0FAKEBOT"])).unwrap();
        let b: Value = serde_json::from_str(&app_uninstalled("T1")).unwrap();
        assert_eq!(
            a["event"]["tokens"],
            json!({"oauth": ["U2"], "bot": ["U0FAKEBOT"]})
        );
        assert_eq!(b["event"]["type"], "app_uninstalled");
        assert_ne!(a["event_id"], b["event_id"]);
    }

    #[test]
    fn block_actions_is_one_payload_field_holding_json() {
        let body = block_actions("T1", "U1", "C1", "retry", "job-1", "http://h/a");
        let pairs = decode(&body);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].0, "payload");
        let payload: Value = serde_json::from_str(&pairs[0].1).unwrap();
        assert_eq!(payload["type"], "block_actions");
        assert_eq!(payload["actions"][0]["action_id"], "retry");
        assert_eq!(payload["team"]["id"], "T1");
        assert_eq!(payload["response_url"], "http://h/a");
    }

    #[test]
    fn url_verification_has_the_challenge() {
        let body: Value = serde_json::from_str(&url_verification("abc")).unwrap();
        assert_eq!(
            body,
            json!({"token": VERIFICATION_TOKEN, "challenge": "abc", "type": "url_verification"})
        );
    }
}
