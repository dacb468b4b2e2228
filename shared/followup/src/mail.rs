//! Email addresses, and what we ask Gmail and Google Calendar to create.

use std::fmt;
use std::time::Duration;

use jiff::ZonedDateTime;
use serde::{Deserialize, Serialize};

use crate::redact::Redacted;

/// An email address, lowercased, that is safe to put in a header: one `@` with text on both
/// sides, no whitespace, no control characters and none of `<>,;:"()[]\`, so that no address
/// can add a recipient or a header to the message an adapter builds from it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Text that is not an address [`EmailAddress::parse`] accepts. Carries no input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an email address")]
pub struct AddressError;

impl EmailAddress {
    /// Trims, lowercases (mailboxes are case-insensitive in practice, and dedupe needs one
    /// form) and checks the shape above. Not full RFC 5322: quoted local parts are refused.
    pub fn parse(raw: &str) -> Result<Self, AddressError> {
        let address = raw.trim().to_lowercase();
        let (local, domain) = address.split_once('@').ok_or(AddressError)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\@".contains(c);
        if local.is_empty()
            || domain.is_empty()
            || address.len() > 254
            || local.contains(forbidden)
            || domain.contains(forbidden)
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(AddressError);
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AddressError;
    fn try_from(raw: String) -> Result<Self, AddressError> {
        Self::parse(&raw)
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Personal data: `Debug` shows the domain only.
impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress(…@{})", self.domain())
    }
}

/// A recipient: an address and the name to show with it. The mail adapter encodes the name
/// (RFC 2047) and quotes it; it may hold any text. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("name", &self.name.as_deref().map(Redacted))
            .field("address", &self.address)
            .finish()
    }
}

/// A Gmail draft to create in the user's mailbox. Plain text; the adapter builds the MIME
/// message (no `From`: Gmail fills in the authenticated user).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailDraft {
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub body_text: String,
}

impl fmt::Debug for EmailDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailDraft")
            .field("to", &self.to.len())
            .field("subject", &Redacted(&self.subject))
            .field("body_text", &Redacted(&self.body_text))
            .finish()
    }
}

/// A Calendar event to create in the user's primary calendar.
#[derive(Clone, PartialEq, Eq)]
pub struct EventRequest {
    pub title: String,
    /// The start in the user's time zone.
    pub start: ZonedDateTime,
    pub duration: Duration,
    /// The IANA name of `start`'s zone, which Google shows the event in (`"UTC"` when the
    /// user's zone was unknown).
    pub time_zone: String,
    pub attendees: Vec<Mailbox>,
    /// Ask Google for a Meet link (`conferenceData.createRequest`).
    pub with_meet: bool,
    /// Email invitations to the attendees now (`sendUpdates=all`) or not (`none`): an
    /// outward-facing effect, so the user chooses it.
    pub send_invitations: bool,
    /// Reminder overrides, minutes before the start; empty: the calendar's defaults.
    pub reminders_minutes: Vec<u32>,
    /// The event's description (the meeting summary): customer text.
    pub description: String,
}

impl fmt::Debug for EventRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventRequest")
            .field("title", &self.title)
            .field("start", &self.start)
            .field("duration", &self.duration)
            .field("time_zone", &self.time_zone)
            .field("attendees", &self.attendees.len())
            .field("with_meet", &self.with_meet)
            .field("send_invitations", &self.send_invitations)
            .field("reminders_minutes", &self.reminders_minutes)
            .field("description", &Redacted(&self.description))
            .finish()
    }
}

/// What a provider created: its id and a link the user can open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
    pub link: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_lowercased_and_cannot_smuggle_headers_or_recipients() {
        let address = EmailAddress::parse("  John.Smith@Client.COM ").unwrap();
        assert_eq!(address.as_str(), "john.smith@client.com");
        assert_eq!(address.domain(), "client.com");
        for bad in [
            "",
            "john",
            "@client.com",
            "john@",
            "a@b@c.com",
            "john@client.com\r\nBcc: x@evil.com",
            "john@client.com, x@evil.com",
            "John <john@client.com>",
            "john smith@client.com",
            "john@.com",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(AddressError), "{bad:?}");
        }
    }

    #[test]
    fn debug_of_an_email_draft_shows_neither_address_nor_text() {
        let draft = EmailDraft {
            to: vec![Mailbox {
                name: None,
                address: EmailAddress::parse("john@client.com").unwrap(),
            }],
            subject: "Your proposal".into(),
            body_text: "Hi John, the price is 40k".into(),
        };
        let named = Mailbox {
            name: Some("John Smith".into()),
            address: EmailAddress::parse("john@client.com").unwrap(),
        };
        let shown = format!("{draft:?} {:?} {named:?}", draft.to[0]);
        for needle in ["proposal", "John", "40k", "john@"] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
    }
}
