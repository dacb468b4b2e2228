use super::{expect_eq, ok};
use crate::ids::TenantId;
use crate::ports::{Expected, Vault, VaultError, Version, update_bundle};
use crate::secret::{Secret, TokenBundle, UserToken};
use crate::testkit::{join_all, random_suffix, random_tenant, random_user, sample_bundle};

/// How many updaters race in the lost-update check.
const RACERS: usize = 6;

/// [`Vault`]: missing is `None`, put/get round trip, put replaces (not merges), delete removes,
/// deleting a missing bundle is `Ok`, `exists` and `get_fresh` agree with `get`, what comes back
/// still prints redacted under `Debug`; every write is conditional on the version read (a
/// stale version or a wrong `Absent` fails with `Conflict` and changes nothing, versions never
/// repeat after a removal), and concurrent [`update_bundle`] calls all land.
pub async fn vault(vault: &dyn Vault) {
    let tenant = random_tenant();
    expect_eq(
        "get of a tenant without a bundle is None",
        ok("get", vault.get(&tenant).await),
        None,
    );
    expect_eq(
        "get_fresh of a tenant without a bundle is None",
        ok("get_fresh", vault.get_fresh(&tenant).await),
        None,
    );
    ok("delete of a missing bundle", vault.delete(&tenant).await);
    expect_eq(
        "exists is false without a bundle",
        ok("exists", vault.exists(&tenant).await),
        false,
    );

    let marker = random_suffix(12);
    let first = sample_bundle(&marker);
    let v1 = ok(
        "put (absent)",
        vault.put(&tenant, &first, &Expected::Absent).await,
    );
    let got = ok("get", vault.get(&tenant).await);
    expect_eq(
        "put then get returns the bundle",
        got.as_ref(),
        Some(&first),
    );
    expect_eq(
        "exists after put",
        ok("exists", vault.exists(&tenant).await),
        true,
    );
    let fresh = ok("get_fresh", vault.get_fresh(&tenant).await);
    expect_eq(
        "get_fresh returns what get returns, at the version put returned",
        fresh.as_ref().map(|v| (&v.value, &v.version)),
        Some((&first, &v1)),
    );
    let shown = format!("{got:?} {got:#?} {fresh:?}");
    assert!(
        !shown.contains(&marker),
        "contract broken: Debug of a fetched bundle shows a secret"
    );

    conflicts(vault, &tenant, &first, &v1).await;

    ok("delete", vault.delete(&tenant).await);
    expect_eq(
        "delete removes the bundle",
        ok("get", vault.get(&tenant).await),
        None,
    );
    expect_eq(
        "exists is false after delete",
        ok("exists", vault.exists(&tenant).await),
        false,
    );
    ok("delete again", vault.delete(&tenant).await);
    expect_eq(
        "a bundle can be created again after delete",
        ok(
            "put after delete",
            vault.put(&tenant, &first, &Expected::Absent).await,
        ) != v1,
        true,
    );
    ok("delete", vault.delete(&tenant).await);

    no_lost_updates(vault).await;
}

/// The conditional-write promises, starting from `first` stored at `v1`.
async fn conflicts(vault: &dyn Vault, tenant: &TenantId, first: &TokenBundle, v1: &Version) {
    expect_conflict(
        "put expecting Absent over an existing bundle",
        vault
            .put(tenant, &sample_bundle("x"), &Expected::Absent)
            .await,
    );
    // The replacement drops the user token: put replaces, it does not merge.
    let mut second = sample_bundle(&random_suffix(12));
    second.users.clear();
    let v2 = ok(
        "put at the version read",
        vault.put(tenant, &second, &Expected::At(v1.clone())).await,
    );
    assert!(
        &v2 != v1,
        "contract broken: a write kept the version it replaced"
    );
    expect_eq(
        "put replaces the whole bundle",
        ok("get", vault.get(tenant).await),
        Some(second.clone()),
    );

    // A writer that read `first` (v1) comes back after `second` landed: what a refresh undone
    // by a stale revocation looked like. It must fail and leave `second` in place.
    expect_conflict(
        "put at a stale version",
        vault.put(tenant, first, &Expected::At(v1.clone())).await,
    );
    expect_conflict("remove at a stale version", vault.remove(tenant, v1).await);
    expect_eq(
        "a refused write changes nothing",
        ok("get_fresh", vault.get_fresh(tenant).await).map(|v| (v.value, v.version)),
        Some((second.clone(), v2.clone())),
    );

    ok(
        "remove at the version read",
        vault.remove(tenant, &v2).await,
    );
    expect_eq(
        "remove removes the bundle",
        ok("get_fresh", vault.get_fresh(tenant).await),
        None,
    );
    expect_conflict(
        "put at the version of a removed bundle",
        vault.put(tenant, &second, &Expected::At(v2.clone())).await,
    );
    expect_conflict(
        "remove of a removed bundle",
        vault.remove(tenant, &v2).await,
    );
    let v3 = ok(
        "put (absent) after remove",
        vault.put(tenant, &second, &Expected::Absent).await,
    );
    assert!(
        v3 != *v1 && v3 != v2,
        "contract broken: a version repeated after a removal ({v3:?})"
    );
    expect_conflict(
        "put at a version from before the removal",
        vault.put(tenant, &second, &Expected::At(v2)).await,
    );
}

fn expect_conflict<T: std::fmt::Debug>(promise: &str, result: Result<T, VaultError>) {
    match result {
        Err(VaultError::Conflict) => {}
        other => panic!("contract broken: {promise} must fail with Conflict, got {other:?}"),
    }
}

/// Concurrent read-modify-writes each add one user token; every one of them is there at the
/// end (a lost update would drop some).
async fn no_lost_updates(vault: &dyn Vault) {
    let tenant = random_tenant();
    ok(
        "put (absent)",
        vault
            .put(&tenant, &sample_bundle("race"), &Expected::Absent)
            .await,
    );
    let users: Vec<_> = (0..RACERS).map(|_| random_user()).collect();
    let results = join_all(
        users
            .iter()
            .map(|user| {
                update_bundle(vault, &tenant, move |slot| {
                    let token = UserToken {
                        token: Secret::new(format!("xoxp-{user}")),
                        scopes: vec![],
                        refresh_token: None,
                        expires_at: None,
                    };
                    slot.get_or_insert_with(TokenBundle::default)
                        .users
                        .insert(user.clone(), token);
                })
            })
            .collect(),
    )
    .await;
    for result in results {
        let updated = ok("concurrent update_bundle", result);
        assert!(updated.changed, "contract: every racer changed the bundle");
    }
    let stored = ok("get_fresh", vault.get_fresh(&tenant).await)
        .map(|v| v.value)
        .unwrap_or_default();
    for user in &users {
        assert!(
            stored.users.contains_key(user),
            "contract broken: a concurrent update was lost ({} of {RACERS} users stored)",
            users
                .iter()
                .filter(|u| stored.users.contains_key(u))
                .count()
        );
    }
    assert!(
        stored.bot.is_some(),
        "contract broken: racers dropped the bot token"
    );
    ok("delete", vault.delete(&tenant).await);
}
