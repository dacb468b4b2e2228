//! Token rotation: a rotating bot token close to expiry is refreshed once, whatever the number
//! of jobs (and workers) that need it at the same moment, against a fake Slack whose refresh
//! tokens are single use (slack.md 2.3).

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use tenant::audit::AuditAction;
use tenant::{Secret, TenantId};
use testkit::{BotIdentity, payloads};
use worker::Worker;

use crate::helpers::{CLIENT_ID, CLIENT_SECRET, TestApp, spawn_app_without_worker};

const TEAM: &str = "T0ROTATE1";
const OLD_TOKEN: &str = "xoxe.xoxb-rotating-old";
const OLD_REFRESH: &str = "xoxe-1-refresh-old";

fn now() -> i64 {
    testkit::signer::now()
}

/// A worker as the Lambda builds it: Web API client plus the OAuth client for refreshes.
fn rotating_worker(app: &TestApp) -> Arc<Worker> {
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let oauth =
        slack::oauth::OAuthClient::new(&app.fake.api_base(), CLIENT_ID, Secret::new(CLIENT_SECRET))
            .unwrap();
    Arc::new(Worker::new(app.backend.clone(), web, Clock::system()).with_oauth(oauth))
}

/// Installs TEAM with a rotating bot token that expires in `expires_in`.
async fn install_rotating(app: &TestApp, expires_in: Duration) -> TenantId {
    app.install(TEAM, "Rotor").await;
    let id = TenantId::parse(TEAM).unwrap();
    let mut bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    let bot = bundle.bot.as_mut().unwrap();
    bot.token = Secret::new(OLD_TOKEN);
    bot.refresh_token = Some(Secret::new(OLD_REFRESH));
    bot.expires_at = Some(now() + expires_in.as_secs() as i64);
    tenant::ports::replace_bundle(app.backend.vault.as_ref(), &id, bundle)
        .await
        .unwrap();
    let identity = BotIdentity {
        team_id: TEAM.into(),
        ..BotIdentity::default()
    };
    app.fake
        .add_rotating_token(OLD_TOKEN, OLD_REFRESH, identity, expires_in);
    id
}

async fn queue_mentions(app: &TestApp, n: usize) {
    for _ in 0..n {
        let body =
            payloads::app_mention(TEAM, &payloads::event_id(), "U0USER001", "C0CHAN001", "hi");
        assert_eq!(app.post_signed("/slack/events", &body).await.status(), 200);
    }
}

#[tokio::test]
async fn twenty_concurrent_jobs_on_two_workers_refresh_a_token_exactly_once() {
    let app = spawn_app_without_worker().await;
    let id = install_rotating(&app, Duration::from_secs(30 * 60)).await;
    queue_mentions(&app, 20).await;

    // Two workers (as two Lambda instances would be) take ten jobs each, all at once.
    let (a, b) = (rotating_worker(&app), rotating_worker(&app));
    let (ra, rb) = tokio::join!(
        a.drain_once(app.consumer.as_ref(), 10),
        b.drain_once(app.consumer.as_ref(), 10)
    );
    assert_eq!(ra.unwrap() + rb.unwrap(), 20);

    assert_eq!(app.fake.refresh_calls(), 1, "exactly one refresh");
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 20, "every job succeeded");
    let new_token = posts[0].token.as_ref().unwrap().expose().to_owned();
    assert_ne!(new_token, OLD_TOKEN);
    assert!(
        posts
            .iter()
            .all(|p| p.token.as_ref().unwrap().expose() == new_token),
        "every job used the refreshed token"
    );
    assert!(app.take_queued().await.is_empty(), "nothing left to retry");

    let bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    let bot = bundle.bot.unwrap();
    assert_eq!(bot.token.expose(), new_token);
    let refresh = bot.refresh_token.unwrap();
    assert_ne!(
        refresh.expose(),
        OLD_REFRESH,
        "the new refresh token is stored"
    );
    assert!(bot.expires_at.unwrap() > now() + 11 * 3600);

    let audit = app.backend.audit.list(&id).await.unwrap();
    let refreshes = audit
        .iter()
        .filter(|e| e.action == AuditAction::TokenRefreshed)
        .count();
    assert_eq!(refreshes, 1);
    tenant::audit::verify_chain(app.backend.audit.as_ref(), &id, &audit)
        .await
        .unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_token_far_from_expiry_is_used_as_is() {
    let app = spawn_app_without_worker().await;
    install_rotating(&app, Duration::from_secs(6 * 3600)).await;
    queue_mentions(&app, 3).await;
    rotating_worker(&app)
        .drain_once(app.consumer.as_ref(), 10)
        .await
        .unwrap();
    assert_eq!(app.fake.refresh_calls(), 0);
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 3);
    assert!(
        posts
            .iter()
            .all(|p| p.token.as_ref().unwrap().expose() == OLD_TOKEN)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_spent_refresh_token_fails_the_job_for_good_instead_of_looping() {
    let app = spawn_app_without_worker().await;
    let id = install_rotating(&app, Duration::from_secs(10 * 60)).await;
    // The refresh token was already used elsewhere (e.g. restored from an old backup).
    let mut bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    bundle.bot.as_mut().unwrap().refresh_token = Some(Secret::new("xoxe-1-never-issued"));
    tenant::ports::replace_bundle(app.backend.vault.as_ref(), &id, bundle)
        .await
        .unwrap();
    queue_mentions(&app, 1).await;
    rotating_worker(&app)
        .drain_once(app.consumer.as_ref(), 10)
        .await
        .unwrap();
    assert_eq!(app.fake.refresh_calls(), 1);
    assert!(app.fake.calls_to("chat.postMessage").is_empty());
    assert!(
        app.take_queued().await.is_empty(),
        "recorded as failed, not retried"
    );
    app.stop().await;
}

/// A vault that lets a `tokens_revoked` for one user land right after the refresher's read
/// under its lease (the first `get_fresh`), as the events function in another container would.
struct RevokeDuringRefresh {
    inner: Arc<dyn tenant::ports::Vault>,
    user: tenant::UserId,
    armed: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl tenant::ports::Vault for RevokeDuringRefresh {
    async fn get(
        &self,
        t: &TenantId,
    ) -> Result<Option<tenant::TokenBundle>, tenant::ports::VaultError> {
        self.inner.get(t).await
    }
    async fn get_fresh(
        &self,
        t: &TenantId,
    ) -> Result<Option<tenant::ports::Versioned<tenant::TokenBundle>>, tenant::ports::VaultError>
    {
        let read = self.inner.get_fresh(t).await?;
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            tenant::ports::update_bundle(self.inner.as_ref(), t, |slot| {
                if let Some(bundle) = slot {
                    bundle.users.remove(&self.user);
                }
            })
            .await?;
        }
        Ok(read)
    }
    async fn put(
        &self,
        t: &TenantId,
        bundle: &tenant::TokenBundle,
        expected: &tenant::ports::Expected,
    ) -> Result<tenant::ports::Version, tenant::ports::VaultError> {
        self.inner.put(t, bundle, expected).await
    }
    async fn remove(
        &self,
        t: &TenantId,
        expected: &tenant::ports::Version,
    ) -> Result<(), tenant::ports::VaultError> {
        self.inner.remove(t, expected).await
    }
    async fn delete(&self, t: &TenantId) -> Result<(), tenant::ports::VaultError> {
        self.inner.delete(t).await
    }
}

// Before versioned writes the refresher put back the whole bundle it read under the lease, so
// a user token revoked during the refresh came back (the same lost update as item 3, the
// other way round).
#[tokio::test]
async fn a_revocation_during_a_refresh_is_not_undone_and_the_refresh_is_kept() {
    let app = spawn_app_without_worker().await;
    let id = install_rotating(&app, Duration::from_secs(10 * 60)).await;
    let user = tenant::UserId::parse("U0REVOKED").unwrap();
    tenant::ports::update_bundle(app.backend.vault.as_ref(), &id, |slot| {
        slot.as_mut().unwrap().users.insert(
            user.clone(),
            tenant::UserToken {
                token: Secret::new("xoxp-revoked"),
                scopes: vec![],
                refresh_token: None,
                expires_at: None,
            },
        );
    })
    .await
    .unwrap();
    let mut backend = app.backend.clone();
    backend.vault = Arc::new(RevokeDuringRefresh {
        inner: app.backend.vault.clone(),
        user: user.clone(),
        armed: std::sync::atomic::AtomicBool::new(true),
    });
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let oauth =
        slack::oauth::OAuthClient::new(&app.fake.api_base(), CLIENT_ID, Secret::new(CLIENT_SECRET))
            .unwrap();
    let worker = Arc::new(Worker::new(backend, web, Clock::system()).with_oauth(oauth));
    queue_mentions(&app, 1).await;
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();

    assert_eq!(app.fake.refresh_calls(), 1);
    let bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    assert!(
        !bundle.users.contains_key(&user),
        "the revocation was undone"
    );
    let bot = bundle.bot.unwrap();
    assert_ne!(
        bot.refresh_token.unwrap().expose(),
        OLD_REFRESH,
        "the refresh was lost"
    );
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].token.as_ref().unwrap().expose(),
        bot.token.expose()
    );
    app.stop().await;
}

#[tokio::test]
async fn without_an_oauth_client_a_rotating_token_serves_until_it_expires_then_jobs_fail() {
    let app = spawn_app_without_worker().await;
    let id = install_rotating(&app, Duration::from_secs(10 * 60)).await;
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let worker = Arc::new(Worker::new(app.backend.clone(), web, Clock::system()));
    queue_mentions(&app, 1).await;
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    assert_eq!(app.fake.refresh_calls(), 0);
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 1, "near expiry, still valid: used");
    assert_eq!(posts[0].token.as_ref().unwrap().expose(), OLD_TOKEN);

    let mut bundle = app.backend.vault.get(&id).await.unwrap().unwrap();
    bundle.bot.as_mut().unwrap().expires_at = Some(now() - 1);
    tenant::ports::replace_bundle(app.backend.vault.as_ref(), &id, bundle)
        .await
        .unwrap();
    queue_mentions(&app, 1).await;
    worker.drain_once(app.consumer.as_ref(), 10).await.unwrap();
    assert_eq!(
        app.fake.calls_to("chat.postMessage").len(),
        1,
        "expired: not used"
    );
    assert!(
        app.take_queued().await.is_empty(),
        "recorded as failed, not retried"
    );
    app.stop().await;
}
