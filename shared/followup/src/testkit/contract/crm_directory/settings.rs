use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tenant::TenantId;
use tenant::ports::{Expected, Version, Versioned};
use tenant::testkit::{join_all, random_tenant};

use super::{expect_conflict, sample_connection};
use crate::crm::{CrmKind, Domain};
use crate::ports::{AccountMapping, CrmDirectory, CrmSettings, DirectoryError, update_settings};
use crate::testkit::contract::{expect_eq, ok};

/// How many writers race for one version.
const RACERS: usize = 6;

pub(super) async fn settings(store: &dyn CrmDirectory) {
    let t = random_tenant();
    expect_eq(
        "settings of a tenant that never connected a CRM are None",
        ok("settings", store.settings(&t).await),
        None,
    );
    let mut first = CrmSettings::default();
    first.connect(sample_connection(CrmKind::Hubspot, 1_750_000_000));
    let v1 = ok(
        "put_settings (absent)",
        store.put_settings(&t, &first, &Expected::Absent).await,
    );
    expect_eq(
        "put then read returns them at the version put returned",
        ok("settings", store.settings(&t).await),
        Some(Versioned {
            value: first.clone(),
            version: v1.clone(),
        }),
    );
    expect_conflict(
        "a second put expecting Absent",
        store.put_settings(&t, &first, &Expected::Absent).await,
    );

    // Every field survives: two connections, a label-less one, a broken one, a default
    // that is not the first.
    let mut second = first.clone();
    let mut pipedrive = sample_connection(CrmKind::Pipedrive, 1_750_000_100);
    pipedrive.label = None;
    second.connect(pipedrive);
    second.mark_broken(CrmKind::Hubspot, 1_750_000_200);
    second.default = Some(CrmKind::Pipedrive);
    let v2 = ok(
        "put_settings at the version read",
        store
            .put_settings(&t, &second, &Expected::At(v1.clone()))
            .await,
    );
    assert!(
        v2 != v1,
        "contract broken: a write kept the version it replaced"
    );
    expect_conflict(
        "put_settings at a stale version",
        store
            .put_settings(&t, &first, &Expected::At(v1.clone()))
            .await,
    );
    expect_eq(
        "a refused put changes nothing; every field round-trips",
        ok("settings", store.settings(&t).await),
        Some(Versioned {
            value: second.clone(),
            version: v2.clone(),
        }),
    );

    ok("delete_all", store.delete_all(&t).await);
    expect_eq(
        "settings after delete_all are None",
        ok("settings", store.settings(&t).await),
        None,
    );
    expect_conflict(
        "put_settings at the version of deleted settings",
        store
            .put_settings(&t, &second, &Expected::At(v2.clone()))
            .await,
    );
    let v3 = ok(
        "put_settings (absent) after delete_all",
        store.put_settings(&t, &first, &Expected::Absent).await,
    );
    assert!(
        v3 != v1 && v3 != v2,
        "contract broken: settings created again got back an old version"
    );

    racing_writers(store).await;
}

async fn racing_writers(store: &dyn CrmDirectory) {
    let t = random_tenant();
    let creators: Vec<CrmSettings> = CrmKind::ALL
        .into_iter()
        .cycle()
        .take(RACERS)
        .map(|kind| {
            let mut s = CrmSettings::default();
            s.connect(sample_connection(kind, 1_750_000_000));
            s
        })
        .collect();
    let results = join_all(
        creators
            .iter()
            .map(|s| store.put_settings(&t, s, &Expected::Absent))
            .collect(),
    )
    .await;
    let won = winner("racing creators", &results);
    let read = ok("settings", store.settings(&t).await).expect("settings were created");
    expect_eq(
        "the stored settings are the winning creator's",
        &read.value,
        &creators[won],
    );

    let writers: Vec<CrmSettings> = (0..RACERS)
        .map(|i| {
            let mut s = read.value.clone();
            let mut c = sample_connection(CrmKind::Crono, 1_750_000_000 + i as i64);
            c.label = Some(format!("writer{i}"));
            s.connect(c);
            s
        })
        .collect();
    let expected = Expected::At(read.version.clone());
    let results = join_all(
        writers
            .iter()
            .map(|s| store.put_settings(&t, s, &expected))
            .collect(),
    )
    .await;
    let won = winner("racing writers from one version", &results);
    expect_eq(
        "the stored settings are the winning writer's",
        ok("settings", store.settings(&t).await).map(|v| v.value),
        Some(writers[won].clone()),
    );
}

/// The index of the one `Ok` among `results`, the others being `Conflict`.
fn winner(what: &str, results: &[Result<Version, DirectoryError>]) -> usize {
    let oks: Vec<usize> = (0..results.len()).filter(|i| results[*i].is_ok()).collect();
    assert!(
        oks.len() == 1,
        "contract broken: of {what} exactly one wins, got {results:?}"
    );
    for result in results {
        if let Err(err) = result {
            assert!(
                matches!(err, DirectoryError::Conflict),
                "contract broken: {what}: the losers get Conflict, got {err:?}"
            );
        }
    }
    oks[0]
}

/// `update_settings` on this adapter: a change that loses races is redone on the winner's
/// settings; a no-op writes nothing; it gives up with `Conflict` when it never wins;
/// concurrent updates of different connections all land.
pub(super) async fn update_settings_contract(store: &dyn CrmDirectory) {
    let t = random_tenant();
    let contended = Contended::new(store, 2);
    let (answer, got) = ok(
        "update_settings under contention",
        update_settings(&contended, &t, |s| {
            s.connect(sample_connection(CrmKind::Hubspot, 1_750_000_000));
            "done"
        })
        .await,
    );
    expect_eq(
        "update_settings answers what the change returned",
        answer,
        "done",
    );
    let stored = ok("settings", store.settings(&t).await).expect("settings were written");
    expect_eq(
        "update_settings answers the settings stored",
        &got,
        &stored.value,
    );
    expect_eq(
        "the change was redone on the other writer's settings (its connection kept, ours added)",
        got.connections.iter().map(|c| c.kind).collect::<Vec<_>>(),
        vec![CrmKind::Crono, CrmKind::Hubspot],
    );
    expect_eq(
        "the other writer's connection came first, so it is the default",
        got.default,
        Some(CrmKind::Crono),
    );

    let quiet = Contended::new(store, 0);
    ok(
        "a no-op update_settings",
        update_settings(&quiet, &t, |s| s.mark_broken(CrmKind::Pipedrive, 1)).await,
    );
    expect_eq(
        "a no-op update_settings writes nothing",
        (quiet.puts(), ok("settings", store.settings(&t).await)),
        (0, Some(stored.clone())),
    );
    let fresh = random_tenant();
    ok(
        "a no-op update_settings of a tenant without settings",
        update_settings(&quiet, &fresh, |_| ()).await,
    );
    expect_eq(
        "a no-op update_settings creates nothing",
        (quiet.puts(), ok("settings", store.settings(&fresh).await)),
        (0, None),
    );

    let hopeless = Contended::new(store, 100);
    let result = update_settings(&hopeless, &t, |s| s.disconnect(CrmKind::Hubspot)).await;
    expect_conflict(
        "update_settings that loses every race gives up",
        result.map(|_| ()),
    );

    let racing = random_tenant();
    let results = join_all(
        CrmKind::ALL
            .into_iter()
            .map(|kind| {
                update_settings(store, &racing, move |s| {
                    s.connect(sample_connection(kind, 1_750_000_000))
                })
            })
            .collect(),
    )
    .await;
    for r in results {
        ok("a concurrent update_settings", r);
    }
    let mut kinds: Vec<CrmKind> = ok("settings", store.settings(&racing).await)
        .map(|v| v.value.connections.iter().map(|c| c.kind).collect())
        .unwrap_or_default();
    kinds.sort();
    expect_eq(
        "concurrent update_settings of four connections keep all four",
        kinds,
        CrmKind::ALL.to_vec(),
    );
}

/// The store under test, where another writer gets in first: before each of the first
/// `interfere` puts it connects Crono itself (or relabels it), so that put conflicts.
struct Contended<'a> {
    inner: &'a dyn CrmDirectory,
    interfere: AtomicUsize,
    puts: AtomicUsize,
}

impl<'a> Contended<'a> {
    fn new(inner: &'a dyn CrmDirectory, interfere: usize) -> Self {
        Self {
            inner,
            interfere: AtomicUsize::new(interfere),
            puts: AtomicUsize::new(0),
        }
    }

    fn puts(&self) -> usize {
        self.puts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CrmDirectory for Contended<'_> {
    async fn settings(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<Versioned<CrmSettings>>, DirectoryError> {
        self.inner.settings(tenant).await
    }

    async fn put_settings(
        &self,
        tenant: &TenantId,
        settings: &CrmSettings,
        expected: &Expected,
    ) -> Result<Version, DirectoryError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        let left = self.interfere.load(Ordering::SeqCst);
        if left > 0 {
            self.interfere.store(left - 1, Ordering::SeqCst);
            let read = self.inner.settings(tenant).await?;
            let mut other = read.as_ref().map(|v| v.value.clone()).unwrap_or_default();
            let mut crono = sample_connection(CrmKind::Crono, 1_700_000_000);
            crono.label = Some(format!("interferer {left}"));
            other.connect(crono);
            self.inner
                .put_settings(tenant, &other, &Expected::of(read.as_ref()))
                .await?;
        }
        self.inner.put_settings(tenant, settings, expected).await
    }

    async fn mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<Option<AccountMapping>, DirectoryError> {
        self.inner.mapping(tenant, kind, domain).await
    }

    async fn save_mapping(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        mapping: &AccountMapping,
    ) -> Result<bool, DirectoryError> {
        self.inner.save_mapping(tenant, kind, mapping).await
    }

    async fn mapping_used(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
        domain: &Domain,
    ) -> Result<(), DirectoryError> {
        self.inner.mapping_used(tenant, kind, domain).await
    }

    async fn delete_mappings(
        &self,
        tenant: &TenantId,
        kind: CrmKind,
    ) -> Result<(), DirectoryError> {
        self.inner.delete_mappings(tenant, kind).await
    }

    async fn delete_all(&self, tenant: &TenantId) -> Result<(), DirectoryError> {
        self.inner.delete_all(tenant).await
    }
}
