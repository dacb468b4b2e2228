//! The local session store beyond the contract: sessions sealed at rest, each bound to its
//! tenant, user and recording, so a row moved under another key does not open.

use followup::ports::SessionError;
use followup::testkit::sample_session;
use followup::{RecordingId, SessionKey};
use local::LocalBackend;
use tenant::ports::{Expected, StoreError};
use tenant::testkit::{random_suffix, random_tenant, random_user};

fn sql(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(local::DB_FILE)).expect("open sqlite directly")
}

/// Copies the row of `from` to the key of `to`, as someone with write access to the file could.
fn copy_row(dir: &std::path::Path, from: &SessionKey, to: &SessionKey) {
    sql(dir)
        .execute(
            "INSERT OR REPLACE INTO sessions
                 (tenant, user, recording, nonce, ciphertext, version, updated_at, expires_at)
             SELECT ?4, ?5, ?6, nonce, ciphertext, version, updated_at, expires_at
             FROM sessions WHERE tenant = ?1 AND user = ?2 AND recording = ?3",
            [
                from.tenant().to_string(),
                from.user().to_string(),
                from.recording().to_string(),
                to.tenant().to_string(),
                to.user().to_string(),
                to.recording().to_string(),
            ],
        )
        .unwrap();
}

#[tokio::test]
async fn a_session_row_moved_to_another_tenant_user_or_recording_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBackend::open(dir.path()).unwrap().sessions();
    let (a, b, u1, u2) = (
        random_tenant(),
        random_tenant(),
        random_user(),
        random_user(),
    );
    let now = jiff::Timestamp::now();
    let session = sample_session(&a, &u1, RecordingId::new(42), now, "moved");
    store.put(&session, &Expected::Absent, now).await.unwrap();

    for target in [
        SessionKey::new(b.clone(), u1.clone(), RecordingId::new(42)),
        SessionKey::new(a.clone(), u2.clone(), RecordingId::new(42)),
        SessionKey::new(a.clone(), u1.clone(), RecordingId::new(43)),
    ] {
        copy_row(dir.path(), &session.key(), &target);
        let err = store.get(&target, now).await.unwrap_err();
        assert!(
            matches!(err, SessionError::Store(StoreError::Corrupt(_))),
            "{target}: {err:?}"
        );
        let listed = store.recent(target.tenant(), target.user(), 10, now).await;
        assert!(listed.is_err(), "{target}: a moved row must not be listed");
    }
    // The original still opens where it was sealed.
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
async fn no_draft_text_is_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBackend::open(dir.path()).unwrap().sessions();
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
    // Checkpoint the WAL so the search covers every byte SQLite wrote.
    sql(dir.path())
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{} holds draft text in clear",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_version_3_file_gains_the_session_table_on_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(LocalBackend::open(dir.path()).unwrap());
    // As a version-3 build left it: no sessions table, no state purposes (version 5), no CRM
    // directory (version 6).
    let conn = sql(dir.path());
    conn.execute_batch(
        "DROP TABLE sessions;
         DROP TABLE crm_settings;
         DROP TABLE crm_mappings;
         ALTER TABLE oauth_states DROP COLUMN purpose;
         ALTER TABLE oauth_states DROP COLUMN tenant;
         ALTER TABLE oauth_states DROP COLUMN user;
         ALTER TABLE oauth_states DROP COLUMN provider;
         PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);
    let store = LocalBackend::open(dir.path()).unwrap().sessions();
    let now = jiff::Timestamp::now();
    let session = sample_session(
        &random_tenant(),
        &random_user(),
        RecordingId::new(1),
        now,
        "v3",
    );
    store.put(&session, &Expected::Absent, now).await.unwrap();
    let version: i64 = sql(dir.path())
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 6);
}
