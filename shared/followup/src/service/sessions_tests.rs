use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tenant::ports::Version;
use tenant::testkit::{random_tenant, random_user};

use super::*;
use crate::ids::RecordingId;
use crate::session::{Artifact, ArtifactKind, SessionStatus};
use crate::testkit::{MemorySessions, sample_draft, sample_meeting};

/// A store where another writer gets in first: before each of the first `interfere` puts,
/// it adds an artifact to the stored session itself (so that put conflicts).
struct Contended {
    inner: MemorySessions,
    interfere: AtomicUsize,
}

#[async_trait]
impl Sessions for Contended {
    async fn get(
        &self,
        key: &SessionKey,
        now: Timestamp,
    ) -> Result<Option<Versioned<Session>>, SessionError> {
        self.inner.get(key, now).await
    }

    async fn put(
        &self,
        session: &Session,
        expected: &Expected,
        now: Timestamp,
    ) -> Result<Version, SessionError> {
        let left = self.interfere.load(Ordering::SeqCst);
        if left > 0 {
            self.interfere.store(left - 1, Ordering::SeqCst);
            if let Some(mut other) = self.inner.get(&session.key(), now).await? {
                other.value.artifacts.push(Artifact {
                    kind: ArtifactKind::CrmNote,
                    id: format!("note{left}"),
                    link: "https://crm.example/n".into(),
                });
                self.inner
                    .put(&other.value, &Expected::At(other.version), now)
                    .await?;
            }
        }
        self.inner.put(session, expected, now).await
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<Session>, SessionError> {
        self.inner.recent(tenant, user, limit, now).await
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.inner.delete(key).await
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), SessionError> {
        self.inner.delete_all(tenant).await
    }
}

fn contended(interfere: usize) -> Contended {
    Contended {
        inner: MemorySessions::default(),
        interfere: AtomicUsize::new(interfere),
    }
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_750_000_000 + secs).unwrap()
}

#[tokio::test]
async fn opening_creates_once_and_then_returns_the_stored_session() {
    let store = MemorySessions::default();
    let (t, u) = (random_tenant(), random_user());
    let meeting = sample_meeting(RecordingId::new(5), at(0), "m");
    let first = open_session(&store, &t, &u, &meeting, at(10), Retention::DEFAULT)
        .await
        .unwrap();
    assert_eq!(first.value.status, SessionStatus::Generating);
    assert_eq!(first.value.created_at, at(10));
    let again = open_session(&store, &t, &u, &meeting, at(20), Retention::DEFAULT)
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn an_update_that_loses_a_race_is_redone_on_the_winners_session() {
    let store = contended(0);
    let (t, u) = (random_tenant(), random_user());
    let meeting = sample_meeting(RecordingId::new(6), at(0), "m");
    let opened = open_session(&store, &t, &u, &meeting, at(0), Retention::DEFAULT)
        .await
        .unwrap();
    // Two other writers get in before this update's first two writes.
    store.interfere.store(2, Ordering::SeqCst);
    let mut runs = 0;
    let updated = update_session(
        &store,
        &opened.value.key(),
        at(30),
        Retention::DEFAULT,
        |s| {
            runs += 1;
            s.status = SessionStatus::Ready;
            s.draft = Some(sample_draft("d"));
            true
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(runs, 3, "two conflicts, then the write");
    // Both other writers' artifacts survive, and so does this change.
    assert_eq!(updated.value.artifacts.len(), 2);
    assert_eq!(updated.value.status, SessionStatus::Ready);
    assert_eq!(updated.value.updated_at, at(30));
    assert_eq!(updated.value.expires_at, Retention::DEFAULT.expiry(at(30)));
    let stored = store
        .get(&opened.value.key(), at(31))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, updated);
}

#[tokio::test]
async fn an_update_gives_up_with_conflict_under_endless_contention() {
    let store = contended(0);
    let (t, u) = (random_tenant(), random_user());
    let meeting = sample_meeting(RecordingId::new(7), at(0), "m");
    let opened = open_session(&store, &t, &u, &meeting, at(0), Retention::DEFAULT)
        .await
        .unwrap();
    store.interfere.store(usize::MAX, Ordering::SeqCst);
    let result = update_session(
        &store,
        &opened.value.key(),
        at(1),
        Retention::DEFAULT,
        |s| {
            s.status = SessionStatus::Ready;
            true
        },
    )
    .await;
    assert!(matches!(result, Err(SessionError::Conflict)), "{result:?}");
}

#[tokio::test]
async fn an_update_of_a_missing_session_or_one_that_changes_nothing_writes_nothing() {
    let store = MemorySessions::default();
    let key = SessionKey::new(random_tenant(), random_user(), RecordingId::new(8));
    let none = update_session(&store, &key, at(0), Retention::DEFAULT, |_| true)
        .await
        .unwrap();
    assert!(none.is_none());
    let meeting = sample_meeting(RecordingId::new(8), at(0), "m");
    let opened = open_session(
        &store,
        key.tenant(),
        key.user(),
        &meeting,
        at(0),
        Retention::DEFAULT,
    )
    .await
    .unwrap();
    let same = update_session(&store, &key, at(50), Retention::DEFAULT, |_| false)
        .await
        .unwrap();
    assert_eq!(same, Some(opened));
}
