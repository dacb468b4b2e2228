use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use super::*;

// Official vector: slack.md section 1 (Slack docs worked example == python-slack-sdk test).
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TS: i64 = 1_531_420_618;
const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const EXPECTED: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn headers(ts: &str, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(TIMESTAMP_HEADER, HeaderValue::from_str(ts).unwrap());
    h.insert(SIGNATURE_HEADER, HeaderValue::from_str(sig).unwrap());
    h
}

fn verifier() -> Verifier {
    Verifier::new(SECRET).unwrap()
}

#[test]
fn official_vector_signs_to_the_published_signature() {
    assert_eq!(verifier().sign(TS, BODY.as_bytes()), EXPECTED);
}

#[test]
fn official_vector_verifies_at_its_own_time() {
    let h = headers("1531420618", EXPECTED);
    assert_eq!(verifier().verify_at(&h, BODY.as_bytes(), TS), Ok(()));
}

#[test]
fn header_names_are_matched_case_insensitively() {
    let mut h = HeaderMap::new();
    h.insert(
        http::HeaderName::from_bytes(b"X-Slack-Request-Timestamp").unwrap(),
        HeaderValue::from_static("1531420618"),
    );
    h.insert(
        http::HeaderName::from_bytes(b"X-SLACK-SIGNATURE").unwrap(),
        HeaderValue::from_static(EXPECTED),
    );
    assert_eq!(verifier().verify_at(&h, BODY.as_bytes(), TS), Ok(()));
}

#[test]
fn derived_vector_with_another_secret() {
    let v = Verifier::new("MY_SLACK_SIGNING_SECRET").unwrap();
    let sig = "v0=9934ca6c7f0c1722aae9c49560cdab6fca9f3f42b10f54f0defe1265fa43e548";
    assert_eq!(v.sign(TS, BODY.as_bytes()), sig);
    assert_eq!(
        v.verify_at(&headers("1531420618", sig), BODY.as_bytes(), TS),
        Ok(())
    );
    // The same signature is not valid under the official secret.
    assert_eq!(
        verifier().verify_at(&headers("1531420618", sig), BODY.as_bytes(), TS),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn derived_vector_for_a_json_body() {
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let sig = "v0=f9bd80929259f3f6d5fe3a3186c453c89cd1ad4862815a15837584f31c993652";
    assert_eq!(verifier().sign(TS, body), sig);
    assert_eq!(
        verifier().verify_at(&headers("1531420618", sig), body, TS),
        Ok(())
    );
}

#[test]
fn tampered_body_is_a_mismatch() {
    let body = format!("{BODY}------");
    let h = headers("1531420618", EXPECTED);
    assert_eq!(
        verifier().verify_at(&h, body.as_bytes(), TS),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn timestamp_header_is_part_of_what_is_signed() {
    // Signature for TS, presented with TS+1 (still fresh): must not verify.
    let h = headers("1531420619", EXPECTED);
    assert_eq!(
        verifier().verify_at(&h, BODY.as_bytes(), TS),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn skew_of_exactly_300_seconds_is_accepted_both_ways() {
    let h = headers("1531420618", EXPECTED);
    assert_eq!(verifier().verify_at(&h, BODY.as_bytes(), TS + 300), Ok(()));
    assert_eq!(verifier().verify_at(&h, BODY.as_bytes(), TS - 300), Ok(()));
}

#[test]
fn request_301_seconds_old_is_stale() {
    let h = headers("1531420618", EXPECTED);
    assert_eq!(
        verifier().verify_at(&h, BODY.as_bytes(), TS + 301),
        Err(VerifyError::Stale)
    );
}

#[test]
fn request_301_seconds_in_the_future_is_stale() {
    let h = headers("1531420618", EXPECTED);
    assert_eq!(
        verifier().verify_at(&h, BODY.as_bytes(), TS - 301),
        Err(VerifyError::Stale)
    );
}

#[test]
fn far_future_timestamp_is_stale_even_when_correctly_signed() {
    let future = TS + 86_400;
    let sig = verifier().sign(future, BODY.as_bytes());
    let h = headers(&future.to_string(), &sig);
    assert_eq!(
        verifier().verify_at(&h, BODY.as_bytes(), TS),
        Err(VerifyError::Stale)
    );
}

#[test]
fn system_clock_rejects_the_2018_vector_as_stale() {
    let h = headers("1531420618", EXPECTED);
    assert_eq!(
        verifier().verify(&h, BODY.as_bytes()),
        Err(VerifyError::Stale)
    );
}

#[test]
fn system_clock_accepts_a_fresh_signature() {
    let now = unix_now();
    let sig = verifier().sign(now, b"hello");
    let h = headers(&now.to_string(), &sig);
    assert_eq!(verifier().verify(&h, b"hello"), Ok(()));
}

#[test]
fn missing_headers_are_reported_individually() {
    let mut only_sig = HeaderMap::new();
    only_sig.insert(SIGNATURE_HEADER, HeaderValue::from_static(EXPECTED));
    assert_eq!(
        verifier().verify_at(&only_sig, BODY.as_bytes(), TS),
        Err(VerifyError::MissingTimestamp)
    );

    let mut only_ts = HeaderMap::new();
    only_ts.insert(TIMESTAMP_HEADER, HeaderValue::from_static("1531420618"));
    assert_eq!(
        verifier().verify_at(&only_ts, BODY.as_bytes(), TS),
        Err(VerifyError::MissingSignature)
    );

    assert_eq!(
        verifier().verify_at(&HeaderMap::new(), BODY.as_bytes(), TS),
        Err(VerifyError::MissingTimestamp)
    );
}

#[test]
fn non_numeric_timestamps_are_bad() {
    for ts in [
        "",
        "abc",
        "+1531420618",
        "-1531420618",
        " 1531420618",
        "1531420618.5",
        "99999999999999999999",
    ] {
        let h = headers(ts, EXPECTED);
        assert_eq!(
            verifier().verify_at(&h, BODY.as_bytes(), TS),
            Err(VerifyError::BadTimestamp),
            "timestamp {ts:?}"
        );
    }
}

#[test]
fn malformed_signatures_never_match() {
    let hex_only = &EXPECTED[3..];
    let cases = [
        hex_only.to_owned(),                 // no v0=
        format!("v1={hex_only}"),            // wrong version
        format!("v0={}zz", &hex_only[..62]), // bad hex
        format!("v0={}", &hex_only[..62]),   // too short
        format!("v0={hex_only}00"),          // too long
        String::from("v0="),                 // empty
        format!("V0={hex_only}"),            // prefix is case-sensitive
    ];
    for sig in &cases {
        let h = headers("1531420618", sig);
        assert_eq!(
            verifier().verify_at(&h, BODY.as_bytes(), TS),
            Err(VerifyError::Mismatch),
            "signature {sig:?}"
        );
    }
}

#[test]
fn empty_or_blank_secret_is_refused() {
    for secret in ["", "   ", "\t\n"] {
        assert_eq!(Verifier::new(secret).unwrap_err(), VerifyError::EmptySecret);
    }
}

#[test]
fn debug_does_not_show_the_secret() {
    let shown = format!("{:?} {:#?}", verifier(), verifier());
    assert!(!shown.contains(SECRET));
    assert!(!shown.contains("8f7422"));
    assert!(shown.contains("redacted"));
}

proptest! {
    #[test]
    fn sign_then_verify_always_passes(
        secret in "[ -~]{1,64}".prop_filter("non-blank", |s| !s.trim().is_empty()),
        ts in 0i64..4_000_000_000,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let v = Verifier::new(&secret).unwrap();
        let h = headers(&ts.to_string(), &v.sign(ts, &body));
        prop_assert_eq!(v.verify_at(&h, &body, ts), Ok(()));
    }

    #[test]
    fn any_single_byte_change_fails(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let v = verifier();
        let h = headers("1531420618", &v.sign(TS, &body));
        let mut tampered = body.clone();
        let i = index.index(tampered.len());
        tampered[i] ^= flip;
        prop_assert_eq!(v.verify_at(&h, &tampered, TS), Err(VerifyError::Mismatch));
    }
}
