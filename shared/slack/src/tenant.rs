//! Which tenant a payload belongs to, derived the way Bolt for Python does it.
//!
//! Reference: slackapi/bolt-python `slack_bolt/request/internals.py` (`extract_enterprise_id`,
//! `extract_team_id`, `extract_is_enterprise_install`) and its `tests/slack_bolt/request/
//! test_internals.py`. We follow its precedence field for field, because it encodes years of
//! Slack payload quirks (Slack Connect, org-wide installs, modals opened across orgs) and is
//! what Slack's own frameworks rely on. Where we differ it is said at the spot and why.
//!
//! The tenant rule itself (DESIGN.md): an org-wide install is the org, anything else is the
//! workspace.

use tenant::{EnterpriseId, TeamId, TenantId};

use crate::payload::{
    EventCallback, EventsRequest, FormRequest, Interaction, PayloadError, SlashCommand,
};

/// The raw install triple a payload names, before it is turned into a [`TenantId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallContext {
    pub enterprise_id: Option<EnterpriseId>,
    pub team_id: Option<TeamId>,
    pub is_enterprise_install: bool,
}

impl InstallContext {
    /// Org-wide install => the org; otherwise the workspace. A payload that names only an
    /// enterprise (org-level events such as `tokens_revoked` for an org install carry
    /// `enterprise_id` and no `team_id`) is the org too: Bolt then looks the installation up
    /// with `team_id=None`, which only an org-wide installation matches.
    pub fn tenant_id(&self) -> Result<TenantId, PayloadError> {
        match (
            self.is_enterprise_install,
            &self.enterprise_id,
            &self.team_id,
        ) {
            (true, Some(e), _) => Ok(TenantId::Enterprise(e.clone())),
            (true, None, _) => Err(PayloadError::OrgInstallWithoutEnterprise),
            (false, _, Some(t)) => Ok(TenantId::Workspace(t.clone())),
            (false, Some(e), None) => Ok(TenantId::Enterprise(e.clone())),
            (false, None, None) => Err(PayloadError::NoTenant),
        }
    }
}

impl EventCallback {
    /// Bolt's precedence for Events API envelopes:
    ///
    /// * `authorizations[0]`, when present, decides all three values on its own (Bolt recurses
    ///   into it and returns whatever it holds, even null). In a Slack Connect channel the
    ///   top-level `team_id` is the team where the event happened, possibly another org;
    ///   `authorizations` describes OUR installation.
    /// * Without `authorizations` (legacy `authed_users` payloads), Bolt uses the top-level
    ///   `enterprise_id` / `team_id` / `is_enterprise_install`. We first consult
    ///   `context_enterprise_id` / `context_team_id` (Slack: "where the app is installed or
    ///   receiving through"), which Bolt ignores; they only exist on payloads new enough to
    ///   carry `authorizations`, so this changes nothing for legacy payloads and is the safer
    ///   reading if Slack ever omits `authorizations` from a Slack Connect delivery.
    /// * Bolt finally recurses into the inner `event` for ids; we do not, because the inner
    ///   event describes the actor (another org in Slack Connect), and the envelope always
    ///   carries `team_id` or `enterprise_id` (wrapper schema).
    pub fn install_context(&self) -> InstallContext {
        if let Some(auth) = self.authorizations.first() {
            return InstallContext {
                enterprise_id: auth.enterprise_id.clone(),
                team_id: auth.team_id.clone(),
                is_enterprise_install: auth.is_enterprise_install,
            };
        }
        InstallContext {
            enterprise_id: self
                .context_enterprise_id
                .clone()
                .or_else(|| self.enterprise_id.clone()),
            team_id: self
                .context_team_id
                .clone()
                .or_else(|| self.team_id.clone()),
            is_enterprise_install: self.is_enterprise_install,
        }
    }
}

impl SlashCommand {
    /// Slash commands carry only flat fields: Bolt's `enterprise_id` and `team_id` keys, and
    /// `is_enterprise_install` as the string `"true"` (parsed in [`crate::parse_form_body`]).
    pub fn install_context(&self) -> InstallContext {
        InstallContext {
            enterprise_id: self.enterprise_id.clone(),
            team_id: Some(self.team_id.clone()),
            is_enterprise_install: self.is_enterprise_install,
        }
    }
}

impl Interaction {
    /// Bolt's precedence for interactivity payloads (no `authorizations` here):
    ///
    /// * enterprise: `enterprise.id`, then top-level `enterprise_id`, then `team.enterprise_id`.
    /// * team: `view.app_installed_team_id` first (a modal opened in another workspace through
    ///   a Slack Connect channel reports that workspace in `team`, but the app is installed in
    ///   this one), then `team.id`, then top-level `team_id`, then `user.team_id` (org-wide
    ///   installs send `team: null`), then `view.team_id`.
    /// * `is_enterprise_install`: the top-level flag.
    pub fn install_context(&self) -> InstallContext {
        InstallContext {
            enterprise_id: self
                .enterprise_id
                .clone()
                .or_else(|| self.top_enterprise_id.clone())
                .or_else(|| self.team_enterprise_id.clone()),
            team_id: self
                .app_installed_team_id
                .clone()
                .or_else(|| self.team_id.clone())
                .or_else(|| self.top_team_id.clone())
                .or_else(|| self.user_team_id.clone())
                .or_else(|| self.view_team_id.clone()),
            is_enterprise_install: self.is_enterprise_install,
        }
    }
}

impl EventsRequest {
    /// The install context of an event delivery or rate-limit notice; `None` for
    /// `url_verification`, which belongs to no tenant.
    pub fn install_context(&self) -> Option<InstallContext> {
        match self {
            Self::UrlVerification { .. } => None,
            Self::EventCallback(cb) => Some(cb.install_context()),
            Self::AppRateLimited { team_id, .. } => Some(InstallContext {
                enterprise_id: None,
                team_id: team_id.clone(),
                is_enterprise_install: false,
            }),
        }
    }
}

impl FormRequest {
    /// The install context of a command or interaction; `None` for `ssl_check`.
    pub fn install_context(&self) -> Option<InstallContext> {
        match self {
            Self::SslCheck => None,
            Self::Command(c) => Some(c.install_context()),
            Self::Interaction(i) => Some(i.install_context()),
        }
    }
}

#[cfg(test)]
#[path = "tenant_tests.rs"]
mod tests;
