//! The AI that writes drafts and answers questions (Anthropic).

use async_trait::async_trait;

use crate::draft::{Answer, Draft, DraftRequest, SessionDigest};
use crate::error::ProviderError;

/// Writes drafts and answers questions about recent meetings.
///
/// Errors, for every method: [`ProviderError::Unauthorized`] when the app's API key is refused
/// (401/403: an admin must fix it, not the user); [`ProviderError::RateLimited`] on 429 with
/// `retry-after`; [`ProviderError::Unavailable`] on 5xx (529 overloaded included), timeout or
/// transport failure; [`ProviderError::Invalid`] when the request was refused as malformed
/// (400, 413) or the answer cannot be used: cut off (`stop_reason: max_tokens`), refused, or
/// not in the structure asked for. The text of `Invalid` names the reason, never quotes the
/// model's output or the prompt.
#[async_trait]
pub trait Drafter: Send + Sync {
    /// A summary, an email, a CRM note and the follow-up plan for one meeting. Every text
    /// field of the answer MUST be non-empty (else `Invalid`); `follow_up.when` MUST be set
    /// only when the meeting named a day.
    async fn draft(&self, request: &DraftRequest) -> Result<Draft, ProviderError>;

    /// An answer to `question` drawing only on `context` (the user's own recent sessions,
    /// newest first). With no relevant context the answer says so; that is `Ok`.
    async fn answer(
        &self,
        question: &str,
        context: &[SessionDigest],
    ) -> Result<Answer, ProviderError>;
}
