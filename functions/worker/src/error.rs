//! How a job failed, and whether trying again can help.

use std::time::Duration;

use followup::{ProviderError, SessionError};
use tenant::ports::{CredentialError, StoreError, VaultError};

/// Why a job did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("Slack call failed")]
    Slack(#[from] slack::SlackApiError),
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("token vault failed")]
    Vault(#[from] VaultError),
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
    #[error("another job is refreshing the tenant's token and did not finish in time")]
    RefreshBusy,
    #[error("Slack's token refresh answer had no access or refresh token")]
    BadRefresh,
    #[error("the job did not finish within its run timeout")]
    TimedOut,
    #[error("another attempt of this step holds it")]
    StepBusy,
    #[error("the message has no channel to post in")]
    NoChannel,
    /// A provider (the recorder, the AI, Google) failed; its class decides a retry.
    #[error("provider call failed: {0}")]
    Provider(#[from] ProviderError),
    #[error("credential store failed")]
    Credential(#[from] CredentialError),
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
}

impl JobError {
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Slack(e) if e.is_retryable() => Disposition::Retry {
                after: e.retry_after(),
            },
            Self::Store(e) if e.is_transient() => Disposition::Retry { after: None },
            Self::RefreshBusy | Self::StepBusy => Disposition::Retry {
                after: Some(Duration::from_secs(2)),
            },
            Self::TimedOut => Disposition::Retry { after: None },
            Self::Vault(e) if e.is_transient() => Disposition::Retry { after: None },
            Self::Provider(e) if e.is_transient() => Disposition::Retry {
                after: e.retry_after(),
            },
            Self::Credential(e) if e.is_transient() => Disposition::Retry { after: None },
            Self::Session(e) if e.is_transient() => Disposition::Retry { after: None },
            _ => Disposition::Permanent,
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
            other => other.to_string(),
        }
    }
}
