use std::time::{Duration, Instant};

use connectors::fathom::{FathomAuth, MeetingQuery, RecordingId};
use connectors::http::HttpConfig;
use connectors::{ConnectorError, RetryPolicy, Unavailable};
use fakes::fathom::{AuthScheme, Endpoint, Failure, FakeFathom};
use tenant::Secret;

use crate::support::*;

fn alice() -> FathomAuth {
    FathomAuth::ApiKey(Secret::from(ALICE_KEY))
}

#[tokio::test]
async fn listing_follows_the_cursor_through_three_pages_newest_first() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);

    let meetings = client
        .all_meetings(&alice(), &MeetingQuery::default())
        .await
        .unwrap();

    let ids: Vec<u64> = meetings.iter().map(|m| m.recording_id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(meetings[1].transcript_language, "it");
    assert!(meetings[0].calendar_invitees.iter().any(|i| i.is_external));
    let calls = fake.calls_to(Endpoint::Meetings);
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.auth == Some(AuthScheme::ApiKey)));
    let cursor = |i: usize| {
        calls[i]
            .query
            .iter()
            .find(|(k, _)| k == "cursor")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(cursor(0), None);
    // The docs' example cursor is base64 of {"page_num":2}: passed through as given.
    assert_eq!(cursor(1).as_deref(), Some("eyJwYWdlX251bSI6Mn0="));
    assert!(cursor(2).is_some());
}

#[tokio::test]
async fn created_after_and_before_bound_the_listing() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);
    // Meetings 3, 4 and 5 (created 3, 4 and 5 hours before base). Whether Fathom's bounds are
    // inclusive is UNCONFIRMED (fathom.md); the fake takes [after, before), and no test here
    // depends on a meeting created exactly at a bound.
    let query = MeetingQuery {
        created_after: Some(hours_before(5)),
        created_before: Some(hours_before(2)),
    };

    let meetings = client.all_meetings(&alice(), &query).await.unwrap();

    let ids: Vec<u64> = meetings.iter().map(|m| m.recording_id.0).collect();
    assert_eq!(ids, vec![3, 4, 5]);
    let sent = &fake.calls_to(Endpoint::Meetings)[0].query;
    assert!(
        sent.contains(&("created_after".into(), "2025-12-01T05:00:00Z".into())),
        "{sent:?}"
    );
    assert!(sent.contains(&("created_before".into(), "2025-12-01T08:00:00Z".into())));
}

#[tokio::test]
async fn a_transcript_comes_with_speakers_and_offsets_and_only_for_its_owner() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);

    let lines = client.transcript(&alice(), RecordingId(3)).await.unwrap();

    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1].speaker.display_name, "John Smith");
    assert_eq!(
        lines[1].speaker.matched_calendar_invitee_email.as_deref(),
        Some("john@globex.test")
    );
    assert_eq!(lines[1].at, Duration::from_secs(15));
    assert!(lines[1].text.contains(TRANSCRIPT_PHRASE));
    // Bob's recording is invisible to Alice's key, and so is one that does not exist.
    for id in [100, 999] {
        let err = client
            .transcript(&alice(), RecordingId(id))
            .await
            .unwrap_err();
        assert_eq!(err, ConnectorError::NotFound { provider: "Fathom" });
    }
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_a_good_key_or_token_verifies() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::standard(2));
    let wrong = FathomAuth::ApiKey(Secret::from("fathom-wrong-key-3b7c"));

    let err = client.verify(&wrong).await.unwrap_err();

    // Fathom's error body is UNCONFIRMED (fathom.md): the class comes from the status alone.
    assert_eq!(
        err,
        ConnectorError::Unauthorized {
            provider: "Fathom",
            status: 401
        }
    );
    assert_eq!(fake.calls().len(), 1, "a refused key is not retried");
    assert_leaks_nothing(&err, &err.to_string(), &["fathom-wrong-key-3b7c"]);
    client.verify(&alice()).await.unwrap();
    let bob = FathomAuth::OAuth(Secret::from(BOB_OAUTH));
    let meetings = client
        .all_meetings(&bob, &MeetingQuery::default())
        .await
        .unwrap();
    assert_eq!(
        meetings.len(),
        1,
        "a credential sees only its own user's meetings"
    );
    assert_eq!(fake.calls().last().unwrap().auth, Some(AuthScheme::Bearer));
    // An OAuth token sent as an API key is a wrong key.
    let misused = FathomAuth::ApiKey(Secret::from(BOB_OAUTH));
    assert!(matches!(
        client.verify(&misused).await,
        Err(ConnectorError::Unauthorized { .. })
    ));
}

#[tokio::test]
async fn a_429_reports_its_retry_after_and_the_retry_succeeds() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let once = fathom_client(&fake.api_url(), RetryPolicy::NONE);
    fake.fail_next(
        Endpoint::Transcript,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );

    let err = once.transcript(&alice(), RecordingId(1)).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::RateLimited {
            provider: "Fathom",
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert!(
        once.transcript(&alice(), RecordingId(1)).await.is_ok(),
        "the caller's retry works"
    );

    // A client that retries waits the asked second itself, then succeeds.
    let retrying = fathom_client(&fake.api_url(), quick_retries(2));
    fake.fail_next(
        Endpoint::Transcript,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    let lines = retrying.transcript(&alice(), RecordingId(1)).await.unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let statuses: Vec<u16> = fake
        .calls_to(Endpoint::Transcript)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, vec![429, 200, 429, 200]);
}

#[tokio::test]
async fn over_the_per_user_limit_fathom_answers_429_with_its_reset() {
    let data = data().rate_limit(2, Duration::from_secs(30));
    let fake = FakeFathom::start(data).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);
    client.verify(&alice()).await.unwrap();
    client.verify(&alice()).await.unwrap();

    let err = client.verify(&alice()).await.unwrap_err();

    // No Retry-After here, only RateLimit-Reset, whose unit is UNCONFIRMED (fathom.md): the
    // fake sends delta seconds, as the client reads it.
    let ConnectorError::RateLimited {
        retry_after: Some(wait),
        ..
    } = err
    else {
        panic!("expected a rate limit with a wait, got {err:?}");
    };
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    // The limit is Alice's, not the server's: Bob is not limited by her calls.
    client
        .verify(&FathomAuth::ApiKey(Secret::from(BOB_KEY)))
        .await
        .unwrap();
}

#[tokio::test]
async fn server_errors_are_unavailable_after_the_bounded_retries() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), quick_retries(2));
    fake.fail_next_n(Endpoint::Meetings, 3, Failure::Status(503));

    let err = client.verify(&alice()).await.unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Unavailable {
            provider: "Fathom",
            cause: Unavailable::Status(503),
            retry_after: None
        }
    );
    assert_eq!(
        fake.calls_to(Endpoint::Meetings).len(),
        3,
        "first try + 2 retries"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable_without_retrying() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let mut config = connectors::fathom::FathomConfig::for_base_url(&fake.api_url()).unwrap();
    config.http = HttpConfig::with_timeout(Duration::from_millis(300));
    let client = connectors::fathom::FathomClient::new(&config).unwrap();
    fake.fail_next(Endpoint::Transcript, Failure::Slow(Duration::from_secs(3)));

    let started = Instant::now();
    let err = client
        .transcript(&alice(), RecordingId(1))
        .await
        .unwrap_err();

    assert_eq!(
        err,
        ConnectorError::Unavailable {
            provider: "Fathom",
            cause: Unavailable::Timeout,
            retry_after: None
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.calls_to(Endpoint::Transcript).len(), 1);
}

#[tokio::test]
async fn no_error_or_debug_output_shows_a_key_or_transcript_text() {
    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);
    fake.fail_next(Endpoint::Transcript, Failure::Status(500));
    fake.fail_next(
        Endpoint::Transcript,
        Failure::RateLimited {
            retry_after_secs: 4,
        },
    );
    let mut errors = vec![
        client
            .transcript(&alice(), RecordingId(1))
            .await
            .unwrap_err(),
        client
            .transcript(&alice(), RecordingId(1))
            .await
            .unwrap_err(),
        client
            .transcript(&alice(), RecordingId(999))
            .await
            .unwrap_err(),
    ];
    errors.push(
        client
            .verify(&FathomAuth::ApiKey(Secret::from("fathom-bad-key-x1")))
            .await
            .unwrap_err(),
    );
    let lines = client.transcript(&alice(), RecordingId(1)).await.unwrap();

    let needles = [
        ALICE_KEY,
        "fathom-bad-key-x1",
        TRANSCRIPT_PHRASE,
        "John Smith",
    ];
    for err in &errors {
        assert_leaks_nothing(err, &err.to_string(), &needles);
    }
    assert_leaks_nothing(&lines, "", &needles);
    assert_leaks_nothing(&client, "", &needles);
    assert_leaks_nothing(&alice(), "", &needles);
}

/// The production verifier against the fake's signer: two implementations of the Standard
/// Webhooks scheme that must agree.
#[test]
fn a_delivery_signed_like_the_fake_verifies_and_a_tampered_or_stale_one_does_not() {
    use connectors::fathom::webhook::{self, WebhookError};
    use fakes::fathom::WebhookSigner;
    use std::time::SystemTime;

    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let signer = WebhookSigner::new(secret).unwrap();
    let now = SystemTime::now();
    let ts = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let body = br#"{"recording_id":123456789,"title":"QBR"}"#;
    let signature = signer.sign("msg_1", ts.parse().unwrap(), body);
    let secret = Secret::from(secret);
    let check = |body: &[u8], now| {
        webhook::verify(
            &secret,
            Some("msg_1"),
            Some(&ts),
            Some(&signature),
            body,
            now,
        )
    };

    assert_eq!(check(body, now), Ok(()));
    assert_eq!(
        check(br#"{"recording_id":123456780,"title":"QBR"}"#, now),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        check(body, now + Duration::from_secs(301)),
        Err(WebhookError::TooOld)
    );
}

#[tokio::test]
async fn a_followup_webhook_registers_for_the_users_own_recordings_and_deletes_once() {
    use followup::{ProviderError, RecorderAuth, RecorderWebhooks};

    let fake = FakeFathom::start(data()).await.unwrap();
    let client = fathom_client(&fake.api_url(), RetryPolicy::NONE);
    let auth = RecorderAuth::ApiKey(Secret::from(ALICE_KEY));
    let destination = "https://app.test/webhooks/fathom?r=T0ACME.U0ALICE";

    let registered = client.register(&auth, destination).await.unwrap();

    let hooks = fake.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].id, registered.id);
    assert_eq!(hooks[0].destination_url, destination);
    assert_eq!(hooks[0].owner, "alice@acme.test");
    assert_eq!(hooks[0].triggered_for, ["my_recordings"]);
    assert!(hooks[0].include_summary && !hooks[0].include_transcript);
    assert!(!hooks[0].include_action_items && !hooks[0].include_crm_matches);
    assert_eq!(registered.secret.expose(), hooks[0].secret.expose());
    assert!(registered.secret.expose().starts_with("whsec_"));
    assert!(!format!("{registered:?}").contains("whsec_"));

    // Bob's key cannot delete Alice's webhook (it is not his).
    let bob = RecorderAuth::ApiKey(Secret::from(BOB_KEY));
    assert_eq!(
        client.unregister(&bob, &registered.id).await,
        Err(ProviderError::NotFound)
    );
    client.unregister(&auth, &registered.id).await.unwrap();
    assert!(fake.webhooks().is_empty());
    assert_eq!(
        client.unregister(&auth, &registered.id).await,
        Err(ProviderError::NotFound),
        "gone already"
    );
    let wrong = RecorderAuth::ApiKey(Secret::from("fathom-bad-key-x1"));
    assert_eq!(
        client.register(&wrong, destination).await.unwrap_err(),
        ProviderError::Unauthorized
    );
}

#[tokio::test]
async fn a_webhook_registration_that_fails_at_fathom_is_not_retried() {
    use followup::{ProviderError, RecorderAuth, RecorderWebhooks};

    let fake = FakeFathom::start(data()).await.unwrap();
    // Retries allowed, yet a POST that may have created a webhook is sent once.
    let client = fathom_client(&fake.api_url(), quick_retries(3));
    fake.fail_next(Endpoint::Webhooks, Failure::Status(503));
    let auth = RecorderAuth::ApiKey(Secret::from(ALICE_KEY));

    let err = client
        .register(&auth, "https://app.test/webhooks/fathom?r=T1.U1")
        .await
        .unwrap_err();

    assert_eq!(err, ProviderError::Unavailable);
    assert_eq!(fake.calls_to(Endpoint::Webhooks).len(), 1);
}
