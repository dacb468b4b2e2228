use std::time::Duration;

use fakes::anthropic::{API_VERSION, Failure, FakeAnthropic};
use serde_json::{Value, json};

use crate::client;

const KEY: &str = "sk-ant-fake-test";

fn draft_request() -> Value {
    json!({
        "model": "claude-test",
        "max_tokens": 512,
        "system": "You write follow-ups.",
        "messages": [{"role": "user", "content":
            "<meeting>\ntitle: Globex call\nlanguage: en\n</meeting>\n<transcript>\n[00:00:01] John: We use Salesforce.\n[00:00:09] Ann: Next step: send the 2026-01-15 plan.\n</transcript>"}],
        "tools": [{"name": "record_draft", "description": "d", "input_schema":
            {"type": "object", "properties": {"summary": {}, "email": {}}}}],
        "tool_choice": {"type": "tool", "name": "record_draft"}
    })
}

async fn send(
    fake: &FakeAnthropic,
    key: &str,
    version: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = client()
        .post(format!("{}/v1/messages", fake.api_url()))
        .header("x-api-key", key)
        .json(body);
    if let Some(version) = version {
        request = request.header("anthropic-version", version);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn a_forced_tool_gets_a_tool_use_message_in_the_reference_shape() {
    let fake = FakeAnthropic::start(KEY).await.unwrap();

    let (status, headers, message) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;

    assert_eq!(status, 200);
    assert!(headers["request-id"].to_str().unwrap().starts_with("req_"));
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "claude-test");
    assert_eq!(message["stop_reason"], "tool_use");
    let block = &message["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["name"], "record_draft");
    assert_eq!(block["input"]["email"]["subject"], "Follow-up: Globex call");
    assert_eq!(
        block["input"]["crm_note"]["tech_stack"],
        json!(["Salesforce"])
    );
    assert_eq!(
        block["input"]["follow_up"],
        json!({"agreed": true, "date": "2026-01-15"})
    );
    assert!(message["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(fake.models_called(), vec!["claude-test"]);
}

#[tokio::test]
async fn bad_headers_and_bodies_get_the_reference_error_bodies() {
    let fake = FakeAnthropic::start(KEY).await.unwrap();

    let (status, _, body) = send(&fake, "sk-wrong", Some(API_VERSION), &draft_request()).await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(body["request_id"].as_str().unwrap().starts_with("req_"));

    let (status, _, body) = send(&fake, KEY, None, &draft_request()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (400, Some("invalid_request_error"))
    );

    let mut no_tokens = draft_request();
    no_tokens.as_object_mut().unwrap().remove("max_tokens");
    assert_eq!(send(&fake, KEY, Some(API_VERSION), &no_tokens).await.0, 400);
    let mut assistant_first = draft_request();
    assistant_first["messages"][0]["role"] = json!("assistant");
    assert_eq!(
        send(&fake, KEY, Some(API_VERSION), &assistant_first)
            .await
            .0,
        400
    );
    let mut unknown_tool = draft_request();
    unknown_tool["tool_choice"]["name"] = json!("other");
    let (status, _, body) = send(&fake, KEY, Some(API_VERSION), &unknown_tool).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tool_choice")
    );
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![401, 400, 400, 400, 400]);
    assert!(
        !format!("{:?}", fake.calls()).contains("sk-wrong"),
        "recorded keys are redacted"
    );
}

#[tokio::test]
async fn injected_failures_answer_in_order_with_their_status_type_and_headers() {
    let fake = FakeAnthropic::start(KEY).await.unwrap();
    fake.fail_next(Failure::RateLimited {
        retry_after_secs: 3,
    });
    fake.fail_next(Failure::Overloaded);
    fake.fail_next(Failure::Status(500));
    fake.fail_next(Failure::InvalidToolOutput);
    fake.fail_next(Failure::Slow(Duration::from_millis(300)));

    let (status, headers, body) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (429, Some("rate_limit_error"))
    );
    assert_eq!(headers["retry-after"], "3");
    let (status, _, body) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (529, Some("overloaded_error"))
    );
    let (status, _, body) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("api_error"))
    );
    let (status, _, body) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;
    assert_eq!(status, 200);
    assert!(body["content"][0]["input"].get("email").is_none());
    assert!(body["content"][0]["input"].get("summary").is_some());
    let started = std::time::Instant::now();
    let (status, _, _) = send(&fake, KEY, Some(API_VERSION), &draft_request()).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}
