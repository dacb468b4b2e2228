//! What the AI is asked ([`DraftRequest`], [`WritingSettings`]) and what it writes ([`Draft`]).
//!
//! Drafts are customer data: every type here that holds their text prints `[redacted; N
//! chars]` under `Debug`.

use std::fmt;
use std::time::Duration;

use jiff::{Timestamp, ZonedDateTime, civil};
use serde::{Deserialize, Serialize};

use crate::mail::Mailbox;
use crate::redact::Redacted;

/// The AI's work on one meeting, and the user's edit of it (same type).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub summary: String,
    pub email: Email,
    /// The note for the CRM, in the tenant's note language.
    pub crm_note: String,
    pub follow_up: FollowUpPlan,
}

impl fmt::Debug for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Draft")
            .field("summary", &Redacted(&self.summary))
            .field("email", &self.email)
            .field("crm_note", &Redacted(&self.crm_note))
            .field("follow_up", &self.follow_up)
            .finish()
    }
}

/// The follow-up email: plain text; the mail adapter builds the MIME message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("subject", &Redacted(&self.subject))
            .field("body", &Redacted(&self.body))
            .finish()
    }
}

/// Whether the meeting agreed on a next meeting, and when if it said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpPlan {
    pub agreed: bool,
    pub when: Option<FollowUpWhen>,
}

/// When the next meeting is, as said in the meeting: a day, or a day and a time. Civil (no
/// zone): it was said in the meeting's local terms, so it is read in the user's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpWhen {
    Date(civil::Date),
    DateTime(civil::DateTime),
}

/// The tone the tenant asked the emails to be written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    #[default]
    Professional,
    Friendly,
    Concise,
}

/// How the tenant wants its drafts written (tenant settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WritingSettings {
    /// Who signs the email (the user's name, as Slack has it).
    pub sender_name: String,
    pub company: Option<String>,
    pub tone: Tone,
    /// The language of the CRM note (e.g. `"en"`); `None`: the meeting's language.
    pub note_language: Option<String>,
}

/// The facts of a meeting the AI may use, already in the user's time zone (so that "next
/// Tuesday" is read from the meeting's local date). `Debug` counts the people, never names
/// them.
#[derive(Clone, PartialEq, Eq)]
pub struct MeetingFacts {
    pub title: String,
    /// The recording's start in the user's time zone.
    pub started_at: ZonedDateTime,
    pub duration: Duration,
    /// Names of the calendar invitees, for the "Participants" line.
    pub participants: Vec<String>,
    /// Who the email will go to.
    pub recipients: Vec<Mailbox>,
}

impl fmt::Debug for MeetingFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeetingFacts")
            .field("title", &self.title)
            .field("started_at", &self.started_at)
            .field("duration", &self.duration)
            .field("participants", &self.participants.len())
            .field("recipients", &self.recipients.len())
            .finish()
    }
}

/// One draft to write.
#[derive(Clone, PartialEq, Eq)]
pub struct DraftRequest {
    pub meeting: MeetingFacts,
    /// The transcript rendered and cut to the prompt budget
    /// ([`crate::service::transcript::fit`]).
    pub transcript: String,
    /// Whether `transcript` had lines cut out (the prompt says so, so the AI does not take the
    /// missing middle for silence).
    pub transcript_truncated: bool,
    /// The language of the email and summary (the meeting's `transcript_language`); `None`:
    /// English.
    pub language: Option<String>,
    pub writing: WritingSettings,
}

impl fmt::Debug for DraftRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DraftRequest")
            .field("meeting", &self.meeting)
            .field("transcript", &Redacted(&self.transcript))
            .field("transcript_truncated", &self.transcript_truncated)
            .field("language", &self.language)
            .field("writing", &self.writing)
            .finish()
    }
}

/// What `/followup ask` may draw on from one of the user's recent sessions.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionDigest {
    pub title: String,
    pub started_at: Timestamp,
    pub summary: String,
    pub crm_note: String,
}

impl fmt::Debug for SessionDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionDigest")
            .field("title", &self.title)
            .field("started_at", &self.started_at)
            .field("summary", &Redacted(&self.summary))
            .field("crm_note", &Redacted(&self.crm_note))
            .finish()
    }
}

/// The AI's answer to a question about recent meetings.
#[derive(Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    /// Which of the context's digests the answer drew on (indices into the slice given).
    pub used: Vec<usize>,
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("text", &Redacted(&self.text))
            .field("used", &self.used)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_draft_shows_no_customer_text() {
        let draft = Draft {
            summary: "Budget risk on Q1".into(),
            email: Email {
                subject: "Thanks for the QBR".into(),
                body: "Hi John, attached the revised proposal".into(),
            },
            crm_note: "Deal at risk".into(),
            follow_up: FollowUpPlan {
                agreed: true,
                when: Some(FollowUpWhen::Date(civil::date(2025, 3, 8))),
            },
        };
        let answer = Answer {
            text: "John asked for a discount".into(),
        };
        let shown = format!("{draft:?} {draft:#?} {answer:?}");
        for needle in ["Budget", "QBR", "John", "proposal", "risk", "discount"] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
        assert!(shown.contains("agreed: true"));
    }

    #[test]
    fn a_draft_round_trips_through_its_stored_json() {
        let draft = Draft {
            summary: "s".into(),
            email: Email {
                subject: "Grazie".into(),
                body: "Ciao Marco".into(),
            },
            crm_note: "n".into(),
            follow_up: FollowUpPlan {
                agreed: true,
                when: Some(FollowUpWhen::DateTime(civil::datetime(
                    2025, 3, 8, 15, 0, 0, 0,
                ))),
            },
        };
        let json = serde_json::to_string(&draft).unwrap();
        assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), draft);
    }
}
