//! The credential part of [`super::isolation`]: across tenants and across users of a tenant.

use super::{expect_eq, ok};
use crate::credential::{CredentialId, Provider};
use crate::ids::{TenantId, UserId};
use crate::ports::{CredentialError, Credentials, Expected};
use crate::testkit::{random_suffix, sample_credential, user};

/// With tenant A's tenant-wide and per-user credentials stored, look-alike tenants and
/// look-alike users of A see none of them, and nothing they do (writes with A's versions
/// included) changes them.
pub(crate) async fn credential_isolation(
    store: &dyn Credentials,
    a: &TenantId,
    others: &[TenantId],
) {
    let digits = random_suffix(9);
    let a_user = user(&format!("U{digits}"));
    let a_wide = CredentialId::tenant_wide(a.clone(), Provider::Hubspot);
    let a_personal = CredentialId::for_user(a.clone(), Provider::Google, a_user.clone());
    let wide = sample_credential(&random_suffix(12));
    let personal = sample_credential(&random_suffix(12));
    let wide_v = ok(
        "put A's",
        store.put(&a_wide, &wide, &Expected::Absent).await,
    );
    let personal_v = ok(
        "put A's user's",
        store.put(&a_personal, &personal, &Expected::Absent).await,
    );

    for b in others {
        let b_wide = CredentialId::tenant_wide(b.clone(), Provider::Hubspot);
        let b_personal = CredentialId::for_user(b.clone(), Provider::Google, a_user.clone());
        for id in [&b_wide, &b_personal] {
            expect_eq(
                &format!("{id} does not see A's"),
                ok("get", store.get(id).await),
                None,
            );
            refused(
                store.put(id, &wide, &Expected::At(wide_v.clone())).await,
                "wrote with A's version",
            );
            refused(
                store.delete(id, Some(&personal_v)).await,
                "deleted with A's version",
            );
            ok("unconditional delete", store.delete(id, None).await);
        }
        expect_eq(
            &format!("{b} lists none of A's"),
            ok("list", store.list(b).await),
            vec![],
        );
        ok(
            "put B's own",
            store
                .put(&b_wide, &sample_credential("b"), &Expected::Absent)
                .await,
        );
        ok("delete_all B", store.delete_all(b).await);
    }

    // Users of the same tenant whose ids look like A's user.
    let look_alikes: Vec<UserId> = vec![
        user(&format!("W{digits}")),
        user(&format!("U{digits}Z")),
        user(&format!("U{}", &digits[..8])),
    ];
    for other in &look_alikes {
        let id = CredentialId::for_user(a.clone(), Provider::Google, other.clone());
        expect_eq(
            &format!("user {other} does not see {a_user}'s"),
            ok("get", store.get(&id).await),
            None,
        );
        refused(
            store
                .put(&id, &personal, &Expected::At(personal_v.clone()))
                .await,
            "wrote with another user's version",
        );
        refused(
            store.delete(&id, Some(&personal_v)).await,
            "deleted with another user's version",
        );
        ok("unconditional delete", store.delete(&id, None).await);
    }

    expect_eq(
        "A's tenant-wide credential is untouched",
        ok("get", store.get(&a_wide).await).map(|v| (v.value, v.version)),
        Some((wide, wide_v)),
    );
    expect_eq(
        "A's user's credential is untouched",
        ok("get", store.get(&a_personal).await).map(|v| (v.value, v.version)),
        Some((personal, personal_v)),
    );
    expect_eq(
        "A lists its tenant-wide credential",
        ok("list", store.list(a).await),
        vec![a_wide],
    );
    ok("delete_all A", store.delete_all(a).await);
}

fn refused<T: std::fmt::Debug>(result: Result<T, CredentialError>, what: &str) {
    match result {
        Err(CredentialError::Conflict) => {}
        other => panic!("contract broken: another tenant or user {what}: {other:?}"),
    }
}
