//! At most one CRM search in flight per (tenant, user) in this process: a user typing fast
//! sends a request per keystroke, and each would otherwise be its own CRM call, eating the
//! workspace's CRM rate limit. A request waits (within the budget) for the user's running
//! one, then looks at the cache again.
//!
//! On Lambda one instance serves one request at a time, so two concurrent requests of a user
//! land on two instances and this does not hold across them; `switchboard serve` (one
//! process) and a warm instance answering a burst do get it. See docs/crm.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tenant::{TenantId, UserId};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

type Key = (TenantId, UserId);

/// The per-user turns. Entries are removed when nobody holds or waits for them.
#[derive(Default)]
pub struct InFlight {
    turns: Mutex<HashMap<Key, Arc<AsyncMutex<()>>>>,
}

/// The user's turn; the next waiting request of the same user goes when it is dropped.
pub struct Turn {
    guard: Option<OwnedMutexGuard<()>>,
    key: Key,
    owner: Arc<InFlight>,
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<AsyncMutex<()>>>> {
        self.turns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for `user`'s turn. Cancel-safe: a request dropped while waiting (its budget
    /// ran out) holds nothing.
    pub async fn turn(self: &Arc<Self>, tenant: &TenantId, user: &UserId) -> Turn {
        let key = (tenant.clone(), user.clone());
        let slot = self.lock().entry(key.clone()).or_default().clone();
        let guard = slot.lock_owned().await;
        Turn {
            guard: Some(guard),
            key,
            owner: Arc::clone(self),
        }
    }

    /// Requests holding or waiting for `user`'s turn (tests).
    #[cfg(test)]
    pub fn waiting(&self, tenant: &TenantId, user: &UserId) -> usize {
        self.lock()
            .get(&(tenant.clone(), user.clone()))
            .map_or(0, |slot| Arc::strong_count(slot) - 1)
    }

    /// Users with an entry (tests: entries do not pile up).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut turns = self.owner.lock();
        // Only the map holds it: nobody else waits, so the entry goes.
        if turns
            .get(&self.key)
            .is_some_and(|slot| Arc::strong_count(slot) == 1)
        {
            turns.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use tenant::testkit::random_tenant;

    use super::*;

    #[tokio::test]
    async fn a_users_second_request_waits_for_the_first_and_others_do_not() {
        let inflight = Arc::new(InFlight::default());
        let tenant = random_tenant();
        let (alice, bob) = (
            UserId::parse("U0ALICE").unwrap(),
            UserId::parse("U0BOB").unwrap(),
        );
        let first = inflight.turn(&tenant, &alice).await;
        // Bob is not held up by Alice.
        let bobs = inflight.turn(&tenant, &bob).await;
        drop(bobs);
        let second = {
            let inflight = inflight.clone();
            let (tenant, alice) = (tenant.clone(), alice.clone());
            tokio::spawn(async move {
                let _turn = inflight.turn(&tenant, &alice).await;
            })
        };
        while inflight.waiting(&tenant, &alice) < 2 {
            tokio::task::yield_now().await;
        }
        assert!(!second.is_finished());
        drop(first);
        second.await.unwrap();
        assert!(inflight.is_empty());
    }

    #[tokio::test]
    async fn a_waiter_dropped_before_its_turn_leaves_nothing_behind() {
        let inflight = Arc::new(InFlight::default());
        let tenant = random_tenant();
        let alice = UserId::parse("U0ALICE").unwrap();
        let first = inflight.turn(&tenant, &alice).await;
        {
            let waiting = inflight.turn(&tenant, &alice);
            tokio::pin!(waiting);
            // Polled once: it is waiting; then dropped (as when the budget runs out).
            assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        }
        drop(first);
        assert!(inflight.is_empty());
    }

    async fn futures_poll_once<F: Future + Unpin>(fut: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            out = fut => Some(out),
            _ = std::future::ready(()) => None,
        }
    }
}
