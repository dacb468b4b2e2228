//! Finding a message the app posted earlier by its metadata marker (slack-ui.md 5.4):
//! conversations.replies for a thread, conversations.history for a channel or DM, both with
//! `include_all_metadata=true`. This is how a job whose post may or may not have reached Slack
//! (killed after the request went out, or a timeout/5xx answer) decides whether to post again:
//! chat.postMessage has no idempotency key, and a bot's `client_msg_id` is not honoured.

use serde::Deserialize;
use tenant::{ChannelId, Secret};

use super::types::MessageMetadata;
use super::{SlackApiError, WebApi};

/// How many recent messages are searched: a marker is looked for right after its job ran, so
/// it is among the newest messages of the thread or channel (`oldest` bounds it further).
const SEARCH_LIMIT: &str = "100";

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    messages: Vec<HistoryMessage>,
}

#[derive(Deserialize)]
struct HistoryMessage {
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    metadata: Option<MessageMetadata>,
}

impl WebApi {
    /// Whether a message carrying `marker` is in `channel` (in the thread of `thread_ts`, when
    /// given) at or after `oldest` (a Slack ts, e.g. the job's creation time). Needs the
    /// `*:history` scope of the conversation's type.
    #[tracing::instrument(skip_all, fields(method = "conversations.history"))]
    pub async fn find_marked(
        &self,
        token: &Secret,
        channel: &ChannelId,
        thread_ts: Option<&str>,
        oldest: &str,
        marker: &MessageMetadata,
    ) -> Result<bool, SlackApiError> {
        Ok(self
            .find_marked_ts(token, channel, thread_ts, oldest, marker)
            .await?
            .is_some())
    }

    /// As [`WebApi::find_marked`], giving the marked message's `ts` (to update it later).
    #[tracing::instrument(skip_all, fields(method = "conversations.history"))]
    pub async fn find_marked_ts(
        &self,
        token: &Secret,
        channel: &ChannelId,
        thread_ts: Option<&str>,
        oldest: &str,
        marker: &MessageMetadata,
    ) -> Result<Option<String>, SlackApiError> {
        let mut query = vec![
            ("channel", channel.as_str()),
            ("include_all_metadata", "true"),
            ("limit", SEARCH_LIMIT),
            ("oldest", oldest),
        ];
        let method = match thread_ts {
            Some(ts) => {
                query.push(("ts", ts));
                "conversations.replies"
            }
            None => "conversations.history",
        };
        let history: History = self.call_get(method, token, &query).await?;
        Ok(history
            .messages
            .into_iter()
            .find(|m| m.metadata.as_ref() == Some(marker))
            .map(|m| m.ts.unwrap_or_default()))
    }
}
