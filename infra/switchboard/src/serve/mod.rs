//! `switchboard serve`: every function's handler on one local HTTP server over the embedded
//! backend, plus the worker draining the local queue. The same [`start`] is what the end-to-end
//! tests run, so they exercise exactly the router a developer (or a tunnel from Slack) hits.

mod router;
mod worker_loop;

use std::net::SocketAddr;
use std::sync::Arc;

use app::Clock;
use app::wiring::{BackendChoice, SlackSettings, WiringError};
use tenant::Backend;
use tenant::ports::JobConsumer;
use tokio::sync::watch;
use tracing::{info, warn};

pub use router::{CrmParts, options_routes, router, router_with};
pub use worker_loop::NotifyingQueue;

use crate::config::ServeConfig;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Wiring(#[from] WiringError),
    #[error("server failed: {0}")]
    Server(#[source] std::io::Error),
    /// A follow-up provider setting (`FATHOM_API_URL`, `ANTHROPIC_*`) is unusable.
    #[error(transparent)]
    Provider(#[from] connectors::ConfigError),
}

/// What the server runs on: a backend, its queue's consumer side, Slack settings, a clock.
pub struct ServeParts {
    pub backend: Backend,
    pub consumer: Arc<dyn JobConsumer>,
    pub slack: SlackSettings,
    pub clock: Clock,
    /// Whether to drain the queue with the worker (tests turn it off to inspect the queue).
    pub run_worker: bool,
    /// The follow-up providers and session store; `None`: follow-ups are off.
    pub followup: Option<worker::Followup>,
    /// Who users may connect their own accounts at (`/connect/{provider}`); the default
    /// connects none.
    pub connect: connect::Providers,
}

/// A running server and its worker; dropping it (or [`Running::stop`]) shuts both down.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests, lets the worker finish its pass, and waits for both.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` (port 0 picks a free one) and starts the HTTP server and the worker.
pub async fn start(addr: SocketAddr, parts: ServeParts) -> Result<Running, ServeError> {
    start_with(addr, parts, axum::Router::new()).await
}

/// [`start`] with `extra` routes beside the app's (see [`router_with`]).
pub async fn start_with(
    addr: SocketAddr,
    parts: ServeParts,
    extra: axum::Router,
) -> Result<Running, ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let (stop, stopped) = watch::channel(false);

    let notify = Arc::new(tokio::sync::Notify::new());
    let backend = Backend {
        queue: Arc::new(NotifyingQueue::new(
            parts.backend.queue.clone(),
            notify.clone(),
        )),
        ..parts.backend
    };
    let mut worker =
        worker::Worker::new(backend.clone(), parts.slack.web_api()?, parts.clock.clone())
            // Fathom delivers automatic follow-ups to this server's /webhooks/fathom.
            .with_public_base_url(parts.slack.install.public_base_url.clone());
    if let Some(oauth) = parts.slack.oauth_client()? {
        worker = worker.with_oauth(oauth);
    }
    // /slack/options searches the same CRMs as the worker's CRM jobs (none without them).
    let crm = parts
        .followup
        .as_ref()
        .and_then(|f| f.crm.as_ref())
        .map(|c| CrmParts {
            crms: c.crms.clone(),
            directory: c.directory.clone(),
        });
    if let Some(followup) = parts.followup {
        worker = worker.with_followup(followup);
    }
    // The table the router's commands handler enforces (a bad one is logged there).
    if let Ok(quotas) = app::wiring::followup_quotas_from_env() {
        worker = worker.with_quotas(quotas);
    }
    let worker = Arc::new(worker.with_connect_links(parts.slack.connect_links()));
    let options = options_routes(&backend, &parts.slack, crm.as_ref(), parts.clock.clone());
    let app =
        router_with(&backend, &parts.slack, &parts.connect, parts.clock, extra).merge(options);

    let mut http_stopped = stopped.clone();
    let http = tokio::spawn(async move {
        let shutdown = async move {
            let _ = http_stopped.wait_for(|s| *s).await;
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            warn!(error = %err, "HTTP server stopped with an error");
        }
    });
    let mut tasks = vec![http];
    if parts.run_worker {
        tasks.push(tokio::spawn(worker_loop::run(
            worker,
            parts.consumer,
            notify,
            stopped,
        )));
    }
    Ok(Running { addr, stop, tasks })
}

/// `switchboard serve`: runs until Ctrl-C.
pub async fn run(config: ServeConfig) -> Result<(), ServeError> {
    // serve reads the app's secrets once (a devserver restarts to pick up new ones).
    let (wired, secrets) = app::wiring::wire(config.backend).await?;
    let slack = secrets.read_once().await?;
    match slack.verifier() {
        Err(_) if slack.signing_secret.is_none() => {
            eprintln!("{}", crate::config::MISSING_SLACK_HELP)
        }
        // A placeholder or too short a secret: the same 503s, with the reason.
        Err(err) => eprintln!("{err}: Slack requests will be answered 503 until it is fixed."),
        Ok(_) => {}
    }
    let env = |name: &str| std::env::var(name).ok();
    let api_key = env("ANTHROPIC_API_KEY")
        .filter(|k| !k.trim().is_empty())
        .map(tenant::Secret::new);
    let followup = worker::Followup::from_lookup(env, api_key, wired.sessions())?
        .map(|f| f.with_crm(env, wired.crm_directory()))
        .transpose()?;
    let connect = connect::Providers::from_lookup(env)?;
    let running = start(
        config.addr,
        ServeParts {
            backend: wired.backend,
            consumer: wired.consumer,
            slack,
            followup,
            connect,
            clock: Clock::system(),
            run_worker: true,
        },
    )
    .await?;
    let backend = match config.backend {
        BackendChoice::Local => format!("embedded backend in {}", config.data_dir.display()),
        BackendChoice::Aws => "AWS backend".to_owned(),
    };
    info!(addr = %running.addr, %backend, "switchboard serving");
    println!(
        "Switchboard is listening on http://{} ({backend})",
        running.addr
    );
    if let Err(err) = tokio::signal::ctrl_c().await {
        warn!(error = %err, "cannot listen for Ctrl-C; serving until killed");
        std::future::pending::<()>().await;
    }
    info!("shutting down");
    running.stop().await;
    Ok(())
}
