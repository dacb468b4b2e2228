//! POST /slack/events: parse → service → map. Size (413), signature (401), parse (400) and
//! url_verification here; then `tenant::service::ingress::accept_event` (lifecycle events
//! inline, tenant resolution, the bot's own events ignored, dedupe on `event_id`, enqueue) and
//! one mapping of its outcome to HTTP. A storage or queue failure answers 500 so that Slack
//! retries: nothing is acked that was not durably accepted.

use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use http::StatusCode;
use slack::{Event, EventCallback, EventsRequest};
use tenant::service::ingress::{EventOutcome, InboundEvent, accept_event};
use tenant::{Backend, BotId, JobKind, SlackContext, TenantId};
use tracing::{Instrument, debug, info, info_span, warn};

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
        // The event's fields move into the job (no copies of its text).
        let EventCallback {
            event, event_id, ..
        } = *callback;
        let inbound = inbound(event, event_id);
        let clock = || self.clock.now();
        let outcome = accept_event(&self.backend, &clock, tenant, inbound)
            .await
            .map_err(IngressError::unavailable)?;
        Ok(answer(outcome))
    }
}

/// The one mapping from what was done with an event to Slack's answer.
fn answer(outcome: EventOutcome) -> HttpResponse {
    match outcome {
        EventOutcome::Queued(job_id) => {
            info!(%job_id, "event queued");
            http_io::ack()
        }
        EventOutcome::Handled => http_io::ack(),
        EventOutcome::Duplicate => {
            info!("duplicate delivery: acked, not queued");
            http_io::ack()
        }
        EventOutcome::InFlight => {
            warn!("delivery already in flight: asking Slack to retry");
            http_io::text(StatusCode::SERVICE_UNAVAILABLE, "retry later")
        }
        EventOutcome::Dropped(why) => {
            debug!(?why, "event acked without work");
            http_io::ack()
        }
    }
}

/// What the event asks of us.
fn inbound(event: Event, event_id: String) -> InboundEvent {
    match event {
        Event::AppUninstalled => InboundEvent::Uninstalled,
        Event::TokensRevoked { oauth, bot } => InboundEvent::TokensRevoked {
            bots: bot,
            users: oauth,
        },
        other => match job_for(other) {
            Some(work) => InboundEvent::Work {
                event_id,
                kind: work.kind,
                slack: work.slack,
                bot_id: work.bot_id,
            },
            None => InboundEvent::Ignored,
        },
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

#[cfg(test)]
impl Work {
    /// What [`Event::sender`] gave for the event this work came from.
    fn sender(&self) -> (Option<&tenant::UserId>, Option<&BotId>) {
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
    use tenant::UserId;

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
