//! The AWS credential store on moto beyond the contract: each tenant-wide credential a part of
//! the tenant's secret under its own KMS purpose, per-user ones in the table under
//! `{tenant_id, user_id, purpose}`, and what a moved ciphertext does.

use crate::common;

use aws::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use tenant::ports::{CredentialError, Expected, replace_bundle};
use tenant::testkit::{
    random_suffix, random_tenant, random_user, sample_bundle, sample_credential,
};
use tenant::{CredentialId, Provider};

async fn secret_json(env: &common::Env, tenant: &tenant::TenantId) -> Value {
    let name = keys::tenant_secret_name(&env.config.secret_prefix, tenant);
    let value = env
        .secrets()
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    serde_json::from_str(&value).unwrap()
}

async fn put_secret_json(env: &common::Env, tenant: &tenant::TenantId, value: &Value) {
    let name = keys::tenant_secret_name(&env.config.secret_prefix, tenant);
    env.secrets()
        .put_secret_value()
        .secret_id(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
}

/// KMS Decrypt of a stored base64 ciphertext under `context`, as a role would call it.
async fn kms_decrypts(env: &common::Env, ciphertext: &str, context: &[(&str, &str)]) -> bool {
    let mut request = aws_sdk_kms::Client::new(&env.sdk)
        .decrypt()
        .key_id(&env.config.kms_key_id)
        .ciphertext_blob(Blob::new(BASE64.decode(ciphertext).unwrap()));
    for (k, v) in context {
        request = request.encryption_context(*k, *v);
    }
    request.send().await.is_ok()
}

#[tokio::test]
async fn each_tenant_wide_credential_is_a_part_of_the_tenants_secret_under_its_own_purpose() {
    let Some(env) = common::env("credentials_parts").await else {
        return;
    };
    let backend = env.backend().backend();
    let tenant = random_tenant();
    replace_bundle(backend.vault.as_ref(), &tenant, sample_bundle("slack"))
        .await
        .unwrap();
    let marker = random_suffix(12);
    let hubspot = CredentialId::tenant_wide(tenant.clone(), Provider::Hubspot);
    backend
        .credentials
        .put(&hubspot, &sample_credential(&marker), &Expected::Absent)
        .await
        .unwrap();

    let value = secret_json(&env, &tenant).await;
    let parts = value["parts"].as_object().unwrap();
    assert_eq!(
        parts.keys().collect::<Vec<_>>(),
        ["bundle", "hubspot"],
        "one secret, two parts"
    );
    assert!(!value.to_string().contains(&marker), "ciphertext only");
    let hubspot_ct = parts["hubspot"]["ct"].as_str().unwrap();
    let bundle_ct = parts["bundle"]["ct"].as_str().unwrap();
    let t = tenant.as_str();
    // moto's KMS checks the context: only the part's own purpose opens it. A role granted
    // `slack-tokens` (the events function) gets the bundle and not the CRM token.
    assert!(
        kms_decrypts(
            &env,
            hubspot_ct,
            &[("tenant_id", t), ("purpose", "crm:hubspot")]
        )
        .await
    );
    assert!(
        !kms_decrypts(
            &env,
            hubspot_ct,
            &[("tenant_id", t), ("purpose", "slack-tokens")]
        )
        .await
    );
    assert!(
        !kms_decrypts(
            &env,
            hubspot_ct,
            &[("tenant_id", t), ("purpose", "crm:salesforce")]
        )
        .await
    );
    assert!(
        kms_decrypts(
            &env,
            bundle_ct,
            &[("tenant_id", t), ("purpose", "slack-tokens")]
        )
        .await
    );
    assert!(
        !kms_decrypts(
            &env,
            bundle_ct,
            &[("tenant_id", t), ("purpose", "crm:hubspot")]
        )
        .await
    );

    // Writes of one part do not conflict with readers of another: the vault's version of the
    // bundle still holds after the credential write.
    let bundle = backend.vault.get_fresh(&tenant).await.unwrap().unwrap();
    backend
        .credentials
        .put(
            &hubspot,
            &sample_credential("again"),
            &Expected::At(
                backend
                    .credentials
                    .get_fresh(&hubspot)
                    .await
                    .unwrap()
                    .unwrap()
                    .version,
            ),
        )
        .await
        .unwrap();
    backend
        .vault
        .put(
            &tenant,
            &sample_bundle("slack-2"),
            &Expected::At(bundle.version),
        )
        .await
        .expect("a write of the bundle is not refused for a CRM write next to it");
    assert_eq!(
        backend
            .credentials
            .get(&hubspot)
            .await
            .unwrap()
            .unwrap()
            .value,
        sample_credential("again")
    );
    backend.credentials.delete_all(&tenant).await.unwrap();
    assert_eq!(
        backend.vault.get(&tenant).await.unwrap(),
        Some(sample_bundle("slack-2")),
        "delete_all leaves the Slack bundle to the vault"
    );
    backend.vault.delete(&tenant).await.unwrap();
}

#[tokio::test]
async fn a_part_moved_to_another_provider_or_tenant_or_replayed_does_not_decrypt() {
    let Some(env) = common::env("credentials_moved_part").await else {
        return;
    };
    let store = env.backend().backend().credentials;
    let (a, b) = (random_tenant(), random_tenant());
    for t in [&a, &b] {
        store
            .put(
                &CredentialId::tenant_wide(t.clone(), Provider::Hubspot),
                &sample_credential("x"),
                &Expected::Absent,
            )
            .await
            .unwrap();
    }
    let a_value = secret_json(&env, &a).await;
    let hubspot_part = a_value["parts"]["hubspot"].clone();

    // Under another provider's name in the same secret.
    let mut moved = a_value.clone();
    moved["parts"]["salesforce"] = hubspot_part.clone();
    put_secret_json(&env, &a, &moved).await;
    let salesforce = CredentialId::tenant_wide(a.clone(), Provider::Salesforce);
    assert!(matches!(
        store.get(&salesforce).await,
        Err(CredentialError::Decrypt)
    ));

    // Into another tenant's secret.
    let mut b_value = secret_json(&env, &b).await;
    b_value["parts"]["hubspot"] = hubspot_part.clone();
    put_secret_json(&env, &b, &b_value).await;
    let b_hubspot = CredentialId::tenant_wide(b.clone(), Provider::Hubspot);
    assert!(matches!(
        store.get(&b_hubspot).await,
        Err(CredentialError::Decrypt)
    ));

    // An old ciphertext put back under a newer write id (a rollback to a spent refresh token).
    let mut replayed = a_value.clone();
    replayed["parts"]["hubspot"]["v"] = Value::from("f".repeat(32));
    put_secret_json(&env, &a, &replayed).await;
    let a_hubspot = CredentialId::tenant_wide(a.clone(), Provider::Hubspot);
    assert!(matches!(
        store.get(&a_hubspot).await,
        Err(CredentialError::Decrypt)
    ));
}

#[tokio::test]
async fn per_user_credentials_are_table_items_bound_to_tenant_user_and_purpose() {
    let Some(env) = common::env("credentials_per_user").await else {
        return;
    };
    let store = env.backend().backend().credentials;
    let (tenant, other_tenant) = (random_tenant(), random_tenant());
    let (u1, u2) = (random_user(), random_user());
    let marker = random_suffix(12);
    let mine = CredentialId::for_user(tenant.clone(), Provider::Google, u1.clone());
    store
        .put(&mine, &sample_credential(&marker), &Expected::Absent)
        .await
        .unwrap();

    let key = keys::user_credential(&tenant, Provider::Google, &u1);
    let item = env
        .dynamo()
        .get_item()
        .table_name(&env.created.table)
        .set_key(Some(key.to_map()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the credential is an item in the tenant's partition");
    let ct = match &item["ct"] {
        AttributeValue::S(ct) => ct.clone(),
        other => panic!("ct is {other:?}"),
    };
    assert!(
        !format!("{item:?}").contains(&marker),
        "no plaintext in the item"
    );
    let (t, u) = (tenant.as_str(), u1.as_str());
    assert!(
        kms_decrypts(
            &env,
            &ct,
            &[("tenant_id", t), ("user_id", u), ("purpose", "google")]
        )
        .await
    );
    assert!(
        !kms_decrypts(
            &env,
            &ct,
            &[
                ("tenant_id", t),
                ("user_id", u2.as_str()),
                ("purpose", "google")
            ]
        )
        .await
    );
    assert!(!kms_decrypts(&env, &ct, &[("tenant_id", t), ("purpose", "google")]).await);

    // The item copied under another user, another tenant, another provider.
    for target in [
        CredentialId::for_user(tenant.clone(), Provider::Google, u2.clone()),
        CredentialId::for_user(other_tenant.clone(), Provider::Google, u1.clone()),
        CredentialId::for_user(tenant.clone(), Provider::Fathom, u1.clone()),
    ] {
        let to = keys::user_credential(target.tenant(), target.provider(), target.user().unwrap());
        let mut copy = item.clone();
        copy.insert(keys::PK.into(), AttributeValue::S(to.pk));
        copy.insert(keys::SK.into(), AttributeValue::S(to.sk));
        env.dynamo()
            .put_item()
            .table_name(&env.created.table)
            .set_item(Some(copy))
            .send()
            .await
            .unwrap();
        let got = store.get(&target).await;
        assert!(
            matches!(got, Err(CredentialError::Decrypt)),
            "{target}: {got:?}"
        );
    }
    assert_eq!(
        store.get(&mine).await.unwrap().unwrap().value,
        sample_credential(&marker)
    );
}
