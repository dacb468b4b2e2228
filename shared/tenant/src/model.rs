//! The tenant record and what Slack told us when the app was installed.

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, BotId, EnterpriseId, TeamId, TenantId, UserId};

/// Where a tenant stands. Only `Active` tenants get work done.
///
/// Two facts make a status: whether the app is installed (Slack's call: install, uninstall) and
/// whether an operator suspended the tenant (the operator's call: suspend, resume). Neither
/// party can undo the other's: a reinstall keeps a suspension ([`Self::on_install`]), an
/// uninstall remembers it ([`Self::on_uninstall`]), and only `resume` lifts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    /// Kept with its data, but answered with a notice and given no work (an operator's choice).
    Suspended,
    /// Slack told us the app was removed; tokens are gone, data kept for a reinstall.
    Uninstalled,
    /// Uninstalled while suspended: served like `Uninstalled`, and a reinstall brings it back
    /// `Suspended`, not active.
    UninstalledSuspended,
}

impl TenantStatus {
    /// Every status, for adapters decoding a stored name.
    pub const ALL: [Self; 4] = [
        Self::Active,
        Self::Suspended,
        Self::Uninstalled,
        Self::UninstalledSuspended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Uninstalled => "uninstalled",
            Self::UninstalledSuspended => "uninstalled_suspended",
        }
    }

    /// The status stored as `raw` ([`Self::as_str`]), if it is one.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the app is installed (it may still be suspended).
    pub fn is_installed(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }

    /// Whether an operator's suspension is in force (installed or not).
    pub fn is_suspended(self) -> bool {
        matches!(self, Self::Suspended | Self::UninstalledSuspended)
    }

    /// The status after an install or reinstall: installed, keeping any suspension.
    pub fn on_install(self) -> Self {
        if self.is_suspended() {
            Self::Suspended
        } else {
            Self::Active
        }
    }

    /// The status after an uninstall: uninstalled, remembering any suspension.
    pub fn on_uninstall(self) -> Self {
        if self.is_suspended() {
            Self::UninstalledSuspended
        } else {
            Self::Uninstalled
        }
    }
}

/// The commercial plan, which sets the tenant's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Team,
    Enterprise,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Team => "team",
            Self::Enterprise => "enterprise",
        }
    }

    /// Slash commands a tenant may run per minute.
    pub fn commands_per_minute(self) -> u64 {
        match self {
            Self::Free => 30,
            Self::Team => 120,
            Self::Enterprise => 600,
        }
    }
}

/// Follow-ups a workspace may generate per calendar month, by plan (`None`: unlimited).
/// Configuration (`FOLLOWUP_QUOTAS`, e.g. `free=10,team=50,enterprise=unlimited`), not code;
/// the defaults are the product's tiers: free 10, starter (our `team`) 50, pro (our
/// `enterprise`) unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowupQuotas {
    pub free: Option<u64>,
    pub team: Option<u64>,
    pub enterprise: Option<u64>,
}

impl Default for FollowupQuotas {
    fn default() -> Self {
        Self {
            free: Some(10),
            team: Some(50),
            enterprise: None,
        }
    }
}

/// A `FOLLOWUP_QUOTAS` value that does not parse; names the bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "FOLLOWUP_QUOTAS: cannot read `{0}` (want plan=number or plan=unlimited, plans free, team, enterprise)"
)]
pub struct BadQuotas(pub String);

impl FollowupQuotas {
    pub fn limit(&self, plan: Plan) -> Option<u64> {
        match plan {
            Plan::Free => self.free,
            Plan::Team => self.team,
            Plan::Enterprise => self.enterprise,
        }
    }

    /// The defaults with the plans `spec` names overridden.
    pub fn parse(spec: &str) -> Result<Self, BadQuotas> {
        let mut quotas = Self::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || BadQuotas(entry.chars().take(40).collect());
            let (plan, value) = entry.split_once('=').ok_or_else(bad)?;
            let value = match value.trim() {
                "unlimited" => None,
                n => Some(n.parse::<u64>().map_err(|_| bad())?),
            };
            match plan.trim() {
                "free" => quotas.free = value,
                "team" => quotas.team = value,
                "enterprise" => quotas.enterprise = value,
                _ => return Err(bad()),
            }
        }
        Ok(quotas)
    }
}

#[cfg(test)]
mod quota_tests {
    use super::*;

    #[test]
    fn the_quota_table_is_configuration_with_the_products_defaults() {
        let defaults = FollowupQuotas::default();
        assert_eq!(defaults.limit(Plan::Free), Some(10));
        assert_eq!(defaults.limit(Plan::Team), Some(50));
        assert_eq!(defaults.limit(Plan::Enterprise), None);
        let custom = FollowupQuotas::parse("free=3, enterprise=1000").unwrap();
        assert_eq!(
            (custom.free, custom.team, custom.enterprise),
            (Some(3), Some(50), Some(1000))
        );
        assert_eq!(FollowupQuotas::parse("team=unlimited").unwrap().team, None);
        assert!(FollowupQuotas::parse("gold=5").is_err());
        assert!(FollowupQuotas::parse("free=ten").is_err());
    }
}

/// A tenant: one workspace or one org-wide Enterprise Grid install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub status: TenantStatus,
    pub plan: Plan,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl Tenant {
    pub fn new(id: TenantId, name: impl Into<String>, now: i64) -> Self {
        Self {
            id,
            name: name.into(),
            status: TenantStatus::Active,
            plan: Plan::Free,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Installation metadata: everything about an install except the tokens (which live in the
/// vault). The bot ids let ingress ignore the app's own messages without a Web API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    pub tenant: TenantId,
    pub team_id: Option<TeamId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub is_enterprise_install: bool,
    pub app_id: Option<AppId>,
    pub bot_user_id: Option<UserId>,
    pub bot_id: Option<BotId>,
    pub bot_scopes: Vec<String>,
    pub user_scopes: Vec<String>,
    pub installer: Option<UserId>,
    /// Unix seconds.
    pub installed_at: i64,
}

/// The app's own bot in a tenant's workspace: what ingress compares an event's sender with to
/// ignore the app's own messages (the part of [`Installation`] the request path reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BotIdentity {
    pub bot_user_id: Option<UserId>,
    pub bot_id: Option<BotId>,
}

impl BotIdentity {
    /// The bot ids of `installation`.
    pub fn of(installation: &Installation) -> Self {
        Self {
            bot_user_id: installation.bot_user_id.clone(),
            bot_id: installation.bot_id.clone(),
        }
    }

    /// Whether an event sent by `user` or by the bot `bot` came from this app's own bot.
    pub fn sent(&self, user: Option<&UserId>, bot: Option<&BotId>) -> bool {
        matches!((bot, &self.bot_id), (Some(b), Some(ours)) if b == ours)
            || matches!((user, &self.bot_user_id), (Some(u), Some(ours)) if u == ours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_and_uninstalls_keep_an_operators_suspension() {
        use TenantStatus::*;
        for (from, installed, uninstalled) in [
            (Active, Active, Uninstalled),
            (Suspended, Suspended, UninstalledSuspended),
            (Uninstalled, Active, Uninstalled),
            (UninstalledSuspended, Suspended, UninstalledSuspended),
        ] {
            assert_eq!(from.on_install(), installed, "install from {from:?}");
            assert_eq!(from.on_uninstall(), uninstalled, "uninstall from {from:?}");
            assert_eq!(TenantStatus::parse(from.as_str()), Some(from));
        }
        assert_eq!(TenantStatus::parse("paused"), None);
    }

    #[test]
    fn the_bots_own_user_or_bot_id_marks_its_events() {
        let user = |u: &str| UserId::parse(u).unwrap();
        let bot = |b: &str| BotId::parse(b).unwrap();
        let ours = BotIdentity {
            bot_user_id: Some(user("U0BOT0001")),
            bot_id: Some(bot("B0BOT0001")),
        };
        assert!(ours.sent(Some(&user("U0BOT0001")), None));
        assert!(ours.sent(None, Some(&bot("B0BOT0001"))));
        assert!(!ours.sent(Some(&user("U0USER001")), Some(&bot("B0OTHER01"))));
        assert!(!ours.sent(None, None));
        // An installation without bot ids marks nothing as the app's own.
        let unknown = BotIdentity::default();
        assert!(!unknown.sent(Some(&user("U0BOT0001")), Some(&bot("B0BOT0001"))));
    }
}
