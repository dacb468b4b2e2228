use tenant::ports::Expected;
use tenant::testkit::{random_tenant, random_user};

use super::{expect_conflict, expect_eq, now, ok, random_recording};
use crate::ports::Sessions;
use crate::testkit::{sample_draft, sample_session};

/// Isolation of [`Sessions`]: with the same user id and recording id, tenant B cannot get,
/// list, overwrite or delete tenant A's session; within one tenant, user B cannot reach user
/// A's session for the same recording; two users of one workspace who process the same
/// meeting each have a session of their own.
pub async fn sessions_isolation(store: &dyn Sessions) {
    across_tenants(store).await;
    across_users(store).await;
}

async fn across_tenants(store: &dyn Sessions) {
    let (a, b) = (random_tenant(), random_tenant());
    let (u, r) = (random_user(), random_recording());
    let at = now();
    let theirs = sample_session(&a, &u, r, at, "tenant-a");
    let va = ok("put A", store.put(&theirs, &Expected::Absent, at).await);
    let mine = sample_session(&b, &u, r, at, "tenant-b");
    let key_b = mine.key();

    expect_eq(
        "tenant B's get with A's user and recording finds nothing",
        ok("get B", store.get(&key_b, at).await).map(|v| v.value),
        None,
    );
    expect_eq(
        "tenant B's recent for A's user lists nothing",
        ok("recent B", store.recent(&b, &u, 10, at).await),
        vec![],
    );
    expect_conflict(
        "tenant B's put at A's version (B has no session)",
        store.put(&mine, &Expected::At(va.clone()), at).await,
    );
    ok("delete B", store.delete(&key_b).await);
    ok("delete_all B", store.delete_all(&b).await);
    expect_eq(
        "tenant B's put, delete and delete_all leave A's session as it was",
        ok("get A", store.get(&theirs.key(), at).await).map(|v| (v.value, v.version)),
        Some((theirs.clone(), va.clone())),
    );

    ok(
        "tenant B creates its own session for the same user and recording",
        store.put(&mine, &Expected::Absent, at).await,
    );
    expect_eq(
        "each tenant reads its own",
        (
            ok("get A", store.get(&theirs.key(), at).await).map(|v| v.value),
            ok("get B", store.get(&key_b, at).await).map(|v| v.value),
        ),
        (Some(theirs.clone()), Some(mine.clone())),
    );
    expect_eq(
        "recent is per tenant",
        ok("recent A", store.recent(&a, &u, 10, at).await),
        vec![theirs],
    );
}

async fn across_users(store: &dyn Sessions) {
    let t = random_tenant();
    let (alice, bob) = (random_user(), random_user());
    let r = random_recording();
    let at = now();
    let hers = sample_session(&t, &alice, r, at, "alice");
    let v_hers = ok("put Alice", store.put(&hers, &Expected::Absent, at).await);
    let mut his = sample_session(&t, &bob, r, at, "bob");

    expect_eq(
        "Bob's get of the same recording does not find Alice's session",
        ok("get Bob", store.get(&his.key(), at).await).map(|v| v.value),
        None,
    );
    expect_eq(
        "Bob's recent does not list Alice's session",
        ok("recent Bob", store.recent(&t, &bob, 10, at).await),
        vec![],
    );
    expect_conflict(
        "Bob's put at Alice's version",
        store.put(&his, &Expected::At(v_hers.clone()), at).await,
    );
    let v_his = ok(
        "Bob processes the same meeting: a session of his own",
        store.put(&his, &Expected::Absent, at).await,
    );
    his.edited = Some(sample_draft("bob-edit"));
    ok(
        "Bob edits his",
        store.put(&his, &Expected::At(v_his), at).await,
    );
    ok("Bob deletes his", store.delete(&his.key()).await);
    expect_eq(
        "Alice's session is untouched by Bob's create, edit and delete",
        ok("get Alice", store.get(&hers.key(), at).await).map(|v| (v.value, v.version)),
        Some((hers, v_hers)),
    );
}
