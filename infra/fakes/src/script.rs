//! What the CRM fakes share: a record of the calls received and failures queued per endpoint,
//! so each fake only says what its endpoints are and what its error bodies look like.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Duration;

use serde_json::Value;
use tenant::Secret;

/// A failure to inject into the next call(s) of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429, with `Retry-After: <secs>` when `Some` (without it, the client must back off on
    /// its own).
    RateLimited { retry_after_secs: Option<u64> },
    /// This status (500, 503, 423…) with the fake's error body.
    Status(u16),
    /// Answers normally after this long (longer than a client's timeout, to test it).
    Slow(Duration),
}

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Call<E> {
    pub endpoint: E,
    pub method: &'static str,
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The JSON body, if one was sent and parsed (fakes' records are test data).
    pub body: Option<Value>,
    /// The credential sent; `Debug` redacted.
    pub credential: Option<Secret>,
    /// The status the fake answered.
    pub status: u16,
}

/// The calls so far and the failures queued.
#[derive(Debug)]
pub struct Script<E> {
    calls: Vec<Call<E>>,
    failures: HashMap<E, VecDeque<Failure>>,
}

impl<E> Default for Script<E> {
    fn default() -> Self {
        Self {
            calls: Vec::new(),
            failures: HashMap::new(),
        }
    }
}

/// Where a recorded call is, to set the status it was answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallIndex(usize);

impl<E: Copy + Eq + Hash> Script<E> {
    /// Records `call` (answered 200 until [`Self::answered`] says otherwise) and takes the
    /// endpoint's next queued failure.
    pub fn admit(&mut self, call: Call<E>) -> (CallIndex, Option<Failure>) {
        let failure = self
            .failures
            .get_mut(&call.endpoint)
            .and_then(VecDeque::pop_front);
        self.calls.push(call);
        (CallIndex(self.calls.len() - 1), failure)
    }

    pub fn answered(&mut self, at: CallIndex, status: u16) {
        if let Some(call) = self.calls.get_mut(at.0) {
            call.status = status;
        }
    }

    pub fn fail_next_n(&mut self, endpoint: E, n: usize, failure: Failure) {
        self.failures
            .entry(endpoint)
            .or_default()
            .extend(std::iter::repeat_n(failure, n));
    }

    pub fn calls(&self) -> Vec<Call<E>> {
        self.calls.clone()
    }

    pub fn calls_to(&self, endpoint: E) -> Vec<Call<E>> {
        self.calls
            .iter()
            .filter(|c| c.endpoint == endpoint)
            .cloned()
            .collect()
    }
}

/// The bearer token of `headers`, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// What an injected failure means for a call: an early answer (built by the fake, which knows
/// its error bodies), or a delay before the normal answer.
pub enum Injected<R> {
    Proceed { slow: Option<Duration> },
    Refuse(R),
}

impl Failure {
    /// Sorts an optional queued failure into [`Injected`]: `rate_limited` builds the 429
    /// (given the `Retry-After` seconds to send, if any), `failed` the other statuses.
    pub fn inject<R>(
        failure: Option<Failure>,
        rate_limited: impl FnOnce(Option<u64>) -> R,
        failed: impl FnOnce(axum::http::StatusCode) -> R,
    ) -> Injected<R> {
        match failure {
            None => Injected::Proceed { slow: None },
            Some(Failure::Slow(delay)) => Injected::Proceed { slow: Some(delay) },
            Some(Failure::RateLimited { retry_after_secs }) => {
                Injected::Refuse(rate_limited(retry_after_secs))
            }
            Some(Failure::Status(code)) => Injected::Refuse(failed(
                axum::http::StatusCode::from_u16(code)
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            )),
        }
    }
}

/// What a CRM fake's handler parsed from a request, before the call is admitted.
pub(crate) struct Incoming<E> {
    pub endpoint: E,
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl<E> Incoming<E> {
    pub fn get(endpoint: E, path: impl Into<String>, query: Vec<(String, String)>) -> Self {
        Self::with_body(endpoint, "GET", path, query, None)
    }

    /// A call with a JSON body (`None` when it does not parse: the handler answers 400).
    pub fn with_body(
        endpoint: E,
        method: &'static str,
        path: impl Into<String>,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> Self {
        Self {
            endpoint,
            method,
            path: path.into(),
            query,
            body,
        }
    }
}

/// How one CRM fake refuses a call, in its own error bodies.
pub(crate) struct Refusals {
    pub unauthorized: fn() -> axum::response::Response,
    /// A 429, given the `Retry-After` seconds to send, if any.
    pub rate_limited: fn(Option<u64>) -> axum::response::Response,
    pub failed: fn(axum::http::StatusCode) -> axum::response::Response,
}

/// The shape every CRM fake endpoint shares: record the call, find the tenant `token`
/// reaches (401 if none), apply an injected failure, run `work` on that tenant's records
/// under the lock, record the status it answered, and answer (after an injected delay, with
/// the lock released).
pub(crate) async fn serve<S, E: Copy + Eq + Hash, T>(
    shared: &std::sync::Mutex<S>,
    incoming: Incoming<E>,
    token: Option<String>,
    script: fn(&mut S) -> &mut Script<E>,
    tenant: impl FnOnce(&S, &str) -> Option<T>,
    refusals: &Refusals,
    work: impl FnOnce(&mut S, T) -> (axum::http::StatusCode, Value),
) -> axum::response::Response {
    let (slow, (status, body)) = {
        let mut state = crate::server::lock(shared);
        let (call, failure) = script(&mut state).admit(Call {
            endpoint: incoming.endpoint,
            method: incoming.method,
            path: incoming.path,
            query: incoming.query,
            body: incoming.body,
            credential: token.clone().map(Secret::from),
            status: 200,
        });
        let Some(found) = token.and_then(|t| tenant(&state, &t)) else {
            script(&mut state).answered(call, 401);
            return (refusals.unauthorized)();
        };
        let slow = match Failure::inject(failure, refusals.rate_limited, refusals.failed) {
            Injected::Proceed { slow } => slow,
            Injected::Refuse(response) => {
                script(&mut state).answered(call, response.status().as_u16());
                return response;
            }
        };
        let answer = work(&mut state, found);
        script(&mut state).answered(call, answer.0.as_u16());
        (slow, answer)
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    axum::response::IntoResponse::into_response((status, axum::Json(body)))
}

/// The test-facing failure-injection and call-record methods of a fake whose `shared`
/// state keeps a [`Script`] in `script`.
macro_rules! script_methods {
    ($endpoint:ty) => {
        /// Fails the next `n` calls of `endpoint` with `failure`.
        pub fn fail_next_n(&self, endpoint: $endpoint, n: usize, failure: Failure) {
            crate::server::lock(&self.shared)
                .script
                .fail_next_n(endpoint, n, failure);
        }

        pub fn fail_next(&self, endpoint: $endpoint, failure: Failure) {
            self.fail_next_n(endpoint, 1, failure);
        }

        /// Every call so far, in order.
        pub fn calls(&self) -> Vec<Call<$endpoint>> {
            crate::server::lock(&self.shared).script.calls()
        }

        pub fn calls_to(&self, endpoint: $endpoint) -> Vec<Call<$endpoint>> {
            crate::server::lock(&self.shared).script.calls_to(endpoint)
        }

        pub async fn stop(self) {
            self.server.stop().await;
        }
    };
}
pub(crate) use script_methods;
