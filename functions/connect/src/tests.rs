//! The connect handler on the memory backend and the fake Google, on clocks a test sets. The
//! browser is played by hand: the cookie the start sets is sent back to the callback.

use std::time::{Duration, SystemTime};

use app::connect_link::{self, ConnectLink, LinkKey};
use app::wiring::{InstallSettings, SlackSettings};
use app::{Clock, HttpRequest};
use bytes::Bytes;
use fakes::google::{self as fake_google, Endpoint, Failure, FakeGoogle};
use http::{StatusCode, header};
use tenant::ports::{OAuthStateRecord, StatePurpose};
use tenant::testkit::MemoryStores;
use tenant::{CredentialId, JobKind, Provider, Secret, Tenant, TenantId, TenantStatus, UserId};

use super::*;

const T0: u64 = 1_800_000_000;
const BASE: &str = "https://sb.example";
const KEY: &str = "unit-connect-link-key-0123456789abcdef";

fn at(secs: u64) -> Clock {
    Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn settings() -> SlackSettings {
    SlackSettings {
        signing_secret: None,
        api_url: "http://127.0.0.1:9/api".into(),
        response_url_base: "http://127.0.0.1:9/".into(),
        client_id: None,
        client_secret: None,
        install: InstallSettings {
            public_base_url: Some(BASE.into()),
            ..InstallSettings::default()
        },
        admin_api_key: None,
        connect_link_key: Some(Secret::new(KEY)),
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    }
}

fn key() -> LinkKey {
    LinkKey::new(Secret::new(KEY)).unwrap()
}

fn acme() -> TenantId {
    TenantId::parse("T0ACME").unwrap()
}

fn alice() -> UserId {
    UserId::parse("U0ALICE").unwrap()
}

struct Rig {
    google: FakeGoogle,
    stores: MemoryStores,
    providers: Providers,
}

impl Rig {
    async fn new() -> Self {
        let google = FakeGoogle::start().await.unwrap();
        let (oauth, gmail) = (google.oauth_url(), google.gmail_api_url());
        let providers = Providers::from_lookup(move |name: &str| match name {
            "GOOGLE_OAUTH_URL" => Some(oauth.clone()),
            "GMAIL_API_URL" => Some(gmail.clone()),
            "GOOGLE_CLIENT_ID" => Some(fake_google::CLIENT_ID.into()),
            "GOOGLE_CLIENT_SECRET" => Some(fake_google::CLIENT_SECRET.into()),
            "GOOGLE_MAX_RETRIES" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        let stores = MemoryStores::new();
        let active = Tenant::new(acme(), "Acme", 1);
        stores.backend().tenants.put(&active).await.unwrap();
        Self {
            google,
            stores,
            providers,
        }
    }

    fn handler(&self, secs: u64) -> ConnectHandler {
        ConnectHandler::new(
            self.stores.backend(),
            &settings(),
            self.providers.clone(),
            at(secs),
        )
    }

    async fn get(&self, secs: u64, uri: &str, cookie: Option<&str>) -> HttpResponse {
        let mut req = http::Request::builder().method("GET").uri(uri);
        if let Some(cookie) = cookie {
            req = req.header(
                header::COOKIE,
                format!("switchboard_connect_state={cookie}"),
            );
        }
        self.handler(secs)
            .handle(req.body(Bytes::new()).unwrap() as HttpRequest)
            .await
    }

    /// Follows a link for `user` at `secs`: the state cookie and Google's authorize URL.
    async fn begin(&self, secs: u64, user: &UserId) -> (String, String) {
        let link = ConnectLink::new(acme(), user.clone(), Provider::Google, secs as i64);
        let uri = format!("/connect/google?link={}", connect_link::sign(&key(), &link));
        let res = self.get(secs, &uri, None).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{}", res.body());
        let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
        let state = cookie
            .strip_prefix("switchboard_connect_state=")
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_owned();
        let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        (state, location)
    }

    /// Google's consent, then the callback path it redirects to.
    fn consent(&self, authorize: &str) -> String {
        let back = self.google.authorize(authorize).expect("the fake consents");
        back.strip_prefix(BASE)
            .expect("back to our callback")
            .to_owned()
    }

    async fn stored(&self, user: &UserId) -> Option<tenant::Credential> {
        let id = CredentialId::for_user(acme(), Provider::Google, user.clone());
        self.stores
            .backend()
            .credentials
            .get_fresh(&id)
            .await
            .unwrap()
            .map(|v| v.value)
    }
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn a_link_leads_to_googles_consent_and_the_callback_stores_the_users_grant() {
    let rig = Rig::new().await;
    rig.google.set_account_email("alice@acme.test");
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    assert_eq!(
        param(&authorize, "scope").as_deref(),
        Some(
            "https://www.googleapis.com/auth/gmail.compose https://www.googleapis.com/auth/calendar.events"
        )
    );
    assert_eq!(param(&authorize, "access_type").as_deref(), Some("offline"));
    assert_eq!(param(&authorize, "prompt").as_deref(), Some("consent"));
    assert_eq!(param(&authorize, "include_granted_scopes"), None);
    assert_eq!(
        param(&authorize, "redirect_uri").as_deref(),
        Some("https://sb.example/connect/google/callback")
    );
    assert_eq!(param(&authorize, "state").as_deref(), Some(cookie.as_str()));

    let callback = rig.consent(&authorize);
    let res = rig.get(T0 + 30, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
    assert!(res.body().contains("Google connected"));
    assert!(res.body().contains("alice@acme.test"));
    assert!(res.body().contains("slack://open?team=T0ACME"));
    let cleared = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let stored = rig.stored(&alice()).await.expect("the grant is stored");
    assert!(stored.refresh_token.is_some());
    assert_eq!(
        stored.metadata.account_email.as_deref(),
        Some("alice@acme.test")
    );
    assert_eq!(stored.scopes.len(), 2);
    let expires = stored.expires_at.unwrap();
    assert!(expires > SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 3000));
    // Audited, and a DM queued for the user.
    let audit = rig.stores.backend().audit.list(&acme()).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, tenant::audit::AuditAction::Connected);
    assert_eq!(audit[0].actor, "slack:U0ALICE");
    let queued = rig.stores.queue.peek_all();
    assert!(matches!(
        &queued[..],
        [job] if matches!(&job.kind, JobKind::Connected(c) if c.user == alice() && c.provider == Provider::Google)
    ));
    // Nothing of the grant is in the page or in the job.
    let access = stored.access_token.expose();
    assert!(!res.body().contains(access));
    assert!(!rig.stores.queue.peek_bodies()[0].contains(access));
}

#[tokio::test]
async fn bad_links_get_their_page_and_store_nothing() {
    let rig = Rig::new().await;
    let good = |user: &UserId, provider, secs: u64| {
        connect_link::sign(
            &key(),
            &ConnectLink::new(acme(), user.clone(), provider, secs as i64),
        )
    };
    let other_key = LinkKey::new(Secret::new("another-connect-link-key-9876543210")).unwrap();
    let forged = connect_link::sign(
        &other_key,
        &ConnectLink::new(acme(), alice(), Provider::Google, T0 as i64),
    );
    let cases = [
        ("/connect/google".to_owned(), StatusCode::BAD_REQUEST),
        ("/connect/google?link=".to_owned(), StatusCode::BAD_REQUEST),
        (
            "/connect/google?link=not.a-link".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/connect/google?link={forged}"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            // Made 16 minutes ago.
            format!(
                "/connect/google?link={}",
                good(&alice(), Provider::Google, T0 - 16 * 60)
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "/connect/google?link={}",
                good(&alice(), Provider::Fathom, T0)
            ),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (uri, status) in cases {
        let res = rig.get(T0, &uri, None).await;
        assert_eq!(res.status(), status, "{uri}");
        assert!(res.body().contains("/followup connect google"), "{uri}");
        assert!(res.headers().get(header::LOCATION).is_none());
    }
    assert!(rig.stores.oauth_states.stored_keys().is_empty());
    assert!(rig.stores.credentials.is_empty());
    assert!(rig.google.calls().is_empty(), "Google was never asked");
}

#[tokio::test]
async fn a_replayed_or_foreign_state_is_refused_and_a_foreign_cookie_spends_nothing() {
    let rig = Rig::new().await;
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let callback = rig.consent(&authorize);
    // Another browser (its own cookie) brings Alice's callback: refused, not consumed.
    let (other_cookie, _) = rig.begin(T0, &UserId::parse("U0MALLORY").unwrap()).await;
    let res = rig.get(T0 + 5, &callback, Some(&other_cookie)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.headers().get(header::SET_COOKIE).is_none(),
        "the other browser keeps its own connection"
    );
    let res = rig.get(T0 + 5, &callback, None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(rig.stores.credentials.is_empty());
    // Alice's browser still finishes; a replay of it does not.
    let res = rig.get(T0 + 6, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
    let res = rig.get(T0 + 7, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(rig.stores.credentials.len(), 1);
    assert!(
        rig.stored(&UserId::parse("U0MALLORY").unwrap())
            .await
            .is_none()
    );
}

#[tokio::test]
async fn an_install_state_or_an_expired_one_never_connects() {
    let rig = Rig::new().await;
    // A Slack install's state, with its cookie: valid, but not for this.
    let install_state = "install-state-0123456789";
    let record = OAuthStateRecord {
        cookie_hash: app::oauth_cookie::cookie_hash(install_state),
        purpose: StatePurpose::INSTALL,
        created_at: T0 as i64,
        expires_at: T0 as i64 + 600,
    };
    rig.stores
        .backend()
        .oauth_states
        .issue(install_state, &record)
        .await
        .unwrap();
    let uri = format!("/connect/google/callback?code=4%2Fx&state={install_state}");
    let res = rig.get(T0 + 1, &uri, Some(install_state)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(rig.google.calls_to(Endpoint::Token).is_empty());

    // Eleven minutes at Google's consent screen.
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let callback = rig.consent(&authorize);
    let res = rig.get(T0 + 660, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.body().contains("10 minutes"));
    assert!(rig.stores.credentials.is_empty());
}

#[tokio::test]
async fn an_unticked_scope_or_a_failing_token_endpoint_stores_nothing() {
    let rig = Rig::new().await;
    // The user unticks Calendar: refused, and the partial grant is revoked at Google.
    rig.google.grant_only(&[fake_google::GMAIL_COMPOSE]);
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let res = rig
        .get(T0 + 5, &rig.consent(&authorize), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.body().contains("every permission"));
    assert_eq!(rig.google.revoked_grants(), 1);
    rig.google
        .grant_only(&[fake_google::GMAIL_COMPOSE, fake_google::CALENDAR_EVENTS]);

    // Google is down at the token endpoint: 502, try again later.
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    rig.google.fail_next(Endpoint::Token, Failure::Status(503));
    let res = rig
        .get(T0 + 5, &rig.consent(&authorize), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        res.body().contains("couldn&#39;t reach Google"),
        "{}",
        res.body()
    );

    // A spent code (invalid_grant): Google's verdict, a 400.
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let callback = rig.consent(&authorize);
    let code = param(&format!("{BASE}{callback}"), "code").unwrap();
    let client = &rig.providers.route("google").unwrap().1.unwrap().client;
    let redirect = url::Url::parse("https://sb.example/connect/google/callback").unwrap();
    client.exchange(&code, &redirect).await.unwrap();
    let res = rig.get(T0 + 5, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.body().contains("did not accept"), "{}", res.body());
    // The user pressed Cancel.
    rig.google.deny_consent();
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let res = rig
        .get(T0 + 5, &rig.consent(&authorize), Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.body().contains("cancelled"));

    assert!(rig.stores.credentials.is_empty());
    assert!(
        rig.stores
            .backend()
            .audit
            .list(&acme())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(rig.stores.queue.is_empty());
}

#[tokio::test]
async fn a_paused_or_uninstalled_workspace_connects_nothing() {
    let rig = Rig::new().await;
    let (cookie, authorize) = rig.begin(T0, &alice()).await;
    let callback = rig.consent(&authorize);
    let mut paused = Tenant::new(acme(), "Acme", 1);
    paused.status = TenantStatus::Suspended;
    rig.stores.backend().tenants.put(&paused).await.unwrap();
    let res = rig.get(T0 + 5, &callback, Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        rig.google.calls_to(Endpoint::Token).is_empty(),
        "no grant taken"
    );
    // A link into a workspace that was never installed here.
    let link = ConnectLink::new(
        TenantId::parse("T0NOWHERE").unwrap(),
        alice(),
        Provider::Google,
        T0 as i64,
    );
    let uri = format!("/connect/google?link={}", connect_link::sign(&key(), &link));
    let res = rig.get(T0, &uri, None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(rig.stores.credentials.is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_and_an_unconfigured_google_is_503() {
    let rig = Rig::new().await;
    for uri in [
        "/connect/dropbox?link=x",
        "/connect/fathom?link=x",
        "/connect/fathom/callback",
        "/connect/",
        "/connect/google/callback/extra",
        "/elsewhere",
    ] {
        assert_eq!(
            rig.get(T0, uri, None).await.status(),
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    let bare = ConnectHandler::new(
        rig.stores.backend(),
        &settings(),
        Providers::default(),
        at(T0),
    );
    let req = http::Request::builder()
        .uri("/connect/google?link=x")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        bare.handle(req).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // No link key: nothing can be verified, so nothing is served.
    let mut keyless = settings();
    keyless.connect_link_key = Some(Secret::new("replace-me"));
    let handler = ConnectHandler::new(
        rig.stores.backend(),
        &keyless,
        rig.providers.clone(),
        at(T0),
    );
    let req = http::Request::builder()
        .uri("/connect/google?link=x")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        handler.handle(req).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
