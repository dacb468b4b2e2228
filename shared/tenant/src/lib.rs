//! The tenant crate: what a Switchboard tenant is and what may be done to it.
//!
//! * [`ids`]: Slack ids and the [`TenantId`] as newtypes with validating constructors.
//! * [`model`]: the tenant record and installation metadata.
//! * [`secret`]: token bundles whose `Debug` never prints a token.
//! * [`credential`]: typed credentials of any provider (tenant-wide or per user).
//! * [`job`]: the versioned job envelope shared by producers (ingress) and the worker.
//! * [`ports`]: the small traits adapters implement (`shared/local`, `shared/aws`), each with its
//!   error contract.
//! * [`idempotency`]: the one claim → run → record helper every once-only step uses.
//! * [`refresh`]: the one refresh path of rotating tokens, for every provider.
//! * [`service`]: tenant operations built on the ports (resolve, uninstall, revoke, suspend).
//! * `testkit` (feature): one contract suite per port, plus in-memory adapters.

pub mod audit;
pub mod credential;
pub mod idempotency;
pub mod ids;
pub mod job;
pub mod model;
pub mod ports;
pub mod refresh;
pub mod secret;
pub mod service;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod time;

pub use credential::{Credential, CredentialId, CredentialMetadata, Provider};
pub use ids::{AppId, BotId, ChannelId, EnterpriseId, IdError, JobId, TeamId, TenantId, UserId};
pub use job::{JobEnvelope, JobKind, SlackContext};
pub use model::{BotIdentity, FollowupQuotas, Installation, Plan, Tenant, TenantStatus};
pub use ports::Backend;
pub use secret::{BotToken, Secret, TokenBundle, UserToken};
