//! Signs request bodies as Slack does (slack.md §1), through the production signer, so tests
//! exercise the same `v0:{timestamp}:{body}` scheme the verifier checks.

use http::{HeaderMap, HeaderValue, header};

/// Header names Slack signs requests with (lower case, as API Gateway delivers them).
pub use slack::verify::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The content type Slack sends for `body`: JSON for Events API bodies (they start with `{`),
/// form encoding for slash commands and interactions.
pub fn content_type_of(body: &[u8]) -> &'static str {
    if body.first() == Some(&b'{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    }
}

/// The headers of a Slack request carrying `body` sent at unix time `now`: timestamp,
/// signature and the content type (guessed by [`content_type_of`]).
///
/// # Panics
/// If `secret` is not a usable signing secret (empty or blank): a broken test, not input.
pub fn signed_headers(secret: &str, body: &[u8], now: i64) -> HeaderMap {
    signed_headers_with_content_type(secret, body, now, content_type_of(body))
}

/// [`signed_headers`] with an explicit content type.
///
/// # Panics
/// As [`signed_headers`], and if `content_type` is not a valid header value.
pub fn signed_headers_with_content_type(
    secret: &str,
    body: &[u8],
    now: i64,
    content_type: &str,
) -> HeaderMap {
    let signature = sign(secret, body, now);
    let mut headers = HeaderMap::new();
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from(now));
    headers.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_str(&signature).unwrap_or_else(|_| panic!("signature is not ASCII")),
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| panic!("content type {content_type:?} is not a header value")),
    );
    headers
}

/// The `v0=…` signature of `body` at `now`.
///
/// # Panics
/// If `secret` is rejected by [`slack::Verifier::new`].
pub fn sign(secret: &str, body: &[u8], now: i64) -> String {
    match slack::Verifier::new(secret) {
        Ok(verifier) => verifier.sign(now, body),
        Err(err) => panic!("test signing secret rejected: {err}"),
    }
}

/// The current unix time in seconds, for signing "now".
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    // slack.md §1, the official test vector.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: i64 = 1531420618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    #[test]
    fn signed_headers_carry_the_official_vector_signature_and_form_content_type() {
        let headers = signed_headers(SECRET, BODY.as_bytes(), TIMESTAMP);
        assert_eq!(headers[TIMESTAMP_HEADER], "1531420618");
        assert_eq!(
            headers[SIGNATURE_HEADER],
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn signed_headers_verify_with_the_production_verifier() {
        let body = b"payload=%7B%7D";
        let now = now();
        let headers = signed_headers(SECRET, body, now);
        let verifier = slack::Verifier::new(SECRET).unwrap();
        assert_eq!(verifier.verify_at(&headers, body, now), Ok(()));
        assert!(
            verifier
                .verify_at(&headers, b"payload=%7B%7Dx", now)
                .is_err()
        );
    }

    #[test]
    fn json_bodies_get_the_json_content_type_and_the_derived_vector() {
        let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        let headers = signed_headers(SECRET, body.as_bytes(), TIMESTAMP);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            headers[SIGNATURE_HEADER],
            "v0=f9bd80929259f3f6d5fe3a3186c453c89cd1ad4862815a15837584f31c993652"
        );
    }
}
