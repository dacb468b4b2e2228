//! The crate's integration tests, one module per area, in one test binary: one link for
//! the crate and its tests run in parallel (separate binaries run one after another).

mod app_secrets;
mod common;
mod contract;
mod credentials;
mod crm_directory;
mod dynamo;
mod queue;
mod sessions;
mod states_audit_members;
mod vault;
