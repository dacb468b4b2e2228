//! switchboard-local
