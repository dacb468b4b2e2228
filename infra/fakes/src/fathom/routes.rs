//! The fake's endpoints: what each does after [`admit`] (record, authenticate, rate-limit,
//! take an injected failure).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tenant::Secret;

use super::{
    AuthScheme, Endpoint, Failure, FakeMeeting, Inner, RecordedCall, RegisteredWebhook, Shared,
};
use crate::server::lock;

/// What every endpoint does first: record, authenticate, count against the rate limit, take an
/// injected failure. `Ok` carries the user's index and the rate-limit headers to answer with.
struct Admitted {
    user: usize,
    call: usize,
    limit_headers: HeaderMap,
    slow: Option<Duration>,
}

// An early `Response` is how these handlers refuse; boxing it would buy nothing in a fake.
#[allow(clippy::result_large_err)]
fn admit(
    inner: &mut Inner,
    endpoint: Endpoint,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Admitted, Response> {
    let (auth, credential) = credential(headers);
    inner.calls.push(RecordedCall {
        endpoint,
        path: path.to_owned(),
        query: query.to_vec(),
        auth,
        credential: credential.clone().map(Secret::from),
        status: 200,
    });
    let call = inner.calls.len() - 1;
    let refuse = |inner: &mut Inner, response: Response| {
        inner.calls[call].status = response.status().as_u16();
        response
    };
    let user = credential.and_then(|c| {
        inner.data.users.iter().position(|u| match auth {
            Some(AuthScheme::ApiKey) => u.api_keys.contains(&c),
            Some(AuthScheme::Bearer) => u.oauth_tokens.contains(&c),
            None => false,
        })
    });
    let Some(user) = user else {
        return Err(refuse(
            inner,
            error(StatusCode::UNAUTHORIZED, "unauthorized"),
        ));
    };
    // The limit is per user across all their keys (fathom.md, rate limits).
    let (limit, window) = (inner.data.rate_limit, inner.data.rate_window);
    let now = Instant::now();
    let entry = inner.windows.entry(user).or_insert((now, 0));
    if now.duration_since(entry.0) >= window {
        *entry = (now, 0);
    }
    entry.1 += 1;
    let (started, used) = *entry;
    let reset = window
        .saturating_sub(now.duration_since(started))
        .as_secs()
        .max(1);
    let mut limit_headers = HeaderMap::new();
    limit_headers.insert("ratelimit-limit", HeaderValue::from(limit));
    limit_headers.insert(
        "ratelimit-remaining",
        HeaderValue::from(limit.saturating_sub(used)),
    );
    limit_headers.insert("ratelimit-reset", HeaderValue::from(reset));
    if used > limit {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        response.headers_mut().extend(limit_headers);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(reset));
        return Err(refuse(inner, response));
    }
    let injected = inner
        .failures
        .get_mut(&endpoint)
        .and_then(VecDeque::pop_front);
    let slow = match injected {
        None => None,
        Some(Failure::Slow(delay)) => Some(delay),
        Some(Failure::RateLimited { retry_after_secs }) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            headers.insert("ratelimit-limit", HeaderValue::from(limit));
            headers.insert("ratelimit-remaining", HeaderValue::from(0));
            headers.insert("ratelimit-reset", HeaderValue::from(retry_after_secs));
            return Err(refuse(inner, response));
        }
        Some(Failure::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Err(refuse(inner, error(status, "injected failure")));
        }
    };
    Ok(Admitted {
        user,
        call,
        limit_headers,
        slow,
    })
}

/// `X-Api-Key` wins over `Authorization: Bearer` when both are sent.
fn credential(headers: &HeaderMap) -> (Option<AuthScheme>, Option<String>) {
    let value = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(key) = value("x-api-key").filter(|k| !k.is_empty()) {
        return (Some(AuthScheme::ApiKey), Some(key.to_owned()));
    }
    if let Some(token) = value("authorization").and_then(|v| v.strip_prefix("Bearer ")) {
        return (Some(AuthScheme::Bearer), Some(token.trim().to_owned()));
    }
    (None, None)
}

fn error(status: StatusCode, reason: &str) -> Response {
    (status, axum::Json(json!({ "error": reason }))).into_response()
}

#[allow(clippy::result_large_err)]
fn parse_query(raw: Option<&str>) -> Result<Vec<(String, String)>, Response> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| error(StatusCode::BAD_REQUEST, "invalid query"))
}

/// Answers `body` with the rate-limit headers, after the injected delay if any (the lock is
/// not held while waiting).
async fn answer(shared: &Shared, admitted: Admitted, status: StatusCode, body: Value) -> Response {
    if let Some(delay) = admitted.slow {
        tokio::time::sleep(delay).await;
    }
    lock(shared).calls[admitted.call].status = status.as_u16();
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().extend(admitted.limit_headers);
    response
}

fn cursor_for(page_num: usize) -> String {
    STANDARD.encode(json!({ "page_num": page_num }).to_string())
}

fn page_of(cursor: &str) -> Option<usize> {
    let decoded = STANDARD.decode(cursor).ok()?;
    let value: Value = serde_json::from_slice(&decoded).ok()?;
    let page = usize::try_from(value.get("page_num")?.as_u64()?).ok()?;
    (page >= 1).then_some(page)
}

pub(super) async fn meetings(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = match parse_query(raw.as_deref()) {
        Ok(q) => q,
        Err(response) => return response,
    };
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (admitted, body) = {
        let mut inner = lock(&shared);
        let admitted = match admit(
            &mut inner,
            Endpoint::Meetings,
            "/meetings",
            &query,
            &headers,
        ) {
            Ok(a) => a,
            Err(response) => return response,
        };
        let bad = |inner: &mut Inner, reason: &str| {
            let response = error(StatusCode::BAD_REQUEST, reason);
            inner.calls[admitted.call].status = 400;
            response
        };
        let time_param = |name: &str| match param(name) {
            None => Ok(None),
            Some(raw) => crate::time::parse(raw).map(Some).ok_or(()),
        };
        let (Ok(after), Ok(before)) = (time_param("created_after"), time_param("created_before"))
        else {
            return bad(&mut inner, "created_after/created_before must be ISO-8601");
        };
        let page = match param("cursor") {
            None | Some("") => 1,
            Some(cursor) => match page_of(cursor) {
                Some(page) => page,
                None => return bad(&mut inner, "invalid cursor"),
            },
        };
        let with_transcript = param("include_transcript") == Some("true");
        let oauth = inner.calls[admitted.call].auth == Some(AuthScheme::Bearer);
        if with_transcript && oauth {
            // fathom.md: OAuth apps must use /recordings/{id}/transcript instead.
            return bad(
                &mut inner,
                "include_transcript is unavailable for OAuth connected apps",
            );
        }
        let user = &inner.data.users[admitted.user];
        let mut listed: Vec<&FakeMeeting> = user
            .meetings
            .iter()
            // UNCONFIRMED: whether Fathom's bounds are inclusive; the fake takes
            // `created_after <= created_at < created_before`.
            .filter(|m| after.is_none_or(|t: Timestamp| m.created_at >= t))
            .filter(|m| before.is_none_or(|t: Timestamp| m.created_at < t))
            .collect();
        listed.sort_by_key(|m| std::cmp::Reverse(m.created_at));
        let size = inner.data.page_size;
        let items: Vec<Value> = listed
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|m| m.to_json(user, &inner.origin, with_transcript))
            .collect();
        let next_cursor = (listed.len() > page * size).then(|| cursor_for(page + 1));
        (
            admitted,
            json!({ "limit": size, "next_cursor": next_cursor, "items": items }),
        )
    };
    answer(&shared, admitted, StatusCode::OK, body).await
}

pub(super) async fn transcript(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = match parse_query(raw.as_deref()) {
        Ok(q) => q,
        Err(response) => return response,
    };
    let path = format!("/recordings/{id}/transcript");
    let (admitted, status, body) = {
        let mut inner = lock(&shared);
        let admitted = match admit(&mut inner, Endpoint::Transcript, &path, &query, &headers) {
            Ok(a) => a,
            Err(response) => return response,
        };
        let user = &inner.data.users[admitted.user];
        // Another user's recording is as absent as one that never existed.
        let meeting = id
            .parse::<u64>()
            .ok()
            .and_then(|id| user.meetings.iter().find(|m| m.recording_id == id));
        match (meeting, query.iter().find(|(k, _)| k == "destination_url")) {
            (None, _) => (
                admitted,
                StatusCode::NOT_FOUND,
                json!({ "error": "not found" }),
            ),
            // Async mode: Fathom would POST the transcript there later; the fake only answers.
            (Some(_), Some((_, url))) => {
                (admitted, StatusCode::OK, json!({ "destination_url": url }))
            }
            (Some(m), None) => (
                admitted,
                StatusCode::OK,
                json!({ "transcript": m.transcript_json() }),
            ),
        }
    };
    answer(&shared, admitted, status, body).await
}

pub(super) async fn create_webhook(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (admitted, status, answer_body) = {
        let mut inner = lock(&shared);
        let admitted = match admit(&mut inner, Endpoint::Webhooks, "/webhooks", &[], &headers) {
            Ok(a) => a,
            Err(response) => return response,
        };
        match register(&mut inner, admitted.user, &body) {
            Ok(created) => (admitted, StatusCode::CREATED, created),
            Err(reason) => (
                admitted,
                StatusCode::BAD_REQUEST,
                json!({ "error": reason }),
            ),
        }
    };
    answer(&shared, admitted, status, answer_body).await
}

/// Checks a `POST /webhooks` body (fathom.md: a destination, at least one `triggered_for`,
/// at least one `include_*` true) and stores the webhook with a fresh secret.
fn register(inner: &mut Inner, user: usize, body: &[u8]) -> Result<Value, &'static str> {
    let request: Value = serde_json::from_slice(body).map_err(|_| "body must be JSON")?;
    let destination = request
        .get("destination_url")
        .and_then(Value::as_str)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .ok_or("destination_url must be a URL")?
        .to_owned();
    let triggered_for = request
        .get("triggered_for")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty() && t.iter().all(Value::is_string))
        .ok_or("triggered_for needs at least one entry")?
        .clone();
    let flag = |name: &str| request.get(name).and_then(Value::as_bool).unwrap_or(false);
    let includes = [
        "include_transcript",
        "include_summary",
        "include_action_items",
        "include_crm_matches",
    ];
    if !includes.iter().any(|name| flag(name)) {
        return Err("at least one include_* must be true");
    }
    let id = format!("whk_{}", inner.next_webhook);
    inner.next_webhook += 1;
    // Unique per fake and webhook; not random (the fake needs no RNG), but not guessable
    // across runs either, since the port and the clock go in.
    let mut hasher = Sha256::new();
    hasher.update(inner.origin.as_bytes());
    hasher.update(id.as_bytes());
    hasher.update(Timestamp::now().to_string().as_bytes());
    let secret = format!("whsec_{}", STANDARD.encode(&hasher.finalize()[..24]));
    let owner = inner.data.users[user].email.clone();
    inner.webhooks.push(RegisteredWebhook {
        id: id.clone(),
        destination_url: destination.clone(),
        secret: Secret::from(secret.as_str()),
        owner,
        triggered_for: triggered_for
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        include_transcript: flag("include_transcript"),
        include_summary: flag("include_summary"),
        include_action_items: flag("include_action_items"),
        include_crm_matches: flag("include_crm_matches"),
    });
    Ok(json!({
        "id": id,
        "url": destination,
        "secret": secret,
        "created_at": crate::time::format(Timestamp::now()),
        "include_transcript": flag("include_transcript"),
        "include_summary": flag("include_summary"),
        "include_action_items": flag("include_action_items"),
        "include_crm_matches": flag("include_crm_matches"),
        "triggered_for": triggered_for,
    }))
}

pub(super) async fn delete_webhook(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/webhooks/{id}");
    let (admitted, status) = {
        let mut inner = lock(&shared);
        let admitted = match admit(&mut inner, Endpoint::Webhooks, &path, &[], &headers) {
            Ok(a) => a,
            Err(response) => return response,
        };
        let owner = inner.data.users[admitted.user].email.clone();
        let before = inner.webhooks.len();
        inner.webhooks.retain(|w| !(w.id == id && w.owner == owner));
        let status = if inner.webhooks.len() < before {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::NOT_FOUND
        };
        (admitted, status)
    };
    if status == StatusCode::NO_CONTENT {
        lock(&shared).calls[admitted.call].status = 204;
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().extend(admitted.limit_headers);
        return response;
    }
    answer(&shared, admitted, status, json!({ "error": "not found" })).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_base64_page_numbers_like_the_docs_example() {
        assert_eq!(cursor_for(2), "eyJwYWdlX251bSI6Mn0=");
        assert_eq!(page_of("eyJwYWdlX251bSI6Mn0="), Some(2));
        assert_eq!(page_of("not base64!"), None);
    }
}
