//! Slack protocol for Switchboard.
//!
//! * [`verify`]: the `v0` request signature, checked on raw bytes in constant time.

pub mod verify;

pub use verify::{MAX_SKEW_SECS, Verifier, VerifyError};
