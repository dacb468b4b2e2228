use super::{expect_eq, ok};
use crate::credential::{CredentialId, Provider};
use crate::ports::{CredentialError, Credentials, Expected, update_credential};
use crate::testkit::{
    join_all, random_suffix, random_tenant, random_user, sample_credential, tenant,
};

/// How many updaters race in the lost-update check.
const RACERS: usize = 6;

/// [`Credentials`]: missing is `None`; put/get round trip with the version put returned;
/// every write and conditional delete is conditional on the version read (stale versions and
/// a wrong `Absent` fail with `Conflict` and change nothing; versions never repeat after a
/// delete); tenant-wide and per-user credentials of each provider are separate; `list` names
/// the tenant-wide ones only; `delete_all` removes the tenant's and nobody else's; concurrent
/// [`update_credential`] calls all land; `Debug` of what comes back shows no secret.
pub async fn credentials(store: &dyn Credentials) {
    let t = random_tenant();
    let hubspot = CredentialId::tenant_wide(t.clone(), Provider::Hubspot);
    expect_eq(
        "get of a missing credential is None",
        ok("get", store.get(&hubspot).await),
        None,
    );
    expect_eq(
        "list of a tenant without credentials is empty",
        ok("list", store.list(&t).await),
        vec![],
    );
    ok(
        "unconditional delete of a missing credential",
        store.delete(&hubspot, None).await,
    );

    let marker = random_suffix(12);
    let first = sample_credential(&marker);
    let v1 = ok(
        "put (absent)",
        store.put(&hubspot, &first, &Expected::Absent).await,
    );
    let got = ok("get_fresh", store.get_fresh(&hubspot).await);
    expect_eq(
        "put then get_fresh returns it at the version put returned",
        got.as_ref().map(|v| (&v.value, &v.version)),
        Some((&first, &v1)),
    );
    expect_eq(
        "get agrees with get_fresh",
        ok("get", store.get(&hubspot).await).map(|v| v.value),
        Some(first.clone()),
    );
    let shown = format!("{got:?} {got:#?}");
    assert!(
        !shown.contains(&marker),
        "contract broken: Debug of a credential shows a secret: {shown}"
    );

    expect_conflict(
        "put expecting Absent over a stored credential",
        store.put(&hubspot, &first, &Expected::Absent).await,
    );
    let mut second = sample_credential(&random_suffix(12));
    second.refresh_token = None;
    second.metadata = Default::default();
    let v2 = ok(
        "put at the version read",
        store
            .put(&hubspot, &second, &Expected::At(v1.clone()))
            .await,
    );
    assert!(
        v2 != v1,
        "contract broken: a write kept the version it replaced"
    );
    // A refresher that read `first` and spent its refresh token must not put it back.
    expect_conflict(
        "put at a stale version",
        store.put(&hubspot, &first, &Expected::At(v1.clone())).await,
    );
    expect_conflict(
        "delete at a stale version",
        store.delete(&hubspot, Some(&v1)).await,
    );
    expect_eq(
        "a refused write changes nothing (and put replaces, it does not merge)",
        ok("get_fresh", store.get_fresh(&hubspot).await).map(|v| (v.value, v.version)),
        Some((second.clone(), v2.clone())),
    );

    ok(
        "delete at the version read",
        store.delete(&hubspot, Some(&v2)).await,
    );
    expect_eq(
        "delete removes it",
        ok("get_fresh", store.get_fresh(&hubspot).await),
        None,
    );
    expect_conflict(
        "conditional delete of a deleted credential",
        store.delete(&hubspot, Some(&v2)).await,
    );
    expect_conflict(
        "put at the version of a deleted credential",
        store
            .put(&hubspot, &second, &Expected::At(v2.clone()))
            .await,
    );
    let v3 = ok(
        "put (absent) after delete",
        store.put(&hubspot, &first, &Expected::Absent).await,
    );
    assert!(
        v3 != v1 && v3 != v2,
        "contract broken: a version repeated after a delete ({v3:?})"
    );

    ok("delete_all", store.delete_all(&t).await);
    expect_eq(
        "delete_all removes tenant-wide credentials",
        ok("get", store.get(&hubspot).await),
        None,
    );
    expect_eq(
        "list is empty after delete_all",
        ok("list", store.list(&t).await),
        vec![],
    );
    ok("delete_all again", store.delete_all(&t).await);

    separate_providers_and_users(store).await;
    no_lost_updates(store).await;
}

/// Tenant-wide and per-user credentials of several providers, side by side.
async fn separate_providers_and_users(store: &dyn Credentials) {
    let t = &random_tenant();
    let hubspot = &CredentialId::tenant_wide(t.clone(), Provider::Hubspot);
    let hubspot_value = &sample_credential("hubspot");
    ok(
        "put hubspot",
        store.put(hubspot, hubspot_value, &Expected::Absent).await,
    );
    let salesforce = CredentialId::tenant_wide(t.clone(), Provider::Salesforce);
    let (u1, u2) = (random_user(), random_user());
    let fathom_u1 = CredentialId::for_user(t.clone(), Provider::Fathom, u1.clone());
    let fathom_u2 = CredentialId::for_user(t.clone(), Provider::Fathom, u2.clone());
    let hubspot_u1 = CredentialId::for_user(t.clone(), Provider::Hubspot, u1);
    expect_eq(
        "another provider's credential is separate",
        ok("get", store.get(&salesforce).await),
        None,
    );
    expect_eq(
        "a user's credential is not the tenant's",
        ok("get", store.get(&hubspot_u1).await),
        None,
    );

    let sf = sample_credential("salesforce");
    ok(
        "put salesforce",
        store.put(&salesforce, &sf, &Expected::Absent).await,
    );
    let f1 = sample_credential(&random_suffix(12));
    let f1_version = ok(
        "put user 1",
        store.put(&fathom_u1, &f1, &Expected::Absent).await,
    );
    expect_eq(
        "user 2 does not see user 1's credential",
        ok("get", store.get(&fathom_u2).await),
        None,
    );
    expect_conflict(
        "user 2 writing with user 1's version",
        store
            .put(&fathom_u2, &f1, &Expected::At(f1_version.clone()))
            .await,
    );
    expect_conflict(
        "user 2 deleting with user 1's version",
        store.delete(&fathom_u2, Some(&f1_version)).await,
    );
    ok(
        "unconditional delete of user 2's missing credential",
        store.delete(&fathom_u2, None).await,
    );
    let f2 = sample_credential(&random_suffix(12));
    ok(
        "put user 2",
        store.put(&fathom_u2, &f2, &Expected::Absent).await,
    );
    expect_eq(
        "user 1's credential is untouched by user 2's writes",
        ok("get", store.get(&fathom_u1).await).map(|v| (v.value, v.version)),
        Some((f1, f1_version)),
    );
    expect_eq(
        "the tenant-wide credential is untouched by the others",
        ok("get", store.get(hubspot).await).map(|v| v.value),
        Some(hubspot_value.clone()),
    );
    let mut listed = vec![hubspot.clone(), salesforce.clone()];
    listed.sort();
    expect_eq(
        "list names the tenant-wide credentials only, in order",
        ok("list", store.list(t).await),
        listed,
    );

    // delete_all of another tenant touches none of these.
    ok(
        "delete_all of another tenant",
        store.delete_all(&tenant(&format!("{t}X"))).await,
    );
    assert!(
        ok("get", store.get(&fathom_u2).await).is_some(),
        "contract broken: delete_all of another tenant removed this one's credential"
    );
    ok("delete salesforce", store.delete(&salesforce, None).await);
    ok("delete_all", store.delete_all(t).await);
    expect_eq(
        "delete_all removes per-user credentials",
        ok("get", store.get(&fathom_u1).await),
        None,
    );
    expect_eq(
        "delete_all removes every user's",
        ok("get", store.get(&fathom_u2).await),
        None,
    );
    expect_eq(
        "delete_all removes tenant-wide credentials",
        ok("get", store.get(hubspot).await),
        None,
    );
}

fn expect_conflict<T: std::fmt::Debug>(promise: &str, result: Result<T, CredentialError>) {
    match result {
        Err(CredentialError::Conflict) => {}
        other => panic!("contract broken: {promise} must fail with Conflict, got {other:?}"),
    }
}

/// Concurrent read-modify-writes each add one scope; every one of them is stored at the end.
async fn no_lost_updates(store: &dyn Credentials) {
    let id = CredentialId::for_user(random_tenant(), Provider::Google, random_user());
    ok(
        "put (absent)",
        store
            .put(&id, &sample_credential("race"), &Expected::Absent)
            .await,
    );
    let scopes: Vec<String> = (0..RACERS).map(|i| format!("scope-{i}")).collect();
    let results = join_all(
        scopes
            .iter()
            .map(|scope| {
                update_credential(store, &id, move |slot| {
                    if let Some(credential) = slot {
                        credential.scopes.push(scope.clone());
                    }
                })
            })
            .collect(),
    )
    .await;
    for result in results {
        assert!(ok("concurrent update_credential", result).changed);
    }
    let stored = ok("get_fresh", store.get_fresh(&id).await)
        .map(|v| v.value.scopes)
        .unwrap_or_default();
    for scope in &scopes {
        assert!(
            stored.contains(scope),
            "contract broken: a concurrent update was lost (stored scopes {stored:?})"
        );
    }
    ok("delete_all", store.delete_all(id.tenant()).await);
}
