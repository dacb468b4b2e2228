//! The app's own secrets (Slack signing secret, OAuth client id and secret, and optionally the
//! admin API key), one JSON secret in Secrets Manager, read once per cold start.

use std::fmt;

use aws_sdk_secretsmanager::Client;
use serde::Deserialize;
use tenant::Secret;
use tenant::ports::StoreError;

use crate::error::store_error;

/// The app's Slack credentials. `Debug` shows the client id only.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct AppSecrets {
    pub signing_secret: Secret,
    pub client_id: String,
    pub client_secret: Secret,
    /// The operator API's bearer key (`admin_api_key`); optional, so secrets written before it
    /// existed still parse. Without it the admin API is off.
    #[serde(default)]
    pub admin_api_key: Option<Secret>,
}

impl fmt::Debug for AppSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSecrets")
            .field("signing_secret", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field(
                "admin_api_key",
                &self.admin_api_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Why the app secret could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AppSecretsError {
    #[error("could not read the app secret")]
    Fetch(#[source] StoreError),
    #[error("the app secret has no string value")]
    Empty,
    /// The value is not the expected JSON. Only serde's error category and position are kept:
    /// its message could quote part of the secret.
    #[error(
        "the app secret is not JSON with signing_secret, client_id, client_secret ({category} error at line {line}, column {column})"
    )]
    Malformed {
        category: String,
        line: usize,
        column: usize,
    },
}

/// Reads and parses the app secret `{"signing_secret", "client_id", "client_secret"}`.
pub async fn load_app_secrets(client: &Client, arn: &str) -> Result<AppSecrets, AppSecretsError> {
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| AppSecretsError::Fetch(store_error(e)))?;
    let value = out.secret_string.ok_or(AppSecretsError::Empty)?;
    parse_app_secrets(&value)
}

/// Parses the app secret's JSON value.
pub fn parse_app_secrets(value: &str) -> Result<AppSecrets, AppSecretsError> {
    serde_json::from_str(value).map_err(|e| AppSecretsError::Malformed {
        category: format!("{:?}", e.classify()).to_lowercase(),
        line: e.line(),
        column: e.column(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_redacts() {
        let secrets = parse_app_secrets(
            r#"{"signing_secret":"sign-SECRET1","client_id":"123.456","client_secret":"client-SECRET2"}"#,
        )
        .unwrap();
        assert_eq!(secrets.signing_secret.expose(), "sign-SECRET1");
        assert_eq!(secrets.client_id, "123.456");
        let shown = format!("{secrets:?}");
        assert!(
            !shown.contains("SECRET1") && !shown.contains("SECRET2"),
            "{shown}"
        );
        assert!(shown.contains("123.456"));
        assert_eq!(secrets.admin_api_key, None, "the admin key is optional");
    }

    #[test]
    fn the_optional_admin_key_is_read_and_redacted() {
        let secrets = parse_app_secrets(
            r#"{"signing_secret":"s","client_id":"1","client_secret":"c","admin_api_key":"adm-SECRET3"}"#,
        )
        .unwrap();
        assert_eq!(
            secrets.admin_api_key.as_ref().map(Secret::expose),
            Some("adm-SECRET3")
        );
        assert!(!format!("{secrets:?}").contains("SECRET3"));
    }

    #[test]
    fn malformed_values_never_echo_the_secret() {
        for value in [
            r#"{"signing_secret":"sign-SECRET1","client_id":"1"}"#,
            r#"{"signing_secret":1234567,"client_id":"1","client_secret":"client-SECRET2"}"#,
            "client-SECRET2",
        ] {
            let err = parse_app_secrets(value).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, AppSecretsError::Malformed { .. }));
            for needle in ["SECRET1", "SECRET2", "1234567"] {
                assert!(!text.contains(needle), "{needle} leaked: {text}");
            }
        }
    }
}
