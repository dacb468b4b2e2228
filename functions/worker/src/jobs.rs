//! What each job kind does. Every function here makes at most one side effect in Slack, after
//! everything that can fail without side effects has been checked.

use slack::{Message, ResponseMessage, ResponseType};
use tenant::service;
use tenant::{ChannelId, JobEnvelope, Tenant, UserId};

use crate::Worker;
use crate::error::JobError;

impl Worker {
    /// `/followup ping`: the tenant's name and the round trip from ingress to this answer.
    pub(crate) async fn ping(&self, job: &JobEnvelope, tenant: &Tenant) -> Result<(), JobError> {
        let url = job
            .slack
            .response_url
            .as_deref()
            .ok_or(JobError::NoResponseUrl)?;
        let round_trip_ms = (self.clock.unix_millis() - job.created_at_ms).max(0);
        let reply = ephemeral(format!(
            ":white_check_mark: Pong from *{}*: round trip {round_trip_ms} ms \
             (Slack → Switchboard → queue → worker → Slack).",
            tenant.name
        ));
        self.web.respond(url, &reply).await?;
        Ok(())
    }

    /// The bot was mentioned: reply in the mention's thread.
    pub(crate) async fn mention_reply(
        &self,
        job: &JobEnvelope,
        channel: &ChannelId,
        ts: &str,
        thread_ts: Option<&str>,
        user: Option<&UserId>,
    ) -> Result<(), JobError> {
        let bot = service::bot_token(&self.backend, &job.tenant)
            .await?
            .ok_or(JobError::NoBotToken)?;
        let greeting = match user {
            Some(user) => format!("Hi <@{user}>! "),
            None => "Hi! ".to_owned(),
        };
        let msg = Message {
            channel: Some(channel.clone()),
            text: format!(
                "{greeting}I'm on it. Meeting follow-ups are coming here soon; \
                 try `/followup help` to see what I can do today."
            ),
            blocks: None,
            thread_ts: Some(thread_ts.unwrap_or(ts).to_owned()),
        };
        self.web.post_message(&bot.token, &msg).await?;
        Ok(())
    }

    /// A button, shortcut or submission: confirm it to the user where Slack lets us answer.
    pub(crate) async fn interaction(
        &self,
        job: &JobEnvelope,
        interaction: &str,
        action: Option<&str>,
    ) -> Result<(), JobError> {
        // Global shortcuts and modal submissions carry no response_url: nothing to answer on.
        let Some(url) = job.slack.response_url.as_deref() else {
            return Ok(());
        };
        let what = action.unwrap_or(interaction);
        let reply = ephemeral(format!("Got it: `{what}`."));
        self.web.respond(url, &reply).await?;
        Ok(())
    }
}

/// A message on a response_url that only the user who acted sees.
pub(crate) fn ephemeral(text: String) -> ResponseMessage {
    ResponseMessage {
        text,
        response_type: ResponseType::Ephemeral,
        replace_original: false,
        blocks: None,
    }
}
