//! Request and reply shapes of the Web API methods we call.

use serde::{Deserialize, Serialize};
use tenant::ChannelId;

/// A message to post or update. `text` is the notification/fallback text even with `blocks`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Message {
    /// Required by chat.postMessage (a user id there posts to the bot DM); for
    /// `post_ephemeral` and `update` the channel argument is used instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    /// Message metadata (slack-ui.md 5.4): the app's marker that lets a retried job find a
    /// message it may already have posted. Readable by anyone in the workspace: no secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MessageMetadata>,
}

/// `metadata` of a message: an event type and a small JSON payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageMetadata {
    pub event_type: String,
    pub event_payload: serde_json::Value,
}

/// Where a posted or updated message now lives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Posted {
    pub channel: ChannelId,
    pub ts: String,
}

/// Who sees a `response_url` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    /// Only the user who acted (Slack's default).
    #[default]
    Ephemeral,
    /// Everyone in the channel.
    InChannel,
}

/// A reply through a `response_url` (slack.md 4.1/4.2).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ResponseMessage {
    pub text: String,
    pub response_type: ResponseType,
    /// Replace the message the interaction came from (not possible for slash commands).
    pub replace_original: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<serde_json::Value>,
}

/// chat.postEphemeral body: the message plus the recipient.
#[derive(Serialize)]
pub(crate) struct EphemeralBody<'a> {
    pub channel: &'a ChannelId,
    pub user: &'a tenant::UserId,
    pub text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<&'a str>,
}

/// chat.update body.
#[derive(Serialize)]
pub(crate) struct UpdateBody<'a> {
    pub channel: &'a ChannelId,
    pub ts: &'a str,
    pub text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<&'a serde_json::Value>,
}

/// conversations.open body: one user opens (or resumes) the bot's DM with them.
#[derive(Serialize)]
pub(crate) struct OpenBody<'a> {
    pub users: &'a str,
}

/// conversations.open reply.
#[derive(Deserialize)]
pub(crate) struct Opened {
    pub channel: OpenedChannel,
}

#[derive(Deserialize)]
pub(crate) struct OpenedChannel {
    pub id: ChannelId,
}

/// views.publish body.
#[derive(Serialize)]
pub(crate) struct PublishBody<'a> {
    pub user_id: &'a tenant::UserId,
    pub view: &'a serde_json::Value,
}

/// The envelope every Web API reply has.
#[derive(Deserialize)]
pub(crate) struct Envelope {
    pub ok: bool,
    pub error: Option<String>,
}

/// A reply whose content we do not need (chat.postEphemeral and views.publish replies are not
/// in slack.md; only the `ok`/`error` envelope is relied on).
#[derive(Deserialize)]
pub(crate) struct Ignored {}

/// auth.test reply (slack.md 2.5): who a token belongs to. Ids Slack leaves empty or null (an
/// org-wide install's `team_id`, say) are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthTest {
    /// Only for bot tokens.
    #[serde(default, deserialize_with = "crate::oauth::lenient")]
    pub bot_id: Option<tenant::BotId>,
    #[serde(default, deserialize_with = "crate::oauth::lenient")]
    pub user_id: Option<tenant::UserId>,
    #[serde(default, deserialize_with = "crate::oauth::lenient")]
    pub team_id: Option<tenant::TeamId>,
    #[serde(default, deserialize_with = "crate::oauth::lenient")]
    pub enterprise_id: Option<tenant::EnterpriseId>,
    /// The workspace (or org) URL.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub is_enterprise_install: bool,
}
