//! switchboard-aws: the tenant crate's ports on AWS.
//!
//! * [`DynamoTenants`], [`DynamoLedger`], [`DynamoUsage`], [`DynamoOAuthStates`],
//!   [`DynamoMembers`]: one DynamoDB table, every key built in [`keys`] from typed ids
//!   (`pk = T#<tenant>` for everything a tenant owns, `OAUTH#<hash>` for OAuth states).
//! * [`DynamoAuditLog`]: the audit log in a table of its own, append-only by IAM.
//! * [`KmsVault`] and [`KmsCredentials`]: one Secrets Manager secret per tenant holding the
//!   Slack bundle and the tenant-wide credentials, each a KMS ciphertext bound to the tenant
//!   and its purpose by the encryption context, written conditionally (`tenant_secret`); per-user
//!   credentials as KMS-encrypted items in the table.
//! * [`DynamoSessions`]: follow-up sessions in the tenant's partition, sealed under KMS data
//!   keys bound to tenant, user and recording ([`AwsBackend::sessions`]).
//! * [`DynamoCrmDirectory`]: CRM settings (conditional on a write id) and account mappings
//!   (the verified rule as a condition, uses counted with `ADD`) in the tenant's partition
//!   ([`AwsBackend::crm_directory`]).
//! * [`SqsQueue`]: the job queue (fair queues by tenant) and its consumer; SQS's redrive policy
//!   dead-letters after 5 receives.
//! * [`AwsConfig`] (environment) and [`AwsBackend`] (all of the above, built once), plus
//!   [`read_app_secret`] for the app's own secrets (signing secret, OAuth client secret, admin
//!   key: one Secrets Manager secret each, [`AppSecretArns`]).
//!
//! Driver errors are mapped in [`error`]: throttling to `StoreError::Throttled`, conditional
//! check failures to each port's domain answer, the rest to `Unavailable` with the cause kept.

mod app_secrets;
mod backend;
mod cache;
mod config;
mod credentials;
mod crm_directory;
pub mod dynamo;
pub mod error;
pub mod keys;
mod queue;
mod sessions;
mod tenant_secret;
mod vault;

pub use app_secrets::{AppSecretArns, AppSecretError, read_app_secret};
pub use aws_config::SdkConfig;
/// The Secrets Manager client type, for callers of [`read_app_secret`].
pub use aws_sdk_secretsmanager::Client as SecretsClient;
pub use backend::{AwsBackend, oauth_states};
pub use config::{AwsConfig, ConfigError, https_client};
pub use credentials::KmsCredentials;
pub use crm_directory::DynamoCrmDirectory;
pub use dynamo::{
    DynamoAuditLog, DynamoLedger, DynamoMembers, DynamoOAuthStates, DynamoTenants, DynamoUsage,
    STATE_GRACE_SECS, Table,
};
pub use queue::SqsQueue;
pub use sessions::{DynamoSessions, SESSION_PURPOSE};
pub use tenant_secret::{MAX_PLAINTEXT, RECOVERY_WINDOW_DAYS};
pub use vault::{CACHE_TTL, KmsVault, PURPOSE};
