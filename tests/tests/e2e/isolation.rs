//! Tenant A cannot see or change tenant B's data: through the ports and through requests.

use testkit::{RESPONSE_URL, payloads};

use crate::helpers::{WAIT, spawn_app, spawn_app_without_worker};

#[tokio::test]
async fn the_embedded_backend_passes_the_isolation_contract() {
    let dir = tempfile::tempdir().unwrap();
    let local = local::LocalBackend::open(dir.path()).unwrap();
    tenant::testkit::contract::isolation(&local.backend()).await;
}

#[tokio::test]
async fn each_workspace_sees_only_its_own_name_in_answers() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme").await;
    app.install("T0BETA001", "Beta").await;
    app.command("T0BETA001", "ping", "beta").await;
    let posts = app.fake.wait_for(RESPONSE_URL, 1, WAIT).await;
    let text = posts[0].body["text"].as_str().unwrap();
    assert!(text.contains("Beta") && !text.contains("Acme"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn one_workspaces_uninstall_and_revocations_leave_another_untouched() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    app.install("T0BETA001", "Beta").await;
    // B names A's bot user (same app, same bot user id in these fixtures) in its revocation.
    let revoked = payloads::tokens_revoked("T0BETA001", &["U0USER001"], &[payloads::BOT_USER_ID]);
    app.post_signed("/slack/events", &revoked).await;
    app.post_signed("/slack/events", &payloads::app_uninstalled("T0BETA001"))
        .await;

    let a = tenant::TenantId::parse("T0ACME001").unwrap();
    assert_eq!(
        app.tenant("T0ACME001").await.unwrap().status,
        tenant::TenantStatus::Active
    );
    assert!(
        app.backend
            .vault
            .get(&a)
            .await
            .unwrap()
            .unwrap()
            .bot
            .is_some()
    );
    assert_eq!(
        app.tenant("T0BETA001").await.unwrap().status,
        tenant::TenantStatus::Uninstalled
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_event_id_in_two_workspaces_is_queued_for_each() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    app.install("T0BETA001", "Beta").await;
    let id = payloads::event_id();
    for team in ["T0ACME001", "T0BETA001"] {
        let body = payloads::app_mention(team, &id, "U0USER001", "C0CHAN001", "hi");
        assert_eq!(app.post_signed("/slack/events", &body).await.status(), 200);
    }
    let queued = app.take_queued().await;
    let mut tenants: Vec<String> = queued
        .iter()
        .map(|d| {
            tenant::JobEnvelope::from_json(&d.body)
                .unwrap()
                .tenant
                .to_string()
        })
        .collect();
    tenants.sort();
    assert_eq!(tenants, ["T0ACME001", "T0BETA001"]);
    app.stop().await;
}
