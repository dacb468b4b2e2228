use super::{expect_eq, ok};
use crate::ports::Vault;
use crate::testkit::{random_suffix, random_tenant, sample_bundle};

/// [`Vault`]: missing is `None`, put/get round trip, put replaces (not merges), delete removes,
/// deleting a missing bundle is `Ok`, `exists` and `get_fresh` agree with `get`, and what comes back still prints redacted under `Debug`.
pub async fn vault(vault: &dyn Vault) {
    let tenant = random_tenant();
    expect_eq(
        "get of a tenant without a bundle is None",
        ok("get", vault.get(&tenant).await),
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
    ok("put", vault.put(&tenant, &first).await);
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
    expect_eq(
        "get_fresh returns what get returns",
        ok("get_fresh", vault.get_fresh(&tenant).await),
        Some(first.clone()),
    );

    let shown = format!("{got:?} {got:#?}");
    assert!(
        !shown.contains(&marker),
        "contract broken: Debug of a fetched bundle shows a secret"
    );

    // The replacement drops the user token and integration: put replaces, it does not merge.
    let mut second = sample_bundle(&random_suffix(12));
    second.users.clear();
    second.integrations.clear();
    ok("put (replace)", vault.put(&tenant, &second).await);
    expect_eq(
        "put replaces the whole bundle",
        ok("get", vault.get(&tenant).await),
        Some(second),
    );

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
}
