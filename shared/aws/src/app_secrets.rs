//! The app's own secrets in Secrets Manager, one secret per concern so that IAM can give each
//! function only its own: the Slack signing secret (events, commands), the Slack OAuth client
//! secret (oauth, worker), the operator API key (admin) and the key connect links are signed
//! with (connect, commands, worker), the platform's Anthropic key (worker) and the Google and
//! Fathom OAuth client secrets (connect, worker). Each secret's value is the plain string itself, as pasted
//! from the Slack app's Basic Information page (or generated, for the two keys).

use aws_sdk_secretsmanager::Client;
use tenant::Secret;
use tenant::ports::StoreError;

use crate::error::store_error;

/// Which of the app's secrets a process reads, by ARN (`SIGNING_SECRET_ARN`,
/// `CLIENT_SECRET_ARN`, `ADMIN_KEY_ARN`, `CONNECT_LINK_KEY_ARN`, `ANTHROPIC_KEY_ARN`, `GOOGLE_CLIENT_SECRET_ARN`,
/// `FATHOM_CLIENT_SECRET_ARN`, `CRM_CLIENT_SECRETS_ARN`). template.yaml sets only the
/// ARNs a function may read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSecretArns {
    pub signing_secret: Option<String>,
    pub client_secret: Option<String>,
    pub admin_api_key: Option<String>,
    pub connect_link_key: Option<String>,
    pub anthropic_api_key: Option<String>,
    pub google_client_secret: Option<String>,
    pub fathom_client_secret: Option<String>,
    /// The CRMs' OAuth client secrets, one JSON object (`CRM_CLIENT_SECRETS_ARN`).
    pub crm_client_secrets: Option<String>,
}

impl AppSecretArns {
    /// Reads the optional variables through `lookup`; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Self {
            signing_secret: get("SIGNING_SECRET_ARN"),
            client_secret: get("CLIENT_SECRET_ARN"),
            admin_api_key: get("ADMIN_KEY_ARN"),
            connect_link_key: get("CONNECT_LINK_KEY_ARN"),
            anthropic_api_key: get("ANTHROPIC_KEY_ARN"),
            google_client_secret: get("GOOGLE_CLIENT_SECRET_ARN"),
            fathom_client_secret: get("FATHOM_CLIENT_SECRET_ARN"),
            crm_client_secrets: get("CRM_CLIENT_SECRETS_ARN"),
        }
    }
}

/// Why an app secret could not be read. Never carries the value.
#[derive(Debug, thiserror::Error)]
pub enum AppSecretError {
    #[error("could not read the app secret")]
    Fetch(#[source] StoreError),
    #[error("the app secret holds binary data, not a string")]
    NotAString,
}

/// Reads one app secret's current value (`AWSCURRENT`). An empty string is `None`, the same as
/// an unset variable: the function then answers 503 and says so in its log.
pub async fn read_app_secret(client: &Client, arn: &str) -> Result<Option<Secret>, AppSecretError> {
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| AppSecretError::Fetch(store_error(e)))?;
    match out.secret_string {
        Some(value) if value.is_empty() => Ok(None),
        Some(value) => Ok(Some(Secret::new(value))),
        None if out.secret_binary.is_some() => Err(AppSecretError::NotAString),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_arn_comes_from_its_own_variable_and_blank_is_unset() {
        let arns = AppSecretArns::from_lookup(|name| match name {
            "SIGNING_SECRET_ARN" => Some("arn:signing".into()),
            "CLIENT_SECRET_ARN" => Some("  ".into()),
            _ => None,
        });
        assert_eq!(arns.signing_secret.as_deref(), Some("arn:signing"));
        assert_eq!(arns.client_secret, None);
        assert_eq!(arns.admin_api_key, None);
    }
}
