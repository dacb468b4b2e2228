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

/// The body of [`ephemeral`]; its fields in the order a `serde_json::Value` object (sorted
/// keys) writes them, so the bytes are those of `json!({..}).to_string()`.
#[derive(serde::Serialize)]
struct Ephemeral<'a> {
    response_type: &'static str,
    text: &'a str,
}

/// A 200 whose JSON body Slack shows only to the user who acted (`response_type: ephemeral`).
pub fn ephemeral(message: &str) -> HttpResponse {
    // Written straight from a struct: no `Value` map is built for every command answered.
    let body = Ephemeral {
        response_type: "ephemeral",
        text: message,
    };
    // A struct of two strings always serializes.
    let body = serde_json::to_string(&body).unwrap_or_default();
    with_type(StatusCode::OK, "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeral_writes_the_same_json_as_a_value_object() {
        for message in ["", "Working on it…", "say \"hi\"\n\t\\ </script> \u{1}"] {
            let res = ephemeral(message);
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
            let expected =
                serde_json::json!({ "response_type": "ephemeral", "text": message }).to_string();
            assert_eq!(res.body(), &expected);
        }
    }
}
