//! Ports: what the follow-up flow needs from providers and from storage.
//!
//! Provider ports ([`Recorder`], [`RecorderWebhooks`], [`Drafter`], [`Mailer`],
//! [`Calendar`]) are implemented in `shared/connectors` over HTTP and share one error
//! contract, [`crate::ProviderError`]: each method's rustdoc says which variants it returns
//! when. Adapters MUST NOT put a token,
//! transcript text, an email body or a provider's raw error body into an error, a log line or
//! a panic. Every call is bounded by a timeout in the adapter (a timeout is
//! [`crate::ProviderError::Unavailable`]).
//!
//! [`Sessions`] is the storage port, implemented in `shared/local` and `shared/aws`, with one
//! contract suite in `followup::testkit`.

mod calendar;
mod crm_directory;
mod drafter;
mod mailer;
mod recorder;
mod sessions;
mod webhooks;

pub use calendar::Calendar;
pub use crm_directory::{
    AccountMapping, CrmConnection, CrmDirectory, CrmSettings, DirectoryError, MappingSource,
    update_settings,
};
pub use drafter::Drafter;
pub use mailer::Mailer;
pub use recorder::{Recorder, RecorderAuth};
pub use sessions::{
    MAX_SESSION_BYTES, SessionError, Sessions, decode_session, encode_session, sort_recent,
};
pub use webhooks::{RecorderWebhooks, WebhookRegistration};
