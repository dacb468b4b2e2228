//! The operator API (`/admin/...`) through serve's router: bearer auth, listing and inspecting
//! tenants, suspend and resume with their effect on Slack requests, the audit chain, and the
//! refusals (400, 404, 405, 409, 401, 503).

use app::Clock;
use app::wiring::{InstallSettings, SlackSettings};
use switchboard_cli::serve::{self, ServeParts};
use tenant::TenantStatus;
use testkit::payloads;

use crate::helpers::{ADMIN_KEY, SECRET, TestApp, json, spawn_app_without_worker};

impl TestApp {
    /// An admin request with the right key.
    async fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.admin_with(method, path, Some(&format!("Bearer {ADMIN_KEY}")))
            .await
    }

    /// An admin request with the given `Authorization` header (or none).
    async fn admin_with(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        req.send().await.expect("request reaches the server")
    }
}

const GET: reqwest::Method = reqwest::Method::GET;
const POST: reqwest::Method = reqwest::Method::POST;

#[tokio::test]
async fn without_the_right_bearer_key_nothing_is_shown_or_changed() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    for auth in [
        None,
        Some("Bearer not-the-key".to_owned()),
        Some(format!("Basic {ADMIN_KEY}")),
        // The Slack signing secret is not an admin key.
        Some(format!("Bearer {SECRET}")),
    ] {
        for (method, path) in [
            (GET, "/admin/tenants"),
            (POST, "/admin/tenants/T0ACME001/suspend"),
        ] {
            let res = app.admin_with(method, path, auth.as_deref()).await;
            assert_eq!(res.status(), 401, "{path} with {auth:?}");
            let challenge = res.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            let body = res.text().await.unwrap();
            assert_eq!(body, r#"{"error":"unauthorized"}"#);
            assert!(!body.contains("Acme"));
        }
    }
    assert_eq!(
        app.tenant("T0ACME001").await.unwrap().status,
        TenantStatus::Active
    );
    app.stop().await;
}

#[tokio::test]
async fn a_server_without_an_admin_key_answers_every_admin_request_503() {
    let (backend, queue) = tenant::testkit::memory_backend();
    let slack = SlackSettings {
        signing_secret: Some(SECRET.into()),
        api_url: "http://127.0.0.1:9/api".into(),
        response_url_base: "http://127.0.0.1:9/hooks/".into(),
        client_id: None,
        client_secret: None,
        install: InstallSettings::default(),
        admin_api_key: None,
        connect_link_key: None,
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    };
    let parts = ServeParts {
        backend,
        consumer: queue,
        slack,
        clock: Clock::system(),
        run_worker: false,
        followup: None,
        connect: connect::Providers::default(),
    };
    let server = serve::start("127.0.0.1:0".parse().unwrap(), parts)
        .await
        .expect("server starts");
    let http = testkit::http::client();
    for auth in ["", "Bearer anything", &format!("Bearer {ADMIN_KEY}")] {
        let res = http
            .get(format!("http://{}/admin/tenants", server.addr))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(
            res.text().await.unwrap(),
            r#"{"error":"admin API disabled"}"#
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn list_and_get_show_tenants_without_their_tokens() {
    let app = spawn_app_without_worker().await;
    let acme_token = app.install("T0ACME001", "Acme").await;
    let beta_token = app.install("T0BETA001", "Beta").await;

    let res = app.admin(GET, "/admin/tenants").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    assert!(!text.contains(&acme_token) && !text.contains(&beta_token));
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<_> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["name"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, [("T0ACME001", "Acme"), ("T0BETA001", "Beta")]);
    assert_eq!(list["tenants"][0]["status"], "active");
    assert_eq!(list["tenants"][0]["plan"], "free");

    let res = app.admin(GET, "/admin/tenants/T0ACME001").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains(&acme_token), "bot token in the body: {text}");
    assert!(!text.contains("xoxb-"), "a token in the body: {text}");
    let detail: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(detail["tenant"]["name"], "Acme");
    assert_eq!(detail["has_tokens"], true);
    assert_eq!(detail["installation"]["team_id"], "T0ACME001");
    assert_eq!(detail["installation"]["bot_user_id"], payloads::BOT_USER_ID);
    assert!(detail["members"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_tenant_gets_the_paused_notice_until_resumed() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;

    let res = app.admin(POST, "/admin/tenants/T0ACME001/suspend").await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["id"], "T0ACME001");
    assert_eq!(body["status"], "suspended");

    let notice = json(app.command("T0ACME001", "ping", "x").await).await;
    assert_eq!(notice["response_type"], "ephemeral");
    assert!(notice["text"].as_str().unwrap().contains("paused"));
    assert!(app.take_queued().await.is_empty(), "nothing queued");

    let res = app.admin(POST, "/admin/tenants/T0ACME001/resume").await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["status"], "active");
    app.command("T0ACME001", "ping", "x").await;
    assert_eq!(
        app.take_queued().await.len(),
        1,
        "queued again once resumed"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_records_the_admin_and_its_chain_verifies() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    app.admin(POST, "/admin/tenants/T0ACME001/suspend").await;
    app.admin(POST, "/admin/tenants/T0ACME001/resume").await;

    let res = app.admin(GET, "/admin/tenants/T0ACME001/audit").await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["chain"], "ok");
    let entries = body["entries"].as_array().unwrap();
    let seen: Vec<_> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("install", "operator"),
            ("suspend", "admin"),
            ("resume", "admin")
        ]
    );
    assert_eq!(entries[2]["prev_hash"], entries[1]["hash"]);
    app.stop().await;
}

#[tokio::test]
async fn unknown_uninstalled_and_malformed_tenants_get_404_409_and_400() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;

    for (method, path) in [
        (GET, "/admin/tenants/T0NOBODY1"),
        (POST, "/admin/tenants/T0NOBODY1/suspend"),
        (GET, "/admin/tenants/T0NOBODY1/audit"),
    ] {
        let res = app.admin(method, path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            json(res).await,
            serde_json::json!({"error": "tenant not found", "id": "T0NOBODY1"})
        );
    }

    app.post_signed("/slack/events", &payloads::app_uninstalled("T0ACME001"))
        .await;
    let res = app.admin(POST, "/admin/tenants/T0ACME001/suspend").await;
    assert_eq!(res.status(), 409);
    assert_eq!(json(res).await["error"], "tenant is uninstalled");
    assert_eq!(
        app.tenant("T0ACME001").await.unwrap().status,
        TenantStatus::Uninstalled
    );

    for path in [
        "/admin/tenants/not-a-tenant",
        "/admin/tenants/U0USER001/suspend",
    ] {
        let res = app.admin(POST, path).await;
        // The suspend route takes POST; the tenant route takes GET (405 comes before the id).
        if path.ends_with("suspend") {
            assert_eq!(res.status(), 400, "{path}");
            let body = res.text().await.unwrap();
            assert_eq!(body, r#"{"error":"invalid tenant id"}"#);
        } else {
            assert_eq!(res.status(), 405, "{path}");
            assert_eq!(res.headers()["allow"], "GET");
        }
    }
    let res = app.admin(GET, "/admin/tenants/not-a-tenant").await;
    assert_eq!(res.status(), 400);
    assert!(!res.text().await.unwrap().contains("not-a-tenant"));

    let res = app.admin(GET, "/admin/whatever").await;
    assert_eq!(res.status(), 404);
    assert_eq!(json(res).await, serde_json::json!({"error": "not found"}));
    app.stop().await;
}

#[tokio::test]
async fn suspending_one_tenant_leaves_another_active() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    app.install("T0BETA001", "Beta").await;

    let res = app.admin(POST, "/admin/tenants/T0ACME001/suspend").await;
    assert_eq!(res.status(), 200);

    assert_eq!(
        app.tenant("T0BETA001").await.unwrap().status,
        TenantStatus::Active
    );
    let answer = app.command("T0BETA001", "ping", "beta").await;
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    assert!(!text.contains("paused"), "{text}");
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 1, "B's command is queued");
    assert!(queued[0].body.contains("T0BETA001"));

    let beta_audit = json(app.admin(GET, "/admin/tenants/T0BETA001/audit").await).await;
    let actions: Vec<_> = beta_audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["install"], "A's suspend is not in B's log");
    app.stop().await;
}
