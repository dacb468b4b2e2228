//! What Slack POSTs to us, as types.
//!
//! * [`parse_events_body`]: the Events API endpoint (JSON).
//! * [`parse_form_body`]: the slash command and interactivity endpoints (form encoded).
//!
//! Parsing happens only after [`crate::Verifier`] accepted the raw body. Errors say what was
//! wrong without echoing payload values: a misplaced token must never reach a log line.

mod error;
mod event;
mod events;
mod form;
mod interaction;
mod raw;

pub use error::PayloadError;
pub use event::Event;
pub use events::{Authorization, EventCallback, EventsRequest, parse_events_body};
pub use form::{FormRequest, SlashCommand, parse_form_body};
pub use interaction::{Interaction, InteractionKind};

/// What `Debug` shows of a `response_url`: that there is one, never the URL. A response URL
/// lets whoever holds it post into the conversation for 30 minutes (a capability, like a
/// token), so it must not reach a log line through `{:?}`.
pub(crate) const REDACTED_URL: &str = "<redacted response_url>";

#[cfg(test)]
mod events_tests;
#[cfg(test)]
pub(crate) mod form_tests;
