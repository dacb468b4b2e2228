//! Bot tokens for jobs, refreshed shortly before they expire when the app uses token rotation.
//!
//! The refresh is [`tenant::refresh::fresh_token`], the one path every provider's tokens take:
//! under the tenant's `TokenRefresh` lease, re-read fresh, one call to oauth.v2.access, one
//! conditional write that never undoes a concurrent writer. Slack's refresh tokens are single
//! use, so two concurrent refreshes (Bolt-JS's race) would leave one process with a revoked
//! token: under the lease they cannot happen. What is Slack's own is only [`SlackRefresher`]
//! and where the token lives (the bot token inside the bundle, [`BotTokenSlot`]).

use std::time::Duration;

use async_trait::async_trait;
use slack::SlackApiError;
use slack::oauth::OAuthClient;
use tenant::refresh::{
    BotTokenSlot, Grant, RefreshError, RefreshPolicy, Refresher, TokenError, TokenSlot, fresh_token,
};
use tenant::{Credential, JobEnvelope, Secret};
use tracing::warn;

use crate::Worker;
use crate::error::JobError;

/// Refresh a rotating token when it expires within this (Slack's live 12 h).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120 * 60);

/// The bot token's refresh clocks. Every call under the lease has a timeout (Slack's client:
/// 10 s; the vault's SDK calls) shorter than the lease; a waiting job gives up a little after
/// a dead holder's lease would have lapsed, and retries.
const POLICY: RefreshPolicy = RefreshPolicy {
    margin: REFRESH_MARGIN,
    lease: Duration::from_secs(30),
    wait: Duration::from_secs(35),
    poll: Duration::from_millis(50),
};

/// oauth.v2.access refusals that mean the grant itself is gone: the app must be reinstalled.
/// Other refusals (`invalid_client_id`, `bad_client_secret`) are our configuration's fault.
const REVOKED_CODES: &[&str] = &[
    "invalid_refresh_token",
    "invalid_grant",
    "token_revoked",
    "token_expired",
];

/// Slack's token rotation (slack.md 2.3) as a [`Refresher`].
pub(crate) struct SlackRefresher<'a>(pub(crate) &'a OAuthClient);

#[async_trait]
impl Refresher for SlackRefresher<'_> {
    async fn refresh(&self, refresh_token: &Secret, _: &Credential) -> Result<Grant, RefreshError> {
        let access = self.0.refresh(refresh_token).await.map_err(classify)?;
        let rejected = |code: &str| RefreshError::Rejected {
            code: code.to_owned(),
        };
        let token = access
            .access_token
            .ok_or_else(|| rejected("answer without an access token"))?;
        // Slack always returns a new refresh token and revokes the spent one: an answer
        // without one would leave us nothing to refresh with next time.
        let refreshed = access
            .refresh_token
            .ok_or_else(|| rejected("answer without a refresh token"))?;
        let mut grant = Grant::new(token);
        grant.refresh_token = Some(refreshed);
        grant.expires_in = access
            .expires_in
            .map(|secs| Duration::from_secs(secs.max(0).unsigned_abs()));
        grant.scopes = access.scope;
        Ok(grant)
    }
}

fn classify(err: SlackApiError) -> RefreshError {
    match err {
        SlackApiError::RateLimited { retry_after } => RefreshError::RateLimited {
            retry_after: Some(retry_after),
        },
        err if err.is_retryable() => RefreshError::Unavailable(Box::new(err)),
        SlackApiError::Api { error } if REVOKED_CODES.contains(&error.as_str()) => {
            RefreshError::Revoked
        }
        SlackApiError::Api { error } => RefreshError::Rejected { code: error },
        other => RefreshError::Rejected {
            code: other.to_string(),
        },
    }
}

impl Worker {
    /// The tenant's bot token, refreshed first if it is a rotating token close to expiry.
    pub(crate) async fn bot_token(&self, job: &JobEnvelope) -> Result<Secret, JobError> {
        let slot = BotTokenSlot::new(self.backend.vault.as_ref(), job.tenant.clone());
        let Some(oauth) = &self.oauth else {
            return self.unrefreshed(&slot).await;
        };
        let clock = || self.clock.now();
        fresh_token(&self.backend, &slot, &SlackRefresher(oauth), POLICY, &clock)
            .await
            .map_err(|err| match err {
                TokenError::Missing => JobError::NoBotToken,
                other => JobError::Token(other),
            })
    }

    /// Without the app's client credentials nothing can refresh: the token works until it
    /// expires.
    async fn unrefreshed(&self, slot: &BotTokenSlot<'_>) -> Result<Secret, JobError> {
        let bot = slot
            .read(false)
            .await
            .map_err(|e| JobError::Token(TokenError::Storage(e)))?
            .ok_or(JobError::NoBotToken)?;
        let now = self.clock.now();
        if !bot.needs_refresh(now, REFRESH_MARGIN) {
            return Ok(bot.access_token);
        }
        if bot.expires_at.is_some_and(|at| at > now) {
            warn!("rotating token near expiry but no OAuth client configured to refresh it");
            Ok(bot.access_token)
        } else {
            Err(JobError::RefreshNotConfigured)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_refusals_are_classified_for_the_refresh_path() {
        let api = |code: &str| SlackApiError::Api {
            error: code.to_owned(),
        };
        assert!(matches!(
            classify(api("invalid_refresh_token")),
            RefreshError::Revoked
        ));
        assert!(matches!(
            classify(api("token_revoked")),
            RefreshError::Revoked
        ));
        assert!(matches!(
            classify(api("bad_client_secret")),
            RefreshError::Rejected { code } if code == "bad_client_secret"
        ));
        assert!(matches!(
            classify(SlackApiError::RateLimited {
                retry_after: Duration::from_secs(3)
            }),
            RefreshError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(SlackApiError::Server { status: 503 }),
            RefreshError::Unavailable(_)
        ));
        assert!(matches!(
            classify(SlackApiError::Timeout),
            RefreshError::Unavailable(_)
        ));
        assert!(matches!(
            classify(api("internal_error")),
            RefreshError::Unavailable(_)
        ));
    }
}
