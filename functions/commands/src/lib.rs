//! POST /slack/commands and POST /slack/interactions (both are signed form posts). In order:
//! size (413), signature (401), `ssl_check`, parse (400), tenant resolution (not installed: an
//! ephemeral "please reinstall"; suspended: an ephemeral notice; nothing queued), the per-tenant
//! rate limit (over it: an ephemeral notice, nothing queued), then either a synchronous answer
//! (`help`) or a durable job and an immediate ephemeral ack. A storage or queue failure is a 500:
//! the user is never told "working on it" for work that was not accepted.

mod connections;
mod crm;
mod followup;
mod home;
mod reply;

pub use connections::Connections;

use app::http_io::{self, HttpRequest, HttpResponse};
use app::{Clock, IngressError};
use slack::{FormRequest, Interaction, InteractionKind, SlashCommand};
use tenant::service::ingress::{CommandOutcome, CommandWork, accept_command, request_key};
use tenant::{Backend, JobKind, SlackContext, TenantId};
use tracing::{Instrument, info, info_span};

/// The usage counter commands and interactions share.
pub use tenant::service::ingress::COMMAND_COUNTER;

/// The commands function's state, built once per cold start.
pub struct CommandsHandler {
    backend: Backend,
    verifier: slack::Verifier,
    clock: Clock,
    /// For views.open on a fresh trigger (and views.update of a modal from a button): the one
    /// Web API call ingress makes, with a timeout inside Slack's 3 s.
    web: slack::WebApi,
    /// Follow-ups per month by plan (`FOLLOWUP_QUOTAS`).
    quotas: tenant::FollowupQuotas,
    /// What users may connect, and the links to do it.
    connections: Connections,
}

/// The longest question `/followup ask` passes on, in characters.
const MAX_QUESTION: usize = 500;

/// The Web API timeout of the commands function: Slack closes the request at 3 s, and the
/// rest of the work (verify, tenant, enqueue) must fit beside it.
pub const MODAL_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(2000);

/// What a slash command asks for.
enum Subcommand {
    Help,
    Ping,
    /// The meeting picker: `/followup`, `/followup meetings`, `/meetings`.
    Meetings,
    /// `/followup connect [google|fathom]`.
    Connect(Option<tenant::Provider>),
    /// `/followup connect crm` (admins).
    ConnectCrm,
    /// `/followup task`: a CRM task without a meeting.
    Task,
    /// `/followup disconnect google|fathom`.
    Disconnect(Option<tenant::Provider>),
    /// `/followup ask <question>`.
    Ask(String),
    /// `/followup auto on` / `off` (`None`: neither word, answered with how to use it).
    Auto(Option<bool>),
    Unknown(String),
}

fn subcommand(command: &str, text: &str) -> Subcommand {
    if command.eq_ignore_ascii_case("/meetings") {
        return Subcommand::Meetings;
    }
    match text.split_whitespace().next() {
        None => Subcommand::Meetings,
        Some(word) if word.eq_ignore_ascii_case("meetings") => Subcommand::Meetings,
        Some(word) if word.eq_ignore_ascii_case("connect") => {
            match text.split_whitespace().nth(1) {
                Some(what) if what.eq_ignore_ascii_case("crm") => Subcommand::ConnectCrm,
                what => Subcommand::Connect(connections::provider_named(what)),
            }
        }
        Some(word) if word.eq_ignore_ascii_case("task") => Subcommand::Task,
        Some(word) if word.eq_ignore_ascii_case("disconnect") => {
            Subcommand::Disconnect(connections::provider_named(text.split_whitespace().nth(1)))
        }
        Some(word) if word.eq_ignore_ascii_case("ask") => {
            Subcommand::Ask(text.trim_start()[word.len()..].trim().to_owned())
        }
        Some(word) if word.eq_ignore_ascii_case("auto") => {
            let mut rest = text.split_whitespace().skip(1);
            Subcommand::Auto(match (rest.next(), rest.next()) {
                (Some(w), None) if w.eq_ignore_ascii_case("on") => Some(true),
                (Some(w), None) if w.eq_ignore_ascii_case("off") => Some(false),
                _ => None,
            })
        }
        Some(word) if word.eq_ignore_ascii_case("help") => Subcommand::Help,
        Some(word) if word.eq_ignore_ascii_case("ping") => Subcommand::Ping,
        Some(word) => Subcommand::Unknown(word.to_ascii_lowercase()),
    }
}

impl CommandsHandler {
    pub fn new(
        backend: Backend,
        verifier: slack::Verifier,
        clock: Clock,
        web: slack::WebApi,
    ) -> Self {
        Self {
            backend,
            verifier,
            clock,
            web,
            quotas: tenant::FollowupQuotas::default(),
            connections: Connections::default(),
        }
    }

    /// With what users may connect (and the links to do it) instead of nothing.
    pub fn with_connections(mut self, connections: Connections) -> Self {
        self.connections = connections;
        self
    }

    /// With this monthly follow-up table instead of the default one.
    pub fn with_quotas(mut self, quotas: tenant::FollowupQuotas) -> Self {
        self.quotas = quotas;
        self
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
                self.on_command(tenant, &cmd, req.body())
                    .instrument(span)
                    .await
            }
            FormRequest::Interaction(interaction) => {
                let tenant = tenant_of(interaction.install_context())?;
                let span = info_span!("interaction", tenant = %tenant, kind = ?interaction.kind);
                self.on_interaction(tenant, &interaction, req.body())
                    .instrument(span)
                    .await
            }
        }
    }

    async fn on_command(
        &self,
        id: TenantId,
        cmd: &SlashCommand,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        let sub = subcommand(&cmd.command, &cmd.text);
        let work = match &sub {
            Subcommand::Meetings => return self.open_picker(id, cmd, raw).await,
            Subcommand::Connect(Some(tenant::Provider::Google)) => {
                return self.connect_google(id, cmd).await;
            }
            Subcommand::Connect(_) => return self.open_connect(id, cmd).await,
            Subcommand::ConnectCrm => return self.crm_command(id, cmd, raw, false).await,
            Subcommand::Task => return self.crm_command(id, cmd, raw, true).await,
            Subcommand::Disconnect(provider) => {
                return self.disconnect(id, cmd, *provider, raw).await;
            }
            Subcommand::Auto(Some(on)) => return self.auto_followups(id, cmd, raw, *on).await,
            Subcommand::Auto(None) => CommandWork::Answer,
            Subcommand::Ask(question) if question.is_empty() => CommandWork::Answer,
            Subcommand::Ask(question) => CommandWork::Job {
                kind: JobKind::Ask(tenant::job::Ask {
                    user: cmd.user_id.clone(),
                    // A question is a sentence, not a document.
                    question: question.chars().take(MAX_QUESTION).collect(),
                }),
                slack: SlackContext {
                    response_url: Some(cmd.response_url.clone()),
                    channel: Some(cmd.channel_id.clone()),
                    user: Some(cmd.user_id.clone()),
                },
            },
            Subcommand::Help | Subcommand::Unknown(_) => CommandWork::Answer,
            Subcommand::Ping => CommandWork::Job {
                kind: JobKind::Ping,
                slack: SlackContext {
                    response_url: Some(cmd.response_url.clone()),
                    channel: Some(cmd.channel_id.clone()),
                    user: Some(cmd.user_id.clone()),
                },
            },
        };
        let request = request_key(Some(&cmd.trigger_id), raw);
        let outcome = self.accept(id, &request, work).await?;
        Ok(answer(outcome, || match &sub {
            Subcommand::Unknown(word) => reply::unknown(&cmd.command, word),
            Subcommand::Ask(_) => reply::ASK_WHAT.to_owned(),
            Subcommand::Auto(_) => reply::AUTO_HOW.to_owned(),
            _ => reply::help(&cmd.command),
        }))
    }

    async fn on_interaction(
        &self,
        id: TenantId,
        interaction: &Interaction,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        if let Some(action) = home::HomeAction::of(interaction) {
            return self.on_home_interaction(id, interaction, action, raw).await;
        }
        if let Some(action) = crm::CrmAction::of(interaction) {
            return self.on_crm_interaction(id, interaction, action, raw).await;
        }
        if let Some(action) = followup::FollowupAction::of(interaction) {
            return self
                .on_followup_interaction(id, interaction, action, raw)
                .await;
        }
        let work = match interaction.kind {
            // Closing a modal and loading menu options need no work.
            InteractionKind::ViewClosed | InteractionKind::BlockSuggestion => CommandWork::Nothing,
            _ => CommandWork::Job {
                kind: JobKind::Interaction(tenant::job::Interaction {
                    interaction: kind_name(&interaction.kind).to_owned(),
                    action: interaction
                        .action_id
                        .clone()
                        .or_else(|| interaction.callback_id.clone()),
                }),
                slack: SlackContext {
                    response_url: interaction.response_url.clone(),
                    channel: interaction.channel_id.clone(),
                    user: interaction.user_id.clone(),
                },
            },
        };
        let request = request_key(interaction.trigger_id.as_deref(), raw);
        let outcome = self.accept(id, &request, work).await?;
        // An interaction's answer is an empty 200 (it also closes a submitted modal), however
        // it was handled; only the notices of a paused or missing install are shown.
        Ok(match outcome {
            CommandOutcome::Queued(job_id) => {
                info!(%job_id, "interaction queued");
                http_io::ack()
            }
            other => answer(other, String::new),
        })
    }

    async fn accept(
        &self,
        id: TenantId,
        request: &str,
        work: CommandWork,
    ) -> Result<CommandOutcome, IngressError> {
        let clock = || self.clock.now();
        accept_command(&self.backend, &clock, id, request, work)
            .await
            .map_err(IngressError::unavailable)
    }
}

/// The one mapping from what was done with a command to what the user sees; `text` is the
/// synchronous answer's text.
fn answer(outcome: CommandOutcome, text: impl FnOnce() -> String) -> HttpResponse {
    match outcome {
        CommandOutcome::NotInstalled => {
            info!("tenant not installed");
            http_io::ephemeral(reply::REINSTALL)
        }
        CommandOutcome::Suspended => {
            info!("tenant suspended: nothing queued");
            http_io::ephemeral(reply::SUSPENDED)
        }
        CommandOutcome::RateLimited { retry_in } => {
            http_io::ephemeral(&reply::rate_limited(retry_in.as_secs()))
        }
        CommandOutcome::Answer => http_io::ephemeral(&text()),
        CommandOutcome::OverQuota { limit, resets_at } => {
            http_io::ephemeral(&reply::over_quota(limit, resets_at))
        }
        CommandOutcome::Queued(job_id) => {
            info!(%job_id, "command queued");
            http_io::ephemeral(reply::WORKING)
        }
        // A replay (or a copy being accepted right now) is acked and does nothing.
        CommandOutcome::Duplicate | CommandOutcome::InFlight => {
            info!("replayed request: acked, nothing queued");
            http_io::ack()
        }
        CommandOutcome::Acked => http_io::ack(),
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

#[cfg(test)]
mod subcommand_tests {
    use super::*;

    #[test]
    fn auto_takes_exactly_on_or_off() {
        let auto = |text| match subcommand("/followup", text) {
            Subcommand::Auto(on) => Some(on),
            _ => None,
        };
        assert_eq!(auto("auto on"), Some(Some(true)));
        assert_eq!(auto("  AUTO   Off "), Some(Some(false)));
        assert_eq!(auto("auto"), Some(None));
        assert_eq!(auto("auto maybe"), Some(None));
        assert_eq!(auto("auto on please"), Some(None));
        assert_eq!(auto("automatic"), None);
    }
}
