//! What the tenant crate's integration tests share: an OAuth install as the redirect builds it.
#![allow(dead_code)] // each test binary uses a different subset

use tenant::service::OAuthInstall;
use tenant::testkit::sample_installation;
use tenant::{BotToken, Secret, TenantId, UserId, UserToken};

pub const NOW_MS: i64 = 1_800_000_000_000;
pub const NOW: i64 = 1_800_000_000;

pub fn installer() -> UserId {
    UserId::parse("U0INSTALLER").unwrap()
}

pub fn new_install(tenant: &TenantId, marker: &str, scopes: &[&str]) -> OAuthInstall {
    let mut installation = sample_installation(tenant, NOW);
    installation.bot_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    installation.user_scopes = vec!["users:read".into()];
    installation.installer = Some(installer());
    OAuthInstall {
        bot: BotToken {
            token: Secret::new(format!("xoxe.xoxb-{marker}")),
            bot_user_id: installation.bot_user_id.clone(),
            bot_id: installation.bot_id.clone(),
            scopes: installation.bot_scopes.clone(),
            refresh_token: Some(Secret::new(format!("xoxe-1-{marker}"))),
            expires_at: Some(NOW + 43_200),
        },
        installation,
        name: "Acme".into(),
        user_token: Some(UserToken {
            token: Secret::new(format!("xoxp-{marker}")),
            scopes: vec!["users:read".into()],
            refresh_token: None,
            expires_at: None,
        }),
        webhook_url: Some(Secret::new(format!(
            "https://hooks.slack.com/services/{marker}"
        ))),
    }
}
