//! Fathom (the AI meeting recorder) External API client: list meetings, read a transcript,
//! check a key, register and delete the webhook of automatic follow-ups. Contract: `shared/reference/fathom.md`.
//!
//! A Fathom credential belongs to one user and sees only what that user may see, so every
//! call takes the caller's [`FathomAuth`]; the client itself holds no credential.
//!
//! [`webhook`] verifies the signatures of Fathom's webhook deliveries (it is
//! `followup::webhook`, kept there so the webhooks ingress function links no HTTP client);
//! [`oauth`] configures Fathom's OAuth for the generic [`crate::oauth2`] client.

pub mod oauth;
mod webhooks;
mod wire;

pub use followup::webhook;
pub use webhooks::{MY_RECORDINGS, NewWebhook, Webhook, WebhookId};

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use tenant::Secret;
use url::Url;

use crate::config::{self, ConfigError, Lookup};
use crate::http::{self, ConnectorError, Deadline, HttpClient, HttpConfig, RetryPolicy};
pub use wire::{
    FathomUser, Invitee, InviteesDomainsType, Meeting, MeetingPage, RecordingId, Speaker,
    TranscriptItem,
};

const PROVIDER: &str = "Fathom";
pub const DEFAULT_API_URL: &str = "https://api.fathom.ai/external/v1";

/// How the worker reaches Fathom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FathomConfig {
    /// `FATHOM_API_URL`, default [`DEFAULT_API_URL`].
    pub api_url: Url,
    /// `FATHOM_TIMEOUT_SECS` (default 10) for every call.
    pub http: HttpConfig,
    /// `FATHOM_MAX_RETRIES` (default 2) per call, honouring `Retry-After` up to 10 s.
    pub retry: RetryPolicy,
    /// `FATHOM_BUDGET_SECS` (default 20): one call with all its retries and waits is over by
    /// then (a listing of several pages has this per page).
    pub budget: Duration,
    /// The most pages one listing follows: a guard against a cursor that never ends, and
    /// against a step that reads a whole account's history.
    pub max_pages: u32,
}

impl FathomConfig {
    pub const DEFAULT_MAX_PAGES: u32 = 20;
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(20);

    /// Reads `FATHOM_API_URL`, `FATHOM_TIMEOUT_SECS`, `FATHOM_MAX_RETRIES` through `lookup`.
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let timeout = config::seconds(
            &lookup,
            "FATHOM_TIMEOUT_SECS",
            HttpConfig::DEFAULT_TIMEOUT,
            Duration::from_secs(120),
        )?;
        let retries = config::number(&lookup, "FATHOM_MAX_RETRIES", 2, 5)?;
        let budget = config::seconds(
            &lookup,
            "FATHOM_BUDGET_SECS",
            Self::DEFAULT_BUDGET,
            Duration::from_secs(300),
        )?;
        Ok(Self {
            api_url: config::base_url(&lookup, "FATHOM_API_URL", DEFAULT_API_URL)?,
            http: HttpConfig::with_timeout(timeout),
            retry: RetryPolicy::standard(retries),
            budget,
            max_pages: Self::DEFAULT_MAX_PAGES,
        })
    }

    /// The defaults with another base URL (a fake's, in tests).
    pub fn for_base_url(api_url: &str) -> Result<Self, ConfigError> {
        let api = api_url.to_owned();
        Self::from_lookup(move |name: &str| (name == "FATHOM_API_URL").then(|| api.clone()))
    }
}

/// A user's Fathom credential. `Debug` is redacted (through [`Secret`]).
#[derive(Debug, Clone)]
pub enum FathomAuth {
    /// A key the user created in Settings → API Access: header `X-Api-Key`.
    ApiKey(Secret),
    /// An OAuth access token: `Authorization: Bearer`.
    OAuth(Secret),
}

/// Filters of a meeting listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeetingQuery {
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

/// The Fathom client. Build once per cold start; share freely.
#[derive(Clone)]
pub struct FathomClient {
    http: HttpClient,
    base: Url,
    retry: RetryPolicy,
    budget: Duration,
    max_pages: u32,
}

impl fmt::Debug for FathomClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FathomClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl FathomClient {
    pub fn new(config: &FathomConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, &config.http)?,
            base: config.api_url.clone(),
            retry: config.retry,
            budget: config.budget,
            max_pages: config.max_pages,
        })
    }

    /// Every meeting matching `query` the credential can see, newest first as Fathom lists
    /// them, following `next_cursor` until it is null or empty (as the SDK does), at most
    /// `max_pages` pages (more is `Invalid`: a listing that long is not a "pick a meeting").
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn all_meetings(
        &self,
        auth: &FathomAuth,
        query: &MeetingQuery,
    ) -> Result<Vec<Meeting>, ConnectorError> {
        let mut meetings = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..self.max_pages {
            let page = self.meetings_page(auth, query, cursor.as_deref()).await?;
            meetings.extend(page.items);
            match page.next_cursor.filter(|c| !c.is_empty()) {
                // A cursor equal to the one just used would loop for ever.
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                Some(_) => return Err(ConnectorError::invalid(PROVIDER, "cursor did not advance")),
                None => return Ok(meetings),
            }
        }
        Err(ConnectorError::invalid(
            PROVIDER,
            "too many pages of meetings",
        ))
    }

    /// One page of `GET /meetings`, from `cursor` (none for the first).
    pub async fn meetings_page(
        &self,
        auth: &FathomAuth,
        query: &MeetingQuery,
        cursor: Option<&str>,
    ) -> Result<MeetingPage, ConnectorError> {
        let mut url = self.url("meetings")?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(t) = query.created_after {
                pairs.append_pair("created_after", &wire::format_rfc3339(t));
            }
            if let Some(t) = query.created_before {
                pairs.append_pair("created_before", &wire::format_rfc3339(t));
            }
            if let Some(cursor) = cursor {
                pairs.append_pair("cursor", cursor);
            }
        }
        self.get_json(auth, url).await
    }

    /// The transcript of `recording`, in order. `NotFound` when it does not exist or this
    /// credential cannot see it.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER, recording = %recording))]
    pub async fn transcript(
        &self,
        auth: &FathomAuth,
        recording: RecordingId,
    ) -> Result<Vec<TranscriptItem>, ConnectorError> {
        let url = self.url(&format!("recordings/{recording}/transcript"))?;
        let body: wire::TranscriptResponse = self.get_json(auth, url).await?;
        Ok(body.transcript.unwrap_or_default())
    }

    /// Checks a credential with one cheap listing call (Fathom has no "whoami"): `Ok` when it
    /// works, `Unauthorized` when Fathom refuses it.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn verify(&self, auth: &FathomAuth) -> Result<(), ConnectorError> {
        let url = self.url("meetings")?;
        self.get_json::<MeetingPage>(auth, url).await.map(|_| ())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        auth: &FathomAuth,
        url: Url,
    ) -> Result<T, ConnectorError> {
        let (name, value) = auth_header(auth)?;
        let deadline = Deadline::after(self.budget);
        let response = http::retry(&self.retry, deadline, || {
            let request = self
                .http
                .get(url.clone())
                .header(name, value.clone())
                .header(::http::header::ACCEPT, "application/json");
            // Fathom's error bodies are undocumented (fathom.md): nothing to read from them.
            self.http.send(request, deadline, |_| None)
        })
        .await?;
        response.json(PROVIDER)
    }

    fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        self.base
            .join(path)
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid request path"))
    }
}

fn auth_header(auth: &FathomAuth) -> Result<(&'static str, ::http::HeaderValue), ConnectorError> {
    Ok(match auth {
        FathomAuth::ApiKey(key) => ("x-api-key", http::secret_header(key.expose(), PROVIDER)?),
        FathomAuth::OAuth(token) => (
            "authorization",
            http::secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_its_variables_and_defaults_to_fathoms_api() {
        let config = FathomConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(
            config.api_url.as_str(),
            "https://api.fathom.ai/external/v1/"
        );
        assert_eq!(config.http.timeout, Duration::from_secs(10));
        assert_eq!(config.budget, Duration::from_secs(20));
        let config = FathomConfig::from_lookup(|name: &str| match name {
            "FATHOM_API_URL" => Some("http://127.0.0.1:1/v1".into()),
            "FATHOM_TIMEOUT_SECS" => Some("4".into()),
            "FATHOM_MAX_RETRIES" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.api_url.as_str(), "http://127.0.0.1:1/v1/");
        assert_eq!(config.http.timeout, Duration::from_secs(4));
        assert_eq!(config.retry.max_retries, 0);
    }

    #[test]
    fn credentials_do_not_show_in_debug() {
        let auth = FathomAuth::ApiKey(Secret::from("fathom-key-123"));
        assert!(!format!("{auth:?}").contains("fathom-key-123"));
        let (_, header) = auth_header(&FathomAuth::OAuth(Secret::from("tok-9"))).unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("tok-9"));
    }
}
