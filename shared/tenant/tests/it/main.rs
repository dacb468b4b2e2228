//! The crate's integration tests, one module per area, in one test binary: one link for
//! the crate and its tests run in parallel (separate binaries run one after another).

mod bundle_updates;
mod common;
mod memory_contract;
mod oauth_install;
mod redaction;
mod refresh;
mod suspension;
