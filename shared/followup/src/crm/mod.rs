//! The CRM port: what a follow-up needs from the workspace's CRM (HubSpot, Salesforce,
//! Pipedrive, Crono), whichever it is.
//!
//! * [`Crm`]: the trait every adapter in `shared/connectors` implements, with one contract
//!   suite (`followup::testkit::crm`) run against each adapter on its fake and against
//!   `testkit::MemoryCrm`.
//! * [`ids`]: newtypes of record ids; [`Domain`] for attendees' and accounts' domains.
//! * [`account`]: the pure "which account is this meeting about" ordering.
//! * [`CrmError`]: the error contract.
//! * [`note_marker`]: the marker a note is found by when its write had an unknown outcome.

mod access;
pub mod account;
mod domain;
mod error;
pub mod ids;
mod kind;
mod marker;
mod types;

use async_trait::async_trait;

pub use access::{PastedKey, access_of};
pub use domain::{BadDomain, Domain, FREE_MAIL_DOMAINS};
pub use error::CrmError;
pub use ids::{AccountId, BadCrmId, ContactId, DealId, NoteId, PipelineId, StageId, TaskId};
pub use kind::{CrmKind, UnknownCrm};
pub use marker::{is_note_marker, note_marker};
pub use types::{
    Account, Amount, BadAmount, Contact, CrmAccess, CrmAuth, Deal, DealUpdate, NewNote, NewTask,
    Pipeline, Stage, TaskKind, Written,
};

/// One CRM, reached with one workspace's [`CrmAccess`] per call.
///
/// Every method MUST see only what `access` can see: a record of another CRM account (another
/// workspace's portal) is [`CrmError::NotFound`], or absent from a list, never returned or
/// changed. Errors, for every method: `Unauthorized` when the credential is refused (revoked,
/// expired, missing scope), `RateLimited { retry_after }` when throttled after the adapter's
/// own bounded retries, `Unavailable` on 5xx/timeouts, `Invalid` for an unusable answer. No
/// error, log line or panic carries the credential or a note's or task's text.
///
/// Writes (`create_note`, `create_task`, `update_deal`) are done at most once per call: an
/// adapter does not retry a create the CRM may have performed (a 5xx or a timeout after
/// sending); exactly-once across redeliveries is the worker's (`tenant::once`).
#[async_trait]
pub trait Crm: Send + Sync {
    /// The CRM's name for "Open in <name>" (`"HubSpot"`).
    fn name(&self) -> &'static str;

    /// Accounts whose website domain is exactly one of `domains` (not a prefix, not a
    /// substring: `acme.com` never matches `acme.com.evil.io` or `notacme.com`), found by the
    /// CRM's search (not a scan of a first page). Several accounts may share a domain; all
    /// are returned (up to the adapter's page limit), each once. No domains: empty, no call.
    async fn find_accounts_by_domains(
        &self,
        access: &CrmAccess,
        domains: &[Domain],
    ) -> Result<Vec<Account>, CrmError>;

    /// Accounts whose name matches `name` as the CRM's search does (exact names MUST be among
    /// them). A blank `name`: empty, no call.
    async fn search_accounts(
        &self,
        access: &CrmAccess,
        name: &str,
    ) -> Result<Vec<Account>, CrmError>;

    /// Logs `note` on `account`, with `note.marker` embedded as the adapter documents (so
    /// that [`Crm::find_note`] finds it). An account this access cannot see: `NotFound`,
    /// nothing written. A marker of the wrong shape ([`is_note_marker`]): `Invalid`, no call.
    async fn create_note(
        &self,
        access: &CrmAccess,
        account: &AccountId,
        note: &NewNote,
    ) -> Result<Written<NoteId>, CrmError>;

    /// The note on `account` that was written with `marker` ([`NewNote::marker`]), if any.
    ///
    /// Used when a write's outcome is unknown (the worker died or timed out after sending),
    /// so the answer MUST come from a consistent read: a note written before the call MUST be
    /// found. A search index that lags writes (HubSpot's CRM search) MUST NOT be used to
    /// answer `None`; an adapter without a consistent read answers `Unsupported` (the
    /// default). Only a note carrying `marker` as the adapter embeds it counts (a note whose
    /// text merely mentions it does not). A marker of the wrong shape: `Invalid`, no call.
    /// An account this access cannot see: `NotFound` or `None`, never another workspace's
    /// note.
    async fn find_note(
        &self,
        _access: &CrmAccess,
        _account: &AccountId,
        _marker: &str,
    ) -> Result<Option<Written<NoteId>>, CrmError> {
        Err(CrmError::Unsupported)
    }

    /// The open deals of `account`: deals in a stage the pipeline's own metadata marks
    /// closed (won or lost) MUST be left out, whatever the stage is called. An account this
    /// access cannot see: `NotFound` or an empty list.
    async fn open_deals(
        &self,
        access: &CrmAccess,
        account: &AccountId,
    ) -> Result<Vec<Deal>, CrmError>;

    /// The deal pipelines with their stages, in the CRM's order.
    async fn pipelines(&self, access: &CrmAccess) -> Result<Vec<Pipeline>, CrmError>;

    /// Moves `deal` to `update.stage` and/or sets `update.amount` (in the deal's currency).
    /// An empty update: `Invalid`, no call. A deal this access cannot see: `NotFound`.
    async fn update_deal(
        &self,
        access: &CrmAccess,
        deal: &DealId,
        update: &DealUpdate,
    ) -> Result<Written<DealId>, CrmError>;

    /// Contacts matching `query` (a name or an email address). A blank query: empty, no call.
    async fn search_contacts(
        &self,
        access: &CrmAccess,
        query: &str,
    ) -> Result<Vec<Contact>, CrmError>;

    /// Creates `task` for `contact`, due at `task.due` (UTC). A contact this access cannot
    /// see: `NotFound`, nothing written.
    async fn create_task(
        &self,
        access: &CrmAccess,
        contact: &ContactId,
        task: &NewTask,
    ) -> Result<Written<TaskId>, CrmError>;

    /// One cheap call that proves `access` works, made before a pasted key is saved and when
    /// a connection is checked. `Unauthorized` for a refused credential. The default lists
    /// the pipelines; an adapter with a cheaper documented check (Crono's `GET /Users`)
    /// overrides it.
    async fn verify(&self, access: &CrmAccess) -> Result<(), CrmError> {
        self.pipelines(access).await.map(drop)
    }
}
