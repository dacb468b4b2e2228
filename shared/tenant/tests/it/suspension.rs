//! An operator's suspension survives Slack's lifecycle: a reinstall (OAuth or the operator's
//! token import) keeps a suspended tenant suspended, an uninstall remembers it, and only
//! `resume` lifts it. Status changes are conditional on the status read, so a suspend or resume
//! racing an uninstall (or a reinstall) never ends in an uninstalled tenant marked active:
//! [`Interleaved`] lands the other writer's change between a service's read and its write.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tenant::audit::AuditAction;
use tenant::ports::{StoreError, TenantDirectory};
use tenant::service::{self, NewInstall, Resolved, TenantError, actor, oauth_install};
use tenant::testkit::memory::MemoryTenants;
use tenant::testkit::{MemoryStores, random_tenant};
use tenant::{Backend, BotIdentity, Installation, Tenant, TenantId, TenantStatus};

use crate::common;

use common::{NOW, NOW_MS, new_install};

async fn status(backend: &Backend, id: &TenantId) -> TenantStatus {
    backend.tenants.get(id).await.unwrap().unwrap().status
}

async fn installed(stores: &MemoryStores) -> TenantId {
    let id = random_tenant();
    oauth_install(
        &stores.backend(),
        new_install(&id, "one", &["commands"]),
        NOW_MS,
    )
    .await
    .unwrap();
    id
}

/// Installs `id` again through OAuth, with new tokens (`xoxe.xoxb-two`).
async fn reinstall(backend: &Backend, id: &TenantId) -> tenant::service::Installed {
    oauth_install(
        backend,
        new_install(id, "two", &["commands"]),
        NOW_MS + 5_000,
    )
    .await
    .unwrap()
}

async fn audit_actions(backend: &Backend, id: &TenantId) -> Vec<AuditAction> {
    let entries = backend.audit.list(id).await.unwrap();
    entries.iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn a_suspended_tenant_that_reinstalls_through_oauth_stays_suspended() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = installed(&stores).await;
    service::suspend(&backend, &id, actor::OPERATOR, NOW + 1)
        .await
        .unwrap();

    let done = reinstall(&backend, &id).await;
    assert!(done.reinstall);
    assert_eq!(done.tenant.status, TenantStatus::Suspended);
    assert_eq!(status(&backend, &id).await, TenantStatus::Suspended);
    assert!(matches!(
        service::resolve(&backend, &id).await.unwrap(),
        Resolved::Suspended(_)
    ));
    // The new tokens are stored: resuming needs no second install.
    let bot = backend.vault.get(&id).await.unwrap().unwrap().bot.unwrap();
    assert_eq!(bot.token.expose(), "xoxe.xoxb-two");
    let entries = backend.audit.list(&id).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action, AuditAction::Reinstall);
    assert!(last.detail.ends_with("stays suspended"), "{}", last.detail);

    service::resume(&backend, &id, actor::OPERATOR, NOW + 10)
        .await
        .unwrap();
    assert_eq!(status(&backend, &id).await, TenantStatus::Active);
}

#[tokio::test]
async fn a_suspended_tenant_that_uninstalls_and_reinstalls_stays_suspended() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = installed(&stores).await;
    service::suspend(&backend, &id, actor::OPERATOR, NOW + 1)
        .await
        .unwrap();
    service::uninstall(&backend, &id, NOW + 2).await.unwrap();
    assert_eq!(
        status(&backend, &id).await,
        TenantStatus::UninstalledSuspended
    );
    assert!(matches!(
        service::resolve(&backend, &id).await.unwrap(),
        Resolved::NotInstalled
    ));
    // Resume does not apply to an uninstalled tenant, and does not forget the suspension.
    assert!(matches!(
        service::resume(&backend, &id, actor::OPERATOR, NOW + 3).await,
        Err(TenantError::Uninstalled(_))
    ));

    reinstall(&backend, &id).await;
    assert_eq!(status(&backend, &id).await, TenantStatus::Suspended);
    service::resume(&backend, &id, actor::OPERATOR, NOW + 10)
        .await
        .unwrap();
    assert_eq!(status(&backend, &id).await, TenantStatus::Active);
    assert_eq!(
        audit_actions(&backend, &id).await,
        [
            AuditAction::Install,
            AuditAction::Suspend,
            AuditAction::Uninstall,
            AuditAction::Reinstall,
            AuditAction::Resume,
        ]
    );
}

#[tokio::test]
async fn an_operator_token_import_keeps_a_suspension_too() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = installed(&stores).await;
    service::suspend(&backend, &id, actor::OPERATOR, NOW + 1)
        .await
        .unwrap();
    service::uninstall(&backend, &id, NOW + 2).await.unwrap();
    let oauth = new_install(&id, "cli", &["commands"]);
    let new = NewInstall {
        installation: oauth.installation,
        name: "Acme".into(),
        bot: oauth.bot,
    };
    let tenant = service::install(&backend, new.clone(), NOW + 3)
        .await
        .unwrap();
    assert_eq!(tenant.status, TenantStatus::Suspended);
    // Installing an installed, suspended tenant again keeps it suspended as well.
    service::install(&backend, new, NOW + 4).await.unwrap();
    assert_eq!(status(&backend, &id).await, TenantStatus::Suspended);
}

#[tokio::test]
async fn an_uninstall_without_a_suspension_reinstalls_active_and_repeats_are_no_ops() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = installed(&stores).await;
    service::uninstall(&backend, &id, NOW + 1).await.unwrap();
    service::uninstall(&backend, &id, NOW + 2).await.unwrap();
    assert_eq!(status(&backend, &id).await, TenantStatus::Uninstalled);
    reinstall(&backend, &id).await;
    assert_eq!(status(&backend, &id).await, TenantStatus::Active);
    // A resume of an active tenant and a second suspend change (and audit) nothing.
    service::resume(&backend, &id, actor::OPERATOR, NOW + 6)
        .await
        .unwrap();
    service::suspend(&backend, &id, actor::OPERATOR, NOW + 7)
        .await
        .unwrap();
    service::suspend(&backend, &id, actor::OPERATOR, NOW + 8)
        .await
        .unwrap();
    assert_eq!(
        audit_actions(&backend, &id).await,
        [
            AuditAction::Install,
            AuditAction::Uninstall,
            AuditAction::Reinstall,
            AuditAction::Suspend,
        ]
    );
}

/// A directory that lands another writer's status change just before the first conditional
/// write a service makes: the interleaving "read, other writer, write" made deterministic.
struct Interleaved {
    inner: Arc<MemoryTenants>,
    /// The other writer's change (from, to), made once.
    other: Mutex<Option<(TenantStatus, TenantStatus)>>,
}

impl Interleaved {
    async fn other_writer(&self, id: &TenantId) {
        let change = self.other.lock().unwrap().take();
        if let Some((from, to)) = change {
            let landed = self.inner.set_status_if(id, from, to, NOW).await.unwrap();
            assert!(landed, "the other writer's change applies to what was read");
        }
    }
}

#[async_trait]
impl TenantDirectory for Interleaved {
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.inner.get(id).await
    }
    async fn put(&self, tenant: &Tenant) -> Result<(), StoreError> {
        self.inner.put(tenant).await
    }
    async fn put_if(
        &self,
        tenant: &Tenant,
        expected: Option<TenantStatus>,
    ) -> Result<bool, StoreError> {
        self.other_writer(&tenant.id).await;
        self.inner.put_if(tenant, expected).await
    }
    async fn set_status_if(
        &self,
        id: &TenantId,
        expected: TenantStatus,
        new: TenantStatus,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.other_writer(id).await;
        self.inner.set_status_if(id, expected, new, now).await
    }
    async fn list(&self) -> Result<Vec<Tenant>, StoreError> {
        self.inner.list().await
    }
    async fn get_installation(&self, id: &TenantId) -> Result<Option<Installation>, StoreError> {
        self.inner.get_installation(id).await
    }
    async fn bot_identity(&self, id: &TenantId) -> Result<Option<BotIdentity>, StoreError> {
        self.inner.bot_identity(id).await
    }
    async fn put_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        self.inner.put_installation(installation).await
    }
}

/// A backend over `stores` whose directory lets `other` land between a read and a write.
fn racing(stores: &MemoryStores, other: (TenantStatus, TenantStatus)) -> Backend {
    Backend {
        tenants: Arc::new(Interleaved {
            inner: stores.tenants.clone(),
            other: Mutex::new(Some(other)),
        }),
        ..stores.backend()
    }
}

/// A tenant installed through OAuth, suspended by an operator first when `suspended`.
async fn tenant(suspended: bool) -> (MemoryStores, TenantId) {
    let stores = MemoryStores::new();
    let id = installed(&stores).await;
    if suspended {
        service::suspend(&stores.backend(), &id, actor::OPERATOR, NOW)
            .await
            .unwrap();
    }
    (stores, id)
}

#[tokio::test]
async fn a_suspend_or_resume_racing_an_uninstall_is_refused_and_never_leaves_it_active() {
    use TenantStatus::*;
    // (suspended first, the uninstall landing between the operator's read and write, result)
    for (suspended, uninstall, want) in [
        (
            true,
            (Suspended, UninstalledSuspended),
            UninstalledSuspended,
        ),
        (false, (Active, Uninstalled), Uninstalled),
    ] {
        let (stores, id) = tenant(suspended).await;
        let backend = racing(&stores, uninstall);
        let changed = if suspended {
            service::resume(&backend, &id, actor::OPERATOR, NOW + 1).await
        } else {
            service::suspend(&backend, &id, actor::OPERATOR, NOW + 1).await
        };
        assert!(
            matches!(changed, Err(TenantError::Uninstalled(_))),
            "{changed:?}"
        );
        assert_eq!(status(&backend, &id).await, want);
    }
}

#[tokio::test]
async fn an_uninstall_racing_a_suspend_or_resume_ends_uninstalled_with_the_winners_choice() {
    use TenantStatus::*;
    // (suspended first, the operator's change landing between the uninstall's read and
    // write, result): a suspend that won is remembered, a resume that won is too.
    for (suspended, operator, want) in [
        (false, (Active, Suspended), UninstalledSuspended),
        (true, (Suspended, Active), Uninstalled),
    ] {
        let (stores, id) = tenant(suspended).await;
        service::uninstall(&racing(&stores, operator), &id, NOW + 1)
            .await
            .unwrap();
        assert_eq!(status(&stores.backend(), &id).await, want);
    }
}

#[tokio::test]
async fn a_reinstall_racing_a_suspend_keeps_the_suspension() {
    use TenantStatus::*;
    let (stores, id) = tenant(false).await;
    // The reinstall reads `active`; the operator's suspend lands before its write.
    let backend = racing(&stores, (Active, Suspended));
    let done = reinstall(&backend, &id).await;
    assert_eq!(done.tenant.status, Suspended);
    assert_eq!(status(&backend, &id).await, Suspended);
}
