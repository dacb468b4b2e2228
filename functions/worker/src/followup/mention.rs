//! Mentions of the bot: `@Switchboard what did Globex say about pricing?` is answered like
//! `/followup ask`, from the asking user's own recent follow-ups in this workspace.
//!
//! Who sees what (DESIGN.md, "private by default"): a channel is seen by everyone in it, and
//! an answer drawn from someone's follow-ups carries their customers' words. So the answer,
//! "nothing to go on" and an AI failure (what stands in for the answer) go to the asker alone,
//! with chat.postEphemeral, saying whose follow-ups it drew on. Only replies that carry nothing
//! of the asker's (how to ask, the AI is not set up) go into the mention's thread for all.
//!
//! Where the private answer shows: in the mention's thread when the mention was itself in a
//! thread; under a top-level mention in the channel, because Slack shows an ephemeral message
//! in a thread only when that thread is already active (slack-ui.md §5.3), and a fresh mention
//! has no thread. If Slack refuses the ephemeral (the asker left the channel, say), the answer
//! goes to their DM with the app instead.
//!
//! Once per job: the thread reply and the DM are [`Worker::post_once`] steps (found by their
//! marker after a crash); the ephemeral is [`Worker::ephemeral_once`] (at most once: Slack
//! keeps no ephemeral to look for).

use followup::ProviderError;
use slack::{Message, SlackApiError};
use tenant::job::AppMention;
use tenant::{JobEnvelope, Secret, UserId};
use tracing::{info, warn};

use super::ask::{Answered, NOTHING};
use crate::Worker;
use crate::error::JobError;

/// The longest question passed on, in characters (as `/followup ask`'s).
const MAX_QUESTION: usize = 500;

const HOW_TO_ASK: &str = "Ask me about your recent meetings, for example \
    `@Switchboard what did Globex say about pricing?` I answer from your own follow-ups, and \
    only you see the answer. Run `/followup` to make a follow-up from a meeting you recorded.";

const NOT_CONFIGURED: &str = "I can't answer questions here yet: Switchboard's AI is not set \
    up in this deployment. Please ask whoever runs Switchboard for your workspace to configure \
    it (`ANTHROPIC_API_KEY`).";

/// chat.postEphemeral refusals that mean the asker cannot be shown a message in that channel
/// (slack-ui.md §5.3): the answer goes to their DM instead.
const NOT_SHOWABLE: &[&str] = &[
    "user_not_in_channel",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
];

impl Worker {
    pub(crate) async fn mention(
        &self,
        job: &JobEnvelope,
        mention: &AppMention,
    ) -> Result<(), JobError> {
        let Some(asker) = &mention.user else {
            info!("a mention without a user: nobody to answer");
            return Ok(());
        };
        let token = self.bot_token(job).await?;
        let bot = self
            .backend
            .tenants
            .bot_identity(&job.tenant)
            .await?
            .and_then(|identity| identity.bot_user_id);
        let question = question_of(&mention.text, bot.as_ref());
        if question.is_empty() {
            let text = format!("Hi <@{asker}>! {HOW_TO_ASK}");
            return self.thread_reply(job, &token, mention, text).await;
        }
        let Some(followup) = self.followup.as_ref() else {
            let text = format!("Hi <@{asker}>! {NOT_CONFIGURED}");
            return self.thread_reply(job, &token, mention, text).await;
        };
        let zone = self.user_zone(&token, &job.tenant, asker).await;
        let question: String = question.chars().take(MAX_QUESTION).collect();
        let answered = self
            .answer_from_sessions(followup, &job.tenant, asker, &question, zone.tz())
            .await;
        let text = match answered {
            Ok(Answered::Answer(answer)) => format!(
                ":lock: Only you can see this, <@{asker}>. It draws on your own follow-ups in \
                 this workspace, no one else's.\n\n{answer}"
            ),
            Ok(Answered::Nothing) => NOTHING.to_owned(),
            // The AI client has already retried and fallen back (connectors::anthropic); the
            // user asked now, so they hear now rather than after the queue's retries.
            Err(JobError::Provider(err)) => {
                warn!(error = %err, "the AI could not answer a mention");
                ai_failed(&err).to_owned()
            }
            Err(other) => return Err(other),
        };
        self.private_answer(job, &token, mention, asker, text).await
    }

    /// A reply in the mention's thread, for everyone in the channel: only for texts that carry
    /// nothing of the asker's.
    async fn thread_reply(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        mention: &AppMention,
        text: String,
    ) -> Result<(), JobError> {
        let msg = Message {
            channel: Some(mention.channel.clone()),
            text,
            thread_ts: Some(mention.thread_ts.as_ref().unwrap_or(&mention.ts).clone()),
            ..Message::default()
        };
        self.post_once(job, "reply", token, msg).await
    }

    /// `text` shown to the asker alone where they asked, or in their DM if Slack cannot show
    /// it there.
    async fn private_answer(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        mention: &AppMention,
        asker: &UserId,
        text: String,
    ) -> Result<(), JobError> {
        let msg = Message {
            channel: None,
            text: text.clone(),
            thread_ts: mention.thread_ts.clone(),
            ..Message::default()
        };
        let shown = self
            .ephemeral_once(job, "answer", token, (&mention.channel, asker), &msg)
            .await;
        match shown {
            Err(JobError::Slack(SlackApiError::Api { error }))
                if NOT_SHOWABLE.contains(&error.as_str()) =>
            {
                info!(%error, "the answer cannot be shown in the channel: sent by DM");
                let dm = Message {
                    channel: Some(self.web.open_dm(token, asker).await?),
                    text: format!("You asked me in <#{}>:\n{text}", mention.channel),
                    ..Message::default()
                };
                self.post_once(job, "answer_dm", token, dm).await
            }
            other => other,
        }
    }
}

/// What the user reads when the AI could not answer: what to do next, never its message.
fn ai_failed(err: &ProviderError) -> &'static str {
    match err {
        ProviderError::RateLimited { .. } | ProviderError::Unavailable => {
            "The AI service is busy right now, so I could not answer. Please ask me again in a \
             few minutes."
        }
        ProviderError::Unauthorized => {
            "The AI service refused Switchboard's key, so I could not answer. Please tell a \
             workspace admin: Switchboard's AI key needs fixing."
        }
        ProviderError::NotFound | ProviderError::Invalid(_) => {
            "The AI service gave an answer I could not use. Please ask again, perhaps in other \
             words."
        }
    }
}

/// The question in a mention's text: without the bot's own mention (`<@U…>` or
/// `<@U…|name>`, wherever it is), with its spaces collapsed and without the separators
/// people put after the mention. When the
/// bot's id is unknown, leading mentions are dropped instead (a mention starts with the bot).
pub(crate) fn question_of(text: &str, bot: Option<&UserId>) -> String {
    let mut rest = text.to_owned();
    match bot {
        Some(bot) => {
            let plain = format!("<@{bot}>");
            let named = format!("<@{bot}|");
            rest = rest.replace(&plain, " ");
            while let Some(start) = rest.find(&named) {
                match rest[start..].find('>') {
                    Some(end) => rest.replace_range(start..start + end + 1, " "),
                    None => break,
                }
            }
        }
        None => {
            while let Some(after) = rest.trim_start().strip_prefix("<@")
                && let Some(end) = after.find('>')
            {
                rest = after[end + 1..].to_owned();
            }
        }
    }
    let words = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    words
        .trim_start_matches([',', ':', ';', '-'])
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot() -> UserId {
        UserId::parse("U0FAKEBOT").unwrap()
    }

    #[test]
    fn the_question_is_the_text_without_the_bots_mention() {
        let bot = bot();
        let q = |text| question_of(text, Some(&bot));
        assert_eq!(
            q("<@U0FAKEBOT> what did Globex say?"),
            "what did Globex say?"
        );
        assert_eq!(q("<@U0FAKEBOT>, what next?"), "what next?");
        assert_eq!(
            q("What is the hour of the pearl, <@U0FAKEBOT>?"),
            "What is the hour of the pearl, ?"
        );
        assert_eq!(q("<@U0FAKEBOT|switchboard> pricing?"), "pricing?");
        // Other people's mentions are part of the question.
        assert_eq!(
            q("<@U0FAKEBOT> what did <@U0JOHN01> promise?"),
            "what did <@U0JOHN01> promise?"
        );
        assert_eq!(q("<@U0FAKEBOT>"), "");
        assert_eq!(q("  <@U0FAKEBOT>  :  "), "");
    }

    #[test]
    fn without_the_bots_id_leading_mentions_are_dropped() {
        assert_eq!(question_of("<@U0SOMEBOT> hi there", None), "hi there");
        assert_eq!(question_of("<@U0SOMEBOT>", None), "");
        assert_eq!(question_of("hi <@U0OTHER1>", None), "hi <@U0OTHER1>");
        assert_eq!(question_of("<@U0SOMEBOT", None), "<@U0SOMEBOT");
    }

    #[test]
    fn ai_failures_say_what_to_do_and_never_quote_the_provider() {
        let invalid = ai_failed(&ProviderError::Invalid("secret detail".into()));
        assert!(!invalid.contains("secret detail"));
        assert!(ai_failed(&ProviderError::Unavailable).contains("again in a few minutes"));
        assert!(ai_failed(&ProviderError::Unauthorized).contains("admin"));
    }
}
