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
