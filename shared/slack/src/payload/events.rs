//! The Events API endpoint: `url_verification`, `event_callback`, `app_rate_limited`.

use serde::Deserialize;
use tenant::{AppId, EnterpriseId, TeamId, UserId};

use super::error::{PayloadError, opt_id};
use super::event::{Event, RawEvent};
use super::raw::{Flag, LooseStr};

/// A verified request to the events endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsRequest {
    /// Slack checking the request URL: answer with `challenge`.
    UrlVerification { challenge: String },
    /// An event delivery.
    EventCallback(Box<EventCallback>),
    /// Slack dropped events for this team during `minute_rate_limited` (unix seconds).
    AppRateLimited {
        team_id: Option<TeamId>,
        minute_rate_limited: i64,
    },
}

/// The `event_callback` envelope (slack.md 3.2). The verification `token` is deliberately not
/// kept: requests are authenticated by signature only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCallback {
    /// Workspace where the event occurred; in a Slack Connect channel this may be the OTHER
    /// organisation's team, so do not use it as the tenant (see `install_context`).
    pub team_id: Option<TeamId>,
    /// Present on some Enterprise Grid payloads, alone for org-level events (no `team_id`).
    pub enterprise_id: Option<EnterpriseId>,
    pub api_app_id: Option<AppId>,
    /// Globally unique; the dedupe key (Slack retries with the same id).
    pub event_id: String,
    /// Unix seconds.
    pub event_time: i64,
    /// One installation that can see the event (Slack truncates the list to one element).
    pub authorizations: Vec<Authorization>,
    pub is_ext_shared_channel: bool,
    /// Where the app is installed/receiving through (Slack Connect).
    pub context_team_id: Option<TeamId>,
    pub context_enterprise_id: Option<EnterpriseId>,
    /// Top-level `is_enterprise_install`, when a payload carries one; `authorizations` win.
    pub is_enterprise_install: bool,
    pub event: Event,
}

/// One element of `authorizations`: an installation that can see the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub enterprise_id: Option<EnterpriseId>,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub is_bot: bool,
    pub is_enterprise_install: bool,
}

/// Parses a verified events-endpoint body. An unknown top-level `type` is an error (400); an
/// unknown inner event type is [`Event::Other`].
pub fn parse_events_body(body: &[u8]) -> Result<EventsRequest, PayloadError> {
    let raw: RawEnvelope = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
    let kind = raw
        .kind
        .0
        .as_deref()
        .ok_or(PayloadError::MissingField("type"))?;
    match kind {
        "url_verification" => Ok(EventsRequest::UrlVerification {
            challenge: raw
                .challenge
                .0
                .ok_or(PayloadError::MissingField("challenge"))?,
        }),
        "event_callback" => raw
            .into_callback()
            .map(|c| EventsRequest::EventCallback(Box::new(c))),
        "app_rate_limited" => Ok(EventsRequest::AppRateLimited {
            team_id: opt_id(raw.team_id.as_deref(), "team_id", TeamId::parse)?,
            minute_rate_limited: raw
                .minute_rate_limited
                .ok_or(PayloadError::MissingField("minute_rate_limited"))?,
        }),
        other => Err(PayloadError::unknown_type(other)),
    }
}

/// Every top-level member of the three envelope types, read in one pass (no intermediate
/// `serde_json::Value`: this parse sits on the ingress hot path).
#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "type", default)]
    kind: LooseStr,
    #[serde(default)]
    challenge: LooseStr,
    team_id: Option<String>,
    enterprise_id: Option<String>,
    api_app_id: Option<String>,
    event_id: Option<String>,
    event_time: Option<i64>,
    authorizations: Option<Vec<RawAuthorization>>,
    is_ext_shared_channel: Option<bool>,
    context_team_id: Option<String>,
    context_enterprise_id: Option<String>,
    #[serde(default)]
    is_enterprise_install: Flag,
    event: Option<RawEvent>,
    minute_rate_limited: Option<i64>,
}

#[derive(Deserialize)]
struct RawAuthorization {
    enterprise_id: Option<String>,
    team_id: Option<String>,
    user_id: Option<String>,
    is_bot: Option<bool>,
    #[serde(default)]
    is_enterprise_install: Flag,
}

impl RawEnvelope {
    fn into_callback(self) -> Result<EventCallback, PayloadError> {
        let authorizations = self
            .authorizations
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                Ok(Authorization {
                    enterprise_id: opt_id(
                        a.enterprise_id.as_deref(),
                        "authorizations.enterprise_id",
                        EnterpriseId::parse,
                    )?,
                    team_id: opt_id(
                        a.team_id.as_deref(),
                        "authorizations.team_id",
                        TeamId::parse,
                    )?,
                    user_id: opt_id(
                        a.user_id.as_deref(),
                        "authorizations.user_id",
                        UserId::parse,
                    )?,
                    is_bot: a.is_bot.unwrap_or(false),
                    is_enterprise_install: a.is_enterprise_install.0,
                })
            })
            .collect::<Result<Vec<_>, PayloadError>>()?;
        Ok(EventCallback {
            team_id: opt_id(self.team_id.as_deref(), "team_id", TeamId::parse)?,
            enterprise_id: opt_id(
                self.enterprise_id.as_deref(),
                "enterprise_id",
                EnterpriseId::parse,
            )?,
            api_app_id: opt_id(self.api_app_id.as_deref(), "api_app_id", AppId::parse)?,
            event_id: self
                .event_id
                .ok_or(PayloadError::MissingField("event_id"))?,
            event_time: self
                .event_time
                .ok_or(PayloadError::MissingField("event_time"))?,
            authorizations,
            is_ext_shared_channel: self.is_ext_shared_channel.unwrap_or(false),
            context_team_id: opt_id(
                self.context_team_id.as_deref(),
                "context_team_id",
                TeamId::parse,
            )?,
            context_enterprise_id: opt_id(
                self.context_enterprise_id.as_deref(),
                "context_enterprise_id",
                EnterpriseId::parse,
            )?,
            is_enterprise_install: self.is_enterprise_install.0,
            event: self
                .event
                .ok_or(PayloadError::MissingField("event"))?
                .into_event()?,
        })
    }
}
