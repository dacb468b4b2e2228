//! A refresh reaches only its own credential: not another tenant's, not another user's of the
//! same provider, and its lease does not hold up theirs.

use tenant::refresh::{CredentialSlot, fresh_token};
use tenant::testkit::{MemoryStores, random_tenant, random_user};
use tenant::{CredentialId, Provider};

use super::fake::{FakeProvider, POLICY};
use super::{TestClock, store_new, stored};

#[tokio::test]
async fn tenant_as_refresh_never_touches_tenant_bs_credential() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let a = CredentialId::tenant_wide(random_tenant(), Provider::Hubspot);
    let b = CredentialId::tenant_wide(random_tenant(), Provider::Hubspot);
    // Same tokens on both sides, so a slip in the keys could not tell them apart by value.
    for id in [&a, &b] {
        store_new(&stores, &clock, id, ("access-0", "refresh-0"), 60).await;
    }
    let b_before = stored(&stores, &b).await;
    let provider = FakeProvider::accepting("refresh-0");
    let slot = CredentialSlot::new(stores.credentials.as_ref(), a.clone());

    let token = fresh_token(&stores.backend(), &slot, &provider, POLICY, &tick)
        .await
        .unwrap();

    assert_eq!(token.expose(), "access-1");
    assert_eq!(stored(&stores, &b).await, b_before);
    use tenant::ports::AuditLog;
    assert!(
        stores.audit.list(b.tenant()).await.unwrap().is_empty(),
        "nothing audited for B"
    );
}

#[tokio::test]
async fn user_as_refresh_never_touches_user_bs_and_does_not_hold_it_up() {
    let (stores, clock) = (MemoryStores::new(), TestClock::new());
    let tick = || clock.now();
    let tenant = random_tenant();
    let a = CredentialId::for_user(tenant.clone(), Provider::Google, random_user());
    let b = CredentialId::for_user(tenant, Provider::Google, random_user());
    for id in [&a, &b] {
        store_new(&stores, &clock, id, ("access-0", "refresh-0"), 60).await;
    }
    let b_before = stored(&stores, &b).await;
    // A's provider call hangs until B's refresh is through: with one lease per tenant and
    // provider, B would wait for A and this test would time out.
    let slow = FakeProvider::accepting("refresh-0");
    slow.hold();
    let quick = FakeProvider::accepting("refresh-0");
    let backend = stores.backend();
    let (slot_a, slot_b) = (
        CredentialSlot::new(stores.credentials.as_ref(), a.clone()),
        CredentialSlot::new(stores.credentials.as_ref(), b.clone()),
    );
    let mut impatient = POLICY;
    impatient.wait = std::time::Duration::from_millis(500);

    let (token_a, token_b) = tokio::join!(
        fresh_token(&backend, &slot_a, &slow, POLICY, &tick),
        async {
            slow.arrived.notified().await;
            let b_now = stored(&stores, &b).await;
            assert_eq!(b_now, b_before, "A's refresh touched B before B refreshed");
            let token = fresh_token(&backend, &slot_b, &quick, impatient, &tick).await;
            slow.release();
            token
        }
    );

    assert_eq!(token_a.unwrap().expose(), "access-1");
    assert_eq!(token_b.unwrap().expose(), "access-1");
    let (a_now, b_now) = (
        stored(&stores, &a).await.unwrap(),
        stored(&stores, &b).await.unwrap(),
    );
    // Each got its own provider's grant; neither wrote over the other.
    assert_eq!(slow.presented(), ["refresh-0"]);
    assert_eq!(quick.presented(), ["refresh-0"]);
    assert_eq!(a_now.refresh_token.unwrap().expose(), "refresh-1");
    assert_eq!(b_now.refresh_token.unwrap().expose(), "refresh-1");
    assert_ne!(a_now.expires_at, None);
}
