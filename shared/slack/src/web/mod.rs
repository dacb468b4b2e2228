//! Slack Web API client (slack.md section 5) and `response_url` replies.
//!
//! Built once per cold start. Tokens travel only in the `Authorization` header (marked
//! sensitive), never in URLs, so no URL a reqwest error prints can hold one. `response_url`s
//! are capabilities, so `respond` only posts under the configured base and strips the URL from
//! any transport error.

mod error;
mod history;
mod types;
mod users;
mod views;

use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tenant::{ChannelId, Secret, UserId};
use url::Url;

pub use error::{AuthError, SlackApiError};
pub use types::{AuthTest, Message, MessageMetadata, Posted, ResponseMessage, ResponseType};
use types::{Envelope, EphemeralBody, Ignored, OpenBody, Opened, PublishBody, UpdateBody};
pub use users::UserInfo;
pub use views::ViewRef;

/// Slack's production Web API base.
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";
/// Where Slack's `response_url`s live.
pub const DEFAULT_RESPONSE_URL_BASE: &str = "https://hooks.slack.com/";
/// Whole-request timeout: well inside a worker invocation, long enough for a slow Slack.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Used when a 429 has no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// The Web API client. Cheap to share (`reqwest::Client` is reference counted inside).
#[derive(Debug, Clone)]
pub struct WebApi {
    http: reqwest::Client,
    /// Always ends with `/`, so `join("chat.postMessage")` appends.
    api_base: Url,
    /// Always ends with `/`, so a path-prefix check cannot match `/commandsX` for `/commands`.
    response_base: Url,
}

impl WebApi {
    /// A client for `api_base` (e.g. [`DEFAULT_API_BASE`] or a local fake) that only posts
    /// `respond` replies under `response_url_base` (e.g. [`DEFAULT_RESPONSE_URL_BASE`]).
    pub fn new(api_base: &str, response_url_base: &str) -> Result<Self, SlackApiError> {
        Self::with_timeout(api_base, response_url_base, DEFAULT_TIMEOUT)
    }

    /// As [`WebApi::new`], with a whole-request timeout of `timeout`.
    pub fn with_timeout(
        api_base: &str,
        response_url_base: &str,
        timeout: Duration,
    ) -> Result<Self, SlackApiError> {
        Ok(Self {
            http: http_client(timeout)?,
            api_base: base_url(api_base, "invalid Slack API base URL")?,
            response_base: base_url(response_url_base, "invalid response_url base")?,
        })
    }

    /// chat.postMessage. `msg.channel` is required.
    #[tracing::instrument(skip_all, fields(method = "chat.postMessage"))]
    pub async fn post_message(
        &self,
        token: &Secret,
        msg: &Message,
    ) -> Result<Posted, SlackApiError> {
        if msg.channel.is_none() {
            return Err(SlackApiError::InvalidRequest(
                "chat.postMessage needs a channel",
            ));
        }
        self.call("chat.postMessage", token, msg).await
    }

    /// chat.postEphemeral: `msg` shown to `user` only, in `channel`.
    #[tracing::instrument(skip_all, fields(method = "chat.postEphemeral"))]
    pub async fn post_ephemeral(
        &self,
        token: &Secret,
        channel: &ChannelId,
        user: &UserId,
        msg: &Message,
    ) -> Result<(), SlackApiError> {
        let body = EphemeralBody {
            channel,
            user,
            text: &msg.text,
            blocks: msg.blocks.as_ref(),
            thread_ts: msg.thread_ts.as_deref(),
        };
        self.call::<Ignored>("chat.postEphemeral", token, &body)
            .await
            .map(|_| ())
    }

    /// chat.update of the message at `ts` in `channel`.
    #[tracing::instrument(skip_all, fields(method = "chat.update"))]
    pub async fn update(
        &self,
        token: &Secret,
        channel: &ChannelId,
        ts: &str,
        msg: &Message,
    ) -> Result<Posted, SlackApiError> {
        let body = UpdateBody {
            channel,
            ts,
            text: &msg.text,
            blocks: msg.blocks.as_ref(),
        };
        self.call("chat.update", token, &body).await
    }

    /// conversations.open: the id of the bot's DM with `user`.
    #[tracing::instrument(skip_all, fields(method = "conversations.open"))]
    pub async fn open_dm(&self, token: &Secret, user: &UserId) -> Result<ChannelId, SlackApiError> {
        let opened: Opened = self
            .call(
                "conversations.open",
                token,
                &OpenBody {
                    users: user.as_str(),
                },
            )
            .await?;
        Ok(opened.channel.id)
    }

    /// views.publish: set `user`'s App Home to `view`.
    #[tracing::instrument(skip_all, fields(method = "views.publish"))]
    pub async fn publish_home(
        &self,
        token: &Secret,
        user: &UserId,
        view: &serde_json::Value,
    ) -> Result<(), SlackApiError> {
        self.call::<Ignored>(
            "views.publish",
            token,
            &PublishBody {
                user_id: user,
                view,
            },
        )
        .await
        .map(|_| ())
    }

    /// auth.test: who `token` belongs to. Install calls it once with a new bot token to learn
    /// the `bot_id` (oauth.v2.access does not return it); never per request.
    #[tracing::instrument(skip_all, fields(method = "auth.test"))]
    pub async fn auth_test(&self, token: &Secret) -> Result<AuthTest, SlackApiError> {
        self.call("auth.test", token, &serde_json::Map::new()).await
    }

    /// Posts `reply` to a `response_url` Slack gave us. Refuses any URL outside the configured
    /// base ([`SlackApiError::ResponseUrlNotAllowed`]) so a forged payload cannot make the
    /// worker POST elsewhere.
    #[tracing::instrument(skip_all, fields(method = "response_url"))]
    pub async fn respond(
        &self,
        response_url: &str,
        reply: &ResponseMessage,
    ) -> Result<(), SlackApiError> {
        let url = self.allowed_response_url(response_url)?;
        let body = serde_json::to_vec(reply).map_err(SlackApiError::Decode)?;
        let response = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, JSON_UTF8)
            .body(body)
            .send()
            .await
            // The URL is a capability: never let it reach an error message.
            .map_err(|e| transport(e.without_url()))?;
        let status = response.status();
        if let Some(err) = status_error(status, response.headers()) {
            return Err(err);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(e.without_url()))?;
        if status.is_success() {
            // Slack answers `ok` (text) or `{"ok":true}` (reply body unconfirmed in slack.md);
            // only an explicit ok:false is an error.
            return match serde_json::from_slice::<Envelope>(&bytes) {
                Ok(Envelope { ok: false, error }) => Err(SlackApiError::Api {
                    error: error.unwrap_or_else(|| "unknown_error".to_owned()),
                }),
                _ => Ok(()),
            };
        }
        // 4xx such as 404 `expired_url` / `used_url`: name the code when Slack gave one.
        // Unconfirmed shape: slack.md documents the 5-uses/30-minutes limit but not the error
        // reply, so both a JSON `error` and a bare status are handled.
        let code = serde_json::from_slice::<Envelope>(&bytes)
            .ok()
            .and_then(|e| e.error)
            .unwrap_or_else(|| format!("http_{}", status.as_u16()));
        Err(SlackApiError::Api { error: code })
    }

    fn allowed_response_url(&self, raw: &str) -> Result<Url, SlackApiError> {
        let url = Url::parse(raw).map_err(|_| SlackApiError::ResponseUrlNotAllowed)?;
        // Compare parsed components, not strings: `https://hooks.slack.com@evil.example/` and
        // `https://hooks.slack.com.evil.example/` must both fail.
        let allowed = url.scheme() == self.response_base.scheme()
            && url.host() == self.response_base.host()
            && url.port_or_known_default() == self.response_base.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path().starts_with(self.response_base.path());
        if allowed {
            Ok(url)
        } else {
            Err(SlackApiError::ResponseUrlNotAllowed)
        }
    }

    /// POSTs `body` as JSON to `method` with the bearer token and decodes the reply.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        token: &Secret,
        body: &impl Serialize,
    ) -> Result<T, SlackApiError> {
        let (url, auth) = self.method_url(method, token)?;
        let body = serde_json::to_vec(body).map_err(SlackApiError::Decode)?;
        let request = self
            .http
            .post(url)
            .header(header::AUTHORIZATION, auth)
            .header(header::CONTENT_TYPE, JSON_UTF8)
            .body(body);
        Self::finish(request).await
    }

    /// GETs `method` with `query` and the bearer token (the read methods slack-ui.md lists as
    /// GET, such as conversations.history) and decodes the reply.
    async fn call_get<T: DeserializeOwned>(
        &self,
        method: &str,
        token: &Secret,
        query: &[(&str, &str)],
    ) -> Result<T, SlackApiError> {
        let (mut url, auth) = self.method_url(method, token)?;
        url.query_pairs_mut().extend_pairs(query);
        let request = self.http.get(url).header(header::AUTHORIZATION, auth);
        Self::finish(request).await
    }

    /// The URL of `method` and the bearer header for `token` (marked sensitive).
    fn method_url(
        &self,
        method: &str,
        token: &Secret,
    ) -> Result<(Url, HeaderValue), SlackApiError> {
        let url = self
            .api_base
            .join(method)
            .map_err(|_| SlackApiError::InvalidRequest("invalid method name"))?;
        let mut auth = HeaderValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| SlackApiError::InvalidRequest("token is not a valid header value"))?;
        auth.set_sensitive(true);
        Ok((url, auth))
    }

    /// Sends a Web API request and decodes its envelope: 429/5xx first, then `ok:false`.
    async fn finish<T: DeserializeOwned>(
        request: reqwest::RequestBuilder,
    ) -> Result<T, SlackApiError> {
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if let Some(err) = status_error(status, response.headers()) {
            return Err(err);
        }
        let bytes = response.bytes().await.map_err(transport)?;
        let envelope: Envelope = serde_json::from_slice(&bytes).map_err(SlackApiError::Decode)?;
        if !envelope.ok {
            let code = envelope.error.unwrap_or_else(|| "unknown_error".to_owned());
            tracing::debug!(error = %code, "Slack returned ok:false");
            return Err(match AuthError::from_code(&code) {
                Some(auth) => SlackApiError::Auth(auth),
                None => SlackApiError::Api { error: code },
            });
        }
        serde_json::from_slice(&bytes).map_err(SlackApiError::Decode)
    }
}

/// The HTTP client every Slack call uses: bounded timeouts, no redirects.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, SlackApiError> {
    // The process's one TLS configuration (ring, the system's roots parsed once).
    tls::client_builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        // A redirect could lead a response_url post off the allowed host; Slack's API does
        // not redirect.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| SlackApiError::InvalidRequest("HTTP client could not be built"))
}

/// 429 and 5xx, whatever the body says. Other statuses are left to the caller.
pub(crate) fn status_error(status: StatusCode, headers: &http::HeaderMap) -> Option<SlackApiError> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
        return Some(SlackApiError::RateLimited { retry_after });
    }
    if status.is_server_error() {
        return Some(SlackApiError::Server {
            status: status.as_u16(),
        });
    }
    None
}

pub(crate) fn transport(err: reqwest::Error) -> SlackApiError {
    if err.is_timeout() {
        SlackApiError::Timeout
    } else {
        SlackApiError::Transport(err)
    }
}

/// Parses a base URL and makes sure its path ends with `/`.
pub(crate) fn base_url(raw: &str, what: &'static str) -> Result<Url, SlackApiError> {
    let mut url = Url::parse(raw).map_err(|_| SlackApiError::InvalidRequest(what))?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err(SlackApiError::InvalidRequest(what));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}
