//! The JSON the admin API answers with. Views are separate from the stored records so that the
//! API's shape is a decision made here, and so that nothing secret can reach a body by a field
//! being added to a record: tokens are not in any view, only whether a bot token exists.

use serde::Serialize;
use tenant::audit::AuditEntry;
use tenant::ports::Member;
use tenant::{Installation, Tenant, TenantId, TenantStatus};

/// A tenant in a list or on its own.
#[derive(Debug, Serialize)]
pub struct TenantView<'a> {
    pub id: &'a TenantId,
    pub name: &'a str,
    pub status: &'static str,
    pub plan: &'static str,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl<'a> From<&'a Tenant> for TenantView<'a> {
    fn from(t: &'a Tenant) -> Self {
        Self {
            id: &t.id,
            name: &t.name,
            status: t.status.as_str(),
            plan: t.plan.as_str(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// `GET /admin/tenants`.
#[derive(Debug, Serialize)]
pub struct TenantList<'a> {
    pub tenants: Vec<TenantView<'a>>,
}

/// Installation metadata: what Slack told us at install time, without tokens.
#[derive(Debug, Serialize)]
pub struct InstallationView<'a> {
    pub team_id: Option<&'a str>,
    pub enterprise_id: Option<&'a str>,
    pub is_enterprise_install: bool,
    pub app_id: Option<&'a str>,
    pub bot_user_id: Option<&'a str>,
    pub bot_id: Option<&'a str>,
    pub bot_scopes: &'a [String],
    pub user_scopes: &'a [String],
    pub installer: Option<&'a str>,
    /// Unix seconds.
    pub installed_at: i64,
}

impl<'a> From<&'a Installation> for InstallationView<'a> {
    fn from(i: &'a Installation) -> Self {
        Self {
            team_id: i.team_id.as_ref().map(|v| v.as_str()),
            enterprise_id: i.enterprise_id.as_ref().map(|v| v.as_str()),
            is_enterprise_install: i.is_enterprise_install,
            app_id: i.app_id.as_ref().map(|v| v.as_str()),
            bot_user_id: i.bot_user_id.as_ref().map(|v| v.as_str()),
            bot_id: i.bot_id.as_ref().map(|v| v.as_str()),
            bot_scopes: &i.bot_scopes,
            user_scopes: &i.user_scopes,
            installer: i.installer.as_ref().map(|v| v.as_str()),
            installed_at: i.installed_at,
        }
    }
}

/// A member and their role.
#[derive(Debug, Serialize)]
pub struct MemberView<'a> {
    pub user: &'a str,
    pub role: &'static str,
    /// Unix seconds.
    pub added_at: i64,
}

impl<'a> From<&'a Member> for MemberView<'a> {
    fn from(m: &'a Member) -> Self {
        Self {
            user: m.user.as_str(),
            role: m.role.as_str(),
            added_at: m.added_at,
        }
    }
}

/// `GET /admin/tenants/{id}`.
#[derive(Debug, Serialize)]
pub struct TenantDetail<'a> {
    pub tenant: TenantView<'a>,
    /// `null` when the tenant has no installation record (an install that failed part-way).
    pub installation: Option<InstallationView<'a>>,
    /// Whether the vault holds tokens for the tenant (never the tokens themselves).
    pub has_tokens: bool,
    pub members: Vec<MemberView<'a>>,
}

/// `POST /admin/tenants/{id}/suspend` and `/resume`.
#[derive(Debug, Serialize)]
pub struct StatusChanged<'a> {
    pub id: &'a TenantId,
    pub status: &'static str,
}

impl<'a> StatusChanged<'a> {
    pub fn new(id: &'a TenantId, status: TenantStatus) -> Self {
        Self {
            id,
            status: status.as_str(),
        }
    }
}

/// `GET /admin/tenants/{id}/audit`: the entries in sequence order, and the chain's verdict.
#[derive(Debug, Serialize)]
pub struct AuditView<'a> {
    pub id: &'a TenantId,
    pub entries: &'a [AuditEntry],
    /// `"ok"`, or what [`tenant::audit::verify_chain`] found wrong.
    pub chain: String,
}
