//! The `switchboard` operator tool.
pub mod config;
pub mod serve;
