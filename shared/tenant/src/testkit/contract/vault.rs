use super::{expect_eq, ok};
use crate::ports::Vault;
use crate::testkit::{random_suffix, random_tenant, sample_bundle};

/// [`Vault`]: missing is `None`, put/get round trip, put replaces (not merges), delete removes,
/// deleting a missing bundle is `Ok`, and what comes back still prints redacted under `Debug`.
pub async fn vault(vault: &dyn Vault) {
    let tenant = random_tenant();
    expect_eq(
        "get of a tenant without a bundle is None",
        ok("get", vault.get(&tenant).await),
        None,
    );
    ok("delete of a missing bundle", vault.delete(&tenant).await);

    let marker = random_suffix(12);
    let first = sample_bundle(&marker);
    ok("put", vault.put(&tenant, &first).await);
    let got = ok("get", vault.get(&tenant).await);
    expect_eq(
        "put then get returns the bundle",
        got.as_ref(),
        Some(&first),
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
    ok("delete again", vault.delete(&tenant).await);
}
