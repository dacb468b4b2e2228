//! Gmail's and Calendar's refusals, classified. Most follow the status ([`http::classify`]);
//! a 403 needs its `reason`: `insufficientPermissions` (the token lacks the scope: reconnect)
//! and `rateLimitExceeded`/`userRateLimitExceeded` (throttling, which Google also sends as
//! 403) ask for opposite actions (the `followup::Mailer` port's contract).
//!
//! The body shape, `{"error": {"code": 403, "message": "…", "errors": [{"domain": "global",
//! "reason": "insufficientPermissions", "message": "…"}], "status": "PERMISSION_DENIED"}}`,
//! comes from Google's API docs, not from the reference: UNCONFIRMED. `message` can quote
//! what we sent, so only `reason` is read, and repeated only when it looks like a code.

use std::time::SystemTime;

use serde::Deserialize;

use crate::http::{self, ConnectorError, Response, retry_after};

#[derive(Deserialize)]
struct Body {
    error: Detail,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    errors: Vec<Item>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    reason: Option<String>,
}

/// The first `errors[].reason`, else `status`, when it is a short camelCase/UPPER_CASE code.
pub(super) fn reason(body: &[u8]) -> Option<String> {
    let body: Body = serde_json::from_slice(body).ok()?;
    body.error
        .errors
        .into_iter()
        .find_map(|item| item.reason)
        .or(body.error.status)
        .filter(|r| {
            !r.is_empty()
                && r.len() <= 40
                && r.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        })
}

/// The class of a non-2xx answer from a Google API.
pub(super) fn api_error(provider: &'static str, response: &Response) -> ConnectorError {
    let now = SystemTime::now();
    let status = response.status.as_u16();
    let reason = reason(&response.body);
    match (status, reason.as_deref()) {
        (
            403,
            Some(
                "rateLimitExceeded"
                | "userRateLimitExceeded"
                | "quotaExceeded"
                | "dailyLimitExceeded"
                | "RESOURCE_EXHAUSTED",
            ),
        ) => ConnectorError::RateLimited {
            provider,
            retry_after: retry_after::from_headers(&response.headers, now),
        },
        (400 | 409 | 412 | 422, reason) => ConnectorError::Invalid {
            provider,
            what: match reason {
                Some(reason) => format!("request refused (HTTP {status}, {reason})"),
                None => format!("request refused (HTTP {status})"),
            },
        },
        // 401, other 403s (insufficientPermissions, a domain policy), 404, 429, 5xx.
        _ => http::classify(provider, response.status, &response.headers, now).unwrap_or(
            ConnectorError::Invalid {
                provider,
                what: format!("unexpected HTTP {status}"),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use ::http::{HeaderMap, HeaderValue, StatusCode};

    use super::*;

    fn answer(status: u16, reason: &str, retry_after: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(secs) = retry_after {
            headers.insert("retry-after", HeaderValue::from_str(secs).unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: serde_json::json!({"error": {"code": status, "message": "Dear John, the price is 40k",
                "errors": [{"domain": "global", "reason": reason, "message": "x"}], "status": "X"}})
            .to_string()
            .into_bytes(),
        }
    }

    #[test]
    fn a_403_is_unauthorized_for_a_missing_scope_and_rate_limited_for_throttling() {
        assert_eq!(
            api_error("Google", &answer(403, "insufficientPermissions", None)),
            ConnectorError::Unauthorized {
                provider: "Google",
                status: 403
            }
        );
        assert_eq!(
            api_error("Google", &answer(403, "userRateLimitExceeded", Some("7"))),
            ConnectorError::RateLimited {
                provider: "Google",
                retry_after: Some(std::time::Duration::from_secs(7))
            }
        );
        assert!(matches!(
            api_error("Google", &answer(503, "backendError", None)),
            ConnectorError::Unavailable { .. }
        ));
    }

    #[test]
    fn a_400_names_the_reason_but_never_the_message() {
        let err = api_error("Google", &answer(400, "invalid", None));
        assert_eq!(
            err.to_string(),
            "Google answer invalid: request refused (HTTP 400, invalid)"
        );
        let odd = api_error("Google", &answer(400, "the price is 40k", None));
        assert!(!odd.to_string().contains("40k"), "{odd}");
    }
}
