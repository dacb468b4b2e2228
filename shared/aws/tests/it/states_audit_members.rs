//! The issue-4 adapters on moto beyond the contracts: where OAuth states, members and audit
//! entries land, that no raw state is stored, and that audit entries edited or deleted behind
//! the app's back (with rights the app's roles do not have) are caught by `verify_chain`.

use crate::common;

use aws::{STATE_GRACE_SECS, keys};
use aws_sdk_dynamodb::types::AttributeValue;
use tenant::TenantId;
use tenant::audit::{AuditAction, AuditEvent, ChainError, verify_chain, verify_links};
use tenant::ports::{Member, OAuthStateRecord, Role, StateConsumed, StoreError};
use tenant::testkit::{random_suffix, random_tenant};

fn scan_text(items: &[std::collections::HashMap<String, AttributeValue>]) -> String {
    format!("{items:?}")
}

#[tokio::test]
async fn an_oauth_state_is_stored_under_its_hash_with_a_grace_ttl() {
    let Some(env) = common::env("oauth_state_item").await else {
        return;
    };
    let backend = env.backend().backend();
    let state = format!("raw-state-{}", random_suffix(24));
    let record = OAuthStateRecord {
        cookie_hash: "ab".repeat(32),
        purpose: tenant::ports::StatePurpose::INSTALL,
        created_at: 1_800_000_000,
        expires_at: 1_800_000_600,
    };
    backend.oauth_states.issue(&state, &record).await.unwrap();
    let items = env
        .dynamo()
        .scan()
        .table_name(&env.created.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let key = keys::oauth_state(&state);
    assert_eq!(item.get("pk"), Some(&AttributeValue::S(key.pk)));
    assert_eq!(item.get("sk"), Some(&AttributeValue::S("STATE".into())));
    assert_eq!(
        item.get(keys::EXPIRES_AT),
        Some(&AttributeValue::N(
            (record.expires_at + STATE_GRACE_SECS).to_string()
        ))
    );
    assert_eq!(item.get("used"), Some(&AttributeValue::Bool(false)));
    assert!(
        !scan_text(&items).contains(&state),
        "the raw state is stored"
    );

    assert!(matches!(
        backend
            .oauth_states
            .consume(&state, &record.cookie_hash, 1_800_000_001)
            .await,
        Ok(StateConsumed::Valid(_))
    ));
}

#[tokio::test]
async fn members_and_the_admin_guard_live_in_the_tenants_partition() {
    let Some(env) = common::env("member_items").await else {
        return;
    };
    let backend = env.backend().backend();
    let tenant = random_tenant();
    let admin = Member {
        user: tenant::UserId::parse("U0FIRSTADM").unwrap(),
        role: Role::Admin,
        added_at: 5,
    };
    assert!(
        backend
            .members
            .add_first_admin(&tenant, &admin)
            .await
            .unwrap()
    );
    let items = env
        .dynamo()
        .scan()
        .table_name(&env.created.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut sort_keys: Vec<&str> = items
        .iter()
        .inspect(|item| {
            assert_eq!(
                item.get("pk"),
                Some(&AttributeValue::S(keys::tenant_pk(&tenant)))
            )
        })
        .filter_map(|item| item.get("sk").and_then(|v| v.as_s().ok()))
        .map(String::as_str)
        .collect();
    sort_keys.sort();
    assert_eq!(sort_keys, ["ADMIN_GUARD", "MEMBER#U0FIRSTADM"]);
}

async fn chain_of(env: &common::Env, n: i64) -> TenantId {
    let backend = env.backend().backend();
    let tenant = random_tenant();
    for i in 0..n {
        let event = AuditEvent {
            actor: "operator".into(),
            action: AuditAction::Resume,
            detail: format!("entry {i}"),
            at: 1_700_000_000 + i,
        };
        backend.audit.append(&tenant, event).await.unwrap();
    }
    tenant
}

#[tokio::test]
async fn audit_entries_go_to_the_audit_table_only() {
    let Some(env) = common::env("audit_items").await else {
        return;
    };
    let tenant = chain_of(&env, 3).await;
    let app_items = env
        .dynamo()
        .scan()
        .table_name(&env.created.table)
        .send()
        .await
        .unwrap()
        .count();
    assert_eq!(app_items, 0, "nothing of the audit log in the app table");
    let items = env
        .dynamo()
        .scan()
        .table_name(&env.created.audit_table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut sort_keys: Vec<&str> = items
        .iter()
        .filter_map(|item| item.get("sk").and_then(|v| v.as_s().ok()))
        .map(String::as_str)
        .collect();
    sort_keys.sort();
    assert_eq!(
        sort_keys,
        [
            "SEQ#00000000000000000001",
            "SEQ#00000000000000000002",
            "SEQ#00000000000000000003"
        ]
    );
    assert!(items.iter().all(|item| {
        item.get("pk") == Some(&AttributeValue::S(keys::tenant_pk(&tenant)))
            && !item.contains_key(keys::EXPIRES_AT)
    }));
}

/// An `UpdateItem` of the tenant's audit entry `seq`, as someone with rights the app's roles do
/// not have would make.
fn edit_entry(
    env: &common::Env,
    tenant: &TenantId,
    seq: u64,
) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
    env.dynamo()
        .update_item()
        .table_name(&env.created.audit_table)
        .set_key(Some(keys::audit_entry(tenant, seq).to_map()))
}

#[tokio::test]
async fn audit_entries_edited_or_deleted_in_the_table_are_caught() {
    let Some(env) = common::env("audit_tamper").await else {
        return;
    };
    let backend = env.backend().backend();

    // Edited (an operator with UpdateItem rights, which the app's roles do not have).
    let tenant = chain_of(&env, 4).await;
    edit_entry(&env, &tenant, 2)
        .update_expression("SET detail = :d")
        .expression_attribute_values(":d", AttributeValue::S("nothing happened".into()))
        .send()
        .await
        .unwrap();
    let entries = backend.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Edited { seq: 2 })
    );

    // Deleted.
    let tenant = chain_of(&env, 4).await;
    env.dynamo()
        .delete_item()
        .table_name(&env.created.audit_table)
        .set_key(Some(keys::audit_entry(&tenant, 3).to_map()))
        .send()
        .await
        .unwrap();
    let entries = backend.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Broken { seq: 4 })
    );
}

#[tokio::test]
async fn the_newest_audit_entry_rewritten_with_a_recomputed_hash_is_caught_by_its_kms_seal() {
    let Some(env) = common::env("audit_rewrite").await else {
        return;
    };
    let backend = env.backend().backend();
    let tenant = chain_of(&env, 3).await;
    let intact = backend.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &tenant, &intact).await,
        Ok(())
    );
    // Someone with write access to the table (not to the KMS key) rewrites the newest entry
    // and recomputes its plain hash; the seal stays the old one.
    let mut newest = intact[2].clone();
    newest.actor = "slack:UATTACKER".into();
    newest.hash = newest.compute_hash();
    edit_entry(&env, &tenant, 3)
        .update_expression("SET actor = :a, #hash = :h")
        .expression_attribute_names("#hash", "hash")
        .expression_attribute_values(":a", AttributeValue::S(newest.actor.clone()))
        .expression_attribute_values(":h", AttributeValue::S(newest.hash.clone()))
        .send()
        .await
        .unwrap();
    let entries = backend.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_links(&tenant, &entries),
        Ok(()),
        "the plain chain is fooled"
    );
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Unsealed { seq: 3 })
    );
    // Dropping the seal does not help either.
    edit_entry(&env, &tenant, 3)
        .update_expression("REMOVE seal")
        .send()
        .await
        .unwrap();
    let entries = backend.audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Unsealed { seq: 3 })
    );
}

#[tokio::test]
async fn an_audit_item_claiming_another_tenant_is_corrupt() {
    let Some(env) = common::env("audit_forged").await else {
        return;
    };
    let backend = env.backend().backend();
    let tenant = chain_of(&env, 1).await;
    let key = keys::audit_entry(&tenant, 2);
    env.dynamo()
        .put_item()
        .table_name(&env.created.audit_table)
        .item("pk", AttributeValue::S(key.pk))
        .item("sk", AttributeValue::S(key.sk))
        .item("tenant_id", AttributeValue::S(random_tenant().to_string()))
        .item("seq", AttributeValue::N("2".into()))
        .item("at", AttributeValue::N("1".into()))
        .item("actor", AttributeValue::S("x".into()))
        .item("action", AttributeValue::S("install".into()))
        .item("detail", AttributeValue::S("x".into()))
        .item("prev_hash", AttributeValue::S("x".into()))
        .item("hash", AttributeValue::S("x".into()))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        backend.audit.list(&tenant).await,
        Err(StoreError::Corrupt(_))
    ));
}
