//! Shared set-up for the moto tests: each test gets its own table, queues, keys and secret
//! prefix (a unique bootstrap prefix), so tests run in parallel on one moto_server.
#![allow(dead_code)] // each test binary uses a different subset

use aws::{AwsBackend, AwsConfig, KmsVault, SdkConfig};
use aws_config::BehaviorVersion;
use bootstrap::{Created, Names, create_all};

/// One test's AWS world on moto.
pub struct Env {
    pub sdk: SdkConfig,
    pub created: Created,
    pub config: AwsConfig,
}

impl Env {
    /// The adapters, with secrets force-deleted so names never linger between runs.
    pub fn backend(&self) -> AwsBackend {
        AwsBackend::with_vault(&self.config, &self.sdk, |v| v.with_force_delete(true))
    }

    /// A second vault instance on the same resources (a second container).
    pub fn vault(&self) -> KmsVault {
        KmsVault::new(
            self.secrets(),
            aws_sdk_kms::Client::new(&self.sdk),
            &self.config.kms_key_id,
            &self.config.secret_prefix,
        )
    }

    pub fn dynamo(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk)
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk)
    }
}

/// Bootstraps a fresh set of resources on `AWS_ENDPOINT_URL`, or `None` (after saying so
/// loudly) when it is unset: `scripts/aws-env.sh` sets it and starts moto.
pub async fn env(test: &str) -> Option<Env> {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!(
            "SKIPPED {test}: AWS_ENDPOINT_URL is not set. Run the AWS tests through \
             scripts/aws-env.sh (it starts moto_server): \
             scripts/aws-env.sh -- cargo test -p switchboard-aws"
        );
        return None;
    };
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(aws::https_client())
        .endpoint_url(&endpoint)
        .load()
        .await;
    let prefix = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let names = Names::new(prefix).unwrap_or_else(|e| panic!("test prefix: {e}"));
    let created = match create_all(&sdk, &names).await {
        Ok(created) => created,
        Err(err) => panic!("bootstrap on {endpoint} failed: {}", chain(&err)),
    };
    let vars = created.env_vars();
    let config = AwsConfig::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| (name == "AWS_ENDPOINT_URL").then(|| endpoint.clone()))
    })
    .unwrap_or_else(|e| panic!("config from bootstrap: {e}"));
    Some(Env {
        sdk,
        created,
        config,
    })
}

/// An error with its causes, for panic messages.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
