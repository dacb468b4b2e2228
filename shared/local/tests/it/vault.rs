//! The local vault's binding of ciphertexts to tenants, its key file, and what it refuses.

use std::os::unix::fs::PermissionsExt;

use local::{KEY_FILE, LocalBackend, LocalError};
use tenant::ports::{Expected, VaultError, replace_bundle};
use tenant::testkit::{random_tenant, sample_bundle};

fn sql(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(local::DB_FILE)).expect("open sqlite directly")
}

#[tokio::test]
async fn a_bundle_copied_under_another_tenant_does_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
    let (a, b) = (random_tenant(), random_tenant());
    replace_bundle(vault.as_ref(), &a, sample_bundle("copied"))
        .await
        .unwrap();

    sql(dir.path())
        .execute(
            "INSERT INTO vault (tenant, nonce, ciphertext, updated_at, version)
             SELECT ?2, nonce, ciphertext, updated_at, version FROM vault WHERE tenant = ?1",
            [a.as_str(), b.as_str()],
        )
        .unwrap();

    assert!(matches!(vault.get(&b).await, Err(VaultError::Decrypt)));
    assert_eq!(vault.get(&a).await.unwrap(), Some(sample_bundle("copied")));
}

#[tokio::test]
async fn a_tampered_ciphertext_or_nonce_does_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
    let a = random_tenant();
    replace_bundle(vault.as_ref(), &a, sample_bundle("tampered"))
        .await
        .unwrap();
    let conn = sql(dir.path());

    let mut ciphertext: Vec<u8> = conn
        .query_row(
            "SELECT ciphertext FROM vault WHERE tenant = ?1",
            [a.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    ciphertext[0] ^= 0x01;
    conn.execute(
        "UPDATE vault SET ciphertext = ?2 WHERE tenant = ?1",
        rusqlite::params![a.as_str(), ciphertext],
    )
    .unwrap();
    let err = vault.get(&a).await.unwrap_err();
    assert!(matches!(err, VaultError::Decrypt));
    assert!(!err.is_transient());

    // A bundle that does not decrypt cannot be read-modify-written; it can be deleted.
    vault.delete(&a).await.unwrap();
    replace_bundle(vault.as_ref(), &a, sample_bundle("tampered"))
        .await
        .unwrap();
    conn.execute(
        "UPDATE vault SET nonce = zeroblob(12) WHERE tenant = ?1",
        [a.as_str()],
    )
    .unwrap();
    assert!(matches!(vault.get(&a).await, Err(VaultError::Decrypt)));
}

#[tokio::test]
async fn ciphertexts_hold_no_plaintext_and_use_a_fresh_nonce_per_write() {
    let dir = tempfile::tempdir().unwrap();
    let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
    let a = random_tenant();
    let read = || -> (Vec<u8>, Vec<u8>) {
        sql(dir.path())
            .query_row(
                "SELECT nonce, ciphertext FROM vault WHERE tenant = ?1",
                [a.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let v1 = vault
        .put(&a, &sample_bundle("plainmarker"), &Expected::Absent)
        .await
        .unwrap();
    let (nonce1, ct1) = read();
    vault
        .put(&a, &sample_bundle("plainmarker"), &Expected::At(v1))
        .await
        .unwrap();
    let (nonce2, ct2) = read();
    assert_eq!(nonce1.len(), 12);
    assert_ne!(nonce1, nonce2, "every write draws a new nonce");
    assert_ne!(ct1, ct2);
    let haystack = String::from_utf8_lossy(&ct1);
    assert!(!haystack.contains("plainmarker") && !haystack.contains("xoxb"));
}

#[tokio::test]
async fn the_same_key_file_opens_bundles_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let a = random_tenant();
    {
        let local = LocalBackend::open(dir.path()).unwrap();
        replace_bundle(local.backend().vault.as_ref(), &a, sample_bundle("restart"))
            .await
            .unwrap();
    }
    let local = LocalBackend::open(dir.path()).unwrap();
    assert_eq!(
        local.backend().vault.get(&a).await.unwrap(),
        Some(sample_bundle("restart"))
    );
}

#[tokio::test]
async fn a_different_key_file_cannot_open_existing_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let a = random_tenant();
    let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
    replace_bundle(vault.as_ref(), &a, sample_bundle("rekeyed"))
        .await
        .unwrap();
    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
    let local = LocalBackend::open(dir.path()).unwrap();
    assert!(matches!(
        local.backend().vault.get(&a).await,
        Err(VaultError::Decrypt)
    ));
}

#[test]
fn new_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let local = LocalBackend::open(&data).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
    assert_eq!(mode(&local.db_path()), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert!(!format!("{local:?}").is_empty());
}

#[test]
fn open_refuses_a_key_file_others_can_read_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(LocalBackend::open(dir.path()).unwrap());
    let key_path = dir.path().join(KEY_FILE);
    let key = std::fs::read(&key_path).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o640)).unwrap();

    let err = LocalBackend::open(dir.path()).unwrap_err();
    assert!(matches!(err, LocalError::KeyFileMode { .. }));
    let shown = format!("{err} {err:?}");
    assert!(shown.contains(&key_path.display().to_string()), "{shown}");
    assert!(
        !shown.contains(&hex(&key)),
        "the key never appears in an error"
    );
}

#[test]
fn open_refuses_a_key_file_of_the_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    drop(LocalBackend::open(dir.path()).unwrap());
    std::fs::write(dir.path().join(KEY_FILE), [7u8; 16]).unwrap();
    assert!(matches!(
        LocalBackend::open(dir.path()),
        Err(LocalError::KeyFileLength { len: 16, .. })
    ));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_stale_write_from_another_handle_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (
        LocalBackend::open(dir.path()).unwrap().backend().vault,
        LocalBackend::open(dir.path()).unwrap().backend().vault,
    );
    let a = random_tenant();
    replace_bundle(one.as_ref(), &a, sample_bundle("old"))
        .await
        .unwrap();
    // Process one reads; process two refreshes; process one writes what it read.
    let read = one.get_fresh(&a).await.unwrap().unwrap();
    replace_bundle(two.as_ref(), &a, sample_bundle("refreshed"))
        .await
        .unwrap();
    let stale = one.put(&a, &read.value, &Expected::At(read.version)).await;
    assert!(matches!(stale, Err(VaultError::Conflict)), "{stale:?}");
    assert_eq!(one.get(&a).await.unwrap(), Some(sample_bundle("refreshed")));
}
