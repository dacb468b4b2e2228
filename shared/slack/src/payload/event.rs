//! The inner `event` of an `event_callback`.

use serde::Deserialize;
use tenant::{BotId, ChannelId, UserId};

use super::error::{PayloadError, opt_id, req_id};
use super::raw::LooseStr;

/// An inner event. The types Switchboard acts on are variants; every other type is
/// [`Event::Other`], never a parse error, because an app may be subscribed to more than we handle
/// and a 400 would make Slack retry and count failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `app_mention`: someone mentioned the bot in a channel it is in.
    AppMention {
        user: Option<UserId>,
        text: String,
        ts: String,
        channel: ChannelId,
        thread_ts: Option<String>,
        bot_id: Option<BotId>,
    },
    /// `message` (all `message.*` subscriptions; `subtype` tells edits, bot posts, etc.).
    Message {
        user: Option<UserId>,
        text: Option<String>,
        ts: String,
        channel: ChannelId,
        channel_type: Option<String>,
        thread_ts: Option<String>,
        bot_id: Option<BotId>,
        subtype: Option<String>,
    },
    /// `app_uninstalled`: the app was removed from the workspace or org.
    AppUninstalled,
    /// `tokens_revoked`: user ids whose user tokens (`oauth`) and bot tokens (`bot`) were revoked.
    TokensRevoked {
        oauth: Vec<UserId>,
        bot: Vec<UserId>,
    },
    /// `app_home_opened`: a user opened the app's Home, Messages or About tab.
    AppHomeOpened {
        user: UserId,
        channel: ChannelId,
        tab: Option<String>,
    },
    /// Any other event type, with its sender when the event names one as a plain id.
    Other {
        event_type: String,
        user: Option<UserId>,
        bot_id: Option<BotId>,
    },
}

impl Event {
    /// The event's `type` as Slack names it.
    pub fn kind(&self) -> &str {
        match self {
            Self::AppMention { .. } => "app_mention",
            Self::Message { .. } => "message",
            Self::AppUninstalled => "app_uninstalled",
            Self::TokensRevoked { .. } => "tokens_revoked",
            Self::AppHomeOpened { .. } => "app_home_opened",
            Self::Other { event_type, .. } => event_type,
        }
    }

    /// Who caused the event: the user id and/or the bot id. Ingress compares these with the
    /// install's bot to ignore the bot's own messages (a reply loop otherwise).
    pub fn sender(&self) -> (Option<&UserId>, Option<&BotId>) {
        match self {
            Self::AppMention { user, bot_id, .. }
            | Self::Message { user, bot_id, .. }
            | Self::Other { user, bot_id, .. } => (user.as_ref(), bot_id.as_ref()),
            Self::AppHomeOpened { user, .. } => (Some(user), None),
            Self::AppUninstalled | Self::TokensRevoked { .. } => (None, None),
        }
    }
}

/// Every member any handled event type uses, read in one pass. Members are loose so that an
/// unknown event reusing a name with another shape still parses.
#[derive(Debug, Deserialize)]
pub(crate) struct RawEvent {
    #[serde(rename = "type", default)]
    kind: LooseStr,
    #[serde(default)]
    user: LooseStr,
    #[serde(default)]
    text: LooseStr,
    #[serde(default)]
    ts: LooseStr,
    #[serde(default)]
    channel: LooseStr,
    #[serde(default)]
    channel_type: LooseStr,
    #[serde(default)]
    thread_ts: LooseStr,
    #[serde(default)]
    bot_id: LooseStr,
    #[serde(default)]
    subtype: LooseStr,
    #[serde(default)]
    tab: LooseStr,
    /// Only read for `tokens_revoked`; kept as a value so other events may use the name freely.
    #[serde(default)]
    tokens: Option<serde_json::Value>,
}

impl RawEvent {
    pub(crate) fn into_event(self) -> Result<Event, PayloadError> {
        let kind = self
            .kind
            .0
            .ok_or(PayloadError::MissingField("event.type"))?;
        Ok(match kind.as_str() {
            "app_mention" => Event::AppMention {
                user: opt_id(self.user.as_deref(), "event.user", UserId::parse)?,
                text: self.text.0.unwrap_or_default(),
                ts: self.ts.0.ok_or(PayloadError::MissingField("event.ts"))?,
                channel: req_id(self.channel.as_deref(), "event.channel", ChannelId::parse)?,
                thread_ts: self.thread_ts.0,
                bot_id: opt_id(self.bot_id.as_deref(), "event.bot_id", BotId::parse)?,
            },
            "message" => Event::Message {
                user: opt_id(self.user.as_deref(), "event.user", UserId::parse)?,
                text: self.text.0,
                ts: self.ts.0.ok_or(PayloadError::MissingField("event.ts"))?,
                channel: req_id(self.channel.as_deref(), "event.channel", ChannelId::parse)?,
                channel_type: self.channel_type.0,
                thread_ts: self.thread_ts.0,
                bot_id: opt_id(self.bot_id.as_deref(), "event.bot_id", BotId::parse)?,
                subtype: self.subtype.0,
            },
            "app_uninstalled" => Event::AppUninstalled,
            "tokens_revoked" => {
                let tokens = self.tokens.unwrap_or_default();
                Event::TokensRevoked {
                    oauth: user_list(&tokens, "oauth", "event.tokens.oauth")?,
                    bot: user_list(&tokens, "bot", "event.tokens.bot")?,
                }
            }
            "app_home_opened" => Event::AppHomeOpened {
                user: req_id(self.user.as_deref(), "event.user", UserId::parse)?,
                channel: req_id(self.channel.as_deref(), "event.channel", ChannelId::parse)?,
                tab: self.tab.0,
            },
            _ => Event::Other {
                // Unknown shapes: keep the sender only when it is a well-formed id.
                user: self.user.as_deref().and_then(|u| UserId::parse(u).ok()),
                bot_id: self.bot_id.as_deref().and_then(|b| BotId::parse(b).ok()),
                event_type: kind,
            },
        })
    }
}

/// `tokens.oauth` / `tokens.bot`: arrays of user ids (not token strings; slack.md 3.4).
/// Absent means none were revoked.
fn user_list(
    tokens: &serde_json::Value,
    key: &str,
    field: &'static str,
) -> Result<Vec<UserId>, PayloadError> {
    let Some(list) = tokens.get(key) else {
        return Ok(Vec::new());
    };
    if list.is_null() {
        return Ok(Vec::new());
    }
    let items = list.as_array().ok_or(PayloadError::MissingField(field))?;
    items
        .iter()
        .map(|item| req_id(item.as_str(), field, UserId::parse))
        .collect()
}
