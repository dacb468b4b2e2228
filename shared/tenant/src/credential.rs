//! Credentials for any provider: one model for Slack, the CRMs, the meeting recorder and
//! Google (see the credential model in the design notes).
//!
//! A [`CredentialId`] is (tenant, [`Provider`], optional user): tenant-wide credentials (the
//! workspace's CRM connection, the incoming webhook) have no user; per-user ones (a user's
//! Fathom key or Google grant) name the Slack user who granted them. A [`Credential`] holds the
//! access token, the refresh token, the expiry and a little typed provider metadata; its
//! `Debug` shows no token and no metadata value. Storage is the
//! [`Credentials`](crate::ports::Credentials) port.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::ids::{TenantId, UserId};
use crate::secret::{Secret, plaintext};

/// Who issued a credential. Each provider has its own KMS `purpose` (see [`Provider::purpose`]),
/// so a role may decrypt one provider's tokens and not another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Slack,
    /// The incoming-webhook URL an install granted (a capability: whoever has it can post).
    SlackIncomingWebhook,
    Hubspot,
    Salesforce,
    Pipedrive,
    Crono,
    Fathom,
    /// A Fathom API key a user pasted that the worker has not checked yet. Its own slot (and
    /// purpose), so a mistyped key never replaces a working one, and the commands function,
    /// which stores it, can encrypt it without being able to read a connected key.
    FathomPending,
    /// The webhook a user registered at Fathom for automatic follow-ups: its verification
    /// secret (`whsec_…`) and, in the metadata, its id. Its own purpose, so the webhooks
    /// function may read these secrets and no Fathom key.
    FathomWebhook,
    Google,
    /// A CRM key (Pipedrive's API token, Crono's key pair) an admin pasted that the worker has
    /// not checked yet, per user; the metadata's `pending_for` names the CRM. Its own purpose,
    /// so the commands function, which stores it, can encrypt it without reading any CRM's
    /// connected credentials.
    CrmPending,
}

/// A provider name that is not one of [`Provider`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential provider")]
pub struct UnknownProvider;

impl Provider {
    pub const ALL: [Provider; 11] = [
        Self::Slack,
        Self::SlackIncomingWebhook,
        Self::Hubspot,
        Self::Salesforce,
        Self::Pipedrive,
        Self::Crono,
        Self::Fathom,
        Self::FathomPending,
        Self::FathomWebhook,
        Self::Google,
        Self::CrmPending,
    ];

    /// The stable name adapters store (and keys are built from).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::SlackIncomingWebhook => "slack_incoming_webhook",
            Self::Hubspot => "hubspot",
            Self::Salesforce => "salesforce",
            Self::Pipedrive => "pipedrive",
            Self::Crono => "crono",
            Self::Fathom => "fathom",
            Self::FathomPending => "fathom_pending",
            Self::FathomWebhook => "fathom_webhook",
            Self::Google => "google",
            Self::CrmPending => "crm_pending",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownProvider> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or(UnknownProvider)
    }

    /// The `purpose` of the encryption context its ciphertexts are bound to (KMS on AWS,
    /// associated data locally). IAM grants decrypt per purpose, so these are the names the
    /// template's conditions match. Every provider has its own.
    pub fn purpose(self) -> &'static str {
        match self {
            Self::Slack => "slack-tokens",
            Self::SlackIncomingWebhook => "slack-webhook",
            Self::Hubspot => "crm:hubspot",
            Self::Salesforce => "crm:salesforce",
            Self::Pipedrive => "crm:pipedrive",
            Self::Crono => "crm:crono",
            Self::Fathom => "recorder:fathom",
            Self::FathomPending => "recorder:fathom-pending",
            Self::FathomWebhook => "recorder:fathom-webhook",
            Self::Google => "google",
            Self::CrmPending => "crm:pending",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which credential: (tenant, provider, optional user). Adapters derive every storage key
/// and every encryption context from it, and from nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId {
    tenant: TenantId,
    provider: Provider,
    user: Option<UserId>,
}

impl CredentialId {
    /// A credential of the whole tenant (the workspace's CRM connection, the webhook).
    pub fn tenant_wide(tenant: TenantId, provider: Provider) -> Self {
        Self {
            tenant,
            provider,
            user: None,
        }
    }

    /// A credential one user of the tenant granted.
    pub fn for_user(tenant: TenantId, provider: Provider, user: UserId) -> Self {
        Self {
            tenant,
            provider,
            user: Some(user),
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn user(&self) -> Option<&UserId> {
        self.user.as_ref()
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.user {
            Some(user) => write!(f, "{}/{}/{user}", self.tenant, self.provider),
            None => write!(f, "{}/{}", self.tenant, self.provider),
        }
    }
}

/// What a provider tells us about the account behind a credential, where it matters for
/// calling it. Not secret, but personal or deployment detail: `Debug` shows which are set only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialMetadata {
    /// Salesforce: the org's API base (`instance_url` of the token response); Pipedrive: the
    /// company's `api_domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_url: Option<String>,
    /// HubSpot: the portal (hub) id the grant is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_id: Option<String>,
    /// Google, Fathom: the account's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_email: Option<String>,
    /// Slack incoming webhook: the channel it posts to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// A webhook registered at a provider (Fathom): its id there, to delete it with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// A key pair's public half (Crono's `cpk_…`; the private half is the access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// A pending credential ([`Provider::CrmPending`]): the provider it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_for: Option<Provider>,
}

impl fmt::Debug for CredentialMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "[set]" } else { "none" };
        f.debug_struct("CredentialMetadata")
            .field("instance_url", &set(&self.instance_url))
            .field("portal_id", &set(&self.portal_id))
            .field("account_email", &set(&self.account_email))
            .field("channel_id", &set(&self.channel_id))
            .field("webhook_id", &set(&self.webhook_id))
            .field("public_key", &set(&self.public_key))
            .field("pending_for", &self.pending_for)
            .finish()
    }
}

/// One provider's tokens for one [`CredentialId`]. The storage struct: its tokens serialize
/// through [`plaintext`] only because adapters encrypt what they serialize at once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    #[serde(with = "plaintext")]
    pub access_token: Secret,
    #[serde(default, with = "plaintext::option")]
    pub refresh_token: Option<Secret>,
    /// When `access_token` stops working; stored to the whole second.
    #[serde(default, with = "unix_secs")]
    pub expires_at: Option<SystemTime>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub metadata: CredentialMetadata,
}

impl Credential {
    /// A credential with only an access token (an API key, a webhook URL).
    pub fn new(access_token: Secret) -> Self {
        Self {
            access_token,
            refresh_token: None,
            expires_at: None,
            scopes: Vec::new(),
            metadata: CredentialMetadata::default(),
        }
    }

    /// Whether a refresher should renew it now: it can be refreshed and expires within
    /// `margin` of `now` (or has expired).
    pub fn needs_refresh(&self, now: SystemTime, margin: Duration) -> bool {
        match (self.expires_at, &self.refresh_token) {
            (Some(expires_at), Some(_)) => expires_at <= now + margin,
            _ => false,
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_token", &"[redacted]")
            .field("refreshable", &self.refresh_token.is_some())
            .field(
                "expires_at",
                &self.expires_at.map(|t| unix_secs::of(t).to_string()),
            )
            .field("scopes", &self.scopes)
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// `Option<SystemTime>` as unix seconds (what every provider's `expires_in` adds up to).
pub mod unix_secs {
    use std::time::{Duration, SystemTime};

    use serde::{Deserialize, Deserializer, Serializer};

    /// Whole unix seconds of `t`, negative before the epoch.
    pub fn of(t: SystemTime) -> i64 {
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// The time `secs` unix seconds stand for.
    pub fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    pub fn serialize<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&of(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_has_a_stable_name_and_its_own_purpose() {
        let mut purposes: Vec<_> = Provider::ALL.iter().map(|p| p.purpose()).collect();
        purposes.sort_unstable();
        purposes.dedup();
        assert_eq!(purposes.len(), Provider::ALL.len());
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!(Provider::Slack.purpose(), "slack-tokens");
        assert_eq!(Provider::Hubspot.purpose(), "crm:hubspot");
        assert_eq!(
            Provider::FathomWebhook.purpose(),
            "recorder:fathom-webhook",
            "template.yaml grants the webhooks function this purpose alone"
        );
        assert!(Provider::parse("HubSpot").is_err());
    }

    #[test]
    fn debug_shows_no_token_and_no_metadata_value() {
        let credential = Credential {
            access_token: Secret::new("sf-access-secret"),
            refresh_token: Some(Secret::new("sf-refresh-secret")),
            expires_at: Some(unix_secs::at(1_900_000_000)),
            scopes: vec!["api".into()],
            metadata: CredentialMetadata {
                instance_url: Some("https://acme.my.salesforce.com".into()),
                account_email: Some("ceo@acme.test".into()),
                ..CredentialMetadata::default()
            },
        };
        let shown = format!("{credential:?} {credential:#?}");
        for needle in ["sf-access", "sf-refresh", "acme.my", "ceo@"] {
            assert!(!shown.contains(needle), "{needle} leaked: {shown}");
        }
        assert!(shown.contains("1900000000"));
    }

    #[test]
    fn expiry_round_trips_as_unix_seconds_and_drives_needs_refresh() {
        let at = unix_secs::at(1_800_000_000);
        let mut credential = Credential::new(Secret::new("t"));
        credential.expires_at = Some(at);
        let json = serde_json::to_string(&credential).unwrap();
        assert!(json.contains("\"expires_at\":1800000000"), "{json}");
        let back: Credential = serde_json::from_str(&json).unwrap();
        assert_eq!(back, credential);

        let margin = Duration::from_secs(600);
        let early = at - Duration::from_secs(3600);
        assert!(!credential.needs_refresh(early, margin), "no refresh token");
        credential.refresh_token = Some(Secret::new("r"));
        assert!(!credential.needs_refresh(early, margin));
        assert!(credential.needs_refresh(at - Duration::from_secs(60), margin));
        assert_eq!(unix_secs::of(unix_secs::at(-5)), -5);
    }
}
