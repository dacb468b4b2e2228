//! What each job kind does. Every side effect in Slack is a step of its own (see
//! [`Worker::step`]), run once across redeliveries, after everything that can fail without
//! side effects has been checked.

use slack::{Message, MessageMetadata, ResponseMessage, ResponseType};
use tenant::idempotency::{Attempt, Once, OnceError, Settle, once};
use tenant::job::{Interaction, Provision};
use tenant::ports::{LedgerKey, Member, Role};
use tenant::{ChannelId, JobEnvelope, Secret, Tenant, UserId};
use tracing::{info, warn};

use crate::error::JobError;
use crate::{Worker, home};

/// The metadata `event_type` of every message a job step posts (its marker).
pub(crate) const MARKER_EVENT_TYPE: &str = "switchboard_job_step";

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
        self.respond_once(job, url, &reply).await
    }

    /// A new install or reinstall: the welcome DM to the installer and the App Home.
    /// Each side effect is its own step, so a retry after a failure in the second one does not
    /// send the DM again.
    pub(crate) async fn provision(
        &self,
        job: &JobEnvelope,
        tenant: &Tenant,
        provision: &Provision,
    ) -> Result<(), JobError> {
        let Some(installer) = &provision.installer else {
            return Ok(());
        };
        let first_admin = self.enrol_installer(job, installer).await?;
        let token = self.bot_token(job).await?;
        // conversations.open is idempotent: it answers the same DM every time.
        let channel = self.web.open_dm(&token, installer).await?;
        let msg = Message {
            channel: Some(channel),
            text: home::welcome_text(tenant, provision.reinstall, first_admin),
            ..Message::default()
        };
        self.post_once(job, "welcome_dm", &token, msg).await?;
        // views.publish replaces the whole Home tab: repeating it is harmless.
        self.step(job, "home", |_| async {
            self.publish_home(job, tenant, installer).await
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

    /// A button, shortcut or submission: confirm it to the user where Slack lets us answer.
    pub(crate) async fn interaction(
        &self,
        job: &JobEnvelope,
        interaction: &Interaction,
    ) -> Result<(), JobError> {
        // Global shortcuts and modal submissions carry no response_url: nothing to answer on.
        let Some(url) = job.slack.response_url.as_deref() else {
            return Ok(());
        };
        let what = interaction
            .action
            .as_deref()
            .unwrap_or(&interaction.interaction);
        let reply = ephemeral(format!("Got it: `{what}`."));
        self.respond_once(job, url, &reply).await
    }

    /// Runs `effect`, the step `name` of `job`, at most once across redeliveries and crashes
    /// (through [`tenant::idempotency::once`]). A Slack timeout, 5xx or transport failure
    /// leaves the outcome unknown: the next try is an [`Attempt::Recovery`], which the effect
    /// must answer by checking before it acts again.
    pub(crate) async fn step<F, Fut>(
        &self,
        job: &JobEnvelope,
        name: &'static str,
        effect: F,
    ) -> Result<(), JobError>
    where
        F: FnOnce(Attempt) -> Fut,
        Fut: Future<Output = Result<(), JobError>>,
    {
        let clock = || self.clock.now();
        let ran = once(
            self.backend.ledger.as_ref(),
            &job.tenant,
            &LedgerKey::Step(job.id, name),
            self.timing.policy(),
            &clock,
            |attempt| async move {
                Settle::from_result(effect(attempt).await, "done", JobError::outcome_unknown)
            },
        )
        .await;
        match ran {
            Ok(Once::Ran(result)) => result,
            Ok(Once::AlreadyDone { .. }) => Ok(()),
            Ok(Once::Busy) => Err(JobError::StepBusy),
            Err(OnceError::Claim(err) | OnceError::Record(err)) => Err(JobError::Store(err)),
        }
    }

    /// chat.postMessage of `msg` as step `name`, marked with the job and step in its metadata.
    /// On a recovery the conversation is searched for the marker first, so a message that did
    /// reach Slack before a crash or a timeout is not posted a second time.
    pub(crate) async fn post_once(
        &self,
        job: &JobEnvelope,
        name: &'static str,
        token: &Secret,
        mut msg: Message,
    ) -> Result<(), JobError> {
        let marker = marker(job, name);
        msg.metadata = Some(marker.clone());
        self.step(job, name, |attempt| async move {
            let channel = msg.channel.as_ref().ok_or(JobError::NoChannel)?;
            if attempt == Attempt::Recovery {
                let oldest = slack_ts(job.created_at_ms);
                let thread = msg.thread_ts.as_deref();
                if self
                    .web
                    .find_marked(token, channel, thread, &oldest, &marker)
                    .await?
                {
                    info!(
                        step = name,
                        "an earlier attempt's message is in Slack: not reposted"
                    );
                    return Ok(());
                }
            }
            self.web.post_message(token, &msg).await?;
            Ok(())
        })
        .await
    }

    /// chat.postEphemeral of `msg` to `user` in `channel` as step `name`: shown to them alone.
    /// Slack keeps no ephemeral message (slack-ui.md §5.3), so there is nothing to look for
    /// after an attempt whose outcome is unknown: as with [`Worker::respond_once`] it is not
    /// sent again (at most once; a duplicate answer is worse than the user asking again).
    pub(crate) async fn ephemeral_once(
        &self,
        job: &JobEnvelope,
        name: &'static str,
        token: &Secret,
        (channel, user): (&ChannelId, &UserId),
        msg: &Message,
    ) -> Result<(), JobError> {
        self.step(job, name, |attempt| async move {
            if attempt == Attempt::Recovery {
                warn!(
                    step = name,
                    "an earlier ephemeral may have reached Slack: not repeated"
                );
                return Ok(());
            }
            self.web.post_ephemeral(token, channel, user, msg).await?;
            Ok(())
        })
        .await
    }

    /// A `response_url` reply as step `respond`. Slack offers no way to read an ephemeral reply
    /// back, so when an earlier attempt's outcome is unknown the reply is not sent again: a
    /// duplicate "working on it" is worse than none, and the user can ask again.
    pub(crate) async fn respond_once(
        &self,
        job: &JobEnvelope,
        url: &str,
        reply: &ResponseMessage,
    ) -> Result<(), JobError> {
        self.step(job, "respond", |attempt| async move {
            if attempt == Attempt::Recovery {
                warn!("an earlier reply may have reached Slack: not repeated");
                return Ok(());
            }
            self.web.respond(url, reply).await?;
            Ok(())
        })
        .await
    }
}

/// The marker of step `name` of `job`.
pub(crate) fn marker(job: &JobEnvelope, name: &str) -> MessageMetadata {
    MessageMetadata {
        event_type: MARKER_EVENT_TYPE.to_owned(),
        event_payload: serde_json::json!({ "job": job.id.to_string(), "step": name }),
    }
}

/// A Slack `ts` ("seconds.micros") for unix milliseconds, minus a minute for clock skew between
/// us and Slack.
pub(crate) fn slack_ts(unix_ms: i64) -> String {
    let ms = (unix_ms - 60_000).max(0);
    format!("{}.{:06}", ms / 1000, (ms % 1000) * 1000)
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
