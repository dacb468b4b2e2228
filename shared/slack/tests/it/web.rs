//! WebApi against a local fake of the Slack Web API (slack.md section 5) on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use slack::web::{AuthError, Message, ResponseMessage, ResponseType, SlackApiError, WebApi};
use tenant::{ChannelId, Secret, UserId};
use tokio::sync::oneshot;

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// A fake Slack whose behaviour is chosen by the bearer token (API) or the path (hooks).
struct FakeSlack {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl FakeSlack {
    async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(handle).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            addr,
            seen,
            stop: Some(stop),
        }
    }

    fn api(&self) -> WebApi {
        WebApi::new(&self.api_base(), &self.hooks_base()).unwrap()
    }

    fn api_base(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    fn hooks_base(&self) -> String {
        format!("http://{}/hooks/", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn handle(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let path = uri.path().to_owned();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        authorization: authorization.clone(),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });

    if let Some(hook) = path.strip_prefix("/hooks/") {
        return match hook.split('/').next() {
            Some("expired") => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"ok": false, "error": "expired_url"})),
            )
                .into_response(),
            Some("gone") => StatusCode::GONE.into_response(),
            _ => (StatusCode::OK, "ok").into_response(),
        };
    }

    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or("");
    match token {
        "xoxb-429" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")]).into_response(),
        "xoxb-429-bare" => StatusCode::TOO_MANY_REQUESTS.into_response(),
        "xoxb-429-garbled" => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "soon")]).into_response()
        }
        "xoxb-500" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        "xoxb-503" => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        "xoxb-html" => (StatusCode::OK, "<html>").into_response(),
        "xoxb-slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            axum::Json(json!({"ok": true})).into_response()
        }
        t if t.starts_with("xoxb-err-") => {
            axum::Json(json!({"ok": false, "error": &t["xoxb-err-".len()..]})).into_response()
        }
        "xoxb-good" => axum::Json(success_for(&path)).into_response(),
        _ => axum::Json(json!({"ok": false, "error": "not_authed"})).into_response(),
    }
}

/// Documented success replies (slack.md 5.2, 5.4).
fn success_for(path: &str) -> Value {
    match path {
        "/api/chat.postMessage" => json!({
            "ok": true, "channel": "C123ABC456", "ts": "1503435956.000247",
            "message": {"text": "Here's a message for you", "type": "message", "subtype": "bot_message",
                        "bot_id": "B123ABC456", "ts": "1503435956.000247"}
        }),
        "/api/chat.update" => {
            json!({"ok": true, "channel": "C123ABC456", "ts": "1503435956.000247", "text": "new"})
        }
        "/api/chat.postEphemeral" => json!({"ok": true, "message_ts": "1502210682.580145"}),
        "/api/conversations.open" => json!({"channel": {"id": "D069C7QFK"}, "ok": true}),
        "/api/views.publish" => json!({"ok": true, "view": {"id": "V1"}}),
        _ => json!({"ok": false, "error": "unknown_method"}),
    }
}

fn msg(channel: &str) -> Message {
    Message {
        channel: Some(ChannelId::parse(channel).unwrap()),
        text: "Summary ready".into(),
        blocks: Some(json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}])),
        thread_ts: Some("1.2".into()),
        ..Message::default()
    }
}

#[tokio::test]
async fn post_message_sends_bearer_json_and_returns_where_it_landed() {
    let fake = FakeSlack::start().await;
    let posted = fake
        .api()
        .post_message(&Secret::new("xoxb-good"), &msg("C123ABC456"))
        .await
        .unwrap();
    assert_eq!(posted.channel.as_str(), "C123ABC456");
    assert_eq!(posted.ts, "1503435956.000247");

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/api/chat.postMessage");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer xoxb-good"));
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(seen[0].body["channel"], "C123ABC456");
    assert_eq!(seen[0].body["text"], "Summary ready");
    assert_eq!(seen[0].body["thread_ts"], "1.2");
    assert_eq!(seen[0].body["blocks"][0]["type"], "section");
}

#[tokio::test]
async fn post_message_without_channel_is_refused_before_any_request() {
    let fake = FakeSlack::start().await;
    let err = fake
        .api()
        .post_message(&Secret::new("xoxb-good"), &Message::default())
        .await
        .unwrap_err();
    assert!(matches!(err, SlackApiError::InvalidRequest(_)), "{err:?}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn other_methods_send_their_documented_bodies() {
    let fake = FakeSlack::start().await;
    let api = fake.api();
    let token = Secret::new("xoxb-good");
    let user = UserId::parse("U123").unwrap();
    let channel = ChannelId::parse("C123ABC456").unwrap();

    api.post_ephemeral(&token, &channel, &user, &msg("C999"))
        .await
        .unwrap();
    let updated = api
        .update(&token, &channel, "1503435956.000247", &msg("C999"))
        .await
        .unwrap();
    assert_eq!(updated.ts, "1503435956.000247");
    let dm = api.open_dm(&token, &user).await.unwrap();
    assert_eq!(dm.as_str(), "D069C7QFK");
    api.publish_home(&token, &user, &json!({"type": "home", "blocks": []}))
        .await
        .unwrap();

    let seen = fake.seen();
    let paths: Vec<_> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/chat.postEphemeral",
            "/api/chat.update",
            "/api/conversations.open",
            "/api/views.publish"
        ]
    );
    // The explicit channel argument wins over msg.channel.
    assert_eq!(seen[0].body["channel"], "C123ABC456");
    assert_eq!(seen[0].body["user"], "U123");
    assert_eq!(seen[1].body["ts"], "1503435956.000247");
    assert_eq!(seen[2].body, json!({"users": "U123"}));
    assert_eq!(seen[3].body["user_id"], "U123");
    assert_eq!(seen[3].body["view"]["type"], "home");
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer xoxb-good"))
    );
}

#[tokio::test]
async fn http_429_is_rate_limited_with_retry_after() {
    let fake = FakeSlack::start().await;
    let api = fake.api();
    let cases = [
        ("xoxb-429", 30),
        ("xoxb-429-bare", 1),
        ("xoxb-429-garbled", 1),
    ];
    for (token, secs) in cases {
        let err = api
            .post_message(&Secret::new(token), &msg("C1"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SlackApiError::RateLimited { retry_after } if retry_after == Duration::from_secs(secs)),
            "{token}: {err:?}"
        );
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(secs)));
    }
}

#[tokio::test]
async fn http_5xx_is_a_retryable_server_error() {
    let fake = FakeSlack::start().await;
    for (token, status) in [("xoxb-500", 500), ("xoxb-503", 503)] {
        let err = fake
            .api()
            .post_message(&Secret::new(token), &msg("C1"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SlackApiError::Server { status: s } if s == status),
            "{err:?}"
        );
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), None);
    }
}

#[tokio::test]
async fn each_auth_error_code_is_distinguishable_and_permanent() {
    let fake = FakeSlack::start().await;
    let cases = [
        ("invalid_auth", AuthError::InvalidAuth),
        ("not_authed", AuthError::NotAuthed),
        ("token_revoked", AuthError::TokenRevoked),
        ("token_expired", AuthError::TokenExpired),
        ("account_inactive", AuthError::AccountInactive),
    ];
    for (code, expected) in cases {
        let token = Secret::new(format!("xoxb-err-{code}"));
        let err = fake
            .api()
            .post_message(&token, &msg("C1"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SlackApiError::Auth(a) if a == expected),
            "{code}: {err:?}"
        );
        assert!(!err.is_retryable(), "{code}");
        assert!(!err.to_string().contains("xoxb"), "{err}");
    }
}

#[tokio::test]
async fn other_error_codes_are_api_errors() {
    let fake = FakeSlack::start().await;
    let err = fake
        .api()
        .post_message(&Secret::new("xoxb-err-channel_not_found"), &msg("C1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SlackApiError::Api { error } if error == "channel_not_found"),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let transient = fake
        .api()
        .post_message(&Secret::new("xoxb-err-ratelimited"), &msg("C1"))
        .await
        .unwrap_err();
    assert!(transient.is_retryable(), "{transient:?}");
}

#[tokio::test]
async fn non_json_reply_is_a_decode_error() {
    let fake = FakeSlack::start().await;
    let err = fake
        .api()
        .post_message(&Secret::new("xoxb-html"), &msg("C1"))
        .await
        .unwrap_err();
    assert!(matches!(err, SlackApiError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn slow_slack_is_a_timeout() {
    let fake = FakeSlack::start().await;
    let api = WebApi::with_timeout(
        &fake.api_base(),
        &fake.hooks_base(),
        Duration::from_millis(200),
    )
    .unwrap();
    let err = api
        .post_message(&Secret::new("xoxb-slow"), &msg("C1"))
        .await
        .unwrap_err();
    assert!(matches!(err, SlackApiError::Timeout), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn respond_posts_json_to_an_allowed_response_url_without_a_token() {
    let fake = FakeSlack::start().await;
    let url = format!("{}commands/T1/123/capability", fake.hooks_base());
    let reply = ResponseMessage {
        text: "Working on it".into(),
        response_type: ResponseType::InChannel,
        replace_original: false,
        blocks: None,
    };
    fake.api().respond(&url, &reply).await.unwrap();
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/hooks/commands/T1/123/capability");
    assert_eq!(seen[0].authorization, None);
    assert_eq!(
        seen[0].body,
        json!({"text": "Working on it", "response_type": "in_channel", "replace_original": false})
    );
}

#[tokio::test]
async fn respond_reports_expired_urls_by_code() {
    let fake = FakeSlack::start().await;
    let api = fake.api();
    let reply = ResponseMessage::default();
    let err = api
        .respond(&format!("{}expired/1", fake.hooks_base()), &reply)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SlackApiError::Api { error } if error == "expired_url"),
        "{err:?}"
    );
    let err = api
        .respond(&format!("{}gone/1", fake.hooks_base()), &reply)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SlackApiError::Api { error } if error == "http_410"),
        "{err:?}"
    );
}

#[tokio::test]
async fn respond_refuses_urls_outside_the_response_base() {
    let fake = FakeSlack::start().await;
    let api = fake.api();
    let base = fake.hooks_base();
    let host = fake.addr.to_string();
    let refused = [
        format!("http://{host}/api/chat.postMessage"),
        format!("http://{host}/hooksX/a"),
        format!("http://{host}/hooks"),
        format!("https://{host}/hooks/a"),
        format!("http://user@{host}/hooks/a"),
        format!("http://{host}.evil.example/hooks/a"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "not a url".to_owned(),
        String::new(),
    ];
    for url in &refused {
        let err = api
            .respond(url, &ResponseMessage::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, SlackApiError::ResponseUrlNotAllowed),
            "{url}: {err:?}"
        );
        assert!(!err.is_retryable());
    }
    assert!(fake.seen().is_empty(), "a refused URL was requested");
    // Sanity: the base itself plus a path is allowed.
    api.respond(&format!("{base}ok"), &ResponseMessage::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn transport_errors_never_show_the_response_url_or_token() {
    // Bind then drop a listener: the port is (almost certainly) closed.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let api = WebApi::new(
        &format!("http://{closed}/api"),
        &format!("http://{closed}/hooks/"),
    )
    .unwrap();

    let err = api
        .respond(
            &format!("http://{closed}/hooks/commands/T1/1/SECRETCAPABILITY"),
            &ResponseMessage::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SlackApiError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        shown.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(!shown.contains("SECRETCAPABILITY"), "{shown}");

    let err = api
        .post_message(&Secret::new("xoxb-SECRETTOKEN"), &msg("C1"))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("SECRETTOKEN"), "{shown}");
}

#[test]
fn bad_base_urls_are_rejected() {
    assert!(WebApi::new("not a url", "https://hooks.slack.com/").is_err());
    assert!(WebApi::new("https://slack.com/api", "mailto:x@example.com").is_err());
    assert!(WebApi::new("https://slack.com/api", "https://hooks.slack.com/").is_ok());
}
