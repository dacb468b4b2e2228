//! Tokens. Every type here prints `[redacted]` under `Debug` so that a stray `{:?}` in a log
//! line, an error or a panic message cannot leak a token.
//!
//! [`Secret`] is a string that is wiped from memory when dropped (`secrecy`, on `zeroize`) and
//! that implements `Deserialize` but not `Serialize`: a struct holding one cannot be written out by accident
//! (a `#[derive(Serialize)]` on it does not compile). The storage structs that must write
//! tokens ([`TokenBundle`], [`crate::credential::Credential`]) opt in field by field with
//! `#[serde(with = "tenant::secret::plaintext")]`, and only adapters serialize those, right
//! before encrypting.
//!
//! ```
//! #[derive(serde::Serialize)]
//! struct Stored {
//!     #[serde(with = "tenant::secret::plaintext")]
//!     token: tenant::Secret,
//! }
//! ```
//!
//! ```compile_fail
//! // A type that holds a Secret without the explicit storage path cannot derive Serialize.
//! #[derive(serde::Serialize)]
//! struct Leaky {
//!     token: tenant::Secret,
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::ids::{BotId, UserId};

/// A secret string. `Debug` is redacted, there is no `Display` and no `Serialize`, and the
/// plaintext is zeroized on drop. Read it with [`Secret::expose`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The plaintext. Call sites are the only places a token leaves this type.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
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

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Constant time in the content (the length may show), so comparing a presented token with a
/// stored one reveals nothing through timing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose()
            .as_bytes()
            .ct_eq(other.expose().as_bytes())
            .into()
    }
}

impl Eq for Secret {}

/// Reading a secret (an OAuth response, an app secret's JSON) is not a leak; writing one is,
/// hence `Deserialize` without `Serialize`.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// The one explicit path by which a [`Secret`] is serialized: `#[serde(with = ...)]` on the
/// fields of storage structs, which adapters encrypt as soon as they are serialized.
pub mod plaintext {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Secret;

    pub fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }

    /// The same for `Option<Secret>` (use with `#[serde(default)]`).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        use super::Secret;

        pub fn serialize<S: Serializer>(
            secret: &Option<Secret>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match secret {
                Some(secret) => serializer.serialize_some(secret.expose()),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Secret>, D::Error> {
            Ok(Option::<String>::deserialize(deserializer)?.map(Secret::new))
        }
    }
}

/// The bot token of an install, with its rotation state when token rotation is on.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotToken {
    #[serde(with = "plaintext")]
    pub token: Secret,
    pub bot_user_id: Option<UserId>,
    pub bot_id: Option<BotId>,
    pub scopes: Vec<String>,
    #[serde(default, with = "plaintext::option")]
    pub refresh_token: Option<Secret>,
    /// Unix seconds at which `token` expires (rotating tokens only).
    pub expires_at: Option<i64>,
}

/// A user token granted by one user (`authed_user` in oauth.v2.access).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserToken {
    #[serde(with = "plaintext")]
    pub token: Secret,
    pub scopes: Vec<String>,
    #[serde(default, with = "plaintext::option")]
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<i64>,
}

/// The tenant's Slack tokens: what the vault stores, encrypted, as one unit. Credentials of
/// other providers (and the incoming webhook) are [`crate::credential::Credential`]s.
///
/// Bundles written before typed credentials carried an `integrations` map; it is ignored on
/// read (nothing used it but the incoming webhook, which is a credential now).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBundle {
    pub bot: Option<BotToken>,
    #[serde(default)]
    pub users: BTreeMap<UserId, UserToken>,
}

impl TokenBundle {
    pub fn is_empty(&self) -> bool {
        self.bot.is_none() && self.users.is_empty()
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
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::marker::PhantomData;

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
        let shown = format!("{bundle:?} {:#?}", bundle);
        for needle in ["xoxb-very", "refresh-secret", "xoxp-user"] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
        assert!(shown.contains("U2"));
    }

    /// Inherent methods win over trait methods when their bound holds, so `is_serialize`
    /// answers at compile time whether `T: Serialize` (the doc test above checks the same by
    /// failing to compile).
    struct Probe<T>(PhantomData<T>);
    trait NotSerialize {
        fn is_serialize(&self) -> bool {
            false
        }
    }
    impl<T> NotSerialize for Probe<T> {}
    impl<T: Serialize> Probe<T> {
        fn is_serialize(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_secret_is_not_serialize_so_no_struct_can_write_it_out_by_accident() {
        assert!(!Probe::<Secret>(PhantomData).is_serialize());
        assert!(!Probe::<Option<Secret>>(PhantomData).is_serialize());
        // The probe does see Serialize where it is implemented.
        assert!(Probe::<String>(PhantomData).is_serialize());
    }

    #[test]
    fn storage_structs_serialize_tokens_only_through_the_explicit_path() {
        let token = UserToken {
            token: Secret::new("xoxp-stored"),
            scopes: vec![],
            refresh_token: Some(Secret::new("xoxe-stored")),
            expires_at: None,
        };
        let json = serde_json::to_string(&token).unwrap();
        assert!(json.contains("xoxp-stored") && json.contains("xoxe-stored"));
        let back: UserToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, token);
        // Written before `refresh_token` existed, and before typed credentials.
        let old: TokenBundle =
            serde_json::from_str(r#"{"bot":null,"users":{},"integrations":{"x":"y"}}"#).unwrap();
        assert!(old.is_empty());
    }

    #[test]
    fn secrets_compare_by_content() {
        assert_eq!(Secret::new("a"), Secret::from("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert_ne!(Secret::new("a"), Secret::new("ab"));
    }
}
