//! `/followup ask`: an answer drawn only from the asking user's own recent follow-ups in this
//! workspace (their sessions' summaries and notes), shown to them alone, naming the meetings
//! it drew on, and saying so when there is nothing to go on.

use followup::SessionDigest;
use tenant::JobEnvelope;
use tenant::job::Ask;
use tracing::info;

use crate::Worker;
use crate::error::JobError;
use crate::jobs::ephemeral;

/// How many recent sessions an answer may draw on.
const CONTEXT: usize = 10;

const NOTHING: &str = "I have no follow-ups of yours to go on yet. Run `/followup`, pick a \
                       meeting, and ask again once its follow-up is ready.";

impl Worker {
    pub(crate) async fn ask(&self, job: &JobEnvelope, ask: &Ask) -> Result<(), JobError> {
        let followup = self.followup()?;
        let url = job
            .slack
            .response_url
            .as_deref()
            .ok_or(JobError::NoResponseUrl)?;
        // The sessions are the asker's own: the key is (this tenant, the user who asked).
        let sessions = followup
            .sessions
            .recent(&job.tenant, &ask.user, CONTEXT, self.now())
            .await?;
        let digests: Vec<SessionDigest> = sessions.iter().filter_map(|s| s.digest()).collect();
        let text = if digests.is_empty() {
            NOTHING.to_owned()
        } else {
            let answer = followup.drafter.answer(&ask.question, &digests).await?;
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
                    let day = d.started_at.strftime("%-d %b").to_string();
                    format!("• *{}* ({day})", app::ui::escape_mrkdwn(&d.title))
                })
                .collect();
            if sources.is_empty() {
                answer.text
            } else {
                format!("{}\n\n_Drawn from:_\n{}", answer.text, sources.join("\n"))
            }
        };
        self.respond_once(job, url, &ephemeral(text)).await
    }
}
