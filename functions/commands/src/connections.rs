//! A user's own connections from the command line: `/followup connect google` answers with the
//! user's signed connect link (only they see it, it works 15 minutes), `/followup connect`
//! opens the Fathom modal (offering Fathom's OAuth when it is configured), and
//! `/followup disconnect google|fathom` queues a [`JobKind::Disconnect`] that revokes and
//! deletes, and confirms on the command's response_url.

use app::IngressError;
use app::connect_link::ConnectLinks;
use app::http_io::{self, HttpResponse};
use slack::SlashCommand;
use tenant::job::Disconnect;
use tenant::service::ingress::{CommandOutcome, CommandWork, admit, request_key};
use tenant::{JobKind, Provider, SlackContext, TenantId};

use crate::{CommandsHandler, answer};

/// What this deployment lets users connect, and how links to it are made.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    /// `None` without a connect-link key or `PUBLIC_BASE_URL`.
    pub links: Option<ConnectLinks>,
    /// Google OAuth is configured (`GOOGLE_CLIENT_ID`).
    pub google: bool,
    /// Fathom OAuth is configured (`FATHOM_CLIENT_ID`): the modal offers it beside a key.
    pub fathom_oauth: bool,
}

/// Which provider a word names, among those a user connects.
pub(crate) fn provider_named(word: Option<&str>) -> Option<Provider> {
    match word.map(str::to_ascii_lowercase).as_deref() {
        Some("google" | "gmail" | "calendar") => Some(Provider::Google),
        Some("fathom") => Some(Provider::Fathom),
        _ => None,
    }
}

impl CommandsHandler {
    /// The user's Fathom OAuth link, when Fathom OAuth is configured.
    pub(crate) fn fathom_link(
        &self,
        tenant: &TenantId,
        cmd_user: &tenant::UserId,
    ) -> Option<String> {
        let links = self.connections.links.as_ref()?;
        self.connections
            .fathom_oauth
            .then(|| links.url(tenant, cmd_user, Provider::Fathom, self.clock.unix_secs()))
    }

    /// `/followup connect google`: the link, in an answer only the user sees.
    pub(crate) async fn connect_google(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
    ) -> Result<HttpResponse, IngressError> {
        if let Some(refused) = admit(&self.backend, &tenant)
            .await
            .map_err(IngressError::unavailable)?
        {
            return Ok(answer(refused, String::new));
        }
        let Some(links) = self
            .connections
            .links
            .as_ref()
            .filter(|_| self.connections.google)
        else {
            return Ok(http_io::ephemeral(
                "Google is not enabled on this Switchboard yet: its operator needs to configure \
                 Google sign-in (docs/followups.md).",
            ));
        };
        let url = links.url(
            &tenant,
            &cmd.user_id,
            Provider::Google,
            self.clock.unix_secs(),
        );
        Ok(http_io::ephemeral(&format!(
            "<{url}|Connect your Google account> so your follow-ups can become Gmail drafts and \
             Calendar events. Switchboard asks only for those two permissions. The link is \
             yours alone and works for 15 minutes."
        )))
    }

    /// `/followup disconnect google|fathom`: a job that revokes and deletes, then confirms.
    pub(crate) async fn disconnect(
        &self,
        tenant: TenantId,
        cmd: &SlashCommand,
        provider: Option<Provider>,
        raw: &[u8],
    ) -> Result<HttpResponse, IngressError> {
        let work = match provider {
            Some(provider) => CommandWork::Job {
                kind: JobKind::Disconnect(Disconnect {
                    user: cmd.user_id.clone(),
                    provider,
                }),
                slack: SlackContext {
                    response_url: Some(cmd.response_url.clone()),
                    channel: Some(cmd.channel_id.clone()),
                    user: Some(cmd.user_id.clone()),
                },
            },
            None => CommandWork::Answer,
        };
        let request = request_key(Some(&cmd.trigger_id), raw);
        let outcome = self.accept(tenant, &request, work).await?;
        Ok(match (outcome, provider) {
            (CommandOutcome::Queued(job_id), Some(provider)) => {
                tracing::info!(%job_id, provider = %provider, "disconnect queued");
                http_io::ephemeral(&format!(
                    ":hourglass_flowing_sand: Disconnecting {}…",
                    if provider == Provider::Google {
                        "Google"
                    } else {
                        "Fathom"
                    }
                ))
            }
            (other, _) => answer(other, || {
                format!(
                    "Which account? `{0} disconnect google` or `{0} disconnect fathom`.",
                    cmd.command
                )
            }),
        })
    }
}
