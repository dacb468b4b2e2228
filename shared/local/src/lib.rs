//! Embedded adapters for every tenant port on ONE SQLite file, plus a local key file for the
//! vault. This is what `switchboard serve` and the operator CLI run on; the same contract
//! suites as the AWS adapters keep the two honest.
//!
//! * One file, `<data_dir>/switchboard.sqlite3`, in WAL mode with a busy timeout. Several
//!   processes may open it at once (`switchboard tenant add` while `switchboard serve` runs):
//!   every read-modify-write is a `BEGIN IMMEDIATE` transaction, so it takes the write lock
//!   before it reads.
//! * Tokens are sealed with AES-256-GCM under `<data_dir>/vault.key` (32 bytes, mode 0600), with
//!   the tenant id as associated data for the Slack bundle, and the tenant id, user id and the
//!   provider's purpose for typed credentials, so a ciphertext copied to another tenant, user
//!   or provider does not decrypt. Every token write is conditional on a version column (one
//!   counter per file, so versions never repeat).
//! * Audit entries are sealed with HMAC-SHA256 under `<data_dir>/audit.key` (another key), so
//!   rewriting the newest entries in SQL is caught (`tenant::audit::verify_chain`).
//! * The job queue behaves like SQS: visibility timeout, receive count, dead-letter table after
//!   [`MAX_RECEIVES`](tenant::ports::MAX_RECEIVES) receives.
//! * Follow-up sessions (`followup::ports::Sessions`, [`LocalBackend::sessions`]) are sealed
//!   the same way, bound to their tenant, user and recording. The CRM directory
//!   ([`LocalBackend::crm_directory`]) holds nothing secret and is stored in clear.
//! * Storage keys are derived here from `TenantId` and nowhere else.
//!
//! SQLite calls are short and synchronous inside the async methods (one `Mutex<Connection>` per
//! handle, never held across an await). Durability: WAL with `synchronous=NORMAL`, which
//! survives a process crash but may lose the last commits on power loss; fine for a local run.

mod audit;
mod credentials;
mod crm_directory;
mod db;
mod error;
mod keyfile;
mod ledger;
mod members;
mod oauth_states;
mod queue;
mod schema;
mod sealer;
mod sessions;
mod tenants;
mod usage;
mod vault;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tenant::Backend;
use tenant::ports::JobConsumer;

pub use error::LocalError;
pub use oauth_states::{STATE_GRACE_SECS, state_key};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "switchboard.sqlite3";
/// File name of the vault key inside the data directory.
pub const KEY_FILE: &str = "vault.key";
/// File name of the audit log's seal key inside the data directory: a key of its own, so
/// whoever is handed the vault key (or the database) cannot forge audit entries with it.
pub const AUDIT_KEY_FILE: &str = "audit.key";
/// File name of the key connect links are signed with (`app::connect_link`), for a local run
/// without `CONNECT_LINK_KEY`: a key of its own, like the audit key.
pub const CONNECT_LINK_KEY_FILE: &str = "connect-link.key";

/// The connect-link key in `<data_dir>/connect-link.key`, created (32 random bytes, mode 0600,
/// under the key files' rules) if missing, as 64 hex characters.
pub fn connect_link_key(data_dir: &Path) -> Result<tenant::Secret, LocalError> {
    db::create_dir(data_dir)?;
    let key = keyfile::load_or_create(&data_dir.join(CONNECT_LINK_KEY_FILE))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    Ok(tenant::Secret::new(hex))
}

/// The embedded backend: every port over one SQLite file and one key file.
///
/// Cheap to clone the ports out of ([`LocalBackend::backend`]); open it once per process.
pub struct LocalBackend {
    store: Arc<Store>,
    data_dir: PathBuf,
}

/// The single adapter type behind every port (each port's impl is in its own module).
pub(crate) struct Store {
    pub(crate) db: db::Db,
    pub(crate) sealer: sealer::Sealer,
    pub(crate) audit_key: tenant::audit::AuditKey,
}

impl LocalBackend {
    /// Opens (creating if needed) `<data_dir>/switchboard.sqlite3`, `<data_dir>/vault.key` and
    /// `<data_dir>/audit.key`.
    ///
    /// Creates the directory (mode 0700) and the files (mode 0600) if missing, and the schema
    /// if the database is new. Refuses a key file that is group/world readable or not exactly
    /// 32 bytes, and a database written by a newer build.
    pub fn open(data_dir: &Path) -> Result<Self, LocalError> {
        db::create_dir(data_dir)?;
        let key = keyfile::load_or_create(&data_dir.join(KEY_FILE))?;
        let audit_key = keyfile::load_or_create(&data_dir.join(AUDIT_KEY_FILE))?;
        let db = db::Db::open(&data_dir.join(DB_FILE))?;
        Ok(Self {
            store: Arc::new(Store {
                db,
                sealer: sealer::Sealer::new(&key),
                audit_key: tenant::audit::AuditKey::from_bytes(audit_key.into()),
            }),
            data_dir: data_dir.to_owned(),
        })
    }

    /// Every port, over this handle's connection.
    pub fn backend(&self) -> Backend {
        Backend {
            tenants: self.store.clone(),
            ledger: self.store.clone(),
            queue: self.store.clone(),
            vault: self.store.clone(),
            usage: self.store.clone(),
            oauth_states: self.store.clone(),
            audit: self.store.clone(),
            members: self.store.clone(),
            credentials: self.store.clone(),
        }
    }

    /// The follow-up session store, over this handle's connection. Not in [`Backend`]: that is
    /// the tenant crate's, which knows nothing of the follow-up domain.
    pub fn sessions(&self) -> Arc<dyn followup::ports::Sessions> {
        self.store.clone()
    }

    /// The CRM directory (settings and account mappings), over this handle's connection. Not
    /// in [`Backend`] for the same reason as [`Self::sessions`].
    pub fn crm_directory(&self) -> Arc<dyn followup::ports::CrmDirectory> {
        self.store.clone()
    }

    /// The local queue's consumer side.
    pub fn consumer(&self) -> Arc<dyn JobConsumer> {
        self.store.clone()
    }

    /// The data directory this backend was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The SQLite file's path.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }
}

impl fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: only where the data lives.
        f.debug_struct("LocalBackend")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}
