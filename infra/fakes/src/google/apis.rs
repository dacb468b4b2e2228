//! The fake's Gmail and Calendar endpoints, after [`admit`] (record, bearer token, scope,
//! injected failure).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mail_parser::{MessageParser, PartType};
use serde_json::{Value, json};
use tenant::Secret;

use super::oauth::{self, Bearer};
use super::{Endpoint, Failure, Inner, RecordedCall, RecordedDraft, RecordedEvent, Shared};
use crate::server::lock;

/// A Google API error body (the documented shape; UNCONFIRMED by the reference).
fn google_error(status: StatusCode, reason: &str, message: &str, code_name: &str) -> Response {
    let code = status.as_u16();
    (
        status,
        axum::Json(json!({ "error": {
            "code": code,
            "message": message,
            "errors": [{ "message": message, "domain": "global", "reason": reason }],
            "status": code_name,
        }})),
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    google_error(
        StatusCode::BAD_REQUEST,
        "invalid",
        message,
        "INVALID_ARGUMENT",
    )
}

/// An injected failure as Google would answer it; at the token endpoints (`oauth_shape`)
/// with an RFC 6749 body.
pub(super) fn failure_response(failure: &Failure, oauth_shape: bool) -> Response {
    match failure {
        Failure::RateLimited { retry_after_secs } => {
            let mut response = google_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rateLimitExceeded",
                "Rate Limit Exceeded",
                "RESOURCE_EXHAUSTED",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        Failure::Forbidden(reason) => google_error(
            StatusCode::FORBIDDEN,
            reason,
            "Forbidden",
            "PERMISSION_DENIED",
        ),
        Failure::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if oauth_shape {
                let error = match code {
                    500..=599 => "server_error",
                    401 => "invalid_client",
                    _ => "invalid_request",
                };
                return (status, axum::Json(json!({ "error": error }))).into_response();
            }
            match code {
                401 => unauthenticated(),
                400 => bad_request("Injected failure"),
                404 => google_error(status, "notFound", "Not Found", "NOT_FOUND"),
                _ => google_error(status, "backendError", "Injected failure", "UNAVAILABLE"),
            }
        }
        // Handled by the callers (they answer normally, later).
        Failure::Slow(_) => StatusCode::OK.into_response(),
    }
}

fn unauthenticated() -> Response {
    let mut response = google_error(
        StatusCode::UNAUTHORIZED,
        "authError",
        "Request had invalid authentication credentials.",
        "UNAUTHENTICATED",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
    );
    response
}

struct Admitted {
    call: usize,
    slow: Option<Duration>,
    /// The account the bearer token's grant belongs to.
    email: String,
}

/// Record, check the bearer token and that its grant has one of `scopes`, take an injected
/// failure.
#[allow(clippy::result_large_err)]
fn admit(
    inner: &mut Inner,
    endpoint: Endpoint,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    scopes: &[&str],
) -> Result<Admitted, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    inner.calls.push(RecordedCall {
        endpoint,
        path: path.to_owned(),
        params: query.to_vec(),
        bearer: token.clone().map(Secret::from),
        status: 200,
    });
    let call = inner.calls.len() - 1;
    let refused = |inner: &mut Inner, response: Response| {
        inner.calls[call].status = response.status().as_u16();
        Err(response)
    };
    let (granted, email) = match token.as_deref().map(|t| oauth::bearer(inner, t)) {
        Some(Bearer::Live { scopes, email }) => (scopes, email),
        Some(Bearer::Invalid) | None => return refused(inner, unauthenticated()),
    };
    if !scopes.iter().any(|want| granted.iter().any(|g| g == want)) {
        let response = google_error(
            StatusCode::FORBIDDEN,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
            "PERMISSION_DENIED",
        );
        return refused(inner, response);
    }
    let slow = match inner.take_failure(endpoint) {
        None => None,
        Some(Failure::Slow(delay)) => Some(delay),
        Some(failure) => return refused(inner, failure_response(&failure, false)),
    };
    Ok(Admitted { call, slow, email })
}

async fn answer(shared: &Shared, admitted: Admitted, status: StatusCode, body: Value) -> Response {
    if let Some(delay) = admitted.slow {
        tokio::time::sleep(delay).await;
    }
    lock(shared).calls[admitted.call].status = status.as_u16();
    (status, axum::Json(body)).into_response()
}

/// The scopes that allow `users.drafts.create` (B.2).
const DRAFT_SCOPES: &[&str] = &[
    super::GMAIL_COMPOSE,
    "https://www.googleapis.com/auth/gmail.modify",
    "https://mail.google.com/",
];
/// The scopes that allow `events.insert` (B.3).
const EVENT_SCOPES: &[&str] = &[
    super::CALENDAR_EVENTS,
    "https://www.googleapis.com/auth/calendar",
];

/// The scopes that allow `users.getProfile` (Google's docs; not in the reference).
const PROFILE_SCOPES: &[&str] = &[
    super::GMAIL_COMPOSE,
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.metadata",
    "https://mail.google.com/",
];

/// `GET /gmail/v1/users/me/profile`: the connected mailbox's address, in the shape of Google's
/// docs (`emailAddress`, `messagesTotal`, `threadsTotal`, `historyId`).
pub(super) async fn profile(
    State(shared): State<Shared>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/gmail/v1/users/{user}/profile");
    let (admitted, reply) = {
        let mut inner = lock(&shared);
        let admitted = match admit(
            &mut inner,
            Endpoint::Profile,
            &path,
            &[],
            &headers,
            PROFILE_SCOPES,
        ) {
            Ok(a) => a,
            Err(response) => return response,
        };
        if user != "me" {
            inner.calls[admitted.call].status = 400;
            return bad_request("Delegation denied");
        }
        let reply = json!({
            "emailAddress": admitted.email,
            "messagesTotal": inner.drafts.len(),
            "threadsTotal": inner.drafts.len(),
            "historyId": "1",
        });
        (admitted, reply)
    };
    answer(&shared, admitted, StatusCode::OK, reply).await
}

pub(super) async fn create_draft(
    State(shared): State<Shared>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/gmail/v1/users/{user}/drafts");
    let (admitted, status, reply) = {
        let mut inner = lock(&shared);
        let admitted = match admit(
            &mut inner,
            Endpoint::Drafts,
            &path,
            &[],
            &headers,
            DRAFT_SCOPES,
        ) {
            Ok(a) => a,
            Err(response) => return response,
        };
        match draft_of(&mut inner, &user, &body) {
            Ok(reply) => (admitted, StatusCode::OK, reply),
            Err(message) => {
                inner.calls[admitted.call].status = 400;
                return bad_request(message);
            }
        }
    };
    answer(&shared, admitted, status, reply).await
}

fn draft_of(inner: &mut Inner, user: &str, body: &[u8]) -> Result<Value, &'static str> {
    if user != "me" {
        return Err("Delegation denied");
    }
    let request: Value = serde_json::from_slice(body).map_err(|_| "Invalid JSON payload")?;
    let raw = request["message"]["raw"]
        .as_str()
        .ok_or("Missing draft message")?;
    // Gmail takes base64url with or without padding.
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|_| "Invalid value for ByteString")?;
    let message = MessageParser::default()
        .parse(&bytes)
        .ok_or("Invalid RFC 5322 message")?;
    let (mut to, mut to_names) = (Vec::new(), Vec::new());
    if let Some(list) = message.to() {
        for addr in list.iter() {
            to.push(addr.address().unwrap_or_default().to_owned());
            to_names.push(addr.name().map(str::to_owned));
        }
    }
    // The parts themselves, not mail-parser's conversions of one into the other.
    let (mut text, mut html) = (None, None);
    for part in &message.parts {
        match &part.body {
            PartType::Text(t) if text.is_none() => text = Some(t.to_string()),
            PartType::Html(h) if html.is_none() => html = Some(h.to_string()),
            _ => {}
        }
    }
    let header_text = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
    let n = inner.next();
    let id = format!("r-{n:019}");
    let message_id = format!("{:016x}", 0x18c0_0000_0000_0000u64 + n);
    inner.drafts.push(RecordedDraft {
        id: id.clone(),
        message_id: message_id.clone(),
        to,
        to_names,
        subject: message.subject().map(str::to_owned),
        raw_subject: header_text("Subject"),
        has_from: message.from().is_some() || header_text("From").is_some(),
        content_type: header_text("Content-Type"),
        text,
        html,
    });
    Ok(json!({
        "id": id,
        "message": { "id": message_id, "threadId": message_id, "labelIds": ["DRAFT"] }
    }))
}

pub(super) async fn insert_event(
    State(shared): State<Shared>,
    Path(calendar): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let path = format!("/calendar/v3/calendars/{calendar}/events");
    let (admitted, reply) = {
        let mut inner = lock(&shared);
        let admitted = match admit(
            &mut inner,
            Endpoint::Events,
            &path,
            &query,
            &headers,
            EVENT_SCOPES,
        ) {
            Ok(a) => a,
            Err(response) => return response,
        };
        if calendar != "primary" {
            inner.calls[admitted.call].status = 404;
            return google_error(StatusCode::NOT_FOUND, "notFound", "Not Found", "NOT_FOUND");
        }
        match event_of(&mut inner, &query, &body) {
            Ok(reply) => (admitted, reply),
            Err(message) => {
                inner.calls[admitted.call].status = 400;
                return bad_request(message);
            }
        }
    };
    answer(&shared, admitted, StatusCode::OK, reply).await
}

fn event_of(
    inner: &mut Inner,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Value, &'static str> {
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let send_updates = param("sendUpdates");
    if send_updates
        .as_deref()
        .is_some_and(|s| !matches!(s, "all" | "externalOnly" | "none"))
    {
        return Err("Invalid value for sendUpdates");
    }
    let version = param("conferenceDataVersion");
    let request: Value = serde_json::from_slice(body).map_err(|_| "Invalid JSON payload")?;
    let time = |which: &str| -> Result<jiff::Timestamp, &'static str> {
        let at = &request[which];
        if let Some(zone) = at["timeZone"].as_str()
            && jiff::tz::TimeZone::get(zone).is_err()
        {
            return Err("Invalid time zone definition for start time.");
        }
        at["dateTime"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .ok_or("Missing or invalid dateTime.")
    };
    let (start, end) = (time("start")?, time("end")?);
    if end <= start {
        return Err("The specified time range is empty.");
    }
    let n = inner.next();
    let id = format!("fakeevent{n:06}");
    let eid = STANDARD.encode(format!("{id} {}", inner.account_email));
    let mut reply = json!({
        "kind": "calendar#event",
        "id": id,
        "status": "confirmed",
        "htmlLink": format!("https://www.google.com/calendar/event?eid={}", eid.trim_end_matches('=')),
        "summary": request["summary"],
        "description": request["description"],
        "start": request["start"],
        "end": request["end"],
        "organizer": { "email": inner.account_email, "self": true },
        "reminders": request["reminders"],
    });
    if let Some(attendees) = request["attendees"].as_array() {
        let listed: Vec<Value> = attendees
            .iter()
            .map(|a| json!({ "email": a["email"], "responseStatus": "needsAction" }))
            .collect();
        reply["attendees"] = Value::Array(listed);
    }
    // Without conferenceDataVersion=1 Google ignores the createRequest (B.3).
    let create = &request["conferenceData"]["createRequest"];
    let mut meet_link = None;
    if version.as_deref() == Some("1") && create.is_object() {
        let Some(request_id) = create["requestId"].as_str().filter(|r| !r.is_empty()) else {
            return Err("Invalid conference create request: requestId is required.");
        };
        if create["conferenceSolutionKey"]["type"] != "hangoutsMeet" {
            return Err("Invalid conference type value.");
        }
        let code = match inner.conferences.get(request_id) {
            Some(code) => code.clone(),
            None => {
                let code = meet_code(n);
                inner
                    .conferences
                    .insert(request_id.to_owned(), code.clone());
                code
            }
        };
        let uri = format!("https://meet.google.com/{code}");
        reply["hangoutLink"] = uri.clone().into();
        reply["conferenceData"] = json!({
            "createRequest": {
                "requestId": request_id,
                "conferenceSolutionKey": { "type": "hangoutsMeet" },
                "status": { "statusCode": "success" }
            },
            "entryPoints": [{ "entryPointType": "video", "uri": uri, "label": format!("meet.google.com/{code}") }],
            "conferenceSolution": { "key": { "type": "hangoutsMeet" }, "name": "Google Meet" },
            "conferenceId": code,
        });
        meet_link = Some(uri);
    }
    inner.events.push(RecordedEvent {
        id: id.clone(),
        conference_data_version: version,
        send_updates,
        body: request,
        meet_link,
    });
    Ok(reply)
}

/// `abc-defg-hij`, from `n`.
fn meet_code(n: u64) -> String {
    let letters: Vec<char> = (0..10)
        .map(|i| char::from(b'a' + ((n.wrapping_mul(7919).wrapping_add(i * 31)) % 26) as u8))
        .collect();
    let s: String = letters.into_iter().collect();
    format!("{}-{}-{}", &s[0..3], &s[3..7], &s[7..10])
}
