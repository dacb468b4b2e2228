//! A fake Google (`shared/reference/fathom-google.md`, Part B) on one loopback port:
//!
//! - OAuth (B.1): `GET /o/oauth2/auth` is the consent step, answered at once with a redirect
//!   to `redirect_uri?code=…&state=…&scope=…` (or `error=access_denied`, see
//!   [`FakeGoogle::deny_consent`]; [`FakeGoogle::authorize`] does the same without HTTP);
//!   `POST /token` (code exchange, refresh; form-encoded, client credentials in the form or
//!   Basic); `POST /revoke` (an access or a refresh token ends the whole grant).
//! - Gmail (B.2): `POST /gmail/v1/users/me/drafts` decodes the `raw` MIME and records what a
//!   mail client would show ([`RecordedDraft`]); `GET /gmail/v1/users/me/profile` answers the
//!   account's address ([`FakeGoogle::set_account_email`]; Google's docs, not the reference).
//! - Calendar (B.3): `POST /calendar/v3/calendars/primary/events` records the event and
//!   answers `id`, `htmlLink` and, with `conferenceDataVersion=1` and a `createRequest`, a
//!   Meet link in `conferenceData.entryPoints` and `hangoutLink`.
//!
//! API calls need `Authorization: Bearer` with a live access token (else 401) whose grant has
//! the API's scope (else 403 `insufficientPermissions`). Error bodies follow Google's
//! documented `{"error": {"code", "message", "errors": [{"reason"}], "status"}}` shape, which
//! the reference does not give (UNCONFIRMED); token errors are RFC 6749's `{"error": code}`.
//!
//! What is modelled on purpose: refresh tokens do not rotate and keep working until revoked
//! (B.1); refresh answers carry no `refresh_token`; a code is single use, bound to its
//! `redirect_uri`, and lives 10 minutes; a refresh token is issued only with
//! `access_type=offline`; a consent may grant fewer scopes than asked
//! ([`FakeGoogle::grant_only`]), as Google's granular consent lets a user untick some.

mod apis;
mod oauth;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use serde_json::Value;
use tenant::Secret;

use crate::server::{Running, lock};

/// The client the fake accepts until [`FakeGoogle::set_client`] says otherwise.
pub const CLIENT_ID: &str = "fake-client-id.apps.googleusercontent.test";
pub const CLIENT_SECRET: &str = "GOCSPX-fake-client-secret";
/// The scopes each API needs (any one of the listed ones).
pub const GMAIL_COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";
pub const CALENDAR_EVENTS: &str = "https://www.googleapis.com/auth/calendar.events";

/// Where a call went, for recorded calls and injected failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Authorize,
    Token,
    Revoke,
    Drafts,
    Events,
    Profile,
}

/// A failure to inject into the next call(s) of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429 with `Retry-After: <secs>` (a `rateLimitExceeded` body).
    RateLimited { retry_after_secs: u64 },
    /// 403 with this `reason` (`rateLimitExceeded`, `userRateLimitExceeded`, `forbidden`).
    Forbidden(&'static str),
    /// This status (401, 500, 503) with a Google error body (RFC 6749 at `/token`).
    Status(u16),
    /// Answers normally, after this long.
    Slow(Duration),
}

/// One request the fake received (refused ones too).
#[derive(Debug, Clone)]
pub struct RecordedCall {
    pub endpoint: Endpoint,
    pub path: String,
    /// Query parameters, or the form of `/token` and `/revoke`, decoded, in order; secret
    /// values (`code`, tokens, `client_secret`) are replaced by `[redacted]`.
    pub params: Vec<(String, String)>,
    /// The bearer token of an API call; `Debug` redacted.
    pub bearer: Option<Secret>,
    pub status: u16,
}

/// A Gmail draft as a mail client would read it back from the `raw` message.
#[derive(Debug, Clone)]
pub struct RecordedDraft {
    pub id: String,
    pub message_id: String,
    /// `To` addresses, in order, and their display names (decoded).
    pub to: Vec<String>,
    pub to_names: Vec<Option<String>>,
    /// The subject, RFC 2047-decoded, and the header as sent (to check the encoding).
    pub subject: Option<String>,
    pub raw_subject: Option<String>,
    pub has_from: bool,
    /// The top-level `Content-Type` (`multipart/alternative; boundary=…`).
    pub content_type: Option<String>,
    /// The `text/plain` and `text/html` parts, decoded (not converted from one another).
    pub text: Option<String>,
    pub html: Option<String>,
}

/// A Calendar event as inserted.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub id: String,
    /// The query: `conferenceDataVersion`, `sendUpdates`.
    pub conference_data_version: Option<String>,
    pub send_updates: Option<String>,
    /// The request body as sent.
    pub body: Value,
    /// The Meet link the fake created, if it created one.
    pub meet_link: Option<String>,
}

pub(crate) struct Inner {
    client: (String, String),
    consent: Consent,
    expires_in: Duration,
    account_email: String,
    oauth: oauth::OAuthState,
    calls: Vec<RecordedCall>,
    failures: HashMap<Endpoint, VecDeque<Failure>>,
    drafts: Vec<RecordedDraft>,
    events: Vec<RecordedEvent>,
    /// `requestId` → Meet code: a repeated request id gets the same conference, as Google's.
    conferences: HashMap<String, String>,
    seq: u64,
}

/// What the consent step answers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Consent {
    /// Grants what was asked, or only these scopes of it.
    Allow {
        only: Option<Vec<String>>,
    },
    Deny,
}

impl Inner {
    /// A unique suffix for ids and tokens. Not random: unique per fake is all a test needs,
    /// and the port keeps two fakes' tokens apart.
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn take_failure(&mut self, endpoint: Endpoint) -> Option<Failure> {
        self.failures
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }
}

type Shared = Arc<Mutex<Inner>>;

/// The running fake. Stops when dropped or on [`FakeGoogle::stop`].
pub struct FakeGoogle {
    server: Running,
    shared: Shared,
}

impl FakeGoogle {
    /// Starts the fake on a free loopback port, accepting [`CLIENT_ID`]/[`CLIENT_SECRET`].
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            client: (CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned()),
            consent: Consent::Allow { only: None },
            expires_in: Duration::from_secs(3599),
            account_email: "user@fake-google.test".to_owned(),
            oauth: oauth::OAuthState::default(),
            calls: Vec::new(),
            failures: HashMap::new(),
            drafts: Vec::new(),
            events: Vec::new(),
            conferences: HashMap::new(),
            seq: 0,
        }));
        let app = Router::new()
            .route("/o/oauth2/auth", get(oauth::authorize_page))
            .route("/token", post(oauth::token))
            .route("/revoke", post(oauth::revoke))
            .route("/gmail/v1/users/{user}/drafts", post(apis::create_draft))
            .route("/gmail/v1/users/{user}/profile", get(apis::profile))
            .route(
                "/calendar/v3/calendars/{calendar}/events",
                post(apis::insert_event),
            )
            .with_state(shared.clone());
        let server = Running::spawn(app, "google").await?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`: the value for `GOOGLE_OAUTH_URL` (authorize, token and
    /// revoke derive from it).
    pub fn oauth_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `http://127.0.0.1:PORT/gmail/v1`: for `GMAIL_API_URL`.
    pub fn gmail_api_url(&self) -> String {
        format!("http://{}/gmail/v1", self.server.addr())
    }

    /// `http://127.0.0.1:PORT/calendar/v3`: for `GOOGLE_CALENDAR_API_URL`.
    pub fn calendar_api_url(&self) -> String {
        format!("http://{}/calendar/v3", self.server.addr())
    }

    /// The OAuth client the token endpoint accepts and the consent step checks.
    pub fn set_client(&self, client_id: &str, client_secret: &str) {
        lock(&self.shared).client = (client_id.to_owned(), client_secret.to_owned());
    }

    /// From now on the consent step grants only those of the asked scopes that are in
    /// `scopes` (the user unticked the others).
    pub fn grant_only(&self, scopes: &[&str]) {
        lock(&self.shared).consent = Consent::Allow {
            only: Some(scopes.iter().map(|s| (*s).to_owned()).collect()),
        };
    }

    /// From now on the user presses "Cancel": the redirect carries `error=access_denied`.
    pub fn deny_consent(&self) {
        lock(&self.shared).consent = Consent::Deny;
    }

    /// The address of the account that consents from now on (default
    /// `user@fake-google.test`): what `users.getProfile` answers for that grant's tokens.
    pub fn set_account_email(&self, email: &str) {
        lock(&self.shared).account_email = email.to_owned();
    }

    /// The refresh tokens the revocation endpoint ended (`is_revoked` per token; this lists
    /// how many grants were ended, for a test that asserts a disconnect revoked one).
    pub fn revoked_grants(&self) -> usize {
        oauth::revoked_count(&lock(&self.shared))
    }

    /// The `expires_in` of access tokens issued from now on (default 3599 s, as Google's).
    pub fn set_expires_in(&self, lifetime: Duration) {
        lock(&self.shared).expires_in = lifetime;
    }

    /// The consent step without a browser: takes the authorize URL the app sent the user to
    /// and returns the redirect back to the app, or the error Google's page would show
    /// (`invalid_client`, `redirect_uri_mismatch`, `invalid_request`, `invalid_scope`).
    pub fn authorize(&self, authorize_url: &str) -> Result<String, String> {
        let url = url::Url::parse(authorize_url).map_err(|_| "invalid_request".to_owned())?;
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        oauth::consent(&mut lock(&self.shared), url.path(), &params).map_err(str::to_owned)
    }

    /// A grant made without the OAuth dance (a test seeding a connected user): an access and
    /// a refresh token for `scopes`.
    pub fn issue_tokens(&self, scopes: &[&str]) -> (Secret, Secret) {
        let mut inner = lock(&self.shared);
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        let (access, refresh) = oauth::new_grant(&mut inner, scopes, true);
        (
            Secret::from(access),
            Secret::from(refresh.unwrap_or_default()),
        )
    }

    /// Makes every access token issued so far expired (refresh tokens keep working).
    pub fn expire_access_tokens(&self) {
        oauth::expire_all(&mut lock(&self.shared));
    }

    /// Fails the next call of `endpoint` with `failure`; further calls queue further failures.
    pub fn fail_next(&self, endpoint: Endpoint, failure: Failure) {
        self.fail_next_n(endpoint, 1, failure);
    }

    pub fn fail_next_n(&self, endpoint: Endpoint, n: usize, failure: Failure) {
        lock(&self.shared)
            .failures
            .entry(endpoint)
            .or_default()
            .extend(std::iter::repeat_n(failure, n));
    }

    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.shared).calls.clone()
    }

    pub fn calls_to(&self, endpoint: Endpoint) -> Vec<RecordedCall> {
        let inner = lock(&self.shared);
        inner
            .calls
            .iter()
            .filter(|c| c.endpoint == endpoint)
            .cloned()
            .collect()
    }

    pub fn drafts(&self) -> Vec<RecordedDraft> {
        lock(&self.shared).drafts.clone()
    }

    pub fn events(&self) -> Vec<RecordedEvent> {
        lock(&self.shared).events.clone()
    }

    /// Whether the grant of `token` (access or refresh) has been revoked.
    pub fn is_revoked(&self, token: &str) -> bool {
        oauth::is_revoked(&lock(&self.shared), token)
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}
