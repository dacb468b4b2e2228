//! The worker: runs jobs from the queue once each and answers in Slack.
//!
//! For each message: decode the envelope (garbage is a permanent failure), claim the job id in
//! the ledger (a job already done is skipped: redeliveries act once), check the tenant (gone or
//! suspended: permanent), run the job, then record the outcome *before* the message is acked, so
//! that a crash between the side effect's record and the ack does not repeat it. Failures are
//! retryable (Slack 429 with its Retry-After, 5xx, timeouts, storage hiccups) or permanent
//! (bad payload, tenant gone, token revoked: recorded, the user told where possible, not retried).

mod error;
mod home;
mod jobs;
pub mod sqs;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use futures::future::join_all;
use tenant::job::EnvelopeError;
use tenant::ports::{Claim, JobConsumer, LedgerKey, StoreError};
use tenant::service::{self, Resolved};
use tenant::{Backend, JobEnvelope, JobKind};
use tracing::{Instrument, error, info, info_span, warn};

pub use error::{Disposition, JobError};
pub use tokens::REFRESH_MARGIN_SECS;

/// How long a received local message stays invisible (and a job claim is leased): longer than
/// any job takes. On AWS the queue's own visibility timeout applies (see template.yaml).
pub const VISIBILITY: Duration = Duration::from_secs(120);
/// How long job outcomes are remembered: longer than a message can live in the queue (4 days
/// by default) so that any redelivery finds it.
pub(crate) const OUTCOME_TTL: Duration = Duration::from_secs(8 * 24 * 3600);

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
    /// Refreshes rotating tokens; `None` when the app's client credentials are not configured.
    oauth: Option<slack::oauth::OAuthClient>,
}

impl Worker {
    pub fn new(backend: Backend, web: slack::WebApi, clock: Clock) -> Self {
        Self {
            backend,
            web,
            clock,
            oauth: None,
        }
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
        let key = LedgerKey::Job(job.id);
        let ledger = &self.backend.ledger;
        match ledger
            .claim(&job.tenant, &key, self.clock.now(), VISIBILITY, OUTCOME_TTL)
            .await
        {
            Ok(Claim::Acquired) => {}
            Ok(Claim::Done { outcome }) => {
                info!(%outcome, "job already done: not repeated");
                return Outcome::AlreadyDone;
            }
            Ok(Claim::InFlight) => {
                info!("job running elsewhere: retry after its lease");
                return Outcome::Retry {
                    after: Some(VISIBILITY),
                };
            }
            Err(err) => return self.retry_on_store(err),
        }
        let result = self.run(job).await;
        let (outcome, record) = match &result {
            Ok(()) => (Outcome::Done, "done".to_owned()),
            Err(err) => match err.disposition() {
                Disposition::Retry { after } => {
                    warn!(error = %err.reason(), ?after, "job failed; will retry");
                    // Nothing was done: let the next delivery claim it at once.
                    let _ = ledger.release(&job.tenant, &key).await;
                    return Outcome::Retry { after };
                }
                Disposition::Permanent => {
                    let reason = err.reason();
                    error!(error = %reason, "job failed permanently");
                    self.tell_user(job, err).await;
                    (
                        Outcome::Failed {
                            reason: reason.clone(),
                        },
                        format!("failed: {reason}"),
                    )
                }
            },
        };
        if let Err(err) = ledger
            .complete(&job.tenant, &key, &record, self.clock.now(), OUTCOME_TTL)
            .await
        {
            // Without the record a redelivery could repeat the side effect; keep the message
            // (the claim's lease blocks a rerun meanwhile) and try to record again later.
            error!(error = %err, "could not record the job outcome");
            return Outcome::Retry { after: None };
        }
        if outcome == Outcome::Done {
            info!("job done");
        }
        outcome
    }

    async fn run(&self, job: &JobEnvelope) -> Result<(), JobError> {
        let tenant = match service::resolve(&self.backend, &job.tenant).await? {
            Resolved::Active(tenant) => tenant,
            Resolved::Suspended(_) => return Err(JobError::TenantSuspended),
            Resolved::NotInstalled => return Err(JobError::TenantGone),
        };
        match &job.kind {
            JobKind::Ping => self.ping(job, &tenant).await,
            JobKind::AppMention {
                channel,
                ts,
                thread_ts,
                user,
                ..
            } => {
                self.mention_reply(job, channel, ts, thread_ts.as_deref(), user.as_ref())
                    .await
            }
            JobKind::Provision {
                installer,
                reinstall,
            } => {
                self.provision(job, &tenant, installer.as_ref(), *reinstall)
                    .await
            }
            JobKind::PublishHome { user } => self.publish_home(job, &tenant, user).await,
            JobKind::Interaction {
                interaction,
                action,
            } => self.interaction(job, interaction, action.as_deref()).await,
        }
    }

    /// Tells the user a job failed for good, where Slack gave us a way to (best effort).
    async fn tell_user(&self, job: &JobEnvelope, err: &JobError) {
        let Some(url) = job.slack.response_url.as_deref() else {
            return;
        };
        let text = match err {
            JobError::TenantSuspended => "Switchboard is paused for this workspace.",
            JobError::TenantGone | JobError::NoBotToken => {
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

    fn retry_on_store(&self, err: StoreError) -> Outcome {
        warn!(error = %err, "ledger unavailable; will retry");
        Outcome::Retry { after: None }
    }

    /// One pass over a local queue: receive up to `max` messages, run them concurrently, then
    /// ack or reschedule each. Returns how many messages were received.
    pub async fn drain_once(
        self: &Arc<Self>,
        consumer: &dyn JobConsumer,
        max: usize,
    ) -> Result<usize, StoreError> {
        let deliveries = consumer.receive(max, VISIBILITY).await?;
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
    // Not a job we can run, ever: drop it (the DLQ is for jobs that kept failing).
    error!(error = %err, "undecodable job envelope dropped");
    Outcome::Failed {
        reason: err.to_string(),
    }
}
