//! Calendar `events.insert` (B.3): `POST {GOOGLE_CALENDAR_API_URL}/calendars/primary/events
//! ?conferenceDataVersion=1&sendUpdates=all|none`, scope `calendar.events`.

use std::fmt;

use followup::EventRequest;
use jiff::{SignedDuration, ZonedDateTime};
use serde::Deserialize;
use serde_json::{Value, json};
use tenant::Secret;
use url::Url;

use super::{GoogleApiConfig, PROVIDER, errors};
use crate::http::{self, ConnectorError, Deadline, HttpClient};

/// Google takes at most 5 reminder overrides, each at most four weeks before (its API docs;
/// not in the reference). Checked here so the user hears "invalid" before Google is called.
const MAX_REMINDERS: usize = 5;
const MAX_REMINDER_MINUTES: u32 = 40_320;

/// A created event (B.3: an Event resource; we read `id`, `htmlLink` and the Meet link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedEvent {
    pub id: String,
    /// Opens the event in Google Calendar.
    pub html_link: String,
    /// The Meet link (`conferenceData.entryPoints[]` of type `video`, else `hangoutLink`),
    /// when one was asked for and Google created it in the same call. Google may answer a
    /// `createRequest` with status `pending` and no link yet (its docs): `None` then.
    pub meet_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventResponse {
    id: String,
    #[serde(default)]
    html_link: Option<String>,
    #[serde(default)]
    hangout_link: Option<String>,
    #[serde(default)]
    conference_data: Option<ConferenceData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConferenceData {
    #[serde(default)]
    entry_points: Vec<EntryPoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntryPoint {
    #[serde(default)]
    entry_point_type: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

/// The Calendar client. Build once per cold start; share freely.
#[derive(Clone)]
pub struct CalendarClient {
    http: HttpClient,
    base: Url,
    budget: std::time::Duration,
}

impl fmt::Debug for CalendarClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalendarClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl CalendarClient {
    pub fn new(config: &GoogleApiConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, &config.http)?,
            base: config.calendar_api_url.clone(),
            budget: config.http.timeout,
        })
    }

    /// Creates `event` in the primary calendar of `token`'s user. Called once, never retried
    /// here: with `sendUpdates=all` a duplicate would email every attendee twice, and a
    /// create that timed out may have happened (the worker's job idempotency decides).
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn insert_event(
        &self,
        token: &Secret,
        event: &EventRequest,
    ) -> Result<CreatedEvent, ConnectorError> {
        let body = event_body(event, &uuid::Uuid::new_v4().to_string())?;
        let mut url = self
            .base
            .join("calendars/primary/events")
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid request path"))?;
        url.query_pairs_mut()
            // Without it Google ignores `conferenceData.createRequest` (B.3).
            .append_pair("conferenceDataVersion", "1")
            .append_pair(
                "sendUpdates",
                if event.send_invitations {
                    "all"
                } else {
                    "none"
                },
            );
        let request = self
            .http
            .post(url)
            .header(
                ::http::header::AUTHORIZATION,
                http::secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?,
            )
            .json(&body);
        let response = self
            .http
            .send_any(request, Deadline::after(self.budget))
            .await?;
        if !response.status.is_success() {
            let err = errors::api_error(PROVIDER, &response);
            tracing::debug!(status = response.status.as_u16(), error = %err, "Calendar refused the event");
            return Err(err);
        }
        let created: EventResponse = response.json(PROVIDER)?;
        let html_link = created
            .html_link
            .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
            .ok_or_else(|| ConnectorError::invalid(PROVIDER, "event without an htmlLink"))?;
        let meet_link = created
            .conference_data
            .into_iter()
            .flat_map(|c| c.entry_points)
            .find(|e| e.entry_point_type.as_deref() == Some("video"))
            .and_then(|e| e.uri)
            .or(created.hangout_link);
        Ok(CreatedEvent {
            id: created.id,
            html_link,
            meet_link: meet_link.filter(|_| event.with_meet),
        })
    }
}

/// The request body of B.3. `request_id` must be unique per request (a repeated one gets
/// the earlier request's conference).
pub(crate) fn event_body(event: &EventRequest, request_id: &str) -> Result<Value, ConnectorError> {
    let invalid = |what: &str| ConnectorError::invalid(PROVIDER, what);
    let end = SignedDuration::try_from(event.duration)
        .ok()
        .and_then(|d| event.start.checked_add(d).ok())
        .ok_or_else(|| invalid("event end out of range"))?;
    if event.reminders_minutes.len() > MAX_REMINDERS
        || event
            .reminders_minutes
            .iter()
            .any(|m| *m > MAX_REMINDER_MINUTES)
    {
        return Err(invalid("too many or too distant reminders"));
    }
    let attendees: Vec<Value> = event
        .attendees
        .iter()
        .map(|a| match &a.name {
            Some(name) if !name.trim().is_empty() => {
                json!({ "email": a.address.as_str(), "displayName": name.trim() })
            }
            _ => json!({ "email": a.address.as_str() }),
        })
        .collect();
    // Empty overrides mean the calendar's own defaults (the port's contract).
    let reminders = if event.reminders_minutes.is_empty() {
        json!({ "useDefault": true })
    } else {
        // The port carries minutes only; a popup reminds the organiser, who is the one
        // reminders apply to (attendees' reminders are their own calendars').
        let overrides: Vec<Value> = event
            .reminders_minutes
            .iter()
            .map(|m| json!({ "method": "popup", "minutes": m }))
            .collect();
        json!({ "useDefault": false, "overrides": overrides })
    };
    let mut body = json!({
        "summary": event.title,
        "description": event.description,
        "start": { "dateTime": rfc3339(&event.start), "timeZone": event.time_zone },
        "end": { "dateTime": rfc3339(&end), "timeZone": event.time_zone },
        "attendees": attendees,
        "reminders": reminders,
    });
    if event.with_meet {
        body["conferenceData"] = json!({
            "createRequest": {
                "requestId": request_id,
                "conferenceSolutionKey": { "type": "hangoutsMeet" }
            }
        });
    }
    Ok(body)
}

/// `2025-12-12T15:00:00+01:00`: the wall time with its offset, whole seconds. The offset
/// pins the instant; `timeZone` tells Google which zone to show it (and recurrences) in.
fn rfc3339(at: &ZonedDateTime) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use followup::{EmailAddress, Mailbox};

    use super::*;

    fn event() -> EventRequest {
        EventRequest {
            title: "Follow-up: QBR".into(),
            start: "2025-12-12T15:00:00[Europe/Rome]".parse().unwrap(),
            duration: Duration::from_secs(30 * 60),
            time_zone: "Europe/Rome".into(),
            attendees: vec![Mailbox {
                name: Some("John".into()),
                address: EmailAddress::parse("john@client.test").unwrap(),
            }],
            with_meet: true,
            send_invitations: false,
            reminders_minutes: vec![1440, 30],
            description: "Summary".into(),
        }
    }

    #[test]
    fn the_body_carries_the_users_zone_a_meet_request_and_the_reminders() {
        let body = event_body(&event(), "req-1").unwrap();
        assert_eq!(body["start"]["dateTime"], "2025-12-12T15:00:00+01:00");
        assert_eq!(body["end"]["dateTime"], "2025-12-12T15:30:00+01:00");
        assert_eq!(body["start"]["timeZone"], "Europe/Rome");
        assert_eq!(body["reminders"]["useDefault"], false);
        assert_eq!(body["reminders"]["overrides"][0]["minutes"], 1440);
        assert_eq!(
            body["conferenceData"]["createRequest"]["conferenceSolutionKey"]["type"],
            "hangoutsMeet"
        );
        assert_eq!(body["attendees"][0]["email"], "john@client.test");
        let mut plain = event();
        plain.with_meet = false;
        plain.reminders_minutes.clear();
        let body = event_body(&plain, "req-2").unwrap();
        assert!(body.get("conferenceData").is_none());
        assert_eq!(body["reminders"], json!({ "useDefault": true }));
        plain.reminders_minutes = vec![10; 6];
        assert!(event_body(&plain, "req-3").is_err());
    }
}
