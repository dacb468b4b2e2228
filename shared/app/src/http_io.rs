//! The request and response types every HTTP handler uses. Handlers take the raw body bytes
//! (already base64-decoded by the Lambda adapter or read whole by axum), so a signature is
//! always checked over exactly what Slack sent.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

pub type HttpRequest = http::Request<Bytes>;
pub type HttpResponse = http::Response<String>;

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> HttpResponse {
    let mut res = http::Response::new(body);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// A plain-text answer.
pub fn text(status: StatusCode, body: impl Into<String>) -> HttpResponse {
    with_type(status, "text/plain; charset=utf-8", body.into())
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    with_type(status, "application/json", body.to_string())
}

/// An empty 200: the ack Slack expects when there is nothing to show.
pub fn ack() -> HttpResponse {
    text(StatusCode::OK, "")
}

/// A 200 whose JSON body Slack shows only to the user who acted (`response_type: ephemeral`).
pub fn ephemeral(message: &str) -> HttpResponse {
    json(
        StatusCode::OK,
        &serde_json::json!({ "response_type": "ephemeral", "text": message }),
    )
}
