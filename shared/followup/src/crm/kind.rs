//! Which CRM a connection is to.

use std::fmt;

use serde::{Deserialize, Serialize};
use tenant::Provider;

/// One of the four CRMs a workspace may connect. Each maps to its own credential
/// [`Provider`] (and so its own KMS purpose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmKind {
    Hubspot,
    Salesforce,
    Pipedrive,
    Crono,
}

/// A CRM name that is not one of [`CrmKind`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CRM")]
pub struct UnknownCrm;

impl CrmKind {
    pub const ALL: [CrmKind; 4] = [
        Self::Hubspot,
        Self::Salesforce,
        Self::Pipedrive,
        Self::Crono,
    ];

    /// The stable name stored and used in paths and action values (`"hubspot"`).
    pub fn as_str(self) -> &'static str {
        self.provider().as_str()
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownCrm> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or(UnknownCrm)
    }

    /// The name users read ("Open in HubSpot").
    pub fn name(self) -> &'static str {
        match self {
            Self::Hubspot => "HubSpot",
            Self::Salesforce => "Salesforce",
            Self::Pipedrive => "Pipedrive",
            Self::Crono => "Crono",
        }
    }

    /// The credential provider the workspace's tokens are stored under.
    pub fn provider(self) -> Provider {
        match self {
            Self::Hubspot => Provider::Hubspot,
            Self::Salesforce => Provider::Salesforce,
            Self::Pipedrive => Provider::Pipedrive,
            Self::Crono => Provider::Crono,
        }
    }

    pub fn from_provider(provider: Provider) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.provider() == provider)
    }

    /// Connected by OAuth through the `connect` function.
    pub fn has_oauth(self) -> bool {
        !matches!(self, Self::Crono)
    }

    /// Connected by a key pasted in a modal (Pipedrive's API token, Crono's key pair).
    pub fn takes_api_key(self) -> bool {
        matches!(self, Self::Pipedrive | Self::Crono)
    }
}

impl fmt::Display for CrmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_map_to_their_own_providers() {
        for kind in CrmKind::ALL {
            assert_eq!(CrmKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(CrmKind::from_provider(kind.provider()), Some(kind));
        }
        assert_eq!(CrmKind::parse("google"), Err(UnknownCrm));
        assert_eq!(CrmKind::from_provider(Provider::Google), None);
        assert!(CrmKind::Crono.takes_api_key() && !CrmKind::Crono.has_oauth());
        assert!(!CrmKind::Hubspot.takes_api_key());
    }
}
