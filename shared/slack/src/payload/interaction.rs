//! Interactivity payloads: the JSON inside the single `payload=` form field (slack.md 4.2).

use std::fmt;

use serde::Deserialize;
use tenant::{AppId, ChannelId, EnterpriseId, TeamId, UserId};

use super::REDACTED_URL;
use super::error::{PayloadError, opt_id};
use super::raw::{Flag, LooseStr, RawRef};

/// The interaction's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractionKind {
    BlockActions,
    ViewSubmission,
    ViewClosed,
    /// A global shortcut: no channel, no `response_url`.
    Shortcut,
    /// A message shortcut.
    MessageAction,
    /// Options load for an external select.
    BlockSuggestion,
    /// Any other type (e.g. legacy `dialog_submission`, `interactive_message`).
    Other(String),
}

impl InteractionKind {
    fn from_type(kind: &str) -> Self {
        match kind {
            "block_actions" => Self::BlockActions,
            "view_submission" => Self::ViewSubmission,
            "view_closed" => Self::ViewClosed,
            "shortcut" => Self::Shortcut,
            "message_action" => Self::MessageAction,
            "block_suggestion" => Self::BlockSuggestion,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// What Switchboard needs from an interaction. Ids named `*_team_id` beside `team_id` exist
/// for tenant extraction (see [`crate::tenant`]). `Debug` redacts the `response_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct Interaction {
    pub kind: InteractionKind,
    /// `team.id`; null for org-wide installs in some payloads.
    pub team_id: Option<TeamId>,
    /// `team.enterprise_id`.
    pub team_enterprise_id: Option<EnterpriseId>,
    /// `enterprise.id`.
    pub enterprise_id: Option<EnterpriseId>,
    /// `user.id`.
    pub user_id: Option<UserId>,
    /// `user.team_id`: the user's home workspace.
    pub user_team_id: Option<TeamId>,
    pub is_enterprise_install: bool,
    pub api_app_id: Option<AppId>,
    /// `response_url`, or for view_submission the first of `response_urls`.
    pub response_url: Option<String>,
    /// `channel.id`, else `container.channel_id`, else the first `response_urls[].channel_id`.
    pub channel_id: Option<ChannelId>,
    pub trigger_id: Option<String>,
    /// `actions[0].action_id` (block_actions), or the top-level `action_id` (block_suggestion).
    pub action_id: Option<String>,
    /// `actions[0].value`, when the action has one (buttons).
    pub action_value: Option<String>,
    /// `callback_id` (shortcuts, message actions) or `view.callback_id`.
    pub callback_id: Option<String>,
    /// `view.app_installed_team_id` (a modal opened through a Slack Connect channel).
    pub app_installed_team_id: Option<TeamId>,
    /// `view.team_id`.
    pub view_team_id: Option<TeamId>,
    /// `view.private_metadata`: our own state round-tripped through a modal.
    pub private_metadata: Option<String>,
    /// `view.state.values`, as sent (block_id → action_id → value object). What the user
    /// typed (an email body, a pasted API key): `Debug` shows only whether it is there.
    pub view_state: Option<serde_json::Value>,
    /// `view.id` of the modal (or Home) the interaction came from: what views.update targets.
    pub view_id: Option<String>,
    /// `view.hash`: the version of that view, to guard a views.update (slack-ui.md §1).
    pub view_hash: Option<String>,
    /// Top-level `team_id` / `enterprise_id`, which a few payload types carry.
    pub top_team_id: Option<TeamId>,
    pub top_enterprise_id: Option<EnterpriseId>,
}

impl fmt::Debug for Interaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured so that a new field cannot be left out of (or leak through) Debug.
        let Self {
            kind,
            team_id,
            team_enterprise_id,
            enterprise_id,
            user_id,
            user_team_id,
            is_enterprise_install,
            api_app_id,
            response_url,
            channel_id,
            trigger_id,
            action_id,
            action_value,
            callback_id,
            app_installed_team_id,
            view_team_id,
            private_metadata,
            view_state,
            view_id,
            view_hash,
            top_team_id,
            top_enterprise_id,
        } = self;
        f.debug_struct("Interaction")
            .field("kind", kind)
            .field("team_id", team_id)
            .field("team_enterprise_id", team_enterprise_id)
            .field("enterprise_id", enterprise_id)
            .field("user_id", user_id)
            .field("user_team_id", user_team_id)
            .field("is_enterprise_install", is_enterprise_install)
            .field("api_app_id", api_app_id)
            .field("response_url", &response_url.as_ref().map(|_| REDACTED_URL))
            .field("channel_id", channel_id)
            .field("trigger_id", trigger_id)
            .field("action_id", action_id)
            .field("action_value", action_value)
            .field("callback_id", callback_id)
            .field("app_installed_team_id", app_installed_team_id)
            .field("view_team_id", view_team_id)
            .field("private_metadata", private_metadata)
            .field("view_state", &view_state.as_ref().map(|_| "[redacted]"))
            .field("view_id", view_id)
            .field("view_hash", view_hash)
            .field("top_team_id", top_team_id)
            .field("top_enterprise_id", top_enterprise_id)
            .finish()
    }
}

#[derive(Deserialize)]
struct RawInteraction {
    #[serde(rename = "type")]
    kind: String,
    team: Option<RawRef>,
    enterprise: Option<RawRef>,
    user: Option<RawRef>,
    channel: Option<RawRef>,
    container: Option<RawContainer>,
    #[serde(default)]
    is_enterprise_install: Flag,
    #[serde(default)]
    api_app_id: LooseStr,
    #[serde(default)]
    team_id: LooseStr,
    #[serde(default)]
    enterprise_id: LooseStr,
    #[serde(default)]
    response_url: LooseStr,
    response_urls: Option<Vec<RawResponseUrl>>,
    #[serde(default)]
    trigger_id: LooseStr,
    actions: Option<Vec<RawAction>>,
    #[serde(default)]
    action_id: LooseStr,
    #[serde(default)]
    callback_id: LooseStr,
    view: Option<RawView>,
}

#[derive(Deserialize)]
struct RawContainer {
    #[serde(default)]
    channel_id: LooseStr,
}

#[derive(Deserialize)]
struct RawResponseUrl {
    #[serde(default)]
    response_url: LooseStr,
    #[serde(default)]
    channel_id: LooseStr,
}

#[derive(Deserialize)]
struct RawAction {
    #[serde(default)]
    action_id: LooseStr,
    #[serde(default)]
    value: LooseStr,
}

#[derive(Deserialize)]
struct RawView {
    #[serde(default)]
    team_id: LooseStr,
    #[serde(default)]
    callback_id: LooseStr,
    #[serde(default)]
    app_installed_team_id: LooseStr,
    #[serde(default)]
    private_metadata: LooseStr,
    #[serde(default)]
    id: LooseStr,
    #[serde(default)]
    hash: LooseStr,
    state: Option<RawViewState>,
}

#[derive(Deserialize)]
struct RawViewState {
    values: Option<serde_json::Value>,
}

pub(crate) fn parse_interaction_json(json: &[u8]) -> Result<Interaction, PayloadError> {
    let raw: RawInteraction = serde_json::from_slice(json).map_err(|e| PayloadError::json(&e))?;
    let team = raw.team.unwrap_or_default();
    let user = raw.user.unwrap_or_default();
    let first_response_url = raw.response_urls.and_then(|v| v.into_iter().next());
    let first_action = raw.actions.and_then(|v| v.into_iter().next());
    let view = raw.view;

    let channel_raw = raw
        .channel
        .and_then(|c| c.id)
        .or_else(|| raw.container.and_then(|c| c.channel_id.0))
        .or_else(|| {
            first_response_url
                .as_ref()
                .and_then(|r| r.channel_id.0.clone())
        });
    let (action_id, action_value) = match first_action {
        Some(a) => (a.action_id.0, a.value.0),
        None => (raw.action_id.0, None),
    };

    Ok(Interaction {
        kind: InteractionKind::from_type(&raw.kind),
        team_id: opt_id(team.id.as_deref(), "team.id", TeamId::parse)?,
        team_enterprise_id: opt_id(
            team.enterprise_id.as_deref(),
            "team.enterprise_id",
            EnterpriseId::parse,
        )?,
        enterprise_id: opt_id(
            raw.enterprise.and_then(|e| e.id).as_deref(),
            "enterprise.id",
            EnterpriseId::parse,
        )?,
        user_id: opt_id(user.id.as_deref(), "user.id", UserId::parse)?,
        user_team_id: opt_id(user.team_id.as_deref(), "user.team_id", TeamId::parse)?,
        is_enterprise_install: raw.is_enterprise_install.0,
        api_app_id: opt_id(raw.api_app_id.as_deref(), "api_app_id", AppId::parse)?,
        response_url: raw
            .response_url
            .0
            .or_else(|| first_response_url.and_then(|r| r.response_url.0)),
        channel_id: opt_id(channel_raw.as_deref(), "channel.id", ChannelId::parse)?,
        trigger_id: raw.trigger_id.0,
        action_id,
        action_value,
        callback_id: raw
            .callback_id
            .0
            .or_else(|| view.as_ref().and_then(|v| v.callback_id.0.clone())),
        app_installed_team_id: opt_id(
            view.as_ref()
                .and_then(|v| v.app_installed_team_id.as_deref()),
            "view.app_installed_team_id",
            TeamId::parse,
        )?,
        view_team_id: opt_id(
            view.as_ref().and_then(|v| v.team_id.as_deref()),
            "view.team_id",
            TeamId::parse,
        )?,
        top_team_id: opt_id(raw.team_id.as_deref(), "team_id", TeamId::parse)?,
        top_enterprise_id: opt_id(
            raw.enterprise_id.as_deref(),
            "enterprise_id",
            EnterpriseId::parse,
        )?,
        private_metadata: view.as_ref().and_then(|v| v.private_metadata.0.clone()),
        view_id: view.as_ref().and_then(|v| v.id.0.clone()),
        view_hash: view.as_ref().and_then(|v| v.hash.0.clone()),
        view_state: view.and_then(|v| v.state).and_then(|s| s.values),
    })
}

impl Interaction {
    /// What the user entered in the element `action_id` of block `block_id` of the view's
    /// state (slack-ui.md §2): a text input's `value`, the `value` of a select's or radio
    /// group's `selected_option`, a datepicker's `selected_date` (`YYYY-MM-DD`) or a
    /// timepicker's `selected_time` (`HH:mm`). `None` when the element is absent or empty.
    pub fn state_value(&self, block_id: &str, action_id: &str) -> Option<&str> {
        let element = self.state_element(block_id, action_id)?;
        let text = |key: &str| element.get(key).and_then(serde_json::Value::as_str);
        text("value")
            .or_else(|| {
                element
                    .get("selected_option")
                    .and_then(|o| o.get("value"))
                    .and_then(serde_json::Value::as_str)
            })
            .or_else(|| text("selected_date"))
            .or_else(|| text("selected_time"))
            .filter(|v| !v.is_empty())
    }

    /// The `value`s of a multi-select's or checkbox group's `selected_options`, in order
    /// (empty when none is chosen or the element is absent).
    pub fn state_values(&self, block_id: &str, action_id: &str) -> Vec<&str> {
        self.state_element(block_id, action_id)
            .and_then(|e| e.get("selected_options"))
            .and_then(serde_json::Value::as_array)
            .map(|options| {
                options
                    .iter()
                    .filter_map(|o| o.get("value").and_then(serde_json::Value::as_str))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The text the user saw for a select's `selected_option` (an external select's option
    /// text, to show the form again as it was submitted).
    pub fn state_label(&self, block_id: &str, action_id: &str) -> Option<&str> {
        self.state_element(block_id, action_id)?
            .get("selected_option")?
            .get("text")?
            .get("text")?
            .as_str()
    }

    /// The block ids of the view's state that start with `prefix` (inputs made per record,
    /// such as one per deal), in the state's order.
    pub fn state_blocks(&self, prefix: &str) -> Vec<&str> {
        self.view_state
            .as_ref()
            .and_then(serde_json::Value::as_object)
            .map(|blocks| {
                blocks
                    .keys()
                    .filter(|k| k.starts_with(prefix))
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn state_element(&self, block_id: &str, action_id: &str) -> Option<&serde_json::Value> {
        self.view_state.as_ref()?.get(block_id)?.get(action_id)
    }
}
