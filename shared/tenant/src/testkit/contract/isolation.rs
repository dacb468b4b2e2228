use std::time::{Duration, SystemTime};

use super::{expect_eq, isolation_credentials, isolation_people, ok};
use crate::ids::{JobId, TenantId};
use crate::model::{Tenant, TenantStatus};
use crate::ports::{
    Backend, Claim, Expected, Lease, LedgerKey, StoreError, VaultError, replace_bundle,
};
use crate::testkit::{random_suffix, sample_bundle, sample_installation, tenant};

const LEASE: Duration = Duration::from_secs(30);
const TTL: Duration = Duration::from_secs(600);
const WINDOW: Duration = Duration::from_secs(3600);

/// Tenant isolation through every tenant-scoped port: with tenant A's data stored, tenants whose
/// ids look like A's (`E…` with A's digits, A's id plus a character) see none of it, and
/// nothing they do changes it. Covers the tenant directory, vault, credentials (across users of
/// A too), ledger, usage counters, audit log and members. The queue and OAuth states are not tenant-addressed and are not exercised
/// here.
pub async fn isolation(backend: &Backend) {
    let digits = random_suffix(10);
    let a = tenant(&format!("T{digits}"));
    let others = [
        tenant(&format!("E{digits}")),
        tenant(&format!("T{digits}Z")),
        tenant(&format!("T{}", &digits[..9])),
    ];
    let now = SystemTime::now();

    // Tenant A's data.
    let a_tenant = Tenant::new(a.clone(), "Tenant A", 100);
    ok("put A", backend.tenants.put(&a_tenant).await);
    let a_install = sample_installation(&a, 100);
    ok(
        "put_installation A",
        backend.tenants.put_installation(&a_install).await,
    );
    let a_marker = random_suffix(12);
    let a_bundle = sample_bundle(&a_marker);
    ok(
        "vault put A",
        replace_bundle(backend.vault.as_ref(), &a, a_bundle.clone()).await,
    );
    let in_flight = LedgerKey::Job(JobId::new());
    let done = LedgerKey::Event(format!("Ev{}", random_suffix(10)));
    let a_lease = acquired(
        "A claims",
        ok(
            "claim A",
            backend.ledger.claim(&a, &in_flight, now, LEASE, TTL).await,
        ),
    );
    let a_done = acquired(
        "A claims its second key",
        ok(
            "claim A",
            backend.ledger.claim(&a, &done, now, LEASE, TTL).await,
        ),
    );
    ok(
        "complete A",
        backend
            .ledger
            .complete(&a, &done, &a_done.token, "A's outcome", now, TTL)
            .await,
    );
    let used_a = ok(
        "consume A",
        backend.usage.consume(&a, "commands", 1, WINDOW, now).await,
    );
    assert!(used_a.allowed, "contract: A's first use is allowed");
    let a_people = isolation_people::store_for(backend, &a).await;

    for b in &others {
        let b_leases = reads_see_nothing(backend, b, &in_flight, &done, now).await;
        writes_leave_a_alone(
            backend,
            &a,
            b,
            (&in_flight, &done),
            &b_leases,
            &a_lease,
            now,
        )
        .await;
        isolation_people::check_other(backend, b, &a_people).await;
    }
    isolation_people::check_unchanged(backend, &a, &a_people).await;
    isolation_credentials::credential_isolation(backend.credentials.as_ref(), &a, &others).await;

    // A's data is exactly as A left it.
    expect_eq(
        "A's tenant is unchanged",
        ok("get A", backend.tenants.get(&a).await),
        Some(a_tenant),
    );
    expect_eq(
        "A's installation is unchanged",
        ok(
            "get_installation A",
            backend.tenants.get_installation(&a).await,
        ),
        Some(a_install),
    );
    expect_eq(
        "A's bundle is unchanged",
        ok("vault get A", backend.vault.get(&a).await),
        Some(a_bundle),
    );
    expect_eq(
        "A's claim is still in flight",
        ok(
            "claim A",
            backend.ledger.claim(&a, &in_flight, now, LEASE, TTL).await,
        ),
        Claim::InFlight,
    );
    expect_eq(
        "A's completed key is still done",
        ok(
            "claim A",
            backend.ledger.claim(&a, &done, now, LEASE, TTL).await,
        ),
        Claim::Done {
            outcome: "A's outcome".into(),
        },
    );
    expect_eq(
        "A's counter is still full",
        ok(
            "consume A",
            backend.usage.consume(&a, "commands", 1, WINDOW, now).await,
        )
        .used,
        1,
    );
    let listed = ok("list", backend.tenants.list().await);
    for id in std::iter::once(&a).chain(&others) {
        expect_eq(
            "list holds each tenant once",
            listed.iter().filter(|t| &t.id == id).count(),
            1,
        );
    }
}

async fn reads_see_nothing(
    backend: &Backend,
    b: &TenantId,
    in_flight: &LedgerKey,
    done: &LedgerKey,
    now: SystemTime,
) -> (Lease, Lease) {
    expect_eq(
        &format!("{b} does not see A's tenant"),
        ok("get", backend.tenants.get(b).await),
        None,
    );
    expect_eq(
        &format!("{b} does not see A's installation"),
        ok(
            "get_installation",
            backend.tenants.get_installation(b).await,
        ),
        None,
    );
    expect_eq(
        &format!("{b} does not see A's bot identity"),
        ok("bot_identity", backend.tenants.bot_identity(b).await),
        None,
    );
    assert!(
        ok("vault get", backend.vault.get(b).await).is_none(),
        "contract broken: {b} can read A's token bundle"
    );
    match backend
        .tenants
        .set_status_if(b, TenantStatus::Active, TenantStatus::Suspended, 300)
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!(
            "contract broken: set_status_if of {b} must be NotFound while only A exists, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    // B's first claim of A's keys is B's own: it must not see A's claim or outcome. (This also
    // claims them for B, which A's checks below must not see either.)
    let b_in_flight = acquired(
        &format!("{b} does not see A's in-flight claim"),
        ok(
            "claim",
            backend.ledger.claim(b, in_flight, now, LEASE, TTL).await,
        ),
    );
    let b_done = acquired(
        &format!("{b} does not see A's completed key"),
        ok(
            "claim",
            backend.ledger.claim(b, done, now, LEASE, TTL).await,
        ),
    );
    let quota = ok(
        "consume",
        backend.usage.consume(b, "commands", 1, WINDOW, now).await,
    );
    assert!(
        quota.allowed && quota.used == 1,
        "contract broken: {b} shares A's usage counter: {quota:?}"
    );
    (b_in_flight, b_done)
}

async fn writes_leave_a_alone(
    backend: &Backend,
    a: &TenantId,
    b: &TenantId,
    (in_flight, done): (&LedgerKey, &LedgerKey),
    b_leases: &(Lease, Lease),
    a_lease: &Lease,
    now: SystemTime,
) {
    ok("vault delete", backend.vault.delete(b).await);
    let (b_in_flight, b_done) = b_leases;
    // A's lease token means nothing under B's partition.
    match backend
        .ledger
        .complete(b, in_flight, &a_lease.token, "A's token", now, TTL)
        .await
    {
        Err(StoreError::LeaseLost) => {}
        other => panic!(
            "contract broken: A's lease token completed {b}'s claim: {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    ok(
        "release",
        backend
            .ledger
            .release(b, in_flight, &b_in_flight.token)
            .await,
    );
    let b_again = acquired(
        "B claims its released key again",
        ok(
            "claim",
            backend.ledger.claim(b, in_flight, now, LEASE, TTL).await,
        ),
    );
    ok(
        "complete",
        backend
            .ledger
            .complete(b, in_flight, &b_again.token, "B's outcome", now, TTL)
            .await,
    );
    ok(
        "abandon",
        backend.ledger.abandon(b, done, &b_done.token).await,
    );
    ok(
        "put",
        backend
            .tenants
            .put(&Tenant::new(b.clone(), "Tenant B", 200))
            .await,
    );
    expect_eq(
        &format!("{b}'s own set_status_if writes"),
        ok(
            "set_status_if",
            backend
                .tenants
                .set_status_if(b, TenantStatus::Active, TenantStatus::Uninstalled, 300)
                .await,
        ),
        true,
    );
    ok(
        "put_installation",
        backend
            .tenants
            .put_installation(&sample_installation(b, 200))
            .await,
    );
    let b_bundle = sample_bundle(&random_suffix(12));
    // A version read from A's bundle does not let B write or remove anything.
    let a_version = ok("vault get_fresh A", backend.vault.get_fresh(a).await).map(|v| v.version);
    if let Some(version) = a_version {
        assert!(
            matches!(
                backend
                    .vault
                    .put(b, &b_bundle, &Expected::At(version.clone()))
                    .await,
                Err(VaultError::Conflict)
            ),
            "contract broken: {b} wrote with a version of A's bundle"
        );
        assert!(
            matches!(
                backend.vault.remove(b, &version).await,
                Err(VaultError::Conflict)
            ),
            "contract broken: {b} removed with a version of A's bundle"
        );
    }
    ok(
        "vault put",
        backend.vault.put(b, &b_bundle, &Expected::Absent).await,
    );
    expect_eq(
        &format!("{b} reads back its own bundle"),
        ok("vault get", backend.vault.get(b).await),
        Some(b_bundle),
    );
}

/// The lease of an `Acquired` claim; anything else breaks the contract named by `what`.
pub(crate) fn acquired(what: &str, claim: Claim) -> Lease {
    match claim {
        Claim::Acquired(lease) => lease,
        other => panic!("contract broken: {what}: expected Acquired, got {other:?}"),
    }
}
