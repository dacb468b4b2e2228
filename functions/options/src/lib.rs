//! POST /slack/options: Slack's "Select Menus Options Load URL", asked while a user types in
//! one of our `external_select`s (slack-ui.md §4). Parse → service → map:
//!
//! 1. The path must be /slack/options (404), the body at most 1 MiB (413), the Slack
//!    signature valid on the raw bytes (401), the form and its payload readable (400): the
//!    same checks as the commands function (`app::ingress`).
//! 2. Only a `block_suggestion` of [`ids::TASK_CONTACT`] or [`ids::CRM_ACCOUNT_SEARCH`] is
//!    searched; anything else is answered `{"options": []}`. The workspace must be active
//!    (paused, uninstalled: empty options), the typed text at least two characters.
//! 3. [`search::Searcher`]: the cache, one search in flight per user, the workspace's default
//!    CRM within the budget (`OPTIONS_BUDGET_MS`, 2.5 s): empty options past it, never a 5xx
//!    for a slow CRM.
//!
//! Searching is for every member, not only admins: it reads what the workspace's CRM
//! connection can read, for the modal the member has open.
//!
//! [`ids::TASK_CONTACT`]: app::ui::ids::TASK_CONTACT
//! [`ids::CRM_ACCOUNT_SEARCH`]: app::ui::ids::CRM_ACCOUNT_SEARCH

mod cache;
mod config;
mod error;
mod inflight;
mod render;
mod search;
mod suggestion;

use std::sync::Arc;

use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use followup::ports::CrmDirectory;
use http::StatusCode;
use slack::{FormRequest, Interaction, InteractionKind};
use tenant::service::ingress::admit;
use tenant::{Backend, TenantId};
use tracing::{Instrument, error, info, info_span};

pub use config::{BadSetting, OptionsConfig};
pub use connectors::crms::Crms;
pub use error::OptionsError;
pub use render::SlackOption;
pub use search::Searcher;
pub use suggestion::{MAX_QUERY, MIN_QUERY, Query, Select};

/// The route Slack posts to (manifest `settings.interactivity.message_menu_options_url`).
pub const OPTIONS_PATH: &str = "/slack/options";

/// The options function's state. The [`Searcher`] (cache, in-flight searches) is shared, so
/// that a handler rebuilt after a signing-secret rotation keeps them.
pub struct OptionsHandler {
    verifier: slack::Verifier,
    clock: Clock,
    searcher: Arc<Searcher>,
}

impl OptionsHandler {
    pub fn new(verifier: slack::Verifier, clock: Clock, searcher: Arc<Searcher>) -> Self {
        Self {
            verifier,
            clock,
            searcher,
        }
    }

    /// The searcher of a handler on `backend` and `directory` with `crms` (what `main` and
    /// serve build once).
    pub fn searcher(
        backend: Backend,
        directory: Arc<dyn CrmDirectory>,
        crms: Crms,
        config: OptionsConfig,
    ) -> Arc<Searcher> {
        Arc::new(Searcher::new(backend, directory, crms, config))
    }

    /// Handles one request. Never panics on input; every outcome is an HTTP answer.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        match self.try_handle(&req).await {
            Ok(options) => answer(&options),
            Err(err) => err.into_response(),
        }
    }

    async fn try_handle(&self, req: &HttpRequest) -> Result<Vec<SlackOption>, OptionsError> {
        if req.uri().path().trim_end_matches('/') != OPTIONS_PATH {
            return Err(OptionsError::NotFound);
        }
        app::ingress::verify(&self.verifier, &self.clock, req)?;
        let parsed = slack::parse_form_body(req.body())
            .map_err(|e| IngressError::Malformed(e.to_string()))?;
        let interaction = match parsed {
            FormRequest::Interaction(interaction) => interaction,
            FormRequest::SslCheck => return Ok(Vec::new()),
            FormRequest::Command(_) => {
                info!("a slash command posted to the options URL: empty options");
                return Ok(Vec::new());
            }
        };
        let select = Select::of(interaction.action_id.as_deref());
        let (InteractionKind::BlockSuggestion, Some(select)) = (&interaction.kind, select) else {
            info!(kind = ?interaction.kind, "not a suggestion of our selects: empty options");
            return Ok(Vec::new());
        };
        let tenant = interaction
            .install_context()
            .tenant_id()
            .map_err(|e| IngressError::Malformed(e.to_string()))?;
        let typed = suggestion::typed_value(req.body())
            .map_err(|why| IngressError::Malformed(why.to_owned()))?;
        let span = info_span!(
            "options",
            tenant = %tenant,
            select = select.name(),
            user = tracing::field::Empty,
        );
        self.suggest(tenant, &interaction, select, &typed)
            .instrument(span)
            .await
    }

    async fn suggest(
        &self,
        tenant: TenantId,
        interaction: &Interaction,
        select: Select,
        typed: &str,
    ) -> Result<Vec<SlackOption>, OptionsError> {
        let user = interaction
            .user_id
            .as_ref()
            .ok_or_else(|| IngressError::Malformed("a suggestion without a user".into()))?;
        tracing::Span::current().record("user", user.as_str());
        match admit(&self.searcher.backend, &tenant).await {
            Ok(None) => {}
            Ok(Some(outcome)) => {
                info!(?outcome, "workspace not served: empty options");
                return Ok(Vec::new());
            }
            Err(err) => {
                error!(error = %err, "tenant unreadable: empty options");
                return Ok(Vec::new());
            }
        }
        let Some(query) = Query::parse(typed) else {
            info!("query under two characters: empty options, no CRM call");
            return Ok(Vec::new());
        };
        let now = || self.clock.now();
        let ask = search::Ask {
            tenant: &tenant,
            user,
            select,
            query: &query,
        };
        Ok(self.searcher.options(ask, &now).await)
    }
}

/// The one mapping from options to Slack's answer: 200 `{"options": [...]}`.
fn answer(options: &[SlackOption]) -> HttpResponse {
    let mut res = http_io::text(StatusCode::OK, render::body(options));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

impl app::lambda::HttpHandler for OptionsHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        OptionsHandler::handle(self, req).await
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
