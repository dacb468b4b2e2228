//! Bot tokens for jobs, refreshed shortly before they expire when the app uses token rotation.
//!
//! At most one refresh per tenant runs at a time: the refresher takes the tenant's
//! `TokenRefresh` lease in the ledger (a conditional write), re-reads the bundle from the store
//! (another process may have refreshed already), calls oauth.v2.access with the refresh token,
//! and stores the new access and refresh tokens in one write. Everyone else waits for the lease
//! to go and reads the new token. Slack's refresh tokens are single use, so two concurrent
//! refreshes (Bolt-JS's race) would leave one process with a revoked token: here they cannot
//! happen.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use tenant::audit::AuditAction;
use tenant::idempotency::{Once, OnceError, Policy, Settle, once};
use tenant::ports::{Expected, LedgerKey, VaultError, update_bundle};
use tenant::service;
use tenant::{BotToken, JobEnvelope, Secret};
use tracing::{info, warn};

use crate::Worker;
use crate::error::JobError;

/// Refresh a rotating token when it expires within this many seconds.
pub const REFRESH_MARGIN_SECS: i64 = 120 * 60;
/// How long a refresher holds the lease at most (a crashed one's lease lapses after this).
const LEASE: Duration = Duration::from_secs(30);
/// How often a waiting job looks for the refreshed token.
const POLL: Duration = Duration::from_millis(50);

impl Worker {
    /// The tenant's bot token, refreshed first if it is a rotating token close to expiry.
    pub(crate) async fn bot_token(&self, job: &JobEnvelope) -> Result<Secret, JobError> {
        let deadline = Instant::now() + LEASE + Duration::from_secs(5);
        let mut fresh = false;
        loop {
            let bundle = if fresh {
                self.backend
                    .vault
                    .get_fresh(&job.tenant)
                    .await?
                    .map(|read| read.value)
            } else {
                self.backend.vault.get(&job.tenant).await?
            };
            let bot = bundle.and_then(|b| b.bot).ok_or(JobError::NoBotToken)?;
            if !self.needs_refresh(&bot) {
                return Ok(bot.token);
            }
            let Some(oauth) = &self.oauth else {
                // Without client credentials we cannot refresh; the token works until it expires.
                return self.unrefreshed(bot);
            };
            // The refresh lease is a lock, not a record: it is freed as soon as the refresh
            // ends, and only its holder's token can free it. A holder that died leaves it to
            // lapse after LEASE; its successor (a recovery) re-reads the store and refreshes
            // with whatever refresh token is stored there: the new one if the dead holder
            // stored it, else the previous one, which Slack still accepts for a grace period
            // (slack.md 2.3). Every call under the lease has a timeout shorter than LEASE.
            let clock = || self.clock.now();
            let ran = once(
                self.backend.ledger.as_ref(),
                &job.tenant,
                &LedgerKey::TokenRefresh,
                Policy {
                    lease: LEASE,
                    ttl: LEASE * 2,
                },
                &clock,
                |_| async { Settle::<_, Infallible>::Free(self.refresh_bot(job, oauth).await) },
            )
            .await;
            match ran {
                Ok(Once::Ran(Ok(result))) => return result,
                Ok(Once::Ran(Err(never))) => match never {},
                Ok(Once::Busy | Once::AlreadyDone { .. }) => {
                    if Instant::now() >= deadline {
                        return Err(JobError::RefreshBusy);
                    }
                    tokio::time::sleep(POLL).await;
                    fresh = true;
                }
                Err(OnceError::Claim(err) | OnceError::Record(err)) => return Err(err.into()),
            }
        }
    }

    fn needs_refresh(&self, bot: &BotToken) -> bool {
        match (bot.expires_at, &bot.refresh_token) {
            (Some(expires_at), Some(_)) => {
                expires_at - self.clock.unix_secs() < REFRESH_MARGIN_SECS
            }
            _ => false,
        }
    }

    fn unrefreshed(&self, bot: BotToken) -> Result<Secret, JobError> {
        if bot.expires_at.is_some_and(|at| at > self.clock.unix_secs()) {
            warn!("rotating token near expiry but no OAuth client configured to refresh it");
            Ok(bot.token)
        } else {
            Err(JobError::RefreshNotConfigured)
        }
    }

    /// Under the lease: re-read, refresh if still needed, store the new tokens in one write,
    /// conditional on the bundle read. If another writer (a revocation, a reinstall) got in
    /// between, the new tokens go onto what it wrote, but only while its bot still holds the
    /// refresh token this refresh spent: a reinstall's newer tokens are never overwritten, and
    /// a revocation is never undone.
    async fn refresh_bot(
        &self,
        job: &JobEnvelope,
        oauth: &slack::oauth::OAuthClient,
    ) -> Result<Secret, JobError> {
        let vault = &self.backend.vault;
        let read = vault
            .get_fresh(&job.tenant)
            .await?
            .ok_or(JobError::NoBotToken)?;
        let mut bundle = read.value;
        let bot = bundle.bot.as_mut().ok_or(JobError::NoBotToken)?;
        if !self.needs_refresh(bot) {
            // Someone refreshed between our read and our lease.
            return Ok(bot.token.clone());
        }
        let spent = bot.refresh_token.clone().ok_or(JobError::NoBotToken)?;
        let access = oauth.refresh(&spent).await?;
        let token = access.access_token.ok_or(JobError::BadRefresh)?;
        // Slack always returns a new refresh token; the old one is spent. Storing both the new
        // access and refresh token in this one write means there is never a moment where the
        // store holds a spent refresh token without its replacement.
        let refreshed = access.refresh_token.ok_or(JobError::BadRefresh)?;
        let expires_at = access.expires_in.map(|secs| self.clock.unix_secs() + secs);
        let scopes = access.scope;
        let apply = |bot: &mut BotToken| {
            bot.token = token.clone();
            bot.refresh_token = Some(refreshed.clone());
            bot.expires_at = expires_at;
            if !scopes.is_empty() {
                bot.scopes = scopes.clone();
            }
        };
        apply(bot);
        match vault
            .put(&job.tenant, &bundle, &Expected::At(read.version))
            .await
        {
            Ok(_) => {}
            Err(VaultError::Conflict) => {
                let updated = update_bundle(vault.as_ref(), &job.tenant, |slot| {
                    let bot = slot.as_mut().and_then(|b| b.bot.as_mut())?;
                    if bot.refresh_token.as_ref() == Some(&spent) {
                        apply(bot);
                    }
                    Some(bot.token.clone())
                })
                .await?;
                match updated.value {
                    // Our tokens landed on top of the other write.
                    Some(stored) if stored == token => {}
                    // A reinstall stored a newer bot token: use it, ours is not needed.
                    Some(stored) => {
                        warn!("bot token replaced while refreshing; keeping the newer one");
                        return Ok(stored);
                    }
                    None => return Err(JobError::NoBotToken),
                }
            }
            Err(err) => return Err(err.into()),
        }
        let expires_in = access.expires_in.unwrap_or_default();
        info!(expires_in, "bot token refreshed");
        let detail = format!("bot token refreshed; expires in {expires_in} s");
        let now = self.clock.unix_secs();
        if let Err(err) = service::audit(
            &self.backend,
            &job.tenant,
            service::actor::SYSTEM,
            AuditAction::TokenRefreshed,
            detail,
            now,
        )
        .await
        {
            // The new tokens are stored; failing the job now would only repeat its side effect.
            warn!(error = %err, "could not audit the token refresh");
        }
        Ok(token)
    }
}
