//! `service::oauth_install` on the memory backend: what an install stores, what a reinstall
//! keeps, and that a storage failure at any step leaves the tenant as it was.

use tenant::audit::{AuditAction, verify_chain};
use tenant::ports::{Expected, replace_bundle};
use tenant::service::{self, Resolved, oauth_install};
use tenant::testkit::{MemoryStores, random_tenant, sample_bundle, sample_credential};
use tenant::{CredentialId, JobKind, Plan, Provider, Tenant, TenantId, TenantStatus};

fn webhook(tenant: &TenantId) -> CredentialId {
    CredentialId::tenant_wide(tenant.clone(), Provider::SlackIncomingWebhook)
}

use crate::common;

use common::{NOW, NOW_MS, installer, new_install};

#[tokio::test]
async fn a_first_install_stores_tokens_installation_tenant_job_and_audit_entry() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = random_tenant();
    let done = oauth_install(&backend, new_install(&id, "one", &["commands"]), NOW_MS)
        .await
        .unwrap();
    assert!(!done.reinstall);
    assert_eq!(done.tenant.status, TenantStatus::Active);
    assert!(matches!(
        service::resolve(&backend, &id).await.unwrap(),
        Resolved::Active(_)
    ));
    let installation = backend
        .tenants
        .get_installation(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(installation.bot_scopes, ["commands"]);

    let bundle = backend.vault.get(&id).await.unwrap().unwrap();
    let bot = bundle.bot.unwrap();
    assert_eq!(bot.token.expose(), "xoxe.xoxb-one");
    assert_eq!(bot.refresh_token.unwrap().expose(), "xoxe-1-one");
    assert_eq!(bundle.users[&installer()].token.expose(), "xoxp-one");
    let hook = backend
        .credentials
        .get(&webhook(&id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hook.value.access_token.expose(),
        "https://hooks.slack.com/services/one"
    );

    let jobs = stores.queue.peek_all();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].kind,
        JobKind::Provision(tenant::job::Provision {
            installer: Some(installer()),
            reinstall: false
        })
    );
    assert_eq!(jobs[0].id, done.job.id);

    let entries = backend.audit.list(&id).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, AuditAction::Install);
    assert_eq!(entries[0].actor, "slack:U0INSTALLER");
    assert_eq!(entries[0].at, NOW);
    assert!(
        !entries[0].detail.contains("xox"),
        "no token in the audit log"
    );
}

#[tokio::test]
async fn a_reinstall_updates_scopes_and_tokens_and_keeps_the_tenants_data() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = random_tenant();
    // An existing tenant on a paid plan, with another user's token and a CRM credential.
    let created = Tenant {
        plan: Plan::Team,
        ..Tenant::new(id.clone(), "Old name", NOW - 86_400)
    };
    backend.tenants.put(&created).await.unwrap();
    replace_bundle(backend.vault.as_ref(), &id, sample_bundle("old"))
        .await
        .unwrap();
    let crm = CredentialId::tenant_wide(id.clone(), Provider::Hubspot);
    backend
        .credentials
        .put(&crm, &sample_credential("old"), &Expected::Absent)
        .await
        .unwrap();
    backend
        .tenants
        .set_status_if(
            &id,
            TenantStatus::Active,
            TenantStatus::Uninstalled,
            NOW - 10,
        )
        .await
        .unwrap();

    let done = oauth_install(
        &backend,
        new_install(&id, "two", &["commands", "chat:write"]),
        NOW_MS,
    )
    .await
    .unwrap();
    assert!(done.reinstall);
    let tenant = backend.tenants.get(&id).await.unwrap().unwrap();
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.plan, Plan::Team);
    assert_eq!(tenant.created_at, NOW - 86_400);
    assert_eq!(tenant.name, "Acme");
    let installation = backend
        .tenants
        .get_installation(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(installation.bot_scopes, ["commands", "chat:write"]);

    let bundle = backend.vault.get(&id).await.unwrap().unwrap();
    assert_eq!(bundle.bot.unwrap().token.expose(), "xoxe.xoxb-two");
    assert_eq!(bundle.users.len(), 2, "the other user's token stays");
    let crm = backend.credentials.get(&crm).await.unwrap().unwrap();
    assert_eq!(
        crm.value,
        sample_credential("old"),
        "the CRM credential stays"
    );
    let hook = backend
        .credentials
        .get(&webhook(&id))
        .await
        .unwrap()
        .unwrap();
    assert!(hook.value.access_token.expose().ends_with("/two"));

    let entries = backend.audit.list(&id).await.unwrap();
    assert_eq!(entries.last().unwrap().action, AuditAction::Reinstall);
    assert_eq!(
        verify_chain(backend.audit.as_ref(), &id, &entries).await,
        Ok(())
    );
    assert!(matches!(
        stores.queue.peek_all()[0].kind,
        JobKind::Provision(tenant::job::Provision {
            reinstall: true,
            ..
        })
    ));
}

#[tokio::test]
async fn a_vault_failure_stores_nothing() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = random_tenant();
    stores.vault.switch.set_down(true);
    let err = oauth_install(&backend, new_install(&id, "x", &["commands"]), NOW_MS)
        .await
        .unwrap_err();
    assert!(err.is_transient());
    stores.vault.switch.set_down(false);
    assert!(backend.tenants.get(&id).await.unwrap().is_none());
    assert!(
        backend
            .tenants
            .get_installation(&id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(backend.vault.get(&id).await.unwrap().is_none());
    assert!(stores.queue.is_empty());
    assert!(backend.audit.list(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failure_after_the_tokens_were_written_deletes_them_on_a_first_install() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = random_tenant();
    stores.queue.switch.set_down(true);
    oauth_install(&backend, new_install(&id, "x", &["commands"]), NOW_MS)
        .await
        .unwrap_err();
    stores.queue.switch.set_down(false);
    assert!(backend.vault.get(&id).await.unwrap().is_none());
    assert!(stores.credentials.is_empty(), "the webhook is removed too");
    // No delete in the directory port: the record written is rolled back to uninstalled.
    assert!(matches!(
        service::resolve(&backend, &id).await.unwrap(),
        Resolved::NotInstalled
    ));
    assert!(backend.audit.list(&id).await.unwrap().is_empty());

    // A retry completes the install.
    let done = oauth_install(&backend, new_install(&id, "y", &["commands"]), NOW_MS)
        .await
        .unwrap();
    assert_eq!(done.tenant.status, TenantStatus::Active);
}

#[tokio::test]
async fn a_failed_reinstall_puts_back_the_previous_tenant_installation_and_tokens() {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let id = random_tenant();
    oauth_install(&backend, new_install(&id, "first", &["commands"]), NOW_MS)
        .await
        .unwrap();
    let tenant = backend.tenants.get(&id).await.unwrap();
    let installation = backend.tenants.get_installation(&id).await.unwrap();
    let bundle = backend.vault.get(&id).await.unwrap();
    let hook = backend.credentials.get(&webhook(&id)).await.unwrap();

    stores.audit.switch.set_down(true);
    oauth_install(
        &backend,
        new_install(&id, "second", &["commands", "chat:write"]),
        NOW_MS + 60_000,
    )
    .await
    .unwrap_err();
    stores.audit.switch.set_down(false);
    assert_eq!(backend.tenants.get(&id).await.unwrap(), tenant);
    assert_eq!(
        backend.tenants.get_installation(&id).await.unwrap(),
        installation
    );
    assert_eq!(backend.vault.get(&id).await.unwrap(), bundle);
    assert_eq!(
        backend
            .credentials
            .get(&webhook(&id))
            .await
            .unwrap()
            .map(|v| v.value),
        hook.map(|v| v.value)
    );
    assert_eq!(backend.audit.list(&id).await.unwrap().len(), 1);
}
