use tenant::ports::Expected;
use tenant::testkit::{join_all, random_tenant};

use super::{random_domain, sample_connection, sample_mapping};
use crate::crm::CrmKind;
use crate::ports::{CrmDirectory, CrmSettings, MappingSource};
use crate::testkit::contract::{expect_eq, ok};

/// How many follow-ups count a use at once.
const USERS: u32 = 8;

pub(super) async fn mappings(store: &dyn CrmDirectory) {
    verified_rule(store).await;
    counting(store).await;
    per_kind_and_deletes(store).await;
}

async fn verified_rule(store: &dyn CrmDirectory) {
    let (t, d) = (random_tenant(), random_domain());
    let kind = CrmKind::Hubspot;
    expect_eq(
        "the mapping of an unmapped domain is None",
        ok("mapping", store.mapping(&t, kind, &d).await),
        None,
    );
    let mut found = sample_mapping(&d, "101", false);
    found.source = MappingSource::Name;
    found.confidence = 60;
    found.times_used = 3;
    expect_eq(
        "saving a new mapping answers true",
        ok("save_mapping", store.save_mapping(&t, kind, &found).await),
        true,
    );
    expect_eq(
        "a saved mapping round-trips every field",
        ok("mapping", store.mapping(&t, kind, &d).await),
        Some(found.clone()),
    );
    let better = sample_mapping(&d, "102", false);
    expect_eq(
        "an unverified mapping replaces an unverified one",
        (
            ok("save_mapping", store.save_mapping(&t, kind, &better).await),
            ok("mapping", store.mapping(&t, kind, &d).await),
        ),
        (true, Some(better.clone())),
    );
    let pick = sample_mapping(&d, "103", true);
    expect_eq(
        "a user's pick replaces an unverified mapping",
        (
            ok("save_mapping", store.save_mapping(&t, kind, &pick).await),
            ok("mapping", store.mapping(&t, kind, &d).await),
        ),
        (true, Some(pick.clone())),
    );
    expect_eq(
        "an unverified mapping never replaces a verified one: false, unchanged",
        (
            ok("save_mapping", store.save_mapping(&t, kind, &better).await),
            ok("mapping", store.mapping(&t, kind, &d).await),
        ),
        (false, Some(pick.clone())),
    );
    let repick = sample_mapping(&d, "104", true);
    expect_eq(
        "a verified mapping is replaced by a verified one (a user re-picks)",
        (
            ok("save_mapping", store.save_mapping(&t, kind, &repick).await),
            ok("mapping", store.mapping(&t, kind, &d).await),
        ),
        (true, Some(repick.clone())),
    );

    // Follow-ups racing a user's pick cannot undo it, whichever lands first.
    let d2 = random_domain();
    let pick = sample_mapping(&d2, "201", true);
    let guesses: Vec<_> = (0..5)
        .map(|i| sample_mapping(&d2, &format!("21{i}"), false))
        .collect();
    let mut saves = vec![store.save_mapping(&t, kind, &pick)];
    saves.extend(guesses.iter().map(|g| store.save_mapping(&t, kind, g)));
    for r in join_all(saves).await {
        ok("a racing save_mapping", r);
    }
    expect_eq(
        "of a user's pick racing unverified saves, the pick stays",
        ok("mapping", store.mapping(&t, kind, &d2).await),
        Some(pick),
    );
}

async fn counting(store: &dyn CrmDirectory) {
    let (t, d) = (random_tenant(), random_domain());
    let kind = CrmKind::Salesforce;
    ok(
        "mapping_used of an unmapped domain",
        store.mapping_used(&t, kind, &d).await,
    );
    expect_eq(
        "mapping_used of an unmapped domain creates nothing",
        ok("mapping", store.mapping(&t, kind, &d).await),
        None,
    );
    let mut m = sample_mapping(&d, "301", true);
    m.times_used = 2;
    ok("save_mapping", store.save_mapping(&t, kind, &m).await);
    ok("mapping_used", store.mapping_used(&t, kind, &d).await);
    m.times_used = 3;
    expect_eq(
        "mapping_used adds one and changes nothing else",
        ok("mapping", store.mapping(&t, kind, &d).await),
        Some(m.clone()),
    );
    let results = join_all(
        (0..USERS)
            .map(|_| store.mapping_used(&t, kind, &d))
            .collect(),
    )
    .await;
    for r in results {
        ok("a concurrent mapping_used", r);
    }
    expect_eq(
        "N concurrent mapping_used add N",
        ok("mapping", store.mapping(&t, kind, &d).await).map(|m| m.times_used),
        Some(3 + USERS),
    );
}

async fn per_kind_and_deletes(store: &dyn CrmDirectory) {
    let (t, other) = (random_tenant(), random_tenant());
    let (d, d2) = (random_domain(), random_domain());
    let in_hubspot = sample_mapping(&d, "401", true);
    let in_pipedrive = sample_mapping(&d, "9001", false);
    let also_hubspot = sample_mapping(&d2, "402", false);
    ok(
        "save",
        store.save_mapping(&t, CrmKind::Hubspot, &in_hubspot).await,
    );
    expect_eq(
        "the same domain in another CRM is another mapping (a pick in one does not block the other)",
        ok(
            "save",
            store
                .save_mapping(&t, CrmKind::Pipedrive, &in_pipedrive)
                .await,
        ),
        true,
    );
    ok(
        "save",
        store
            .save_mapping(&t, CrmKind::Hubspot, &also_hubspot)
            .await,
    );
    ok(
        "mapping_used",
        store.mapping_used(&t, CrmKind::Pipedrive, &d).await,
    );
    expect_eq(
        "mappings are per (kind, domain)",
        (
            ok("mapping", store.mapping(&t, CrmKind::Hubspot, &d).await),
            ok("mapping", store.mapping(&t, CrmKind::Pipedrive, &d).await).map(|m| m.times_used),
            ok("mapping", store.mapping(&t, CrmKind::Crono, &d).await),
        ),
        (Some(in_hubspot.clone()), Some(1), None),
    );

    let mut settings = CrmSettings::default();
    settings.connect(sample_connection(CrmKind::Hubspot, 1_750_000_000));
    ok(
        "put_settings",
        store.put_settings(&t, &settings, &Expected::Absent).await,
    );
    let kept = sample_mapping(&d, "501", true);
    ok(
        "save",
        store.save_mapping(&other, CrmKind::Hubspot, &kept).await,
    );
    ok(
        "put_settings (other tenant)",
        store
            .put_settings(&other, &settings, &Expected::Absent)
            .await,
    );

    ok(
        "delete_mappings",
        store.delete_mappings(&t, CrmKind::Hubspot).await,
    );
    expect_eq(
        "delete_mappings removes every mapping of that kind and only those",
        (
            ok("mapping", store.mapping(&t, CrmKind::Hubspot, &d).await),
            ok("mapping", store.mapping(&t, CrmKind::Hubspot, &d2).await),
            ok("mapping", store.mapping(&t, CrmKind::Pipedrive, &d).await).is_some(),
            ok("settings", store.settings(&t).await).map(|v| v.value),
        ),
        (None, None, true, Some(settings.clone())),
    );
    ok(
        "delete_mappings of a kind without mappings",
        store.delete_mappings(&t, CrmKind::Crono).await,
    );

    ok("delete_all", store.delete_all(&t).await);
    expect_eq(
        "delete_all removes the tenant's settings and every mapping",
        (
            ok("settings", store.settings(&t).await),
            ok("mapping", store.mapping(&t, CrmKind::Pipedrive, &d).await),
        ),
        (None, None),
    );
    expect_eq(
        "delete_all leaves other tenants' settings and mappings",
        (
            ok("settings", store.settings(&other).await).map(|v| v.value),
            ok("mapping", store.mapping(&other, CrmKind::Hubspot, &d).await),
        ),
        (Some(settings), Some(kept)),
    );
    ok("delete_all of an empty tenant", store.delete_all(&t).await);
}
