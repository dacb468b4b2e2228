//! What only the SQLite adapters can show: the file never holds a raw OAuth state, the audit
//! table refuses updates and deletes, and an entry edited or deleted behind the app's back
//! (triggers dropped, as someone with the file could) is caught by `verify_chain`. Also the
//! cross-process races of the new ports on one file.

use std::sync::Arc;
use std::thread;

use local::{LocalBackend, state_key};
use rusqlite::Connection;
use tenant::audit::{AuditAction, AuditEvent, ChainError, verify_chain, verify_links};
use tenant::ports::{Member, OAuthStateRecord, Role, StateConsumed};
use tenant::testkit::{random_suffix, random_tenant};
use tenant::{TenantId, UserId};

fn open() -> (tempfile::TempDir, LocalBackend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = LocalBackend::open(dir.path()).expect("open local backend");
    (dir, backend)
}

async fn chain_of(local: &LocalBackend, n: i64) -> TenantId {
    let tenant = random_tenant();
    for i in 0..n {
        let event = AuditEvent {
            actor: "operator".into(),
            action: AuditAction::Suspend,
            detail: format!("entry {i}"),
            at: 1_700_000_000 + i,
        };
        local.backend().audit.append(&tenant, event).await.unwrap();
    }
    tenant
}

/// A second connection to the file, as a person with a shell on the machine would have.
fn sql(local: &LocalBackend) -> Connection {
    Connection::open(local.db_path()).unwrap()
}

#[tokio::test]
async fn the_database_holds_the_hash_of_a_state_not_the_state() {
    let (_dir, local) = open();
    let state = format!("raw-state-{}", random_suffix(20));
    let record = OAuthStateRecord {
        cookie_hash: "cd".repeat(32),
        purpose: tenant::ports::StatePurpose::INSTALL,
        created_at: 1,
        expires_at: 2,
    };
    local
        .backend()
        .oauth_states
        .issue(&state, &record)
        .await
        .unwrap();
    let keys: Vec<String> = sql(&local)
        .prepare("SELECT key FROM oauth_states")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, vec![state_key(&state)]);
    assert!(!keys[0].contains(&state));
    // Nowhere else in the file either (WAL included: checkpoint first).
    let conn = sql(&local);
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    let bytes = std::fs::read(local.db_path()).unwrap();
    assert!(
        !bytes.windows(state.len()).any(|w| w == state.as_bytes()),
        "the raw state is in the database file"
    );
}

#[tokio::test]
async fn the_audit_table_refuses_updates_and_deletes() {
    let (_dir, local) = open();
    let tenant = chain_of(&local, 2).await;
    let conn = sql(&local);
    let update = conn.execute(
        "UPDATE audit_log SET detail = 'x' WHERE tenant = ?1",
        [tenant.as_str()],
    );
    assert!(update.is_err(), "an UPDATE went through");
    let delete = conn.execute("DELETE FROM audit_log WHERE tenant = ?1", [tenant.as_str()]);
    assert!(delete.is_err(), "a DELETE went through");
    let entries = local.backend().audit.list(&tenant).await.unwrap();
    assert_eq!(entries.len(), 2);
}

#[tokio::test]
async fn an_entry_edited_in_sql_is_caught_by_verify_chain() {
    let (_dir, local) = open();
    let tenant = chain_of(&local, 4).await;
    let conn = sql(&local);
    conn.execute_batch("DROP TRIGGER audit_log_no_update")
        .unwrap();
    let changed = conn
        .execute(
            "UPDATE audit_log SET actor = 'slack:UATTACKER' WHERE tenant = ?1 AND seq = 2",
            [tenant.as_str()],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let entries = local.backend().audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(local.backend().audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Edited { seq: 2 })
    );
}

#[tokio::test]
async fn the_newest_entry_rewritten_in_sql_with_a_recomputed_hash_is_caught_by_its_seal() {
    let (_dir, local) = open();
    let tenant = chain_of(&local, 3).await;
    let mut newest = local.backend().audit.list(&tenant).await.unwrap().remove(2);
    newest.actor = "slack:UATTACKER".into();
    newest.hash = newest.compute_hash();
    let conn = sql(&local);
    conn.execute_batch("DROP TRIGGER audit_log_no_update")
        .unwrap();
    let changed = conn
        .execute(
            "UPDATE audit_log SET actor = ?2, hash = ?3 WHERE tenant = ?1 AND seq = 3",
            [tenant.as_str(), &newest.actor, &newest.hash],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let entries = local.backend().audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_links(&tenant, &entries),
        Ok(()),
        "the plain chain is fooled"
    );
    assert_eq!(
        verify_chain(local.backend().audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Unsealed { seq: 3 })
    );
    // The seal key is a file of its own, private like the vault key.
    let key = std::fs::metadata(local.data_dir().join(local::AUDIT_KEY_FILE)).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key.permissions()) & 0o777,
        0o600
    );
}

#[tokio::test]
async fn an_entry_deleted_in_sql_is_caught_by_verify_chain() {
    let (_dir, local) = open();
    let tenant = chain_of(&local, 4).await;
    let conn = sql(&local);
    conn.execute_batch("DROP TRIGGER audit_log_no_delete")
        .unwrap();
    let deleted = conn
        .execute(
            "DELETE FROM audit_log WHERE tenant = ?1 AND seq = 3",
            [tenant.as_str()],
        )
        .unwrap();
    assert_eq!(deleted, 1);
    let entries = local.backend().audit.list(&tenant).await.unwrap();
    assert_eq!(
        verify_chain(local.backend().audit.as_ref(), &tenant, &entries).await,
        Err(ChainError::Broken { seq: 4 })
    );
}

/// Handles on one file from several threads, as several processes would race.
fn handles(dir: &std::path::Path, n: usize) -> Vec<Arc<LocalBackend>> {
    (0..n)
        .map(|_| Arc::new(LocalBackend::open(dir).unwrap()))
        .collect()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn races_across_handles_consume_once_append_without_fork_and_admit_one_admin() {
    let dir = tempfile::tempdir().unwrap();
    let handles = handles(dir.path(), 4);
    let state = format!("race-{}", random_suffix(16));
    let record = OAuthStateRecord {
        cookie_hash: "ef".repeat(32),
        purpose: tenant::ports::StatePurpose::INSTALL,
        created_at: 100,
        expires_at: i64::MAX,
    };
    block_on(handles[0].backend().oauth_states.issue(&state, &record)).unwrap();
    let tenant = random_tenant();

    let threads: Vec<_> = (0..16)
        .map(|i| {
            let backend = handles[i % handles.len()].backend();
            let (state, tenant) = (state.clone(), tenant.clone());
            let cookie = record.cookie_hash.clone();
            thread::spawn(move || {
                block_on(async {
                    let consumed = backend
                        .oauth_states
                        .consume(&state, &cookie, 200)
                        .await
                        .unwrap();
                    let event = AuditEvent {
                        actor: "system".into(),
                        action: AuditAction::TokenRefreshed,
                        detail: format!("thread {i}"),
                        at: 1,
                    };
                    backend.audit.append(&tenant, event).await.unwrap();
                    let admin = Member {
                        user: UserId::parse(&format!("U{i:02}RACER")).unwrap(),
                        role: Role::Admin,
                        added_at: 1,
                    };
                    let won = backend
                        .members
                        .add_first_admin(&tenant, &admin)
                        .await
                        .unwrap();
                    (consumed, won)
                })
            })
        })
        .collect();
    let results: Vec<(StateConsumed, bool)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();

    let valid = results
        .iter()
        .filter(|(c, _)| matches!(c, StateConsumed::Valid(_)))
        .count();
    assert_eq!(valid, 1, "{results:?}");
    assert_eq!(results.iter().filter(|(_, won)| *won).count(), 1);
    let entries = block_on(handles[1].backend().audit.list(&tenant)).unwrap();
    assert_eq!(entries.len(), 16);
    let log = handles[1].backend().audit;
    assert_eq!(
        block_on(verify_chain(log.as_ref(), &tenant, &entries)),
        Ok(())
    );
}

#[tokio::test]
async fn states_are_purged_a_grace_period_after_expiry() {
    let (dir, local) = open();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let record = |expires_at: i64| OAuthStateRecord {
        cookie_hash: "01".repeat(32),
        purpose: tenant::ports::StatePurpose::INSTALL,
        created_at: expires_at - 600,
        expires_at,
    };
    let states = local.backend().oauth_states;
    // Past its grace period, within it, and still valid.
    let gone = record(now - local::STATE_GRACE_SECS - 60);
    let recent = record(now - 60);
    let live = record(now + 600);
    states.issue("gone", &gone).await.unwrap();
    states.issue("recent", &recent).await.unwrap();
    states.issue("live", &live).await.unwrap();
    drop(states);
    drop(local);

    // Opening purges what expired while the file was closed.
    let reopened = LocalBackend::open(dir.path())
        .unwrap()
        .backend()
        .oauth_states;
    assert_eq!(
        reopened
            .consume("gone", &gone.cookie_hash, now)
            .await
            .unwrap(),
        StateConsumed::Unknown
    );
    assert_eq!(
        reopened
            .consume("recent", &recent.cookie_hash, now)
            .await
            .unwrap(),
        StateConsumed::Expired
    );
    assert_eq!(
        reopened
            .consume("live", &live.cookie_hash, now)
            .await
            .unwrap(),
        StateConsumed::Valid(live)
    );
}
