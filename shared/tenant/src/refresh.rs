//! The one refresh path for every provider's rotating tokens: Slack's bot token, the CRMs,
//! Fathom, Google (the credential model in the design notes).
//!
//! [`fresh_token`] returns an access token that is good for at least `margin`, refreshing it
//! first when it is not. What differs per provider is only the call that trades a refresh token
//! for a new grant (a [`Refresher`]) and where the token is stored (a [`TokenSlot`]: a typed
//! credential, or the bot token inside the tenant's Slack bundle). The rest is written here once:
//!
//! * **One refresher per token at a time.** The refresh runs under the slot's lease in the
//!   ledger ([`crate::idempotency::once`], freed as soon as the refresh ends). Providers with
//!   single-use refresh tokens (Slack, Salesforce's rotating ones) would otherwise leave one of
//!   two concurrent refreshers with a revoked token. Everyone else polls (bounded by
//!   [`RefreshPolicy::wait`]) until the lease goes and reads the token again, fresh.
//! * **Re-read under the lease.** The holder reads past any cache: another process may have
//!   refreshed between our read and our lease, and a cached refresh token may be spent.
//! * **Recovery.** A holder that died keeps the lease until it lapses; its successor refreshes
//!   with whatever refresh token is stored: the new one if the dead holder stored it, else the
//!   previous one (Slack accepts it for a grace period, slack.md 2.3; Google's do not rotate).
//! * **Never undo a concurrent writer.** The new tokens are written conditionally, onto what
//!   is stored *then*, and only while it still holds the refresh token this refresh spent: a
//!   disconnect (deleted credential, revoked bot) stays done, and a reconnect's newer tokens are
//!   kept (and returned) instead of ours.
//!
//! A [`Refresher`]'s call has its own timeout, which MUST be shorter than
//! [`RefreshPolicy::lease`] (the lease rules of [`crate::idempotency`]).

mod slot;

use std::convert::Infallible;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tracing::{info, warn};

use crate::audit::{AuditAction, AuditEvent};
use crate::credential::{Credential, CredentialMetadata};
use crate::idempotency::{Once, OnceError, Policy, Settle, once};
use crate::ports::{Backend, BoxError, StoreError};
use crate::secret::Secret;

pub use slot::{BotTokenSlot, Change, CredentialSlot, SlotError, TokenSlot};

/// What a provider answered to a refresh.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: Secret,
    /// The new refresh token, or `None` when the provider keeps the old one valid (Google):
    /// the stored one is then kept.
    pub refresh_token: Option<Secret>,
    /// How long `access_token` lives; `None`: the provider did not say (stored without expiry).
    pub expires_in: Option<Duration>,
    /// The scopes granted; empty: unchanged.
    pub scopes: Vec<String>,
    /// Metadata the provider reported again (a Salesforce `instance_url`); fields left `None`
    /// keep what is stored.
    pub metadata: CredentialMetadata,
}

impl Grant {
    /// A grant of just a new access token.
    pub fn new(access_token: Secret) -> Self {
        Self {
            access_token,
            refresh_token: None,
            expires_in: None,
            scopes: Vec::new(),
            metadata: CredentialMetadata::default(),
        }
    }

    /// Puts the grant into `credential`, received at `now`.
    fn apply(&self, credential: &mut Credential, now: SystemTime) {
        credential.access_token = self.access_token.clone();
        if let Some(refresh) = &self.refresh_token {
            credential.refresh_token = Some(refresh.clone());
        }
        credential.expires_at = self.expires_in.map(|lives| now + lives);
        if !self.scopes.is_empty() {
            credential.scopes = self.scopes.clone();
        }
        let (new, old) = (&self.metadata, &mut credential.metadata);
        for (new, old) in [
            (&new.instance_url, &mut old.instance_url),
            (&new.portal_id, &mut old.portal_id),
            (&new.account_email, &mut old.account_email),
            (&new.channel_id, &mut old.channel_id),
        ] {
            if new.is_some() {
                old.clone_from(new);
            }
        }
    }
}

/// Why a provider did not give a new grant. No variant ever holds a token.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The grant is gone (`invalid_grant`, a revoked app, a spent refresh token): the user or
    /// an admin must reconnect. Never retried.
    #[error("the provider revoked the grant; it must be reconnected")]
    Revoked,
    /// The provider asked us to slow down.
    #[error("the provider rate limited the refresh")]
    RateLimited { retry_after: Option<Duration> },
    /// The provider could not be reached or failed (timeout, 5xx): retry later. The cause is
    /// the provider client's error, which MUST NOT quote a token.
    #[error("the provider is unavailable")]
    Unavailable(#[source] BoxError),
    /// The provider refused for another reason (our client credentials, a malformed answer):
    /// retrying will not help, and neither will the user. `code` is the provider's error code
    /// or a fixed description, never a token.
    #[error("the provider rejected the refresh: {code}")]
    Rejected { code: String },
}

/// Trades a refresh token for a new grant: the one thing each provider does its own way.
#[async_trait]
pub trait Refresher: Send + Sync {
    /// Calls the provider with `refresh_token` (the one stored in `current`, which is there
    /// for its metadata: a Salesforce `instance_url`). Its timeout MUST be shorter than the
    /// refresh lease.
    async fn refresh(
        &self,
        refresh_token: &Secret,
        current: &Credential,
    ) -> Result<Grant, RefreshError>;
}

/// The clocks of a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh a token that expires within this.
    pub margin: Duration,
    /// How long a refresher holds the token's lease at most (a dead one's lapses after this).
    /// Longer than the refresher's timeout plus the store's.
    pub lease: Duration,
    /// How long a caller waits for another's refresh before giving up ([`TokenError::Busy`]).
    pub wait: Duration,
    /// How often a waiting caller looks again.
    pub poll: Duration,
}

/// Why no usable token came back.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Nothing is stored (never connected, disconnected, the bot revoked).
    #[error("no token is stored")]
    Missing,
    #[error("token storage failed")]
    Storage(#[from] SlotError),
    #[error("the refresh lease could not be taken")]
    Ledger(#[source] StoreError),
    /// Another refresher held the lease for longer than [`RefreshPolicy::wait`].
    #[error("another refresh of this token did not finish in time")]
    Busy,
    #[error("the token could not be refreshed")]
    Refresh(#[from] RefreshError),
}

/// An access token from `slot` that is good for at least `policy.margin`, refreshed with
/// `refresher` first if need be (see the module doc). `now` is the caller's clock.
pub async fn fresh_token(
    backend: &Backend,
    slot: &dyn TokenSlot,
    refresher: &dyn Refresher,
    policy: RefreshPolicy,
    now: &(dyn Fn() -> SystemTime + Sync),
) -> Result<Secret, TokenError> {
    let deadline = Instant::now() + policy.wait;
    let mut fresh = false;
    loop {
        let current = slot.read(fresh).await?.ok_or(TokenError::Missing)?;
        if !current.needs_refresh(now(), policy.margin) {
            return Ok(current.access_token);
        }
        // A lock, not a record: freed as soon as the refresh ends, whatever its result, so
        // the ttl only has to outlive the lease.
        let lease = Policy {
            lease: policy.lease,
            ttl: policy.lease * 2,
        };
        let ran = once(
            backend.ledger.as_ref(),
            slot.tenant(),
            &slot.lease_key(),
            lease,
            now,
            |_| async {
                let result = refresh_held(backend, slot, refresher, policy.margin, now).await;
                Settle::<_, Infallible>::Free(result)
            },
        )
        .await;
        match ran {
            Ok(Once::Ran(Ok(result))) => return result,
            Ok(Once::Ran(Err(never))) => match never {},
            Ok(Once::Busy | Once::AlreadyDone { .. }) => {
                if Instant::now() >= deadline {
                    return Err(TokenError::Busy);
                }
                tokio::time::sleep(policy.poll).await;
                // The holder may have stored a new token: a cached read could still show the
                // old one for minutes.
                fresh = true;
            }
            Err(OnceError::Claim(err) | OnceError::Record(err)) => {
                return Err(TokenError::Ledger(err));
            }
        }
    }
}

/// Under the lease: re-read, refresh if still needed, store onto what is stored now.
async fn refresh_held(
    backend: &Backend,
    slot: &dyn TokenSlot,
    refresher: &dyn Refresher,
    margin: Duration,
    now: &(dyn Fn() -> SystemTime + Sync),
) -> Result<Secret, TokenError> {
    let current = slot.read(true).await?.ok_or(TokenError::Missing)?;
    if !current.needs_refresh(now(), margin) {
        // Someone refreshed between our read and our lease.
        return Ok(current.access_token);
    }
    let spent = current.refresh_token.clone().ok_or(TokenError::Missing)?;
    let grant = refresher.refresh(&spent, &current).await?;
    let received = now();
    // A read-modify-write conditional on what it reads: whatever was written while the
    // provider answered (a disconnect, a reconnect) is the base, and the grant goes on only
    // while the refresh token it replaces is still the stored one. One new token and its
    // refresh token land in one write, so the store never holds a spent refresh token
    // without its replacement.
    let stored = slot
        .update(&mut |credential| {
            if credential.refresh_token.as_ref() == Some(&spent) {
                grant.apply(credential, received);
            }
        })
        .await?;
    match stored {
        Some(stored) if stored.access_token == grant.access_token => {}
        Some(stored) => {
            warn!(slot = %slot.name(), "token replaced while refreshing; keeping the newer one");
            return Ok(stored.access_token);
        }
        // Disconnected meanwhile: the new grant is dropped with it.
        None => return Err(TokenError::Missing),
    }
    let expires_in = grant.expires_in.unwrap_or_default().as_secs();
    info!(slot = %slot.name(), expires_in, "token refreshed");
    if slot.is_tenant_wide() {
        audit(backend, slot, expires_in, received).await;
    }
    Ok(grant.access_token)
}

/// Records a tenant-wide refresh (per-user ones would flood the tenant's log: a Google token
/// per user, hourly).
async fn audit(backend: &Backend, slot: &dyn TokenSlot, expires_in: u64, at: SystemTime) {
    let event = AuditEvent {
        actor: crate::service::actor::SYSTEM.to_owned(),
        action: AuditAction::TokenRefreshed,
        detail: format!("{} refreshed; expires in {expires_in} s", slot.name()),
        at: crate::time::unix_secs(at),
    };
    if let Err(err) = backend.audit.append(slot.tenant(), event).await {
        // The new tokens are stored; failing the caller now would only repeat the refresh.
        warn!(error = %err, "could not audit the token refresh");
    }
}
