//! A workspace CRM connected by OAuth (HubSpot on its fake): tenant-wide, admins only, with
//! the portal id the links need.

use std::time::{Duration, SystemTime};

use app::connect_link::{self, ConnectLink, LinkKey};
use app::wiring::{InstallSettings, SlackSettings};
use app::{Clock, HttpRequest};
use bytes::Bytes;
use fakes::hubspot::FakeHubSpot;
use http::{StatusCode, header};
use tenant::ports::{Member, Role};
use tenant::testkit::MemoryStores;
use tenant::{CredentialId, JobKind, Provider, Secret, Tenant, TenantId, UserId};

use super::*;

const T0: u64 = 1_800_000_000;
const BASE: &str = "https://sb.example";
const KEY: &str = "unit-connect-link-key-0123456789abcdef";
const HUB: u64 = 4_242;

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

fn acme() -> TenantId {
    TenantId::parse("T0ACME").unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

struct Rig {
    hubspot: FakeHubSpot,
    stores: MemoryStores,
    providers: Providers,
}

impl Rig {
    async fn new() -> Self {
        let hubspot = FakeHubSpot::start().await.unwrap();
        hubspot.add_portal(HUB, "pat-unused");
        hubspot.add_client("hub-client", "hub-secret");
        let api = hubspot.api_url();
        let providers = Providers::from_lookup(move |name: &str| match name {
            "HUBSPOT_API_URL" => Some(api.clone()),
            "HUBSPOT_CLIENT_ID" => Some("hub-client".into()),
            "HUBSPOT_CLIENT_SECRET" => Some("hub-secret".into()),
            _ => None,
        })
        .unwrap();
        let stores = MemoryStores::new();
        let backend = stores.backend();
        backend
            .tenants
            .put(&Tenant::new(acme(), "Acme", 1))
            .await
            .unwrap();
        for (id, role) in [("U0ADMIN", Role::Admin), ("U0MEMBER", Role::Member)] {
            let member = Member {
                user: user(id),
                role,
                added_at: 1,
            };
            backend.members.put_member(&acme(), &member).await.unwrap();
        }
        Self {
            hubspot,
            stores,
            providers,
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> HttpResponse {
        let mut req = http::Request::builder().method("GET").uri(uri);
        if let Some(cookie) = cookie {
            req = req.header(
                header::COOKIE,
                format!("switchboard_connect_state={cookie}"),
            );
        }
        let clock = Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(T0));
        ConnectHandler::new(
            self.stores.backend(),
            &settings(),
            self.providers.clone(),
            clock,
        )
        .handle(req.body(Bytes::new()).unwrap() as HttpRequest)
        .await
    }

    async fn start(&self, who: &str) -> HttpResponse {
        let key = LinkKey::new(Secret::new(KEY)).unwrap();
        let link = ConnectLink::new(acme(), user(who), Provider::Hubspot, T0 as i64);
        let uri = format!("/connect/hubspot?link={}", connect_link::sign(&key, &link));
        self.get(&uri, None).await
    }

    async fn stored(&self) -> Option<tenant::Credential> {
        let id = CredentialId::tenant_wide(acme(), Provider::Hubspot);
        let read = self
            .stores
            .backend()
            .credentials
            .get_fresh(&id)
            .await
            .unwrap();
        read.map(|v| v.value)
    }
}

fn state_of(res: &HttpResponse) -> String {
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    cookie
        .strip_prefix("switchboard_connect_state=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_admin_connects_hubspot_for_the_workspace_with_its_portal() {
    let rig = Rig::new().await;
    let res = rig.start("U0ADMIN").await;
    assert_eq!(res.status(), StatusCode::FOUND, "{}", res.body());
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://app.hubspot.com/oauth/authorize"),
        "{location}"
    );
    let state = state_of(&res);
    let code = rig
        .hubspot
        .issue_code(HUB, "https://sb.example/connect/hubspot/callback");
    let callback = format!("/connect/hubspot/callback?code={code}&state={state}");
    let res = rig.get(&callback, Some(&state)).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.body());
    assert!(res.body().contains("connected for your workspace"));
    let stored = rig.stored().await.expect("the workspace's grant is stored");
    assert_eq!(stored.metadata.portal_id.as_deref(), Some("4242"));
    assert!(stored.refresh_token.is_some() && stored.expires_at.is_some());
    // No user holds it: it is the workspace's.
    let mine = CredentialId::for_user(acme(), Provider::Hubspot, user("U0ADMIN"));
    assert!(
        rig.stores
            .backend()
            .credentials
            .get_fresh(&mine)
            .await
            .unwrap()
            .is_none()
    );
    let queued = rig.stores.queue.peek_all();
    assert!(matches!(
        &queued[..],
        [job] if matches!(&job.kind, JobKind::Connected(c) if c.provider == Provider::Hubspot)
    ));
}

#[tokio::test]
async fn a_member_who_is_not_an_admin_connects_no_crm() {
    let rig = Rig::new().await;
    let res = rig.start("U0MEMBER").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.body().contains("ask one of your Slack admins"));
    assert!(res.headers().get(header::LOCATION).is_none());
    // An admin demoted between the consent and the callback connects nothing either.
    let res = rig.start("U0ADMIN").await;
    let state = state_of(&res);
    let demoted = Member {
        user: user("U0ADMIN"),
        role: Role::Member,
        added_at: 1,
    };
    rig.stores
        .backend()
        .members
        .put_member(&acme(), &demoted)
        .await
        .unwrap();
    let code = rig
        .hubspot
        .issue_code(HUB, "https://sb.example/connect/hubspot/callback");
    let res = rig
        .get(
            &format!("/connect/hubspot/callback?code={code}&state={state}"),
            Some(&state),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(rig.stored().await.is_none());
    assert!(rig.stores.queue.peek_all().is_empty());
}

#[tokio::test]
async fn a_crm_without_its_client_is_503_and_an_unknown_one_404() {
    let rig = Rig::new().await;
    let res = rig.get("/connect/salesforce?link=x", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let res = rig.get("/connect/crono?link=x", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
