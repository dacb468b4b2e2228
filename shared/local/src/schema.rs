//! The database schema and its migrations (`PRAGMA user_version`).
//!
//! Each version is a batch of statements applied in order in ONE `BEGIN IMMEDIATE`
//! transaction, so a file is always at a whole version, and two processes opening an old file at
//! once migrate it once. A file from a newer build is refused rather than guessed at.

use std::path::Path;
use std::time::SystemTime;

use rusqlite::{Connection, TransactionBehavior};

use crate::LocalError;
use crate::db::unix_ms;
use crate::oauth_states::purge_states;

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 6;

/// Version 1: tenants, installations, ledger, usage, vault, queue.
pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE tenants (
    tenant     TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- The installation record as JSON: read and written whole, never queried by field.
CREATE TABLE installations (
    tenant TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
);
-- Times in unix milliseconds.
CREATE TABLE ledger (
    tenant      TEXT NOT NULL,
    key         TEXT NOT NULL,
    done        INTEGER NOT NULL,
    outcome     TEXT,
    lease_until INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE INDEX ledger_expiry ON ledger (expires_at);
CREATE TABLE usage (
    tenant       TEXT NOT NULL,
    counter      TEXT NOT NULL,
    window_secs  INTEGER NOT NULL,
    window_index INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, counter, window_secs, window_index)
);
CREATE INDEX usage_expiry ON usage (expires_at);
-- AES-256-GCM of the TokenBundle JSON, associated data = tenant id.
CREATE TABLE vault (
    tenant     TEXT PRIMARY KEY NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One queue for every tenant; `tenant` is informational (and for fairness later).
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT,
    body          TEXT NOT NULL,
    visible_at    INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt       TEXT UNIQUE,
    enqueued_at   INTEGER NOT NULL
);
CREATE INDEX jobs_visible ON jobs (visible_at);
CREATE TABLE dead_jobs (
    id            INTEGER PRIMARY KEY,
    tenant        TEXT,
    body          TEXT NOT NULL,
    receive_count INTEGER NOT NULL,
    enqueued_at   INTEGER NOT NULL,
    dead_at       INTEGER NOT NULL
);
";

/// Version 2 (issue 4): OAuth states, the audit log, members.
const SCHEMA_V2: &str = "
-- One row per issued state, keyed by the hex SHA-256 of the state (never the value itself).
-- Times in unix seconds, like the port's record. Purged a while after expiry.
CREATE TABLE oauth_states (
    key         TEXT PRIMARY KEY NOT NULL,
    cookie_hash TEXT NOT NULL,
    team        TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
-- Per-tenant hash chain (tenant::audit). The primary key is the conditional append: two
-- writers can never both store sequence number n.
CREATE TABLE audit_log (
    tenant    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (tenant, seq)
);
-- Append-only through this build, as IAM makes it on AWS. Someone with the file can drop
-- these; verify_chain is what catches that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE members (
    tenant   TEXT NOT NULL,
    user     TEXT NOT NULL,
    role     TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, user)
);
-- One row per tenant that has had an admin: the one-way guard behind add_first_admin (the
-- same item the DynamoDB adapter keeps as ADMIN_GUARD).
CREATE TABLE admin_guard (
    tenant   TEXT PRIMARY KEY NOT NULL,
    user     TEXT NOT NULL,
    added_at INTEGER NOT NULL
);
";

/// Version 3 (issue 7): versioned vault writes, typed credentials, the ledger's owner-checked
/// leases (`holder` is the lease token of a claim's holder, NULL once done; only that holder
/// may complete, release or abandon it), dead-letter reasons and audit seals (HMAC under the
/// audit key; entries from before keep an empty seal, and the first sealed entry after them
/// vouches for them).
const SCHEMA_V3: &str = "
ALTER TABLE ledger ADD COLUMN holder TEXT;
-- Why a job was dead-lettered on purpose (an undecodable envelope, a missing permission).
ALTER TABLE dead_jobs ADD COLUMN reason TEXT;
-- The file's one version counter: every conditional write of the vault or the credentials
-- stores the next value, so versions never repeat (not even after a delete).
CREATE TABLE versions (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO versions (id, last) VALUES (1, 0);
-- Bundles written before versions exist are at version 0 until their next write.
ALTER TABLE vault ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- Typed credentials, tenant-wide (user = '') and per user. AES-256-GCM of the credential's
-- JSON; associated data = tenant id, user id and the provider's purpose, as the KMS
-- encryption context on AWS, so a row moved to another tenant, user or provider does not open.
CREATE TABLE credentials (
    tenant     TEXT NOT NULL,
    provider   TEXT NOT NULL,
    user       TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, provider, user)
);
ALTER TABLE audit_log ADD COLUMN seal TEXT NOT NULL DEFAULT '';
";

/// Version 4: follow-up sessions (crate::sessions). The session itself is AES-256-GCM sealed
/// JSON (associated data = tenant, user and recording ids); in clear only the key, the
/// version (from the file's one counter) and the times the queries need, in unix
/// nanoseconds. `recording` is decimal text: Fathom's ids are unsigned 64-bit.
const SCHEMA_V4: &str = "
CREATE TABLE sessions (
    tenant     TEXT NOT NULL,
    user       TEXT NOT NULL,
    recording  TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, user, recording)
);
CREATE INDEX sessions_recent ON sessions (tenant, user, updated_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
";

/// Version 5: what an OAuth state is for (`tenant::ports::StatePurpose`). States from before
/// are installs (their `team` hint stays where it was); a connect state names the tenant,
/// user and provider the credential will land under.
const SCHEMA_V5: &str = "
ALTER TABLE oauth_states ADD COLUMN purpose TEXT NOT NULL DEFAULT 'install';
ALTER TABLE oauth_states ADD COLUMN tenant TEXT;
ALTER TABLE oauth_states ADD COLUMN user TEXT;
ALTER TABLE oauth_states ADD COLUMN provider TEXT;
";

/// Version 6 (issue 9): the CRM directory. Settings are one JSON row per tenant with its
/// version (from `versions`); mappings one row per (tenant, kind, domain), in columns so the
/// verified rule and the use count are single statements.
const SCHEMA_V6: &str = "
CREATE TABLE crm_settings (
    tenant   TEXT PRIMARY KEY NOT NULL,
    settings TEXT NOT NULL,
    version  INTEGER NOT NULL
);
CREATE TABLE crm_mappings (
    tenant       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    domain       TEXT NOT NULL,
    account      TEXT NOT NULL,
    account_name TEXT NOT NULL,
    link         TEXT NOT NULL,
    source       TEXT NOT NULL,
    confidence   INTEGER NOT NULL,
    times_used   INTEGER NOT NULL,
    verified     INTEGER NOT NULL,
    -- Unix seconds, as the port's record.
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, domain)
);
";

/// Brings the file at `path` to [`SCHEMA_VERSION`], then purges what expired while closed.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), LocalError> {
    let schema_err = |source| LocalError::Schema {
        path: path.to_owned(),
        source,
    };
    // IMMEDIATE: two processes opening a new file at once must not both create the tables.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(schema_err)?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(schema_err)?;
    if found > SCHEMA_VERSION {
        return Err(LocalError::SchemaTooNew {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 1 {
        tx.execute_batch(SCHEMA_V1).map_err(schema_err)?;
    }
    if found < 2 {
        tx.execute_batch(SCHEMA_V2).map_err(schema_err)?;
    }
    if found < 3 {
        tx.execute_batch(SCHEMA_V3).map_err(schema_err)?;
    }
    if found < 4 {
        tx.execute_batch(SCHEMA_V4).map_err(schema_err)?;
    }
    if found < 5 {
        tx.execute_batch(SCHEMA_V5).map_err(schema_err)?;
    }
    if found < 6 {
        tx.execute_batch(SCHEMA_V6).map_err(schema_err)?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(schema_err)?;
    }
    tx.commit().map_err(schema_err)?;
    // Start clean of anything that expired while nobody had the file open. Best effort: a
    // busy database must not stop the process from starting.
    let now = SystemTime::now();
    let now_ms = unix_ms(now);
    let purged = conn
        .execute("DELETE FROM ledger WHERE expires_at <= ?1", [now_ms])
        .and_then(|_| conn.execute("DELETE FROM usage WHERE expires_at <= ?1", [now_ms]))
        .and_then(|_| purge_states(conn, now_ms / 1000))
        .and_then(|_| crate::sessions::purge_at_open(conn));
    if let Err(err) = purged {
        tracing::warn!(error = %err, "could not purge expired rows at open");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use tenant::audit::{AuditAction, AuditEvent};
    use tenant::ports::{OAuthStateRecord, StateConsumed};
    use tenant::testkit::random_tenant;
    use tenant::{Tenant, TenantId};

    use super::*;
    use crate::{DB_FILE, LocalBackend};

    /// A file as a version-1 build left it, with one tenant in it.
    fn v1_file(dir: &Path, tenant: &TenantId) {
        let conn = Connection::open(dir.join(DB_FILE)).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO tenants (tenant, name, status, plan, created_at, updated_at)
             VALUES (?1, 'Old', 'active', 'free', 1, 1)",
            [tenant.as_str()],
        )
        .unwrap();
    }

    #[tokio::test]
    async fn a_version_1_file_is_migrated_in_place_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = random_tenant();
        v1_file(dir.path(), &tenant);

        let backend = LocalBackend::open(dir.path()).unwrap().backend();
        let kept: Option<Tenant> = backend.tenants.get(&tenant).await.unwrap();
        assert_eq!(kept.map(|t| t.name).as_deref(), Some("Old"));

        // The version-2 ports work on the migrated file.
        let record = OAuthStateRecord {
            cookie_hash: "c".repeat(64),
            purpose: tenant::ports::StatePurpose::INSTALL,
            created_at: 100,
            expires_at: 700,
        };
        backend.oauth_states.issue("s1", &record).await.unwrap();
        assert_eq!(
            backend
                .oauth_states
                .consume("s1", &record.cookie_hash, 200)
                .await
                .unwrap(),
            StateConsumed::Valid(record)
        );
        let event = AuditEvent {
            actor: "operator".into(),
            action: AuditAction::Install,
            detail: "migrated".into(),
            at: 5,
        };
        assert_eq!(backend.audit.append(&tenant, event).await.unwrap().seq, 1);

        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        drop(conn);
        // Opening again does not re-run a migration (it would fail on existing tables).
        assert!(LocalBackend::open(dir.path()).is_ok());
    }

    #[tokio::test]
    async fn a_version_2_file_keeps_its_bundles_and_writes_them_conditionally() {
        use tenant::ports::{Expected, VaultError};
        use tenant::testkit::sample_bundle;

        let dir = tempfile::tempdir().unwrap();
        let tenant = random_tenant();
        // A bundle sealed as a version-2 build sealed it (no version column).
        let key = crate::keyfile::load_or_create(&dir.path().join(crate::KEY_FILE)).unwrap();
        let sealer = crate::sealer::Sealer::new(&key);
        let plaintext = serde_json::to_vec(&sample_bundle("v2")).unwrap();
        let (nonce, ciphertext) = sealer.seal(tenant.as_str().as_bytes(), &plaintext).unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(SCHEMA_V2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO vault (tenant, nonce, ciphertext, updated_at) VALUES (?1, ?2, ?3, 1)",
            rusqlite::params![tenant.as_str(), nonce, ciphertext],
        )
        .unwrap();
        drop(conn);

        let vault = LocalBackend::open(dir.path()).unwrap().backend().vault;
        let read = vault.get_fresh(&tenant).await.unwrap().unwrap();
        assert_eq!(read.value, sample_bundle("v2"));
        let written = vault
            .put(
                &tenant,
                &sample_bundle("v3"),
                &Expected::At(read.version.clone()),
            )
            .await
            .unwrap();
        assert_ne!(written, read.version);
        assert!(matches!(
            vault
                .put(
                    &tenant,
                    &sample_bundle("stale"),
                    &Expected::At(read.version)
                )
                .await,
            Err(VaultError::Conflict)
        ));
    }

    #[tokio::test]
    async fn a_version_4_state_is_an_install_after_the_migration() {
        use tenant::ports::StatePurpose;

        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        for batch in [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4] {
            conn.execute_batch(batch).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        // An install begun before the upgrade, with a team hint, expiring far in the future.
        conn.execute(
            "INSERT INTO oauth_states (key, cookie_hash, team, created_at, expires_at, used)
             VALUES (?1, ?2, 'T0OLDTEAM', 100, ?3, 0)",
            rusqlite::params![crate::state_key("s-v4"), "c".repeat(64), i64::MAX / 2],
        )
        .unwrap();
        drop(conn);

        let states = LocalBackend::open(dir.path())
            .unwrap()
            .backend()
            .oauth_states;
        match states.consume("s-v4", &"c".repeat(64), 200).await.unwrap() {
            StateConsumed::Valid(record) => assert_eq!(
                record.purpose,
                StatePurpose::Install {
                    team: Some(tenant::TeamId::parse("T0OLDTEAM").unwrap())
                }
            ),
            other => panic!("the old state is gone: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_version_5_file_gains_the_crm_directory_and_keeps_its_sessions() {
        use followup::crm::CrmKind;
        use followup::ports::CrmSettings;
        use followup::testkit::contract::crm_directory::{
            random_domain, sample_connection, sample_mapping,
        };
        use tenant::ports::Expected;

        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        for batch in [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5] {
            conn.execute_batch(batch).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        drop(conn);

        let local = LocalBackend::open(dir.path()).unwrap();
        let directory = local.crm_directory();
        let (t, d) = (random_tenant(), random_domain());
        let mut settings = CrmSettings::default();
        settings.connect(sample_connection(CrmKind::Pipedrive, 1));
        let v = directory
            .put_settings(&t, &settings, &Expected::Absent)
            .await
            .unwrap();
        let pick = sample_mapping(&d, "77", true);
        assert!(
            directory
                .save_mapping(&t, CrmKind::Pipedrive, &pick)
                .await
                .unwrap()
        );
        let read = directory.settings(&t).await.unwrap().unwrap();
        assert_eq!((read.value, read.version), (settings, v));
        assert_eq!(
            directory.mapping(&t, CrmKind::Pipedrive, &d).await.unwrap(),
            Some(pick)
        );
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 6);
        drop(conn);
        assert!(
            LocalBackend::open(dir.path()).is_ok(),
            "opening again is a no-op"
        );
    }

    #[test]
    fn a_file_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            LocalBackend::open(dir.path()),
            Err(LocalError::SchemaTooNew { found, .. }) if found == SCHEMA_VERSION + 1
        ));
    }
}
