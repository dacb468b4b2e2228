//! The clock, injectable so that tests can check signature windows and expiry without sleeping.

use std::sync::Arc;
use std::time::SystemTime;

/// A source of the current time. Cheap to clone.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    /// A clock that always says `at` (tests).
    pub fn fixed(at: SystemTime) -> Self {
        Self(Arc::new(move || at))
    }

    /// A clock that asks `now` (tests that move time forward).
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    pub fn unix_secs(&self) -> i64 {
        tenant::time::unix_secs(self.now())
    }

    pub fn unix_millis(&self) -> i64 {
        unix_millis(self.now())
    }
}

/// Unix milliseconds of `t` (0 before the epoch): for a caller that read [`Clock::now`] once
/// and needs the same instant in milliseconds too.
pub fn unix_millis(t: SystemTime) -> i64 {
    tenant::time::unix_ms(t)
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}
