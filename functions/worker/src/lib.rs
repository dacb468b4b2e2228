//! switchboard-worker
