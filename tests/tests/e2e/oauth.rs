//! The OAuth install flow end to end: GET /slack/install and GET /slack/oauth_redirect through
//! the router `switchboard serve` runs, the fake Slack's authorize step and oauth.v2.access,
//! with an HTTP client that keeps cookies like a browser. Every bad input has its own answer
//! and stores nothing.

use reqwest::StatusCode;
use tenant::audit::{AuditAction, verify_chain};
use tenant::ports::{Member, OAuthStateRecord, Role};
use tenant::testkit::MemoryStores;
use tenant::{JobEnvelope, JobKind, Plan, Tenant, TenantId, TenantStatus, UserId};
use testkit::OAuthSettings;
use testkit::signer::now;

use crate::helpers::{TestApp, spawn_app_without_worker, spawn_on};

const TEAM: &str = "T0FAKETEAM";

fn team() -> TenantId {
    TenantId::parse(TEAM).unwrap()
}

/// Where the page's "Add to Slack" button goes (HTML-unescaped).
fn add_to_slack_href(html: &str) -> String {
    let start = html
        .find(r#"id="add-to-slack" rel="nofollow" href=""#)
        .expect("Add to Slack button")
        + 39;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

impl TestApp {
    async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.http
            .get(url)
            .send()
            .await
            .expect("request reaches the server")
    }

    /// Starts an install in this client (state cookie set) and returns Slack's authorize URL.
    async fn begin_install(&self) -> String {
        let res = self.get("/slack/install?redirect=1").await;
        assert_eq!(res.status(), StatusCode::FOUND);
        res.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Starts an install, has the fake Slack "Allow" it, and returns the redirect back to us.
    async fn allowed_redirect(&self) -> String {
        let authorize = self.begin_install().await;
        self.fake.authorize(&authorize).expect("fake Slack allows")
    }

    async fn nothing_installed(&self, tenant: &TenantId) {
        assert!(self.backend.tenants.get(tenant).await.unwrap().is_none());
        assert!(
            self.backend
                .tenants
                .get_installation(tenant)
                .await
                .unwrap()
                .is_none()
        );
        assert!(self.backend.vault.get(tenant).await.unwrap().is_none());
        assert!(self.backend.audit.list(tenant).await.unwrap().is_empty());
        assert!(self.take_queued().await.is_empty(), "no job queued");
    }
}

fn job(delivery: &tenant::ports::Delivery) -> JobEnvelope {
    JobEnvelope::from_json(&delivery.body).expect("a job envelope")
}

async fn page(res: reqwest::Response, status: StatusCode, needle: &str) -> String {
    assert_eq!(res.status(), status);
    let html = res.text().await.unwrap();
    assert!(html.contains(needle), "`{needle}` not in {html}");
    html
}

#[tokio::test]
async fn a_full_install_stores_everything_queues_provisioning_and_clears_the_cookie() {
    let app = spawn_app_without_worker().await;
    // The page stores nothing and sets no cookie; its button starts the install.
    let res = app.get("/slack/install").await;
    assert!(res.headers().get("set-cookie").is_none());
    let html = page(res, StatusCode::OK, "Add Switchboard to Slack").await;
    let start = add_to_slack_href(&html);
    assert_eq!(start, "/slack/install?redirect=1");
    let res = app.get(&start).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    // The cookie with every attribute (HttpOnly, Secure, SameSite, Max-Age, Path: unit-tested
    // in app::oauth_cookie), bound to the state in the authorize URL.
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let state = set_cookie.split(';').next().unwrap();
    let state = state.strip_prefix("slack_oauth_state=").unwrap();
    assert_eq!(set_cookie, app::oauth_cookie::set_cookie(state));
    let authorize = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&app.fake.authorize_url()),
        "{authorize}"
    );
    assert!(authorize.contains(&format!(
        "redirect_uri={}",
        url_encode(&format!("{}/slack/oauth_redirect", app.base))
    )));

    let back = app.fake.authorize(&authorize).unwrap();
    let res = app.get(&back).await;
    let cleared = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    page(
        res,
        StatusCode::OK,
        "slack://app?team=T0FAKETEAM&amp;id=A0FAKEAPP",
    )
    .await;

    let tenant = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    assert_eq!(tenant.status, TenantStatus::Active);
    assert_eq!(tenant.name, "Fake Workspace");
    let installation = app
        .backend
        .tenants
        .get_installation(&team())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(installation.bot_id.unwrap().as_str(), "B0FAKEBOT");
    assert_eq!(installation.installer.unwrap().as_str(), "U0INSTALLER");
    assert!(installation.bot_scopes.contains(&"chat:write".to_owned()));
    let bot = app
        .backend
        .vault
        .get(&team())
        .await
        .unwrap()
        .unwrap()
        .bot
        .unwrap();
    assert!(bot.token.expose().starts_with("xoxb-"));
    assert_eq!(bot.bot_id.unwrap().as_str(), "B0FAKEBOT");

    let audit = app.backend.audit.list(&team()).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, AuditAction::Install);
    assert_eq!(audit[0].actor, "slack:U0INSTALLER");
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(
        job(&queued[0]).kind,
        JobKind::Provision(tenant::job::Provision {
            installer: UserId::parse("U0INSTALLER").ok(),
            reinstall: false
        })
    );
    assert_eq!(
        app.fake.calls_to("auth.test").len(),
        1,
        "auth.test once, at install"
    );

    // The cookie is gone from the jar: a valid state alone now gets the "same browser" page.
    let state = "e2e-cookie-cleared-check-0123456789abcdefghij";
    issue_state(&app, state, now()).await;
    let res = app
        .get(&format!("/slack/oauth_redirect?code=c&state={state}"))
        .await;
    page(res, StatusCode::FORBIDDEN, "same browser").await;
    app.stop().await;
}

#[tokio::test]
async fn a_replayed_redirect_is_refused_and_changes_nothing() {
    let app = spawn_app_without_worker().await;
    let back = app.allowed_redirect().await;
    assert_eq!(app.get(&back).await.status(), StatusCode::OK);
    let before = app.backend.vault.get(&team()).await.unwrap();
    app.take_queued().await;

    // The cookie was cleared; put it back as an attacker replaying the whole request would.
    let state = query_param(&back, "state");
    let res = app
        .http
        .get(&back)
        .header("cookie", format!("slack_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    page(res, StatusCode::CONFLICT, "already used").await;
    assert_eq!(
        app.fake.exchange_calls(),
        1,
        "the code was not exchanged again"
    );
    assert_eq!(app.backend.vault.get(&team()).await.unwrap(), before);
    assert_eq!(app.backend.audit.list(&team()).await.unwrap().len(), 1);
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let app = spawn_app_without_worker().await;
    // Issued eleven minutes ago with its ten-minute life, bound to the cookie we send.
    let state = "e2e-expired-state-0123456789abcdefghijklmnopq";
    issue_state(&app, state, now() - 660).await;
    let res = app
        .http
        .get(format!(
            "{}/slack/oauth_redirect?code=c&state={state}",
            app.base
        ))
        .header("cookie", format!("slack_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    page(res, StatusCode::BAD_REQUEST, "has expired").await;
    assert_eq!(app.fake.exchange_calls(), 0);
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_missing_states_have_their_own_pages() {
    let app = spawn_app_without_worker().await;
    // A browser with a state cookie (the cookie is checked first, so it must have one).
    let res = app
        .http
        .get(format!(
            "{}/slack/oauth_redirect?code=c&state=never-issued",
            app.base
        ))
        .header("cookie", "slack_oauth_state=never-issued")
        .send()
        .await
        .unwrap();
    page(res, StatusCode::BAD_REQUEST, "recognise this installation").await;
    let res = app.get("/slack/oauth_redirect?code=c").await;
    page(res, StatusCode::BAD_REQUEST, "link is incomplete").await;
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_without_the_cookie_is_refused() {
    let app = spawn_app_without_worker().await;
    let back = app.allowed_redirect().await;
    // Another browser: no cookie jar shared with the one that started the install.
    let res = reqwest::get(&back).await.unwrap();
    page(res, StatusCode::FORBIDDEN, "same browser").await;
    assert_eq!(app.fake.exchange_calls(), 0);
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_with_another_sessions_cookie_is_refused() {
    let app = spawn_app_without_worker().await;
    let victim = app.allowed_redirect().await;
    // The attacker's own install started in their own browser: their cookie, the victim's state.
    let res = app
        .http
        .get(&victim)
        .header("cookie", "slack_oauth_state=attackers-own-state-value")
        .send()
        .await
        .unwrap();
    page(res, StatusCode::FORBIDDEN, "another session").await;
    assert_eq!(app.fake.exchange_calls(), 0);
    app.nothing_installed(&team()).await;
    // The refusal did not spend the state: the browser that started the install finishes it.
    assert_eq!(app.get(&victim).await.status(), StatusCode::OK);
    assert_eq!(app.fake.exchange_calls(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_without_a_code_is_refused() {
    let app = spawn_app_without_worker().await;
    let back = app.allowed_redirect().await;
    let state = query_param(&back, "state");
    let res = app
        .get(&format!("/slack/oauth_redirect?state={state}"))
        .await;
    page(
        res,
        StatusCode::BAD_REQUEST,
        "without an authorization code",
    )
    .await;
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_code_from_slack_is_refused() {
    let app = spawn_app_without_worker().await;
    let back = app.allowed_redirect().await;
    let state = query_param(&back, "state");
    let res = app
        .get(&format!(
            "/slack/oauth_redirect?code=forged-code&state={state}"
        ))
        .await;
    page(res, StatusCode::BAD_REQUEST, "error: invalid_code").await;
    assert_eq!(app.fake.exchange_calls(), 1);
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn cancelling_in_slack_gives_a_friendly_page() {
    let app = spawn_app_without_worker().await;
    let authorize = app.begin_install().await;
    let state = query_param(&authorize, "state");
    let res = app
        .get(&format!(
            "/slack/oauth_redirect?error=access_denied&state={state}"
        ))
        .await;
    page(res, StatusCode::OK, "Installation cancelled").await;
    app.nothing_installed(&team()).await;
    app.stop().await;
}

#[tokio::test]
async fn a_storage_failure_answers_500_and_stores_nothing() {
    let stores = MemoryStores::new();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_on(stores.backend(), stores.queue.clone(), false, dir).await;
    let back = app.allowed_redirect().await;
    stores.vault.switch.set_down(true);
    let res = app.get(&back).await;
    stores.vault.switch.set_down(false);
    page(res, StatusCode::INTERNAL_SERVER_ERROR, "Please try again").await;
    app.nothing_installed(&team()).await;
    assert!(stores.vault.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_org_wide_install_is_an_enterprise_tenant_linked_to_the_org_admin_page() {
    let app = spawn_app_without_worker().await;
    app.fake.set_oauth(OAuthSettings {
        enterprise_id: Some("E0FAKEORG".into()),
        enterprise_name: Some("Fake Org".into()),
        org_wide: true,
        ..OAuthSettings::default()
    });
    let back = app.allowed_redirect().await;
    page(
        app.get(&back).await,
        StatusCode::OK,
        "https://app.slack.com/manage/E0FAKEORG/integrations/installed",
    )
    .await;
    let org = TenantId::parse("E0FAKEORG").unwrap();
    let installation = app
        .backend
        .tenants
        .get_installation(&org)
        .await
        .unwrap()
        .unwrap();
    assert!(installation.is_enterprise_install);
    assert_eq!(installation.team_id, None);
    assert_eq!(installation.enterprise_id.unwrap().as_str(), "E0FAKEORG");
    assert!(app.backend.tenants.get(&team()).await.unwrap().is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_reinstall_updates_scopes_and_tokens_and_keeps_the_tenants_data() {
    let app = spawn_app_without_worker().await;
    app.fake.set_oauth(OAuthSettings {
        rotation: true,
        ..OAuthSettings::default()
    });
    let back = app.allowed_redirect().await;
    assert_eq!(app.get(&back).await.status(), StatusCode::OK);
    let first = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    let first_bot = app
        .backend
        .vault
        .get(&team())
        .await
        .unwrap()
        .unwrap()
        .bot
        .unwrap();
    // The customer upgrades and gets a member while installed.
    app.backend
        .tenants
        .put(&Tenant {
            plan: Plan::Team,
            ..first.clone()
        })
        .await
        .unwrap();
    let member = Member {
        user: UserId::parse("U0MEMBER1").unwrap(),
        role: Role::Member,
        added_at: now(),
    };
    app.backend
        .members
        .put_member(&team(), &member)
        .await
        .unwrap();

    // A newer version of the app asks for one more scope.
    let authorize = app
        .begin_install()
        .await
        .replace("scope=", "scope=reactions:write,");
    let back = app.fake.authorize(&authorize).unwrap();
    page(
        app.get(&back).await,
        StatusCode::OK,
        "Switchboard is updated",
    )
    .await;

    let tenant = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    assert_eq!(tenant.plan, Plan::Team);
    assert_eq!(tenant.created_at, first.created_at);
    assert_eq!(
        app.backend.members.list_members(&team()).await.unwrap(),
        vec![member]
    );
    let installation = app
        .backend
        .tenants
        .get_installation(&team())
        .await
        .unwrap()
        .unwrap();
    assert!(
        installation
            .bot_scopes
            .contains(&"reactions:write".to_owned())
    );
    let bot = app
        .backend
        .vault
        .get(&team())
        .await
        .unwrap()
        .unwrap()
        .bot
        .unwrap();
    assert_ne!(bot.token, first_bot.token);
    assert!(bot.refresh_token.is_some() && bot.refresh_token != first_bot.refresh_token);
    assert!(bot.expires_at.unwrap() > now() + 43_000);

    let audit = app.backend.audit.list(&team()).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action).collect();
    assert_eq!(actions, [AuditAction::Install, AuditAction::Reinstall]);
    assert_eq!(
        verify_chain(app.backend.audit.as_ref(), &team(), &audit).await,
        Ok(())
    );
    let kinds: Vec<_> = app
        .take_queued()
        .await
        .iter()
        .map(|d| job(d).kind)
        .collect();
    assert!(matches!(
        kinds.as_slice(),
        [
            JobKind::Provision(tenant::job::Provision {
                reinstall: false,
                ..
            }),
            JobKind::Provision(tenant::job::Provision {
                reinstall: true,
                ..
            })
        ]
    ));
    app.stop().await;
}

#[tokio::test]
async fn the_team_hint_is_passed_through_to_slack() {
    let app = spawn_app_without_worker().await;
    let res = app.get("/slack/install?redirect=1&team=T0HINTED").await;
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.ends_with("&team=T0HINTED"), "{location}");
    app.stop().await;
}

/// Stores `state` as the install page would have at `at` (ten minutes of life), bound to a
/// cookie whose value is the state.
async fn issue_state(app: &TestApp, state: &str, at: i64) {
    let record = OAuthStateRecord {
        cookie_hash: app::oauth_cookie::cookie_hash(state),
        purpose: tenant::ports::StatePurpose::INSTALL,
        created_at: at,
        expires_at: at + 600,
    };
    app.backend
        .oauth_states
        .issue(state, &record)
        .await
        .unwrap();
}

fn query_param(url: &str, key: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

fn url_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_reinstall_after_an_uninstall_restores_the_same_tenant() {
    let app = spawn_app_without_worker().await;
    let back = app.allowed_redirect().await;
    assert_eq!(app.get(&back).await.status(), StatusCode::OK);
    let installed = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    app.take_queued().await;

    // The workspace removes the app: tenant uninstalled, tokens gone.
    let res = app
        .post_signed("/slack/events", &testkit::payloads::app_uninstalled(TEAM))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let gone = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    assert_eq!(gone.status, TenantStatus::Uninstalled);
    assert!(app.backend.vault.get(&team()).await.unwrap().is_none());

    // And installs it again: the same tenant, active, with new tokens and its history.
    let back = app.allowed_redirect().await;
    assert_eq!(app.get(&back).await.status(), StatusCode::OK);
    let again = app.backend.tenants.get(&team()).await.unwrap().unwrap();
    assert_eq!(again.status, TenantStatus::Active);
    assert_eq!(again.created_at, installed.created_at);
    assert!(
        app.backend
            .vault
            .get(&team())
            .await
            .unwrap()
            .unwrap()
            .bot
            .is_some()
    );
    let queued = app.take_queued().await;
    assert!(
        queued.iter().any(|d| matches!(
            job(d).kind,
            JobKind::Provision(tenant::job::Provision {
                reinstall: true,
                ..
            })
        )),
        "provisioning queued as a reinstall"
    );
    let audit = app.backend.audit.list(&team()).await.unwrap();
    let actions: Vec<AuditAction> = audit.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::Install,
            AuditAction::Uninstall,
            AuditAction::Reinstall
        ]
    );
    verify_chain(app.backend.audit.as_ref(), &team(), &audit)
        .await
        .unwrap();
    app.stop().await;
}
