//! The recorder's webhooks: automatic follow-ups register one per user.

use async_trait::async_trait;
use tenant::Secret;

use super::recorder::RecorderAuth;
use crate::error::ProviderError;

/// A webhook the recorder created: its id there (to delete it with) and the secret its
/// deliveries are signed with (`whsec_…`; `Debug` redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRegistration {
    pub id: String,
    pub secret: Secret,
}

/// Registers and deletes the webhook that sends one user's new recordings to us.
///
/// Errors as [`super::Recorder`]'s: `Unauthorized` (the user must reconnect), `RateLimited`,
/// `Unavailable`, `Invalid` (our request or its answer was malformed).
#[async_trait]
pub trait RecorderWebhooks: Send + Sync {
    /// Asks the recorder to POST each new recording of `auth`'s own user, when its content is
    /// ready, to `destination` (an https URL of ours; locally http on 127.0.0.1). Not
    /// idempotent: every call that succeeds creates another webhook, so an adapter MUST NOT
    /// retry it after a request went out without a clear answer (the caller decides).
    async fn register(
        &self,
        auth: &RecorderAuth,
        destination: &str,
    ) -> Result<WebhookRegistration, ProviderError>;

    /// Deletes webhook `id`. MUST return [`ProviderError::NotFound`] when it no longer exists
    /// (or belongs to someone else), which a caller turning automatic follow-ups off takes as
    /// done. Idempotent, so an adapter may retry it.
    async fn unregister(&self, auth: &RecorderAuth, id: &str) -> Result<(), ProviderError>;
}
