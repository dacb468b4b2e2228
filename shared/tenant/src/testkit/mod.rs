//! Contract suites for the ports, run by every adapter, and in-memory adapters.
//!
//! * [`contract`]: one suite per port, written once. Every adapter (`shared/local`,
//!   `shared/aws`, [`memory`]) runs them; a broken promise panics with a message naming it.
//! * [`memory`]: fast in-memory adapters with honest semantics, for handler tests and
//!   benchmarks, with switches that make a port fail on demand.
//! * Fixtures ([`random_tenant`], [`sample_bundle`], [`sample_credential`], ...) shared by the suites and by tests.
//!
//! Suites use fresh random tenant ids, so several may share one store.

pub mod contract;
pub mod memory;

mod join;

pub use join::join_all;
pub use memory::{MemoryStores, memory_backend};

use std::collections::BTreeMap;

use crate::credential::{Credential, CredentialMetadata};
use crate::ids::{AppId, BotId, EnterpriseId, TeamId, TenantId, UserId};
use crate::job::{JobEnvelope, JobKind, SlackContext};
use crate::model::Installation;
use crate::secret::{BotToken, Secret, TokenBundle, UserToken};

/// A random run of uppercase letters and digits (from a v4 UUID), for fresh ids per test run.
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
        }
    }
    out
}

/// A fresh workspace tenant id, `T` + 10 random characters.
pub fn random_tenant() -> TenantId {
    TenantId::Workspace(team(&format!("T{}", random_suffix(10))))
}

/// A fresh Enterprise Grid tenant id, `E` + 10 random characters.
pub fn random_enterprise_tenant() -> TenantId {
    TenantId::Enterprise(enterprise(&format!("E{}", random_suffix(10))))
}

/// Installation metadata for `tenant` with plausible bot ids and scopes.
pub fn sample_installation(tenant: &TenantId, installed_at: i64) -> Installation {
    let (team_id, enterprise_id) = match tenant {
        TenantId::Workspace(t) => (Some(t.clone()), None),
        TenantId::Enterprise(e) => (None, Some(e.clone())),
    };
    Installation {
        tenant: tenant.clone(),
        team_id,
        enterprise_id,
        is_enterprise_install: tenant.is_enterprise(),
        app_id: AppId::parse("A0SWITCHBD").ok(),
        bot_user_id: UserId::parse(&format!("U{}", random_suffix(9))).ok(),
        bot_id: BotId::parse(&format!("B{}", random_suffix(9))).ok(),
        bot_scopes: vec![
            "commands".into(),
            "chat:write".into(),
            "app_mentions:read".into(),
        ],
        user_scopes: vec![],
        installer: UserId::parse("U0INSTALLER").ok(),
        installed_at,
    }
}

/// Installs `tenant` as an OAuth install would ([`crate::service::install`]), with
/// [`sample_installation`] and the bot token `token`, and returns the stored tenant record.
pub async fn install_sample(
    backend: &crate::Backend,
    tenant: &TenantId,
    token: &str,
    now: i64,
) -> crate::Tenant {
    let installation = sample_installation(tenant, now);
    let bot = BotToken {
        token: Secret::new(token),
        bot_user_id: installation.bot_user_id.clone(),
        bot_id: installation.bot_id.clone(),
        scopes: installation.bot_scopes.clone(),
        refresh_token: None,
        expires_at: None,
    };
    let new = crate::service::NewInstall {
        installation,
        name: format!("Sample {tenant}"),
        bot,
    };
    crate::service::install(backend, new, now)
        .await
        .expect("sample install")
}

/// A bundle with a bot token and one user token, every secret containing `marker` so a test
/// can search output for leaks.
pub fn sample_bundle(marker: &str) -> TokenBundle {
    let mut users = BTreeMap::new();
    users.insert(
        user("U0SAMPLEUSER"),
        UserToken {
            token: Secret::new(format!("xoxp-user-{marker}")),
            scopes: vec!["users:read".into()],
            refresh_token: Some(Secret::new(format!("xoxe-user-refresh-{marker}"))),
            expires_at: Some(1_900_000_000),
        },
    );
    TokenBundle {
        bot: Some(BotToken {
            token: Secret::new(format!("xoxb-bot-{marker}")),
            bot_user_id: UserId::parse("U0SAMPLEBOT").ok(),
            bot_id: BotId::parse("B0SAMPLEBOT").ok(),
            scopes: vec!["chat:write".into()],
            refresh_token: Some(Secret::new(format!("xoxe-1-refresh-{marker}"))),
            expires_at: Some(1_900_000_000),
        }),
        users,
    }
}

/// A refreshable credential with metadata, every secret and metadata value containing
/// `marker` so a test can search output for leaks.
pub fn sample_credential(marker: &str) -> Credential {
    Credential {
        access_token: Secret::new(format!("access-{marker}")),
        refresh_token: Some(Secret::new(format!("refresh-{marker}"))),
        expires_at: Some(crate::credential::unix_secs::at(1_900_000_000)),
        scopes: vec!["crm.objects.contacts.read".into()],
        metadata: CredentialMetadata {
            instance_url: Some(format!("https://{marker}.my.salesforce.com")),
            portal_id: Some(format!("portal-{marker}")),
            account_email: Some(format!("{marker}@example.test")),
            channel_id: None,
            webhook_id: Some(format!("whk-{marker}")),
            public_key: Some(format!("cpk_{marker}")),
            pending_for: Some(crate::Provider::Crono),
        },
    }
}

/// A fresh user id, `U` + 10 random characters.
pub fn random_user() -> UserId {
    user(&format!("U{}", random_suffix(10)))
}

/// A ping job for `tenant` with a response_url.
pub fn sample_job(tenant: &TenantId) -> JobEnvelope {
    JobEnvelope::new(
        tenant.clone(),
        JobKind::Ping,
        SlackContext {
            response_url: Some(format!(
                "https://hooks.slack.com/commands/{tenant}/1/{}",
                random_suffix(8)
            )),
            channel: None,
            user: UserId::parse("U0PINGER").ok(),
        },
        1_700_000_000_000,
    )
}

// The fixtures build ids from literals and generated alnum text that always parse; these
// helpers keep the `parse` calls in one place with a message if that ever stops being true.
pub(crate) fn team(raw: &str) -> TeamId {
    TeamId::parse(raw).unwrap_or_else(|_| panic!("testkit built an invalid team id {raw}"))
}

fn enterprise(raw: &str) -> EnterpriseId {
    EnterpriseId::parse(raw)
        .unwrap_or_else(|_| panic!("testkit built an invalid enterprise id {raw}"))
}

pub(crate) fn user(raw: &str) -> UserId {
    UserId::parse(raw).unwrap_or_else(|_| panic!("testkit built an invalid user id {raw}"))
}

/// Parses a tenant id built by a suite (always valid), panicking with the text if not.
pub(crate) fn tenant(raw: &str) -> TenantId {
    TenantId::parse(raw).unwrap_or_else(|_| panic!("testkit built an invalid tenant id {raw}"))
}
