//! The resource definitions bootstrap needs, read from the repo's template.yaml (compiled in),
//! so the local table and queues cannot drift from what `sam deploy` creates.

use serde_yaml_ng::Value;

use crate::BootstrapError;

/// template.yaml as built into this binary.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

/// The parts of template.yaml that bootstrap turns into local resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definitions {
    pub table: TableDef,
    /// The audit-log table (`AuditTable`).
    pub audit_table: TableDef,
    pub queue: QueueDef,
    pub dead_letter_queue: QueueDef,
    /// The app's secrets, one per concern (`SigningSecret`, `ClientSecret`, `AdminKey`).
    pub app_secrets: AppSecretDefs,
    /// `Globals.Function.Environment.Variables.SECRET_PREFIX`, with `${Stage}` still in it.
    pub secret_prefix: String,
    /// `WorkerFunction.Properties.Timeout` (seconds).
    pub worker_timeout: u64,
}

/// `AWS::DynamoDB::Table` properties bootstrap uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// `TableName` with `${Stage}` still in it.
    pub name: String,
    pub billing_mode: String,
    /// (AttributeName, AttributeType)
    pub attributes: Vec<(String, String)>,
    /// (AttributeName, KeyType)
    pub key_schema: Vec<(String, String)>,
    pub ttl_attribute: Option<String>,
}

/// `AWS::SQS::Queue` properties bootstrap uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDef {
    pub name: String,
    pub visibility_timeout: Option<u64>,
    pub message_retention: Option<u64>,
    /// `RedrivePolicy.maxReceiveCount`; the target is the template's other queue.
    pub max_receive_count: Option<u64>,
}

/// `AWS::SecretsManager::Secret` properties bootstrap uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretDef {
    /// `Name` with `${Stage}` still in it.
    pub name: String,
    pub initial: InitialValue,
}

/// How the template fills a secret when it creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitialValue {
    /// `SecretString`: a literal (the `replace-me` placeholders).
    Literal(String),
    /// `GenerateSecretString`: a random value of this length, letters and digits only when
    /// `ExcludePunctuation` (what Secrets Manager's `GetRandomPassword` makes locally).
    Generated {
        length: u64,
        exclude_punctuation: bool,
    },
}

/// The three app secrets of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSecretDefs {
    pub signing_secret: SecretDef,
    pub client_secret: SecretDef,
    pub admin_api_key: SecretDef,
}

fn bad(what: impl Into<String>) -> BootstrapError {
    BootstrapError::Template(what.into())
}

/// Follows a path of mapping keys.
fn at<'a>(value: &'a Value, path: &[&str]) -> Result<&'a Value, BootstrapError> {
    path.iter().try_fold(value, |v, key| {
        v.get(*key)
            .ok_or_else(|| bad(format!("template.yaml has no {}", path.join("."))))
    })
}

/// A plain string, or the string inside `!Sub "..."`.
fn text(value: &Value, what: &str) -> Result<String, BootstrapError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Tagged(tagged) if tagged.tag == "Sub" => text(&tagged.value, what),
        _ => Err(bad(format!("{what} is not a string or !Sub string"))),
    }
}

fn number(value: &Value, what: &str) -> Result<u64, BootstrapError> {
    value
        .as_u64()
        .ok_or_else(|| bad(format!("{what} is not a literal number")))
}

fn pairs(
    value: &Value,
    a: &str,
    b: &str,
    what: &str,
) -> Result<Vec<(String, String)>, BootstrapError> {
    value
        .as_sequence()
        .ok_or_else(|| bad(format!("{what} is not a list")))?
        .iter()
        .map(|entry| {
            let first = entry.get(a).and_then(Value::as_str);
            let second = entry.get(b).and_then(Value::as_str);
            match (first, second) {
                (Some(x), Some(y)) => Ok((x.to_owned(), y.to_owned())),
                _ => Err(bad(format!("{what} entries need {a} and {b}"))),
            }
        })
        .collect()
}

fn table(resources: &Value, logical: &str) -> Result<TableDef, BootstrapError> {
    let table = at(resources, &[logical, "Properties"])?;
    let ttl = table.get("TimeToLiveSpecification");
    let ttl_enabled = ttl
        .and_then(|t| t.get("Enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(TableDef {
        name: text(at(table, &["TableName"])?, &format!("{logical}.TableName"))?,
        billing_mode: text(
            at(table, &["BillingMode"])?,
            &format!("{logical}.BillingMode"),
        )?,
        attributes: pairs(
            at(table, &["AttributeDefinitions"])?,
            "AttributeName",
            "AttributeType",
            &format!("{logical}.AttributeDefinitions"),
        )?,
        key_schema: pairs(
            at(table, &["KeySchema"])?,
            "AttributeName",
            "KeyType",
            &format!("{logical}.KeySchema"),
        )?,
        ttl_attribute: ttl
            .filter(|_| ttl_enabled)
            .and_then(|t| t.get("AttributeName"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn secret(resources: &Value, logical: &str) -> Result<SecretDef, BootstrapError> {
    let props = at(resources, &[logical, "Properties"])?;
    let name = text(at(props, &["Name"])?, &format!("{logical}.Name"))?;
    let initial = match (props.get("SecretString"), props.get("GenerateSecretString")) {
        (Some(value), None) => {
            InitialValue::Literal(text(value, &format!("{logical}.SecretString"))?)
        }
        (None, Some(generate)) => InitialValue::Generated {
            length: number(
                at(generate, &["PasswordLength"])?,
                &format!("{logical}.GenerateSecretString.PasswordLength"),
            )?,
            exclude_punctuation: generate
                .get("ExcludePunctuation")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        _ => {
            return Err(bad(format!(
                "{logical} needs exactly one of SecretString and GenerateSecretString"
            )));
        }
    };
    Ok(SecretDef { name, initial })
}

fn queue(resources: &Value, logical: &str) -> Result<QueueDef, BootstrapError> {
    let props = at(resources, &[logical, "Properties"])?;
    let optional = |key: &str| -> Result<Option<u64>, BootstrapError> {
        props
            .get(key)
            .map(|v| number(v, &format!("{logical}.{key}")))
            .transpose()
    };
    Ok(QueueDef {
        name: text(at(props, &["QueueName"])?, &format!("{logical}.QueueName"))?,
        visibility_timeout: optional("VisibilityTimeout")?,
        message_retention: optional("MessageRetentionPeriod")?,
        max_receive_count: props
            .get("RedrivePolicy")
            .and_then(|p| p.get("maxReceiveCount"))
            .map(|v| number(v, &format!("{logical}.RedrivePolicy.maxReceiveCount")))
            .transpose()?,
    })
}

impl Definitions {
    /// The definitions in the template compiled into this crate.
    pub fn from_template() -> Result<Self, BootstrapError> {
        Self::parse(TEMPLATE)
    }

    /// Parses a SAM template's text.
    pub fn parse(yaml: &str) -> Result<Self, BootstrapError> {
        let doc: Value = serde_yaml_ng::from_str(yaml)
            .map_err(|e| bad(format!("template.yaml is not YAML: {e}")))?;
        let resources = at(&doc, &["Resources"])?;

        let app_secrets = AppSecretDefs {
            signing_secret: secret(resources, "SigningSecret")?,
            client_secret: secret(resources, "ClientSecret")?,
            admin_api_key: secret(resources, "AdminKey")?,
        };

        let secret_prefix = text(
            at(
                &doc,
                &[
                    "Globals",
                    "Function",
                    "Environment",
                    "Variables",
                    "SECRET_PREFIX",
                ],
            )?,
            "SECRET_PREFIX",
        )?;
        let worker_timeout = number(
            at(resources, &["WorkerFunction", "Properties", "Timeout"])?,
            "WorkerFunction.Timeout",
        )?;

        Ok(Self {
            table: table(resources, "Table")?,
            audit_table: table(resources, "AuditTable")?,
            queue: queue(resources, "JobQueue")?,
            dead_letter_queue: queue(resources, "DeadLetterQueue")?,
            app_secrets,
            secret_prefix,
            worker_timeout,
        })
    }
}

/// Replaces `${Stage}` in a `!Sub` string; any other variable is an error (bootstrap cannot
/// know account ids or ARNs of resources it did not create).
pub fn substitute(template: &str, stage: &str) -> Result<String, BootstrapError> {
    let replaced = template.replace("${Stage}", stage);
    if replaced.contains("${") {
        return Err(bad(format!(
            "{template:?} uses a variable bootstrap cannot resolve"
        )));
    }
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Definitions {
        Definitions::from_template().expect("template.yaml parses")
    }

    #[test]
    fn table_is_the_single_pk_sk_table_with_ttl_on_expires_at() {
        let table = defs().table;
        assert_eq!(
            table.attributes,
            vec![("pk".into(), "S".into()), ("sk".into(), "S".into())]
        );
        assert_eq!(
            table.key_schema,
            vec![("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
        );
        assert_eq!(table.ttl_attribute.as_deref(), Some("expires_at"));
        assert_eq!(table.billing_mode, "PAY_PER_REQUEST");
    }

    #[test]
    fn audit_table_has_the_same_keys_and_no_ttl() {
        let defs = defs();
        assert_eq!(defs.audit_table.key_schema, defs.table.key_schema);
        assert_eq!(defs.audit_table.attributes, defs.table.attributes);
        assert_eq!(
            defs.audit_table.ttl_attribute, None,
            "audit entries never expire"
        );
        assert_eq!(
            substitute(&defs.audit_table.name, "dev").unwrap(),
            "switchboard-dev-audit"
        );
    }

    #[test]
    fn queue_redrives_after_max_receives_and_outlasts_the_worker() {
        let defs = defs();
        assert_eq!(
            defs.queue.max_receive_count,
            Some(u64::from(tenant::ports::MAX_RECEIVES))
        );
        let visibility = defs
            .queue
            .visibility_timeout
            .expect("visibility timeout set");
        assert!(
            visibility >= 6 * defs.worker_timeout,
            "JobQueue VisibilityTimeout {visibility} < 6 x worker timeout {}",
            defs.worker_timeout
        );
        assert_eq!(defs.dead_letter_queue.max_receive_count, None);
        assert_eq!(defs.dead_letter_queue.message_retention, Some(1_209_600));
    }

    #[test]
    fn names_resolve_for_a_stage() {
        let defs = defs();
        assert_eq!(
            substitute(&defs.table.name, "dev").unwrap(),
            "switchboard-dev"
        );
        assert_eq!(
            substitute(&defs.secret_prefix, "dev").unwrap(),
            "switchboard/dev"
        );
        let names: Vec<String> = [
            &defs.app_secrets.signing_secret,
            &defs.app_secrets.client_secret,
            &defs.app_secrets.admin_api_key,
        ]
        .iter()
        .map(|d| substitute(&d.name, "dev").unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "switchboard/dev/slack-signing-secret",
                "switchboard/dev/slack-client-secret",
                "switchboard/dev/admin-api-key"
            ]
        );
        assert!(substitute("${AWS::Region}-x", "dev").is_err());
    }

    #[test]
    fn slack_secrets_start_as_placeholders_and_the_admin_key_as_a_long_random_value() {
        let secrets = defs().app_secrets;
        for def in [&secrets.signing_secret, &secrets.client_secret] {
            assert_eq!(def.initial, InitialValue::Literal("replace-me".into()));
        }
        match secrets.admin_api_key.initial {
            InitialValue::Generated {
                length,
                exclude_punctuation,
            } => assert!(length >= 32 && exclude_punctuation),
            other => panic!("the admin key must be generated, not {other:?}"),
        }
    }
}
