//! The job envelope: the one message format between the ingress functions (producers) and the
//! worker (consumer). It is JSON on the queue and versioned so that a deploy that changes it can
//! drain old messages.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, JobId, TenantId, UserId};

/// The envelope version this build writes and reads.
pub const ENVELOPE_VERSION: u32 = 1;

/// A unit of work for the worker, created only by an ingress function after it verified the
/// request and resolved the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEnvelope {
    /// Envelope version ([`ENVELOPE_VERSION`]).
    pub v: u32,
    pub id: JobId,
    pub tenant: TenantId,
    #[serde(flatten)]
    pub kind: JobKind,
    /// Unix milliseconds when ingress accepted the request.
    pub created_at_ms: i64,
    /// Where and to whom the worker answers.
    #[serde(default)]
    pub slack: SlackContext,
}

/// What the job does, with the data it needs. Serialized as `"kind"` + `"payload"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum JobKind {
    /// `/followup ping`: answer on the response_url with the tenant's name and the round trip.
    Ping,
    /// The bot was mentioned: reply in the thread of the mention.
    AppMention {
        channel: ChannelId,
        /// The mention's ts; the reply goes into its thread.
        ts: String,
        /// Set when the mention itself was inside a thread.
        thread_ts: Option<String>,
        user: Option<UserId>,
        text: String,
    },
    /// A new install or a reinstall: first admin, welcome DM, App Home.
    Provision {
        /// The user who installed the app (`authed_user.id`), if Slack said.
        installer: Option<UserId>,
        reinstall: bool,
    },
    /// A user opened the App Home tab: publish it.
    PublishHome { user: UserId },
    /// A button, shortcut or modal submission.
    Interaction {
        /// `block_actions`, `shortcut`, `message_action`, `view_submission`.
        interaction: String,
        /// The `action_id` or `callback_id` that identifies what was used.
        action: Option<String>,
    },
}

impl JobKind {
    /// A short stable name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ping => "ping",
            Self::AppMention { .. } => "app_mention",
            Self::Provision { .. } => "provision",
            Self::PublishHome { .. } => "publish_home",
            Self::Interaction { .. } => "interaction",
        }
    }
}

/// The Slack context needed to answer the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackContext {
    pub response_url: Option<String>,
    pub channel: Option<ChannelId>,
    pub user: Option<UserId>,
}

/// Why a queue message is not a job this build can run. Always permanent.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("job envelope is not valid JSON of the expected shape: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("job envelope version {0} is not supported (this build reads {ENVELOPE_VERSION})")]
    UnsupportedVersion(u32),
}

impl JobEnvelope {
    pub fn new(tenant: TenantId, kind: JobKind, slack: SlackContext, created_at_ms: i64) -> Self {
        Self {
            v: ENVELOPE_VERSION,
            id: JobId::new(),
            tenant,
            kind,
            created_at_ms,
            slack,
        }
    }

    /// Replaces the random id with a derived one (see [`JobId::derived`]).
    pub fn with_id(mut self, id: JobId) -> Self {
        self.id = id;
        self
    }

    pub fn to_json(&self) -> String {
        // Serializing this type cannot fail: every field is a string, number or plain enum.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(raw: &str) -> Result<Self, EnvelopeError> {
        #[derive(Deserialize)]
        struct Version {
            v: u32,
        }
        let Version { v } = serde_json::from_str(raw)?;
        if v != ENVELOPE_VERSION {
            return Err(EnvelopeError::UnsupportedVersion(v));
        }
        Ok(serde_json::from_str(raw)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_has_a_stable_shape() {
        let env = JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Ping,
            SlackContext {
                response_url: Some("https://hooks.slack.com/commands/T1/1/x".into()),
                ..Default::default()
            },
            1_700_000_000_000,
        );
        let json = env.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["v"], 1);
        assert_eq!(value["kind"], "ping");
        assert_eq!(value["tenant"], "T1");
        assert_eq!(JobEnvelope::from_json(&json).unwrap(), env);
    }

    #[test]
    fn unknown_versions_and_garbage_are_rejected() {
        let mut value = serde_json::to_value(JobEnvelope::new(
            TenantId::parse("T1").unwrap(),
            JobKind::Ping,
            SlackContext::default(),
            0,
        ))
        .unwrap();
        value["v"] = 2.into();
        assert!(matches!(
            JobEnvelope::from_json(&value.to_string()),
            Err(EnvelopeError::UnsupportedVersion(2))
        ));
        assert!(JobEnvelope::from_json("{").is_err());
        assert!(JobEnvelope::from_json(r#"{"v":1,"kind":"nope"}"#).is_err());
    }
}
