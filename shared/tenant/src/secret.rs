//! Tokens. Every type here prints `[redacted]` under `Debug` so that a stray `{:?}` in a log
//! line, an error or a panic message cannot leak a token.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{BotId, UserId};

/// A secret string. `Debug` and `Display` are redacted; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext. Call sites are the only places a token leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// The bot token of an install, with its rotation state when token rotation is on.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotToken {
    pub token: Secret,
    pub bot_user_id: Option<UserId>,
    pub bot_id: Option<BotId>,
    pub scopes: Vec<String>,
    pub refresh_token: Option<Secret>,
    /// Unix seconds at which `token` expires (rotating tokens only).
    pub expires_at: Option<i64>,
}

/// A user token granted by one user (`authed_user` in oauth.v2.access).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserToken {
    pub token: Secret,
    pub scopes: Vec<String>,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<i64>,
}

/// Everything secret a tenant has: what the vault stores, encrypted, as one unit.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBundle {
    pub bot: Option<BotToken>,
    #[serde(default)]
    pub users: BTreeMap<UserId, UserToken>,
    /// Credentials for integrations (CRMs, recorders), by integration name.
    #[serde(default)]
    pub integrations: BTreeMap<String, Secret>,
}

impl TokenBundle {
    pub fn is_empty(&self) -> bool {
        self.bot.is_none() && self.users.is_empty() && self.integrations.is_empty()
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotToken")
            .field("token", &"[redacted]")
            .field("bot_user_id", &self.bot_user_id)
            .field("bot_id", &self.bot_id)
            .field("scopes", &self.scopes)
            .field("rotating", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserToken")
            .field("token", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("rotating", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl fmt::Debug for TokenBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBundle")
            .field("bot", &self.bot)
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field(
                "integrations",
                &self.integrations.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_a_token() {
        let mut bundle = TokenBundle {
            bot: Some(BotToken {
                token: Secret::new("xoxb-very-secret"),
                bot_user_id: Some(UserId::parse("U1").unwrap()),
                bot_id: None,
                scopes: vec!["chat:write".into()],
                refresh_token: Some(Secret::new("xoxe-1-refresh-secret")),
                expires_at: Some(1),
            }),
            ..Default::default()
        };
        bundle.users.insert(
            UserId::parse("U2").unwrap(),
            UserToken {
                token: Secret::new("xoxp-user-secret"),
                scopes: vec![],
                refresh_token: None,
                expires_at: None,
            },
        );
        bundle
            .integrations
            .insert("hubspot".into(), Secret::new("hs-secret"));
        let shown = format!("{bundle:?} {:#?}", bundle);
        for needle in ["xoxb-very", "refresh-secret", "xoxp-user", "hs-secret"] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
        assert!(shown.contains("hubspot"));
    }
}
