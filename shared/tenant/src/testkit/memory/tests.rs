//! The new suites (OAuth states, audit log, members) on the memory adapters, plus what only
//! the memory adapters can show: the raw state is not a key, tampering is caught, switches.

use super::MemoryStores;
use crate::audit::{AuditAction, AuditEvent, ChainError, verify_chain, verify_links};
use crate::ports::{AuditLog, OAuthStateRecord, OAuthStates, StoreError};
use crate::testkit::{contract, random_tenant};

#[tokio::test]
async fn memory_oauth_states_keep_the_contract() {
    contract::oauth_states(MemoryStores::new().backend().oauth_states.as_ref()).await;
}

#[tokio::test]
async fn memory_audit_log_keeps_the_contract() {
    contract::audit_log(MemoryStores::new().backend().audit.as_ref()).await;
}

#[tokio::test]
async fn memory_members_keep_the_contract() {
    contract::members(MemoryStores::new().backend().members.as_ref()).await;
}

#[tokio::test]
async fn memory_backend_isolates_audit_and_members() {
    contract::isolation(&MemoryStores::new().backend()).await;
}

#[tokio::test]
async fn the_raw_state_is_not_what_is_stored() {
    let stores = MemoryStores::new();
    let record = OAuthStateRecord {
        cookie_hash: "ab".repeat(32),
        purpose: crate::ports::StatePurpose::INSTALL,
        created_at: 1,
        expires_at: 2,
    };
    stores
        .oauth_states
        .issue("the-raw-state", &record)
        .await
        .unwrap();
    let keys = stores.oauth_states.stored_keys();
    assert_eq!(keys.len(), 1);
    assert!(!keys[0].contains("the-raw-state"));
    assert_eq!(keys[0].len(), 64, "a hex SHA-256");
}

#[tokio::test]
async fn tampering_with_a_stored_entry_is_caught_by_verify_chain() {
    let stores = MemoryStores::new();
    let tenant = random_tenant();
    for i in 0..3 {
        let event = AuditEvent {
            actor: "system".into(),
            action: AuditAction::TokenRefreshed,
            detail: format!("refresh {i}"),
            at: i,
        };
        stores.audit.append(&tenant, event).await.unwrap();
    }
    assert!(
        stores
            .audit
            .tamper(&tenant, 2, |e| e.detail = "nothing".into())
    );
    let listed = stores.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(stores.audit.as_ref(), &tenant, &listed).await,
        Err(ChainError::Edited { seq: 2 })
    );
}

#[tokio::test]
async fn the_newest_entry_rewritten_with_a_recomputed_hash_is_caught_by_its_seal() {
    let stores = MemoryStores::new();
    let tenant = random_tenant();
    for i in 0..3 {
        let event = AuditEvent {
            actor: "operator".into(),
            action: AuditAction::Suspend,
            detail: format!("step {i}"),
            at: i,
        };
        stores.audit.append(&tenant, event).await.unwrap();
    }
    assert!(stores.audit.tamper(&tenant, 3, |e| {
        e.actor = "nobody".into();
        e.hash = e.compute_hash();
    }));
    let listed = stores.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_links(&tenant, &listed),
        Ok(()),
        "a plain hash chain is fooled"
    );
    assert_eq!(
        verify_chain(stores.audit.as_ref(), &tenant, &listed).await,
        Err(ChainError::Unsealed { seq: 3 })
    );
}

#[tokio::test]
async fn switched_off_adapters_are_unavailable() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let tenant = random_tenant();
    stores.oauth_states.switch.set_down(true);
    stores.audit.switch.set_down(true);
    stores.members.switch.set_down(true);
    assert!(matches!(
        backend.oauth_states.consume("x", "", 0).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        backend.audit.list(&tenant).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        backend.members.list_members(&tenant).await,
        Err(StoreError::Unavailable(_))
    ));
    stores.members.switch.set_down(false);
    assert!(backend.members.list_members(&tenant).await.is_ok());
}
