//! Local AWS bootstrap: creates Switchboard's tables (app and audit), job queue + DLQ, KMS keys and app secrets on
//! a local endpoint (moto) from the definitions in template.yaml ([`Definitions`]).
//!
//! Used by shared/aws's tests (each test creates its own set under a unique prefix, so tests run
//! in parallel) and by the `switchboard-bootstrap` binary, which prints the variables to export.
//! Running it twice with the same prefix reuses what exists.

mod create;
pub mod template;

pub use create::create_all;
pub use template::{Definitions, InitialValue, substitute};

/// The SDK configuration for a local endpoint: the default credential chain (the dummy keys
/// `scripts/aws-env.sh` exports), pointed at `endpoint_url`, over hyper and rustls on `ring`
/// (the SDK crates are built without their default HTTPS client; see the root Cargo.toml).
pub async fn sdk_config(endpoint_url: &str) -> aws_config::SdkConfig {
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https)
        .endpoint_url(endpoint_url)
        .load()
        .await
}

/// Where the created resources' names come from: the template's names with `${Stage}` set to
/// `prefix` (`switchboard-<prefix>`, `switchboard-<prefix>-jobs`,
/// `switchboard/<prefix>/slack-signing-secret`, ...), and the app secrets' values.
#[derive(Clone, PartialEq, Eq)]
pub struct Names {
    prefix: String,
    /// The app secrets' values; each `None` is the template's initial value (a placeholder,
    /// or a generated admin key).
    pub app_secrets: AppSecretValues,
}

/// Values for the three app secrets. `Debug` shows which are set, never a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AppSecretValues {
    pub signing_secret: Option<String>,
    pub client_secret: Option<String>,
    pub admin_api_key: Option<String>,
}

impl std::fmt::Debug for AppSecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("AppSecretValues")
            .field("signing_secret", &set(&self.signing_secret))
            .field("client_secret", &set(&self.client_secret))
            .field("admin_api_key", &set(&self.admin_api_key))
            .finish()
    }
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names")
            .field("prefix", &self.prefix)
            .field("app_secrets", &self.app_secrets)
            .finish()
    }
}

impl Names {
    /// `prefix` must be 1-40 characters of ASCII letters, digits and `-` (it ends up in table,
    /// queue, alias and secret names, which all accept those).
    pub fn new(prefix: impl Into<String>) -> Result<Self, BootstrapError> {
        let prefix = prefix.into();
        let valid = !prefix.is_empty()
            && prefix.len() <= 40
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err(BootstrapError::InvalidPrefix(prefix));
        }
        Ok(Self {
            prefix,
            app_secrets: AppSecretValues::default(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sets the app secrets' values (`None` keeps the template's initial value).
    pub fn with_app_secrets(mut self, values: AppSecretValues) -> Self {
        self.app_secrets = values;
        self
    }
}

/// What [`create_all`] made, with the ids the adapters' configuration needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub table: String,
    /// The audit-log table (`AUDIT_TABLE_NAME`).
    pub audit_table: String,
    pub queue_url: String,
    pub dlq_url: String,
    /// The token key (`KMS_KEY_ID`).
    pub key_id: String,
    /// The at-rest key of the table, queues and app secrets.
    pub data_key_id: String,
    /// The audit log's HMAC key (`AUDIT_KEY_ID`).
    pub audit_key_id: String,
    /// `SIGNING_SECRET_ARN`, `CLIENT_SECRET_ARN`, `ADMIN_KEY_ARN`.
    pub signing_secret_arn: String,
    pub client_secret_arn: String,
    pub admin_key_arn: String,
    /// `SECRET_PREFIX`.
    pub secret_prefix: String,
}

impl Created {
    /// The environment the functions read (`aws::AwsConfig::from_env`), in a stable order.
    /// On AWS each function gets only its own secret's ARN; locally one process may run them
    /// all (`switchboard serve --backend aws`), so all three are here.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TABLE_NAME", self.table.clone()),
            ("AUDIT_TABLE_NAME", self.audit_table.clone()),
            ("QUEUE_URL", self.queue_url.clone()),
            ("DLQ_URL", self.dlq_url.clone()),
            ("KMS_KEY_ID", self.key_id.clone()),
            ("AUDIT_KEY_ID", self.audit_key_id.clone()),
            ("SECRET_PREFIX", self.secret_prefix.clone()),
            ("SIGNING_SECRET_ARN", self.signing_secret_arn.clone()),
            ("CLIENT_SECRET_ARN", self.client_secret_arn.clone()),
            ("ADMIN_KEY_ARN", self.admin_key_arn.clone()),
        ]
    }
}

/// A boxed AWS SDK error kept as a cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why bootstrap failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("invalid prefix {0:?}: use 1-40 ASCII letters, digits or '-'")]
    InvalidPrefix(String),
    #[error("AWS call failed while trying to {step}")]
    Aws {
        step: &'static str,
        #[source]
        source: BoxError,
    },
    #[error("AWS answered {step} without {what}")]
    Incomplete {
        step: &'static str,
        what: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked() {
        assert!(Names::new("dev").is_ok());
        assert!(Names::new("t-0a1b2c").is_ok());
        for bad in ["", "a/b", "a b", "dev_1", &"x".repeat(41)] {
            assert!(
                matches!(Names::new(bad), Err(BootstrapError::InvalidPrefix(_))),
                "{bad:?}"
            );
        }
    }
}
