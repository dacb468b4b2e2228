//! The app's own secrets at run time: which values are accepted, and where they are read from.
//!
//! # The rule for the signing secret and the admin key
//!
//! Either lets whoever knows it in (a forged Slack request, an operator call), so a value that
//! anyone could guess is treated exactly like a missing one: the function answers 503 and logs
//! why, once. A value is accepted when it
//!
//! * is at least [`MIN_STRONG_LEN`] characters long (Slack's signing secrets are 32 lowercase
//!   hex characters; any random value of that length will do for the admin key),
//! * has no whitespace or control character anywhere (a pasted newline would make every
//!   signature mismatch, or every key comparison fail, without saying why),
//! * contains none of the placeholder words in [`PLACEHOLDERS`] (`replace-me`, `changeme`, ...,
//!   compared without case) and is not Slack's documented example secret,
//! * and uses at least [`MIN_DISTINCT_CHARS`] distinct characters (`xxxx…`, `0000…`, `abab…`).
//!
//! The OAuth client secret only proves us to Slack, so a wrong one cannot let anyone in: a
//! placeholder there just counts as "not configured" (the install pages say so, and rotating
//! tokens are not refreshed).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use tenant::Secret;

/// Shortest accepted signing secret or admin key.
pub const MIN_STRONG_LEN: usize = 32;
/// Fewest distinct characters a signing secret or admin key may use.
pub const MIN_DISTINCT_CHARS: usize = 4;
/// Words that mark a value as a placeholder, wherever they appear (case-insensitive). None of
/// them can occur in a hex string, which is what Slack issues.
pub const PLACEHOLDERS: &[&str] = &[
    "replace-me",
    "replace_me",
    "replaceme",
    "changeme",
    "change-me",
    "change_me",
    "placeholder",
    "your-signing-secret",
    "your_signing_secret",
];
/// The signing secret in Slack's documentation (and in this repo's fixtures): public, so
/// anyone could sign requests with it.
pub const SLACK_EXAMPLE_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// Why a value is refused. Never carries the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakSecret {
    #[error("it is empty")]
    Empty,
    #[error("it contains whitespace or a control character")]
    Whitespace,
    #[error("it is a placeholder (such as `replace-me`), not a real value")]
    Placeholder,
    #[error("it is {len} characters long; at least {MIN_STRONG_LEN} are required")]
    TooShort { len: usize },
    #[error("it uses fewer than {MIN_DISTINCT_CHARS} distinct characters")]
    TooFewDistinct,
}

/// The placeholder checks every app secret gets (see the module docs).
pub fn check_not_placeholder(value: &str) -> Result<(), WeakSecret> {
    if value.is_empty() {
        return Err(WeakSecret::Empty);
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WeakSecret::Whitespace);
    }
    let lower = value.to_ascii_lowercase();
    if lower == SLACK_EXAMPLE_SECRET || PLACEHOLDERS.iter().any(|word| lower.contains(word)) {
        return Err(WeakSecret::Placeholder);
    }
    Ok(())
}

/// The full rule for the signing secret and the admin key (see the module docs).
pub fn check_strong(value: &str) -> Result<(), WeakSecret> {
    check_not_placeholder(value)?;
    let len = value.chars().count();
    if len < MIN_STRONG_LEN {
        return Err(WeakSecret::TooShort { len });
    }
    let mut distinct: Vec<char> = value.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(WeakSecret::TooFewDistinct);
    }
    Ok(())
}

/// The app's secrets as a source answered; `None` is "not set there".
#[derive(Clone, Default)]
pub struct SecretValues {
    pub signing_secret: Option<Secret>,
    pub client_secret: Option<Secret>,
    pub admin_api_key: Option<Secret>,
    pub connect_link_key: Option<Secret>,
    /// The platform's Anthropic key (the worker's follow-up drafts).
    pub anthropic_api_key: Option<Secret>,
    /// The Google and Fathom OAuth client secrets (connect, worker).
    pub google_client_secret: Option<Secret>,
    pub fathom_client_secret: Option<Secret>,
    /// The CRMs' OAuth client secrets: a JSON object by variable name
    /// (`{"HUBSPOT_CLIENT_SECRET": "…", …}`), one secret for the three (connect, worker,
    /// options).
    pub crm_client_secrets: Option<Secret>,
}

impl SecretValues {
    /// Same values (compared on the plaintext, which never leaves this function).
    pub fn same_as(&self, other: &Self) -> bool {
        fn same(a: &Option<Secret>, b: &Option<Secret>) -> bool {
            a.as_ref().map(Secret::expose) == b.as_ref().map(Secret::expose)
        }
        same(&self.signing_secret, &other.signing_secret)
            && same(&self.client_secret, &other.client_secret)
            && same(&self.admin_api_key, &other.admin_api_key)
            && same(&self.connect_link_key, &other.connect_link_key)
            && same(&self.anthropic_api_key, &other.anthropic_api_key)
            && same(&self.google_client_secret, &other.google_client_secret)
            && same(&self.fathom_client_secret, &other.fathom_client_secret)
            && same(&self.crm_client_secrets, &other.crm_client_secrets)
    }
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &Option<Secret>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("SecretValues")
            .field("signing_secret", &shown(&self.signing_secret))
            .field("client_secret", &shown(&self.client_secret))
            .field("admin_api_key", &shown(&self.admin_api_key))
            .field("connect_link_key", &shown(&self.connect_link_key))
            .field("anthropic_api_key", &shown(&self.anthropic_api_key))
            .field("google_client_secret", &shown(&self.google_client_secret))
            .field("fathom_client_secret", &shown(&self.fathom_client_secret))
            .field("crm_client_secrets", &shown(&self.crm_client_secrets))
            .finish()
    }
}

/// A boxed, sendable future (what [`SecretSource::read`] returns).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a source could not be read. Its causes are AWS SDK errors, which never carry a
/// secret's value.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Where the app's secrets live when they can change while a process runs.
pub trait SecretSource: Send + Sync {
    /// The current values. An error leaves the caller with the values it read before.
    fn read(&self) -> BoxFuture<'_, Result<SecretValues, SourceError>>;
}

/// The app's secrets in Secrets Manager, one secret per concern (`aws::AppSecretArns`).
pub struct SecretsManagerSource {
    client: aws::SecretsClient,
    arns: aws::AppSecretArns,
}

impl SecretsManagerSource {
    pub fn new(client: aws::SecretsClient, arns: aws::AppSecretArns) -> Self {
        Self { client, arns }
    }
}

impl SecretSource for SecretsManagerSource {
    fn read(&self) -> BoxFuture<'_, Result<SecretValues, SourceError>> {
        Box::pin(async move {
            let read = |arn: Option<String>| async move {
                match arn {
                    Some(arn) => aws::read_app_secret(&self.client, &arn).await,
                    None => Ok(None),
                }
            };
            // Sequential: a function has one or two of them (template.yaml).
            Ok(SecretValues {
                signing_secret: read(self.arns.signing_secret.clone()).await?,
                client_secret: read(self.arns.client_secret.clone()).await?,
                admin_api_key: read(self.arns.admin_api_key.clone()).await?,
                connect_link_key: read(self.arns.connect_link_key.clone()).await?,
                anthropic_api_key: read(self.arns.anthropic_api_key.clone()).await?,
                google_client_secret: read(self.arns.google_client_secret.clone()).await?,
                fathom_client_secret: read(self.arns.fathom_client_secret.clone()).await?,
                crm_client_secrets: read(self.arns.crm_client_secrets.clone()).await?,
            })
        })
    }
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
