//! What the adapters need to know, from the environment (the Lambda's variables in
//! template.yaml, or what `switchboard-bootstrap` prints for moto).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::app_secrets::AppSecretArns;

/// Names and ids of the AWS resources the adapters use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// DynamoDB table (`TABLE_NAME`).
    pub table_name: String,
    /// DynamoDB audit-log table, append-only by IAM (`AUDIT_TABLE_NAME`).
    pub audit_table_name: String,
    /// SQS job queue URL (`QUEUE_URL`).
    pub queue_url: String,
    /// SQS dead-letter queue URL (`DLQ_URL`, optional: only the worker's DLQ count reads it).
    pub dlq_url: Option<String>,
    /// KMS key id, ARN or alias for token bundles (`KMS_KEY_ID`).
    pub kms_key_id: String,
    /// KMS HMAC key id, ARN or alias that seals audit entries (`AUDIT_KEY_ID`).
    pub audit_key_id: String,
    /// Prefix of tenant secret names, `<prefix>/tenants/<tenant>` (`SECRET_PREFIX`).
    pub secret_prefix: String,
    /// The app's own secrets this process may read (`SIGNING_SECRET_ARN`, `CLIENT_SECRET_ARN`,
    /// `ADMIN_KEY_ARN`), each optional: a function gets only the ones its role can read.
    pub app_secrets: AppSecretArns,
    /// A local endpoint such as moto (`AWS_ENDPOINT_URL`); `None` on AWS.
    pub endpoint_url: Option<String>,
}

/// The environment lacks variables the adapters need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing or empty environment variables: {}", .missing.join(", "))]
pub struct ConfigError {
    /// Every missing variable, in a stable order.
    pub missing: Vec<&'static str>,
}

const REQUIRED: [&str; 6] = [
    "TABLE_NAME",
    "AUDIT_TABLE_NAME",
    "QUEUE_URL",
    "KMS_KEY_ID",
    "AUDIT_KEY_ID",
    "SECRET_PREFIX",
];

impl AwsConfig {
    /// Reads the process environment. Fails once, naming every missing variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (the environment, a `.env` map, a test's map).
    /// Empty values count as missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let missing: Vec<&'static str> = REQUIRED
            .into_iter()
            .filter(|name| get(name).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError { missing });
        }
        let required = |name: &str| get(name).unwrap_or_default();
        Ok(Self {
            table_name: required("TABLE_NAME"),
            audit_table_name: required("AUDIT_TABLE_NAME"),
            queue_url: required("QUEUE_URL"),
            dlq_url: get("DLQ_URL"),
            kms_key_id: required("KMS_KEY_ID"),
            audit_key_id: required("AUDIT_KEY_ID"),
            secret_prefix: required("SECRET_PREFIX"),
            app_secrets: AppSecretArns::from_lookup(&lookup),
            endpoint_url: get("AWS_ENDPOINT_URL"),
        })
    }

    /// Loads the SDK configuration (region, credentials, the HTTPS client) once per cold
    /// start, pointed at [`Self::endpoint_url`] when set.
    ///
    /// With the `credential-chain` feature (developer machines: `serve --backend aws`) this is
    /// the SDK's default chain: environment, profiles, SSO cache, web identity, ECS, IMDS.
    /// Without it (the Lambda packages) credentials come from the variables Lambda sets
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and the region from
    /// `AWS_REGION`: nothing is read from disk at a cold start and the chain's providers (STS
    /// among them) are not linked into the binary.
    pub async fn load_sdk_config(&self) -> SdkConfig {
        #[cfg(feature = "credential-chain")]
        {
            let mut loader =
                aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
            if let Some(url) = &self.endpoint_url {
                loader = loader.endpoint_url(url);
            }
            loader.load().await
        }
        #[cfg(not(feature = "credential-chain"))]
        {
            self.environment_sdk_config()
        }
    }

    /// The SDK configuration the Lambda packages use: credentials and region from the
    /// process environment only, over [`https_client`], pointed at [`Self::endpoint_url`].
    pub fn environment_sdk_config(&self) -> SdkConfig {
        lambda_sdk_config(self.endpoint_url.as_deref(), |name| {
            std::env::var(name).ok()
        })
    }
}

/// The one HTTPS client of every AWS SDK client: hyper and rustls on `ring`, the crypto the
/// Slack client uses too, so a Lambda package links a single TLS library. Trust roots are the
/// system's (on Lambda, the Amazon Linux CA bundle).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The SDK configuration from Lambda's environment alone: static credentials from the
/// environment (refreshed by Lambda at each new execution environment), the region from
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`). Retries, timeouts, sleep and time source are the
/// service clients' defaults, as `aws_config::load_defaults` would leave them on Lambda.
fn lambda_sdk_config(
    endpoint_url: Option<&str>,
    lookup: impl Fn(&str) -> Option<String>,
) -> SdkConfig {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    // The SDK crates re-export aws-credential-types' provider handle.
    use aws_sdk_dynamodb::config::SharedCredentialsProvider;
    let region = lookup("AWS_REGION")
        .or_else(|| lookup("AWS_DEFAULT_REGION"))
        .filter(|r| !r.trim().is_empty())
        .map(aws_config::Region::new);
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(https_client());
    if let Some(url) = endpoint_url {
        builder = builder.endpoint_url(url);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_lambda_config_reads_region_and_endpoint_and_carries_credentials_and_https() {
        let sdk = lambda_sdk_config(
            Some("http://127.0.0.1:4566"),
            lookup(&[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_DEFAULT_REGION", "us-east-2"),
            ]),
        );
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert!(sdk.credentials_provider().is_some());
        assert!(sdk.http_client().is_some());
        assert!(sdk.behavior_version().is_some());

        let sdk = lambda_sdk_config(None, lookup(&[("AWS_DEFAULT_REGION", "us-east-2")]));
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-east-2"));
        assert_eq!(sdk.endpoint_url(), None);

        let sdk = lambda_sdk_config(None, lookup(&[("AWS_REGION", " ")]));
        assert_eq!(sdk.region(), None);
    }

    #[test]
    fn every_missing_variable_is_named_in_one_error() {
        let err =
            AwsConfig::from_lookup(lookup(&[("QUEUE_URL", "q"), ("KMS_KEY_ID", " ")])).unwrap_err();
        assert_eq!(
            err.missing,
            vec![
                "TABLE_NAME",
                "AUDIT_TABLE_NAME",
                "KMS_KEY_ID",
                "AUDIT_KEY_ID",
                "SECRET_PREFIX"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("TABLE_NAME") && text.contains("SECRET_PREFIX"),
            "{text}"
        );
        assert!(!text.contains("QUEUE_URL"), "{text}");
    }

    #[test]
    fn a_complete_environment_loads_with_optional_dlq_and_endpoint() {
        let vars = [
            ("TABLE_NAME", "t"),
            ("AUDIT_TABLE_NAME", "t-audit"),
            ("QUEUE_URL", "http://q"),
            ("KMS_KEY_ID", "k"),
            ("AUDIT_KEY_ID", "a"),
            ("SECRET_PREFIX", "dev"),
        ];
        let config = AwsConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(
            config.app_secrets,
            AppSecretArns::default(),
            "no app secret is required: the install function reads none"
        );
        assert_eq!(config.audit_table_name, "t-audit");
        assert_eq!(config.dlq_url, None);
        assert_eq!(config.endpoint_url, None);

        let mut more = vars.to_vec();
        more.push(("DLQ_URL", "http://dlq"));
        more.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
        more.push(("SIGNING_SECRET_ARN", "arn:signing"));
        let config = AwsConfig::from_lookup(lookup(&more)).unwrap();
        assert_eq!(
            config.app_secrets.signing_secret.as_deref(),
            Some("arn:signing")
        );
        assert_eq!(config.dlq_url.as_deref(), Some("http://dlq"));
        assert_eq!(
            config.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
    }
}
