use super::*;

// The Standard Webhooks reference vector quoted in fathom.md.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: &str = "1614265330";
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn at(offset: i64) -> SystemTime {
    let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_265_330);
    if offset >= 0 {
        sent + Duration::from_secs(offset.unsigned_abs())
    } else {
        sent - Duration::from_secs(offset.unsigned_abs())
    }
}

fn check(signature: &str, body: &[u8], now: SystemTime) -> Result<(), WebhookError> {
    verify(
        &Secret::from(SECRET),
        Some(ID),
        Some(TS),
        Some(signature),
        body,
        now,
    )
}

#[test]
fn the_reference_vector_verifies() {
    assert_eq!(check(SIGNATURE, BODY, at(0)), Ok(()));
}

#[test]
fn one_valid_signature_among_invalid_ones_and_other_versions_is_enough() {
    let header = format!("v1,Zm9vYmFy v2,QVBJ v1,not-base64!! {SIGNATURE} v1a,RmF0aG9t");
    assert_eq!(check(&header, BODY, at(0)), Ok(()));
}

#[test]
fn other_versions_are_ignored_even_with_the_right_digest() {
    let v2 = SIGNATURE.replacen("v1,", "v2,", 1);
    assert_eq!(
        check(&format!("{v2} v1,QVBJ"), BODY, at(0)),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn a_tampered_body_id_or_timestamp_is_refused() {
    assert_eq!(
        check(SIGNATURE, br#"{"test": 2432232315}"#, at(0)),
        Err(WebhookError::BadSignature)
    );
    let secret = Secret::from(SECRET);
    assert_eq!(
        verify(
            &secret,
            Some("msg_other"),
            Some(TS),
            Some(SIGNATURE),
            BODY,
            at(0)
        ),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(
            &secret,
            Some(ID),
            Some("1614265331"),
            Some(SIGNATURE),
            BODY,
            at(0)
        ),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn another_secret_is_refused_and_a_malformed_one_is_an_operator_error() {
    let other = Secret::from("whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=");
    let err = verify(&other, Some(ID), Some(TS), Some(SIGNATURE), BODY, at(0));
    assert_eq!(err, Err(WebhookError::BadSignature));
    let broken = Secret::from("whsec_***");
    let err = verify(&broken, Some(ID), Some(TS), Some(SIGNATURE), BODY, at(0));
    assert_eq!(err, Err(WebhookError::InvalidSecret));
}

#[test]
fn timestamps_more_than_five_minutes_off_either_way_are_refused() {
    assert_eq!(check(SIGNATURE, BODY, at(300)), Ok(()));
    assert_eq!(check(SIGNATURE, BODY, at(-300)), Ok(()));
    assert_eq!(check(SIGNATURE, BODY, at(301)), Err(WebhookError::TooOld));
    assert_eq!(check(SIGNATURE, BODY, at(-301)), Err(WebhookError::TooNew));
    let secret = Secret::from(SECRET);
    for bad in ["soon", "+1614265330", "-5", "1614265330.0"] {
        assert_eq!(
            verify(&secret, Some(ID), Some(bad), Some(SIGNATURE), BODY, at(0)),
            Err(WebhookError::BadTimestamp),
            "{bad}"
        );
    }
}

#[test]
fn missing_or_empty_headers_are_refused_by_name() {
    let secret = Secret::from(SECRET);
    let cases = [
        (None, Some(TS), Some(SIGNATURE), ID_HEADER),
        (Some(ID), None, Some(SIGNATURE), TIMESTAMP_HEADER),
        (Some(ID), Some(TS), Some(" "), SIGNATURE_HEADER),
    ];
    for (id, ts, sig, name) in cases {
        assert_eq!(
            verify(&secret, id, ts, sig, BODY, at(0)),
            Err(WebhookError::MissingHeader(name))
        );
    }
}

#[test]
fn errors_show_neither_the_secret_nor_a_signature_nor_the_body() {
    let err = check("v1,QVBJ", b"{\"title\": \"Acme renewal\"}", at(0)).unwrap_err();
    let shown = format!("{err} {err:?}");
    for needle in ["MfKQ9r8", "QVBJ", "Acme", "g0hM9"] {
        assert!(!shown.contains(needle), "{needle} in {shown}");
    }
}

#[test]
fn the_header_map_form_reads_the_three_headers() {
    let mut headers = http::HeaderMap::new();
    headers.insert(ID_HEADER, ID.parse().unwrap());
    headers.insert(TIMESTAMP_HEADER, TS.parse().unwrap());
    headers.insert(SIGNATURE_HEADER, SIGNATURE.parse().unwrap());
    assert_eq!(
        verify_headers(&Secret::from(SECRET), &headers, BODY, at(1)),
        Ok(())
    );
    headers.remove(SIGNATURE_HEADER);
    assert_eq!(
        verify_headers(&Secret::from(SECRET), &headers, BODY, at(1)),
        Err(WebhookError::MissingHeader(SIGNATURE_HEADER))
    );
}

#[test]
fn a_registration_round_trips_through_its_destination_url() {
    let registration = Registration {
        tenant: TenantId::parse("T0ACME001").unwrap(),
        user: UserId::parse("U0ALICE01").unwrap(),
    };
    let url = registration.destination("https://api.example.com/");
    assert_eq!(
        url,
        "https://api.example.com/webhooks/fathom?r=T0ACME001.U0ALICE01"
    );
    let query = url.split_once('?').map(|(_, q)| q);
    assert_eq!(Registration::from_query(query), Some(registration.clone()));
    let org = Registration::parse("E0ORG0001.W0USER001").unwrap();
    assert!(org.tenant.is_enterprise());
    assert_eq!(
        Registration::from_query(Some("x=1&r=T0ACME001.U0ALICE01")),
        Some(registration)
    );
    for bad in [
        None,
        Some(""),
        Some("r="),
        Some("r=T0ACME001"),
        Some("r=t0acme.U0ALICE01"),
        Some("r=T0ACME001.U0ALICE01&r=T0OTHER01.U0BOB0001"),
        Some("r=T0ACME001.U0ALICE01.X"),
    ] {
        assert_eq!(Registration::from_query(bad), None, "{bad:?}");
    }
}
