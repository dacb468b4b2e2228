//! Fathom's wire types (`shared/reference/fathom.md`, from the official SDK's models).
//!
//! Fields the product uses are required as the reference says; fields it does not use are
//! optional, so that a change in something we ignore does not break listing meetings.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use serde::{Deserialize, Deserializer};

/// A recording's id: an integer in Fathom's API (`recording_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(transparent)]
pub struct RecordingId(pub u64);

impl fmt::Display for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One page of `GET /meetings`.
#[derive(Debug, Clone, Deserialize)]
pub struct MeetingPage {
    #[serde(default)]
    pub limit: Option<u32>,
    /// The next page's cursor; the SDK stops on null, missing or `""`.
    #[serde(default)]
    pub next_cursor: Option<String>,
    pub items: Vec<Meeting>,
}

/// A meeting as `/meetings` lists it (and as a webhook delivers it).
#[derive(Clone, Deserialize)]
pub struct Meeting {
    pub recording_id: RecordingId,
    pub title: String,
    /// The calendar event's title.
    #[serde(default)]
    pub meeting_title: Option<String>,
    pub url: String,
    #[serde(default)]
    pub share_url: Option<String>,
    pub created_at: Timestamp,
    /// Required in the SDK's model; optional here because a recording made without a
    /// calendar event is plausible and we do not need these (UNCONFIRMED whether null occurs).
    #[serde(default)]
    pub scheduled_start_time: Option<Timestamp>,
    #[serde(default)]
    pub scheduled_end_time: Option<Timestamp>,
    pub recording_start_time: Timestamp,
    pub recording_end_time: Timestamp,
    /// e.g. `"en"`, `"it"`: the language the follow-up email is written in.
    pub transcript_language: String,
    pub calendar_invitees: Vec<Invitee>,
    #[serde(default)]
    pub calendar_invitees_domains_type: Option<InviteesDomainsType>,
    pub recorded_by: FathomUser,
    #[serde(default)]
    pub meeting_url: Option<String>,
    /// Only with `include_transcript=true`, which OAuth apps may not use (fathom.md); this
    /// crate reads transcripts from `/recordings/{id}/transcript` instead.
    #[serde(default)]
    pub transcript: Option<Vec<TranscriptItem>>,
}

/// Titles and people's names are customer data, not for logs: `Debug` shows ids and times.
impl fmt::Debug for Meeting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meeting")
            .field("recording_id", &self.recording_id)
            .field("created_at", &self.created_at)
            .field("transcript_language", &self.transcript_language)
            .field("calendar_invitees", &self.calendar_invitees.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteesDomainsType {
    OnlyInternal,
    OneOrMoreExternal,
    #[serde(other)]
    Other,
}

/// A calendar invitee.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Invitee {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_domain: Option<String>,
    /// Outside the recorder's organisation: the prospect.
    pub is_external: bool,
    /// "Coming soon" in the SDK.
    #[serde(default)]
    pub matched_speaker_display_name: Option<String>,
}

impl fmt::Debug for Invitee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invitee")
            .field("email_domain", &self.email_domain)
            .field("is_external", &self.is_external)
            .finish_non_exhaustive()
    }
}

/// `recorded_by`.
#[derive(Clone, Deserialize)]
pub struct FathomUser {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub email_domain: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
}

impl fmt::Debug for FathomUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FathomUser")
            .field("email_domain", &self.email_domain)
            .finish_non_exhaustive()
    }
}

/// `GET /recordings/{id}/transcript` without `destination_url`.
#[derive(Debug, Deserialize)]
pub(crate) struct TranscriptResponse {
    /// UNCONFIRMED: null for a recording still being processed is plausible; read as empty.
    #[serde(default)]
    pub transcript: Option<Vec<TranscriptItem>>,
}

/// One utterance.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct TranscriptItem {
    pub speaker: Speaker,
    pub text: String,
    /// `"HH:MM:SS"` from the start of the meeting.
    #[serde(rename = "timestamp", deserialize_with = "offset")]
    pub at: Duration,
}

/// The words are the transcript: `Debug` shows only when and how long.
impl fmt::Debug for TranscriptItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TranscriptItem")
            .field("at", &self.at)
            .field("chars", &self.text.chars().count())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Speaker {
    pub display_name: String,
    #[serde(default)]
    pub matched_calendar_invitee_email: Option<String>,
}

impl fmt::Debug for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Speaker([redacted])")
    }
}

/// `t` as Fathom's query parameters show it (`2025-01-01T00:00:00Z`): whole seconds.
pub(crate) fn format_rfc3339(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

/// `"HH:MM:SS"` (also `"MM:SS"`, and a fractional last part) as an offset.
pub(crate) fn parse_offset(raw: &str) -> Option<Duration> {
    let mut secs = 0.0_f64;
    let parts: Vec<&str> = raw.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for part in &parts {
        let value: f64 = part.parse().ok()?;
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        secs = secs * 60.0 + value;
    }
    Some(Duration::from_secs_f64(secs))
}

fn offset<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    parse_offset(&raw).ok_or_else(|| serde::de::Error::custom("expected HH:MM:SS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_webhook_meeting_parses() {
        // fathom.md's webhook example, cut to the fields we type (it is the Meeting shape).
        let json = r#"{
          "title": "Quarterly Business Review", "meeting_title": "QBR 2025 Q1",
          "recording_id": 123456789, "url": "https://fathom.video/xyz123",
          "share_url": "https://fathom.video/share/xyz123", "created_at": "2025-03-01T17:01:30Z",
          "scheduled_start_time": "2025-03-01T16:00:00Z", "scheduled_end_time": "2025-03-01T17:00:00Z",
          "recording_start_time": "2025-03-01T16:01:12Z", "recording_end_time": "2025-03-01T17:00:55Z",
          "calendar_invitees_domains_type": "one_or_more_external", "transcript_language": "en",
          "transcript": [{"speaker": {"display_name": "Jane Doe", "matched_calendar_invitee_email": "jane.doe@acme.com"},
                          "text": "Let's revisit the budget allocations.", "timestamp": "00:05:32"}],
          "calendar_invitees": [{"name": "John Smith", "matched_speaker_display_name": "John Smith",
             "email": "john.smith@client.com", "is_external": true, "email_domain": "client.com"}],
          "recorded_by": {"name": "Alice Johnson", "email": "alice.johnson@acme.com", "team": "Customer Success", "email_domain": "acme.com"}
        }"#;
        let meeting: Meeting = serde_json::from_str(json).unwrap();
        assert_eq!(meeting.recording_id, RecordingId(123_456_789));
        assert_eq!(format_rfc3339(meeting.created_at), "2025-03-01T17:01:30Z");
        assert_eq!(
            meeting.scheduled_start_time.unwrap().to_string(),
            "2025-03-01T16:00:00Z"
        );
        assert!(meeting.calendar_invitees[0].is_external);
        let transcript = meeting.transcript.unwrap();
        assert_eq!(transcript[0].at, Duration::from_secs(5 * 60 + 32));
        let debug = format!("{:?}", transcript[0]);
        assert!(
            !debug.contains("budget") && !debug.contains("Jane"),
            "{debug}"
        );
    }

    #[test]
    fn unconfirmed_nulls_and_missing_optional_fields_still_parse() {
        // Null scheduled times (a recording without a calendar event) and a missing
        // `share_url`/`meeting_type` are not in the reference's example: UNCONFIRMED shapes we
        // accept rather than fail a whole page on.
        let json = r#"{"title": "Ad hoc", "recording_id": 7, "url": "https://fathom.video/x",
          "created_at": "2025-03-01T17:01:30.5Z", "scheduled_start_time": null,
          "recording_start_time": "2025-03-01T16:01:12Z", "recording_end_time": "2025-03-01T17:00:55Z",
          "transcript_language": "it", "calendar_invitees": [],
          "calendar_invitees_domains_type": "something_new",
          "recorded_by": {"name": "A", "email": "a@acme.com"}}"#;
        let meeting: Meeting = serde_json::from_str(json).unwrap();
        assert_eq!(meeting.scheduled_start_time, None);
        assert_eq!(meeting.share_url, None);
        assert_eq!(
            meeting.calendar_invitees_domains_type,
            Some(InviteesDomainsType::Other)
        );
        assert_eq!(format_rfc3339(meeting.created_at), "2025-03-01T17:01:30Z");
        let empty: TranscriptResponse = serde_json::from_str(r#"{"transcript": null}"#).unwrap();
        assert!(empty.transcript.is_none());
    }

    #[test]
    fn offsets_parse_in_their_usual_forms() {
        assert_eq!(parse_offset("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_offset("02:03"), Some(Duration::from_secs(123)));
        assert_eq!(parse_offset("x"), None);
        assert_eq!(parse_offset("1:2:3:4"), None);
    }
}
