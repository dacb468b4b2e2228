//! A fake Slack Web API on 127.0.0.1, following the shapes in `shared/reference/slack.md`.
//!
//! Tests point the code under test at [`FakeSlack::api_base`] (instead of
//! `https://slack.com/api`) and at [`FakeSlack::response_url`] (instead of
//! `https://hooks.slack.com/...`), then assert on what the fake received. Every call is
//! recorded, including the ones that were refused, so a test can see retries.
//!
//! Auth follows the Web API basics: the token comes from `Authorization: Bearer …` or a `token`
//! parameter; none gives `not_authed`, an unknown one `invalid_auth`, a revoked one
//! `token_revoked`, all with HTTP 200 and `ok: false`; a rotating token past its expiry answers
//! `token_expired`.
//!
//! OAuth (slack.md section 2): `GET /oauth/v2/authorize` serves a consent page
//! ([`FakeSlack::authorize_url`]), [`FakeSlack::authorize`] does the same without a browser, and
//! `oauth.v2.access` exchanges codes and refresh tokens (each single-use) for tokens that become
//! valid tokens of the fake. [`FakeSlack::set_client`] sets the app's credentials,
//! [`FakeSlack::set_oauth`] what an install answers (rotation, org-wide, webhook, ...).

mod consent;
mod methods;
mod oauth;
#[cfg(test)]
mod oauth_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
use crate::http::client as test_client;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use tenant::Secret;

pub use consent::AUTHORIZE;
pub use methods::BotIdentity;
pub use oauth::OAuthSettings;

/// The `method` under which calls to a response_url (any path below `/hooks/`) are recorded
/// and failed.
pub const RESPONSE_URL: &str = "response_url";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// The Web API method (`chat.postMessage`), or [`RESPONSE_URL`] for a response_url post.
    pub method: String,
    /// The request path, e.g. `/api/chat.postMessage` or `/hooks/cmd-1`.
    pub path: String,
    /// The token sent (bearer header, else `token` parameter). Redacted under `Debug`.
    pub token: Option<Secret>,
    /// The arguments: the JSON body, or the form/query parameters as a JSON object of strings.
    /// A `token` parameter is moved to [`RecordedCall::token`] and not kept here.
    pub body: Value,
    pub at: Instant,
}

/// A failure to inject into the next call(s) of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429 with `Retry-After: <secs>` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// This HTTP status with a plain-text body (e.g. 500, 503).
    Status(u16),
    /// HTTP 200 with `{"ok":false,"error":<code>}`, e.g. `channel_not_found`.
    NotOk(&'static str),
    /// The call takes effect (a message is posted), then the answer is this HTTP status: what
    /// a client sees when Slack did the work but the reply was lost (a 5xx from a proxy, or a
    /// timeout) and cannot tell whether anything happened.
    AfterEffect(u16),
}

#[derive(Debug, Clone)]
enum TokenState {
    Active(BotIdentity),
    Revoked,
}

#[derive(Default)]
struct Inner {
    /// `http://127.0.0.1:PORT/`: where issued webhook URLs point.
    base: String,
    tokens: HashMap<String, TokenState>,
    /// When a token stops working (`token_expired`): rotating tokens and refreshed-away ones.
    expires: HashMap<String, Instant>,
    oauth: oauth::OAuthState,
    calls: Vec<RecordedCall>,
    failures: HashMap<String, VecDeque<Failure>>,
    counters: methods::Counters,
    /// Each user's App Home as last published, by (bot token, user id): a Home belongs to one
    /// workspace's install and one user, and the fake's tokens stand for their workspaces.
    homes: HashMap<(String, String), Value>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // A panic in another test thread must not hide the calls from this one.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running fake. Stops when dropped or on [`FakeSlack::shutdown`].
pub struct FakeSlack {
    addr: SocketAddr,
    shared: Shared,
    /// The server, started and stopped like every other fake's ([`crate::server::Running`]).
    server: Option<crate::server::Running>,
}

impl FakeSlack {
    /// Starts the fake on a free loopback port.
    ///
    /// # Panics
    /// If no loopback port can be bound (the test environment is broken); see [`Self::try_start`].
    pub async fn start() -> Self {
        match Self::try_start().await {
            Ok(fake) => fake,
            Err(err) => panic!("fake Slack could not bind 127.0.0.1:0: {err}"),
        }
    }

    /// Starts the fake on a free loopback port.
    pub async fn try_start() -> std::io::Result<Self> {
        let shared: Shared = Arc::default();
        let app = Router::new()
            .route("/api/{method}", post(api).get(api))
            .route("/oauth/v2/authorize", get(consent::page))
            .route("/hooks/{*rest}", post(hook))
            .with_state(shared.clone());
        let server = crate::server::Running::spawn(app, "slack").await?;
        let addr = server.addr();
        // Set before anyone can know the address, so no request sees it empty.
        lock(&shared).base = format!("http://{addr}/");
        Ok(Self {
            addr,
            shared,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT/api`: the Web API base URL (methods are `{base}/{method}`).
    pub fn api_base(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// `http://127.0.0.1:PORT/hooks/`: every URL below it acts as a response_url.
    pub fn response_base(&self) -> String {
        format!("http://{}/hooks/", self.addr)
    }

    /// A response_url named `name` (`{response_base}{name}`); the name shows in
    /// [`RecordedCall::path`].
    pub fn response_url(&self, name: &str) -> String {
        format!("{}{}", self.response_base(), name.trim_start_matches('/'))
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accepts `token` from now on, as a bot of the default [`BotIdentity`].
    pub fn add_token(&self, token: &str) {
        self.add_token_for(token, BotIdentity::default());
    }

    /// Accepts `token` from now on, as the given bot (what `auth.test` answers).
    pub fn add_token_for(&self, token: &str, identity: BotIdentity) {
        lock(&self.shared)
            .tokens
            .insert(token.to_owned(), TokenState::Active(identity));
    }

    /// Adds a workspace member users.info answers for: `tz` an IANA zone (`tz_offset` is what
    /// Slack would report today for it; the fake takes it as given), `is_admin` the role.
    pub fn add_user(&self, user: &str, tz: &str, tz_offset: i64, is_admin: bool) {
        let member = serde_json::json!({
            "id": user,
            "name": user.to_lowercase(),
            "deleted": false,
            "is_admin": is_admin,
            "is_owner": false,
            "is_bot": false,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {"real_name": format!("Member {user}")},
        });
        lock(&self.shared)
            .counters
            .users
            .insert(user.to_owned(), member);
    }

    /// The modal `view_id` as last opened or updated (what the user sees), if any.
    pub fn modal(&self, view_id: &str) -> Option<Value> {
        lock(&self.shared)
            .counters
            .modals
            .get(view_id)
            .map(|(view, _)| view.clone())
    }

    /// The modal `view_id` as last set and its current hash (what a view_submission or a
    /// block_actions from it carries as `view.hash`), if it is open.
    pub fn modal_with_hash(&self, view_id: &str) -> Option<(Value, String)> {
        lock(&self.shared).counters.modals.get(view_id).cloned()
    }

    /// The ids of the modals opened with views.open so far, oldest first (closed ones too).
    pub fn opened_modals(&self) -> Vec<String> {
        lock(&self.shared).counters.opened.clone()
    }

    /// What Slack does when a view_submission is answered `response_action: update`: the
    /// modal becomes `view`, under a fresh hash (returned). `None` if it is not open.
    pub fn replace_modal(&self, view_id: &str, view: Value) -> Option<String> {
        lock(&self.shared).counters.replace_modal(view_id, view)
    }

    /// What Slack does when the user closes a modal, or a submission is answered with an
    /// empty 200 or `response_action: clear`: the view is gone, and a later views.update of
    /// it answers `not_found`.
    pub fn close_modal(&self, view_id: &str) {
        lock(&self.shared).counters.modals.remove(view_id);
    }

    /// The DM channel between the bot and `user` (`D0FAKE…`), opened now if it was not: the
    /// same id chat.postMessage with the user id as channel and conversations.open give.
    pub fn dm_channel(&self, user: &str) -> String {
        lock(&self.shared).counters.dm_channel(user)
    }

    /// The messages posted in `channel` so far, oldest first, each as it is now: a message
    /// changed with chat.update shows its latest text and blocks.
    pub fn messages(&self, channel: &str) -> Vec<Value> {
        lock(&self.shared).counters.messages_in(channel)
    }

    /// The App Home `user` sees in the workspace of bot token `token`: the view last published
    /// for them with views.publish (as sent), if any. Another workspace's Home, or another
    /// user's, is not it.
    pub fn home(&self, token: &str, user: &str) -> Option<Value> {
        lock(&self.shared)
            .homes
            .get(&(token.to_owned(), user.to_owned()))
            .cloned()
    }

    /// The ephemeral messages chat.postEphemeral showed `user`, oldest first: each with its
    /// `channel`, `user`, `text`, and `thread_ts` and `blocks` when given. Slack keeps none of
    /// them (slack-ui.md §5.3); the fake keeps them so tests can see who saw what.
    pub fn ephemerals(&self, user: &str) -> Vec<Value> {
        lock(&self.shared).counters.ephemerals_for(user)
    }

    /// The id of the modal views.open created last.
    pub fn last_opened_modal(&self) -> Option<String> {
        lock(&self.shared).counters.opened.last().cloned()
    }

    /// Makes `token` answer `token_revoked` from now on.
    pub fn revoke_token(&self, token: &str) {
        lock(&self.shared)
            .tokens
            .insert(token.to_owned(), TokenState::Revoked);
    }

    /// The app's OAuth credentials: `oauth.v2.access` checks them (Basic auth or parameters),
    /// the authorize step checks the client id.
    pub fn set_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.shared)
            .oauth
            .set_client(client_id, client_secret);
    }

    /// What installs answer from now on.
    pub fn set_oauth(&self, settings: OAuthSettings) {
        lock(&self.shared).oauth.settings = settings;
    }

    /// What installs answer now.
    pub fn oauth_settings(&self) -> OAuthSettings {
        lock(&self.shared).oauth.settings.clone()
    }

    /// `http://127.0.0.1:PORT/oauth/v2/authorize`: Slack's authorize URL, for `SLACK_AUTHORIZE_URL`.
    pub fn authorize_url(&self) -> String {
        format!("http://{}/oauth/v2/authorize", self.addr)
    }

    /// The "Allow" of the consent page without a browser: takes the full authorize URL the app
    /// sent the user to and returns the redirect back to the app (`redirect_uri?code=…&state=…`),
    /// or the error code the page would show (`invalid_client_id`, `bad_redirect_uri`,
    /// `invalid_scope`).
    pub fn authorize(&self, authorize_url: &str) -> Result<String, String> {
        let url = url::Url::parse(authorize_url).map_err(|_| "invalid_url".to_owned())?;
        let params: Map<String, Value> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        oauth::authorize(&mut lock(&self.shared), &params).map_err(str::to_owned)
    }

    /// How many `oauth.v2.access` calls with `grant_type=refresh_token` arrived (refused ones
    /// included).
    pub fn refresh_calls(&self) -> usize {
        lock(&self.shared).oauth.refresh_calls
    }

    /// How many code exchanges (`grant_type=authorization_code`) arrived.
    pub fn exchange_calls(&self) -> usize {
        lock(&self.shared).oauth.exchange_calls
    }

    /// Accepts the rotating bot token `token` (for `identity`) until `expires_in` from now, and
    /// `refresh` once as its refresh token: how a test seeds a tenant installed with rotation
    /// on without going through the install.
    pub fn add_rotating_token(
        &self,
        token: &str,
        refresh: &str,
        identity: BotIdentity,
        expires_in: Duration,
    ) {
        let mut inner = lock(&self.shared);
        oauth::register_rotating(&mut inner, token, refresh, &identity, None, &[], expires_in);
    }

    /// Fails the next call of `method` (a Web API method or [`RESPONSE_URL`]) with `failure`.
    /// Repeated calls queue further failures, used in order.
    pub fn fail_next(&self, method: &str, failure: Failure) {
        self.fail_next_n(method, 1, failure);
    }

    /// Fails the next `n` calls of `method` with `failure`.
    pub fn fail_next_n(&self, method: &str, n: usize, failure: Failure) {
        let mut inner = lock(&self.shared);
        let queue = inner.failures.entry(method.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(failure, n));
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.shared).calls.clone()
    }

    /// The calls of one method (or [`RESPONSE_URL`]), in order.
    pub fn calls_to(&self, method: &str) -> Vec<RecordedCall> {
        lock(&self.shared)
            .calls
            .iter()
            .filter(|call| call.method == method)
            .cloned()
            .collect()
    }

    /// Forgets the calls recorded so far (tokens and queued failures stay).
    pub fn clear_calls(&self) {
        lock(&self.shared).calls.clear();
    }

    /// Waits until `method` was called at least `count` times or `timeout` passed, and returns
    /// its calls either way, so the test asserts on what actually arrived.
    pub async fn wait_for(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<RecordedCall> {
        let deadline = Instant::now() + timeout;
        loop {
            let calls = self.calls_to(method);
            if calls.len() >= count || Instant::now() >= deadline {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the server and waits (briefly) for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// `/api/{method}`: record, inject failures, check the token, answer.
async fn api(
    State(shared): State<Shared>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = parse_params(&uri, &headers, &body);
    let (mut params, parse_error) = match parsed {
        Ok(params) => (params, None),
        Err(code) => (Map::new(), Some(code)),
    };
    let param_token = params
        .remove("token")
        .and_then(|t| t.as_str().map(str::to_owned));
    let token = bearer(&headers).or(param_token);

    let mut inner = lock(&shared);
    inner.calls.push(RecordedCall {
        method: method.clone(),
        path: uri.path().to_owned(),
        token: token.as_deref().map(Secret::from),
        body: Value::Object(params.clone()),
        at: Instant::now(),
    });
    let mut lost_answer = None;
    match take_failure(&mut inner, &method) {
        Some(Failure::AfterEffect(status)) => lost_answer = Some(Failure::Status(status)),
        Some(failure) => return failure_response(&failure),
        None => {}
    }
    if let Some(code) = parse_error {
        return not_ok(code);
    }
    // oauth.v2.access authenticates the app (client id/secret), not a token.
    if method == "oauth.v2.access" {
        return axum::Json(oauth::access(&mut inner, &headers, &params)).into_response();
    }
    let identity = match token.as_deref().map(|t| inner.tokens.get(t)) {
        None => return not_ok("not_authed"),
        Some(None) => return not_ok("invalid_auth"),
        Some(Some(TokenState::Revoked)) => return not_ok("token_revoked"),
        Some(Some(TokenState::Active(identity))) => identity.clone(),
    };
    let expired = token
        .as_deref()
        .and_then(|t| inner.expires.get(t))
        .is_some_and(|end| Instant::now() >= *end);
    if expired {
        return not_ok("token_expired");
    }
    let answer = methods::call(&method, &params, &identity, &mut inner.counters);
    if method == "views.publish" && answer["ok"] == true {
        record_home(&mut inner, token.as_deref().unwrap_or_default(), &params);
    }
    match lost_answer {
        Some(failure) => failure_response(&failure),
        None => axum::Json(answer).into_response(),
    }
}

/// `/hooks/*`: a response_url. It takes no token; the URL itself is the credential.
async fn hook(
    State(shared): State<Shared>,
    Path(_rest): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = parse_params(&uri, &headers, &body);
    let mut inner = lock(&shared);
    inner.calls.push(RecordedCall {
        method: RESPONSE_URL.to_owned(),
        path: uri.path().to_owned(),
        token: bearer(&headers).as_deref().map(Secret::from),
        body: Value::Object(parsed.clone().unwrap_or_default()),
        at: Instant::now(),
    });
    if let Some(failure) = take_failure(&mut inner, RESPONSE_URL) {
        return failure_response(&failure);
    }
    match parsed {
        // UNCONFIRMED: slack.md does not give the response_url answer body; Slack is commonly
        // observed to answer `{"ok":true}` here, and clients should rely only on the 200.
        Ok(_) => axum::Json(json!({"ok": true})).into_response(),
        Err(code) => (StatusCode::BAD_REQUEST, code).into_response(),
    }
}

/// A published Home view, kept per (token, user) as the `view` argument was sent.
fn record_home(inner: &mut Inner, token: &str, params: &Map<String, Value>) {
    let user = params.get("user_id").and_then(Value::as_str).unwrap_or("");
    let view = match params.get("view") {
        Some(Value::String(raw)) => serde_json::from_str(raw).unwrap_or(Value::Null),
        Some(view) => view.clone(),
        None => Value::Null,
    };
    inner
        .homes
        .insert((token.to_owned(), user.to_owned()), view);
}

fn take_failure(inner: &mut Inner, method: &str) -> Option<Failure> {
    inner.failures.get_mut(method).and_then(VecDeque::pop_front)
}

fn not_ok(code: &str) -> Response {
    axum::Json(json!({"ok": false, "error": code})).into_response()
}

fn failure_response(failure: &Failure) -> Response {
    match failure {
        Failure::RateLimited { retry_after_secs } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        Failure::Status(code) | Failure::AfterEffect(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, "fake Slack: injected failure").into_response()
        }
        Failure::NotOk(code) => not_ok(code),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    (!token.trim().is_empty()).then(|| token.trim().to_owned())
}

/// The call's arguments: query parameters, overlaid by a JSON or form body. A body that does
/// not parse gives Slack's `invalid_json` / `invalid_form_data`.
fn parse_params(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, &'static str> {
    let mut params = Map::new();
    if let Some(query) = uri.query() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|_| "invalid_arguments")?;
        params.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    if body.is_empty() {
        return Ok(params);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => params.extend(object),
            _ => return Err("invalid_json"),
        }
    } else {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| "invalid_form_data")?;
        params.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    Ok(params)
}
