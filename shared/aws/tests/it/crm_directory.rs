//! The CRM directory's contract and isolation suites on DynamoDB (moto), and its items: in
//! the tenant's own partition, with the keys `keys` documents.

use crate::common;

use followup::crm::CrmKind;
use followup::testkit::contract;
use followup::testkit::contract::crm_directory::{random_domain, sample_mapping};
use tenant::testkit::random_tenant;

#[tokio::test]
async fn dynamo_crm_directory_keeps_the_contract() {
    let Some(env) = common::env("crm_directory_contract").await else {
        return;
    };
    contract::directory(env.backend().crm_directory().as_ref()).await;
}

#[tokio::test]
async fn dynamo_crm_directory_is_isolated_by_tenant() {
    let Some(env) = common::env("crm_directory_isolation").await else {
        return;
    };
    contract::directory_isolation(env.backend().crm_directory().as_ref()).await;
}

#[tokio::test]
async fn more_mappings_than_one_batch_are_all_deleted() {
    let Some(env) = common::env("crm_directory_batches").await else {
        return;
    };
    let store = env.backend().crm_directory();
    let (t, other) = (random_tenant(), random_tenant());
    // Past one BatchWriteItem (25) and in two kinds, plus one in another tenant.
    let domains: Vec<_> = (0..30).map(|_| random_domain()).collect();
    for (i, d) in domains.iter().enumerate() {
        let m = sample_mapping(d, &format!("{i}"), false);
        store.save_mapping(&t, CrmKind::Hubspot, &m).await.unwrap();
        store.save_mapping(&t, CrmKind::Crono, &m).await.unwrap();
    }
    let kept = sample_mapping(&domains[0], "kept", true);
    store
        .save_mapping(&other, CrmKind::Hubspot, &kept)
        .await
        .unwrap();

    store.delete_mappings(&t, CrmKind::Hubspot).await.unwrap();
    for d in &domains {
        assert_eq!(store.mapping(&t, CrmKind::Hubspot, d).await.unwrap(), None);
        assert!(
            store
                .mapping(&t, CrmKind::Crono, d)
                .await
                .unwrap()
                .is_some()
        );
    }
    store.delete_all(&t).await.unwrap();
    for d in &domains {
        assert_eq!(store.mapping(&t, CrmKind::Crono, d).await.unwrap(), None);
    }
    assert_eq!(
        store
            .mapping(&other, CrmKind::Hubspot, &domains[0])
            .await
            .unwrap(),
        Some(kept)
    );

    // The items sit in the tenant's partition under the documented keys, nowhere else.
    let item = env
        .dynamo()
        .get_item()
        .table_name(&env.config.table_name)
        .set_key(Some(
            aws::keys::crm_mapping(&other, CrmKind::Hubspot, &domains[0]).to_map(),
        ))
        .send()
        .await
        .unwrap()
        .item
        .expect("the mapping item");
    assert_eq!(
        item.get("pk")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some(format!("T#{other}").as_str())
    );
}
