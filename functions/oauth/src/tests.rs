//! The redirect handler with the install handler, the memory backend and the fake Slack, on
//! clocks a test sets (expiry without sleeping).

use std::time::{Duration, SystemTime};

use app::wiring::{InstallSettings, SlackSettings};
use app::{Clock, HttpRequest};
use bytes::Bytes;
use http::{StatusCode, header};
use tenant::ports::OAuthStateRecord;
use tenant::testkit::MemoryStores;
use tenant::{Secret, TenantId};
use testkit::FakeSlack;

use super::*;

const T0: u64 = 1_800_000_000;
const BASE: &str = "https://sb.example";

fn at(secs: u64) -> Clock {
    Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn settings(fake: &FakeSlack) -> SlackSettings {
    SlackSettings {
        signing_secret: None,
        api_url: fake.api_base(),
        response_url_base: fake.response_base(),
        client_id: Some("111.222".into()),
        client_secret: Some(Secret::new("shh")),
        install: InstallSettings {
            scopes: vec!["commands".into(), "chat:write".into()],
            user_scopes: vec![],
            authorize_url: fake.authorize_url(),
            public_base_url: Some(BASE.into()),
        },
        admin_api_key: None,
        connect_link_key: None,
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    }
}

struct Rig {
    fake: FakeSlack,
    stores: MemoryStores,
    slack: SlackSettings,
}

impl Rig {
    async fn new() -> Self {
        let fake = FakeSlack::start().await;
        fake.set_client("111.222", "shh");
        let slack = settings(&fake);
        Self {
            fake,
            stores: MemoryStores::new(),
            slack,
        }
    }

    /// Starts an install at `secs` as the install function does (a state bound to a cookie,
    /// then Slack's authorize URL): the redirect Slack would send back, and the cookie.
    async fn start(&self, secs: u64) -> (String, String) {
        let state = state::new_state();
        let now = secs as i64;
        let record = OAuthStateRecord {
            cookie_hash: state::cookie_hash(&state),
            purpose: tenant::ports::StatePurpose::INSTALL,
            created_at: now,
            expires_at: now + state::STATE_TTL_SECS,
        };
        self.stores
            .backend()
            .oauth_states
            .issue(&state, &record)
            .await
            .unwrap();
        let redirect_uri: String =
            url::form_urlencoded::byte_serialize(format!("{BASE}/slack/oauth_redirect").as_bytes())
                .collect();
        let location = format!(
            "{}?state={state}&client_id=111.222&scope=commands,chat:write&user_scope=&redirect_uri={redirect_uri}",
            self.fake.authorize_url()
        );
        let back = self.fake.authorize(&location).unwrap();
        let path = back.strip_prefix(BASE).unwrap().to_owned();
        (path, format!("{}={state}", state::COOKIE_NAME))
    }

    fn handler(&self, secs: u64) -> OAuthHandler {
        OAuthHandler::new(self.stores.backend(), &self.slack, at(secs)).unwrap()
    }
}

fn get(path: &str, cookie: Option<&str>) -> HttpRequest {
    let mut req = http::Request::builder().uri(path);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Bytes::new()).unwrap()
}

fn tenant() -> TenantId {
    TenantId::parse("T0FAKETEAM").unwrap()
}

#[tokio::test]
async fn a_valid_redirect_installs_calls_auth_test_once_and_clears_the_cookie() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    let res = rig.handler(T0 + 5).handle(get(&path, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
    assert!(
        res.body()
            .contains("slack://app?team=T0FAKETEAM&amp;id=A0FAKEAPP")
    );
    let cleared = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("slack_oauth_state=;") && cleared.contains("Max-Age=0"));

    assert_eq!(rig.fake.calls_to("auth.test").len(), 1);
    let exchange = &rig.fake.calls_to("oauth.v2.access")[0];
    assert_eq!(
        exchange.body["redirect_uri"],
        format!("{BASE}/slack/oauth_redirect"),
        "the redirect_uri is resent"
    );
    let backend = rig.stores.backend();
    let installation = backend
        .tenants
        .get_installation(&tenant())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(installation.bot_id.unwrap().as_str(), "B0FAKEBOT");
    assert_eq!(installation.installed_at, (T0 + 5) as i64);
}

#[tokio::test]
async fn a_state_used_after_ten_minutes_is_expired() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    let res = rig
        .handler(T0 + 600)
        .handle(get(&path, Some(&cookie)))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.body().contains("has expired"));
    assert_eq!(
        rig.fake.exchange_calls(),
        0,
        "no code exchange for a refused state"
    );
    assert!(
        rig.stores
            .backend()
            .tenants
            .get(&tenant())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_state_used_just_before_expiry_still_works() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    let res = rig
        .handler(T0 + 599)
        .handle(get(&path, Some(&cookie)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn cancel_is_a_friendly_page_that_stores_nothing() {
    let rig = Rig::new().await;
    let res = rig
        .handler(T0)
        .handle(get(
            "/slack/oauth_redirect?error=access_denied&state=x",
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.body().contains("Installation cancelled"));
    assert!(
        res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert!(
        rig.stores
            .backend()
            .tenants
            .list()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_slack_outage_is_a_502_page_and_a_rate_limit_too() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    rig.fake
        .fail_next("oauth.v2.access", testkit::Failure::Status(503));
    let res = rig.handler(T0).handle(get(&path, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(res.body().contains("couldn&#39;t reach Slack"));

    let (path, cookie) = rig.start(T0).await;
    rig.fake
        .fail_next("auth.test", testkit::Failure::Status(500));
    let res = rig.handler(T0).handle(get(&path, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        rig.stores
            .backend()
            .tenants
            .get(&tenant())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_storage_failure_is_a_500_page_and_nothing_is_installed() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    rig.stores.tenants.switch.set_down(true);
    let res = rig.handler(T0).handle(get(&path, Some(&cookie))).await;
    rig.stores.tenants.switch.set_down(false);
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.body().contains("Please try again"), "{}", res.body());
    let backend = rig.stores.backend();
    assert!(backend.tenants.get(&tenant()).await.unwrap().is_none());
    assert!(backend.vault.get(&tenant()).await.unwrap().is_none());
    assert!(rig.stores.queue.is_empty());
}

#[tokio::test]
async fn without_oauth_settings_the_redirect_says_not_configured() {
    let rig = Rig::new().await;
    let mut slack = rig.slack.clone();
    slack.client_secret = None;
    let handler = OAuthHandler::new(rig.stores.backend(), &slack, at(T0)).unwrap();
    let res = handler
        .handle(get("/slack/oauth_redirect?code=c&state=s", None))
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_org_wide_install_links_to_the_org_admin_page() {
    let rig = Rig::new().await;
    rig.fake.set_oauth(testkit::OAuthSettings {
        enterprise_id: Some("E0FAKEORG".into()),
        enterprise_name: Some("Fake Org".into()),
        org_wide: true,
        ..testkit::OAuthSettings::default()
    });
    let (path, cookie) = rig.start(T0).await;
    let res = rig.handler(T0).handle(get(&path, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
    assert!(
        res.body()
            .contains("https://app.slack.com/manage/E0FAKEORG/integrations/installed")
    );
    let org = TenantId::parse("E0FAKEORG").unwrap();
    let tenant = rig
        .stores
        .backend()
        .tenants
        .get(&org)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.name, "Fake Org");
}

#[tokio::test]
async fn a_state_lured_into_another_browser_is_refused_there_and_stays_usable_by_its_owner() {
    let rig = Rig::new().await;
    let (path, cookie) = rig.start(T0).await;
    // The victim's browser opens the attacker's link: another cookie, or none at all.
    let (_, other_cookie) = rig.start(T0).await;
    for cookie in [Some(other_cookie.as_str()), None] {
        let res = rig.handler(T0 + 1).handle(get(&path, cookie)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{cookie:?}");
    }
    assert_eq!(rig.fake.exchange_calls(), 0);
    // The browser that started it can still finish.
    let res = rig.handler(T0 + 2).handle(get(&path, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
}

#[test]
fn slacks_error_text_is_bounded_and_printable_before_it_is_logged() {
    let forged = format!(
        "access_denied\n2030-01-01 INFO admin logged in {}",
        "x".repeat(500)
    );
    let RedirectError::Cancelled(text) = RedirectError::cancelled(&forged) else {
        panic!("not a cancellation");
    };
    assert!(text.starts_with("access_denied?2030-01-01?INFO"), "{text}");
    assert!(text.len() <= 64 + 3, "{}", text.len());
    assert!(text.chars().all(|c| c.is_ascii_graphic()), "{text}");
    let RedirectError::Cancelled(plain) = RedirectError::cancelled("access_denied") else {
        panic!("not a cancellation");
    };
    assert_eq!(plain, "access_denied");
}
