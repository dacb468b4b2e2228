//! The user's calendar (Google Calendar).

use async_trait::async_trait;
use tenant::Secret;

use crate::error::ProviderError;
use crate::mail::{Created, EventRequest};

/// Creates events in the user's primary calendar.
///
/// Errors: as [`crate::ports::Mailer`] (`Unauthorized` when the token is refused or lacks
/// `calendar.events`), with [`ProviderError::Invalid`] for an event Google rejects (400: a
/// bad time zone, say).
#[async_trait]
pub trait Calendar: Send + Sync {
    /// Creates `event` with the user's access `token`, at `event.start` in
    /// `event.time_zone`, inviting `event.attendees` by email only if `send_invitations`.
    /// `Created::link` is the event's `htmlLink`.
    async fn create_event(
        &self,
        token: &Secret,
        event: &EventRequest,
    ) -> Result<Created, ProviderError>;
}
