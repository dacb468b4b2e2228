use std::time::{SystemTime, UNIX_EPOCH};

use super::{expect_eq, ok};
use crate::credential::Provider;
use crate::ids::UserId;
use crate::ports::{OAuthStateRecord, OAuthStates, StateConsumed, StatePurpose, StoreError};
use crate::testkit::{join_all, random_enterprise_tenant, random_suffix, random_tenant, team};

/// The hash of the cookie of the browser the suite's states are bound to.
const COOKIE: &str = "5f1e0c0ffee5f1e0c0ffee5f1e0c0ffee5f1e0c0ffee5f1e0c0ffee5f1e0c0ff";

/// Lifetime of the states this suite issues, in seconds.
const TTL: i64 = 600;

/// A fresh state value, as the install handler would draw one (URL-safe random text).
fn fresh_state() -> String {
    format!("st-{}", random_suffix(32).to_lowercase())
}

fn record(now: i64, with_team: bool) -> OAuthStateRecord {
    OAuthStateRecord {
        cookie_hash: COOKIE.to_owned(),
        purpose: StatePurpose::Install {
            team: with_team.then(|| team(&format!("T{}", random_suffix(9)))),
        },
        created_at: now,
        expires_at: now + TTL,
    }
}

/// [`OAuthStates`]: a state is `Valid` once (with its record) for its own cookie, `WrongCookie`
/// and left unconsumed for another one, `AlreadyUsed` after (also past
/// its expiry: a replay is reported as one), `Expired` from `expires_at` on (and an expired
/// state stays unconsumed), `Unknown` if never issued; of 20 concurrent consumers exactly one
/// gets `Valid`; issuing an existing value is `Corrupt` and changes nothing.
///
/// Times are the wall clock in unix seconds plus offsets, so adapters that purge by the wall
/// clock keep everything this suite issues.
pub async fn oauth_states(states: &dyn OAuthStates) {
    let t0 = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1_700_000_000, |d| d.as_secs() as i64);

    // Issue, consume once, replay.
    let state = fresh_state();
    let issued = record(t0, true);
    ok("issue", states.issue(&state, &issued).await);
    expect_eq(
        "the first consume before expiry is Valid with the record",
        ok("consume", states.consume(&state, COOKIE, t0 + 1).await),
        StateConsumed::Valid(issued.clone()),
    );
    expect_eq(
        "a second consume is AlreadyUsed",
        ok("consume", states.consume(&state, COOKIE, t0 + 2).await),
        StateConsumed::AlreadyUsed,
    );
    expect_eq(
        "a replay after expiry is still AlreadyUsed",
        ok(
            "consume",
            states.consume(&state, COOKIE, t0 + TTL + 5).await,
        ),
        StateConsumed::AlreadyUsed,
    );

    // A record without a team hint round-trips too.
    let plain = fresh_state();
    let no_team = record(t0, false);
    ok("issue", states.issue(&plain, &no_team).await);
    expect_eq(
        "a record without a team comes back as issued",
        ok(
            "consume",
            states.consume(&plain, COOKIE, t0 + TTL - 1).await,
        ),
        StateConsumed::Valid(no_team),
    );

    // Expiry: from expires_at on, and an expired state is not consumed by being refused.
    let late = fresh_state();
    ok("issue", states.issue(&late, &record(t0, false)).await);
    expect_eq(
        "consume at expires_at is Expired",
        ok("consume", states.consume(&late, COOKIE, t0 + TTL).await),
        StateConsumed::Expired,
    );
    expect_eq(
        "an expired state stays Expired (not AlreadyUsed)",
        ok(
            "consume",
            states.consume(&late, COOKIE, t0 + TTL + 60).await,
        ),
        StateConsumed::Expired,
    );

    expect_eq(
        "a state never issued is Unknown",
        ok("consume", states.consume(&fresh_state(), COOKIE, t0).await),
        StateConsumed::Unknown,
    );
    expect_eq(
        "a state differing in case from an issued one is Unknown",
        ok(
            "consume",
            states.consume(&state.to_uppercase(), COOKIE, t0).await,
        ),
        StateConsumed::Unknown,
    );

    purposes(states, t0).await;
    wrong_cookie(states, t0).await;
    concurrent_consumers(states, t0).await;
    duplicates(states, t0, &state).await;
}

/// A connect state comes back with exactly the tenant, user and provider it was issued for
/// (workspace and org tenants, each provider a user connects), and is single use like any.
async fn purposes(states: &dyn OAuthStates, t0: i64) {
    let user = |raw: &str| UserId::parse(raw).expect("a user id");
    let cases = [
        (
            random_tenant(),
            user(&format!("U{}", random_suffix(9))),
            Provider::Google,
        ),
        (
            random_enterprise_tenant(),
            user(&format!("W{}", random_suffix(9))),
            Provider::Fathom,
        ),
    ];
    for (tenant, user, provider) in cases {
        let state = fresh_state();
        let issued = OAuthStateRecord {
            purpose: StatePurpose::Connect {
                tenant,
                user,
                provider,
            },
            ..record(t0, false)
        };
        ok("issue", states.issue(&state, &issued).await);
        expect_eq(
            "a connect state comes back with its tenant, user and provider",
            ok("consume", states.consume(&state, COOKIE, t0 + 1).await),
            StateConsumed::Valid(issued),
        );
        expect_eq(
            "a connect state is single use",
            ok("consume", states.consume(&state, COOKIE, t0 + 2).await),
            StateConsumed::AlreadyUsed,
        );
    }
}

/// A state presented with another browser's cookie is refused and NOT consumed: the browser
/// it belongs to can still use it.
async fn wrong_cookie(states: &dyn OAuthStates, t0: i64) {
    let state = fresh_state();
    let issued = record(t0, false);
    ok("issue", states.issue(&state, &issued).await);
    let other = "0".repeat(64);
    expect_eq(
        "a state with another browser's cookie is WrongCookie",
        ok("consume", states.consume(&state, &other, t0 + 1).await),
        StateConsumed::WrongCookie,
    );
    expect_eq(
        "a refused cookie leaves the state usable by its own browser",
        ok("consume", states.consume(&state, COOKIE, t0 + 2).await),
        StateConsumed::Valid(issued),
    );
    expect_eq(
        "a replay with another cookie is still AlreadyUsed",
        ok("consume", states.consume(&state, &other, t0 + 3).await),
        StateConsumed::AlreadyUsed,
    );
}

async fn concurrent_consumers(states: &dyn OAuthStates, t0: i64) {
    let state = fresh_state();
    let issued = record(t0, true);
    ok("issue", states.issue(&state, &issued).await);
    let answers = join_all(
        (0..20)
            .map(|_| states.consume(&state, COOKIE, t0 + 1))
            .collect(),
    )
    .await;
    let answers: Vec<StateConsumed> = answers.into_iter().map(|a| ok("consume", a)).collect();
    let valid: Vec<&StateConsumed> = answers
        .iter()
        .filter(|a| matches!(a, StateConsumed::Valid(_)))
        .collect();
    expect_eq(
        "exactly one of 20 concurrent consumers gets Valid",
        valid.len(),
        1,
    );
    expect_eq(
        "the winner gets the issued record",
        valid[0],
        &StateConsumed::Valid(issued),
    );
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, StateConsumed::Valid(_) | StateConsumed::AlreadyUsed)),
        "contract broken: losers of a race must see AlreadyUsed, got {answers:?}"
    );
}

async fn duplicates(states: &dyn OAuthStates, t0: i64, used: &str) {
    let state = fresh_state();
    let first = record(t0, true);
    ok("issue", states.issue(&state, &first).await);
    let second = record(t0 + 5, false);
    match states.issue(&state, &second).await {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!(
            "contract broken: issuing an existing state must be Corrupt, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    expect_eq(
        "a refused duplicate leaves the first record in place",
        ok("consume", states.consume(&state, COOKIE, t0 + 10).await),
        StateConsumed::Valid(first),
    );
    // Re-issuing a used state must not make it usable again.
    assert!(
        matches!(
            states.issue(used, &record(t0, false)).await,
            Err(StoreError::Corrupt(_))
        ),
        "contract broken: re-issuing a used state must be Corrupt"
    );
    expect_eq(
        "a used state stays used after a refused re-issue",
        ok("consume", states.consume(used, COOKIE, t0 + 3).await),
        StateConsumed::AlreadyUsed,
    );
}
