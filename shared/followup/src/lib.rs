//! The follow-up domain: what `/followup` works on and what it needs from the outside world.
//!
//! * [`ids`]: [`RecordingId`] (Fathom's recording id) and [`SessionKey`].
//! * [`meeting`]: meetings and transcripts as the recorder gives them.
//! * [`draft`]: what the AI writes (summary, email, CRM note, follow-up plan) and what it is
//!   asked with.
//! * [`mail`]: email addresses, the Gmail draft and the Calendar event we ask for.
//! * [`session`]: one user's work on one meeting, kept for a retention period (never the
//!   transcript).
//! * [`error`]: [`ProviderError`], the one error contract of every provider port.
//! * [`ports`]: the traits connectors (`shared/connectors`) and storage adapters
//!   (`shared/local`, `shared/aws`) implement.
//! * [`service`]: the pure logic of the flow (the picker's day, labels, the transcript budget,
//!   attendees, the follow-up event).
//! * [`crm`]: the CRM port ([`crm::Crm`]), its domain types and the right-account ordering.
//! * `testkit` (feature): the session store's and the CRM's contract suites and in-memory
//!   adapters.
//! * [`webhook`]: the Standard Webhooks signature check of the recorder's deliveries.
//!
//! Customer data (transcript text, email bodies, summaries, notes) never reaches a log: every
//! type that holds some prints it as `[redacted]` under `Debug`, and no error carries it.

pub mod crm;
pub mod draft;
pub mod error;
pub mod ids;
pub mod mail;
pub mod meeting;
pub mod ports;
pub mod service;
pub mod session;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod webhook;

mod redact;

pub use draft::{
    Answer, Draft, DraftRequest, Email, FollowUpPlan, FollowUpWhen, MeetingFacts, SessionDigest,
    Tone, WritingSettings,
};
pub use error::ProviderError;
pub use ids::{RecordingId, SessionKey};
pub use mail::{AddressError, Created, EmailAddress, EmailDraft, EventRequest, Mailbox};
pub use meeting::{Invitee, Meeting, MeetingPage, MeetingQuery, Transcript, TranscriptLine};
pub use ports::{
    Calendar, Drafter, Mailer, Recorder, RecorderAuth, RecorderWebhooks, SessionError, Sessions,
    WebhookRegistration,
};
pub use session::{Artifact, ArtifactKind, FailureReason, Session, SessionStatus, StatusMessage};
