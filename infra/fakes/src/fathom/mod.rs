//! A fake Fathom External API (`shared/reference/fathom.md`) under
//! `http://127.0.0.1:PORT/external/v1`.
//!
//! - `GET /meetings` with `created_after`, `created_before`, `cursor` (base64 of
//!   `{"page_num":N}`, like the docs' example), `include_transcript`; pages of
//!   [`FathomData::page_size`], newest first.
//! - `GET /recordings/{id}/transcript`.
//! - `POST /webhooks` (answers a `whsec_` secret), `DELETE /webhooks/{id}`; and Fathom's side
//!   of a webhook: [`FakeFathom::deliver`] POSTs a signed "new meeting content ready" to the
//!   registered `destination_url` (also resent, or tampered with: [`DeliveryOptions`]).
//! - Auth: `X-Api-Key` (keys) or `Authorization: Bearer` (OAuth tokens); a credential sees
//!   only its own user's meetings; anything else is 401.
//! - OAuth ([`oauth`]): `GET /oauth2/authorize` consents at once as one user, `POST
//!   /oauth2/token` exchanges codes and rotates refresh tokens; [`FakeFathom::oauth_url`].
//! - `RateLimit-Limit/Remaining/Reset` on every authenticated answer; 429 with `Retry-After`
//!   over the per-user limit, or when injected ([`Failure`]).
//!
//! Fathom's error bodies are not documented (fathom.md, "Not confirmed"): the fake answers
//! `{"error": "<reason>"}`, and clients must not rely on that shape.

mod data;
mod deliver;
pub mod oauth;
mod routes;
mod webhook;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{delete, get, post};
use tenant::Secret;

pub use data::{FakeMeeting, FakeUser, FathomData, SAMPLE_KEY_ALICE, SAMPLE_KEY_MARCO};
pub use deliver::{Delivered, DeliveryOptions};
pub use webhook::{InvalidSecret, TOLERANCE_SECS, WebhookSigner};

use crate::server::{Running, lock};

/// Where a call went, for recorded calls and injected failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Meetings,
    Transcript,
    Webhooks,
    /// The OAuth authorize and token endpoints.
    OAuth,
}

/// A failure to inject into the next call(s) of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 with `Retry-After: <secs>` and `RateLimit-Remaining: 0`.
    RateLimited { retry_after_secs: u64 },
    /// This status (e.g. 500, 503) with an error body.
    Status(u16),
    /// Answers normally, after this long (longer than a client's timeout, to test it).
    Slow(Duration),
}

/// How a call authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    ApiKey,
    Bearer,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    pub endpoint: Endpoint,
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub auth: Option<AuthScheme>,
    /// The credential sent; `Debug` redacted.
    pub credential: Option<Secret>,
    /// The status the fake answered.
    pub status: u16,
}

/// A webhook registered with `POST /webhooks`.
#[derive(Debug, Clone)]
pub struct RegisteredWebhook {
    pub id: String,
    pub destination_url: String,
    /// Its `whsec_` secret; `Debug` redacted.
    pub secret: Secret,
    /// The email of the user whose credential registered it.
    pub owner: String,
    /// The request's `triggered_for`, as sent.
    pub triggered_for: Vec<String>,
    /// The request's `include_*` flags, as sent (absent: false).
    pub include_transcript: bool,
    pub include_summary: bool,
    pub include_action_items: bool,
    pub include_crm_matches: bool,
}

/// A signed webhook delivery, ready to POST to the receiver under test.
#[derive(Debug, Clone)]
pub struct SignedDelivery {
    pub destination_url: String,
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature`, `content-type`.
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

struct Inner {
    /// `http://127.0.0.1:PORT`, for the `url`s of meetings.
    origin: String,
    data: FathomData,
    calls: Vec<RecordedCall>,
    failures: HashMap<Endpoint, VecDeque<Failure>>,
    /// Per user: the current window's start and its request count.
    windows: HashMap<usize, (Instant, u32)>,
    webhooks: Vec<RegisteredWebhook>,
    next_webhook: u64,
    /// For fresh `webhook-id`s of deliveries.
    next_message: u64,
    oauth: oauth::OAuthState,
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeFathom::stop`].
pub struct FakeFathom {
    server: Running,
    shared: Shared,
}

impl FakeFathom {
    /// Starts the fake on a free loopback port with `data`.
    pub async fn start(data: FathomData) -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            origin: String::new(),
            data,
            calls: Vec::new(),
            failures: HashMap::new(),
            windows: HashMap::new(),
            webhooks: Vec::new(),
            next_webhook: 1,
            next_message: 1,
            oauth: oauth::OAuthState::default(),
        }));
        let app = Router::new()
            .route("/external/v1/meetings", get(routes::meetings))
            .route(
                "/external/v1/recordings/{id}/transcript",
                get(routes::transcript),
            )
            .route("/external/v1/webhooks", post(routes::create_webhook))
            .route("/external/v1/webhooks/{id}", delete(routes::delete_webhook))
            .route("/external/v1/oauth2/authorize", get(oauth::authorize))
            .route("/external/v1/oauth2/token", post(oauth::token))
            .with_state(shared.clone());
        let server = Running::spawn(app, "fathom").await?;
        lock(&shared).origin = format!("http://{}", server.addr());
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT/external/v1`: the value for `FATHOM_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}/external/v1", self.server.addr())
    }

    /// `http://127.0.0.1:PORT/external/v1`: the value for `FATHOM_OAUTH_URL` (authorize and
    /// token derive from it).
    pub fn oauth_url(&self) -> String {
        self.api_url()
    }

    /// From now on the user with `email` is the one who consents.
    pub fn consent_as(&self, email: &str) {
        lock(&self.shared).oauth.consenting = Some(email.to_owned());
    }

    /// The consent without a browser: the redirect back, or the error Fathom would show.
    pub fn authorize(&self, authorize_url: &str) -> Result<String, String> {
        let url = url::Url::parse(authorize_url).map_err(|_| "invalid_request".to_owned())?;
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        oauth::consent(&mut lock(&self.shared), &params).map_err(str::to_owned)
    }

    /// Fails the next call of `endpoint` with `failure`; further calls queue further failures.
    pub fn fail_next(&self, endpoint: Endpoint, failure: Failure) {
        self.fail_next_n(endpoint, 1, failure);
    }

    /// Fails the next `n` calls of `endpoint` with `failure`.
    pub fn fail_next_n(&self, endpoint: Endpoint, n: usize, failure: Failure) {
        lock(&self.shared)
            .failures
            .entry(endpoint)
            .or_default()
            .extend(std::iter::repeat_n(failure, n));
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.shared).calls.clone()
    }

    /// The calls of one endpoint, in order.
    pub fn calls_to(&self, endpoint: Endpoint) -> Vec<RecordedCall> {
        let inner = lock(&self.shared);
        inner
            .calls
            .iter()
            .filter(|c| c.endpoint == endpoint)
            .cloned()
            .collect()
    }

    /// Webhooks registered so far.
    pub fn webhooks(&self) -> Vec<RegisteredWebhook> {
        lock(&self.shared).webhooks.clone()
    }

    /// A "new meeting content ready" delivery of `recording_id` for webhook `webhook_id`,
    /// signed with its secret at `timestamp` (unix seconds): the Meeting object with the parts
    /// the webhook asked for (`include_transcript`, `include_summary`). `None` if the webhook
    /// or the recording (of the webhook's owner) is unknown.
    pub fn signed_delivery(
        &self,
        webhook_id: &str,
        recording_id: u64,
        msg_id: &str,
        timestamp: i64,
    ) -> Option<SignedDelivery> {
        let inner = lock(&self.shared);
        let hook = inner.webhooks.iter().find(|w| w.id == webhook_id)?;
        let user = inner.data.users.iter().find(|u| u.email == hook.owner)?;
        let meeting = user
            .meetings
            .iter()
            .find(|m| m.recording_id == recording_id)?;
        let body = meeting.delivery_json(user, &inner.origin, hook).to_string();
        let signer = WebhookSigner::new(hook.secret.expose()).ok()?;
        let signature = signer.sign(msg_id, timestamp, body.as_bytes());
        Some(SignedDelivery {
            destination_url: hook.destination_url.clone(),
            headers: vec![
                ("webhook-id", msg_id.to_owned()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signature),
                ("content-type", "application/json".to_owned()),
            ],
            body,
        })
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
