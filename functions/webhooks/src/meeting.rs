//! The part of a "new meeting content ready" body this function reads (fathom.md: the body is
//! the Meeting object, with whichever parts the webhook asked for). Everything else, the
//! transcript and summary included, is skipped unread; unknown fields are ignored.

use jiff::Timestamp;
use serde::Deserialize;

/// What a delivery says: which recording is ready, its title and when it started.
#[derive(Deserialize)]
pub struct MeetingReady {
    pub recording_id: u64,
    pub title: String,
    /// The calendar event's title, preferred when set (as the picker shows it).
    #[serde(default)]
    pub meeting_title: Option<String>,
    /// Required in the SDK's model; read leniently, with the scheduled start as a fallback.
    #[serde(default)]
    pub recording_start_time: Option<Timestamp>,
    #[serde(default)]
    pub scheduled_start_time: Option<Timestamp>,
}

/// Titles are customer data: `Debug` shows the recording and its times only.
impl std::fmt::Debug for MeetingReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingReady")
            .field("recording_id", &self.recording_id)
            .field("recording_start_time", &self.recording_start_time)
            .finish_non_exhaustive()
    }
}

impl MeetingReady {
    /// The body as a meeting; what was wrong with it in our own words (serde's message may
    /// quote the body, so it is not used).
    pub fn parse(body: &[u8]) -> Result<Self, &'static str> {
        use serde_json::error::Category;
        serde_json::from_slice(body).map_err(|e| match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => "the body is not JSON",
            Category::Data => "the body is not a meeting (recording_id and title)",
        })
    }

    pub fn title(&self) -> &str {
        self.meeting_title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.title)
    }

    pub fn started_at(&self) -> Option<Timestamp> {
        self.recording_start_time.or(self.scheduled_start_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_body_reads_and_unknown_fields_are_ignored() {
        let body = br#"{"title": "Quarterly Business Review", "meeting_title": "QBR 2025 Q1",
            "recording_id": 123456789, "url": "https://fathom.video/xyz123",
            "recording_start_time": "2025-03-01T16:01:12Z",
            "transcript": [{"speaker": {"display_name": "Jane Doe"}, "text": "Budget.", "timestamp": "00:05:32"}],
            "default_summary": {"template_name": "general", "markdown_formatted": "Summary: budget risks"},
            "something_new": {"nested": [1, 2, 3]}}"#;
        let meeting = MeetingReady::parse(body).unwrap();
        assert_eq!(meeting.recording_id, 123_456_789);
        assert_eq!(meeting.title(), "QBR 2025 Q1");
        assert_eq!(
            meeting.started_at().unwrap().to_string(),
            "2025-03-01T16:01:12Z"
        );
        assert!(!format!("{meeting:?}").contains("QBR"));
    }

    #[test]
    fn malformed_bodies_are_described_without_their_content() {
        for (body, expected) in [
            (&b"{not json"[..], "the body is not JSON"),
            (b"", "the body is not JSON"),
            (
                br#"{"recording_id": "Acme secret plan", "title": "x"}"#,
                "the body is not a meeting (recording_id and title)",
            ),
            (
                br#"{"title": "Acme"}"#,
                "the body is not a meeting (recording_id and title)",
            ),
        ] {
            assert_eq!(MeetingReady::parse(body).unwrap_err(), expected);
        }
        let fallback = MeetingReady::parse(
            br#"{"recording_id": 1, "title": "T", "meeting_title": " ",
                 "scheduled_start_time": "2025-03-01T16:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(fallback.title(), "T");
        assert!(fallback.started_at().is_some());
    }
}
