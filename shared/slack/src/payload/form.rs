//! The form-encoded endpoints: slash commands, interactivity (`payload=`) and `ssl_check`.

use std::fmt;

use serde::Deserialize;
use tenant::{AppId, ChannelId, EnterpriseId, TeamId, UserId};

use super::REDACTED_URL;
use super::error::{PayloadError, opt_id, req_id};
use super::interaction::{Interaction, parse_interaction_json};

/// A verified request to the commands or interactions endpoint.
// A command is built once per request and moved once; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormRequest {
    /// Slack's periodic certificate check (`ssl_check=1`): answer 200, do nothing else.
    SslCheck,
    Command(SlashCommand),
    Interaction(Box<Interaction>),
}

/// A slash command invocation (slack.md 4.1). The verification `token` and the deprecated
/// `user_name` are not kept. `Debug` redacts the `response_url` (a capability).
#[derive(Clone, PartialEq, Eq)]
pub struct SlashCommand {
    /// The workspace the command was run in (also for org-wide installs).
    pub team_id: TeamId,
    pub team_domain: Option<String>,
    /// Present when the workspace belongs to an Enterprise Grid org.
    pub enterprise_id: Option<EnterpriseId>,
    /// Sent as the string `"true"`/`"false"`; absent means false.
    pub is_enterprise_install: bool,
    pub channel_id: ChannelId,
    pub user_id: UserId,
    /// The command itself, e.g. `/followup`.
    pub command: String,
    /// Everything after the command; may be empty.
    pub text: String,
    pub response_url: String,
    pub trigger_id: String,
    pub api_app_id: Option<AppId>,
}

impl fmt::Debug for SlashCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured so that a new field cannot be left out of (or leak through) Debug.
        let Self {
            team_id,
            team_domain,
            enterprise_id,
            is_enterprise_install,
            channel_id,
            user_id,
            command,
            text,
            response_url: _,
            trigger_id,
            api_app_id,
        } = self;
        f.debug_struct("SlashCommand")
            .field("team_id", team_id)
            .field("team_domain", team_domain)
            .field("enterprise_id", enterprise_id)
            .field("is_enterprise_install", is_enterprise_install)
            .field("channel_id", channel_id)
            .field("user_id", user_id)
            .field("command", command)
            .field("text", text)
            .field("response_url", &REDACTED_URL)
            .field("trigger_id", trigger_id)
            .field("api_app_id", api_app_id)
            .finish()
    }
}

/// Parses a verified form body: `ssl_check=1`, a slash command, or `payload=<json>`.
pub fn parse_form_body(body: &[u8]) -> Result<FormRequest, PayloadError> {
    let raw: RawForm = serde_urlencoded::from_bytes(body).map_err(|e| PayloadError::form(&e))?;
    // Same order as Bolt: the ssl_check middleware answers before anything else is looked at.
    if raw.ssl_check.as_deref() == Some("1") {
        return Ok(FormRequest::SslCheck);
    }
    if let Some(payload) = raw.payload.as_deref() {
        return parse_interaction_json(payload.as_bytes())
            .map(|i| FormRequest::Interaction(Box::new(i)));
    }
    if raw.command.is_some() {
        return raw.into_command().map(FormRequest::Command);
    }
    Err(PayloadError::UnrecognisedForm)
}

/// Every form member we read, as strings: ids are validated afterwards so an empty value
/// (`enterprise_id=`) counts as absent instead of failing.
#[derive(Deserialize)]
struct RawForm {
    ssl_check: Option<String>,
    payload: Option<String>,
    command: Option<String>,
    team_id: Option<String>,
    team_domain: Option<String>,
    enterprise_id: Option<String>,
    is_enterprise_install: Option<String>,
    channel_id: Option<String>,
    user_id: Option<String>,
    text: Option<String>,
    response_url: Option<String>,
    trigger_id: Option<String>,
    api_app_id: Option<String>,
}

impl RawForm {
    fn into_command(self) -> Result<SlashCommand, PayloadError> {
        Ok(SlashCommand {
            team_id: req_id(self.team_id.as_deref(), "team_id", TeamId::parse)?,
            team_domain: self.team_domain.filter(|d| !d.is_empty()),
            enterprise_id: opt_id(
                self.enterprise_id.as_deref(),
                "enterprise_id",
                EnterpriseId::parse,
            )?,
            is_enterprise_install: self.is_enterprise_install.as_deref() == Some("true"),
            channel_id: req_id(self.channel_id.as_deref(), "channel_id", ChannelId::parse)?,
            user_id: req_id(self.user_id.as_deref(), "user_id", UserId::parse)?,
            command: self.command.ok_or(PayloadError::MissingField("command"))?,
            text: self.text.unwrap_or_default(),
            response_url: self
                .response_url
                .ok_or(PayloadError::MissingField("response_url"))?,
            trigger_id: self
                .trigger_id
                .ok_or(PayloadError::MissingField("trigger_id"))?,
            api_app_id: opt_id(self.api_app_id.as_deref(), "api_app_id", AppId::parse)?,
        })
    }
}
