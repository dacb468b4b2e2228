//! Accepting Slack work at ingress: what the events and commands functions do between a
//! verified, parsed request and their HTTP answer. Each returns an outcome enum that its
//! handler maps to HTTP in one place; the rules (who is served, what is deduplicated, what is
//! rate limited, that nothing is acked before it is durably queued) live here once.

use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::{Resolved, TenantError, resolve, revoke_tokens, uninstall};
use crate::idempotency::{Once, OnceError, Policy, Settle, once};
use crate::ids::{BotId, JobId, TenantId, UserId};
use crate::job::{JobEnvelope, JobKind, SlackContext};
use crate::model::{FollowupQuotas, Tenant};
use crate::ports::{Backend, LedgerKey, Quota, StoreError, WindowSpan};

/// Event ids are kept a day and more (Slack retries for up to 5 minutes, 24 h with delayed
/// events); a claim older than 30 s belongs to a delivery that died, and a retry may take it
/// over.
pub const EVENT_DEDUPE: Policy = Policy {
    lease: Duration::from_secs(30),
    ttl: Duration::from_secs(26 * 3600),
};

/// Commands and interactions are remembered past the signature window (±5 minutes), so a
/// replayed request is a duplicate.
pub const REQUEST_DEDUPE: Policy = Policy {
    lease: Duration::from_secs(30),
    ttl: Duration::from_secs(15 * 60),
};

/// The usage counter commands and interactions share.
pub const COMMAND_COUNTER: &str = "commands";
/// The counter of follow-ups generated, per calendar month (UTC).
pub const FOLLOWUP_COUNTER: &str = "followups";
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Ingress could not decide: storage or the queue failed. Answered 5xx so Slack retries.
#[derive(Debug, thiserror::Error)]
#[error("ingress could not accept the request")]
pub struct IntakeError(#[source] pub StoreError);

impl From<StoreError> for IntakeError {
    fn from(err: StoreError) -> Self {
        Self(err)
    }
}

impl From<TenantError> for IntakeError {
    fn from(err: TenantError) -> Self {
        match err {
            TenantError::Store(e) => Self(e),
            other => Self(StoreError::unavailable(other)),
        }
    }
}

/// What an event asks of us, as the events function parsed it.
#[derive(Debug, Clone)]
pub enum InboundEvent {
    /// `app_uninstalled`.
    Uninstalled,
    /// `tokens_revoked`: the bot users and users whose tokens Slack revoked.
    TokensRevoked {
        bots: Vec<UserId>,
        users: Vec<UserId>,
    },
    /// An event that becomes a job, with who sent it (to ignore the app's own events).
    Work {
        event_id: String,
        kind: JobKind,
        /// Its `user` is the event's sending user.
        slack: SlackContext,
        bot_id: Option<BotId>,
    },
    /// An event we do not act on.
    Ignored,
}

/// Why an event or request was acked without work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    NotInstalled,
    Suspended,
    /// The app's own bot sent it.
    OwnEvent,
    /// Nothing to do for it.
    NoWork,
}

/// What [`accept_event`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// A lifecycle event, handled inline.
    Handled,
    Queued(JobId),
    /// A retry of an event already queued.
    Duplicate,
    /// Another delivery of this event is being accepted right now: if it fails, Slack must
    /// still have a retry left, so this one is not acked.
    InFlight,
    Dropped(Dropped),
}

/// Accepts one event of `tenant` at `now` (see the module doc): lifecycle events inline
/// whatever the tenant's state, then tenant resolution, the app's own events ignored, dedupe on
/// the event id, and the job queued under an id derived from the event.
pub async fn accept_event(
    backend: &Backend,
    now: &(dyn Fn() -> SystemTime + Sync),
    tenant: TenantId,
    event: InboundEvent,
) -> Result<EventOutcome, IntakeError> {
    let (event_id, kind, slack, bot_id) = match event {
        InboundEvent::Uninstalled => {
            uninstall(backend, &tenant, secs(now())).await?;
            return Ok(EventOutcome::Handled);
        }
        InboundEvent::TokensRevoked { bots, users } => {
            revoke_tokens(backend, &tenant, &bots, &users, secs(now())).await?;
            return Ok(EventOutcome::Handled);
        }
        InboundEvent::Ignored => return Ok(EventOutcome::Dropped(Dropped::NoWork)),
        InboundEvent::Work {
            event_id,
            kind,
            slack,
            bot_id,
        } => (event_id, kind, slack, bot_id),
    };
    if let Err(dropped) = active(backend, &tenant).await? {
        return Ok(EventOutcome::Dropped(dropped));
    }
    // The bot's ids are only needed for events that would become work.
    let ours = backend.tenants.bot_identity(&tenant).await?;
    if ours.is_some_and(|ours| ours.sent(slack.user.as_ref(), bot_id.as_ref())) {
        return Ok(EventOutcome::Dropped(Dropped::OwnEvent));
    }
    // The id is derived from the event, so no random one is drawn and a retry that gets past
    // the ledger (after its lease) queues the same job, which the worker runs once.
    let job_id = JobId::derived(&tenant, &event_id);
    let at = now();
    let job = JobEnvelope::with_job_id(job_id, tenant, kind, slack, unix_ms(at));
    let key = LedgerKey::Event(event_id);
    let gate = || async { Ok(Ok(None)) };
    let job_id = job.id;
    Ok(
        match enqueue_once(backend, now, &key, EVENT_DEDUPE, job, gate, |_| None).await? {
            Queued::Now => EventOutcome::Queued(job_id),
            // Events are not rate limited here (Slack limits its own deliveries).
            Queued::Refused(_) | Queued::Before => EventOutcome::Duplicate,
            Queued::Busy => EventOutcome::InFlight,
        },
    )
}

/// What a slash command or interaction asks of us, as the commands function parsed it.
#[derive(Debug, Clone)]
pub enum CommandWork {
    /// Answered synchronously by the handler (help): counted, nothing queued.
    Answer,
    /// A job to queue.
    Job { kind: JobKind, slack: SlackContext },
    /// A job that uses one of the tenant's monthly follow-ups ([`FOLLOWUP_COUNTER`]): counted
    /// when it is accepted (once per request: a replay is a duplicate before it counts), and
    /// refused over the tenant's plan's limit in `quotas` (unlimited plans are still counted,
    /// for the App Home).
    Metered {
        kind: JobKind,
        slack: SlackContext,
        quotas: FollowupQuotas,
    },
    /// Nothing to do (a modal closed, options requested): acked without counting.
    Nothing,
}

/// What [`accept_command`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    NotInstalled,
    Suspended,
    /// Over the tenant's per-minute limit; the window resets after this long.
    RateLimited {
        retry_in: Duration,
    },
    /// Counted; the handler answers it itself.
    Answer,
    /// The tenant used its `limit` follow-ups this month; they come back at `resets_at` (unix
    /// seconds, the 1st of next month UTC). Nothing queued.
    OverQuota {
        limit: u64,
        resets_at: u64,
    },
    Queued(JobId),
    /// A replay of a request already accepted (same trigger or same signed body).
    Duplicate,
    /// Another copy of this request is being accepted right now.
    InFlight,
    Acked,
}

/// The key that makes a replayed command or interaction a duplicate: Slack's `trigger_id`
/// (unique per user action) when the request has one, else a digest of the signed body.
pub fn request_key(trigger_id: Option<&str>, raw_body: &[u8]) -> String {
    match trigger_id.filter(|t| !t.is_empty()) {
        Some(trigger) => format!("trigger:{trigger}"),
        None => {
            let digest = Sha256::digest(raw_body);
            let mut key = String::with_capacity(5 + 64);
            key.push_str("body:");
            for byte in digest {
                key.push_str(&format!("{byte:02x}"));
            }
            key
        }
    }
}

/// Accepts one command or interaction of `tenant` at `now`: tenant resolution, the per-tenant
/// rate limit, and for work a job queued once per request (`request`, see [`request_key`]).
pub async fn accept_command(
    backend: &Backend,
    now: &(dyn Fn() -> SystemTime + Sync),
    tenant: TenantId,
    request: &str,
    work: CommandWork,
) -> Result<CommandOutcome, IntakeError> {
    let record = match active(backend, &tenant).await? {
        Ok(record) => record,
        Err(Dropped::Suspended) => return Ok(CommandOutcome::Suspended),
        Err(_) => return Ok(CommandOutcome::NotInstalled),
    };
    let (kind, slack, metered) = match work {
        CommandWork::Nothing => return Ok(CommandOutcome::Acked),
        CommandWork::Answer => {
            return Ok(match over_limit(backend, &record, now()).await? {
                Some(retry_in) => CommandOutcome::RateLimited { retry_in },
                None => CommandOutcome::Answer,
            });
        }
        CommandWork::Job { kind, slack } => (kind, slack, None),
        CommandWork::Metered {
            kind,
            slack,
            quotas,
        } => (
            kind,
            slack,
            Some(quotas.limit(record.plan).unwrap_or(u64::MAX)),
        ),
    };
    let job_id = JobId::derived(&tenant, request);
    let key = LedgerKey::Request(job_id.to_string());
    let job = JobEnvelope::with_job_id(job_id, tenant, kind, slack, unix_ms(now()));
    // The limit is checked under the request's claim, so a replay is caught before it counts.
    let gate = || async {
        if let Some(retry_in) = over_limit(backend, &record, now()).await? {
            return Ok(Err(Refusal::RateLimited(retry_in)));
        }
        let Some(limit) = metered else {
            return Ok(Ok(None));
        };
        use_followup(backend, &record.id, limit, now()).await
    };
    let job_id = job.id;
    Ok(
        match enqueue_once(backend, now, &key, REQUEST_DEDUPE, job, gate, |_| None).await? {
            Queued::Now => CommandOutcome::Queued(job_id),
            Queued::Refused(Refusal::RateLimited(retry_in)) => {
                CommandOutcome::RateLimited { retry_in }
            }
            Queued::Refused(Refusal::OverQuota { limit, resets_at }) => {
                CommandOutcome::OverQuota { limit, resets_at }
            }
            Queued::Before => CommandOutcome::Duplicate,
            Queued::Busy => CommandOutcome::InFlight,
        },
    )
}

/// Counts one of `tenant`'s follow-ups this calendar month (UTC) against `limit`, atomically:
/// the quota it was counted at, or the refusal over the limit (nothing counted then). The one
/// place a generation is metered, whether a user picked the meeting or a webhook brought it.
pub(super) async fn use_followup(
    backend: &Backend,
    tenant: &TenantId,
    limit: u64,
    at: SystemTime,
) -> Result<Result<Option<Quota>, Refusal>, StoreError> {
    let quota = backend
        .usage
        .consume_in(tenant, FOLLOWUP_COUNTER, limit, WindowSpan::month(at), at)
        .await?;
    Ok(if quota.allowed {
        Ok(Some(quota))
    } else {
        info!(
            used = quota.used,
            limit, "tenant over its monthly follow-ups: nothing queued"
        );
        Err(Refusal::OverQuota {
            limit,
            resets_at: quota.resets_at,
        })
    })
}

/// Whether `tenant` is served at all: `Some(outcome)` (not installed, suspended) when it is
/// not. For the commands that open a modal inline before their job is accepted: no Slack call
/// is made for a workspace that would be refused anyway.
pub async fn admit(
    backend: &Backend,
    tenant: &TenantId,
) -> Result<Option<CommandOutcome>, IntakeError> {
    Ok(match active(backend, tenant).await? {
        Ok(_) => None,
        Err(Dropped::Suspended) => Some(CommandOutcome::Suspended),
        Err(_) => Some(CommandOutcome::NotInstalled),
    })
}

/// The active tenant record, or why it is not served.
pub(super) async fn active(
    backend: &Backend,
    tenant: &TenantId,
) -> Result<Result<Tenant, Dropped>, StoreError> {
    Ok(match resolve(backend, tenant).await? {
        Resolved::Active(tenant) => Ok(tenant),
        Resolved::Suspended(_) => Err(Dropped::Suspended),
        Resolved::NotInstalled => Err(Dropped::NotInstalled),
    })
}

/// Counts one use against the tenant's per-minute limit; `Some(wait)` when over it.
async fn over_limit(
    backend: &Backend,
    tenant: &Tenant,
    now: SystemTime,
) -> Result<Option<Duration>, StoreError> {
    let quota = backend
        .usage
        .consume(
            &tenant.id,
            COMMAND_COUNTER,
            tenant.plan.commands_per_minute(),
            RATE_WINDOW,
            now,
        )
        .await?;
    if quota.allowed {
        return Ok(None);
    }
    info!(
        used = quota.used,
        limit = quota.limit,
        "tenant over its command rate limit"
    );
    let wait = quota
        .resets_at
        .saturating_sub(secs(now).max(0) as u64)
        .max(1);
    Ok(Some(Duration::from_secs(wait)))
}

/// Why a gate refused a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Over the per-minute rate; try again after this long.
    RateLimited(Duration),
    /// Over the monthly follow-ups.
    OverQuota { limit: u64, resets_at: u64 },
}

/// How [`enqueue_once`] went.
pub(super) enum Queued {
    /// Queued by this call and recorded.
    Now,
    /// Not queued: the gate refused it; recorded, so a replay is a duplicate.
    Refused(Refusal),
    /// Queued (or refused) before.
    Before,
    Busy,
}

/// Enqueues `job` once for `key`, unless `gate` (run under the claim) refuses it with a wait;
/// a refusal may queue another job instead (`on_refusal`: a notice for a user who is not
/// there to be answered). A failed enqueue releases the claim (the retry queues the same
/// derived job id, which the worker runs once even if this one landed after all).
pub(super) async fn enqueue_once<G, Fut>(
    backend: &Backend,
    now: &(dyn Fn() -> SystemTime + Sync),
    key: &LedgerKey,
    policy: Policy,
    mut job: JobEnvelope,
    gate: G,
    on_refusal: impl FnOnce(&Refusal) -> Option<JobEnvelope>,
) -> Result<Queued, IntakeError>
where
    G: FnOnce() -> Fut,
    Fut: Future<Output = Result<Result<Option<Quota>, Refusal>, StoreError>>,
{
    let tenant = job.tenant.clone();
    let job = &mut job;
    let ran = once(
        backend.ledger.as_ref(),
        &tenant,
        key,
        policy,
        now,
        |_| async {
            match gate().await {
                Ok(Err(refusal)) => {
                    if let Some(notice) = on_refusal(&refusal)
                        && let Err(err) = backend.queue.enqueue(&notice).await
                    {
                        return Settle::Release(err);
                    }
                    return Settle::Done {
                        value: Some(refusal),
                        outcome: "refused".to_owned(),
                    };
                }
                // The job carries the count it was accepted at (the worker tells the
                // workspace's admins when it crosses 80% and 100%).
                Ok(Ok(Some(quota))) => job.kind.record_usage(quota.used, quota.limit),
                Ok(Ok(None)) => {}
                Err(err) => return Settle::Release(err),
            }
            match backend.queue.enqueue(job).await {
                Ok(()) => Settle::Done {
                    value: None,
                    outcome: "queued".to_owned(),
                },
                Err(err) => Settle::Release(err),
            }
        },
    )
    .await;
    match ran {
        Ok(Once::Ran(Ok(Some(refusal)))) => Ok(Queued::Refused(refusal)),
        Ok(Once::Ran(Ok(None))) => {
            info!(job_id = %job.id, job = job.kind.name(), "job queued");
            Ok(Queued::Now)
        }
        Ok(Once::Ran(Err(err))) => Err(err.into()),
        Ok(Once::AlreadyDone { .. }) => Ok(Queued::Before),
        Ok(Once::Busy) => Ok(Queued::Busy),
        Err(OnceError::Claim(err)) => Err(err.into()),
        // The job may be queued, but unrecorded the answer cannot be known: a 5xx makes Slack
        // retry, and that retry (after the lease) queues the same job id, which the worker
        // runs once.
        Err(OnceError::Record(err)) => {
            warn!(error = %err, job_id = %job.id, "request handled but not recorded");
            Err(err.into())
        }
    }
}

fn secs(t: SystemTime) -> i64 {
    unix_ms(t).div_euclid(1000)
}

pub(super) fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
