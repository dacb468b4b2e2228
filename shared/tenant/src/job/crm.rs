//! The CRM jobs ([`super::JobKind::Crm`]): what the edit modal's CRM actions, the CRM
//! connection modal and `/followup task` hand to the worker. One kind on the queue, so adding
//! an operation touches this file only. Every one acts for `user` (from the signed request):
//! the worker checks again that an admin-only operation comes from an admin.

use serde::{Deserialize, Serialize};

use crate::credential::Provider;
use crate::ids::UserId;

/// One CRM operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "crm_op", rename_all = "snake_case")]
pub enum CrmJob {
    /// Fill the CRM connection modal (admins: connect, default, disconnect).
    Manage { user: UserId, view_id: String },
    /// Check the key `user` pasted for `provider` (stored in their `crm_pending` slot), then
    /// connect it, or show the key modal again with what went wrong.
    CheckKey {
        user: UserId,
        view_id: String,
        provider: Provider,
    },
    /// Make `provider` the workspace's default CRM, or disconnect it (revoking at the CRM
    /// where it can), then show the connection modal again.
    Admin {
        user: UserId,
        view_id: String,
        provider: Provider,
        op: AdminOp,
    },
    /// A CRM refused the workspace's credentials outside the worker (the options function):
    /// mark the connection broken and tell the admins, once.
    Refused { provider: Provider },
    /// The user picked the account a follow-up is about (from the list the worker offered):
    /// saved as a verified mapping, then `then` is done on it.
    AccountPicked {
        user: UserId,
        view_id: String,
        recording: u64,
        then: AccountUse,
        account: String,
        /// What the select showed for it (`Name · domain`): an account found by the chooser's
        /// search by name is looked up again by that name (it need not share the meeting's
        /// domain). Empty in jobs queued before it was added.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        label: String,
    },
    /// The deals modal's submit: each deal's stage and amount as the user left them (the
    /// worker writes only what differs from the CRM).
    UpdateDeals {
        user: UserId,
        view_id: String,
        recording: u64,
        edits: Vec<DealEdit>,
    },
    /// Fill the task modal for `/followup task` (no meeting).
    OpenTask { user: UserId, view_id: String },
    /// The task modal's submit.
    CreateTask {
        user: UserId,
        view_id: String,
        /// The follow-up it came from; `None` from `/followup task`.
        recording: Option<u64>,
        task: Box<TaskForm>,
    },
}

impl CrmJob {
    /// Who asked (`None` for [`CrmJob::Refused`]).
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Self::Manage { user, .. }
            | Self::CheckKey { user, .. }
            | Self::Admin { user, .. }
            | Self::AccountPicked { user, .. }
            | Self::UpdateDeals { user, .. }
            | Self::OpenTask { user, .. }
            | Self::CreateTask { user, .. } => Some(user),
            Self::Refused { .. } => None,
        }
    }
}

/// What an admin does to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminOp {
    MakeDefault,
    Disconnect,
}

/// What the account a user picked is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountUse {
    /// Log the follow-up's CRM note on it.
    Note,
    /// Show its open deals.
    Deals,
}

impl AccountUse {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Deals => "deals",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "note" => Some(Self::Note),
            "deals" => Some(Self::Deals),
            _ => None,
        }
    }
}

/// One deal in the deals modal as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealEdit {
    pub deal: String,
    pub stage: Option<String>,
    /// Decimal text as typed (checked by the commands function: `followup::crm::Amount`).
    pub amount: Option<String>,
}

/// The task modal as submitted. The title and notes are the user's text: `Debug` shows
/// their lengths only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskForm {
    /// The contact's id in the CRM (the external select's value).
    pub contact: String,
    /// What the select showed for it (to show the form again as submitted).
    pub contact_label: String,
    pub title: String,
    /// `call`, `email` or `todo`.
    pub kind: String,
    /// `YYYY-MM-DD` and `HH:mm` in the user's own time zone (the worker converts to UTC).
    pub date: String,
    pub time: String,
    pub notes: String,
}

impl std::fmt::Debug for TaskForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskForm")
            .field("contact", &self.contact)
            .field("contact_label", &self.contact_label.len())
            .field("title", &self.title.len())
            .field("kind", &self.kind)
            .field("date", &self.date)
            .field("time", &self.time)
            .field("notes", &self.notes.len())
            .finish()
    }
}
