//! Meetings and transcripts, as the recorder (Fathom) gives them.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use crate::ids::RecordingId;
use crate::redact::Redacted;

/// One page of `list_meetings`: meetings *created* (Fathom's `created_at`, when the recording
/// was processed, a little after it ended) within `[created_after, created_before)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingQuery {
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// The `next_cursor` of the previous page; `None` for the first.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPage {
    pub meetings: Vec<Meeting>,
    /// `None` on the last page (Fathom's null, missing or empty `next_cursor`).
    pub next_cursor: Option<String>,
}

/// A recorded meeting. Times are UTC instants; show them in the user's zone. `Debug` leaves
/// out the links (a share link opens the recording to whoever has it) and the recorder's
/// address.
#[derive(Clone, PartialEq, Eq)]
pub struct Meeting {
    pub recording_id: RecordingId,
    /// The calendar event's title (`meeting_title`), falling back to Fathom's `title`.
    pub title: String,
    /// When Fathom finished processing it (`created_at`): what `MeetingQuery` filters on.
    pub created_at: Timestamp,
    /// When the recording really started and ended (`recording_start_time`/`_end_time`).
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    /// When the calendar said it would start (`scheduled_start_time`).
    pub scheduled_start: Option<Timestamp>,
    pub url: String,
    pub share_url: String,
    /// `transcript_language` (e.g. `"en"`), when Fathom knows it.
    pub language: Option<String>,
    pub invitees: Vec<Invitee>,
    /// `recorded_by.email`: the Fathom user whose key or grant listed it.
    pub recorded_by_email: String,
}

impl fmt::Debug for Meeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meeting")
            .field("recording_id", &self.recording_id)
            .field("title", &self.title)
            .field("created_at", &self.created_at)
            .field("started_at", &self.started_at)
            .field("ended_at", &self.ended_at)
            .field("scheduled_start", &self.scheduled_start)
            .field("url", &Redacted(&self.url))
            .field("share_url", &Redacted(&self.share_url))
            .field("language", &self.language)
            .field("invitees", &self.invitees)
            .field("recorded_by_email", &Redacted(&self.recorded_by_email))
            .finish()
    }
}

impl Meeting {
    /// How long the recording ran (zero if the provider's end is before its start).
    pub fn duration(&self) -> Duration {
        let span = self.ended_at.duration_since(self.started_at);
        Duration::try_from(span).unwrap_or_default()
    }
}

/// A calendar invitee. `is_external` is Fathom's: relative to the recorder's company domain.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitee {
    pub name: Option<String>,
    pub email: Option<String>,
    pub is_external: bool,
}

/// Names and addresses are personal data: shown as set or not.
impl fmt::Debug for Invitee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invitee")
            .field("name", &self.name.as_deref().map(Redacted))
            .field("email", &self.email.as_deref().map(Redacted))
            .field("is_external", &self.is_external)
            .finish()
    }
}

/// A meeting's transcript. It is customer data: kept in memory for one draft and never stored
/// (sessions hold the draft, not this) nor printed (`Debug` shows the line count only). It has
/// no `Serialize`, so no stored struct can hold one by accident:
///
/// ```compile_fail
/// fn storable<T: serde::Serialize>() {}
/// storable::<followup::Transcript>();
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    pub lines: Vec<TranscriptLine>,
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("lines", &self.lines.len())
            .finish()
    }
}

/// One utterance: who said what, at which offset from the start of the recording. No
/// `Serialize`, like [`Transcript`].
#[derive(Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// The speaker's display name.
    pub speaker: String,
    pub text: String,
    /// Offset from the recording's start (Fathom's `"HH:MM:SS"`).
    pub timestamp: Duration,
}

impl fmt::Debug for TranscriptLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TranscriptLine")
            .field("speaker", &Redacted(&self.speaker))
            .field("text", &Redacted(&self.text))
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_transcript_invitee_or_meeting_shows_no_customer_text_or_link() {
        let transcript = Transcript {
            lines: vec![TranscriptLine {
                speaker: "Jane Doe".into(),
                text: "our budget is 40k".into(),
                timestamp: Duration::from_secs(332),
            }],
        };
        let invitee = Invitee {
            name: Some("John Smith".into()),
            email: Some("john@client.com".into()),
            is_external: true,
        };
        let meeting = crate::testkit::sample_meeting(
            RecordingId::new(9),
            "2025-01-15T08:30:00Z".parse().unwrap(),
            "x",
        );
        let shown = format!(
            "{transcript:?} {:?} {:#?} {invitee:?} {meeting:?}",
            transcript.lines[0], transcript.lines[0]
        );
        for needle in [
            "Jane",
            "budget",
            "40k",
            "John",
            "client.com",
            "fathom.video",
            "alice@",
        ] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
        assert!(shown.contains("lines: 1") && shown.contains("is_external: true"));
    }
}
