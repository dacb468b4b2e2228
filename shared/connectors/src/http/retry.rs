//! A bounded retry loop for provider calls. The worker's own redelivery is the long-term
//! retry; this one only smooths over short blips inside one step, so it is small, honours the
//! provider's `Retry-After` up to a cap, and gives up (returning the error, wait included)
//! when the provider asks for longer than the step can afford.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use super::{ConnectorError, Unavailable};

/// When an operation (a call with its retries, or a whole draft with its fallback) must be
/// over: every attempt's timeout is cut to what is left, and no wait is started that would end
/// past it. This is what keeps an operation inside the worker step's lease, however the
/// retries add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Self(Instant::now() + budget)
    }

    /// The time left; `None` once it has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }
}

/// How many times to retry and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 means "call once".
    pub max_retries: u32,
    /// The first backoff when the provider gave no `Retry-After`; doubles each retry.
    pub initial_backoff: Duration,
    /// The longest backoff without a `Retry-After`.
    pub max_backoff: Duration,
    /// The longest `Retry-After` we wait for in-process. A longer one ends the loop with the
    /// error, so the caller can schedule the retry (SQS visibility) instead of sleeping.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// Call once, never retry.
    pub const NONE: Self = Self {
        max_retries: 0,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        max_wait: Duration::ZERO,
    };

    /// Up to `max_retries` retries, 0.5 s doubling to 8 s, honouring waits up to 10 s (the
    /// Anthropic SDK's backoff, anthropic.md; the wait cap keeps a step inside its lease).
    pub const fn standard(max_retries: u32) -> Self {
        Self {
            max_retries,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(10),
        }
    }

    /// How long to wait before retry number `retry` (0-based) after `err`, or `None` to stop.
    ///
    /// Timeouts are not retried: one already used the call's whole time budget, and several in
    /// a row would outlast the step's lease. Permanent errors are not retried.
    pub fn delay(&self, retry: u32, err: &ConnectorError) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let asked = match err {
            ConnectorError::RateLimited { retry_after, .. } => *retry_after,
            ConnectorError::Unavailable {
                cause: Unavailable::Status(_) | Unavailable::Transport,
                retry_after,
                ..
            } => *retry_after,
            _ => return None,
        };
        match asked {
            Some(wait) if wait <= self.max_wait => Some(wait),
            Some(_) => None,
            None => Some(self.backoff(retry)),
        }
    }

    /// `initial × 2^retry`, capped, with jitter in [0.75, 1.0] (as the Anthropic SDK does) so
    /// that containers retrying together spread out.
    fn backoff(&self, retry: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff);
        // No RNG dependency for this: the clock's sub-second digits are random enough to
        // de-synchronise retries, which is all jitter is for.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let factor = 0.75 + 0.25 * f64::from(nanos % 1000) / 1000.0;
        base.mul_f64(factor)
    }
}

/// An error [`retry`] can judge: the [`ConnectorError`] inside it, if it has one. A layer
/// with refusals of its own (OAuth's `invalid_grant`) answers `None` for those, and they are
/// never retried.
pub trait Retryable {
    fn connector_error(&self) -> Option<&ConnectorError>;
}

impl Retryable for ConnectorError {
    fn connector_error(&self) -> Option<&ConnectorError> {
        Some(self)
    }
}

/// Runs `op` until it succeeds, fails permanently, `policy` says stop, or the next wait would
/// end past `deadline`; returns the last error in those cases.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    deadline: Deadline,
    mut op: F,
) -> Result<T, E>
where
    E: Retryable,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut retry = 0;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(err) => {
                let Some(class) = err.connector_error() else {
                    return Err(err);
                };
                match policy.delay(retry, class) {
                    Some(wait) if deadline.remaining().is_some_and(|left| wait < left) => {
                        tracing::debug!(provider = class.provider(), error = %class, ?wait, retry, "retrying");
                        tokio::time::sleep(wait).await;
                        retry += 1;
                    }
                    Some(_) | None => return Err(err),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(secs: u64) -> ConnectorError {
        ConnectorError::RateLimited {
            provider: "Fathom",
            retry_after: Some(Duration::from_secs(secs)),
        }
    }

    #[test]
    fn honours_retry_after_up_to_the_cap_and_counts_retries() {
        let policy = RetryPolicy::standard(2);
        assert_eq!(policy.delay(0, &limited(3)), Some(Duration::from_secs(3)));
        assert_eq!(policy.delay(0, &limited(60)), None, "longer than max_wait");
        assert_eq!(policy.delay(2, &limited(1)), None, "retries used up");
        assert_eq!(RetryPolicy::NONE.delay(0, &limited(1)), None);
    }

    #[test]
    fn backs_off_without_retry_after_and_never_retries_timeouts_or_permanent_errors() {
        let policy = RetryPolicy::standard(5);
        let server = ConnectorError::Unavailable {
            provider: "Anthropic",
            cause: Unavailable::Status(500),
            retry_after: None,
        };
        let first = policy.delay(0, &server).unwrap();
        assert!(first >= Duration::from_millis(375) && first <= Duration::from_millis(500));
        let late = policy.delay(4, &server).unwrap();
        assert!(late <= Duration::from_secs(8) && late >= Duration::from_secs(6));
        let timeout = ConnectorError::Unavailable {
            provider: "Anthropic",
            cause: Unavailable::Timeout,
            retry_after: None,
        };
        assert_eq!(policy.delay(0, &timeout), None);
        assert_eq!(
            policy.delay(0, &ConnectorError::NotFound { provider: "Fathom" }),
            None
        );
    }

    #[tokio::test]
    async fn retry_stops_at_the_first_success() {
        let mut calls = 0;
        let policy = RetryPolicy {
            max_wait: Duration::from_millis(10),
            ..RetryPolicy::standard(3)
        };
        let out = retry(&policy, Deadline::after(Duration::from_secs(5)), || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(ConnectorError::RateLimited {
                        provider: "Fathom",
                        retry_after: Some(Duration::from_millis(1)),
                    })
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(out, Ok(3));
    }

    #[tokio::test]
    async fn no_wait_is_started_that_would_end_past_the_deadline() {
        let mut calls = 0;
        let started = Instant::now();
        let out: Result<(), _> = retry(
            &RetryPolicy::standard(3),
            Deadline::after(Duration::from_millis(200)),
            || {
                calls += 1;
                async { Err(limited(1)) }
            },
        )
        .await;
        assert_eq!(out, Err(limited(1)));
        assert_eq!(calls, 1);
        assert!(started.elapsed() < Duration::from_millis(200));
        assert_eq!(Deadline::after(Duration::ZERO).remaining(), None);
    }
}
