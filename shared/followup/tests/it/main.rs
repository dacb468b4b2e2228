//! The crate's integration tests, one module per area, in one test binary: one link for
//! the crate and its tests run in parallel (separate binaries run one after another).

mod memory_contract;
mod memory_crm_contract;
mod memory_crm_directory;
