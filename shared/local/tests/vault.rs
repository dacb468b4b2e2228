//! The local vault's binding of ciphertexts to tenants, its key file, and what it refuses.

use std::os::unix::fs::PermissionsExt;

use local::{KEY_FILE, LocalBackend, LocalError};
use tenant::ports::VaultError;
use tenant::testkit::{random_tenant, sample_bundle};

fn sql(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(local::DB_FILE)).expect("open sqlite directly")
}

#[tokio::test]
async fn a_bundle_copied_under_another_tenant_does_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
    let (a, b) = (random_tenant(), random_tenant());
    vault.put(&a, &sample_bundle("copied")).await.unwrap();

    sql(dir.path())
        .execute(
            "INSERT INTO vault (tenant, nonce, ciphertext, updated_at)
             SELECT ?2, nonce, ciphertext, updated_at FROM vault WHERE tenant = ?1",
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
    vault.put(&a, &sample_bundle("tampered")).await.unwrap();
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

    vault.put(&a, &sample_bundle("tampered")).await.unwrap();
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
    vault.put(&a, &sample_bundle("plainmarker")).await.unwrap();
    let (nonce1, ct1) = read();
    vault.put(&a, &sample_bundle("plainmarker")).await.unwrap();
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
        local
            .backend()
            .vault
            .put(&a, &sample_bundle("restart"))
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
    LocalBackend::open(dir.path())
        .unwrap()
        .backend()
        .vault
        .put(&a, &sample_bundle("rekeyed"))
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
