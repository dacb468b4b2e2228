//! How long a provider asked us to wait: `Retry-After` (delta seconds or an HTTP date),
//! Anthropic's `retry-after-ms`, or Fathom's `RateLimit-Reset`.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// The wait the headers ask for, as of `now` (for HTTP dates). A date in the past is zero; a
/// value that does not parse is ignored rather than guessed.
pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    // Anthropic's SDK prefers the millisecond header when both are there (anthropic.md).
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    if let Some(value) = get("retry-after") {
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    // Fathom names `RateLimit-Reset` (fathom.md, rate limits) without giving its unit. We read
    // it as the IETF RateLimit-headers draft defines it, delta seconds until the window resets;
    // UNCONFIRMED for Fathom. A value that looks like an epoch timestamp is taken as one.
    let reset = get("ratelimit-reset")?.parse::<u64>().ok()?;
    const EPOCH_2001: u64 = 1_000_000_000;
    if reset >= EPOCH_2001 {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
        return Some(at.duration_since(now).unwrap_or_default());
    }
    Some(Duration::from_secs(reset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            from_headers(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]);
        assert_eq!(from_headers(&date, now), Some(Duration::from_secs(30)));
        let past = headers(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]);
        assert_eq!(from_headers(&past, now), Some(Duration::ZERO));
        assert_eq!(
            from_headers(&headers(&[("retry-after", "soon")]), now),
            None
        );
    }

    #[test]
    fn milliseconds_win_and_fathom_reset_is_read_as_delta_seconds() {
        let now = SystemTime::now();
        let both = headers(&[("retry-after-ms", "1500"), ("retry-after", "9")]);
        assert_eq!(from_headers(&both, now), Some(Duration::from_millis(1500)));
        let reset = headers(&[("ratelimit-reset", "42")]);
        assert_eq!(from_headers(&reset, now), Some(Duration::from_secs(42)));
        assert_eq!(from_headers(&HeaderMap::new(), now), None);
    }
}
