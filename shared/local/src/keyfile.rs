//! The local key files (the vault's, the audit log's): 32 random bytes each, created once with
//! mode 0600, and refused unless they are a regular file (not a symlink) owned by the user
//! running switchboard that nobody else may read or write.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key};

use crate::LocalError;

pub(crate) const KEY_LEN: usize = 32;

/// Reads the key at `path`, creating it first if there is none.
pub(crate) fn load_or_create(path: &Path) -> Result<Key<Aes256Gcm>, LocalError> {
    match fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == ErrorKind::NotFound => create(path),
        Err(source) => Err(key_err(path, source)),
    }
}

fn key_err(path: &Path, source: std::io::Error) -> LocalError {
    LocalError::KeyFile {
        path: path.to_owned(),
        source,
    }
}

/// The uid the process runs as: the only owner a key file (or the data directory) may have.
pub(crate) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn load(path: &Path) -> Result<Key<Aes256Gcm>, LocalError> {
    // O_NOFOLLOW: the open itself refuses a symlink, and every check below is on the opened
    // file, so nothing can be swapped in between a check and the read. O_NONBLOCK: a FIFO put
    // in the key's place cannot hang the open (it is then refused as not a regular file).
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                LocalError::KeyFileNotRegular {
                    path: path.to_owned(),
                }
            } else {
                key_err(path, e)
            }
        })?;
    let meta = file.metadata().map_err(|e| key_err(path, e))?;
    if !meta.file_type().is_file() {
        return Err(LocalError::KeyFileNotRegular {
            path: path.to_owned(),
        });
    }
    if meta.uid() != current_uid() {
        return Err(LocalError::KeyFileOwner {
            path: path.to_owned(),
            owner: meta.uid(),
        });
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(LocalError::KeyFileMode {
            path: path.to_owned(),
            mode,
        });
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(LocalError::KeyFileLength {
            path: path.to_owned(),
            len: meta.len(),
        });
    }
    let mut key = Key::<Aes256Gcm>::default();
    file.read_exact(&mut key).map_err(|e| key_err(path, e))?;
    Ok(key)
}

/// Writes a fresh key to a private temporary file, then publishes it with a hard link, which
/// fails if the key exists: two processes starting at once agree on one key, and no reader
/// ever sees a partly written file.
fn create(path: &Path) -> Result<Key<Aes256Gcm>, LocalError> {
    let key = Aes256Gcm::generate_key(OsRng);
    let tmp = temp_path(path);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(&key)?;
            file.sync_all()
        });
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(key_err(path, source));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new key file");
            Ok(key)
        }
        // Someone else created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => load(path),
        Err(source) => Err(key_err(path, source)),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_new_key_is_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        let created = load_or_create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&path).unwrap().len(), KEY_LEN);
        assert_eq!(load_or_create(&path).unwrap(), created);
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "the temporary file is removed");
    }

    #[test]
    fn a_readable_or_wrong_size_key_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(matches!(err, LocalError::KeyFileMode { mode: 0o644, .. }));
        assert!(err.to_string().contains("vault.key"), "{err}");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, b"short").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(matches!(err, LocalError::KeyFileLength { len: 5, .. }));
        assert!(!err.to_string().contains("short"));
    }

    #[test]
    fn a_key_file_another_user_owns_is_refused() {
        // Files owned by someone else: root's files when the tests run as a user, or any
        // file handed to another uid when they run as root.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        load_or_create(&path).unwrap();
        let other = if current_uid() == 0 { 65_534 } else { 0 };
        if current_uid() == 0 {
            std::os::unix::fs::chown(&path, Some(other), None).unwrap();
        } else if std::os::unix::fs::chown(&path, Some(other), None).is_err() {
            // Not root: no way to give a file away; the check is covered by the root run.
            eprintln!("skipped: cannot chown as uid {}", current_uid());
            return;
        }
        let err = load_or_create(&path).unwrap_err();
        assert!(
            matches!(err, LocalError::KeyFileOwner { owner, .. } if owner == other),
            "{err}"
        );
    }

    #[test]
    fn a_fifo_in_the_keys_place_is_refused_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.key");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &path,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        assert!(matches!(
            load_or_create(&path),
            Err(LocalError::KeyFileNotRegular { .. })
        ));
    }

    #[test]
    fn a_symlink_to_a_valid_key_or_a_dangling_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dangling = dir.path().join("dangling.key");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(matches!(
            load_or_create(&dangling),
            Err(LocalError::KeyFileNotRegular { .. })
        ));
        assert!(
            !dir.path().join("nowhere").exists(),
            "no key is created through a dangling link"
        );
    }

    #[test]
    fn a_symlinked_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.key");
        load_or_create(&real).unwrap();
        let link = dir.path().join("vault.key");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(
            load_or_create(&link),
            Err(LocalError::KeyFileNotRegular { .. })
        ));
    }
}
