//! What the HubSpot and Pipedrive modules check the same way: a client config pointed at
//! a fake, and the failure scenarios every CRM client must meet (5xx, revoked token, slow
//! answer), given the fake's failure injection as closures.

use std::time::Duration;

use fakes::script::Failure;
use followup::crm::{Crm, CrmAccess, CrmError};

use super::support::assert_leaks_nothing;

/// A config lookup that knows only `var` (the fake's URL); everything else is defaulted.
pub fn only(var: &'static str, url: String) -> impl Fn(&str) -> Option<String> {
    move |name: &str| (name == var).then(|| url.clone())
}

/// Three 503s in a row (`fail(n, failure)` queues them on the pipelines endpoint, whose
/// call count is `calls()`): `Unavailable` after the first call and two retries.
pub async fn assert_unavailable_after_retries(
    crm: &impl Crm,
    access: &CrmAccess,
    fail: impl Fn(usize, Failure),
    calls: impl Fn() -> usize,
) {
    fail(3, Failure::Status(503));
    assert_eq!(
        crm.pipelines(access).await.unwrap_err(),
        CrmError::Unavailable
    );
    assert_eq!(calls(), 3, "first call and two retries");
}

/// After `revoke()` (of `a`'s `token`), `a` is `Unauthorized` without the token in the
/// error, and `b`'s connection is untouched.
pub async fn assert_revoked_is_unauthorized(
    crm: &impl Crm,
    a: &CrmAccess,
    b: &CrmAccess,
    token: &str,
    revoke: impl FnOnce(),
) {
    revoke();
    let err = crm.pipelines(a).await.unwrap_err();
    assert_eq!(err, CrmError::Unauthorized);
    assert_leaks_nothing(&err, &err.to_string(), &[token]);
    assert!(
        crm.pipelines(b).await.is_ok(),
        "B's connection is untouched"
    );
}

/// An answer slower than `impatient`'s 1 s timeout (`slow(failure)` queues it) is
/// `Unavailable`.
pub async fn assert_slow_is_unavailable(
    impatient: &impl Crm,
    access: &CrmAccess,
    slow: impl FnOnce(Failure),
) {
    slow(Failure::Slow(Duration::from_secs(3)));
    assert_eq!(
        impatient.pipelines(access).await.unwrap_err(),
        CrmError::Unavailable
    );
}
