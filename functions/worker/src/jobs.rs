//! What each job kind does. Every function here makes at most one side effect in Slack, after
//! everything that can fail without side effects has been checked.

use std::time::Duration;

use slack::{Message, ResponseMessage, ResponseType};
use tenant::ports::{Claim, LedgerKey, Member, Role};
use tenant::{ChannelId, JobEnvelope, Tenant, UserId};
use tracing::info;

use crate::error::JobError;
use crate::{OUTCOME_TTL, Worker, home};

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
        let token = self.bot_token(job).await?;
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
        self.web.post_message(&token, &msg).await?;
        Ok(())
    }

    /// A new install or reinstall: the welcome DM to the installer and the App Home.
    /// Each side effect is its own ledger step, so a retry after a failure in the second one
    /// does not send the DM again.
    pub(crate) async fn provision(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        installer: Option<&UserId>,
        reinstall: bool,
    ) -> Result<(), JobError> {
        let Some(installer) = installer else {
            return Ok(());
        };
        let first_admin = self.enrol_installer(job, installer).await?;
        let token = self.bot_token(job).await?;
        self.once(job, "welcome_dm", async {
            let channel = self.web.open_dm(&token, installer).await?;
            let msg = Message {
                channel: Some(channel),
                text: home::welcome_text(tenant, reinstall, first_admin),
                blocks: None,
                thread_ts: None,
            };
            self.web.post_message(&token, &msg).await?;
            Ok(())
        })
        .await?;
        self.once(job, "home", async {
            let view = home::home_view(tenant);
            self.web.publish_home(&token, installer, &view).await?;
            Ok(())
        })
        .await
    }

    /// The installer becomes the tenant's first admin (atomically: of two concurrent installs
    /// one wins), or else at least a member. Returns whether they became the first admin.
    async fn enrol_installer(
        &self,
        job: &JobEnvelope,
        installer: &UserId,
    ) -> Result<bool, JobError> {
        let members = &self.backend.members;
        let now = self.clock.unix_secs();
        let admin = Member {
            user: installer.clone(),
            role: Role::Admin,
            added_at: now,
        };
        if members.add_first_admin(&job.tenant, &admin).await? {
            info!(user = %installer, "installer is the tenant's first admin");
            return Ok(true);
        }
        if members.get_member(&job.tenant, installer).await?.is_none() {
            let member = Member {
                role: Role::Member,
                ..admin
            };
            members.put_member(&job.tenant, &member).await?;
        }
        Ok(false)
    }

    /// A user opened the Home tab: publish the tenant's current view for them.
    pub(crate) async fn publish_home(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        user: &UserId,
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        self.web
            .publish_home(&token, user, &home::home_view(tenant))
            .await?;
        Ok(())
    }

    /// Runs `step` of `job` at most once across redeliveries: a step already done is skipped.
    async fn once(
        &self,
        job: &JobEnvelope,
        step: &'static str,
        run: impl Future<Output = Result<(), JobError>>,
    ) -> Result<(), JobError> {
        let key = LedgerKey::Step(job.id, step);
        let ledger = &self.backend.ledger;
        let now = self.clock.now();
        match ledger
            .claim(&job.tenant, &key, now, STEP_LEASE, OUTCOME_TTL)
            .await?
        {
            Claim::Done { .. } => return Ok(()),
            // The whole job holds its own claim, so a step in flight is a crashed attempt's.
            Claim::InFlight | Claim::Acquired => {}
        }
        match run.await {
            Ok(()) => {
                ledger
                    .complete(&job.tenant, &key, "done", self.clock.now(), OUTCOME_TTL)
                    .await?;
                Ok(())
            }
            Err(err) => {
                let _ = ledger.release(&job.tenant, &key).await;
                Err(err)
            }
        }
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

/// Lease of a step claim; steps are short.
const STEP_LEASE: Duration = Duration::from_secs(60);

/// A message on a response_url that only the user who acted sees.
pub(crate) fn ephemeral(text: String) -> ResponseMessage {
    ResponseMessage {
        text,
        response_type: ResponseType::Ephemeral,
        replace_original: false,
        blocks: None,
    }
}
