//! The KMS vault on moto beyond the contract: ciphertext bound to its tenant, the cache, limits.

mod common;

use std::collections::BTreeMap;

use aws::{KmsVault, MAX_PLAINTEXT, keys};
use tenant::ports::{Vault, VaultError};
use tenant::testkit::{random_suffix, random_tenant, sample_bundle};
use tenant::{Secret, TokenBundle};

async fn secret_value(env: &common::Env, name: &str) -> String {
    env.secrets()
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("read {name}: {}", common::chain(&e)))
        .secret_string
        .unwrap_or_else(|| panic!("{name} has no string value"))
}

#[tokio::test]
async fn a_bundle_copied_into_another_tenants_secret_does_not_decrypt() {
    let Some(env) = common::env("vault_copy").await else {
        return;
    };
    let vault = env.vault().with_force_delete(true);
    let (a, b) = (random_tenant(), random_tenant());
    let marker = random_suffix(12);
    vault.put(&a, &sample_bundle(&marker)).await.unwrap();
    vault.put(&b, &sample_bundle("b-tokens")).await.unwrap();

    let a_name = keys::tenant_secret_name(&env.config.secret_prefix, &a);
    let b_name = keys::tenant_secret_name(&env.config.secret_prefix, &b);
    let a_value = secret_value(&env, &a_name).await;
    assert!(
        !a_value.contains(&marker),
        "the stored value must be ciphertext, not the bundle"
    );
    // An attacker with secretsmanager:PutSecretValue copies A's ciphertext over B's.
    env.secrets()
        .put_secret_value()
        .secret_id(&b_name)
        .secret_string(a_value)
        .send()
        .await
        .unwrap();

    // A fresh instance, so nothing is served from the cache of the one that wrote.
    let reader = env.vault();
    match reader.get(&b).await {
        Err(VaultError::Decrypt) => {}
        other => panic!("expected Decrypt for a copied bundle, got {other:?}"),
    }
    assert!(reader.get(&a).await.unwrap().is_some(), "A still decrypts");
}

#[tokio::test]
async fn tampered_or_foreign_values_fail_as_decrypt_not_as_outage() {
    let Some(env) = common::env("vault_tamper").await else {
        return;
    };
    let vault = env.vault().with_force_delete(true);
    let tenant = random_tenant();
    vault.put(&tenant, &sample_bundle("x")).await.unwrap();
    let name = keys::tenant_secret_name(&env.config.secret_prefix, &tenant);
    for forged in ["not base64 at all!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        env.secrets()
            .put_secret_value()
            .secret_id(&name)
            .secret_string(forged)
            .send()
            .await
            .unwrap();
        match env.vault().get(&tenant).await {
            Err(err @ VaultError::Decrypt) => assert!(!err.is_transient()),
            other => panic!("expected Decrypt for {forged:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn cached_bundles_are_served_until_this_instance_writes() {
    let Some(env) = common::env("vault_cache").await else {
        return;
    };
    let vault = env.vault().with_force_delete(true);
    let other = env.vault();
    let tenant = random_tenant();
    let first = sample_bundle("first");
    vault.put(&tenant, &first).await.unwrap();
    assert_eq!(vault.get(&tenant).await.unwrap(), Some(first.clone()));

    // Another container replaces it: this instance keeps its cached copy (bounded by 5 min)...
    let second = sample_bundle("second");
    other.put(&tenant, &second).await.unwrap();
    assert_eq!(vault.get(&tenant).await.unwrap(), Some(first));
    // ...while an instance with caching off sees the new one at once.
    let uncached = env.vault().with_cache_ttl(std::time::Duration::ZERO);
    assert_eq!(uncached.get(&tenant).await.unwrap(), Some(second.clone()));

    // A write or delete through this instance drops its cached copy.
    let third = sample_bundle("third");
    vault.put(&tenant, &third).await.unwrap();
    assert_eq!(vault.get(&tenant).await.unwrap(), Some(third));
    vault.delete(&tenant).await.unwrap();
    assert_eq!(vault.get(&tenant).await.unwrap(), None);
}

#[tokio::test]
async fn secrets_are_named_by_tenant_and_stored_under_the_customer_key() {
    let Some(env) = common::env("vault_names").await else {
        return;
    };
    let vault = env.vault().with_force_delete(true);
    let tenant = random_tenant();
    vault.put(&tenant, &sample_bundle("n")).await.unwrap();
    let name = format!("{}/tenants/{tenant}", env.created.secret_prefix);
    let described = env
        .secrets()
        .describe_secret()
        .secret_id(&name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {name}: {}", common::chain(&e)));
    assert_eq!(
        described.kms_key_id.as_deref(),
        Some(env.created.key_id.as_str())
    );
}

#[tokio::test]
async fn a_bundle_over_the_kms_limit_is_refused_without_a_write() {
    let Some(env) = common::env("vault_limit").await else {
        return;
    };
    let vault: KmsVault = env.vault().with_force_delete(true);
    let tenant = random_tenant();
    let mut big = TokenBundle {
        integrations: BTreeMap::new(),
        ..TokenBundle::default()
    };
    big.integrations
        .insert("huge".into(), Secret::new("s".repeat(MAX_PLAINTEXT)));
    let err = vault.put(&tenant, &big).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(!err.to_string().contains("sss"), "no secret in the error");
    assert_eq!(vault.get(&tenant).await.unwrap(), None);
}
