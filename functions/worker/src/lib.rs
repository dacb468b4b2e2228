//! The worker: runs jobs from the queue once each and answers in Slack.
//!
//! For each message: decode the envelope (garbage is a permanent failure), claim the job id in
//! the ledger (a job already done is skipped: redeliveries act once), check the tenant (gone or
//! suspended: permanent), run the job, then record the outcome *before* the message is acked, so
//! that a crash between the side effect's record and the ack does not repeat it. Failures are
//! retryable (Slack 429 with its Retry-After, 5xx, timeouts, storage hiccups), permanent
//! (bad payload, tenant gone, token revoked: recorded, the user told where possible, not
//! retried), or for an operator (an undecodable envelope, tokens that do not decrypt: moved to
//! the dead-letter queue with the reason, unrecorded, so that a redrive runs them).

mod error;
mod followup;
mod home;
mod jobs;
pub mod sqs;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use futures::future::join_all;
use tenant::idempotency::{Once, OnceError, Policy, Settle, once};
use tenant::job::EnvelopeError;
use tenant::ports::{JobConsumer, LedgerKey, StoreError};
use tenant::refresh::{RefreshError, TokenError};
use tenant::service::{self, Resolved};
use tenant::{Backend, JobEnvelope, JobKind};
use tracing::{Instrument, error, info, info_span, warn};

pub use error::{Disposition, JobError};
pub use followup::Followup;
pub use tokens::REFRESH_MARGIN;

/// How long job outcomes are remembered: longer than a message can live in the queue (4 days
/// by default) so that any redelivery finds it.
pub(crate) const OUTCOME_TTL: Duration = Duration::from_secs(8 * 24 * 3600);

/// The worker's clocks, which must nest: a job's run (every call in it has its own shorter
/// timeout) ends before its claim's lease, and the lease ends before the queue shows the
/// message again. So a redelivery never runs beside a live attempt, and one whose attempt died
/// takes the job over (as a recovery) as soon as the queue hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTiming {
    /// How long a received message stays invisible (the queue's visibility timeout).
    pub visibility: Duration,
    /// How long a job's claim (and each of its steps' claims) is held.
    pub lease: Duration,
    /// How long one run of a job may take before it is cut off (and retried).
    pub run_timeout: Duration,
}

impl JobTiming {
    /// The local queue (`switchboard serve`): a job abandoned by a killed worker is picked up
    /// again 20 s after its receipt. A run is cut at 15 s: longer than a Slack call may take
    /// (10 s, `slack::DEFAULT_TIMEOUT`), shorter than the lease.
    pub const LOCAL: Self = Self {
        visibility: Duration::from_secs(20),
        lease: Duration::from_secs(18),
        run_timeout: Duration::from_secs(15),
    };

    /// On Lambda: the queue's visibility (template.yaml `JobQueue.VisibilityTimeout`, 360 s)
    /// and the function's own timeout (60 s), which bounds a run however it ends.
    pub fn lambda(visibility: Duration, function_timeout: Duration) -> Result<Self, String> {
        let timing = Self {
            visibility,
            lease: visibility.saturating_sub(Duration::from_secs(2)),
            run_timeout: function_timeout.saturating_sub(Duration::from_secs(5)),
        };
        timing.check().map(|()| timing)
    }

    /// Whether the clocks nest as described on the type.
    pub fn check(&self) -> Result<(), String> {
        if self.run_timeout.is_zero() || self.run_timeout >= self.lease {
            return Err(format!(
                "a job's run ({:?}) must end before its lease ({:?})",
                self.run_timeout, self.lease
            ));
        }
        if self.lease > self.visibility {
            return Err(format!(
                "a job's lease ({:?}) must not outlast the queue's visibility ({:?})",
                self.lease, self.visibility
            ));
        }
        Ok(())
    }

    /// The claim policy of a job and of each of its steps.
    pub(crate) fn policy(&self) -> Policy {
        Policy {
            lease: self.lease,
            ttl: OUTCOME_TTL,
        }
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The job ran and its side effect is recorded.
    Done,
    /// The job had already been done (a redelivery): nothing was repeated.
    AlreadyDone,
    /// Trying again later may work.
    Retry { after: Option<Duration> },
    /// The job cannot succeed; recorded and dropped.
    Failed { reason: String },
    /// The message is not a job this build can run, or the deployment lacks what it needs
    /// (the tenant's tokens do not decrypt: a KMS grant, a key): moved to the dead-letter
    /// queue with `reason`, for an operator to look at and redrive.
    DeadLetter { reason: String },
}

impl Outcome {
    /// Whether the message should be deleted from the queue.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Retry { .. })
    }
}

/// The worker's state, built once per cold start.
pub struct Worker {
    backend: Backend,
    web: slack::WebApi,
    clock: Clock,
    timing: JobTiming,
    /// Refreshes rotating tokens; `None` when the app's client credentials are not configured.
    oauth: Option<slack::oauth::OAuthClient>,
    /// The follow-up providers; `None` where the deployment has none configured.
    followup: Option<Followup>,
    /// Where messages send a user to connect an account (signed links); `None` without a
    /// connect-link key or `PUBLIC_BASE_URL`: messages then say what to run instead.
    links: Option<app::connect_link::ConnectLinks>,
    zones: followup::ZoneCache,
    /// Follow-ups per month by plan (`FOLLOWUP_QUOTAS`), for the App Home's "this month".
    quotas: tenant::FollowupQuotas,
    /// Where the recorder delivers automatic follow-ups (`PUBLIC_BASE_URL`); `None`: they
    /// cannot be turned on here.
    public_base_url: Option<String>,
}

impl Worker {
    pub fn new(backend: Backend, web: slack::WebApi, clock: Clock) -> Self {
        Self {
            backend,
            web,
            clock,
            timing: JobTiming::LOCAL,
            oauth: None,
            followup: None,
            links: None,
            zones: followup::ZoneCache::default(),
            quotas: tenant::FollowupQuotas::default(),
            public_base_url: None,
        }
    }

    /// With this monthly follow-up table (the one ingress enforces) instead of the default.
    pub fn with_quotas(mut self, quotas: tenant::FollowupQuotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// Lets users turn automatic follow-ups on: the recorder delivers to `{base}/webhooks/…`.
    pub fn with_public_base_url(mut self, base: Option<String>) -> Self {
        self.public_base_url = base.filter(|b| !b.trim().is_empty());
        self
    }

    /// Lets the worker put connect links in its messages (the edit modal's "Connect Google").
    pub fn with_connect_links(mut self, links: Option<app::connect_link::ConnectLinks>) -> Self {
        self.links = links;
        self
    }

    /// Lets the worker run follow-ups with these providers.
    pub fn with_followup(mut self, followup: Followup) -> Self {
        self.followup = Some(followup);
        self
    }

    /// Runs with `timing` instead of [`JobTiming::LOCAL`]: one from [`JobTiming::lambda`],
    /// which checks that the clocks nest.
    pub fn with_timing(mut self, timing: JobTiming) -> Self {
        self.timing = timing;
        self
    }

    /// The clocks this worker runs on.
    pub fn timing(&self) -> JobTiming {
        self.timing
    }

    /// Lets the worker refresh rotating tokens with the app's OAuth client.
    pub fn with_oauth(mut self, oauth: slack::oauth::OAuthClient) -> Self {
        self.oauth = Some(oauth);
        self
    }

    /// Processes one queue message body.
    pub async fn process(&self, body: &str, receive_count: u32) -> Outcome {
        let job = match JobEnvelope::from_json(body) {
            Ok(job) => job,
            Err(err) => return bad_envelope(&err),
        };
        let span = info_span!(
            "job",
            tenant = %job.tenant,
            job_id = %job.id,
            kind = job.kind.name(),
            receive_count
        );
        self.process_job(&job).instrument(span).await
    }

    async fn process_job(&self, job: &JobEnvelope) -> Outcome {
        let clock = || self.clock.now();
        let ran = once(
            self.backend.ledger.as_ref(),
            &job.tenant,
            &LedgerKey::Job(job.id),
            self.timing.policy(),
            &clock,
            |_| self.attempt(job),
        )
        .await;
        match ran {
            Ok(Once::Ran(Ok(outcome))) => {
                if outcome == Outcome::Done {
                    info!("job done");
                }
                outcome
            }
            Ok(Once::Ran(Err(after))) => Outcome::Retry { after },
            Ok(Once::AlreadyDone { outcome }) => {
                info!(%outcome, "job already done: not repeated");
                Outcome::AlreadyDone
            }
            Ok(Once::Busy) => {
                info!("job running elsewhere: retry after its lease");
                Outcome::Retry {
                    after: Some(self.timing.lease),
                }
            }
            Err(OnceError::Claim(err)) => {
                warn!(error = %err, "ledger unavailable; will retry");
                Outcome::Retry { after: None }
            }
            Err(err @ OnceError::Record(_)) => {
                // Without the record a redelivery could repeat the side effect; the claim stays
                // held until its lease runs out, and the next run after that is a recovery.
                error!(error = %err, "could not record the job outcome");
                Outcome::Retry {
                    after: Some(self.timing.lease),
                }
            }
        }
    }

    /// One run of the job, bounded by the run timeout, and how the ledger should settle it.
    /// Retried runs are released (each step keeps its own record, so a rerun skips what was
    /// done and checks what may have been); permanent failures are recorded.
    async fn attempt(&self, job: &JobEnvelope) -> Settle<Outcome, Option<Duration>> {
        let result = match tokio::time::timeout(self.timing.run_timeout, self.run(job)).await {
            Ok(result) => result,
            Err(_) => Err(JobError::TimedOut),
        };
        let err = match result {
            Ok(()) => {
                return Settle::Done {
                    value: Outcome::Done,
                    outcome: "done".to_owned(),
                };
            }
            Err(err) => err,
        };
        match err.disposition() {
            Disposition::Retry { after } => {
                warn!(error = %err.reason(), ?after, "job failed; will retry");
                Settle::Release(after)
            }
            Disposition::DeadLetter => {
                // Nothing is recorded and nobody is told: once an operator has fixed what
                // denies the decrypt (a KMS grant, a key), a redrive from the DLQ runs the job
                // as if new, and the user gets their answer then.
                let reason = err.reason();
                error!(error = %reason, "job cannot read the tenant's tokens: dead-lettered");
                Settle::Free(Outcome::DeadLetter { reason })
            }
            Disposition::Permanent => {
                let reason = err.reason();
                error!(error = %reason, "job failed permanently");
                self.tell_user(job, &err).await;
                Settle::Done {
                    outcome: format!("failed: {reason}"),
                    value: Outcome::Failed { reason },
                }
            }
        }
    }

    async fn run(&self, job: &JobEnvelope) -> Result<(), JobError> {
        let tenant = match service::resolve(&self.backend, &job.tenant).await? {
            Resolved::Active(tenant) => tenant,
            Resolved::Suspended(_) => return Err(JobError::TenantSuspended),
            Resolved::NotInstalled => return Err(JobError::TenantGone),
        };
        match &job.kind {
            JobKind::Ping => self.ping(job, &tenant).await,
            JobKind::AppMention(mention) => self.mention(job, mention).await,
            JobKind::Provision(provision) => self.provision(job, &tenant, provision).await,
            JobKind::PublishHome(home) => self.publish_home(job, &tenant, &home.user).await,
            JobKind::Interaction(interaction) => self.interaction(job, interaction).await,
            JobKind::MeetingPicker(picker) => self.meeting_picker(job, picker).await,
            JobKind::ConnectRecorder(connect) => self.connect_recorder(job, connect).await,
            JobKind::Generate(generate) => self.generate(job, generate).await,
            JobKind::OpenEditor(open) => self.open_editor(job, open).await,
            JobKind::EditorAction(action) => self.editor_action(job, action).await,
            JobKind::CreateEvent(create) => self.create_event(job, create).await,
            JobKind::Ask(ask) => self.ask(job, ask).await,
            JobKind::Disconnect(disconnect) => self.disconnect(job, &tenant, disconnect).await,
            JobKind::AutoFollowups(auto) => self.auto_followups(job, auto).await,
            JobKind::QuotaReached(notice) => self.quota_reached(job, notice).await,
            JobKind::Connected(connected) => {
                self.announce_connection(job, &tenant, connected).await
            }
            JobKind::Crm(crm) => self.crm_job(job, crm).await,
        }
    }

    /// Tells the user a job failed for good, where Slack gave us a way to (best effort).
    async fn tell_user(&self, job: &JobEnvelope, err: &JobError) {
        let Some(url) = job.slack.response_url.as_deref() else {
            return;
        };
        let text = match err {
            JobError::TenantSuspended => "Switchboard is paused for this workspace.",
            JobError::TenantGone
            | JobError::NoBotToken
            | JobError::Token(TokenError::Refresh(RefreshError::Revoked)) => {
                "Switchboard is no longer installed here; please ask an admin to reinstall it."
            }
            _ => "Sorry, Switchboard could not finish this request.",
        };
        if let Err(e) = self
            .web
            .respond(url, &jobs::ephemeral(text.to_owned()))
            .await
        {
            warn!(error = %e, "could not tell the user about the failure");
        }
    }

    /// One pass over a local queue: receive up to `max` messages, run them concurrently, then
    /// ack or reschedule each. Returns how many messages were received.
    pub async fn drain_once(
        self: &Arc<Self>,
        consumer: &dyn JobConsumer,
        max: usize,
    ) -> Result<usize, StoreError> {
        let deliveries = consumer.receive(max, self.timing.visibility).await?;
        let count = deliveries.len();
        let outcomes = join_all(
            deliveries
                .iter()
                .map(|d| self.process(&d.body, d.receive_count)),
        )
        .await;
        for (delivery, outcome) in deliveries.iter().zip(outcomes) {
            match outcome {
                Outcome::Retry { after } => {
                    let delay = after.unwrap_or_else(|| backoff(delivery.receive_count));
                    consumer.retry_after(&delivery.receipt, delay).await?;
                }
                Outcome::DeadLetter { reason } => {
                    consumer
                        .dead_letter(&delivery.receipt, &delivery.body, &reason)
                        .await?;
                }
                _ => consumer.ack(&delivery.receipt).await?,
            }
        }
        Ok(count)
    }
}

/// Backoff when the failure did not say when to retry: 2, 4, 8, 16 s…, at most 5 minutes.
pub fn backoff(receive_count: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(receive_count.clamp(1, 9)).min(300))
}

fn bad_envelope(err: &EnvelopeError) -> Outcome {
    // Not a job this build can run: an operator must see it (a producer bug, or a message from
    // a newer deploy to redrive later), so it goes to the DLQ with its reason, not to the bin.
    error!(error = %err, "undecodable job envelope: dead-lettered");
    Outcome::DeadLetter {
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod timing_tests {
    use super::*;

    #[test]
    fn the_local_and_lambda_clocks_nest() {
        JobTiming::LOCAL.check().unwrap();
        let lambda = JobTiming::lambda(Duration::from_secs(360), Duration::from_secs(60)).unwrap();
        assert!(lambda.run_timeout < lambda.lease && lambda.lease <= lambda.visibility);
        // A run longer than the lease (the 120 s claim of issue 7 under a 360 s visibility was
        // the other way round) is refused.
        assert!(JobTiming::lambda(Duration::from_secs(30), Duration::from_secs(60)).is_err());
        let unnested = JobTiming {
            visibility: Duration::from_secs(30),
            lease: Duration::from_secs(40),
            run_timeout: Duration::from_secs(10),
        };
        assert!(unnested.check().is_err(), "a lease past the visibility");
    }
}
