//! Fixtures shared by the modules.

use std::time::Duration;

use connectors::RetryPolicy;
use connectors::anthropic::{AnthropicClient, AnthropicConfig};
use connectors::fathom::{FathomClient, FathomConfig};
use fakes::fathom::{FakeMeeting, FakeUser, FathomData};
use jiff::Timestamp;
use tenant::Secret;

pub const ALICE_KEY: &str = "fathom-test-key-alice-7f3a";
pub const BOB_KEY: &str = "fathom-test-key-bob-91c2";
pub const BOB_OAUTH: &str = "fathom-oauth-token-bob-55e1";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-key-0d9e";
pub const PRIMARY: &str = "claude-primary-test";
pub const FALLBACK: &str = "claude-fallback-test";
/// A phrase of a transcript line that must never appear in an error.
pub const TRANSCRIPT_PHRASE: &str = "renewal paperwork";

/// 2025-12-01T10:00:00Z.
pub fn base() -> Timestamp {
    Timestamp::from_second(1_764_583_200).unwrap()
}

pub fn hours_before(h: u64) -> Timestamp {
    base() - Duration::from_secs(h * 3600)
}

/// Alice: seven meetings an hour apart (three pages of 3, 3 and 1), ids 1..=7 with 1 the
/// newest. Bob: one meeting (id 100), reachable by key or OAuth token.
pub fn data() -> FathomData {
    let mut alice = FakeUser::new("Alice Johnson", "alice@acme.test").api_key(ALICE_KEY);
    for i in 1..=7u64 {
        let mut meeting = FakeMeeting::new(i, &format!("Meeting {i}"), hours_before(i))
            .invitee("Alice Johnson", "alice@acme.test", false)
            .invitee("John Smith", "john@globex.test", true)
            .line(
                "00:00:04",
                "Alice Johnson",
                "How do you handle renewals today?",
            )
            .line(
                "00:00:15",
                "John Smith",
                "We lose ten hours a week on renewal paperwork.",
            );
        if i == 2 {
            meeting = meeting.language("it");
        }
        alice = alice.meeting(meeting);
    }
    let bob = FakeUser::new("Bob Stone", "bob@acme.test")
        .api_key(BOB_KEY)
        .oauth_token(BOB_OAUTH)
        .meeting(FakeMeeting::new(100, "Bob's call", hours_before(3)));
    FathomData::new().user(alice).user(bob)
}

/// Short, fast retries so tests do not wait for production backoffs.
pub fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(2),
    }
}

pub fn fathom_client(api_url: &str, retry: RetryPolicy) -> FathomClient {
    let mut config = FathomConfig::for_base_url(api_url).unwrap();
    config.retry = retry;
    FathomClient::new(&config).unwrap()
}

pub fn anthropic_config(api_url: &str, fallback: bool) -> AnthropicConfig {
    let url = api_url.to_owned();
    let mut config = AnthropicConfig::from_lookup(move |name: &str| match name {
        "ANTHROPIC_API_URL" => Some(url.clone()),
        "ANTHROPIC_MODEL" => Some(PRIMARY.into()),
        "ANTHROPIC_FALLBACK_MODEL" => fallback.then(|| FALLBACK.into()),
        _ => None,
    })
    .unwrap();
    config.retry = quick_retries(1);
    config
}

pub fn anthropic_client(config: &AnthropicConfig) -> AnthropicClient {
    AnthropicClient::new(config, Secret::from(ANTHROPIC_KEY)).unwrap()
}

/// Asserts that neither `Display` nor `Debug` of `err` holds any of `needles`.
pub fn assert_leaks_nothing(err: &dyn std::fmt::Debug, shown: &str, needles: &[&str]) {
    let debug = format!("{err:?}");
    for needle in needles {
        assert!(!shown.contains(needle), "{needle} in Display: {shown}");
        assert!(!debug.contains(needle), "{needle} in Debug: {debug}");
    }
}
