//! The DynamoDB adapters on moto beyond the contracts: where items land, forged items, and the
//! conditional-write answers.

use crate::common;

use std::time::{Duration, SystemTime};

use aws::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use tenant::ports::{Claim, LedgerKey, StoreError};
use tenant::testkit::{random_suffix, random_tenant, sample_installation};
use tenant::{Tenant, TenantStatus};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn every_item_a_tenant_writes_lives_in_its_own_partition() {
    let Some(env) = common::env("dynamo_partitions").await else {
        return;
    };
    let backend = env.backend().backend();
    let now = SystemTime::now();
    let tenants = [random_tenant(), random_tenant()];
    for id in &tenants {
        backend
            .tenants
            .put(&Tenant::new(id.clone(), "x", 1))
            .await
            .unwrap();
        backend
            .tenants
            .put_installation(&sample_installation(id, 1))
            .await
            .unwrap();
        let key = LedgerKey::Event(format!("Ev{}", random_suffix(8)));
        backend
            .ledger
            .claim(id, &key, now, MINUTE, MINUTE)
            .await
            .unwrap();
        backend
            .usage
            .consume(id, "commands", 5, MINUTE, now)
            .await
            .unwrap();
    }

    let items = env
        .dynamo()
        .scan()
        .table_name(&env.created.table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 8, "4 items per tenant");
    for id in &tenants {
        let ours: Vec<_> = items
            .iter()
            .filter(|item| item.get("pk") == Some(&AttributeValue::S(keys::tenant_pk(id))))
            .collect();
        assert_eq!(ours.len(), 4, "{id}: every item under T#{id}");
        let mut sort_keys: Vec<String> = ours
            .iter()
            .filter_map(|item| item.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .map(|sk| sk.split('#').next().unwrap_or_default().to_owned())
            .collect();
        sort_keys.sort();
        assert_eq!(sort_keys, ["INSTALL", "LEDGER", "TENANT", "USAGE"]);
        for item in &ours {
            assert!(
                item.contains_key(keys::EXPIRES_AT)
                    || matches!(
                        item.get("sk")
                            .and_then(|v| v.as_s().ok())
                            .map(String::as_str),
                        Some("TENANT" | "INSTALL")
                    ),
                "expiring items carry the TTL attribute: {item:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_item_forged_into_another_partition_is_corrupt_not_served() {
    let Some(env) = common::env("dynamo_forged").await else {
        return;
    };
    let backend = env.backend().backend();
    let (a, b) = (random_tenant(), random_tenant());
    // B's partition holds a record claiming to be A's: the adapter must not hand it out as B's
    // tenant, nor as A's.
    env.dynamo()
        .put_item()
        .table_name(&env.created.table)
        .item("pk", AttributeValue::S(keys::tenant_pk(&b)))
        .item("sk", AttributeValue::S(keys::TENANT_SK.into()))
        .item("tenant_id", AttributeValue::S(a.to_string()))
        .item("name", AttributeValue::S("forged".into()))
        .item("status", AttributeValue::S("active".into()))
        .item("plan", AttributeValue::S("free".into()))
        .item("created_at", AttributeValue::N("1".into()))
        .item("updated_at", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        backend.tenants.get(&b).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(backend.tenants.get(&a).await.unwrap(), None);
}

#[tokio::test]
async fn conditional_check_failures_become_domain_answers() {
    let Some(env) = common::env("dynamo_conditions").await else {
        return;
    };
    let backend = env.backend().backend();
    let tenant = random_tenant();
    let now = SystemTime::now();

    // set_status_if on a missing tenant: NotFound, and no stub item written.
    assert!(matches!(
        backend
            .tenants
            .set_status_if(&tenant, TenantStatus::Active, TenantStatus::Suspended, 5)
            .await,
        Err(StoreError::NotFound)
    ));
    let count = env
        .dynamo()
        .scan()
        .table_name(&env.created.table)
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(count, 0);

    // A lost claim: InFlight (not an error).
    let key = LedgerKey::Event(format!("Ev{}", random_suffix(8)));
    let Claim::Acquired(lease) = backend
        .ledger
        .claim(&tenant, &key, now, MINUTE, MINUTE)
        .await
        .unwrap()
    else {
        panic!("a first claim is Acquired");
    };
    assert_eq!(
        backend
            .ledger
            .claim(&tenant, &key, now, MINUTE, MINUTE)
            .await
            .unwrap(),
        Claim::InFlight
    );
    // A full window: not allowed (not an error).
    let first = backend
        .usage
        .consume(&tenant, "c", 1, MINUTE, now)
        .await
        .unwrap();
    let second = backend
        .usage
        .consume(&tenant, "c", 1, MINUTE, now)
        .await
        .unwrap();
    assert!(first.allowed && !second.allowed);
    assert_eq!(second.used, 1);
    // Releasing a completed key: Ok and still done.
    backend
        .ledger
        .complete(&tenant, &key, &lease.token, "ok", now, MINUTE)
        .await
        .unwrap();
    backend
        .ledger
        .release(&tenant, &key, &lease.token)
        .await
        .unwrap();
    assert_eq!(
        backend
            .ledger
            .claim(&tenant, &key, now, MINUTE, MINUTE)
            .await
            .unwrap(),
        Claim::Done {
            outcome: "ok".into()
        }
    );
}

#[tokio::test]
async fn a_missing_table_is_unavailable_with_the_cause_kept() {
    let Some(env) = common::env("dynamo_missing").await else {
        return;
    };
    let mut config = env.config.clone();
    config.table_name = format!("{}-absent", config.table_name);
    let backend = aws::AwsBackend::new(&config, &env.sdk).backend();
    match backend.tenants.get(&random_tenant()).await {
        Err(err @ StoreError::Unavailable(_)) => {
            assert!(err.is_transient());
            let text = common::chain(&err);
            assert!(
                text.contains("ResourceNotFound"),
                "the cause names the AWS error: {text}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}
