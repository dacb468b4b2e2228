//! A function's handler built from the app's secrets, rebuilt when they change.
//!
//! A function reads its secret once at cold start and keeps the handler built from it. After
//! [`RefreshPolicy::max_age`] the next request re-reads the secret first (one Secrets Manager
//! call, at most [`RefreshPolicy::read_timeout`]); only a changed value rebuilds the handler.
//! So a rotated value is in use everywhere at most `max_age` (5 minutes) after it was stored,
//! from the first request after that. A failed re-read keeps the values read before and tries
//! again after [`RefreshPolicy::retry_after`]; a failed read at cold start leaves the function
//! without secrets (503) until a retry succeeds, instead of crashing its init.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use tracing::{error, info, warn};

use crate::clock::Clock;
use crate::http_io::{self, HttpRequest, HttpResponse};
use crate::lambda::HttpHandler;
use crate::secrets::{SecretSource, SecretValues};
use crate::wiring::{SlackSettings, WiringError};

/// How often the app's secrets are re-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Values older than this are re-read before the next request uses them.
    pub max_age: Duration,
    /// After a failed read, the next attempt waits this long (no read storm on an outage).
    pub retry_after: Duration,
    /// Longest a read may take; past it the request goes on with the values it had.
    pub read_timeout: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(5 * 60),
            retry_after: Duration::from_secs(30),
            read_timeout: Duration::from_secs(3),
        }
    }
}

/// A function is missing a secret it needs, or has one that fails the rules of
/// [`crate::secrets`]: it answers every request 503. Already logged when it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotConfigured;

/// Logs, once per (re)build, why `what` cannot serve, and turns the error into [`NotConfigured`].
pub fn gate<H>(what: &'static str, built: Result<H, WiringError>) -> Result<H, NotConfigured> {
    built.map_err(|err| {
        error!(
            function = what,
            error = %err,
            "not configured: every request is answered 503 until this is fixed (docs/deploy.md)"
        );
        NotConfigured
    })
}

/// The fixed answer of a function that is not configured: no cause, no detail.
pub fn not_configured_response() -> HttpResponse {
    http_io::text(
        StatusCode::SERVICE_UNAVAILABLE,
        "this function is not configured; its log says why",
    )
}

impl<H: HttpHandler> HttpHandler for Result<H, NotConfigured> {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        match self {
            Ok(handler) => handler.handle(req).await,
            Err(NotConfigured) => not_configured_response(),
        }
    }
}

type Build<T> = Box<dyn Fn(&SlackSettings) -> T + Send + Sync>;

struct Current<T> {
    value: Arc<T>,
    values: SecretValues,
    next_read: SystemTime,
}

/// A value built from the app's settings and secrets, rebuilt when a re-read finds that the
/// secrets changed. Cheap to read: one uncontended lock and an `Arc` clone per request.
pub struct Refreshing<T> {
    base: SlackSettings,
    source: Option<Arc<dyn SecretSource>>,
    build: Build<T>,
    clock: Clock,
    policy: RefreshPolicy,
    current: RwLock<Current<T>>,
    reading: AtomicBool,
}

impl<T: Send + Sync + 'static> Refreshing<T> {
    /// Builds the first value: from `base` alone when there is no `source` (the environment's
    /// values never change), else after reading `source` once.
    pub async fn start(
        base: SlackSettings,
        source: Option<Arc<dyn SecretSource>>,
        clock: Clock,
        policy: RefreshPolicy,
        build: impl Fn(&SlackSettings) -> T + Send + Sync + 'static,
    ) -> Self {
        let now = clock.now();
        let (values, next_read) = match &source {
            None => (SecretValues::default(), now),
            Some(source) => match read(source.as_ref(), policy.read_timeout).await {
                Ok(values) => (values, now + policy.max_age),
                Err(err) => {
                    error!(
                        error = %err,
                        retry_in_secs = policy.retry_after.as_secs(),
                        "could not read the app's secrets at cold start; answering without them"
                    );
                    (SecretValues::default(), now + policy.retry_after)
                }
            },
        };
        let value = Arc::new(build(&base.with_values(&values)));
        Self {
            base,
            source,
            build: Box::new(build),
            clock,
            policy,
            current: RwLock::new(Current {
                value,
                values,
                next_read,
            }),
            reading: AtomicBool::new(false),
        }
    }

    /// The current value, re-reading the secrets first when they are due.
    pub async fn get(&self) -> Arc<T> {
        let Some(source) = &self.source else {
            return self.snapshot().0;
        };
        let (value, next_read) = self.snapshot();
        let now = self.clock.now();
        // One reader at a time; concurrent requests (serve, tests) go on with what there is.
        if now < next_read || self.reading.swap(true, Ordering::AcqRel) {
            return value;
        }
        // Cleared on drop too, so a request cancelled mid-read does not stop later reads.
        let _reading = ClearOnDrop(&self.reading);
        let result = read(source.as_ref(), self.policy.read_timeout).await;
        self.apply(result, now)
    }

    fn snapshot(&self) -> (Arc<T>, SystemTime) {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        (current.value.clone(), current.next_read)
    }

    fn apply(&self, result: Result<SecretValues, String>, now: SystemTime) -> Arc<T> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(values) => {
                if !values.same_as(&current.values) {
                    info!("the app's secrets changed: rebuilding the handler");
                    current.value = Arc::new((self.build)(&self.base.with_values(&values)));
                    current.values = values;
                }
                current.next_read = now + self.policy.max_age;
            }
            Err(err) => {
                warn!(
                    error = %err,
                    retry_in_secs = self.policy.retry_after.as_secs(),
                    "could not re-read the app's secrets; keeping the values read before"
                );
                current.next_read = now + self.policy.retry_after;
            }
        }
        current.value.clone()
    }
}

struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// One bounded read; the error is flattened to its cause chain (no secret is in it).
async fn read(source: &dyn SecretSource, timeout: Duration) -> Result<SecretValues, String> {
    match tokio::time::timeout(timeout, source.read()).await {
        Ok(Ok(values)) => Ok(values),
        Ok(Err(err)) => Err(crate::ingress::chain(err.as_ref())),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

impl<H: HttpHandler> HttpHandler for Refreshing<H> {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        self.get().await.handle(req).await
    }
}

#[cfg(test)]
#[path = "refreshing_tests.rs"]
mod tests;
