//! POST /slack/commands and POST /slack/interactions (both are signed form posts). In order:
//! size (413), signature (401), `ssl_check`, parse (400), tenant resolution (not installed: an
//! ephemeral "please reinstall"; suspended: an ephemeral notice; nothing queued), the per-tenant
//! rate limit (over it: an ephemeral notice, nothing queued), then either a synchronous answer
//! (`help`) or a durable job and an immediate ephemeral ack. A storage or queue failure is a 500:
//! the user is never told "working on it" for work that was not accepted.

mod reply;

use std::time::Duration;

use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use slack::{FormRequest, Interaction, InteractionKind, SlashCommand};
use tenant::service::{self, Resolved};
use tenant::{Backend, JobEnvelope, JobKind, SlackContext, Tenant, TenantId};
use tracing::{Instrument, info, info_span};

/// The usage counter commands and interactions share.
pub const COMMAND_COUNTER: &str = "commands";
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The commands function's state, built once per cold start.
pub struct CommandsHandler {
    backend: Backend,
    verifier: slack::Verifier,
    clock: Clock,
}

/// What a slash command asks for.
enum Subcommand {
    Help,
    Ping,
    Unknown(String),
}

fn subcommand(text: &str) -> Subcommand {
    match text.split_whitespace().next() {
        None => Subcommand::Help,
        Some(word) if word.eq_ignore_ascii_case("help") => Subcommand::Help,
        Some(word) if word.eq_ignore_ascii_case("ping") => Subcommand::Ping,
        Some(word) => Subcommand::Unknown(word.to_ascii_lowercase()),
    }
}

impl CommandsHandler {
    pub fn new(backend: Backend, verifier: slack::Verifier, clock: Clock) -> Self {
        Self {
            backend,
            verifier,
            clock,
        }
    }

    /// Handles one request to either route. Never panics on input.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        match self.try_handle(&req).await {
            Ok(res) => res,
            Err(err) => err.into_response(),
        }
    }

    async fn try_handle(&self, req: &HttpRequest) -> Result<HttpResponse, IngressError> {
        app::ingress::verify(&self.verifier, &self.clock, req)?;
        let parsed = slack::parse_form_body(req.body())
            .map_err(|e| IngressError::Malformed(e.to_string()))?;
        match parsed {
            FormRequest::SslCheck => Ok(http_io::ack()),
            FormRequest::Command(cmd) => {
                let tenant = tenant_of(cmd.install_context())?;
                let span = info_span!("command", tenant = %tenant, command = %cmd.command);
                self.on_command(tenant, &cmd).instrument(span).await
            }
            FormRequest::Interaction(interaction) => {
                let tenant = tenant_of(interaction.install_context())?;
                let span = info_span!("interaction", tenant = %tenant, kind = ?interaction.kind);
                self.on_interaction(tenant, &interaction)
                    .instrument(span)
                    .await
            }
        }
    }

    /// The active tenant, or the answer to give instead.
    async fn active_tenant(
        &self,
        id: &TenantId,
    ) -> Result<Result<Tenant, HttpResponse>, IngressError> {
        Ok(
            match service::resolve(&self.backend, id)
                .await
                .map_err(IngressError::unavailable)?
            {
                Resolved::Active(tenant) => Ok(tenant),
                Resolved::Suspended(_) => {
                    info!("tenant suspended: nothing queued");
                    Err(http_io::ephemeral(reply::SUSPENDED))
                }
                Resolved::NotInstalled => {
                    info!("tenant not installed");
                    Err(http_io::ephemeral(reply::REINSTALL))
                }
            },
        )
    }

    /// Counts one use against the tenant's per-minute limit; `Some(answer)` when over it.
    async fn over_limit(&self, tenant: &Tenant) -> Result<Option<HttpResponse>, IngressError> {
        let quota = self
            .backend
            .usage
            .consume(
                &tenant.id,
                COMMAND_COUNTER,
                tenant.plan.commands_per_minute(),
                RATE_WINDOW,
                self.clock.now(),
            )
            .await
            .map_err(IngressError::unavailable)?;
        if quota.allowed {
            return Ok(None);
        }
        info!(
            used = quota.used,
            limit = quota.limit,
            "tenant over its command rate limit"
        );
        let wait = (quota.resets_at as i64 - self.clock.unix_secs()).max(1);
        Ok(Some(http_io::ephemeral(&reply::rate_limited(wait))))
    }

    async fn on_command(
        &self,
        id: TenantId,
        cmd: &SlashCommand,
    ) -> Result<HttpResponse, IngressError> {
        let tenant = match self.active_tenant(&id).await? {
            Ok(tenant) => tenant,
            Err(answer) => return Ok(answer),
        };
        if let Some(answer) = self.over_limit(&tenant).await? {
            return Ok(answer);
        }
        match subcommand(&cmd.text) {
            Subcommand::Help => Ok(http_io::ephemeral(&reply::help(&cmd.command))),
            Subcommand::Unknown(word) => {
                Ok(http_io::ephemeral(&reply::unknown(&cmd.command, &word)))
            }
            Subcommand::Ping => {
                let ctx = SlackContext {
                    response_url: Some(cmd.response_url.clone()),
                    channel: Some(cmd.channel_id.clone()),
                    user: Some(cmd.user_id.clone()),
                };
                self.enqueue(id, JobKind::Ping, ctx).await?;
                Ok(http_io::ephemeral(reply::WORKING))
            }
        }
    }

    async fn on_interaction(
        &self,
        id: TenantId,
        interaction: &Interaction,
    ) -> Result<HttpResponse, IngressError> {
        let tenant = match self.active_tenant(&id).await? {
            Ok(tenant) => tenant,
            Err(answer) => return Ok(answer),
        };
        // Closing a modal and loading menu options need no work.
        if matches!(
            interaction.kind,
            InteractionKind::ViewClosed | InteractionKind::BlockSuggestion
        ) {
            return Ok(http_io::ack());
        }
        if let Some(answer) = self.over_limit(&tenant).await? {
            return Ok(answer);
        }
        let kind = JobKind::Interaction(tenant::job::Interaction {
            interaction: kind_name(&interaction.kind).to_owned(),
            action: interaction
                .action_id
                .clone()
                .or_else(|| interaction.callback_id.clone()),
        });
        let ctx = SlackContext {
            response_url: interaction.response_url.clone(),
            channel: interaction.channel_id.clone(),
            user: interaction.user_id.clone(),
        };
        self.enqueue(id, kind, ctx).await?;
        // An empty 200 is the ack for every interaction (it also closes a submitted modal).
        Ok(http_io::ack())
    }

    async fn enqueue(
        &self,
        tenant: TenantId,
        kind: JobKind,
        ctx: SlackContext,
    ) -> Result<(), IngressError> {
        let job = JobEnvelope::new(tenant, kind, ctx, self.clock.unix_millis());
        self.backend
            .queue
            .enqueue(&job)
            .await
            .map_err(IngressError::unavailable)?;
        info!(job_id = %job.id, job = job.kind.name(), "job queued");
        Ok(())
    }
}

/// The interaction's `type` as Slack names it.
fn kind_name(kind: &InteractionKind) -> &str {
    match kind {
        InteractionKind::BlockActions => "block_actions",
        InteractionKind::ViewSubmission => "view_submission",
        InteractionKind::ViewClosed => "view_closed",
        InteractionKind::Shortcut => "shortcut",
        InteractionKind::MessageAction => "message_action",
        InteractionKind::BlockSuggestion => "block_suggestion",
        InteractionKind::Other(other) => other,
    }
}

fn tenant_of(ctx: slack::InstallContext) -> Result<TenantId, IngressError> {
    ctx.tenant_id()
        .map_err(|e| IngressError::Malformed(e.to_string()))
}

impl app::lambda::HttpHandler for CommandsHandler {
    async fn handle(&self, req: HttpRequest) -> HttpResponse {
        CommandsHandler::handle(self, req).await
    }
}
