//! How a job failed, and whether trying again can help.

use std::time::Duration;

use followup::{ProviderError, SessionError};
use tenant::ports::{CredentialError, StoreError, VaultError};
use tenant::refresh::{RefreshError, TokenError};

/// Why a job did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("Slack call failed")]
    Slack(#[from] slack::SlackApiError),
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("token vault failed")]
    Vault(#[from] VaultError),
    #[error("credential store failed")]
    Credentials(#[from] CredentialError),
    /// Getting a usable (refreshed) token failed; `Missing` is [`JobError::NoBotToken`].
    #[error("token refresh failed")]
    Token(#[source] TokenError),
    #[error("tenant is not installed")]
    TenantGone,
    #[error("tenant is suspended")]
    TenantSuspended,
    #[error("tenant has no bot token")]
    NoBotToken,
    #[error("job has no response_url to answer on")]
    NoResponseUrl,
    #[error("the bot token is expired and no OAuth client is configured to refresh it")]
    RefreshNotConfigured,
    #[error("the job did not finish within its run timeout")]
    TimedOut,
    #[error("another attempt of this step holds it")]
    StepBusy,
    #[error("the message has no channel to post in")]
    NoChannel,
    /// A provider (the recorder, the AI, Google) failed; its class decides a retry.
    #[error("provider call failed: {0}")]
    Provider(#[from] ProviderError),
    #[error("session store failed")]
    Session(#[from] SessionError),
    /// The follow-up providers are not configured in this deployment (no recorder or AI).
    #[error("follow-ups are not configured")]
    FollowupNotConfigured,
    /// The job's payload names something out of range (a day offset past 14, say).
    #[error("bad job payload: {0}")]
    BadPayload(&'static str),
}

/// What to do with a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Try again later: after `after` if the far side said when (Retry-After).
    Retry { after: Option<Duration> },
    /// Record the failure and drop the job: trying again cannot help.
    Permanent,
    /// Not the job's fault and not going away by itself (the tenant's tokens do not decrypt:
    /// KMS denies this role, or the ciphertext is another tenant's): move the message to the
    /// dead-letter queue for an operator, unrecorded, so that a redrive after the fix runs it.
    DeadLetter,
}

impl JobError {
    pub fn disposition(&self) -> Disposition {
        if self.is_undecryptable() {
            return Disposition::DeadLetter;
        }
        let retry = |after| Disposition::Retry { after };
        match self {
            Self::Slack(e) if e.is_retryable() => retry(e.retry_after()),
            Self::Store(e) if e.is_transient() => retry(None),
            Self::StepBusy => retry(Some(Duration::from_secs(2))),
            Self::TimedOut => retry(None),
            Self::Vault(e) if e.is_transient() => retry(None),
            Self::Credentials(e) if e.is_transient() => retry(None),
            Self::Token(e) => match e {
                TokenError::Busy => retry(Some(Duration::from_secs(2))),
                TokenError::Storage(e) if e.is_transient() => retry(None),
                TokenError::Ledger(e) if e.is_transient() => retry(None),
                TokenError::Refresh(RefreshError::RateLimited { retry_after }) => {
                    retry(*retry_after)
                }
                TokenError::Refresh(RefreshError::Unavailable(_)) => retry(None),
                _ => Disposition::Permanent,
            },
            Self::Provider(e) if e.is_transient() => retry(e.retry_after()),
            Self::Session(e) if e.is_transient() => retry(None),
            _ => Disposition::Permanent,
        }
    }

    /// Whether the tenant's stored tokens do not decrypt here.
    fn is_undecryptable(&self) -> bool {
        match self {
            Self::Vault(VaultError::Decrypt) | Self::Credentials(CredentialError::Decrypt) => true,
            Self::Token(TokenError::Storage(e)) => e.is_decrypt(),
            _ => false,
        }
    }

    /// Whether the failed call may have taken effect all the same: the request went out and no
    /// clear answer came back (timeout, 5xx, a broken connection). Such a step is retried as a
    /// recovery, which checks before acting again; a 429 or an error answer means it did not.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::Slack(
                slack::SlackApiError::Timeout
                    | slack::SlackApiError::Server { .. }
                    | slack::SlackApiError::Transport(_)
            ) | Self::TimedOut
        )
    }

    /// A short reason for the ledger and logs; never contains a token or a URL.
    pub fn reason(&self) -> String {
        match self {
            Self::Slack(e) => format!("slack: {e}"),
            Self::Vault(e) => format!("{self}: {e}"),
            Self::Credentials(e) => format!("{self}: {e}"),
            Self::Token(TokenError::Storage(e)) => format!("{self}: {e}"),
            Self::Token(TokenError::Refresh(e)) => format!("{self}: {e}"),
            other => other.to_string(),
        }
    }
}
