//! [`AwsBackend`]: every adapter built once from one [`AwsConfig`] and one [`SdkConfig`].

use std::sync::Arc;

use aws_config::SdkConfig;
use tenant::Backend;
use tenant::ports::{JobConsumer, OAuthStates};

use crate::config::AwsConfig;
use crate::credentials::KmsCredentials;
use crate::crm_directory::DynamoCrmDirectory;
use crate::dynamo::{
    DynamoAuditLog, DynamoLedger, DynamoMembers, DynamoOAuthStates, DynamoTenants, DynamoUsage,
    Table,
};
use crate::queue::SqsQueue;
use crate::sessions::DynamoSessions;
use crate::vault::KmsVault;

/// Only the OAuth state store, on its own DynamoDB client: the install function needs no
/// other port, and a function that does not build the Secrets Manager, KMS and SQS adapters
/// does not link them (0.8 MB of its binary, docs/performance.md).
pub fn oauth_states(config: &AwsConfig, sdk: &SdkConfig) -> Arc<dyn OAuthStates> {
    let table = Table::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name);
    Arc::new(DynamoOAuthStates::new(table))
}

/// The AWS adapters, sharing one client per service.
#[derive(Clone)]
pub struct AwsBackend {
    backend: Backend,
    queue: Arc<SqsQueue>,
    /// What [`Self::sessions`] and [`Self::crm_directory`] build their stores from: only the
    /// functions that ask link them (the session store: AES-GCM, data keys).
    table: Table,
    tenant_secrets: crate::tenant_secret::TenantSecrets,
    secrets: aws_sdk_secretsmanager::Client,
}

impl AwsBackend {
    /// Builds the clients and adapters. Call once per cold start, outside the handler.
    pub fn new(config: &AwsConfig, sdk: &SdkConfig) -> Self {
        Self::with_vault(config, sdk, |vault| vault)
    }

    /// Like [`Self::new`], with a chance to adjust the vault (tests force-delete secrets).
    pub fn with_vault(
        config: &AwsConfig,
        sdk: &SdkConfig,
        adjust: impl FnOnce(KmsVault) -> KmsVault,
    ) -> Self {
        let dynamo = aws_sdk_dynamodb::Client::new(sdk);
        let table = Table::new(dynamo.clone(), &config.table_name);
        let audit_table = Table::new(dynamo, &config.audit_table_name);
        let secrets = aws_sdk_secretsmanager::Client::new(sdk);
        let kms = aws_sdk_kms::Client::new(sdk);
        let queue = Arc::new(SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            &config.queue_url,
            config.dlq_url.clone(),
        ));
        let vault = adjust(KmsVault::new(
            secrets.clone(),
            kms.clone(),
            &config.kms_key_id,
            &config.secret_prefix,
        ));
        let credentials = KmsCredentials::new(vault.tenant_secrets().clone(), table.clone());
        let tenant_secrets = vault.tenant_secrets().clone();
        let sessions_table = table.clone();
        let backend = Backend {
            tenants: Arc::new(DynamoTenants::new(table.clone())),
            ledger: Arc::new(DynamoLedger::new(table.clone())),
            queue: queue.clone(),
            vault: Arc::new(vault),
            usage: Arc::new(DynamoUsage::new(table.clone())),
            oauth_states: Arc::new(DynamoOAuthStates::new(table.clone())),
            members: Arc::new(DynamoMembers::new(table)),
            credentials: Arc::new(credentials),
            audit: Arc::new(DynamoAuditLog::new(audit_table, kms, &config.audit_key_id)),
        };
        Self {
            backend,
            queue,
            table: sessions_table,
            tenant_secrets,
            secrets,
        }
    }

    /// The ports for handlers and services.
    pub fn backend(&self) -> Backend {
        self.backend.clone()
    }

    /// The consumer side of the job queue (the worker and operator tools).
    pub fn consumer(&self) -> Arc<dyn JobConsumer> {
        self.queue.clone()
    }

    /// The follow-up session store. Not in [`Backend`]: that is the tenant crate's, which
    /// knows nothing of the follow-up domain.
    pub fn sessions(&self) -> Arc<dyn followup::ports::Sessions> {
        Arc::new(DynamoSessions::new(
            self.table.clone(),
            self.tenant_secrets.clone(),
        ))
    }

    /// The CRM directory (settings and account mappings), built when asked, like
    /// [`Self::sessions`]: functions that never ask do not link it.
    pub fn crm_directory(&self) -> Arc<dyn followup::ports::CrmDirectory> {
        Arc::new(DynamoCrmDirectory::new(self.table.clone()))
    }

    /// The Secrets Manager client, for [`crate::read_app_secret`].
    pub fn secrets_client(&self) -> &aws_sdk_secretsmanager::Client {
        &self.secrets
    }
}
