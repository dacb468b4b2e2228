use super::{expect_eq, ok};
use crate::model::{Plan, Tenant, TenantStatus};
use crate::ports::{StoreError, TenantDirectory};
use crate::testkit::{join_all, random_enterprise_tenant, random_tenant, sample_installation};

/// [`TenantDirectory`]: get/put round trip and replace; the compare-and-sets `put_if` and
/// `set_status_if` (write only from the state read, `NotFound` and nothing created for a missing
/// tenant, every status stored), and of racers that read the same record exactly one wins;
/// `list` ordered by the id's string form; installations.
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

    match dir
        .set_status_if(&id, TenantStatus::Active, TenantStatus::Suspended, 10)
        .await
    {
        Err(StoreError::NotFound) => {}
        other => panic!(
            "contract broken: set_status_if on a missing tenant must be NotFound, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    expect_eq(
        "put_if expecting a status on a missing tenant writes nothing",
        ok(
            "put_if",
            dir.put_if(
                &Tenant::new(id.clone(), "Ghost", 10),
                Some(TenantStatus::Active),
            )
            .await,
        ),
        false,
    );
    expect_eq(
        "set_status_if and put_if on a missing tenant create nothing",
        ok("get", dir.get(&id).await),
        None,
    );

    let mut tenant = Tenant::new(id.clone(), "Acme Corp", 100);
    expect_eq(
        "put_if expecting no record creates it",
        ok("put_if", dir.put_if(&tenant, None).await),
        true,
    );
    expect_eq(
        "put_if then get returns the record",
        ok("get", dir.get(&id).await),
        Some(tenant.clone()),
    );
    let other = Tenant::new(id.clone(), "Someone else", 110);
    expect_eq(
        "put_if expecting no record does not replace one",
        ok("put_if", dir.put_if(&other, None).await),
        false,
    );
    expect_eq(
        "a refused put_if changes nothing",
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

    expect_eq(
        "set_status_if from a status the tenant is not in writes nothing",
        ok(
            "set_status_if",
            dir.set_status_if(&id, TenantStatus::Suspended, TenantStatus::Active, 160)
                .await,
        ),
        false,
    );
    expect_eq(
        "a refused set_status_if changes nothing",
        ok("get", dir.get(&id).await),
        Some(tenant.clone()),
    );
    expect_eq(
        "set_status_if from the status read writes",
        ok(
            "set_status_if",
            dir.set_status_if(&id, TenantStatus::Active, TenantStatus::Suspended, 200)
                .await,
        ),
        true,
    );
    let suspended = Tenant {
        status: TenantStatus::Suspended,
        updated_at: 200,
        ..tenant.clone()
    };
    expect_eq(
        "set_status_if changes status and updated_at only",
        ok("get", dir.get(&id).await),
        Some(suspended.clone()),
    );
    let renamed = Tenant {
        name: "Acme Inc".into(),
        updated_at: 210,
        ..suspended.clone()
    };
    expect_eq(
        "put_if expecting a status the tenant left writes nothing",
        ok(
            "put_if",
            dir.put_if(&renamed, Some(TenantStatus::Active)).await,
        ),
        false,
    );
    expect_eq(
        "put_if expecting the stored status replaces the record",
        ok(
            "put_if",
            dir.put_if(&renamed, Some(TenantStatus::Suspended)).await,
        ),
        true,
    );
    expect_eq(
        "put_if wrote the whole record",
        ok("get", dir.get(&id).await),
        Some(renamed),
    );
    for status in TenantStatus::ALL {
        let from = ok("get", dir.get(&id).await).map(|t| t.status);
        let from = from.unwrap_or(TenantStatus::Active);
        ok(
            "set_status_if",
            dir.set_status_if(&id, from, status, 300).await,
        );
        expect_eq(
            "every status round-trips",
            ok("get", dir.get(&id).await).map(|t| t.status),
            Some(status),
        );
    }

    races(dir).await;
    list_is_ordered(dir, tenant.id.clone()).await;
    installations(dir).await;
}

/// Racers that read the same record: exactly one compare-and-set wins, whatever the mix.
async fn races(dir: &dyn TenantDirectory) {
    const RACERS: usize = 16;
    // First installs of one new tenant: one creates it.
    let id = random_tenant();
    let creates = join_all(
        (0..RACERS)
            .map(|i| {
                let tenant = Tenant::new(id.clone(), format!("racer {i}"), 1);
                async move { dir.put_if(&tenant, None).await }
            })
            .collect(),
    )
    .await;
    let won = creates.into_iter().map(|r| ok("put_if", r)).filter(|w| *w);
    expect_eq("of concurrent creates exactly one wins", won.count(), 1);

    // Suspends, uninstalls and whole-record writes, all from `Active` and each changing the
    // status, so a second winner would have written over a status it never read.
    let stored = ok("get", dir.get(&id).await).expect("the racers created the tenant");
    let writes = join_all(
        (0..RACERS)
            .map(|i| {
                let stored = stored.clone();
                async move {
                    match i % 3 {
                        0 => {
                            dir.set_status_if(
                                &stored.id,
                                TenantStatus::Active,
                                TenantStatus::Suspended,
                                2,
                            )
                            .await
                        }
                        1 => {
                            dir.set_status_if(
                                &stored.id,
                                TenantStatus::Active,
                                TenantStatus::Uninstalled,
                                2,
                            )
                            .await
                        }
                        _ => {
                            let renamed = Tenant {
                                name: format!("racer {i}"),
                                status: TenantStatus::UninstalledSuspended,
                                updated_at: 2,
                                ..stored.clone()
                            };
                            dir.put_if(&renamed, Some(TenantStatus::Active)).await
                        }
                    }
                }
            })
            .collect(),
    )
    .await;
    let won = writes.into_iter().map(|r| ok("race", r)).filter(|w| *w);
    expect_eq(
        "of concurrent compare-and-sets from one read exactly one wins",
        won.count(),
        1,
    );
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
