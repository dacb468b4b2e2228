//! The follow-up jobs: fill the meeting picker, connect a pasted Fathom key, generate a draft,
//! announce or remove a connection.
//! Each works for one user of one tenant: the recorder credential is that user's own, and the
//! session is filed under (tenant, user, recording).

mod ask;
mod auto;
mod calendar;
pub(crate) mod connect;
mod crm;
mod disconnect;
mod editor;
mod generate;
mod mention;
mod picker;
mod quota;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use followup::service::UserZone;
use followup::service::transcript::Budget;
use followup::session::Retention;
use followup::{
    Calendar, Drafter, Mailer, Recorder, RecorderAuth, RecorderWebhooks, Sessions, WritingSettings,
};
use jiff::Timestamp;
use tenant::credential::{CredentialId, Provider};
use tenant::{Secret, TenantId, UserId};
use tracing::warn;

use tenant::refresh::{CredentialSlot, RefreshError, RefreshPolicy, TokenError, fresh_token};

use crate::Worker;
use crate::error::JobError;

/// Refresh a provider's OAuth grant within 5 minutes of its end, under a lease longer than
/// the OAuth client's 15 s bound per call (as Google's in the editor).
const OAUTH_REFRESH: RefreshPolicy = RefreshPolicy {
    margin: Duration::from_secs(300),
    lease: Duration::from_secs(30),
    wait: Duration::from_secs(10),
    poll: Duration::from_millis(50),
};

/// How long a user's time zone from users.info is reused: people rarely move zones within an
/// hour, and a picker opened twice should not cost two Slack calls.
const ZONE_TTL: Duration = Duration::from_secs(3600);

/// What the follow-up jobs call. Built once per cold start (cheap to clone: shared clients).
#[derive(Clone)]
pub struct Followup {
    pub recorder: Arc<dyn Recorder>,
    /// The recorder's webhooks, for automatic follow-ups (the same Fathom client).
    pub webhooks: Arc<dyn RecorderWebhooks>,
    pub drafter: Arc<dyn Drafter>,
    /// Gmail and Calendar, when Google is configured (`GOOGLE_CLIENT_ID`); `None`: the edit
    /// modal's buttons say it is not enabled.
    pub mailer: Option<Arc<dyn Mailer>>,
    pub calendar: Option<Arc<dyn Calendar>>,
    /// Refreshes users' Google grants (an access token lives an hour).
    pub google_oauth: Option<Arc<connectors::oauth2::OAuth2Client>>,
    /// Refreshes users' Fathom OAuth grants, when Fathom OAuth is configured
    /// (`FATHOM_CLIENT_ID`); pasted keys need none.
    pub fathom_oauth: Option<Arc<connectors::oauth2::OAuth2Client>>,
    pub sessions: Arc<dyn Sessions>,
    /// How long sessions are kept (tenant settings will override the default).
    pub retention: Retention,
    /// How much transcript goes into one AI call (docs/followups.md).
    pub budget: Budget,
    /// How drafts are written when the tenant set nothing.
    pub writing: WritingSettings,
    /// The workspace CRMs (`None`: the CRM actions say the CRM is not enabled).
    pub crm: Option<crm::CrmParts>,
}

/// A user's `tz` as users.info gave it, and when it was read.
type CachedZone = (Option<String>, Instant);

/// Users' time zones, by (tenant, user).
#[derive(Default)]
pub(crate) struct ZoneCache(Mutex<HashMap<(TenantId, UserId), CachedZone>>);

impl Worker {
    pub(crate) fn followup(&self) -> Result<&Followup, JobError> {
        self.followup
            .as_ref()
            .ok_or(JobError::FollowupNotConfigured)
    }

    /// The user's time zone: users.info `tz`, cached for [`ZONE_TTL`]. A failed look-up is not
    /// fatal: times then show in UTC, and the modal says so.
    pub(crate) async fn user_zone(
        &self,
        token: &Secret,
        tenant: &TenantId,
        user: &UserId,
    ) -> UserZone {
        let key = (tenant.clone(), user.clone());
        let cached = {
            let zones = self.zones.0.lock().unwrap_or_else(|p| p.into_inner());
            zones
                .get(&key)
                .filter(|(_, at)| at.elapsed() < ZONE_TTL)
                .map(|(tz, _)| tz.clone())
        };
        let tz = match cached {
            Some(tz) => tz,
            None => match self.web.user_info(token, user).await {
                Ok(info) => {
                    let mut zones = self.zones.0.lock().unwrap_or_else(|p| p.into_inner());
                    zones.insert(key, (info.tz.clone(), Instant::now()));
                    info.tz
                }
                Err(err) => {
                    warn!(error = %err, "users.info failed: showing times in UTC");
                    None
                }
            },
        };
        UserZone::resolve(tz.as_deref())
    }

    /// The user's own Fathom credential as recorder auth, or `None` if they have not connected.
    /// An OAuth grant (it has a refresh token) is refreshed first under the shared lease when
    /// it is about to expire; a revoked one counts as not connected (the modal then says how
    /// to connect again).
    pub(crate) async fn recorder_auth(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Option<RecorderAuth>, JobError> {
        let id = CredentialId::for_user(tenant.clone(), Provider::Fathom, user.clone());
        let Some(stored) = self.backend.credentials.get(&id).await? else {
            return Ok(None);
        };
        let oauth = self.followup.as_ref().and_then(|f| f.fathom_oauth.as_ref());
        let (Some(oauth), true) = (oauth, stored.value.refresh_token.is_some()) else {
            return Ok(Some(RecorderAuth::from_credential(&stored.value)));
        };
        let slot = CredentialSlot::new(self.backend.credentials.as_ref(), id);
        let clock = || self.clock.now();
        match fresh_token(&self.backend, &slot, oauth.as_ref(), OAUTH_REFRESH, &clock).await {
            Ok(token) => Ok(Some(RecorderAuth::Bearer(token))),
            Err(TokenError::Missing | TokenError::Refresh(RefreshError::Revoked)) => Ok(None),
            Err(err) => Err(JobError::Token(err)),
        }
    }

    /// `text` to the user: on the command's response_url (ephemeral) when there is one, else
    /// in their DM with the app. Once per job.
    pub(super) async fn tell(
        &self,
        job: &tenant::JobEnvelope,
        user: &UserId,
        text: impl Into<String>,
    ) -> Result<(), JobError> {
        let text = text.into();
        if let Some(url) = job.slack.response_url.as_deref() {
            return self
                .respond_once(job, url, &crate::jobs::ephemeral(text))
                .await;
        }
        let token = self.bot_token(job).await?;
        let channel = self.web.open_dm(&token, user).await?;
        let msg = slack::Message {
            channel: Some(channel),
            text,
            ..slack::Message::default()
        };
        self.post_once(job, "dm", &token, msg).await
    }

    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::try_from(self.clock.now()).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

impl Followup {
    /// The providers from the environment (`FATHOM_API_URL`, `ANTHROPIC_API_URL`,
    /// `ANTHROPIC_MODEL`, `ANTHROPIC_FALLBACK_MODEL`, … read through `lookup`) with the
    /// platform's `api_key` for the AI. `None` without an AI key or a session store: the
    /// follow-up jobs then answer "not configured" (and the log says why, once).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Clone,
        api_key: Option<Secret>,
        sessions: Option<Arc<dyn Sessions>>,
    ) -> Result<Option<Self>, connectors::ConfigError> {
        let (Some(api_key), Some(sessions)) = (api_key, sessions) else {
            warn!("follow-ups are off: set ANTHROPIC_API_KEY (and use a backend with sessions)");
            return Ok(None);
        };
        use connectors::anthropic::{AnthropicClient, AnthropicConfig};
        use connectors::fathom::{FathomClient, FathomConfig};
        let fathom = FathomConfig::from_lookup(lookup.clone())?;
        let lookup_google = lookup.clone();
        let ai = AnthropicConfig::from_lookup(lookup)?;
        let unusable = |name| connectors::ConfigError {
            name,
            reason: "the HTTP client could not be built for it",
        };
        let recorder =
            Arc::new(FathomClient::new(&fathom).map_err(|_| unusable("FATHOM_API_URL"))?);
        let drafter =
            AnthropicClient::new(&ai, api_key).map_err(|_| unusable("ANTHROPIC_API_URL"))?;
        let fathom_oauth = match connectors::fathom::oauth::oauth_config(lookup_google.clone())? {
            Some(config) => Some(Arc::new(
                connectors::oauth2::OAuth2Client::new(config)
                    .map_err(|_| unusable("FATHOM_OAUTH_URL"))?,
            )),
            None => None,
        };
        let (mailer, calendar, google_oauth) = google_from_lookup(lookup_google)?;
        Ok(Some(Self {
            webhooks: recorder.clone(),
            recorder,
            drafter: Arc::new(drafter),
            mailer,
            calendar,
            google_oauth,
            fathom_oauth,
            sessions,
            retention: Retention::default(),
            budget: Budget::tokens(DRAFT_TOKEN_BUDGET),
            writing: WritingSettings::default(),
            crm: None,
        }))
    }

    /// With the CRM actions: every CRM's client from `lookup` (`HUBSPOT_API_URL`, …, and the
    /// OAuth clients whose `<CRM>_CLIENT_ID` is set), over the workspace settings in
    /// `directory`.
    pub fn with_crm(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Clone,
        directory: Arc<dyn followup::ports::CrmDirectory>,
    ) -> Result<Self, connectors::ConfigError> {
        self.crm = Some(crm::CrmParts {
            directory,
            crms: connectors::crms::Crms::from_lookup(lookup)?,
        });
        Ok(self)
    }

    /// With the CRM actions over given clients (tests, the demo).
    pub fn with_crms(
        mut self,
        crms: connectors::crms::Crms,
        directory: Arc<dyn followup::ports::CrmDirectory>,
    ) -> Self {
        self.crm = Some(crm::CrmParts { directory, crms });
        self
    }
}

/// Gmail and Calendar for users who connect Google: configured when `GOOGLE_CLIENT_ID` is.
type GoogleParts = (
    Option<Arc<dyn Mailer>>,
    Option<Arc<dyn Calendar>>,
    Option<Arc<connectors::oauth2::OAuth2Client>>,
);

fn google_from_lookup(
    lookup: impl Fn(&str) -> Option<String> + Clone,
) -> Result<GoogleParts, connectors::ConfigError> {
    use connectors::google::{self, CalendarClient, GmailClient, GoogleApiConfig};
    if connectors::config::string(&lookup, "GOOGLE_CLIENT_ID").is_none() {
        return Ok((None, None, None));
    }
    let unusable = |name| connectors::ConfigError {
        name,
        reason: "the HTTP client could not be built for it",
    };
    let apis = GoogleApiConfig::from_lookup(lookup.clone())?;
    let oauth = connectors::oauth2::OAuth2Client::new(google::oauth_config(lookup)?)
        .map_err(|_| unusable("GOOGLE_OAUTH_URL"))?;
    let gmail = GmailClient::new(&apis).map_err(|_| unusable("GMAIL_API_URL"))?;
    let calendar = CalendarClient::new(&apis).map_err(|_| unusable("GOOGLE_CALENDAR_API_URL"))?;
    Ok((
        Some(Arc::new(gmail)),
        Some(Arc::new(calendar)),
        Some(Arc::new(oauth)),
    ))
}

/// How much transcript one draft may take, in tokens: a one-hour meeting is about 10-12k
/// tokens, and the model's window is far larger; the cut keeps cost and latency bounded and is
/// marked in the prompt (`followup::service::transcript`).
pub const DRAFT_TOKEN_BUDGET: usize = 24_000;
