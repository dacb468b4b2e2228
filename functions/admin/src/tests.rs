//! Handler tests on the in-memory backend: every route, every refusal, and what bodies hold.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, StatusCode};
use tenant::ports::{Member, Role};
use tenant::service::{self, NewInstall};
use tenant::testkit::{self, MemoryStores};
use tenant::{Secret, TenantId, TenantStatus, UserId};

use super::*;

const KEY: &str = "unit-admin-key-0123456789abcdef0123456789";
const NOW: i64 = 1_800_000_000;
/// Every secret in the sample bundle contains this, so a body can be searched for leaks.
const MARKER: &str = "ADMINLEAKMARKER";

struct Rig {
    stores: MemoryStores,
    handler: AdminHandler,
}

fn rig_with_key(key: Option<&str>) -> Rig {
    let stores = MemoryStores::new();
    let clock = Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(NOW as u64));
    let key = key.map(Secret::new);
    let handler = AdminHandler::new(stores.backend(), key.as_ref(), clock);
    Rig { stores, handler }
}

fn rig() -> Rig {
    rig_with_key(Some(KEY))
}

impl Rig {
    /// Installs a tenant with the sample bundle (bot token containing [`MARKER`]) and an admin.
    async fn install(&self, name: &str) -> TenantId {
        let backend = self.stores.backend();
        let id = testkit::random_tenant();
        let bundle = testkit::sample_bundle(MARKER);
        let bot = bundle.bot.clone().unwrap();
        service::install(
            &backend,
            NewInstall {
                installation: testkit::sample_installation(&id, NOW - 100),
                name: name.into(),
                bot,
            },
            NOW - 100,
        )
        .await
        .unwrap();
        tenant::ports::replace_bundle(backend.vault.as_ref(), &id, bundle)
            .await
            .unwrap();
        let member = Member {
            user: UserId::parse("U0ADMIN001").unwrap(),
            role: Role::Admin,
            added_at: NOW - 50,
        };
        backend.members.put_member(&id, &member).await.unwrap();
        id
    }

    async fn call(&self, method: Method, path: &str, auth: Option<&str>) -> (StatusCode, String) {
        let mut req = http::Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let res = self.handler.handle(req.body(Bytes::new()).unwrap()).await;
        (res.status(), res.into_body())
    }

    async fn authed(&self, method: Method, path: &str) -> (StatusCode, serde_json::Value) {
        let (status, body) = self
            .call(method, path, Some(&format!("Bearer {KEY}")))
            .await;
        let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
        (status, json)
    }

    async fn status_of(&self, id: &TenantId) -> TenantStatus {
        self.stores
            .backend()
            .tenants
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .status
    }
}

#[tokio::test]
async fn without_a_key_every_request_is_503_even_with_a_bearer() {
    for key in [None, Some(""), Some("  ")] {
        let rig = rig_with_key(key);
        for auth in [None, Some("Bearer anything")] {
            let (status, body) = rig.call(Method::GET, "/admin/tenants", auth).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(body, r#"{"error":"admin API disabled"}"#);
        }
    }
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_401_with_a_bearer_challenge_and_changes_nothing() {
    let rig = rig();
    let id = rig.install("Acme").await;
    let path = format!("/admin/tenants/{id}/suspend");
    for auth in [
        None,
        Some("Bearer wrong"),
        Some(KEY),
        Some("Basic Zm9vOmJhcg=="),
    ] {
        let req = http::Request::builder().method(Method::POST).uri(&path);
        let req = match auth {
            Some(a) => req.header("authorization", a),
            None => req,
        };
        let res = rig.handler.handle(req.body(Bytes::new()).unwrap()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let challenge = res.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert_eq!(res.body(), r#"{"error":"unauthorized"}"#);
    }
    assert_eq!(rig.status_of(&id).await, TenantStatus::Active);
}

#[tokio::test]
async fn auth_comes_before_routing_so_strangers_learn_no_routes() {
    let rig = rig();
    let (status, _) = rig.call(Method::GET, "/admin/nope", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn list_shows_every_tenant_with_its_status_and_plan() {
    let rig = rig();
    let a = rig.install("Acme").await;
    let b = rig.install("Globex").await;
    service::suspend(&rig.stores.backend(), &b, "operator", NOW)
        .await
        .unwrap();

    let (status, body) = rig.authed(Method::GET, "/admin/tenants").await;
    assert_eq!(status, StatusCode::OK);
    let tenants = body["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2);
    let find = |id: &TenantId| {
        tenants
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap()
            .clone()
    };
    let acme = find(&a);
    assert_eq!(acme["name"], "Acme");
    assert_eq!(acme["status"], "active");
    assert_eq!(acme["plan"], "free");
    assert_eq!(acme["created_at"], NOW - 100);
    assert_eq!(find(&b)["status"], "suspended");
    assert_eq!(find(&b)["updated_at"], NOW);
}

#[tokio::test]
async fn get_shows_installation_members_and_token_presence_but_no_token() {
    let rig = rig();
    let id = rig.install("Acme").await;
    let (status, body) = rig
        .authed(Method::GET, &format!("/admin/tenants/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tenant"]["id"], id.as_str());
    assert_eq!(body["tenant"]["name"], "Acme");
    assert_eq!(body["installation"]["team_id"], id.as_str());
    assert_eq!(body["installation"]["installer"], "U0INSTALLER");
    assert_eq!(body["installation"]["bot_scopes"][0], "commands");
    assert_eq!(body["has_tokens"], true);
    assert_eq!(body["members"][0]["user"], "U0ADMIN001");
    assert_eq!(body["members"][0]["role"], "admin");
    let text = body.to_string();
    assert!(!text.contains(MARKER), "a secret reached the body: {text}");
    assert!(!text.contains("xox"), "a token reached the body: {text}");

    rig.stores.backend().vault.delete(&id).await.unwrap();
    let (_, body) = rig
        .authed(Method::GET, &format!("/admin/tenants/{id}"))
        .await;
    assert_eq!(body["has_tokens"], false);
}

#[tokio::test]
async fn suspend_and_resume_change_the_status_and_are_audited_as_admin() {
    let rig = rig();
    let id = rig.install("Acme").await;
    let (status, body) = rig
        .authed(Method::POST, &format!("/admin/tenants/{id}/suspend"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "suspended");
    assert_eq!(rig.status_of(&id).await, TenantStatus::Suspended);

    let (status, body) = rig
        .authed(Method::POST, &format!("/admin/tenants/{id}/resume"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "active");
    assert_eq!(rig.status_of(&id).await, TenantStatus::Active);

    let (status, body) = rig
        .authed(Method::GET, &format!("/admin/tenants/{id}/audit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["chain"], "ok");
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e["action"].clone()).collect();
    assert_eq!(actions, ["install", "suspend", "resume"]);
    assert_eq!(entries[1]["actor"], ACTOR);
    assert_eq!(entries[2]["actor"], ACTOR);
    assert_eq!(entries[2]["at"], NOW);
}

#[tokio::test]
async fn a_tampered_audit_log_is_reported_not_hidden() {
    let rig = rig();
    let id = rig.install("Acme").await;
    rig.authed(Method::POST, &format!("/admin/tenants/{id}/suspend"))
        .await;
    assert!(
        rig.stores
            .audit
            .tamper(&id, 2, |e| e.actor = "nobody".into())
    );
    let (status, body) = rig
        .authed(Method::GET, &format!("/admin/tenants/{id}/audit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["chain"],
        "entry 2 was edited: its hash does not match its contents"
    );
}

#[tokio::test]
async fn unknown_tenants_are_404_and_uninstalled_ones_409() {
    let rig = rig();
    let ghost = testkit::random_tenant();
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::POST, "/suspend"),
        (Method::POST, "/resume"),
        (Method::GET, "/audit"),
    ] {
        let (status, body) = rig
            .authed(method, &format!("/admin/tenants/{ghost}{suffix}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{suffix}");
        assert_eq!(
            body,
            serde_json::json!({"error": "tenant not found", "id": ghost.as_str()})
        );
    }

    let id = rig.install("Acme").await;
    service::uninstall(&rig.stores.backend(), &id, NOW)
        .await
        .unwrap();
    for action in ["suspend", "resume"] {
        let (status, body) = rig
            .authed(Method::POST, &format!("/admin/tenants/{id}/{action}"))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"], "tenant is uninstalled");
    }
    assert_eq!(rig.status_of(&id).await, TenantStatus::Uninstalled);
}

#[tokio::test]
async fn bad_ids_unknown_routes_and_wrong_methods_get_fixed_answers() {
    let rig = rig();
    let (status, body) = rig
        .authed(
            Method::GET,
            "/admin/tenants/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, serde_json::json!({"error": "invalid tenant id"}));

    let (status, body) = rig.authed(Method::GET, "/admin/secrets").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, serde_json::json!({"error": "not found"}));

    let req = http::Request::builder()
        .method(Method::DELETE)
        .uri("/admin/tenants/T0ACME001")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Bytes::new())
        .unwrap();
    let res = rig.handler.handle(req).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET");
}

#[tokio::test]
async fn storage_failures_are_500_with_a_fixed_body() {
    let rig = rig();
    let id = rig.install("Acme").await;
    rig.stores.tenants.switch.set_down(true);
    for (method, path) in [
        (Method::GET, "/admin/tenants".to_owned()),
        (Method::GET, format!("/admin/tenants/{id}")),
        (Method::POST, format!("/admin/tenants/{id}/suspend")),
        (Method::GET, format!("/admin/tenants/{id}/audit")),
    ] {
        let (status, body) = rig.authed(method, &path).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(body, serde_json::json!({"error": "internal error"}));
    }
    rig.stores.tenants.switch.set_down(false);
    rig.stores.vault.switch.set_down(true);
    let (status, _) = rig
        .authed(Method::GET, &format!("/admin/tenants/{id}"))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn answers_are_json_and_not_cached() {
    let rig = rig();
    let req = http::Request::builder()
        .uri("/admin/tenants")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Bytes::new())
        .unwrap();
    let res = rig.handler.handle(req).await;
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "no-store");
}
