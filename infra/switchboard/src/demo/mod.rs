//! `switchboard demo`: the product without any account. One process runs, on 127.0.0.1, the
//! fake Slack, a fake Fathom with sample meetings, a fake AI and a fake Google, the embedded
//! backend in a fresh temporary directory, one installed demo workspace (its user already
//! connected to Google), and `serve`'s own router and
//! worker pointed at those fakes; `/demo` on the same address lets a person play the Slack
//! user. Every click reaches the app as a signed Slack request, verified as Slack's are.

mod crm;
mod mrkdwn;
mod panel;
mod payloads;
mod render;
mod routes;
mod session;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use app::Clock;
use app::wiring::{InstallSettings, SlackSettings};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Args;
use fakes::anthropic::FakeAnthropic;
use fakes::fathom::{FakeFathom, FathomData, SAMPLE_KEY_ALICE};
use fakes::google::FakeGoogle;
use fakes::slack::{BotIdentity, FakeSlack};
use tenant::service::{self, NewInstall};
use tenant::{BotId, BotToken, Installation, Secret, TeamId, TenantId, UserId};
use tracing::{info, warn};

use crate::serve::{self, Running, ServeError, ServeParts};

/// The demo workspace and its one user.
pub const TEAM: &str = "T0DEMO001";
pub const USER: &str = "U0DEMO001";
const WORKSPACE: &str = "Acme (demo)";
/// A real zone, so the picker's times show as a user in Italy would read them.
const TIME_ZONE: &str = "Europe/Rome";

/// `switchboard demo`
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Keep the embedded backend here instead of a fresh temporary directory (a second run
    /// then remembers the connected Fathom key).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// The fakes the demo runs; what they recorded is what the page shows.
pub struct DemoFakes {
    pub slack: FakeSlack,
    pub fathom: FakeFathom,
    pub ai: FakeAnthropic,
    /// Gmail and Calendar: the demo user starts with Google already connected.
    pub google: FakeGoogle,
    /// The workspace's CRM, already connected (see `crm.rs`).
    pub hubspot: fakes::hubspot::FakeHubSpot,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("a fake provider could not start: {0}")]
    Fake(#[source] std::io::Error),
    #[error("the data directory could not be made: {0}")]
    DataDir(#[source] std::io::Error),
    #[error("the embedded backend could not open: {0}")]
    Backend(#[source] local::LocalError),
    #[error("the demo workspace could not be installed: {0}")]
    Install(#[source] tenant::service::TenantError),
    #[error("the demo user's Google grant could not be stored: {0}")]
    Store(#[source] tenant::ports::CredentialError),
    #[error("the demo CRM could not be connected: {0}")]
    Crm(String),
    #[error("a demo id is malformed: {0}")]
    Id(#[source] tenant::IdError),
    #[error("the demo's signing secret was refused: {0}")]
    Secret(#[source] slack::VerifyError),
    #[error("the demo's HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
    #[error("the demo page's templates are broken: {0}")]
    Templates(#[source] minijinja::Error),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("the follow-up providers could not be configured: {0}")]
    Provider(#[from] connectors::ConfigError),
}

/// A running demo; stops when dropped or on [`Demo::stop`].
pub struct Demo {
    /// `http://127.0.0.1:PORT/demo`: what to open.
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<routes::Demo>,
    server: Option<Running>,
    _temp: Option<tempfile::TempDir>,
}

impl Demo {
    /// What the fakes recorded (for tests: the page shows the same).
    pub fn fakes(&self) -> &DemoFakes {
        &self.state.session.fakes
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// A random secret of 32 bytes, URL-safe base64: the demo's signing secret, bot token and AI
/// key live only in this process, so nothing fixed can be reused against a real install.
fn fresh_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Starts everything and serves on 127.0.0.1:`args.port`.
pub async fn start(args: &DemoArgs) -> Result<Demo, DemoError> {
    let now = jiff::Timestamp::now();
    let slack = FakeSlack::try_start().await.map_err(DemoError::Fake)?;
    let fathom = FakeFathom::start(FathomData::sample(now))
        .await
        .map_err(DemoError::Fake)?;
    let ai_key = fresh_secret();
    let ai = FakeAnthropic::start(&ai_key)
        .await
        .map_err(DemoError::Fake)?;
    let google = FakeGoogle::start().await.map_err(DemoError::Fake)?;

    let (dir, temp) = match &args.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(DemoError::DataDir)?;
            (dir.clone(), None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("switchboard-demo-")
                .tempdir()
                .map_err(DemoError::DataDir)?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let local = local::LocalBackend::open(&dir).map_err(DemoError::Backend)?;
    let backend = local.backend();

    let identity = BotIdentity {
        team_id: TEAM.into(),
        team_name: WORKSPACE.into(),
        ..BotIdentity::default()
    };
    let bot_token = format!("xoxb-demo-{}", fresh_secret());
    slack.add_token_for(&bot_token, identity.clone());
    install_workspace(&backend, &identity, &bot_token, now.as_second()).await?;
    let offset = jiff::tz::TimeZone::get(TIME_ZONE)
        .map(|tz| i64::from(tz.to_offset(now).seconds()))
        .unwrap_or(0);
    slack.add_user(USER, TIME_ZONE, offset, false);
    connect_google(&backend, &google).await?;
    let hubspot = fakes::hubspot::FakeHubSpot::start()
        .await
        .map_err(DemoError::Fake)?;
    let team = TenantId::Workspace(TeamId::parse(TEAM).map_err(DemoError::Id)?);
    crm::connect_crm(
        &backend,
        local.crm_directory().as_ref(),
        &hubspot,
        &team,
        &UserId::parse(USER).map_err(DemoError::Id)?,
        &format!("pat-demo-{}", fresh_secret()),
        now.as_second(),
    )
    .await?;

    let urls = [
        ("FATHOM_API_URL", fathom.api_url()),
        ("ANTHROPIC_API_URL", ai.api_url()),
        ("GOOGLE_OAUTH_URL", google.oauth_url()),
        ("GMAIL_API_URL", google.gmail_api_url()),
        ("GOOGLE_CALENDAR_API_URL", google.calendar_api_url()),
        ("GOOGLE_CLIENT_ID", fakes::google::CLIENT_ID.to_owned()),
        ("HUBSPOT_API_URL", hubspot.api_url()),
        (
            "GOOGLE_CLIENT_SECRET",
            fakes::google::CLIENT_SECRET.to_owned(),
        ),
    ];
    let lookup = move |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let connect = connect::Providers::from_lookup(lookup.clone())?;
    let followup = worker::Followup::from_lookup(
        lookup.clone(),
        Some(Secret::new(ai_key)),
        Some(local.sessions()),
    )?
    .map(|f| f.with_crm(lookup, local.crm_directory()))
    .transpose()?;

    let signing_secret = fresh_secret();
    let verifier = slack::Verifier::new(&signing_secret).map_err(DemoError::Secret)?;
    let settings = SlackSettings {
        signing_secret: Some(signing_secret),
        api_url: slack.api_base(),
        response_url_base: slack.response_base(),
        client_id: None,
        client_secret: None,
        install: InstallSettings {
            authorize_url: slack.authorize_url(),
            ..InstallSettings::default()
        },
        admin_api_key: None,
        connect_link_key: None,
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    };
    let actor = payloads::Actor {
        team: TEAM.into(),
        team_domain: "acme-demo".into(),
        user: USER.into(),
        user_name: "alice".into(),
        app_id: identity.app_id.clone(),
        bot_id: identity.bot_id.clone(),
    };
    let fakes = DemoFakes {
        slack,
        fathom,
        ai,
        google,
        hubspot,
    };
    let session = session::Session::new(fakes, actor, verifier).map_err(DemoError::Client)?;
    let state = Arc::new(routes::Demo {
        session,
        pages: render::Pages::new().map_err(DemoError::Templates)?,
        intro: render::Intro {
            user_name: "Alice Johnson".into(),
            time_zone: TIME_ZONE.into(),
            workspace: WORKSPACE.into(),
            sample_key: SAMPLE_KEY_ALICE.into(),
        },
    });

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let server = serve::start_with(
        addr,
        ServeParts {
            backend,
            consumer: local.consumer(),
            slack: settings,
            clock: Clock::system(),
            run_worker: true,
            followup,
            connect,
        },
        routes::router(state.clone()),
    )
    .await?;
    let base = format!("http://{}", server.addr);
    state.session.set_app_base(base.clone());
    Ok(Demo {
        url: format!("{base}/demo"),
        base,
        state,
        server: Some(server),
        _temp: temp,
    })
}

/// Installs the demo workspace the way an OAuth install would leave it.
async fn install_workspace(
    backend: &tenant::Backend,
    identity: &BotIdentity,
    token: &str,
    now: i64,
) -> Result<(), DemoError> {
    let team = TeamId::parse(TEAM).map_err(DemoError::Id)?;
    let tenant = TenantId::Workspace(team.clone());
    let bot_user = UserId::parse(&identity.user_id).ok();
    let bot_id = BotId::parse(&identity.bot_id).ok();
    let scopes: Vec<String> = ["chat:write", "commands", "users:read", "im:write"]
        .map(str::to_owned)
        .to_vec();
    let installation = Installation {
        tenant,
        team_id: Some(team),
        enterprise_id: None,
        is_enterprise_install: false,
        app_id: None,
        bot_user_id: bot_user.clone(),
        bot_id: bot_id.clone(),
        bot_scopes: scopes.clone(),
        user_scopes: vec![],
        installer: UserId::parse(USER).ok(),
        installed_at: now,
    };
    let bot = BotToken {
        token: Secret::new(token.to_owned()),
        bot_user_id: bot_user,
        bot_id,
        scopes,
        refresh_token: None,
        expires_at: None,
    };
    service::install(
        backend,
        NewInstall {
            installation,
            name: WORKSPACE.into(),
            bot,
        },
        now,
    )
    .await
    .map_err(DemoError::Install)?;
    Ok(())
}

/// The demo user's Google grant, stored as the connect flow stores one: serve has no Google
/// consent route, and the demo is about what the app does with a grant (a Gmail draft, a
/// Calendar event from the edit modal), not about Google's consent screen.
async fn connect_google(backend: &tenant::Backend, google: &FakeGoogle) -> Result<(), DemoError> {
    use tenant::credential::{Credential, CredentialId, Provider};
    let (access, refresh) =
        google.issue_tokens(&[fakes::google::GMAIL_COMPOSE, fakes::google::CALENDAR_EVENTS]);
    let team = TeamId::parse(TEAM).map_err(DemoError::Id)?;
    let user = UserId::parse(USER).map_err(DemoError::Id)?;
    let id = CredentialId::for_user(TenantId::Workspace(team), Provider::Google, user);
    tenant::ports::update_credential(backend.credentials.as_ref(), &id, |slot| {
        let mut grant = Credential::new(access.clone());
        grant.refresh_token = Some(refresh.clone());
        // The fake's access tokens last an hour, as Google's do; the app refreshes after.
        grant.expires_at =
            Some(std::time::SystemTime::now() + std::time::Duration::from_secs(3000));
        *slot = Some(grant);
    })
    .await
    .map_err(DemoError::Store)?;
    Ok(())
}

/// `switchboard demo`: prints the URL and runs until Ctrl-C.
pub async fn run(args: DemoArgs) -> Result<(), DemoError> {
    let demo = start(&args).await?;
    info!(url = %demo.url, "switchboard demo running");
    println!("Switchboard demo: open {} (Ctrl-C stops it)", demo.url);
    if let Err(err) = tokio::signal::ctrl_c().await {
        warn!(error = %err, "cannot listen for Ctrl-C; running until killed");
        std::future::pending::<()>().await;
    }
    demo.stop().await;
    Ok(())
}
