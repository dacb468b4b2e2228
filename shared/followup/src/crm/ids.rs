//! Ids of CRM records. Each CRM has its own id syntax (HubSpot's decimal strings, Salesforce's
//! 18-character ids, Pipedrive's integers), so an id is an opaque, non-empty, printable string
//! here; an adapter checks its own syntax before putting one in a URL.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An id that is empty, too long or holds control characters or spaces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a CRM record id")]
pub struct BadCrmId;

/// Longer than any CRM's ids (Salesforce's are 18), short enough for a Slack `value`.
const MAX_ID_LEN: usize = 64;

macro_rules! crm_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// `raw` as it is (no trimming: an id is compared byte for byte).
            pub fn parse(raw: &str) -> Result<Self, BadCrmId> {
                if raw.is_empty()
                    || raw.len() > MAX_ID_LEN
                    || !raw.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(BadCrmId);
                }
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

        impl TryFrom<String> for $name {
            type Error = BadCrmId;
            fn try_from(raw: String) -> Result<Self, BadCrmId> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

crm_id!(
    /// A company / account / organization.
    AccountId
);
crm_id!(
    /// A deal / opportunity.
    DealId
);
crm_id!(
    /// A contact / person.
    ContactId
);
crm_id!(
    /// A deal pipeline.
    PipelineId
);
crm_id!(
    /// A stage of a pipeline.
    StageId
);
crm_id!(
    /// A note (HubSpot note, Salesforce ContentNote/Task, Pipedrive note).
    NoteId
);
crm_id!(
    /// A task (HubSpot task, Salesforce Task, Pipedrive activity).
    TaskId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_printable_non_empty_and_bounded() {
        assert_eq!(
            AccountId::parse("2810868468").unwrap().as_str(),
            "2810868468"
        );
        assert!(DealId::parse("0065g00000AbCdEAAV").is_ok());
        for bad in ["", " 1", "1 2", "a\nb", &"9".repeat(65)] {
            assert_eq!(AccountId::parse(bad), Err(BadCrmId), "{bad:?}");
        }
        let id: StageId = serde_json::from_str("\"closedwon\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"closedwon\"");
        assert!(serde_json::from_str::<StageId>("\"\"").is_err());
    }
}
