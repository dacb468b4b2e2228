//! One contract suite per port. Each takes the port as a trait object, exercises every promise
//! its rustdoc makes and panics with a message naming the broken promise.
//!
//! Suites create fresh random tenants, so they can run on a shared store and in any order. Times
//! are injected where the port takes a `now`; the queue suite waits about a second in total for
//! a visibility timeout. Run them from an adapter's tests:
//!
//! ```ignore
//! #[tokio::test]
//! async fn ledger_keeps_the_contract() {
//!     let backend = my_backend().await;
//!     tenant::testkit::contract::event_ledger(backend.ledger.as_ref()).await;
//! }
//! ```

mod audit;
mod credentials;
mod directory;
mod isolation;
mod isolation_credentials;
mod isolation_people;
mod ledger;
mod members;
mod oauth_states;
mod queue;
mod usage;
mod vault;

pub use audit::audit_log;
pub use credentials::credentials;
pub use directory::tenant_directory;
pub use isolation::isolation;
pub use ledger::event_ledger;
pub use members::members;
pub use oauth_states::oauth_states;
pub use queue::job_queue;
pub use usage::usage_counters;
pub use vault::vault;

use std::fmt::Debug;

/// Unwraps a port call that the contract says must succeed, naming the step on failure.
/// Only the error's `Display` chain is shown (errors never carry secrets by contract).
pub(crate) fn ok<T, E: std::error::Error>(step: &str, result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("contract: {step} failed: {}", chain(&err)),
    }
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `assert_eq!` with the contract's wording.
pub(crate) fn expect_eq<T: PartialEq + Debug>(promise: &str, got: T, want: T) {
    assert!(
        got == want,
        "contract broken: {promise}\n   got: {got:?}\n  want: {want:?}"
    );
}
