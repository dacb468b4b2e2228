//! The routes of DESIGN.md on one axum router, each mounted on the same handler its Lambda runs.

use std::sync::Arc;

use admin::AdminHandler;
use app::Clock;
use app::http_io::{self, HttpRequest};
use app::lambda::HttpHandler;
use app::wiring::SlackSettings;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use commands::CommandsHandler;
use connect::ConnectHandler;
use events::EventsHandler;
use install::InstallHandler;
use oauth::OAuthHandler;
use options::OptionsHandler;
use tenant::Backend;
use webhooks::WebhooksHandler;

/// Bodies are read whole up to this, so the handlers' own 1 MiB check answers 413 with its
/// message; larger ones are refused by the server with 413 as well (the webhooks route too).
const READ_LIMIT: usize = 2 * app::MAX_BODY_BYTES;

/// The full router. Without a usable signing secret (see `app::secrets`) the Slack routes answer 503 (and `serve` has
/// printed what to set) instead of accepting anything unverified. The install routes answer a
/// "not configured" page of their own until the OAuth settings are set.
pub fn router(backend: &Backend, slack: &SlackSettings, clock: Clock) -> Router {
    router_with(
        backend,
        slack,
        &connect::Providers::default(),
        clock,
        Router::new(),
    )
}

/// [`router`] plus `extra` routes: the hook `switchboard demo` mounts its page with, so the
/// demo is served on the app's own address while plain `serve` exposes none of it.
/// `connect` is who users may connect their own accounts at (`/connect/{provider}`): Google
/// and Fathom when their OAuth clients are configured.
pub fn router_with(
    backend: &Backend,
    slack: &SlackSettings,
    connect: &connect::Providers,
    clock: Clock,
    extra: Router,
) -> Router {
    // Without ADMIN_API_KEY (or with a weak one) the admin handler answers every request 503.
    let admin = Arc::new(AdminHandler::new(
        backend.clone(),
        slack.checked_admin_api_key(),
        clock.clone(),
    ));
    let install = Arc::new(InstallHandler::new(
        backend.oauth_states.clone(),
        slack,
        clock.clone(),
    ));
    let (google, fathom_oauth) = (connect.google_enabled(), connect.fathom_enabled());
    // The handler answers its own 404 for a provider it does not connect.
    let connect = Arc::new(ConnectHandler::new(
        backend.clone(),
        slack,
        connect.clone(),
        clock.clone(),
    ));
    let connect_routes = Router::new()
        .route("/connect/{provider}", get(dispatch::<ConnectHandler>))
        .route(
            "/connect/{provider}/callback",
            get(dispatch::<ConnectHandler>),
        )
        .with_state(connect);
    let install_routes = Router::new()
        .route("/slack/install", get(dispatch::<InstallHandler>))
        .with_state(install);
    let install_routes = match OAuthHandler::new(backend.clone(), slack, clock.clone()) {
        Ok(oauth) => install_routes.route(
            "/slack/oauth_redirect",
            get(dispatch::<OAuthHandler>).with_state(Arc::new(oauth)),
        ),
        // Only a malformed SLACK_API_URL gets here; the other Slack routes fail the same way.
        Err(_) => install_routes.route("/slack/oauth_redirect", get(bad_api_url)),
    };
    let modal_web = slack.web_api_with_timeout(commands::MODAL_TIMEOUT);
    // A bad table is logged and the defaults apply: the devserver keeps serving.
    let quotas = app::wiring::followup_quotas_from_env().unwrap_or_else(|err| {
        tracing::error!(error = %err, "using the default follow-up quotas");
        tenant::FollowupQuotas::default()
    });
    // Fathom's deliveries are verified with each registration's own secret, not Slack's: the
    // route works whatever the Slack settings.
    let webhooks = Arc::new(WebhooksHandler::new(backend.clone(), clock.clone(), quotas));
    let slack_routes = match (slack.verifier(), modal_web) {
        (Ok(verifier), Ok(modal_web)) => {
            let events = Arc::new(EventsHandler::new(
                backend.clone(),
                verifier.clone(),
                clock.clone(),
            ));
            let connections = commands::Connections {
                links: slack.connect_links(),
                google,
                fathom_oauth,
            };
            let commands = Arc::new(
                CommandsHandler::new(backend.clone(), verifier, clock.clone(), modal_web)
                    .with_quotas(quotas)
                    .with_connections(connections),
            );
            Router::new()
                .route(
                    "/slack/events",
                    post(dispatch::<EventsHandler>).with_state(events),
                )
                .route(
                    "/slack/commands",
                    post(dispatch::<CommandsHandler>).with_state(commands.clone()),
                )
                .route(
                    "/slack/interactions",
                    post(dispatch::<CommandsHandler>).with_state(commands),
                )
        }
        // Only a malformed SLACK_API_URL gets here with a verifier.
        (Ok(_), Err(_)) => Router::new()
            .route("/slack/events", post(bad_api_url))
            .route("/slack/commands", post(bad_api_url))
            .route("/slack/interactions", post(bad_api_url)),
        (Err(_), _) => Router::new()
            .route("/slack/events", post(not_configured))
            .route("/slack/commands", post(not_configured))
            .route("/slack/interactions", post(not_configured)),
    };
    slack_routes
        .merge(install_routes)
        .merge(connect_routes)
        .merge(extra)
        .route(
            "/admin/{*proxy}",
            any(dispatch::<AdminHandler>).with_state(admin),
        )
        .route(
            "/webhooks/{provider}",
            post(dispatch::<WebhooksHandler>).with_state(webhooks),
        )
        .fallback(not_found)
}

/// The workspace CRMs /slack/options searches: the clients and the directory of connections
/// (the worker's, from `worker::Followup::crm`).
#[derive(Clone)]
pub struct CrmParts {
    pub crms: options::Crms,
    pub directory: Arc<dyn followup::ports::CrmDirectory>,
}

/// POST /slack/options (the `options` function): the external selects' options from the
/// workspace's CRM. Without `crm` (follow-ups or their CRMs off: no modal has our selects) it
/// answers empty options; without a signing secret 503 like the other Slack routes.
pub fn options_routes(
    backend: &Backend,
    slack: &SlackSettings,
    crm: Option<&CrmParts>,
    clock: Clock,
) -> Router {
    let route = "/slack/options";
    match (slack.verifier(), crm) {
        (Ok(verifier), Some(crm)) => {
            let config = options::OptionsConfig::from_lookup(|name| std::env::var(name).ok())
                .unwrap_or_else(|err| {
                    tracing::error!(error = %err, "using the default options settings");
                    options::OptionsConfig::default()
                });
            let searcher = OptionsHandler::searcher(
                backend.clone(),
                crm.directory.clone(),
                crm.crms.clone(),
                config,
            );
            let handler = Arc::new(OptionsHandler::new(verifier, clock, searcher));
            Router::new().route(route, post(dispatch::<OptionsHandler>).with_state(handler))
        }
        (Ok(_), None) => Router::new().route(route, post(no_options)),
        (Err(_), _) => Router::new().route(route, post(not_configured)),
    }
}

async fn no_options() -> Response {
    http_io::json(StatusCode::OK, &serde_json::json!({ "options": [] }))
        .map(Body::from)
        .into_response()
}

async fn dispatch<H: HttpHandler>(State(handler): State<Arc<H>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, READ_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let res = handler.handle(HttpRequest::from_parts(parts, bytes)).await;
    res.map(Body::from).into_response()
}

async fn not_configured() -> Response {
    http_io::text(
        StatusCode::SERVICE_UNAVAILABLE,
        "SLACK_SIGNING_SECRET is not set on this server, or is a placeholder",
    )
    .map(Body::from)
    .into_response()
}

async fn bad_api_url() -> Response {
    http_io::text(
        StatusCode::SERVICE_UNAVAILABLE,
        "SLACK_API_URL is not a valid URL on this server",
    )
    .map(Body::from)
    .into_response()
}

async fn not_found() -> Response {
    http_io::text(StatusCode::NOT_FOUND, "not found")
        .map(Body::from)
        .into_response()
}
