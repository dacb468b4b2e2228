//! Ids of the follow-up domain.

use std::fmt;

use serde::{Deserialize, Serialize};
use tenant::{TenantId, UserId};

/// Fathom's `recording_id`: an integer, the key of everything about one meeting. Slack carries
/// it as text (an option's or a button's `value`), hence [`RecordingId::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordingId(u64);

/// A recording id that is not a decimal integer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a recording id")]
pub struct BadRecordingId;

impl RecordingId {
    pub fn new(id: u64) -> Self {
        Self(id)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// Parses the decimal form (what a Slack `value` holds); nothing else is accepted, not even
    /// a sign or surrounding spaces.
    pub fn parse(raw: &str) -> Result<Self, BadRecordingId> {
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadRecordingId);
        }
        raw.parse().map(Self).map_err(|_| BadRecordingId)
    }
}

impl fmt::Display for RecordingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which session: one per (tenant, user, recording). Two users of a workspace who process the
/// same meeting have two sessions. Storage adapters derive their keys from these three ids and
/// from nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    tenant: TenantId,
    user: UserId,
    recording: RecordingId,
}

impl SessionKey {
    pub fn new(tenant: TenantId, user: UserId, recording: RecordingId) -> Self {
        Self {
            tenant,
            user,
            recording,
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn user(&self) -> &UserId {
        &self.user
    }

    pub fn recording(&self) -> RecordingId {
        self.recording
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.tenant, self.user, self.recording)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_ids_parse_only_from_plain_decimal() {
        assert_eq!(
            RecordingId::parse("123456789"),
            Ok(RecordingId::new(123456789))
        );
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "0x10",
            "1e3",
            "99999999999999999999999",
        ] {
            assert_eq!(RecordingId::parse(bad), Err(BadRecordingId), "{bad:?}");
        }
        assert_eq!(RecordingId::new(42).to_string(), "42");
    }

    #[test]
    fn recording_ids_serialize_as_fathoms_integer() {
        let id: RecordingId = serde_json::from_str("123456789").unwrap();
        assert_eq!(id, RecordingId::new(123456789));
        assert_eq!(serde_json::to_string(&id).unwrap(), "123456789");
    }
}
