//! OAuthClient and WebApi::auth_test against a local fake of oauth.v2.access and auth.test
//! (slack.md 2.2, 2.3, 2.5) on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;
use slack::{OAuthClient, SlackApiError, WebApi};
use tenant::Secret;
use tokio::sync::oneshot;

const CLIENT_ID: &str = "3336676.569200954261";
const CLIENT_SECRET: &str = "oauth-client-secret-123";

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: Option<String>,
    authorization: Option<String>,
    content_type: Option<String>,
    form: Vec<(String, String)>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

struct Fake {
    addr: SocketAddr,
    seen: Log,
    stop: Option<oneshot::Sender<()>>,
}

impl Fake {
    async fn start() -> Self {
        let seen = Log::default();
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

    fn base(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    fn client(&self) -> OAuthClient {
        OAuthClient::new(&self.base(), CLIENT_ID, Secret::new(CLIENT_SECRET)).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Behaviour is picked by the code / refresh token / bearer token the test sends.
async fn handle(State(seen): State<Log>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    seen.lock().unwrap().push(Seen {
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorization: authorization.clone(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form: form.clone(),
    });
    if uri.path() == "/api/auth.test" {
        return axum::Json(json!({
            "ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "bot",
            "team_id": "T0ACME", "user_id": "U0BOT", "bot_id": "B0BOT",
            "enterprise_id": "", "is_enterprise_install": false
        }))
        .into_response();
    }
    let code = get("code").unwrap_or_default();
    let refresh = get("refresh_token").unwrap_or_default();
    match (code.as_str(), refresh.as_str()) {
        ("rate", _) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7")],
            "{}",
        )
            .into_response(),
        ("boom", _) => (StatusCode::BAD_GATEWAY, "upstream").into_response(),
        ("garbled", _) => "not json".into_response(),
        ("bad", _) => axum::Json(json!({"ok": false, "error": "invalid_code"})).into_response(),
        ("good", _) => axum::Json(json!({
            "ok": true, "access_token": "xoxb-new-bot", "token_type": "bot",
            "scope": "commands,chat:write", "bot_user_id": "U0BOT", "app_id": "A0APP",
            "team": {"id": "T0ACME", "name": "Acme"}, "enterprise": null,
            "is_enterprise_install": false,
            "authed_user": {"id": "U0INSTALL", "scope": "", "token_type": "user"}
        }))
        .into_response(),
        (_, "xoxe-1-used") => {
            axum::Json(json!({"ok": false, "error": "invalid_refresh_token"})).into_response()
        }
        (_, _) => axum::Json(json!({
            "ok": true, "access_token": "xoxe.xoxb-1-next", "token_type": "bot",
            "scope": "commands", "bot_user_id": "U0BOT", "app_id": "A0APP",
            "expires_in": 43200, "refresh_token": "xoxe-1-next",
            "team": {"id": "T0ACME", "name": "Acme"}, "enterprise": null
        }))
        .into_response(),
    }
}

fn form_value(seen: &Seen, key: &str) -> Option<String> {
    seen.form
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn exchange_code_posts_the_code_as_a_form_with_basic_auth() {
    let fake = Fake::start().await;
    let access = fake
        .client()
        .exchange_code("good", Some("https://app.example/slack/oauth_redirect"))
        .await
        .unwrap();
    assert_eq!(access.access_token.unwrap().expose(), "xoxb-new-bot");
    assert_eq!(access.scope, ["commands", "chat:write"]);
    assert_eq!(access.team.unwrap().name.as_deref(), Some("Acme"));
    assert!(access.enterprise.is_none());
    assert_eq!(access.authed_user.unwrap().id.as_str(), "U0INSTALL");

    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let call = &seen[0];
    assert_eq!(call.path, "/api/oauth.v2.access");
    assert_eq!(call.query, None, "nothing secret goes in the URL");
    assert_eq!(
        call.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert_eq!(call.authorization, Some(format!("Basic {basic}")));
    assert_eq!(
        form_value(call, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(form_value(call, "code").as_deref(), Some("good"));
    assert_eq!(
        form_value(call, "redirect_uri").as_deref(),
        Some("https://app.example/slack/oauth_redirect")
    );
    assert_eq!(
        form_value(call, "client_secret"),
        None,
        "the secret travels only in the Basic header"
    );
}

#[tokio::test]
async fn exchange_without_redirect_uri_sends_none() {
    let fake = Fake::start().await;
    fake.client().exchange_code("good", None).await.unwrap();
    assert_eq!(form_value(&fake.seen()[0], "redirect_uri"), None);
}

#[tokio::test]
async fn invalid_code_is_a_permanent_api_error() {
    let fake = Fake::start().await;
    let err = fake.client().exchange_code("bad", None).await.unwrap_err();
    assert!(matches!(&err, SlackApiError::Api { error } if error == "invalid_code"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_returns_the_new_pair() {
    let fake = Fake::start().await;
    let access = fake
        .client()
        .refresh(&Secret::new("xoxe-1-current"))
        .await
        .unwrap();
    assert_eq!(access.access_token.unwrap().expose(), "xoxe.xoxb-1-next");
    assert_eq!(access.refresh_token.unwrap().expose(), "xoxe-1-next");
    assert_eq!(access.expires_in, Some(43200));
    let call = &fake.seen()[0];
    assert_eq!(
        form_value(call, "grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        form_value(call, "refresh_token").as_deref(),
        Some("xoxe-1-current")
    );
    assert_eq!(form_value(call, "code"), None);
}

#[tokio::test]
async fn a_used_refresh_token_is_an_api_error() {
    let fake = Fake::start().await;
    let err = fake
        .client()
        .refresh(&Secret::new("xoxe-1-used"))
        .await
        .unwrap_err();
    assert!(matches!(&err, SlackApiError::Api { error } if error == "invalid_refresh_token"));
}

#[tokio::test]
async fn rate_limits_server_errors_and_garbage_are_classified() {
    let fake = Fake::start().await;
    let client = fake.client();
    let err = client.exchange_code("rate", None).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
    let err = client.exchange_code("boom", None).await.unwrap_err();
    assert!(matches!(err, SlackApiError::Server { status: 502 }));
    assert!(err.is_retryable());
    let err = client.exchange_code("garbled", None).await.unwrap_err();
    assert!(matches!(err, SlackApiError::Decode(_)));
}

#[tokio::test]
async fn errors_never_show_the_client_secret_or_tokens() {
    // Nothing listens on this port once the listener is dropped: a transport error.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = OAuthClient::new(
        &format!("http://127.0.0.1:{port}/api"),
        CLIENT_ID,
        Secret::new(CLIENT_SECRET),
    )
    .unwrap();
    let err = client
        .refresh(&Secret::new("xoxe-1-refresh-secret"))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert!(!shown.contains("refresh-secret"), "{shown}");
}

#[tokio::test]
async fn auth_test_returns_the_bot_id_and_drops_empty_ids() {
    let fake = Fake::start().await;
    let api = WebApi::new(&fake.base(), &format!("http://{}/hooks/", fake.addr)).unwrap();
    let who = api.auth_test(&Secret::new("xoxb-new-bot")).await.unwrap();
    assert_eq!(who.bot_id.unwrap().as_str(), "B0BOT");
    assert_eq!(who.user_id.unwrap().as_str(), "U0BOT");
    assert_eq!(who.team_id.unwrap().as_str(), "T0ACME");
    assert_eq!(who.enterprise_id, None);
    assert_eq!(who.url.as_deref(), Some("https://acme.slack.com/"));
    let call = &fake.seen()[0];
    assert_eq!(call.authorization.as_deref(), Some("Bearer xoxb-new-bot"));
}
