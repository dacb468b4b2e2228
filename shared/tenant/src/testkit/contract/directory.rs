use super::{expect_eq, ok};
use crate::model::{Plan, Tenant, TenantStatus};
use crate::ports::{StoreError, TenantDirectory};
use crate::testkit::{random_enterprise_tenant, random_tenant, sample_installation};

/// [`TenantDirectory`]: get/put round trip and replace, `set_status` (and its `NotFound`
/// without creating anything), `list` ordered by the id's string form, installations.
pub async fn tenant_directory(dir: &dyn TenantDirectory) {
    let id = random_tenant();
    expect_eq(
        "get of a tenant never stored is None",
        ok("get", dir.get(&id).await),
        None,
    );
    expect_eq(
        "get_installation of a tenant never stored is None",
        ok("get_installation", dir.get_installation(&id).await),
        None,
    );

    match dir.set_status(&id, TenantStatus::Suspended, 10).await {
        Err(StoreError::NotFound) => {}
        other => panic!(
            "contract broken: set_status on a missing tenant must be NotFound, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    expect_eq(
        "set_status on a missing tenant creates nothing",
        ok("get", dir.get(&id).await),
        None,
    );

    let mut tenant = Tenant::new(id.clone(), "Acme Corp", 100);
    ok("put", dir.put(&tenant).await);
    expect_eq(
        "put then get returns the record",
        ok("get", dir.get(&id).await),
        Some(tenant.clone()),
    );

    tenant.name = "Acme Corporation".into();
    tenant.plan = Plan::Team;
    tenant.updated_at = 150;
    ok("put (replace)", dir.put(&tenant).await);
    expect_eq(
        "put replaces the record",
        ok("get", dir.get(&id).await),
        Some(tenant.clone()),
    );

    ok(
        "set_status",
        dir.set_status(&id, TenantStatus::Suspended, 200).await,
    );
    let want = Tenant {
        status: TenantStatus::Suspended,
        updated_at: 200,
        ..tenant.clone()
    };
    expect_eq(
        "set_status changes status and updated_at only",
        ok("get", dir.get(&id).await),
        Some(want),
    );

    list_is_ordered(dir, tenant.id.clone()).await;
    installations(dir).await;
}

async fn list_is_ordered(dir: &dyn TenantDirectory, first: crate::TenantId) {
    // Mixed `T…` and `E…` ids: the order is the ids' string order (`E…` before `T…`), the
    // order every store gives for a text key.
    let mut ours = vec![first];
    for i in 0..4 {
        let id = if i % 2 == 0 {
            random_tenant()
        } else {
            random_enterprise_tenant()
        };
        ok(
            "put",
            dir.put(&Tenant::new(id.clone(), format!("t{i}"), 1)).await,
        );
        ours.push(id);
    }
    let listed = ok("list", dir.list().await);
    let ids: Vec<&str> = listed.iter().map(|t| t.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    expect_eq("list is ordered by id, each tenant once", &ids, &sorted);
    for id in &ours {
        assert!(
            ids.contains(&id.as_str()),
            "contract broken: list is missing stored tenant {id}"
        );
    }
}

async fn installations(dir: &dyn TenantDirectory) {
    for id in [random_tenant(), random_enterprise_tenant()] {
        expect_eq(
            "bot_identity of a tenant without an installation is None",
            ok("bot_identity", dir.bot_identity(&id).await),
            None,
        );
        let installation = sample_installation(&id, 1_700_000_000);
        ok(
            "put_installation",
            dir.put_installation(&installation).await,
        );
        expect_eq(
            "put_installation then get_installation returns it",
            ok("get_installation", dir.get_installation(&id).await),
            Some(installation.clone()),
        );
        expect_eq(
            "bot_identity is the installation's bot ids",
            ok("bot_identity", dir.bot_identity(&id).await),
            Some(crate::model::BotIdentity::of(&installation)),
        );
        // A reinstall can come with a new bot user (the app was removed and added again).
        let replaced = crate::model::Installation {
            bot_scopes: vec!["chat:write".into()],
            bot_user_id: Some(crate::ids::UserId::parse("U0REPLACED").expect("a user id")),
            installed_at: 1_700_000_500,
            ..installation
        };
        ok(
            "put_installation (replace)",
            dir.put_installation(&replaced).await,
        );
        expect_eq(
            "bot_identity follows a replaced installation",
            ok("bot_identity", dir.bot_identity(&id).await),
            Some(crate::model::BotIdentity::of(&replaced)),
        );
        expect_eq(
            "put_installation replaces the installation",
            ok("get_installation", dir.get_installation(&id).await),
            Some(replaced),
        );
        expect_eq(
            "an installation does not create a tenant record",
            ok("get", dir.get(&id).await),
            None,
        );
    }
}
