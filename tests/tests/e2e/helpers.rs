//! `TestApp`: the whole app as `switchboard serve` runs it (same router, same worker loop) on a
//! free loopback port, over the embedded backend in a temporary directory, talking to a fake
//! Slack. Requests are signed the way Slack signs them.

use std::sync::Arc;
use std::time::Duration;

use app::Clock;
use app::wiring::{InstallSettings, SlackSettings};
use switchboard_cli::serve::{self, Running, ServeParts};
use tenant::ports::{Delivery, JobConsumer};
use tenant::service::{self, NewInstall};
use tenant::{Backend, BotToken, Installation, Secret, TeamId, Tenant, TenantId, UserId};
use testkit::FakeSlack;
use testkit::payloads;
use testkit::signer::{now, signed_headers};

pub const SECRET: &str = "e2e-signing-secret-0123456789abcdef";
/// The app's OAuth credentials, known to the fake Slack.
pub const CLIENT_ID: &str = "1000000001.2000000002";
pub const CLIENT_SECRET: &str = "e2e-client-secret-abcdef";
/// The operator API's bearer key (`Authorization: Bearer ADMIN_KEY` on /admin/...).
pub const ADMIN_KEY: &str = "e2e-admin-key-0123456789abcdef0123456789";
pub const WAIT: Duration = Duration::from_secs(10);
/// The key connect links are signed with.
pub const LINK_KEY: &str = "e2e-connect-link-key-0123456789abcdef";
/// The platform's AI key, as the fake Anthropic expects it.
pub const AI_KEY: &str = "e2e-anthropic-key";

pub struct TestApp {
    pub base: String,
    pub fake: FakeSlack,
    /// Fathom and the AI, for the follow-up flow (Fathom starts with no users: tests add
    /// theirs with [`TestApp::fathom_data`]-style builders through `spawn_with_fathom`).
    pub fathom: fakes::fathom::FakeFathom,
    pub ai: fakes::anthropic::FakeAnthropic,
    pub google: fakes::google::FakeGoogle,
    pub sessions: Arc<dyn followup::Sessions>,
    /// The CRMs (empty: tests add their portals, companies and workspaces) and the
    /// workspaces' CRM settings and mappings.
    pub hubspot: fakes::hubspot::FakeHubSpot,
    pub pipedrive: fakes::pipedrive::FakePipedrive,
    pub crono: fakes::crono::FakeCrono,
    /// Salesforce connects by OAuth through `/connect/salesforce` (client
    /// [`SALESFORCE_CLIENT`]); its API host is the `instance_url` its token answer names.
    pub salesforce: fakes::salesforce::FakeSalesforce,
    pub directory: Arc<dyn followup::ports::CrmDirectory>,
    pub backend: Backend,
    pub consumer: Arc<dyn JobConsumer>,
    pub http: reqwest::Client,
    server: Option<Running>,
    _dir: tempfile::TempDir,
}

/// The Salesforce connected app the harness's deployment is configured with.
pub const SALESFORCE_CLIENT: &str = "salesforce-e2e-consumer-key";
pub const SALESFORCE_SECRET: &str = "salesforce-e2e-consumer-secret";

/// The app with its worker draining the queue.
pub async fn spawn_app() -> TestApp {
    spawn(true).await
}

/// The app with no worker, so a test can look at what was queued.
pub async fn spawn_app_without_worker() -> TestApp {
    spawn(false).await
}

async fn spawn(run_worker: bool) -> TestApp {
    spawn_with_fathom(run_worker, fakes::fathom::FathomData::new()).await
}

/// The app on the embedded backend with a fake Fathom holding `fathom`'s users.
pub async fn spawn_with_fathom(run_worker: bool, fathom: fakes::fathom::FathomData) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let local = local::LocalBackend::open(dir.path()).expect("open embedded backend");
    let sessions = local.sessions();
    let directory = local.crm_directory();
    spawn_full(
        local.backend(),
        local.consumer(),
        sessions,
        directory,
        fathom,
        run_worker,
        dir,
    )
    .await
}

/// The app over any backend (the memory one with failure switches, say).
pub async fn spawn_on(
    backend: Backend,
    consumer: Arc<dyn JobConsumer>,
    run_worker: bool,
    dir: tempfile::TempDir,
) -> TestApp {
    let sessions: Arc<dyn followup::Sessions> =
        Arc::new(followup::testkit::MemorySessions::default());
    let directory: Arc<dyn followup::ports::CrmDirectory> =
        Arc::new(followup::testkit::MemoryCrmDirectory::default());
    let fathom = fakes::fathom::FathomData::new();
    spawn_full(
        backend, consumer, sessions, directory, fathom, run_worker, dir,
    )
    .await
}

async fn spawn_full(
    backend: Backend,
    consumer: Arc<dyn JobConsumer>,
    sessions: Arc<dyn followup::Sessions>,
    directory: Arc<dyn followup::ports::CrmDirectory>,
    fathom: fakes::fathom::FathomData,
    run_worker: bool,
    dir: tempfile::TempDir,
) -> TestApp {
    let fake = FakeSlack::start().await;
    let hubspot = fakes::hubspot::FakeHubSpot::start()
        .await
        .expect("fake HubSpot starts");
    let pipedrive = fakes::pipedrive::FakePipedrive::start()
        .await
        .expect("fake Pipedrive starts");
    let crono = fakes::crono::FakeCrono::start()
        .await
        .expect("fake Crono starts");
    let salesforce = fakes::salesforce::FakeSalesforce::start()
        .await
        .expect("fake Salesforce starts");
    salesforce.add_client(SALESFORCE_CLIENT, SALESFORCE_SECRET);
    let fathom = fakes::fathom::FakeFathom::start(fathom)
        .await
        .expect("fake Fathom starts");
    let ai = fakes::anthropic::FakeAnthropic::start(AI_KEY)
        .await
        .expect("fake Anthropic starts");
    let google = fakes::google::FakeGoogle::start()
        .await
        .expect("fake Google starts");
    let urls = [
        ("FATHOM_API_URL", fathom.api_url()),
        ("ANTHROPIC_API_URL", ai.api_url()),
        ("GOOGLE_OAUTH_URL", google.oauth_url()),
        ("GMAIL_API_URL", google.gmail_api_url()),
        ("GOOGLE_CALENDAR_API_URL", google.calendar_api_url()),
        ("GOOGLE_CLIENT_ID", fakes::google::CLIENT_ID.to_owned()),
        (
            "GOOGLE_CLIENT_SECRET",
            fakes::google::CLIENT_SECRET.to_owned(),
        ),
        // Fathom OAuth beside pasted keys (the connect modal offers it).
        ("FATHOM_OAUTH_URL", fathom.oauth_url()),
        (
            "FATHOM_CLIENT_ID",
            fakes::fathom::oauth::CLIENT_ID.to_owned(),
        ),
        (
            "FATHOM_CLIENT_SECRET",
            fakes::fathom::oauth::CLIENT_SECRET.to_owned(),
        ),
        ("ANTHROPIC_FALLBACK_MODEL", "claude-fallback-e2e".to_owned()),
        ("HUBSPOT_API_URL", hubspot.api_url()),
        ("PIPEDRIVE_API_URL", pipedrive.api_url()),
        ("CRONO_API_URL", crono.api_url()),
        ("SALESFORCE_LOGIN_URL", salesforce.url()),
        ("SALESFORCE_CLIENT_ID", SALESFORCE_CLIENT.to_owned()),
        ("SALESFORCE_CLIENT_SECRET", SALESFORCE_SECRET.to_owned()),
        ("ANTHROPIC_MAX_RETRIES", "1".to_owned()),
    ];
    let lookup = move |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let connect = connect::Providers::from_lookup(lookup.clone()).expect("connect configures");
    let followup = worker::Followup::from_lookup(
        lookup.clone(),
        Some(Secret::new(AI_KEY)),
        Some(sessions.clone()),
    )
    .expect("follow-up providers configure")
    .map(|f| {
        f.with_crm(lookup, directory.clone())
            .expect("CRMs configure")
    });
    fake.set_client(CLIENT_ID, CLIENT_SECRET);
    // The OAuth redirect_uri names the server's own address, so the port is picked first.
    let addr = free_loopback_addr();
    let slack = SlackSettings {
        signing_secret: Some(SECRET.into()),
        api_url: fake.api_base(),
        response_url_base: fake.response_base(),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
        install: InstallSettings {
            authorize_url: fake.authorize_url(),
            public_base_url: Some(format!("http://{addr}")),
            ..InstallSettings::default()
        },
        admin_api_key: Some(Secret::new(ADMIN_KEY)),
        connect_link_key: Some(Secret::new(LINK_KEY)),
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    };
    let server = serve::start(
        addr,
        ServeParts {
            backend: backend.clone(),
            consumer: consumer.clone(),
            slack,
            clock: Clock::system(),
            run_worker,
            followup,
            connect,
        },
    )
    .await
    .expect("server starts");
    TestApp {
        base: format!("http://{}", server.addr),
        fake,
        fathom,
        ai,
        google,
        sessions,
        hubspot,
        pipedrive,
        crono,
        salesforce,
        directory,
        backend,
        consumer,
        // Keeps cookies like a browser (the OAuth state cookie) and shows redirects as they are.
        http: testkit::http::client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        server: Some(server),
        _dir: dir,
    }
}

/// A loopback address with a port free right now (the listener is dropped before returning).
fn free_loopback_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

impl TestApp {
    /// Installs a workspace tenant with a bot token the fake Slack accepts; returns the token.
    pub async fn install(&self, team: &str, name: &str) -> String {
        let token = format!("xoxb-e2e-{}", team.to_lowercase());
        self.fake.add_token(&token);
        let tenant = TenantId::Workspace(TeamId::parse(team).unwrap());
        let installation = Installation {
            tenant: tenant.clone(),
            team_id: Some(TeamId::parse(team).unwrap()),
            enterprise_id: None,
            is_enterprise_install: false,
            app_id: None,
            bot_user_id: Some(UserId::parse(payloads::BOT_USER_ID).unwrap()),
            bot_id: Some(tenant::BotId::parse("B0FAKEBOT").unwrap()),
            bot_scopes: vec!["chat:write".into(), "commands".into()],
            user_scopes: vec![],
            installer: None,
            installed_at: now(),
        };
        let bot = BotToken {
            token: Secret::new(token.clone()),
            bot_user_id: installation.bot_user_id.clone(),
            bot_id: installation.bot_id.clone(),
            scopes: installation.bot_scopes.clone(),
            refresh_token: None,
            expires_at: None,
        };
        service::install(
            &self.backend,
            NewInstall {
                installation,
                name: name.into(),
                bot,
            },
            now(),
        )
        .await
        .expect("install");
        token
    }

    pub async fn tenant(&self, team: &str) -> Option<Tenant> {
        let id = TenantId::parse(team).unwrap();
        self.backend.tenants.get(&id).await.unwrap()
    }

    /// POSTs `body` to `path` signed now.
    pub async fn post_signed(&self, path: &str, body: &str) -> reqwest::Response {
        self.post_signed_at(path, body, now()).await
    }

    /// POSTs `body` to `path` signed at `at`.
    pub async fn post_signed_at(&self, path: &str, body: &str, at: i64) -> reqwest::Response {
        let headers = signed_headers(SECRET, body.as_bytes(), at);
        self.http
            .post(format!("{}{path}", self.base))
            .headers(headers)
            .body(body.to_owned())
            .send()
            .await
            .expect("request reaches the server")
    }

    /// A `/followup` slash command from `team`, answered to a fake response_url named `hook`.
    pub async fn command(&self, team: &str, text: &str, hook: &str) -> reqwest::Response {
        let body = payloads::slash_command(
            team,
            "U0USER001",
            "C0CHAN001",
            "/followup",
            text,
            &self.fake.response_url(hook),
        );
        self.post_signed("/slack/commands", &body).await
    }

    /// Takes everything queued right now (a test's look at the queue; messages stay invisible
    /// for a minute afterwards).
    pub async fn take_queued(&self) -> Vec<Delivery> {
        self.consumer
            .receive(100, Duration::from_secs(60))
            .await
            .expect("queue readable")
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// The JSON body of a response.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}
