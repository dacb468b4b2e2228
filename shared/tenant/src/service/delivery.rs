//! Accepting a recorder's webhook delivery (Fathom's "new meeting content ready") at ingress:
//! what the webhooks function does between a verified, parsed delivery and its HTTP answer.
//!
//! The rules are the commands function's for a picked meeting, without a user at the
//! keyboard: the tenant must be active (else acked, nothing queued), a resend of the same
//! delivery is a duplicate, the follow-up is counted atomically against the month's quota
//! under the delivery's claim (so a resend is not counted twice), and over the quota the user
//! is told by DM (a [`JobKind::QuotaReached`] job) instead of inline. Nothing is acked before
//! it is durably queued.

use std::time::{Duration, SystemTime};

use tracing::info;

use super::ingress::{
    Dropped, IntakeError, Queued, Refusal, active, enqueue_once, unix_ms, use_followup,
};
use crate::idempotency::Policy;
use crate::ids::{JobId, TenantId, UserId};
use crate::job::{Generate, JobEnvelope, JobKind, QuotaReached, SlackContext};
use crate::model::FollowupQuotas;
use crate::ports::{Backend, LedgerKey};

/// Deliveries are remembered for a week. Standard Webhooks senders resend with the same id and
/// a fresh timestamp for a day or more (Svix: about 27 hours); Fathom's own schedule is not
/// documented (fathom.md, "Not confirmed"), so the window is generous.
pub const DELIVERY_DEDUPE: Policy = Policy {
    lease: Duration::from_secs(30),
    ttl: Duration::from_secs(7 * 24 * 3600),
};

/// The longest delivery id kept as a ledger key; Svix ids are about 30 characters.
pub const MAX_DELIVERY_ID: usize = 128;

/// A verified delivery to one user's registration, as the webhooks function parsed it.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The user whose registration it came to (never from the body).
    pub user: UserId,
    /// The delivery's `webhook-id`: the same on every resend.
    pub id: DeliveryId,
    /// The recording that is ready.
    pub recording: u64,
    /// When the recording started, so the worker finds the meeting on its day.
    pub started_at: Option<jiff::Timestamp>,
    /// The meeting's title (customer text, for the over-quota DM only; `Debug` shows its
    /// length).
    pub title: String,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("user", &self.user)
            .field("id", &self.id)
            .field("recording", &self.recording)
            .field("started_at", &self.started_at)
            .field("title", &self.title.len())
            .finish()
    }
}

/// A delivery id as a ledger key takes it: 1 to [`MAX_DELIVERY_ID`] printable ASCII
/// characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryId(String);

/// Not a delivery id this app keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the delivery id is empty, too long or not printable ASCII")]
pub struct BadDeliveryId;

impl DeliveryId {
    pub fn parse(raw: &str) -> Result<Self, BadDeliveryId> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_DELIVERY_ID
            && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned())).ok_or(BadDeliveryId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What [`accept_delivery`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A generation is queued for the user.
    Queued(JobId),
    /// Over the tenant's monthly follow-ups: the user is told by DM (this job); nothing is
    /// generated.
    OverQuota {
        limit: u64,
        resets_at: u64,
        notice: JobId,
    },
    /// A resend of a delivery already accepted (or refused).
    Duplicate,
    /// Another copy of this delivery is being accepted right now: the sender should retry.
    InFlight,
    /// The tenant is not served (suspended, uninstalled): acked, nothing queued.
    Dropped(Dropped),
}

/// Accepts `delivery` for `tenant` at `now` under `quotas` (see the module doc).
pub async fn accept_delivery(
    backend: &Backend,
    now: &(dyn Fn() -> SystemTime + Sync),
    tenant: TenantId,
    delivery: Delivery,
    quotas: FollowupQuotas,
) -> Result<DeliveryOutcome, IntakeError> {
    let record = match active(backend, &tenant).await? {
        Ok(record) => record,
        Err(dropped) => {
            info!(
                ?dropped,
                "delivery for a tenant not served: acked, nothing queued"
            );
            return Ok(DeliveryOutcome::Dropped(dropped));
        }
    };
    let limit = quotas.limit(record.plan).unwrap_or(u64::MAX);
    let Delivery {
        user,
        id,
        recording,
        started_at,
        title,
    } = delivery;
    // Both ids derive from the delivery (a resend past the ledger's lease queues the same
    // job, which the worker runs once), and differ from each other.
    let cause = format!("fathom-webhook/{user}/{}", id.as_str());
    let job_id = JobId::derived(&tenant, &cause);
    let notice_id = JobId::derived(&tenant, &format!("{cause}/over-quota"));
    let slack = SlackContext {
        response_url: None,
        channel: None,
        user: Some(user.clone()),
    };
    let at = unix_ms(now());
    let kind = JobKind::Generate(Generate {
        user: user.clone(),
        recording,
        day: None,
        usage: None,
        meeting_started_at: started_at,
    });
    let job = JobEnvelope::with_job_id(job_id, tenant.clone(), kind, slack.clone(), at);
    let key = LedgerKey::Delivery {
        user: user.clone(),
        id: id.as_str().to_owned(),
    };
    let gate = || async { use_followup(backend, &record.id, limit, now()).await };
    let notice = |refusal: &Refusal| match *refusal {
        Refusal::OverQuota { limit, resets_at } => Some(JobEnvelope::with_job_id(
            notice_id,
            tenant.clone(),
            JobKind::QuotaReached(QuotaReached {
                user: user.clone(),
                // A title is a line, not a document.
                title: title.chars().take(200).collect(),
                limit,
                resets_at,
            }),
            slack.clone(),
            at,
        )),
        Refusal::RateLimited(_) => None,
    };
    Ok(
        match enqueue_once(backend, now, &key, DELIVERY_DEDUPE, job, gate, notice).await? {
            Queued::Now => DeliveryOutcome::Queued(job_id),
            Queued::Refused(Refusal::OverQuota { limit, resets_at }) => {
                DeliveryOutcome::OverQuota {
                    limit,
                    resets_at,
                    notice: notice_id,
                }
            }
            // Deliveries are not rate limited per minute (the recorder sends one per meeting).
            Queued::Refused(Refusal::RateLimited(_)) | Queued::Before => DeliveryOutcome::Duplicate,
            Queued::Busy => DeliveryOutcome::InFlight,
        },
    )
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;
