//! POST /slack/events. In order: size (413), signature (401), parse (400), url_verification,
//! tenant resolution (unknown or uninstalled: ack and drop), lifecycle events inline, the bot's
//! own events ignored, dedupe on `event_id`, enqueue, ack. A storage or queue failure answers 500
//! so that Slack retries: nothing is acked that was not durably accepted.

use std::time::Duration;

use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use http::StatusCode;
use slack::{Event, EventCallback, EventsRequest};
use tenant::ports::{Claim, LedgerKey};
use tenant::service::{self, Resolved};
use tenant::{Backend, Installation, JobEnvelope, JobId, JobKind, SlackContext, TenantId};
use tracing::{Instrument, debug, info, info_span, warn};

/// Slack retries for up to 5 minutes (24 h with delayed events): keep event ids a day and more.
const DEDUPE_TTL: Duration = Duration::from_secs(26 * 3600);
/// A claim older than this belongs to a delivery that died; a retry may take it over.
const DEDUPE_LEASE: Duration = Duration::from_secs(30);

/// The events function's state, built once per cold start.
pub struct EventsHandler {
    backend: Backend,
    verifier: slack::Verifier,
    clock: Clock,
}

impl EventsHandler {
    pub fn new(backend: Backend, verifier: slack::Verifier, clock: Clock) -> Self {
        Self {
            backend,
            verifier,
            clock,
        }
    }

    /// Handles one request. Never panics on input; every outcome is an HTTP answer.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        match self.try_handle(&req).await {
            Ok(res) => res,
            Err(err) => err.into_response(),
        }
    }

    async fn try_handle(&self, req: &HttpRequest) -> Result<HttpResponse, IngressError> {
        app::ingress::verify(&self.verifier, &self.clock, req)?;
        let parsed = slack::parse_events_body(req.body())
            .map_err(|e| IngressError::Malformed(e.to_string()))?;
        match parsed {
            EventsRequest::UrlVerification { challenge } => Ok(http_io::json(
                StatusCode::OK,
                &serde_json::json!({ "challenge": challenge }),
            )),
            EventsRequest::AppRateLimited {
                team_id,
                minute_rate_limited,
            } => {
                warn!(team = ?team_id, minute_rate_limited, "Slack is rate limiting our events");
                Ok(http_io::ack())
            }
            EventsRequest::EventCallback(callback) => {
                let tenant = callback
                    .install_context()
                    .tenant_id()
                    .map_err(|e| IngressError::Malformed(e.to_string()))?;
                let span = info_span!("event", tenant = %tenant, event_id = %callback.event_id, kind = callback.event.kind());
                self.on_event(tenant, &callback).instrument(span).await
            }
        }
    }

    async fn on_event(
        &self,
        tenant: TenantId,
        callback: &EventCallback,
    ) -> Result<HttpResponse, IngressError> {
        let now = self.clock.unix_secs();
        // Lifecycle events come first: they must work whatever the tenant's state (they can
        // arrive after each other in either order).
        match &callback.event {
            Event::AppUninstalled => {
                service::uninstall(&self.backend, &tenant, now)
                    .await
                    .map_err(IngressError::unavailable)?;
                return Ok(http_io::ack());
            }
            Event::TokensRevoked { oauth, bot } => {
                service::revoke_tokens(&self.backend, &tenant, bot, oauth, now)
                    .await
                    .map_err(IngressError::unavailable)?;
                return Ok(http_io::ack());
            }
            _ => {}
        }
        match service::resolve(&self.backend, &tenant)
            .await
            .map_err(IngressError::unavailable)?
        {
            Resolved::Active(_) => {}
            Resolved::Suspended(_) => {
                info!("tenant suspended: event dropped");
                return Ok(http_io::ack());
            }
            Resolved::NotInstalled => {
                info!("tenant not installed: event dropped");
                return Ok(http_io::ack());
            }
        }
        let Some((kind, slack_ctx)) = job_for(&callback.event) else {
            debug!("no job for this event type");
            return Ok(http_io::ack());
        };
        // The bot's ids are only needed for events that would become work.
        let installation = self
            .backend
            .tenants
            .get_installation(&tenant)
            .await
            .map_err(IngressError::unavailable)?;
        if is_own_event(&callback.event, installation.as_ref()) {
            debug!("the app's own event: ignored");
            return Ok(http_io::ack());
        }
        self.accept_once(tenant, &callback.event_id, kind, slack_ctx)
            .await
    }

    /// Dedupe then enqueue: of every delivery of one `event_id`, only the first is queued.
    async fn accept_once(
        &self,
        tenant: TenantId,
        event_id: &str,
        kind: JobKind,
        slack_ctx: SlackContext,
    ) -> Result<HttpResponse, IngressError> {
        let key = LedgerKey::Event(event_id.to_owned());
        let now = self.clock.now();
        let ledger = &self.backend.ledger;
        match ledger
            .claim(&tenant, &key, now, DEDUPE_LEASE, DEDUPE_TTL)
            .await
            .map_err(IngressError::unavailable)?
        {
            Claim::Acquired => {}
            Claim::Done { .. } => {
                info!("duplicate delivery: acked, not queued");
                return Ok(http_io::ack());
            }
            Claim::InFlight => {
                // Another delivery of this event is being accepted right now. If it fails,
                // Slack must still have a retry left, so this one is not acked.
                warn!("delivery already in flight: asking Slack to retry");
                return Ok(http_io::text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "retry later",
                ));
            }
        }
        let job = JobEnvelope::new(tenant.clone(), kind, slack_ctx, self.clock.unix_millis())
            .with_id(JobId::derived(&tenant, event_id));
        if let Err(err) = self.backend.queue.enqueue(&job).await {
            // Let the retry in at once; if this fails too the lease expires on its own.
            let _ = ledger.release(&tenant, &key).await;
            return Err(IngressError::unavailable(err));
        }
        if let Err(err) = ledger
            .complete(&tenant, &key, "queued", now, DEDUPE_TTL)
            .await
        {
            // The job is durable; a retry after the lease would queue the same derived job id,
            // which the worker runs once. So this is worth a log line, not a 500.
            warn!(error = %err, "could not mark event as queued");
        }
        info!(job_id = %job.id, job = job.kind.name(), "event queued");
        Ok(http_io::ack())
    }
}

/// Whether the event was caused by this app's bot (its messages must not trigger it again).
fn is_own_event(event: &Event, installation: Option<&Installation>) -> bool {
    let Some(inst) = installation else {
        return false;
    };
    let (user, bot) = event.sender();
    matches!((bot, &inst.bot_id), (Some(b), Some(ours)) if b == ours)
        || matches!((user, &inst.bot_user_id), (Some(u), Some(ours)) if u == ours)
}

/// The job an event asks for, if any.
fn job_for(event: &Event) -> Option<(JobKind, SlackContext)> {
    match event {
        Event::AppMention {
            user,
            text,
            ts,
            channel,
            thread_ts,
            ..
        } => Some((
            JobKind::AppMention {
                channel: channel.clone(),
                ts: ts.clone(),
                thread_ts: thread_ts.clone(),
                user: user.clone(),
                text: text.clone(),
            },
            SlackContext {
                response_url: None,
                channel: Some(channel.clone()),
                user: user.clone(),
            },
        )),
        // Only the Home tab; the Messages and About tabs need nothing from us.
        Event::AppHomeOpened { user, channel, tab } if tab.as_deref() == Some("home") => Some((
            JobKind::PublishHome { user: user.clone() },
            SlackContext {
                response_url: None,
                channel: Some(channel.clone()),
                user: Some(user.clone()),
            },
        )),
        _ => None,
    }
}

impl app::lambda::HttpHandler for EventsHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        EventsHandler::handle(self, req).await
    }
}
