//! The user's mailbox (Gmail).

use async_trait::async_trait;
use tenant::Secret;

use crate::error::ProviderError;
use crate::mail::{Created, EmailDraft};

/// Creates drafts in the user's own mailbox; never sends.
///
/// Errors: [`ProviderError::Unauthorized`] when `token` is refused or lacks the compose scope
/// (401, 403 insufficient permissions: the user must reconnect Google);
/// [`ProviderError::RateLimited`] on 429 and on 403 `rateLimitExceeded`/`userRateLimitExceeded`;
/// [`ProviderError::Unavailable`] on 5xx, timeout or transport failure;
/// [`ProviderError::Invalid`] when Gmail rejects the message (400) or answers without an id.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Creates a draft of `email` (building the MIME message: RFC 2047 for non-ASCII headers,
    /// UTF-8 body) with the user's access `token`. `Created::link` opens the draft (or, without
    /// a message id to link to, the drafts folder).
    async fn create_draft(
        &self,
        token: &Secret,
        email: &EmailDraft,
    ) -> Result<Created, ProviderError>;
}
