//! A fake Anthropic Messages API (`shared/reference/anthropic.md`): `POST /v1/messages` under
//! `http://127.0.0.1:PORT` (the value for `ANTHROPIC_API_URL`).
//!
//! It checks what the real API checks first (the `x-api-key`, `anthropic-version: 2023-06-01`,
//! a JSON body with `model`, a positive `max_tokens`, `messages` starting with a user turn,
//! well-formed `tools` and a `tool_choice` naming one of them) and answers with the reference's
//! error body (`{"type":"error","error":{"type":…,"message":…},"request_id":…}`) when a check
//! fails. A request forcing a tool gets a `tool_use` block whose `input` is built
//! deterministically from the request ([`answers`]): a follow-up draft from the transcript, or
//! an answer from session digests, so tests can see facts flow through.
//!
//! Every call is recorded with its model, so a test can assert on retries and the fallback.

pub mod answers;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tenant::Secret;

use crate::server::{Running, lock};

pub const API_VERSION: &str = "2023-06-01";

/// A failure to inject into the next call(s) of `/v1/messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 `rate_limit_error` with `retry-after: <secs>`.
    RateLimited { retry_after_secs: u64 },
    /// 529 `overloaded_error`.
    Overloaded,
    /// This status with the error type the reference gives it (500 → `api_error`).
    Status(u16),
    /// 200 with a `tool_use` whose input lacks required fields (`email` for a draft).
    InvalidToolOutput,
    /// 200 with a text block and no `tool_use`, as a model that ignored `tool_choice` would.
    TextOnly,
    /// Answers normally after this long.
    Slow(Duration),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedMessage {
    /// The `model` asked for (empty when the body had none).
    pub model: String,
    /// The tool `tool_choice` forced, if any.
    pub forced_tool: Option<String>,
    /// The `x-api-key` sent; `Debug` redacted.
    pub api_key: Option<Secret>,
    /// The whole request body (it holds the prompt: keep it out of logs).
    pub body: Value,
    pub status: u16,
}

struct Inner {
    api_key: Secret,
    calls: Vec<RecordedMessage>,
    failures: VecDeque<Failure>,
    next_id: u64,
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeAnthropic::stop`].
pub struct FakeAnthropic {
    server: Running,
    shared: Shared,
}

impl FakeAnthropic {
    /// Starts the fake on a free loopback port, accepting `api_key` only.
    pub async fn start(api_key: &str) -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            api_key: Secret::from(api_key),
            calls: Vec::new(),
            failures: VecDeque::new(),
            next_id: 1,
        }));
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(shared.clone());
        let server = Running::spawn(app, "anthropic").await?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`: the value for `ANTHROPIC_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_n(1, failure);
    }

    /// Fails the next `n` calls with `failure` (queued after any already queued).
    pub fn fail_next_n(&self, n: usize, failure: Failure) {
        lock(&self.shared)
            .failures
            .extend(std::iter::repeat_n(failure, n));
    }

    pub fn calls(&self) -> Vec<RecordedMessage> {
        lock(&self.shared).calls.clone()
    }

    /// The models of the calls so far, in order.
    pub fn models_called(&self) -> Vec<String> {
        lock(&self.shared)
            .calls
            .iter()
            .map(|c| c.model.clone())
            .collect()
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The reference's error body, with its status.
fn api_error(status: StatusCode, kind: &str, message: &str, request_id: &str) -> Response {
    let body = json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": request_id,
    });
    (status, axum::Json(body)).into_response()
}

/// The error type anthropic.md gives each status.
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

async fn messages(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let (request_id, outcome, call) = {
        let mut inner = lock(&shared);
        let request_id = format!("req_fake{:06}", inner.next_id);
        let message_id = format!("msg_fake{:06}", inner.next_id);
        inner.next_id += 1;
        let api_key = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(Secret::from);
        let value = parsed.clone().unwrap_or(Value::Null);
        inner.calls.push(RecordedMessage {
            model: value["model"].as_str().unwrap_or_default().to_owned(),
            forced_tool: forced_tool(&value).map(str::to_owned),
            api_key: api_key.clone(),
            body: value.clone(),
            status: 200,
        });
        let call = inner.calls.len() - 1;
        let outcome = decide(
            &mut inner,
            &headers,
            api_key.as_ref(),
            parsed.as_ref(),
            &message_id,
        );
        (request_id, outcome, call)
    };
    let (delay, status, response, retry_after) = match outcome {
        Outcome::Refuse(status, kind, message, retry_after) => {
            (None, status, Err((kind, message)), retry_after)
        }
        Outcome::Answer { delay, body } => (delay, StatusCode::OK, Ok(body), None),
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    lock(&shared).calls[call].status = status.as_u16();
    let mut response = match response {
        Ok(body) => (status, axum::Json(body)).into_response(),
        Err((kind, message)) => api_error(status, kind, &message, &request_id),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

enum Outcome {
    /// Status, error type, message, `retry-after` seconds.
    Refuse(StatusCode, &'static str, String, Option<u64>),
    Answer {
        delay: Option<Duration>,
        body: Value,
    },
}

fn refuse(status: u16, message: impl Into<String>) -> Outcome {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Outcome::Refuse(code, error_type(status), message.into(), None)
}

fn forced_tool(body: &Value) -> Option<&str> {
    let choice = body.get("tool_choice")?;
    (choice.get("type")?.as_str()? == "tool")
        .then(|| choice.get("name")?.as_str())
        .flatten()
}

fn decide(
    inner: &mut Inner,
    headers: &HeaderMap,
    api_key: Option<&Secret>,
    body: Option<&Value>,
    message_id: &str,
) -> Outcome {
    if api_key != Some(&inner.api_key) {
        return refuse(401, "invalid x-api-key");
    }
    let version = headers
        .get("anthropic-version")
        .and_then(|v| v.to_str().ok());
    if version != Some(API_VERSION) {
        return refuse(400, "anthropic-version: header is required");
    }
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Some(body) = body.filter(|_| json_content) else {
        return refuse(
            400,
            "the body must be JSON (content-type: application/json)",
        );
    };
    if let Err(message) = check_shape(body) {
        return refuse(400, message);
    }
    let mut delay = None;
    let mut broken = None;
    match inner.failures.pop_front() {
        None => {}
        Some(Failure::RateLimited { retry_after_secs }) => {
            return Outcome::Refuse(
                StatusCode::TOO_MANY_REQUESTS,
                error_type(429),
                "Number of requests has exceeded your rate limit".into(),
                Some(retry_after_secs),
            );
        }
        Some(Failure::Overloaded) => return refuse(529, "Overloaded"),
        Some(Failure::Status(status)) => return refuse(status, "Internal server error"),
        Some(Failure::Slow(d)) => delay = Some(d),
        Some(other) => broken = Some(other),
    }
    let model = body["model"].as_str().unwrap_or_default();
    let content = match (forced_tool(body), broken) {
        (_, Some(Failure::TextOnly)) | (None, _) => {
            json!([{ "type": "text", "text": answers::plain_text(body) }])
        }
        (Some(tool), broken) => {
            let schema = body["tools"]
                .as_array()
                .and_then(|tools| tools.iter().find(|t| t["name"] == tool))
                .map(|t| t["input_schema"].clone())
                .unwrap_or(Value::Null);
            let mut input = answers::tool_input(body, &schema);
            if broken == Some(Failure::InvalidToolOutput) {
                answers::break_input(&mut input);
            }
            json!([{ "type": "tool_use", "id": format!("toolu_{message_id}"), "name": tool, "input": input }])
        }
    };
    let stop_reason = if content[0]["type"] == "tool_use" {
        "tool_use"
    } else {
        "end_turn"
    };
    Outcome::Answer {
        delay,
        body: json!({
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": { "input_tokens": body.to_string().len() / 4, "output_tokens": 200 },
        }),
    }
}

/// The request checks the real API makes before any model runs (anthropic.md, Request).
fn check_shape(body: &Value) -> Result<(), String> {
    if body["model"].as_str().is_none_or(str::is_empty) {
        return Err("model: Field required".into());
    }
    if body["max_tokens"].as_u64().is_none_or(|n| n == 0) {
        return Err("max_tokens: must be a positive integer".into());
    }
    let messages = body["messages"].as_array().filter(|m| !m.is_empty());
    let Some(messages) = messages else {
        return Err("messages: at least one message is required".into());
    };
    for (i, message) in messages.iter().enumerate() {
        let role = message["role"].as_str();
        if !matches!(role, Some("user" | "assistant")) {
            return Err(format!("messages.{i}.role: must be user or assistant"));
        }
        if i == 0 && role != Some("user") {
            return Err("messages: first message must use the user role".into());
        }
        if !(message["content"].is_string() || message["content"].is_array()) {
            return Err(format!(
                "messages.{i}.content: must be a string or a list of blocks"
            ));
        }
    }
    if !matches!(
        body.get("system"),
        None | Some(Value::String(_) | Value::Array(_))
    ) {
        return Err("system: must be a string or a list of text blocks".into());
    }
    let tools = match body.get("tools") {
        None => Vec::new(),
        Some(Value::Array(tools)) => tools.clone(),
        Some(_) => return Err("tools: must be a list".into()),
    };
    for (i, tool) in tools.iter().enumerate() {
        if tool["name"].as_str().is_none_or(str::is_empty) {
            return Err(format!("tools.{i}.name: Field required"));
        }
        if tool["input_schema"]["type"] != "object" {
            return Err(format!("tools.{i}.input_schema: type must be object"));
        }
    }
    if let Some(choice) = body.get("tool_choice") {
        match choice["type"].as_str() {
            Some("auto" | "any" | "none") => {}
            Some("tool") => {
                let name = choice["name"].as_str().unwrap_or_default();
                if !tools.iter().any(|t| t["name"] == name) {
                    return Err(format!("tool_choice: tool `{name}` is not in tools"));
                }
            }
            _ => return Err("tool_choice.type: must be auto, any, tool or none".into()),
        }
    }
    Ok(())
}
