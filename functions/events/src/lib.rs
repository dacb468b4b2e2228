//! POST /slack/events. In order: size (413), signature (401), parse (400), url_verification,
//! tenant resolution (unknown or uninstalled: ack and drop), lifecycle events inline, the bot's
//! own events ignored, dedupe on `event_id`, enqueue, ack. A storage or queue failure answers 500
//! so that Slack retries: nothing is acked that was not durably accepted.

use std::time::Duration;

use app::clock::unix_millis;
use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use http::StatusCode;
use slack::{Event, EventCallback, EventsRequest};
use tenant::idempotency::{Once, OnceError, Policy, Settle, once};
use tenant::ports::LedgerKey;
use tenant::service::{self, Resolved};
use tenant::{Backend, BotId, JobEnvelope, JobId, JobKind, SlackContext, TenantId, UserId};
use tracing::{Instrument, debug, info, info_span, warn};

/// Event ids are kept a day and more (Slack retries for up to 5 minutes, 24 h with delayed
/// events); a claim older than 30 s belongs to a delivery that died, and a retry may take it
/// over.
const DEDUPE: Policy = Policy {
    lease: Duration::from_secs(30),
    ttl: Duration::from_secs(26 * 3600),
};

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
                self.on_event(tenant, callback).instrument(span).await
            }
        }
    }

    async fn on_event(
        &self,
        tenant: TenantId,
        callback: Box<EventCallback>,
    ) -> Result<HttpResponse, IngressError> {
        // Lifecycle events come first: they must work whatever the tenant's state (they can
        // arrive after each other in either order).
        match &callback.event {
            Event::AppUninstalled => {
                let now = self.clock.unix_secs();
                service::uninstall(&self.backend, &tenant, now)
                    .await
                    .map_err(IngressError::unavailable)?;
                return Ok(http_io::ack());
            }
            Event::TokensRevoked { oauth, bot } => {
                let now = self.clock.unix_secs();
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
        // The event's fields move into the job (no copies of its text).
        let EventCallback {
            event, event_id, ..
        } = *callback;
        let Some(work) = job_for(event) else {
            debug!("no job for this event type");
            return Ok(http_io::ack());
        };
        // The bot's ids are only needed for events that would become work.
        let ours = self
            .backend
            .tenants
            .bot_identity(&tenant)
            .await
            .map_err(IngressError::unavailable)?;
        let (user, bot) = work.sender();
        if ours.is_some_and(|ours| ours.sent(user, bot)) {
            debug!("the app's own event: ignored");
            return Ok(http_io::ack());
        }
        self.accept_once(tenant, event_id, work.kind, work.slack)
            .await
    }

    /// Dedupe then enqueue: of every delivery of one `event_id`, only the first is queued.
    async fn accept_once(
        &self,
        tenant: TenantId,
        event_id: String,
        kind: JobKind,
        slack_ctx: SlackContext,
    ) -> Result<HttpResponse, IngressError> {
        let job_id = JobId::derived(&tenant, &event_id);
        let key = LedgerKey::Event(event_id);
        let now = self.clock.now();
        // The id is derived from the event, so no random one is drawn.
        let job =
            JobEnvelope::with_job_id(job_id, tenant.clone(), kind, slack_ctx, unix_millis(now));
        let clock = || self.clock.now();
        let accepted = once(
            self.backend.ledger.as_ref(),
            &tenant,
            &key,
            DEDUPE,
            &clock,
            |_| async {
                // A failed enqueue is released: the retry queues the same derived job id,
                // which the worker runs once even if this one landed after all.
                match self.backend.queue.enqueue(&job).await {
                    Ok(()) => Settle::Done {
                        value: (),
                        outcome: "queued".to_owned(),
                    },
                    Err(err) => Settle::Release(err),
                }
            },
        )
        .await;
        match accepted {
            Ok(Once::Ran(Ok(()))) => {}
            Ok(Once::Ran(Err(err))) => return Err(IngressError::unavailable(err)),
            Ok(Once::AlreadyDone { .. }) => {
                info!("duplicate delivery: acked, not queued");
                return Ok(http_io::ack());
            }
            Ok(Once::Busy) => {
                // Another delivery of this event is being accepted right now. If it fails,
                // Slack must still have a retry left, so this one is not acked.
                warn!("delivery already in flight: asking Slack to retry");
                return Ok(http_io::text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "retry later",
                ));
            }
            Err(OnceError::Claim(err)) => return Err(IngressError::unavailable(err)),
            Err(err @ OnceError::Record(_)) => {
                // The job is durable; a retry after the lease would queue the same derived job
                // id, which the worker runs once. So this is worth a log line, not a 500.
                warn!(error = %err, "could not mark event as queued");
            }
        }
        info!(job_id = %job.id, job = job.kind.name(), "event queued");
        Ok(http_io::ack())
    }
}

/// The job an event asks for, and who sent the event.
struct Work {
    kind: JobKind,
    /// Its `user` is the event's sending user (see [`job_for`]).
    slack: SlackContext,
    /// The event's sending bot, if any.
    bot_id: Option<BotId>,
}

impl Work {
    /// What [`Event::sender`] gave for the event this work came from.
    fn sender(&self) -> (Option<&UserId>, Option<&BotId>) {
        (self.slack.user.as_ref(), self.bot_id.as_ref())
    }
}

/// The job an event asks for, if any, built from the event's own fields.
fn job_for(event: Event) -> Option<Work> {
    match event {
        Event::AppMention {
            user,
            text,
            ts,
            channel,
            thread_ts,
            bot_id,
        } => Some(Work {
            slack: SlackContext {
                response_url: None,
                channel: Some(channel.clone()),
                user: user.clone(),
            },
            kind: JobKind::AppMention(tenant::job::AppMention {
                channel,
                ts,
                thread_ts,
                user,
                text,
            }),
            bot_id,
        }),
        // Only the Home tab; the Messages and About tabs need nothing from us.
        Event::AppHomeOpened { user, channel, tab } if tab.as_deref() == Some("home") => {
            Some(Work {
                slack: SlackContext {
                    response_url: None,
                    channel: Some(channel),
                    user: Some(user.clone()),
                },
                kind: JobKind::PublishHome(tenant::job::PublishHome { user }),
                // `sender()` of an App Home event has no bot.
                bot_id: None,
            })
        }
        _ => None,
    }
}

impl app::lambda::HttpHandler for EventsHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        EventsHandler::handle(self, req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(raw: &str) -> UserId {
        UserId::parse(raw).unwrap()
    }

    fn mention(user_id: Option<UserId>, bot_id: Option<BotId>) -> Event {
        Event::AppMention {
            user: user_id,
            text: "<@U0BOT> hi".into(),
            ts: "1700000000.000100".into(),
            channel: tenant::ChannelId::parse("C0CHAN001").unwrap(),
            thread_ts: Some("1700000000.000001".into()),
            bot_id,
        }
    }

    #[test]
    fn work_keeps_the_events_sender() {
        let events = [
            mention(Some(user("U0USER001")), None),
            mention(None, Some(BotId::parse("B0BOT0001").unwrap())),
            mention(
                Some(user("U0BOT0001")),
                Some(BotId::parse("B0BOT0001").unwrap()),
            ),
            Event::AppHomeOpened {
                user: user("U0USER001"),
                channel: tenant::ChannelId::parse("D0HOME001").unwrap(),
                tab: Some("home".into()),
            },
        ];
        for event in events {
            let work = job_for(event.clone()).expect("these events make work");
            assert_eq!(work.sender(), event.sender(), "{event:?}");
        }
    }

    #[test]
    fn an_app_mention_becomes_a_reply_job_in_its_thread() {
        let work = job_for(mention(Some(user("U0USER001")), None)).unwrap();
        assert_eq!(
            work.kind,
            JobKind::AppMention(tenant::job::AppMention {
                channel: tenant::ChannelId::parse("C0CHAN001").unwrap(),
                ts: "1700000000.000100".into(),
                thread_ts: Some("1700000000.000001".into()),
                user: Some(user("U0USER001")),
                text: "<@U0BOT> hi".into(),
            })
        );
        assert_eq!(
            work.slack,
            SlackContext {
                response_url: None,
                channel: Some(tenant::ChannelId::parse("C0CHAN001").unwrap()),
                user: Some(user("U0USER001")),
            }
        );
    }

    #[test]
    fn only_the_home_tab_and_mentions_make_work() {
        let home = |tab: Option<&str>| Event::AppHomeOpened {
            user: user("U0USER001"),
            channel: tenant::ChannelId::parse("D0HOME001").unwrap(),
            tab: tab.map(str::to_owned),
        };
        assert!(job_for(home(Some("messages"))).is_none());
        assert!(job_for(home(None)).is_none());
        assert!(job_for(Event::AppUninstalled).is_none());
        assert!(matches!(
            job_for(home(Some("home"))).map(|w| w.kind),
            Some(JobKind::PublishHome(tenant::job::PublishHome { .. }))
        ));
    }
}
