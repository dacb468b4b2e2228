//! app_uninstalled and tokens_revoked, handled inline and in either order.

use testkit::payloads;

use crate::helpers::{TestApp, json, spawn_app_without_worker};

async fn status(app: &TestApp, team: &str) -> tenant::TenantStatus {
    app.tenant(team).await.expect("tenant kept").status
}

async fn has_tokens(app: &TestApp, team: &str) -> bool {
    let id = tenant::TenantId::parse(team).unwrap();
    app.backend.vault.get(&id).await.unwrap().is_some()
}

#[tokio::test]
async fn uninstall_then_revoke_leaves_the_tenant_uninstalled_without_tokens() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let res = app
        .post_signed("/slack/events", &payloads::app_uninstalled("T0ACME001"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        status(&app, "T0ACME001").await,
        tenant::TenantStatus::Uninstalled
    );
    assert!(!has_tokens(&app, "T0ACME001").await);

    let revoked = payloads::tokens_revoked("T0ACME001", &["U0USER001"], &[payloads::BOT_USER_ID]);
    assert_eq!(
        app.post_signed("/slack/events", &revoked).await.status(),
        200
    );
    assert_eq!(
        status(&app, "T0ACME001").await,
        tenant::TenantStatus::Uninstalled
    );
    assert!(!has_tokens(&app, "T0ACME001").await);

    // An uninstalled workspace is asked to reinstall, and its events are dropped.
    let res = app.command("T0ACME001", "ping", "x").await;
    assert!(
        json(res).await["text"]
            .as_str()
            .unwrap()
            .contains("reinstall")
    );
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn revoke_then_uninstall_ends_in_the_same_state() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let revoked = payloads::tokens_revoked("T0ACME001", &[], &[payloads::BOT_USER_ID]);
    assert_eq!(
        app.post_signed("/slack/events", &revoked).await.status(),
        200
    );
    assert!(
        !has_tokens(&app, "T0ACME001").await,
        "the bot token is gone"
    );
    assert_eq!(
        status(&app, "T0ACME001").await,
        tenant::TenantStatus::Active
    );

    let res = app
        .post_signed("/slack/events", &payloads::app_uninstalled("T0ACME001"))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        status(&app, "T0ACME001").await,
        tenant::TenantStatus::Uninstalled
    );
    app.stop().await;
}

#[tokio::test]
async fn revoking_one_users_token_keeps_the_bot_and_other_users() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let id = tenant::TenantId::parse("T0ACME001").unwrap();
    let mut bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    for user in ["U0USER001", "U0USER002"] {
        bundle.users.insert(
            tenant::UserId::parse(user).unwrap(),
            tenant::UserToken {
                token: tenant::Secret::new(format!("xoxp-{user}")),
                scopes: vec![],
                refresh_token: None,
                expires_at: None,
            },
        );
    }
    tenant::ports::replace_bundle(app.backend.vault.as_ref(), &id, bundle)
        .await
        .unwrap();

    let revoked = payloads::tokens_revoked("T0ACME001", &["U0USER001"], &[]);
    assert_eq!(
        app.post_signed("/slack/events", &revoked).await.status(),
        200
    );
    let after = app.backend.vault.get(&id).await.unwrap().unwrap();
    assert!(after.bot.is_some());
    let users: Vec<_> = after.users.keys().map(|u| u.as_str().to_owned()).collect();
    assert_eq!(users, ["U0USER002"]);
    app.stop().await;
}

#[tokio::test]
async fn lifecycle_events_for_a_workspace_never_installed_are_acked() {
    let app = spawn_app_without_worker().await;
    let res = app
        .post_signed("/slack/events", &payloads::app_uninstalled("T0NOBODY1"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(app.tenant("T0NOBODY1").await.is_none(), "nothing created");
    app.stop().await;
}
