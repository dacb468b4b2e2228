//! What the CRM port reads and writes.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tenant::Secret;

use super::ids::{AccountId, ContactId, DealId, PipelineId, StageId};
use crate::redact::Redacted;

/// How a connection authenticates. Which one a CRM takes is the adapter's business; a kind it
/// does not take is [`super::CrmError::Unauthorized`] (the connection must be redone).
#[derive(Debug, Clone)]
pub enum CrmAuth {
    /// An OAuth access token or a private app token, sent as `Authorization: Bearer`.
    Bearer(Secret),
    /// A personal API token (Pipedrive's `api_token`).
    ApiToken(Secret),
    /// A public/private key pair sent in two headers (Crono).
    KeyPair { public: Secret, private: Secret },
}

/// One workspace's connection as the adapter needs it per call: its credential and where the
/// connection lives at the provider (`site`): HubSpot's hub id (for "Open in HubSpot" links),
/// Salesforce's `instance_url`, Pipedrive's `api_domain`. Credentials of one workspace are
/// never used for another's call: the caller builds one per call from that workspace's
/// connection.
#[derive(Debug, Clone)]
pub struct CrmAccess {
    pub auth: CrmAuth,
    pub site: Option<String>,
}

impl CrmAccess {
    pub fn bearer(token: impl Into<Secret>) -> Self {
        Self {
            auth: CrmAuth::Bearer(token.into()),
            site: None,
        }
    }

    pub fn with_site(mut self, site: impl Into<String>) -> Self {
        self.site = Some(site.into());
        self
    }
}

/// A company / account / organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    /// The website's domain as the CRM stores it (lower-cased, no scheme, no `www.`), if any.
    pub domain: Option<String>,
    /// "Open in <CRM>".
    pub link: String,
}

/// A non-negative decimal amount as the CRM writes it (`"1500.00"`), kept as text so that no
/// float rounds a customer's deal. Up to 15 integer and 6 fraction digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Amount(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an amount")]
pub struct BadAmount;

impl Amount {
    /// `1500`, `1500.5`, `1500.00`; a `,` decimal separator is accepted (what a user in Rome
    /// types) and written as `.`. No sign, no thousands separators, no exponent.
    pub fn parse(raw: &str) -> Result<Self, BadAmount> {
        let text = raw.trim().replace(',', ".");
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text.as_str(), None),
        };
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(int, 15) || frac.is_some_and(|f| !digits(f, 6)) {
            return Err(BadAmount);
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Numerically equal (`1500` and `1500.00`).
    pub fn same_value(&self, other: &Amount) -> bool {
        fn norm(s: &str) -> (&str, &str) {
            let (i, f) = s.split_once('.').unwrap_or((s, ""));
            let i = i.trim_start_matches('0');
            (i, f.trim_end_matches('0'))
        }
        norm(&self.0) == norm(&other.0)
    }
}

impl TryFrom<String> for Amount {
    type Error = BadAmount;
    fn try_from(raw: String) -> Result<Self, BadAmount> {
        Self::parse(&raw)
    }
}

impl From<Amount> for String {
    fn from(a: Amount) -> String {
        a.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An open deal of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    pub id: DealId,
    pub name: String,
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub amount: Option<Amount>,
    /// ISO 4217 (`EUR`), when the CRM says; `None` means the CRM account's default currency.
    pub currency: Option<String>,
    pub link: String,
}

/// A deal pipeline with its stages in the CRM's display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub id: PipelineId,
    pub label: String,
    pub stages: Vec<Stage>,
}

/// A stage; `closed` comes from the CRM's own metadata (won or lost), never from its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub id: StageId,
    pub label: String,
    pub closed: bool,
}

/// A change to a deal: either part may be left as it is, not both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DealUpdate {
    pub stage: Option<StageId>,
    pub amount: Option<Amount>,
}

impl DealUpdate {
    pub fn is_empty(&self) -> bool {
        self.stage.is_none() && self.amount.is_none()
    }

    /// Every `Crm::update_deal` refuses an update that changes nothing, before any call.
    pub fn require_change(&self) -> Result<(), super::CrmError> {
        if self.is_empty() {
            return Err(super::CrmError::Invalid("empty deal update".into()));
        }
        Ok(())
    }
}

/// A contact / person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub email: Option<String>,
    pub link: String,
}

/// A note to log on an account. `body` is plain text (paragraphs separated by blank lines);
/// each adapter formats it for its CRM (HTML where the CRM renders HTML).
#[derive(Clone, PartialEq, Eq)]
pub struct NewNote {
    pub body: String,
    /// When it happened (the meeting), for the CRM's timeline.
    pub at: Timestamp,
    /// The note's marker ([`super::note_marker`]: `sb-` and 16 hex digits), embedded by the
    /// adapter where a reader does not notice it; opaque, so `Debug` may show it.
    pub marker: String,
}

impl fmt::Debug for NewNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewNote")
            .field("body", &Redacted(&self.body))
            .field("at", &self.at)
            .field("marker", &self.marker)
            .finish()
    }
}

/// What kind of task (the CRMs' common set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Call,
    Email,
    Todo,
}

/// A task for a contact, due at an instant (the user's local time already converted).
#[derive(Clone, PartialEq, Eq)]
pub struct NewTask {
    pub subject: String,
    pub description: String,
    pub due: Timestamp,
    pub kind: TaskKind,
}

impl fmt::Debug for NewTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewTask")
            .field("subject", &Redacted(&self.subject))
            .field("description", &Redacted(&self.description))
            .field("due", &self.due)
            .field("kind", &self.kind)
            .finish()
    }
}

/// A record written: its id and an "Open in <CRM>" link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written<I> {
    pub id: I,
    pub link: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_plain_decimals_compared_by_value() {
        assert_eq!(Amount::parse("1500.00").unwrap().as_str(), "1500.00");
        assert_eq!(Amount::parse(" 12,5 ").unwrap().as_str(), "12.5");
        for bad in ["", "-1", "1e3", "1.2.3", "1 000", ".5", "5.", "abc"] {
            assert_eq!(Amount::parse(bad), Err(BadAmount), "{bad:?}");
        }
        let a = Amount::parse("1500").unwrap();
        assert!(a.same_value(&Amount::parse("1500.00").unwrap()));
        assert!(!a.same_value(&Amount::parse("150").unwrap()));
    }

    #[test]
    fn notes_and_tasks_never_show_their_text_under_debug() {
        let note = NewNote {
            body: "we lost the Acme deal".into(),
            at: Timestamp::UNIX_EPOCH,
            marker: "sb-0123456789abcdef".into(),
        };
        let task = NewTask {
            subject: "call Acme".into(),
            description: "about the Acme deal".into(),
            due: Timestamp::UNIX_EPOCH,
            kind: TaskKind::Call,
        };
        let shown = format!(
            "{note:?} {task:?} {:?}",
            CrmAccess::bearer("pat-na1-secret")
        );
        assert!(!shown.contains("Acme"), "{shown}");
        assert!(!shown.contains("pat-na1"), "{shown}");
    }
}
