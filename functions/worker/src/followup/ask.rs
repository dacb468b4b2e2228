//! `/followup ask`: an answer drawn only from the asking user's own recent follow-ups in this
//! workspace (their sessions' summaries and notes), shown to them alone, naming the meetings
//! it drew on, and saying so when there is nothing to go on. Mentions of the bot answer the
//! same way ([`super::mention`]).

use followup::SessionDigest;
use jiff::tz::TimeZone;
use tenant::job::Ask;
use tenant::{JobEnvelope, TenantId, UserId};
use tracing::info;

use super::Followup;
use crate::Worker;
use crate::error::JobError;
use crate::jobs::ephemeral;

/// How many recent sessions an answer may draw on.
const CONTEXT: usize = 10;

pub(crate) const NOTHING: &str = "I have no follow-ups of yours to go on yet. Run `/followup`, \
                                  pick a meeting, and ask again once its follow-up is ready.";

/// What an answer from a user's own follow-ups came to.
pub(crate) enum Answered {
    /// They have no follow-up with a draft yet: the AI was not asked.
    Nothing,
    /// The AI's answer, with the meetings it drew on listed under it.
    Answer(String),
}

impl Worker {
    pub(crate) async fn ask(&self, job: &JobEnvelope, ask: &Ask) -> Result<(), JobError> {
        let followup = self.followup()?;
        let url = job
            .slack
            .response_url
            .as_deref()
            .ok_or(JobError::NoResponseUrl)?;
        let answered = self
            .answer_from_sessions(
                followup,
                &job.tenant,
                &ask.user,
                &ask.question,
                &TimeZone::UTC,
            )
            .await?;
        let text = match answered {
            Answered::Nothing => NOTHING.to_owned(),
            Answered::Answer(text) => text,
        };
        self.respond_once(job, url, &ephemeral(text)).await
    }

    /// An answer to `question` from `user`'s own recent sessions in `tenant` (the store's key
    /// is that pair: no other user's or workspace's session can be among them), the meetings
    /// it drew on named with their day in `tz`. The AI's failures are [`JobError::Provider`].
    pub(crate) async fn answer_from_sessions(
        &self,
        followup: &Followup,
        tenant: &TenantId,
        user: &UserId,
        question: &str,
        tz: &TimeZone,
    ) -> Result<Answered, JobError> {
        let sessions = followup
            .sessions
            .recent(tenant, user, CONTEXT, self.now())
            .await?;
        let digests: Vec<SessionDigest> = sessions.iter().filter_map(|s| s.digest()).collect();
        if digests.is_empty() {
            return Ok(Answered::Nothing);
        }
        let answer = followup.drafter.answer(question, &digests).await?;
        info!(
            context = digests.len(),
            used = answer.used.len(),
            "question answered"
        );
        let sources: Vec<String> = answer
            .used
            .iter()
            .filter_map(|&i| digests.get(i))
            .map(|d| {
                let day = d
                    .started_at
                    .to_zoned_datetime(tz.clone())
                    .strftime("%-d %b");
                format!("• *{}* ({day})", app::ui::escape_mrkdwn(&d.title))
            })
            .collect();
        Ok(Answered::Answer(if sources.is_empty() {
            answer.text
        } else {
            format!("{}\n\n_Drawn from:_\n{}", answer.text, sources.join("\n"))
        }))
    }
}
