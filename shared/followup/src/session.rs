//! A meeting session: one user's work on one meeting (the first draft, their edits, what was
//! created from it), kept for the tenant's retention period.
//!
//! The transcript is never part of a session: it is fetched again if a draft must be
//! regenerated. Sessions hold drafts, which are customer data; see the storage adapters for
//! how each backend protects them at rest.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tenant::{ChannelId, TenantId, UserId};

use crate::draft::{Draft, SessionDigest};
use crate::ids::{RecordingId, SessionKey};
use crate::mail::Mailbox;
use crate::meeting::Meeting;

/// How long sessions are kept after their last change (a tenant setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(Duration);

impl Retention {
    /// What a tenant that set nothing gets.
    pub const DEFAULT: Retention = Retention(Duration::from_secs(30 * 24 * 3600));
    /// Shorter makes "ask about last week" useless and longer keeps customer data past what
    /// a security review accepts without a reason; the settings UI offers this range.
    pub const MIN: Duration = Duration::from_secs(24 * 3600);
    pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

    /// A retention within [`Retention::MIN`, `Retention::MAX`], clamped into it.
    pub fn new(period: Duration) -> Self {
        Self(period.clamp(Self::MIN, Self::MAX))
    }

    pub fn period(self) -> Duration {
        self.0
    }

    /// When something last changed at `now` expires.
    pub fn expiry(self, now: Timestamp) -> Timestamp {
        let period = jiff::SignedDuration::try_from(self.0).unwrap_or(jiff::SignedDuration::MAX);
        now.saturating_add(period).unwrap_or(Timestamp::MAX)
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionStatus {
    /// The worker is fetching the transcript and drafting.
    Generating,
    /// The draft is there.
    Ready,
    /// Drafting failed; the reason is a code the user's message is chosen from.
    Failed { reason: FailureReason },
}

/// Why a session failed, as a code (never a provider's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The recorder refused the user's key or grant: reconnect Fathom.
    RecorderUnauthorized,
    /// The recording or its transcript is gone or not visible to the user.
    RecordingNotFound,
    /// The recording has no transcript (yet).
    TranscriptEmpty,
    /// The AI refused our credential: an admin must fix the app's key.
    DrafterUnauthorized,
    /// A provider stayed unavailable or rate-limited past our retries: try again later.
    ProviderUnavailable,
    /// A provider answered something we could not use.
    ProviderInvalid,
}

/// Something created from a session, in the user's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    GmailDraft,
    CalendarEvent,
    CrmNote,
    CrmTask,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub kind: ArtifactKind,
    /// The provider's id of it.
    pub id: String,
    /// Where the user opens it.
    pub link: String,
}

/// The DM message that shows the session's status, updated in place with `chat.update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMessage {
    pub channel: ChannelId,
    /// The message's `ts` (Slack's id of a message within its channel).
    pub ts: String,
}

/// One user's session on one meeting. `Debug` shows no draft text ([`Draft`]'s is redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub tenant: TenantId,
    pub user: UserId,
    pub recording: RecordingId,
    pub meeting_title: String,
    /// When the recording started (UTC), for listing and for `/followup ask`.
    pub meeting_started_at: Timestamp,
    /// Who the email and the event go to: the meeting's external attendees, kept because
    /// the recorder has no look-up by recording id. Personal data, sealed with the rest.
    #[serde(default)]
    pub recipients: Vec<Mailbox>,
    pub status: SessionStatus,
    /// The AI's first draft, kept so that the user can go back to it.
    pub draft: Option<Draft>,
    /// The user's current text (their edits of `draft`); `None` until they edit.
    pub edited: Option<Draft>,
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    pub dm: Option<StatusMessage>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// After this the session is as if it never existed (and the store deletes it).
    pub expires_at: Timestamp,
}

impl Session {
    /// A new session for `meeting`, generating, created at `now`.
    pub fn start(
        tenant: TenantId,
        user: UserId,
        meeting: &Meeting,
        now: Timestamp,
        retention: Retention,
    ) -> Self {
        Self {
            tenant,
            user,
            recording: meeting.recording_id,
            meeting_title: meeting.title.clone(),
            meeting_started_at: meeting.started_at,
            recipients: crate::service::attendees::external_attendees(meeting),
            status: SessionStatus::Generating,
            draft: None,
            edited: None,
            artifacts: Vec::new(),
            dm: None,
            created_at: now,
            updated_at: now,
            expires_at: retention.expiry(now),
        }
    }

    /// The key the store files it under.
    pub fn key(&self) -> SessionKey {
        SessionKey::new(self.tenant.clone(), self.user.clone(), self.recording)
    }

    /// Marks a change at `now`: the retention period starts again from it.
    pub fn touch(&mut self, now: Timestamp, retention: Retention) {
        self.updated_at = now;
        self.expires_at = retention.expiry(now);
    }

    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }

    /// The text the user works with: their edit, else the first draft.
    pub fn current_draft(&self) -> Option<&Draft> {
        self.edited.as_ref().or(self.draft.as_ref())
    }

    /// What `/followup ask` may use of it (`None` while there is no draft).
    pub fn digest(&self) -> Option<SessionDigest> {
        let draft = self.current_draft()?;
        Some(SessionDigest {
            title: self.meeting_title.clone(),
            started_at: self.meeting_started_at,
            summary: draft.summary.clone(),
            crm_note: draft.crm_note.clone(),
        })
    }
}
