//! The Messages API's wire types (`shared/reference/anthropic.md`), only the parts used here.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages` body.
#[derive(Serialize)]
pub struct MessagesRequest<'a> {
    pub model: &'a str,
    pub max_tokens: u32,
    pub system: &'a str,
    pub messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
    /// Low: drafts should be stable from one run to the next.
    pub temperature: f32,
}

#[derive(Serialize)]
pub struct Message<'a> {
    pub role: &'static str,
    pub content: &'a str,
}

#[derive(Serialize)]
pub struct Tool<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub input_schema: &'a Value,
}

/// `{"type": "tool", "name": …}`: forces the model to answer through that tool.
#[derive(Serialize)]
pub struct ToolChoice<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'a str,
}

/// A 200 answer.
#[derive(Deserialize)]
pub struct MessagesResponse {
    #[serde(default)]
    pub model: String,
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
}

/// A content block; only `tool_use` is read, the others are skipped.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    ToolUse {
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

/// The error body's `error.type` (`rate_limit_error`, `overloaded_error`, …), for `Invalid`
/// descriptions. Only a short snake_case code is kept; the `message` never is (it may quote
/// the request).
pub fn error_type(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(rename = "type")]
        kind: String,
    }
    let kind = serde_json::from_slice::<Body>(body).ok()?.error.kind;
    let plain = !kind.is_empty()
        && kind.len() <= 40
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    plain.then_some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_but_messages_are_not() {
        let body = br#"{"type":"error","error":{"type":"invalid_request_error","message":"transcript: Jane said..."}}"#;
        assert_eq!(error_type(body).as_deref(), Some("invalid_request_error"));
        let odd = br#"{"type":"error","error":{"type":"Jane said hello","message":""}}"#;
        assert_eq!(error_type(odd), None);
        assert_eq!(error_type(b"<html>"), None);
    }

    #[test]
    fn the_reference_response_parses_and_unknown_blocks_are_skipped() {
        let body = r#"{"content":[{"text":"Hi! My name is Claude.","type":"text"},
            {"type":"tool_use","id":"toolu_1","name":"t","input":{"a":1}}],
            "id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","model":"claude-3-5-sonnet-20240620",
            "role":"assistant","stop_reason":"tool_use","stop_sequence":null,"type":"message",
            "usage":{"input_tokens":2095,"output_tokens":503}}"#;
        let response: MessagesResponse = serde_json::from_str(body).unwrap();
        assert!(matches!(response.content[0], ContentBlock::Other));
        assert!(matches!(&response.content[1], ContentBlock::ToolUse { name, .. } if name == "t"));
        assert_eq!(response.usage.unwrap().output_tokens, 503);
    }
}
