//! POST /webhooks/{provider}: Fathom's "new meeting content ready" deliveries, the automatic
//! follow-ups a user turned on with `/followup auto on`. Parse → service → map:
//!
//! 1. The provider must be `fathom` (404), the body at most 1 MiB (413).
//! 2. `r=<tenant>.<user>` names the registration; its stored webhook secret (the user's
//!    `FathomWebhook` credential, read past any cache) is looked up. None: 401.
//! 3. The Standard Webhooks signature is checked on the raw bytes with that secret, before
//!    anything is parsed (`followup::webhook`: `webhook-id`, `webhook-timestamp` within 5
//!    minutes, any of several `v1,` signatures, in constant time). Bad or missing: 401.
//! 4. The delivery id and the body are read (malformed: 400; the body is never logged).
//! 5. `tenant::service::delivery::accept_delivery`: tenant active, dedupe on the delivery id,
//!    the monthly quota counted atomically, a generation queued (or a DM over the quota).
//!
//! Nothing is stored or queued before step 5, and nothing is acked that was not durably
//! queued (a storage or queue failure is a 500, so the sender retries).

mod error;
mod meeting;

use app::Clock;
use app::http_io::{self, HttpRequest, HttpResponse};
use followup::webhook::{self, FATHOM_PATH, ID_HEADER, Registration};
use http::StatusCode;
use tenant::credential::{CredentialId, Provider};
use tenant::service::delivery::{Delivery, DeliveryId, DeliveryOutcome, accept_delivery};
use tenant::{Backend, FollowupQuotas};
use tracing::{Instrument, info, info_span, warn};

pub use error::WebhookError;
use meeting::MeetingReady;

/// The webhooks function's state, built once per cold start.
pub struct WebhooksHandler {
    backend: Backend,
    clock: Clock,
    /// Follow-ups per month by plan (`FOLLOWUP_QUOTAS`), as the commands function counts them.
    quotas: FollowupQuotas,
}

impl WebhooksHandler {
    pub fn new(backend: Backend, clock: Clock, quotas: FollowupQuotas) -> Self {
        Self {
            backend,
            clock,
            quotas,
        }
    }

    /// Handles one request. Never panics on input; every outcome is an HTTP answer.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        match self.try_handle(&req).await {
            Ok(outcome) => answer(outcome),
            Err(err) => err.into_response(),
        }
    }

    async fn try_handle(&self, req: &HttpRequest) -> Result<DeliveryOutcome, WebhookError> {
        if req.uri().path().trim_end_matches('/') != FATHOM_PATH {
            return Err(WebhookError::UnknownProvider);
        }
        let body = req.body();
        if body.len() > app::MAX_BODY_BYTES {
            return Err(WebhookError::TooLarge(body.len()));
        }
        let registration =
            Registration::from_query(req.uri().query()).ok_or(WebhookError::UnknownRegistration)?;
        let span = info_span!(
            "webhook",
            tenant = %registration.tenant,
            user = %registration.user,
            delivery = tracing::field::Empty,
        );
        self.verified(req, registration).instrument(span).await
    }

    async fn verified(
        &self,
        req: &HttpRequest,
        registration: Registration,
    ) -> Result<DeliveryOutcome, WebhookError> {
        let id = CredentialId::for_user(
            registration.tenant.clone(),
            Provider::FathomWebhook,
            registration.user.clone(),
        );
        // Fresh, not cached: a user who turned automatic follow-ups off is off at once.
        let stored = self
            .backend
            .credentials
            .get_fresh(&id)
            .await
            .map_err(WebhookError::unavailable)?
            .ok_or(WebhookError::UnknownRegistration)?;
        webhook::verify_headers(
            &stored.value.access_token,
            req.headers(),
            req.body(),
            self.clock.now(),
        )?;
        // Verified: the id is the sender's, and the same on every resend.
        let raw_id = req
            .headers()
            .get(ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default();
        let delivery_id = DeliveryId::parse(raw_id)
            .map_err(|_| WebhookError::Malformed("the webhook-id is not a plain token"))?;
        tracing::Span::current().record("delivery", delivery_id.as_str());
        let meeting = MeetingReady::parse(req.body()).map_err(WebhookError::Malformed)?;
        let delivery = Delivery {
            user: registration.user,
            id: delivery_id,
            recording: meeting.recording_id,
            started_at: meeting.started_at(),
            title: meeting.title().to_owned(),
        };
        let clock = || self.clock.now();
        accept_delivery(
            &self.backend,
            &clock,
            registration.tenant,
            delivery,
            self.quotas,
        )
        .await
        .map_err(WebhookError::unavailable)
    }
}

/// The one mapping from what was done with a verified delivery to the sender's answer. Any
/// 2xx acknowledges a delivery (fathom.md); 503 asks for a resend.
fn answer(outcome: DeliveryOutcome) -> HttpResponse {
    match outcome {
        DeliveryOutcome::Queued(job_id) => {
            info!(%job_id, "automatic follow-up queued");
            http_io::ack()
        }
        DeliveryOutcome::OverQuota { limit, notice, .. } => {
            info!(limit, %notice, "over the monthly follow-ups: the user is told, nothing generated");
            http_io::ack()
        }
        DeliveryOutcome::Duplicate => {
            info!("resent delivery: acked, nothing queued");
            http_io::ack()
        }
        DeliveryOutcome::Dropped(why) => {
            // Logged without content: the tenant id (in the span) and why, nothing of the body.
            info!(
                ?why,
                "delivery for a tenant not served: acked, nothing queued"
            );
            http_io::ack()
        }
        DeliveryOutcome::InFlight => {
            warn!("the same delivery is being accepted right now: asking for a resend");
            http_io::text(StatusCode::SERVICE_UNAVAILABLE, "retry later")
        }
    }
}

impl app::lambda::HttpHandler for WebhooksHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        WebhooksHandler::handle(self, req).await
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
