use std::path::PathBuf;

/// Why the local backend could not be opened. Messages name the file and never show key bytes.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot create data directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create database file {}", path.display())]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot set up the schema of database {}", path.display())]
    Schema {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "database {} has schema version {found}, newer than this build's {supported}: \
         upgrade switchboard",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "data directory {} is writable by group or others (mode {mode:o}); \
         run `chmod 700` on it",
        path.display()
    )]
    DataDirMode { path: PathBuf, mode: u32 },
    #[error(
        "data directory {} belongs to user {owner}, not to the user running switchboard",
        path.display()
    )]
    DataDirOwner { path: PathBuf, owner: u32 },
    #[error("cannot read or create key file {}", path.display())]
    KeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "key file {} is accessible by group or others (mode {mode:o}); run `chmod 600` on it",
        path.display()
    )]
    KeyFileMode { path: PathBuf, mode: u32 },
    #[error(
        "key file {} belongs to user {owner}, not to the user running switchboard",
        path.display()
    )]
    KeyFileOwner { path: PathBuf, owner: u32 },
    #[error("key file {} must hold exactly 32 bytes, it holds {len}", path.display())]
    KeyFileLength { path: PathBuf, len: u64 },
    #[error("key file {} is not a regular file (a symlink, a directory, …)", path.display())]
    KeyFileNotRegular { path: PathBuf },
}
