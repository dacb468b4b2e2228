//! The HTTP layer every connector shares: one `reqwest` client per provider, built once per
//! cold start with connect and overall timeouts; status codes turned into [`ConnectorError`]
//! classes; `Retry-After` parsing ([`retry_after`]); a bounded [`retry`] loop.

mod error;
pub mod retry;
pub mod retry_after;

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

pub(crate) use error::describe_json_error;
pub use error::{ConnectorError, Unavailable};
pub use retry::{Deadline, RetryPolicy, Retryable, retry};

/// Timeouts of one provider's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// The whole request, connect to last body byte. Must be shorter than the worker step's
    /// lease, so a hung provider fails the step before another worker may claim it.
    pub timeout: Duration,
    /// TCP + TLS set-up.
    pub connect_timeout: Duration,
    /// The largest body read; a bigger one is `Invalid` (a 128 MB Lambda must not buffer
    /// whatever a provider sends).
    pub max_body_bytes: usize,
}

impl HttpConfig {
    /// 10 s overall: a Fathom or CRM call is well under a second normally.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
    /// A long meeting's transcript is a few hundred KB of JSON.
    pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;

    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT.min(timeout),
            max_body_bytes: Self::DEFAULT_MAX_BODY,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::with_timeout(Self::DEFAULT_TIMEOUT)
    }
}

/// A provider's HTTP client. Cheap to clone (`reqwest::Client` is reference counted).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    provider: &'static str,
    timeout: Duration,
    max_body_bytes: usize,
}

/// A 2xx answer, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpClient {
    /// The client for `provider` (the name errors carry, e.g. `"Fathom"`).
    pub fn new(provider: &'static str, config: &HttpConfig) -> Result<Self, ConnectorError> {
        // The process's one TLS configuration (ring, the system's roots parsed once).
        let inner = tls::client_builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout.min(config.timeout))
            // Providers' APIs do not redirect; following one could carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ConnectorError::invalid(provider, "HTTP client could not be built"))?;
        Ok(Self {
            inner,
            provider,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
    }

    pub fn provider(&self) -> &'static str {
        self.provider
    }

    pub fn get(&self, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.get(url)
    }

    pub fn post(&self, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.post(url)
    }

    pub fn delete(&self, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.delete(url)
    }

    /// Any method (HubSpot's `PATCH`).
    pub fn request(&self, method: ::http::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.request(method, url)
    }

    /// Sends `request` and reads the body; any non-2xx becomes its error class. The attempt's
    /// timeout is the client's, cut to what is left before `deadline` (none left: `Unavailable`
    /// with a timeout, without sending). `error_hint` may name the provider's error code from a
    /// refused body (for `Invalid`'s description); it must return only values that cannot hold
    /// user content.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Deadline,
        error_hint: fn(&[u8]) -> Option<String>,
    ) -> Result<Response, ConnectorError> {
        let (status, headers, body) = self.exchange(request, deadline).await?;
        if let Some(err) = classify(self.provider, status, &headers, SystemTime::now()) {
            let err = match err {
                ConnectorError::Invalid { provider, what } => {
                    let hint = body.as_deref().ok().and_then(error_hint);
                    ConnectorError::Invalid {
                        provider,
                        what: match hint {
                            Some(code) => format!("{what} ({code})"),
                            None => what,
                        },
                    }
                }
                other => other,
            };
            tracing::debug!(provider = self.provider, status = status.as_u16(), error = %err, "provider refused the call");
            return Err(err);
        }
        Ok(Response {
            status,
            headers,
            body: body?,
        })
    }

    /// Sends `request` and reads the body whatever the status, for providers whose refusals
    /// carry the code that decides their class (an OAuth token endpoint's `invalid_grant`,
    /// Google's `insufficientPermissions` on a 403): the caller classifies, with
    /// [`classify`] for whatever the code does not decide. Timeouts as for [`Self::send`].
    pub async fn send_any(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Deadline,
    ) -> Result<Response, ConnectorError> {
        let (status, headers, body) = self.exchange(request, deadline).await?;
        Ok(Response {
            status,
            headers,
            body: body?,
        })
    }

    /// One request: its status and headers, and its body (or why it could not be read, which
    /// a refusal's status outranks in [`Self::send`]).
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Deadline,
    ) -> Result<(StatusCode, HeaderMap, Result<Vec<u8>, ConnectorError>), ConnectorError> {
        let Some(left) = deadline.remaining() else {
            return Err(ConnectorError::Unavailable {
                provider: self.provider,
                cause: Unavailable::Timeout,
                retry_after: None,
            });
        };
        let request = request.timeout(self.timeout.min(left));
        let mut response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_body(response).await;
        Ok((status, headers, body))
    }

    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, ConnectorError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(ConnectorError::invalid(self.provider, "answer too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, err: &reqwest::Error) -> ConnectorError {
        let cause = if err.is_timeout() {
            Unavailable::Timeout
        } else {
            Unavailable::Transport
        };
        // Logged without the URL: paths and queries are not secret here, but one rule for
        // every provider is easier to keep than a list of exceptions.
        tracing::debug!(provider = self.provider, error = %DisplayWithoutUrl(err), "provider call failed");
        ConnectorError::Unavailable {
            provider: self.provider,
            cause,
            retry_after: None,
        }
    }
}

struct DisplayWithoutUrl<'a>(&'a reqwest::Error);

impl std::fmt::Display for DisplayWithoutUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(self.0);
        f.write_str(if self.0.is_timeout() {
            "timeout"
        } else if self.0.is_connect() {
            "connect"
        } else {
            "request"
        })?;
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

/// The error class of a non-2xx status; `None` for 2xx. 3xx counts as `Invalid` (redirects
/// are not followed).
pub fn classify(
    provider: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<ConnectorError> {
    let code = status.as_u16();
    Some(match code {
        200..=299 => return None,
        401 | 403 => ConnectorError::Unauthorized {
            provider,
            status: code,
        },
        404 => ConnectorError::NotFound { provider },
        429 => ConnectorError::RateLimited {
            provider,
            retry_after: retry_after::from_headers(headers, now),
        },
        408 | 500..=599 => ConnectorError::Unavailable {
            provider,
            cause: Unavailable::Status(code),
            retry_after: retry_after::from_headers(headers, now),
        },
        _ => ConnectorError::invalid(provider, format!("request refused (HTTP {code})")),
    })
}

impl Response {
    /// The body as `T`; a body that does not fit is `Invalid` with a description that quotes
    /// nothing from it.
    pub fn json<T: DeserializeOwned>(&self, provider: &'static str) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ConnectorError::invalid(provider, describe_json_error(&e)))
    }
}

/// A header value holding a credential: marked sensitive so that `http`'s `Debug` of it (and
/// of any request carrying it) prints `Sensitive`.
pub fn secret_header(value: &str, provider: &'static str) -> Result<HeaderValue, ConnectorError> {
    let mut header = HeaderValue::try_from(value)
        .map_err(|_| ConnectorError::invalid(provider, "credential is not a valid header value"))?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_classes() {
        let now = SystemTime::now();
        let class = |code: u16| {
            classify(
                "P",
                StatusCode::from_u16(code).unwrap(),
                &HeaderMap::new(),
                now,
            )
        };
        assert_eq!(class(200), None);
        assert!(matches!(
            class(401),
            Some(ConnectorError::Unauthorized { status: 401, .. })
        ));
        assert!(matches!(
            class(403),
            Some(ConnectorError::Unauthorized { status: 403, .. })
        ));
        assert!(matches!(class(404), Some(ConnectorError::NotFound { .. })));
        assert!(matches!(
            class(429),
            Some(ConnectorError::RateLimited {
                retry_after: None,
                ..
            })
        ));
        assert!(matches!(
            class(529),
            Some(ConnectorError::Unavailable {
                cause: Unavailable::Status(529),
                ..
            })
        ));
        assert!(matches!(class(400), Some(ConnectorError::Invalid { .. })));
        assert!(matches!(class(302), Some(ConnectorError::Invalid { .. })));
    }
}
