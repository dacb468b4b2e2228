//! The local credential store beyond the contract: each ciphertext bound to its tenant, user
//! and provider purpose by AES-GCM associated data, and no plaintext in the file.

use local::LocalBackend;
use tenant::ports::{CredentialError, Expected};
use tenant::testkit::{random_suffix, random_tenant, random_user, sample_credential};
use tenant::{CredentialId, Provider};

fn sql(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(local::DB_FILE)).expect("open sqlite directly")
}

/// Copies the row of `from` to the key of `to`, as someone with write access to the file could.
fn copy_row(dir: &std::path::Path, from: &CredentialId, to: &CredentialId) {
    let user = |id: &CredentialId| id.user().map_or(String::new(), |u| u.to_string());
    sql(dir)
        .execute(
            "INSERT OR REPLACE INTO credentials
                 (tenant, provider, user, nonce, ciphertext, version, updated_at)
             SELECT ?4, ?5, ?6, nonce, ciphertext, version, updated_at FROM credentials
             WHERE tenant = ?1 AND provider = ?2 AND user = ?3",
            [
                from.tenant().to_string(),
                from.provider().to_string(),
                user(from),
                to.tenant().to_string(),
                to.provider().to_string(),
                user(to),
            ],
        )
        .unwrap();
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_tenant_user_or_provider_does_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBackend::open(dir.path())
        .unwrap()
        .backend()
        .credentials;
    let (a, b) = (random_tenant(), random_tenant());
    let (u1, u2) = (random_user(), random_user());
    let source = CredentialId::for_user(a.clone(), Provider::Google, u1.clone());
    store
        .put(&source, &sample_credential("moved"), &Expected::Absent)
        .await
        .unwrap();
    let wide = CredentialId::tenant_wide(a.clone(), Provider::Hubspot);
    store
        .put(&wide, &sample_credential("wide"), &Expected::Absent)
        .await
        .unwrap();

    for target in [
        CredentialId::for_user(b.clone(), Provider::Google, u1.clone()),
        CredentialId::for_user(a.clone(), Provider::Google, u2.clone()),
        CredentialId::for_user(a.clone(), Provider::Fathom, u1.clone()),
        CredentialId::tenant_wide(a.clone(), Provider::Google),
    ] {
        copy_row(dir.path(), &source, &target);
        let got = store.get(&target).await;
        assert!(
            matches!(got, Err(CredentialError::Decrypt)),
            "{target}: expected Decrypt, got {got:?}"
        );
    }
    // A tenant-wide ciphertext moved to a user, or to another provider of the tenant.
    for target in [
        CredentialId::for_user(a.clone(), Provider::Hubspot, u2),
        CredentialId::tenant_wide(a.clone(), Provider::Salesforce),
    ] {
        copy_row(dir.path(), &wide, &target);
        assert!(matches!(
            store.get(&target).await,
            Err(CredentialError::Decrypt)
        ));
    }
    assert_eq!(
        store.get(&source).await.unwrap().unwrap().value,
        sample_credential("moved"),
        "the original still opens"
    );
}

#[tokio::test]
async fn the_file_holds_no_credential_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBackend::open(dir.path())
        .unwrap()
        .backend()
        .credentials;
    let marker = random_suffix(16);
    let id = CredentialId::tenant_wide(random_tenant(), Provider::Salesforce);
    store
        .put(&id, &sample_credential(&marker), &Expected::Absent)
        .await
        .unwrap();
    let ciphertext: Vec<u8> = sql(dir.path())
        .query_row("SELECT ciphertext FROM credentials", [], |r| r.get(0))
        .unwrap();
    let text = String::from_utf8_lossy(&ciphertext);
    assert!(!text.contains(&marker) && !text.contains("salesforce.com"));
    let file = std::fs::read(dir.path().join(local::DB_FILE)).unwrap();
    assert!(!String::from_utf8_lossy(&file).contains(&marker));
}
