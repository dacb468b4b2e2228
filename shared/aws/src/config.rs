//! What the adapters need to know, from the environment (the Lambda's variables in
//! template.yaml, or what `switchboard-bootstrap` prints for moto).

use aws_config::{BehaviorVersion, SdkConfig};

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
    /// Prefix of tenant secret names, `<prefix>/tenants/<tenant>` (`SECRET_PREFIX`).
    pub secret_prefix: String,
    /// ARN of the app secret with the signing secret and OAuth client (`APP_SECRET_ARN`).
    pub app_secret_arn: String,
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
    "SECRET_PREFIX",
    "APP_SECRET_ARN",
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
            secret_prefix: required("SECRET_PREFIX"),
            app_secret_arn: required("APP_SECRET_ARN"),
            endpoint_url: get("AWS_ENDPOINT_URL"),
        })
    }

    /// Loads the SDK configuration (region, credentials) once per cold start, pointed at
    /// [`Self::endpoint_url`] when set.
    pub async fn load_sdk_config(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }
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
    fn every_missing_variable_is_named_in_one_error() {
        let err =
            AwsConfig::from_lookup(lookup(&[("QUEUE_URL", "q"), ("KMS_KEY_ID", " ")])).unwrap_err();
        assert_eq!(
            err.missing,
            vec![
                "TABLE_NAME",
                "AUDIT_TABLE_NAME",
                "KMS_KEY_ID",
                "SECRET_PREFIX",
                "APP_SECRET_ARN"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("TABLE_NAME") && text.contains("APP_SECRET_ARN"),
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
            ("SECRET_PREFIX", "dev"),
            ("APP_SECRET_ARN", "arn:app"),
        ];
        let config = AwsConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(config.audit_table_name, "t-audit");
        assert_eq!(config.dlq_url, None);
        assert_eq!(config.endpoint_url, None);

        let mut more = vars.to_vec();
        more.push(("DLQ_URL", "http://dlq"));
        more.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
        let config = AwsConfig::from_lookup(lookup(&more)).unwrap();
        assert_eq!(config.dlq_url.as_deref(), Some("http://dlq"));
        assert_eq!(
            config.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
    }
}
