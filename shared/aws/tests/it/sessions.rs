//! The DynamoDB session store beyond the contract, on moto: sessions sealed under KMS data
//! keys bound to tenant, user and recording, with no draft text and a TTL in the item.

use crate::common;

use aws_sdk_dynamodb::types::AttributeValue;
use followup::ports::SessionError;
use followup::testkit::sample_session;
use followup::{RecordingId, SessionKey};
use tenant::ports::{Expected, StoreError};
use tenant::testkit::{random_suffix, random_tenant, random_user};

fn key_of(key: &SessionKey) -> std::collections::HashMap<String, AttributeValue> {
    aws::keys::session(key).to_map()
}

#[tokio::test]
async fn an_item_copied_under_another_tenant_user_or_recording_does_not_open() {
    let Some(env) = common::env("sessions_moved").await else {
        return;
    };
    let store = env.backend().sessions();
    let dynamo = env.dynamo();
    let table = &env.config.table_name;
    let (a, b, u1, u2) = (
        random_tenant(),
        random_tenant(),
        random_user(),
        random_user(),
    );
    let now = jiff::Timestamp::now();
    let session = sample_session(&a, &u1, RecordingId::new(42), now, "moved");
    store.put(&session, &Expected::Absent, now).await.unwrap();
    let item = dynamo
        .get_item()
        .table_name(table)
        .set_key(Some(key_of(&session.key())))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();

    for target in [
        SessionKey::new(b.clone(), u1.clone(), RecordingId::new(42)),
        SessionKey::new(a.clone(), u2.clone(), RecordingId::new(42)),
        SessionKey::new(a.clone(), u1.clone(), RecordingId::new(43)),
    ] {
        let mut moved = item.clone();
        moved.extend(key_of(&target));
        dynamo
            .put_item()
            .table_name(table)
            .set_item(Some(moved))
            .send()
            .await
            .unwrap();
        let err = store.get(&target, now).await.unwrap_err();
        assert!(
            matches!(err, SessionError::Store(StoreError::Corrupt(_))),
            "{target}: {err:?}"
        );
    }
    assert_eq!(
        store
            .get(&session.key(), now)
            .await
            .unwrap()
            .map(|v| v.value),
        Some(session)
    );
}

#[tokio::test]
async fn the_item_holds_no_draft_text_and_a_ttl_no_earlier_than_the_expiry() {
    let Some(env) = common::env("sessions_at_rest").await else {
        return;
    };
    let store = env.backend().sessions();
    let marker = random_suffix(16);
    let now = jiff::Timestamp::now();
    let session = sample_session(
        &random_tenant(),
        &random_user(),
        RecordingId::new(7),
        now,
        &marker,
    );
    store.put(&session, &Expected::Absent, now).await.unwrap();
    let item = env
        .dynamo()
        .get_item()
        .table_name(&env.config.table_name)
        .set_key(Some(key_of(&session.key())))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let shown = format!("{item:?}");
    assert!(!shown.contains(&marker), "draft text in clear: {shown}");
    let Some(AttributeValue::N(ttl)) = item.get(aws::keys::EXPIRES_AT) else {
        panic!("no TTL attribute: {shown}");
    };
    assert!(ttl.parse::<i64>().unwrap() >= session.expires_at.as_second());
}
