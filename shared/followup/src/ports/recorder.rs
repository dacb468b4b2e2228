//! The meeting recorder (Fathom).

use async_trait::async_trait;
use tenant::Secret;
use tenant::credential::Credential;

use crate::error::ProviderError;
use crate::ids::RecordingId;
use crate::meeting::{MeetingPage, MeetingQuery, Transcript};

/// How to call the recorder as one user. Both forms are secrets (`Debug` redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecorderAuth {
    /// A personal API key the user pasted (`X-Api-Key`).
    ApiKey(Secret),
    /// An OAuth access token (`Authorization: Bearer`).
    Bearer(Secret),
}

impl RecorderAuth {
    /// The auth a stored Fathom credential stands for: one with a refresh token or an expiry
    /// came from the OAuth flow; a bare token is a pasted API key (stored with
    /// [`Credential::new`]). The caller refreshes an OAuth credential before this.
    pub fn from_credential(credential: &Credential) -> Self {
        let token = credential.access_token.clone();
        if credential.refresh_token.is_some() || credential.expires_at.is_some() {
            Self::Bearer(token)
        } else {
            Self::ApiKey(token)
        }
    }
}

/// Lists a user's meetings and fetches transcripts.
///
/// Errors, for every method: [`ProviderError::Unauthorized`] when the key or token is refused
/// (401/403: the user must reconnect); [`ProviderError::RateLimited`] on 429 with the
/// `Retry-After` (or `RateLimit-Reset`) the recorder sent; [`ProviderError::Unavailable`] on
/// 5xx, timeout or transport failure; [`ProviderError::Invalid`] when the body does not parse
/// as the documented shape (naming the field, not quoting the body).
#[async_trait]
pub trait Recorder: Send + Sync {
    /// One page of the meetings visible to `auth` whose `created_at` lies in the query's
    /// window, in the recorder's order (newest first). MUST pass `cursor` through unchanged
    /// and return `next_cursor: None` on the last page (also for an empty-string cursor).
    /// A meeting that does not parse is an `Invalid` error, not silently skipped.
    async fn list_meetings(
        &self,
        auth: &RecorderAuth,
        query: &MeetingQuery,
    ) -> Result<MeetingPage, ProviderError>;

    /// The transcript of `recording`, synchronously (no `destination_url`). MUST return
    /// [`ProviderError::NotFound`] when the recording does not exist or is not visible to
    /// `auth`; an empty transcript is `Ok` with no lines (the caller decides what to tell).
    async fn transcript(
        &self,
        auth: &RecorderAuth,
        recording: &RecordingId,
    ) -> Result<Transcript, ProviderError>;

    /// Checks that `auth` works with one cheap call (a first page of meetings), for a key the
    /// user just pasted. `Ok(())` or the errors above; `Unauthorized` means a wrong key.
    async fn verify(&self, auth: &RecorderAuth) -> Result<(), ProviderError>;
}
