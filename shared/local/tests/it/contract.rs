//! Every port contract suite on a LocalBackend in a temporary directory.

use local::LocalBackend;
use tenant::testkit::contract;

fn open() -> (tempfile::TempDir, LocalBackend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = LocalBackend::open(dir.path()).expect("open local backend");
    (dir, backend)
}

#[tokio::test]
async fn local_tenant_directory_keeps_the_contract() {
    let (_dir, local) = open();
    contract::tenant_directory(local.backend().tenants.as_ref()).await;
}

#[tokio::test]
async fn local_event_ledger_keeps_the_contract() {
    let (_dir, local) = open();
    contract::event_ledger(local.backend().ledger.as_ref()).await;
}

#[tokio::test]
async fn local_usage_counters_keep_the_contract() {
    let (_dir, local) = open();
    contract::usage_counters(local.backend().usage.as_ref()).await;
}

#[tokio::test]
async fn local_vault_keeps_the_contract() {
    let (_dir, local) = open();
    contract::vault(local.backend().vault.as_ref()).await;
}

#[tokio::test]
async fn local_credentials_keep_the_contract() {
    let (_dir, local) = open();
    contract::credentials(local.backend().credentials.as_ref()).await;
}

#[tokio::test]
async fn local_queue_keeps_the_contract() {
    let (_dir, local) = open();
    contract::job_queue(local.backend().queue.as_ref(), local.consumer().as_ref()).await;
}

#[tokio::test]
async fn local_oauth_states_keep_the_contract() {
    let (_dir, local) = open();
    contract::oauth_states(local.backend().oauth_states.as_ref()).await;
}

#[tokio::test]
async fn local_audit_log_keeps_the_contract() {
    let (_dir, local) = open();
    contract::audit_log(local.backend().audit.as_ref()).await;
}

#[tokio::test]
async fn local_members_keep_the_contract() {
    let (_dir, local) = open();
    contract::members(local.backend().members.as_ref()).await;
}

#[tokio::test]
async fn local_backend_isolates_tenants() {
    let (_dir, local) = open();
    contract::isolation(&local.backend()).await;
}

#[tokio::test]
async fn every_suite_passes_on_one_shared_file() {
    let (_dir, local) = open();
    let backend = local.backend();
    contract::isolation(&backend).await;
    contract::tenant_directory(backend.tenants.as_ref()).await;
    contract::event_ledger(backend.ledger.as_ref()).await;
    contract::usage_counters(backend.usage.as_ref()).await;
    contract::vault(backend.vault.as_ref()).await;
    contract::credentials(backend.credentials.as_ref()).await;
    contract::oauth_states(backend.oauth_states.as_ref()).await;
    contract::audit_log(backend.audit.as_ref()).await;
    contract::members(backend.members.as_ref()).await;
    contract::isolation(&backend).await;
}

#[tokio::test]
async fn local_sessions_keep_the_contract() {
    let (_dir, local) = open();
    followup::testkit::contract::sessions(local.sessions().as_ref()).await;
}

#[tokio::test]
async fn local_sessions_are_isolated_by_tenant_and_user() {
    let (_dir, local) = open();
    followup::testkit::contract::sessions_isolation(local.sessions().as_ref()).await;
}

#[tokio::test]
async fn local_crm_directory_keeps_the_contract() {
    let (_dir, local) = open();
    followup::testkit::contract::directory(local.crm_directory().as_ref()).await;
}

#[tokio::test]
async fn local_crm_directory_is_isolated_by_tenant() {
    let (_dir, local) = open();
    followup::testkit::contract::directory_isolation(local.crm_directory().as_ref()).await;
}
