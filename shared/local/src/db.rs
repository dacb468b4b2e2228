//! The SQLite connection: opening, pragmas, schema migrations, and the mapping of driver errors
//! onto the ports' `StoreError`.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use tenant::ports::StoreError;

use crate::LocalError;

/// How long a writer waits for another connection's write lock before `Throttled`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Expired ledger and usage rows are purged on one write in this many.
const PURGE_EVERY: u64 = 256;

/// Creates the data directory (mode 0700: it holds the key files) if it does not exist, and
/// makes an existing one as private: one that others may write, or that another user owns, is
/// refused (whoever may write it may swap the key files and the database under us); one that
/// others may only read or search (0755, as `switchboard tenant add` used to leave it) is
/// narrowed to 0700, with a warning.
pub(crate) fn create_dir(path: &Path) -> Result<(), LocalError> {
    let create_err = |source| LocalError::CreateDir {
        path: path.to_owned(),
        source,
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(create_err)?;
    let meta = std::fs::metadata(path).map_err(create_err)?;
    if meta.uid() != crate::keyfile::current_uid() {
        return Err(LocalError::DataDirOwner {
            path: path.to_owned(),
            owner: meta.uid(),
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(LocalError::DataDirMode {
            path: path.to_owned(),
            mode,
        });
    }
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .map_err(create_err)?;
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "data directory was open to others; narrowed to 0700");
    }
    Ok(())
}

/// One connection to the database file, shared by the ports of one handle.
pub(crate) struct Db {
    conn: Mutex<Connection>,
    writes: AtomicU64,
}

/// What a closure run on the connection can fail with.
pub(crate) enum DbError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<StoreError> for DbError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Busy/locked past the busy timeout means load; anything else is the store failing.
pub(crate) fn store_error(err: DbError) -> StoreError {
    match err {
        DbError::Store(e) => e,
        DbError::Sql(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            StoreError::Throttled
        }
        DbError::Sql(e) => StoreError::unavailable(e),
    }
}

impl Db {
    pub(crate) fn open(path: &Path) -> Result<Self, LocalError> {
        let open_err = |source| LocalError::Open {
            path: path.to_owned(),
            source,
        };
        // Create the file ourselves so it is 0600 from the start (SQLite would use the umask);
        // the -wal and -shm files inherit the database file's mode.
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|source| LocalError::CreateFile {
                path: path.to_owned(),
                source,
            })?;
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(journal_mode = %mode, "SQLite did not switch to WAL");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        crate::schema::migrate(&mut conn, path)?;
        Ok(Self {
            conn: Mutex::new(conn),
            writes: AtomicU64::new(0),
        })
    }

    /// Runs `f` on the connection. The lock is held for `f` only, which never awaits.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DbError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock cannot leave a transaction open (dropping a
        // `Transaction` rolls back), so the connection is still good.
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn).map_err(store_error)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction (write lock taken before the first read, so
    /// read-modify-write is atomic across processes), committing if it succeeds.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, DbError>,
    ) -> Result<T, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
    }

    /// Whether this write should also purge expired rows (one in [`PURGE_EVERY`]).
    pub(crate) fn purge_due(&self) -> bool {
        self.writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PURGE_EVERY)
    }
}

/// Deletes ledger and usage rows expired by both `now` (the caller's clock) and the wall
/// clock: a made-up `now` in a test cannot purge rows another caller still relies on.
pub(crate) fn purge_expired(tx: &rusqlite::Transaction<'_>, now: i64) -> Result<(), DbError> {
    let cutoff = now.min(unix_ms(SystemTime::now()));
    tx.prepare_cached("DELETE FROM ledger WHERE expires_at <= ?1")?
        .execute([cutoff])?;
    tx.prepare_cached("DELETE FROM usage WHERE expires_at <= ?1")?
        .execute([cutoff])?;
    Ok(())
}

/// Unix milliseconds, as the tables store them.
pub(crate) use tenant::time::unix_ms;

/// A duration in milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The next value of the file's one version counter (`versions` table), inside the write's
/// transaction: every conditional write of the vault and the credentials stores a version no
/// row of the file ever had, so a version read before a delete never matches a row written
/// after it.
pub(crate) fn next_version(tx: &rusqlite::Transaction<'_>) -> Result<i64, DbError> {
    Ok(tx
        .prepare_cached("UPDATE versions SET last = last + 1 WHERE id = 1 RETURNING last")?
        .query_row([], |row| row.get(0))?)
}

/// A version this adapter handed out, or `None` for one it could not have (which then matches
/// no row: the write is a conflict).
pub(crate) fn parse_version(version: &tenant::ports::Version) -> Option<i64> {
    version.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_data_directory_is_made_private_and_a_writable_one_refused() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/b/data");
        create_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        create_dir(&fresh).unwrap();

        // Readable by others, as `tenant add` used to leave it: narrowed.
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);

        // Writable by others: refused, and left for its owner to look at.
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = create_dir(&fresh).unwrap_err();
        assert!(
            matches!(err, LocalError::DataDirMode { mode: 0o777, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }
}
