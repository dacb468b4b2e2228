//! Slack ids as types. Each constructor checks the id's documented prefix and alphabet, so a
//! team id cannot be passed where a user id is expected and no unchecked string reaches a key.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id")]
pub struct IdError {
    pub kind: &'static str,
}

fn check(raw: &str, prefixes: &[char], kind: &'static str) -> Result<(), IdError> {
    let mut chars = raw.chars();
    let ok = matches!(chars.next(), Some(c) if prefixes.contains(&c))
        && raw.len() >= 2
        && raw.len() <= 32
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok { Ok(()) } else { Err(IdError { kind }) }
}

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check(raw, &[$($prefix),+], $kind)?;
                Ok(Self(raw.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(raw: &str) -> Result<Self, IdError> {
                Self::parse(raw)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

slack_id!(
    /// A workspace id (`T…`).
    TeamId, "team", ['T']);
slack_id!(
    /// An Enterprise Grid organization id (`E…`).
    EnterpriseId, "enterprise", ['E']);
slack_id!(
    /// A user id: `U…`, or `W…` for Enterprise Grid users.
    UserId, "user", ['U', 'W']);
slack_id!(
    /// A conversation id: public `C…`, private `G…`, direct message `D…`.
    ChannelId, "channel", ['C', 'G', 'D']);
slack_id!(
    /// A Slack app id (`A…`).
    AppId, "app", ['A']);
slack_id!(
    /// A bot id (`B…`), distinct from the bot's user id.
    BotId, "bot", ['B']);

/// The tenant: one workspace, or one Enterprise Grid org for an org-wide install.
///
/// Its string form is the Slack id itself (`T…` or `E…`), which is unambiguous because the two
/// prefixes differ. Only storage adapters turn it into a storage key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TenantId {
    Workspace(TeamId),
    Enterprise(EnterpriseId),
}

impl TenantId {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        match raw.chars().next() {
            Some('T') => TeamId::parse(raw).map(Self::Workspace),
            Some('E') => EnterpriseId::parse(raw).map(Self::Enterprise),
            _ => Err(IdError { kind: "tenant" }),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Workspace(t) => t.as_str(),
            Self::Enterprise(e) => e.as_str(),
        }
    }

    pub fn is_enterprise(&self) -> bool {
        matches!(self, Self::Enterprise(_))
    }
}

impl From<TeamId> for TenantId {
    fn from(t: TeamId) -> Self {
        Self::Workspace(t)
    }
}

impl From<EnterpriseId> for TenantId {
    fn from(e: EnterpriseId) -> Self {
        Self::Enterprise(e)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.as_str())
    }
}

impl std::str::FromStr for TenantId {
    type Err = IdError;
    fn from_str(raw: &str) -> Result<Self, IdError> {
        Self::parse(raw)
    }
}

impl Serialize for TenantId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A job's id: a random UUID, the idempotency key for everything the job does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(uuid::Uuid);

impl JobId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl JobId {
    /// A job id derived from what caused the job (a Slack `event_id`, say), so that the same
    /// cause enqueued twice yields the same id and the worker runs it once.
    pub fn derived(tenant: &TenantId, cause: &str) -> Self {
        let name = format!("{}/{}", tenant.as_str(), cause);
        Self(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            name.as_bytes(),
        ))
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_check_prefix_and_alphabet() {
        assert!(TeamId::parse("T0123ABC").is_ok());
        assert!(TeamId::parse("U0123ABC").is_err());
        assert!(TeamId::parse("T").is_err());
        assert!(TeamId::parse("T01#").is_err());
        assert!(TeamId::parse("t0123").is_err());
        assert!(UserId::parse("W012A3CDE").is_ok());
        assert!(ChannelId::parse("D069C7QFK").is_ok());
        assert!(ChannelId::parse("T069C7QFK").is_err());
    }

    #[test]
    fn tenant_id_round_trips_through_its_slack_id() {
        let t = TenantId::parse("T111").unwrap();
        assert_eq!(t, TenantId::Workspace(TeamId::parse("T111").unwrap()));
        let e = TenantId::parse("E111").unwrap();
        assert!(e.is_enterprise());
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"E111\"");
        assert_eq!(serde_json::from_str::<TenantId>("\"T111\"").unwrap(), t);
        assert!(serde_json::from_str::<TenantId>("\"U111\"").is_err());
        assert!(TenantId::parse("T1/../E2").is_err());
    }
}
