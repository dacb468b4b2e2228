use tenant::ports::{Expected, Versioned};
use tenant::testkit::random_tenant;

use super::{expect_conflict, random_domain, sample_connection, sample_mapping};
use crate::crm::CrmKind;
use crate::ports::{CrmDirectory, CrmSettings};
use crate::testkit::contract::{expect_eq, ok};

/// Isolation of [`CrmDirectory`]: with the same CRM kind and domain, tenant B cannot read,
/// overwrite, count on or delete tenant A's settings or mappings, and B's own writes land in
/// B's.
pub async fn directory_isolation(store: &dyn CrmDirectory) {
    let (a, b) = (random_tenant(), random_tenant());
    let d = random_domain();
    let kind = CrmKind::Hubspot;

    let mut theirs = CrmSettings::default();
    theirs.connect(sample_connection(kind, 1_750_000_000));
    let va = ok(
        "put_settings A",
        store.put_settings(&a, &theirs, &Expected::Absent).await,
    );
    let their_map = sample_mapping(&d, "601", true);
    ok("save A", store.save_mapping(&a, kind, &their_map).await);

    expect_eq(
        "tenant B reads no settings and no mapping of A's",
        (
            ok("settings B", store.settings(&b).await),
            ok("mapping B", store.mapping(&b, kind, &d).await),
        ),
        (None, None),
    );
    let mut mine = CrmSettings::default();
    mine.connect(sample_connection(CrmKind::Pipedrive, 1_750_000_000));
    expect_conflict(
        "tenant B's put_settings at A's version (B has none)",
        store
            .put_settings(&b, &mine, &Expected::At(va.clone()))
            .await,
    );
    ok("mapping_used B", store.mapping_used(&b, kind, &d).await);
    let my_map = sample_mapping(&d, "701", false);
    expect_eq(
        "tenant B's unverified save is not blocked by A's verified mapping",
        ok("save B", store.save_mapping(&b, kind, &my_map).await),
        true,
    );
    ok(
        "put_settings B",
        store.put_settings(&b, &mine, &Expected::Absent).await,
    );
    expect_eq(
        "each tenant reads its own",
        (
            ok("settings B", store.settings(&b).await).map(|v| v.value),
            ok("mapping B", store.mapping(&b, kind, &d).await),
        ),
        (Some(mine), Some(my_map)),
    );
    ok("delete_mappings B", store.delete_mappings(&b, kind).await);
    ok("delete_all B", store.delete_all(&b).await);
    expect_eq(
        "tenant B's writes, counts and deletes leave A's settings and mapping as they were",
        (
            ok("settings A", store.settings(&a).await),
            ok("mapping A", store.mapping(&a, kind, &d).await),
        ),
        (
            Some(Versioned {
                value: theirs,
                version: va,
            }),
            Some(their_map),
        ),
    );
}
