//! A provider for the refresh tests: its refresh tokens rotate (unless it keeps them, as
//! Google does), a spent one stays accepted (Slack's grace period, which recovery relies on),
//! and a test can hold it mid-call, make it fail, or make it answer and then never return.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tenant::refresh::{Grant, RefreshError, RefreshPolicy, Refresher};
use tenant::{Credential, Secret};
use tokio::sync::Notify;

pub const LIVES: Duration = Duration::from_secs(3600);

pub const POLICY: RefreshPolicy = RefreshPolicy {
    margin: Duration::from_secs(600),
    lease: Duration::from_secs(30),
    wait: Duration::from_secs(5),
    poll: Duration::from_millis(10),
};

#[derive(Default)]
pub struct FakeProvider {
    calls: AtomicUsize,
    /// The refresh tokens presented, in order.
    presented: Mutex<Vec<String>>,
    /// Refresh tokens it accepts.
    valid: Mutex<HashSet<String>>,
    /// Google-style: no new refresh token in a grant.
    keeps_refresh_token: bool,
    /// The next answer is this error instead of a grant.
    fail_next: Mutex<Option<RefreshError>>,
    /// Holds every call after it arrived until [`FakeProvider::release`].
    gated: AtomicBool,
    /// Notified when a call arrives.
    pub arrived: Notify,
    gate: Notify,
    /// The provider issues the grant, but the call never returns (the caller died with it).
    pub lose_answers: AtomicBool,
    /// How long each answer takes (to widen races).
    pub delay: Mutex<Duration>,
}

impl FakeProvider {
    /// A provider that accepts `refresh` (what the stored credential holds).
    pub fn accepting(refresh: &str) -> Self {
        let provider = Self::default();
        provider.accept(refresh);
        provider
    }

    /// A provider like Google: it accepts `refresh` and never replaces it.
    pub fn keeping(refresh: &str) -> Self {
        let provider = Self {
            keeps_refresh_token: true,
            ..Self::default()
        };
        provider.accept(refresh);
        provider
    }

    pub fn accept(&self, refresh: &str) {
        self.valid.lock().unwrap().insert(refresh.to_owned());
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn presented(&self) -> Vec<String> {
        self.presented.lock().unwrap().clone()
    }

    pub fn fail_next(&self, err: RefreshError) {
        *self.fail_next.lock().unwrap() = Some(err);
    }

    /// From now on calls wait for [`FakeProvider::release`] after arriving.
    pub fn hold(&self) {
        self.gated.store(true, Ordering::SeqCst);
    }

    pub fn release(&self) {
        self.gated.store(false, Ordering::SeqCst);
        self.gate.notify_waiters();
        self.gate.notify_one();
    }
}

#[async_trait]
impl Refresher for FakeProvider {
    async fn refresh(&self, refresh: &Secret, _: &Credential) -> Result<Grant, RefreshError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.presented
            .lock()
            .unwrap()
            .push(refresh.expose().to_owned());
        self.arrived.notify_one();
        if self.gated.load(Ordering::SeqCst) {
            self.gate.notified().await;
        }
        let delay = *self.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        if let Some(err) = self.fail_next.lock().unwrap().take() {
            return Err(err);
        }
        if !self.valid.lock().unwrap().contains(refresh.expose()) {
            return Err(RefreshError::Revoked);
        }
        let mut grant = Grant::new(Secret::new(format!("access-{n}")));
        grant.expires_in = Some(LIVES);
        if !self.keeps_refresh_token {
            let next = format!("refresh-{n}");
            self.accept(&next);
            grant.refresh_token = Some(Secret::new(next));
        }
        if self.lose_answers.load(Ordering::SeqCst) {
            // Issued (a rotating provider now counts the old refresh token as spent), but the
            // caller never hears of it.
            std::future::pending::<()>().await;
        }
        Ok(grant)
    }
}

/// A credential whose access token `access` expires `in_secs` after `now`, refreshable with
/// `refresh`.
pub fn expiring(access: &str, refresh: &str, now: SystemTime, in_secs: u64) -> Credential {
    let mut credential = Credential::new(Secret::new(access));
    credential.refresh_token = Some(Secret::new(refresh));
    credential.expires_at = Some(now + Duration::from_secs(in_secs));
    credential.scopes = vec!["crm.objects.contacts.read".into()];
    credential.metadata.portal_id = Some("portal-1".into());
    credential
}
