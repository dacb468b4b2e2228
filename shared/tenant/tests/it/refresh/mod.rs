//! The one refresh path (`tenant::refresh`) on the memory adapters, with a fake provider.

mod fake;
mod isolation;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use fake::{FakeProvider, LIVES, POLICY, expiring};
use tenant::audit::AuditAction;
use tenant::credential::unix_secs;
use tenant::ports::{Credentials, Expected, LedgerKey, Vault, replace_bundle};
use tenant::refresh::{
    BotTokenSlot, CredentialSlot, RefreshError, TokenError, TokenSlot, fresh_token,
};
use tenant::testkit::{MemoryStores, random_tenant, sample_bundle};
use tenant::{Credential, CredentialId, Provider, Secret};

/// A clock the test moves by hand.
struct TestClock {
    base: SystemTime,
    ahead_ms: AtomicU64,
}

impl TestClock {
    fn new() -> Self {
        Self {
            base: unix_secs::at(1_800_000_000),
            ahead_ms: AtomicU64::new(0),
        }
    }

    fn now(&self) -> SystemTime {
        self.base + Duration::from_millis(self.ahead_ms.load(Ordering::SeqCst))
    }

    fn advance(&self, by: Duration) {
        self.ahead_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

/// Stores a new credential `id` whose `access` expires `in_secs` from now.
async fn store_new(
    stores: &MemoryStores,
    clock: &TestClock,
    id: &CredentialId,
    (access, refresh): (&str, &str),
    in_secs: u64,
) {
    let credential = expiring(access, refresh, clock.now(), in_secs);
    stores
        .credentials
        .put(id, &credential, &Expected::Absent)
        .await
        .unwrap();
}

/// A tenant-wide HubSpot credential expiring in `in_secs`, stored; and its id.
async fn stored_hubspot(stores: &MemoryStores, clock: &TestClock, in_secs: u64) -> CredentialId {
    let id = CredentialId::tenant_wide(random_tenant(), Provider::Hubspot);
    store_new(stores, clock, &id, ("access-0", "refresh-0"), in_secs).await;
    id
}

async fn stored(stores: &MemoryStores, id: &CredentialId) -> Option<Credential> {
    stores
        .credentials
        .get_fresh(id)
        .await
        .unwrap()
        .map(|v| v.value)
}

async fn refreshes_audited(stores: &MemoryStores, slot: &dyn TokenSlot) -> Vec<String> {
    use tenant::ports::AuditLog;
    stores
        .audit
        .list(slot.tenant())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRefreshed)
        .map(|e| e.detail)
        .collect()
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed_stored_and_audited() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 300).await;
    let provider = FakeProvider::accepting("refresh-0");
    let backend = stores.backend();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    let token = fresh_token(&backend, &slot, &provider, POLICY, &tick)
        .await
        .unwrap();

    assert_eq!(token.expose(), "access-1");
    assert_eq!(provider.presented(), ["refresh-0"]);
    let now = stored(&stores, &id).await.unwrap();
    assert_eq!(now.access_token.expose(), "access-1");
    assert_eq!(now.refresh_token.unwrap().expose(), "refresh-1");
    assert_eq!(now.expires_at, Some(clock.now() + LIVES));
    // What the grant did not mention is kept.
    assert_eq!(now.metadata.portal_id.as_deref(), Some("portal-1"));
    assert_eq!(now.scopes, ["crm.objects.contacts.read"]);
    assert_eq!(
        refreshes_audited(&stores, &slot).await,
        ["hubspot credential refreshed; expires in 3600 s"]
    );
}

#[tokio::test]
async fn a_token_far_from_expiry_is_returned_without_calling_the_provider() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 7200).await;
    let provider = FakeProvider::accepting("refresh-0");
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    let token = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick)
        .await
        .unwrap();

    assert_eq!(token.expose(), "access-0");
    assert_eq!(provider.calls(), 0);
    assert!(refreshes_audited(&stores, &slot).await.is_empty());
}

#[tokio::test]
async fn two_concurrent_callers_make_one_provider_call_and_both_get_the_new_token() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 60).await;
    let provider = FakeProvider::accepting("refresh-0");
    *provider.delay.lock().unwrap() = Duration::from_millis(200);
    let backend = stores.backend();
    let (one, two) = (
        CredentialSlot::new(stores.credentials.as_ref(), id.clone()),
        CredentialSlot::new(stores.credentials.as_ref(), id.clone()),
    );

    let (a, b) = tokio::join!(
        fresh_token(&backend, &one, &provider, POLICY, &tick),
        fresh_token(&backend, &two, &provider, POLICY, &tick),
    );

    assert_eq!(provider.calls(), 1, "exactly one refresh");
    assert_eq!(a.unwrap().expose(), "access-1");
    assert_eq!(b.unwrap().expose(), "access-1");
    assert_eq!(refreshes_audited(&stores, &one).await.len(), 1);
}

#[tokio::test]
async fn a_holder_that_died_after_the_provider_answered_is_recovered_with_the_stored_token() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 60).await;
    let provider = FakeProvider::accepting("refresh-0");
    provider.lose_answers.store(true, Ordering::SeqCst);
    let backend = stores.backend();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    // The holder is cut off (its Lambda timed out) after the provider issued a grant that
    // nobody stored: its lease stays taken.
    let died = tokio::time::timeout(
        Duration::from_millis(300),
        fresh_token(&backend, &slot, &provider, POLICY, &tick),
    )
    .await;
    assert!(died.is_err(), "the holder never returned");
    assert_eq!(provider.calls(), 1);
    assert_eq!(
        stored(&stores, &id).await.unwrap().access_token.expose(),
        "access-0"
    );

    // Within its lease nobody else refreshes: they wait, then give up.
    let mut impatient = POLICY;
    impatient.wait = Duration::from_millis(100);
    let busy = fresh_token(&backend, &slot, &provider, impatient, &tick).await;
    assert!(matches!(busy, Err(TokenError::Busy)), "{busy:?}");
    assert_eq!(provider.calls(), 1);

    // Once the lease lapses the next caller takes over and spends what is stored.
    clock.advance(POLICY.lease + Duration::from_secs(1));
    provider.lose_answers.store(false, Ordering::SeqCst);
    let token = fresh_token(&backend, &slot, &provider, POLICY, &tick)
        .await
        .unwrap();
    assert_eq!(token.expose(), "access-2");
    assert_eq!(provider.presented(), ["refresh-0", "refresh-0"]);
    let now = stored(&stores, &id).await.unwrap();
    assert_eq!(now.refresh_token.unwrap().expose(), "refresh-2");
}

#[tokio::test]
async fn a_disconnect_during_a_refresh_is_not_undone() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 60).await;
    let provider = FakeProvider::accepting("refresh-0");
    provider.hold();
    let backend = stores.backend();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    let (result, ()) = tokio::join!(
        fresh_token(&backend, &slot, &provider, POLICY, &tick),
        async {
            provider.arrived.notified().await;
            // The user disconnects while the provider is answering.
            stores.credentials.delete(&id, None).await.unwrap();
            provider.release();
        }
    );

    assert!(matches!(result, Err(TokenError::Missing)), "{result:?}");
    assert!(
        stored(&stores, &id).await.is_none(),
        "the disconnect was undone"
    );
}

#[tokio::test]
async fn a_reconnect_during_a_refresh_is_kept_and_its_token_returned() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 60).await;
    let provider = FakeProvider::accepting("refresh-0");
    provider.hold();
    let backend = stores.backend();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());
    let reconnected = expiring(
        "access-reconnected",
        "refresh-reconnected",
        clock.now(),
        7200,
    );

    let (result, ()) = tokio::join!(
        fresh_token(&backend, &slot, &provider, POLICY, &tick),
        async {
            provider.arrived.notified().await;
            let read = stores.credentials.get_fresh(&id).await.unwrap();
            stores
                .credentials
                .put(&id, &reconnected, &Expected::of(read.as_ref()))
                .await
                .unwrap();
            provider.release();
        }
    );

    assert_eq!(result.unwrap().expose(), "access-reconnected");
    assert_eq!(stored(&stores, &id).await, Some(reconnected));
    assert!(
        refreshes_audited(&stores, &slot).await.is_empty(),
        "nothing of the refresh was stored"
    );
}

#[tokio::test]
async fn a_revoked_grant_is_its_own_error_and_changes_nothing() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = stored_hubspot(&stores, &clock, 60).await;
    // The stored refresh token is not one the provider knows (revoked by the admin).
    let provider = FakeProvider::default();
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());
    let before = stored(&stores, &id).await;

    let err = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick)
        .await
        .unwrap_err();

    assert!(
        matches!(err, TokenError::Refresh(RefreshError::Revoked)),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
    assert!(
        !shown.contains("refresh-0") && !shown.contains("access-0"),
        "{shown}"
    );
    assert_eq!(stored(&stores, &id).await, before);
    // The lease was given back: the next try reaches the provider at once.
    provider.fail_next(RefreshError::RateLimited {
        retry_after: Some(Duration::from_secs(7)),
    });
    let limited = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick).await;
    assert!(matches!(
        limited,
        Err(TokenError::Refresh(RefreshError::RateLimited { retry_after: Some(d) })) if d.as_secs() == 7
    ));
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn a_provider_that_keeps_the_refresh_token_leaves_the_stored_one() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let id = CredentialId::for_user(
        random_tenant(),
        Provider::Google,
        tenant::testkit::random_user(),
    );
    store_new(&stores, &clock, &id, ("access-0", "refresh-google"), 60).await;
    let provider = FakeProvider::keeping("refresh-google");
    let slot = CredentialSlot::new(stores.credentials.as_ref(), id.clone());

    let token = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick)
        .await
        .unwrap();

    assert_eq!(token.expose(), "access-1");
    let now = stored(&stores, &id).await.unwrap();
    assert_eq!(now.refresh_token.unwrap().expose(), "refresh-google");
    assert_eq!(now.expires_at, Some(clock.now() + LIVES));
    assert!(
        refreshes_audited(&stores, &slot).await.is_empty(),
        "per-user refreshes are not audited"
    );
    assert_eq!(
        slot.lease_key(),
        LedgerKey::CredentialRefresh {
            provider: Provider::Google,
            user: id.user().cloned()
        }
    );
}

#[tokio::test]
async fn the_bot_token_in_the_bundle_refreshes_through_the_same_path() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let tenant = random_tenant();
    let mut bundle = sample_bundle("bot");
    let bot = bundle.bot.as_mut().unwrap();
    bot.token = Secret::new("access-0");
    bot.refresh_token = Some(Secret::new("refresh-0"));
    bot.expires_at = Some(unix_secs::of(clock.now()) + 60);
    replace_bundle(stores.vault.as_ref(), &tenant, bundle.clone())
        .await
        .unwrap();
    let provider = FakeProvider::accepting("refresh-0");
    let slot = BotTokenSlot::new(stores.vault.as_ref(), tenant.clone());

    let token = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick)
        .await
        .unwrap();

    assert_eq!(token.expose(), "access-1");
    let after = stores.vault.get(&tenant).await.unwrap().unwrap();
    let bot = after.bot.as_ref().unwrap();
    assert_eq!(bot.refresh_token.as_ref().unwrap().expose(), "refresh-1");
    assert_eq!(bot.expires_at, Some(unix_secs::of(clock.now() + LIVES)));
    // The rest of the bundle is as it was: the bot's ids and scopes, the user tokens.
    let before = bundle.bot.as_ref().unwrap();
    assert_eq!(
        (&bot.bot_user_id, &bot.bot_id, &bot.scopes),
        (&before.bot_user_id, &before.bot_id, &before.scopes)
    );
    assert_eq!(after.users, bundle.users);
    assert_eq!(slot.lease_key(), LedgerKey::TokenRefresh);
    assert_eq!(
        refreshes_audited(&stores, &slot).await,
        ["bot token refreshed; expires in 3600 s"]
    );
}
