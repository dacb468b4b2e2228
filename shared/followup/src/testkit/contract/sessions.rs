use tenant::ports::Expected;
use tenant::testkit::{join_all, random_suffix, random_tenant, random_user};

use super::{expect_conflict, expect_eq, later, now, ok, random_recording};
use crate::ports::{MAX_SESSION_BYTES, SessionError, Sessions};
use crate::session::{Artifact, ArtifactKind, FailureReason, SessionStatus, StatusMessage};
use crate::testkit::{sample_draft, sample_session};

/// How many writers race for one version.
const RACERS: usize = 6;

/// [`Sessions`]: missing is `None`; put/get round trip every field at the version put
/// returned; puts are conditional (a stale version or a wrong `Absent` is `Conflict` and
/// changes nothing; versions never repeat after a delete); of concurrent writers from one
/// version, and of concurrent creators, exactly one wins; expired sessions are invisible and
/// may be created over; `recent` is newest first, limited, the user's live sessions only;
/// oversized sessions are `TooLarge`; `delete_all` empties the tenant; `Debug` of what comes
/// back shows no draft text.
pub async fn sessions(store: &dyn Sessions) {
    round_trip_and_conditional_puts(store).await;
    concurrent_writers(store).await;
    expiry(store).await;
    recent(store).await;
    too_large(store).await;
    delete_all(store).await;
}

async fn round_trip_and_conditional_puts(store: &dyn Sessions) {
    let (t, u, r) = (random_tenant(), random_user(), random_recording());
    let at = now();
    let marker = random_suffix(12);
    let mut session = sample_session(&t, &u, r, at, &marker);
    let key = session.key();
    expect_eq(
        "get of a missing session is None",
        ok("get", store.get(&key, at).await).map(|v| v.value),
        None,
    );
    ok("delete of a missing session", store.delete(&key).await);

    let v1 = ok(
        "put (absent)",
        store.put(&session, &Expected::Absent, at).await,
    );
    let got = ok("get", store.get(&key, at).await);
    expect_eq(
        "put then get returns it at the version put returned",
        got.as_ref().map(|v| (&v.value, &v.version)),
        Some((&session, &v1)),
    );
    let shown = format!("{got:?} {got:#?}");
    // The title may show (it names the meeting); the draft's text may not.
    for text in ["summary", "subject", "body", "note"] {
        let needle = format!("{text} {marker}");
        assert!(
            !shown.contains(&needle),
            "contract broken: Debug of a session shows its draft's {text}: {shown}"
        );
    }

    expect_conflict(
        "put expecting Absent over a live session",
        store.put(&session, &Expected::Absent, at).await,
    );
    // Every field survives the store: edits, artifacts, the DM, a failure code.
    let first = session.clone();
    session.edited = Some(sample_draft(&random_suffix(12)));
    session.status = SessionStatus::Failed {
        reason: FailureReason::ProviderUnavailable,
    };
    session.artifacts = vec![
        Artifact {
            kind: ArtifactKind::GmailDraft,
            id: "r-123".into(),
            link: "https://mail.google.com/mail/u/0/#drafts".into(),
        },
        Artifact {
            kind: ArtifactKind::CalendarEvent,
            id: "evt1".into(),
            link: "https://calendar.google.com/event?eid=1".into(),
        },
    ];
    session.dm = Some(StatusMessage {
        channel: tenant::ChannelId::parse("D0123ABCD").expect("a DM channel id"),
        ts: "1700000000.000100".into(),
    });
    session.updated_at = later(at, 5);
    let v2 = ok(
        "put at the version read",
        store.put(&session, &Expected::At(v1.clone()), at).await,
    );
    assert!(
        v2 != v1,
        "contract broken: a write kept the version it replaced"
    );
    expect_conflict(
        "put at a stale version",
        store.put(&first, &Expected::At(v1.clone()), at).await,
    );
    expect_eq(
        "a refused put changes nothing; every field round-trips",
        ok("get", store.get(&key, at).await).map(|v| (v.value, v.version)),
        Some((session.clone(), v2.clone())),
    );

    ok("delete", store.delete(&key).await);
    expect_eq(
        "get after delete is None",
        ok("get", store.get(&key, at).await).map(|v| v.value),
        None,
    );
    ok("delete again", store.delete(&key).await);
    expect_conflict(
        "put at the version of a deleted session",
        store.put(&session, &Expected::At(v2.clone()), at).await,
    );
    let v3 = ok(
        "put (absent) after delete",
        store.put(&first, &Expected::Absent, at).await,
    );
    assert!(
        v3 != v1 && v3 != v2,
        "contract broken: a session created again got back an old version"
    );
}

async fn concurrent_writers(store: &dyn Sessions) {
    let (t, u, r) = (random_tenant(), random_user(), random_recording());
    let at = now();
    let creators: Vec<_> = (0..RACERS)
        .map(|i| sample_session(&t, &u, r, at, &format!("creator{i}")))
        .collect();
    let results = join_all(
        creators
            .iter()
            .map(|s| store.put(s, &Expected::Absent, at))
            .collect(),
    )
    .await;
    let won = winners("concurrent creators", &results);
    let read = ok("get", store.get(&creators[0].key(), at).await).expect("a session was created");
    expect_eq(
        "the stored session is the winning creator's",
        &read.value,
        &creators[won],
    );

    let writers: Vec<_> = (0..RACERS)
        .map(|i| {
            let mut s = read.value.clone();
            s.edited = Some(sample_draft(&format!("writer{i}")));
            s
        })
        .collect();
    let expected = Expected::At(read.version.clone());
    let results = join_all(
        writers
            .iter()
            .map(|s| store.put(s, &expected, at))
            .collect(),
    )
    .await;
    let won = winners("concurrent writers from one version", &results);
    expect_eq(
        "the stored session is the winning writer's",
        ok("get", store.get(&read.value.key(), at).await).map(|v| v.value),
        Some(writers[won].clone()),
    );
}

/// The index of the one `Ok` among `results`, the others being `Conflict`.
fn winners<T: std::fmt::Debug>(what: &str, results: &[Result<T, SessionError>]) -> usize {
    let oks: Vec<usize> = (0..results.len()).filter(|i| results[*i].is_ok()).collect();
    assert!(
        oks.len() == 1,
        "contract broken: of {what} exactly one wins, got {results:?}"
    );
    for result in results {
        if let Err(err) = result {
            assert!(
                matches!(err, SessionError::Conflict),
                "contract broken: {what}: the losers get Conflict, got {err:?}"
            );
        }
    }
    oks[0]
}

async fn expiry(store: &dyn Sessions) {
    let (t, u) = (random_tenant(), random_user());
    let at = now();
    let session = sample_session(&t, &u, random_recording(), at, "expiring");
    let key = session.key();
    ok("put", store.put(&session, &Expected::Absent, at).await);
    let just_before = later(session.expires_at, -1);
    assert!(
        ok("get", store.get(&key, just_before).await).is_some(),
        "contract broken: a session is visible until it expires"
    );
    for when in [session.expires_at, later(session.expires_at, 3600)] {
        expect_eq(
            "get of an expired session is None",
            ok("get", store.get(&key, when).await).map(|v| v.value),
            None,
        );
        expect_eq(
            "recent leaves expired sessions out",
            ok("recent", store.recent(&t, &u, 10, when).await),
            vec![],
        );
    }
    let after = later(session.expires_at, 60);
    let mut renewed = sample_session(&t, &u, key.recording(), after, "renewed");
    renewed.created_at = after;
    ok(
        "put expecting Absent over an expired session",
        store.put(&renewed, &Expected::Absent, after).await,
    );
    expect_eq(
        "the new session replaced the expired one",
        ok("get", store.get(&key, after).await).map(|v| v.value),
        Some(renewed),
    );
}

async fn recent(store: &dyn Sessions) {
    let (t, u, other) = (random_tenant(), random_user(), random_user());
    let at = now();
    let mut stored = Vec::new();
    // Updated at +0, +20, +10 and a tie at +20 with a higher recording id.
    let base = random_recording().get() % 1_000_000 * 10 + 1;
    for (n, secs) in [(0u64, 0i64), (1, 20), (2, 10), (3, 20)] {
        let mut s = sample_session(&t, &u, crate::RecordingId::new(base + n), at, "recent");
        s.updated_at = later(at, secs);
        ok("put", store.put(&s, &Expected::Absent, at).await);
        stored.push(s);
    }
    let theirs = sample_session(
        &t,
        &other,
        crate::RecordingId::new(base + 9),
        later(at, 99),
        "x",
    );
    ok("put", store.put(&theirs, &Expected::Absent, at).await);

    let want = vec![
        stored[3].clone(),
        stored[1].clone(),
        stored[2].clone(),
        stored[0].clone(),
    ];
    expect_eq(
        "recent is the user's sessions, most recently updated first, ties by recording id",
        ok("recent", store.recent(&t, &u, 10, at).await),
        want.clone(),
    );
    expect_eq(
        "recent returns at most `limit`",
        ok("recent", store.recent(&t, &u, 2, at).await),
        want[..2].to_vec(),
    );
    expect_eq(
        "recent with limit 0 is empty",
        ok("recent", store.recent(&t, &u, 0, at).await),
        vec![],
    );
}

async fn too_large(store: &dyn Sessions) {
    let (t, u) = (random_tenant(), random_user());
    let at = now();
    let mut session = sample_session(&t, &u, random_recording(), at, "large");
    let v1 = ok("put", store.put(&session, &Expected::Absent, at).await);
    let before = session.clone();
    let mut edit = sample_draft("large");
    edit.email.body = "x".repeat(MAX_SESSION_BYTES);
    session.edited = Some(edit);
    match store.put(&session, &Expected::At(v1.clone()), at).await {
        Err(SessionError::TooLarge(n)) if n > MAX_SESSION_BYTES => {}
        other => {
            panic!("contract broken: a session over the size limit is TooLarge, got {other:?}")
        }
    }
    expect_eq(
        "a refused oversized put changes nothing",
        ok("get", store.get(&before.key(), at).await).map(|v| (v.value, v.version)),
        Some((before, v1)),
    );
}

async fn delete_all(store: &dyn Sessions) {
    let (t, other_tenant) = (random_tenant(), random_tenant());
    let (u1, u2) = (random_user(), random_user());
    let at = now();
    let r = random_recording();
    let mine = [
        sample_session(&t, &u1, r, at, "a"),
        sample_session(&t, &u2, r, at, "b"),
        sample_session(&t, &u1, random_recording(), at, "c"),
    ];
    for s in &mine {
        ok("put", store.put(s, &Expected::Absent, at).await);
    }
    let kept = sample_session(&other_tenant, &u1, r, at, "kept");
    ok("put", store.put(&kept, &Expected::Absent, at).await);

    ok("delete_all", store.delete_all(&t).await);
    for s in &mine {
        expect_eq(
            "delete_all removes every session of the tenant, of every user",
            ok("get", store.get(&s.key(), at).await).map(|v| v.value),
            None,
        );
    }
    expect_eq(
        "delete_all leaves other tenants' sessions",
        ok("get", store.get(&kept.key(), at).await).map(|v| v.value),
        Some(kept),
    );
    ok("delete_all of an empty tenant", store.delete_all(&t).await);
}
