//! The [`Sessions`](crate::ports::Sessions) contract (and, in [`crm_directory`], the
//! [`CrmDirectory`](crate::ports::CrmDirectory) one). Each suite takes the port as a trait
//! object, exercises a promise of its rustdoc and panics with a message naming the broken one.
//!
//! Suites use fresh random tenants and users, so they can run on a shared store in any order.
//! `now` is the real clock (so DynamoDB's own TTL agrees with the suite), and expiry is tested
//! by asking with a later `now`. Run them from an adapter's tests:
//!
//! ```ignore
//! #[tokio::test]
//! async fn sessions_keep_the_contract() {
//!     let store = my_store().await;
//!     followup::testkit::contract::sessions(&store).await;
//!     followup::testkit::contract::sessions_isolation(&store).await;
//! }
//! ```

pub mod crm_directory;
mod isolation;
mod sessions;

pub use crm_directory::{directory, directory_isolation};
pub use isolation::sessions_isolation;
pub use sessions::sessions;

use std::fmt::Debug;

use jiff::{SignedDuration, Timestamp};

use crate::ids::RecordingId;
use crate::ports::SessionError;

/// Unwraps a port call that the contract says must succeed, naming the step on failure.
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

pub(crate) fn expect_conflict<T: Debug>(promise: &str, result: Result<T, SessionError>) {
    match result {
        Err(SessionError::Conflict) => {}
        other => panic!("contract broken: {promise} must be Conflict, got {other:?}"),
    }
}

/// The real clock to the second (what every store keeps), so that round trips compare equal.
pub(crate) fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

pub(crate) fn later(t: Timestamp, secs: i64) -> Timestamp {
    t.saturating_add(SignedDuration::from_secs(secs))
        .unwrap_or(t)
}

/// A recording id no other run uses (Fathom's ids are positive integers).
pub(crate) fn random_recording() -> RecordingId {
    let suffix = tenant::testkit::random_suffix(12);
    let n = suffix
        .bytes()
        .fold(0u64, |n, b| n.wrapping_mul(37).wrapping_add(u64::from(b)));
    RecordingId::new(n % 1_000_000_000_000 + 1)
}
