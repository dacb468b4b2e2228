//! Creating (or finding) each resource. Every call names its step in the error.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    SseSpecification, SseType, TimeToLiveSpecification,
};
use aws_sdk_kms::operation::describe_key::DescribeKeyError;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::template::{Definitions, InitialValue, QueueDef, SecretDef, TableDef, substitute};
use crate::{BootstrapError, Created, Names};

fn aws<E: std::error::Error + Send + Sync + 'static>(
    step: &'static str,
) -> impl FnOnce(E) -> BootstrapError {
    move |err| BootstrapError::Aws {
        step,
        source: Box::new(err),
    }
}

/// Creates (or finds) every resource for `names` on the endpoint `sdk` points at.
pub async fn create_all(sdk: &SdkConfig, names: &Names) -> Result<Created, BootstrapError> {
    let defs = Definitions::from_template()?;
    let stage = names.prefix();
    let kms = aws_sdk_kms::Client::new(sdk);
    let key_id = ensure_key(&kms, &format!("alias/switchboard-{stage}-tokens"), "tokens").await?;
    let data_key_id = ensure_key(&kms, &format!("alias/switchboard-{stage}-data"), "data").await?;
    let audit_key_id =
        ensure_key(&kms, &format!("alias/switchboard-{stage}-audit"), AUDIT_KEY).await?;

    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let table = ensure_table(&dynamo, &defs.table, stage, &data_key_id).await?;
    let audit_table = ensure_table(&dynamo, &defs.audit_table, stage, &data_key_id).await?;

    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = ensure_queue(&sqs, &defs.dead_letter_queue, stage, &data_key_id, None).await?;
    let dlq_arn = queue_arn(&sqs, &dlq_url).await?;
    let queue_url = ensure_queue(&sqs, &defs.queue, stage, &data_key_id, Some(&dlq_arn)).await?;

    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let (defs_of, given) = (&defs.app_secrets, &names.app_secrets);
    let ensure = |def, value| ensure_app_secret(&secrets, def, value, stage, &data_key_id);
    let signing_secret_arn = ensure(&defs_of.signing_secret, &given.signing_secret).await?;
    let client_secret_arn = ensure(&defs_of.client_secret, &given.client_secret).await?;
    let admin_key_arn = ensure(&defs_of.admin_api_key, &given.admin_api_key).await?;

    Ok(Created {
        table,
        audit_table,
        queue_url,
        dlq_url,
        key_id,
        data_key_id,
        audit_key_id,
        signing_secret_arn,
        client_secret_arn,
        admin_key_arn,
        secret_prefix: substitute(&defs.secret_prefix, stage)?,
    })
}

/// The purpose of the audit log's HMAC key (`GENERATE_VERIFY_MAC`, as template.yaml's
/// `AuditKey`); every other key is a symmetric encryption key.
const AUDIT_KEY: &str = "audit";

/// The key behind `alias`, creating both when the alias does not exist.
async fn ensure_key(
    kms: &aws_sdk_kms::Client,
    alias: &str,
    purpose: &str,
) -> Result<String, BootstrapError> {
    match kms.describe_key().key_id(alias).send().await {
        Ok(out) => {
            return out
                .key_metadata
                .map(|m| m.key_id)
                .ok_or(BootstrapError::Incomplete {
                    step: "describe key",
                    what: "key metadata",
                });
        }
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(DescribeKeyError::NotFoundException(_))
            ) => {}
        Err(err) => return Err(aws("describe key")(err)),
    }
    let mut create = kms
        .create_key()
        .description(format!("Switchboard local {purpose} key"));
    if purpose == AUDIT_KEY {
        create = create
            .key_spec(aws_sdk_kms::types::KeySpec::Hmac256)
            .key_usage(aws_sdk_kms::types::KeyUsageType::GenerateVerifyMac);
    }
    let created = create.send().await.map_err(aws("create key"))?;
    let key_id = created
        .key_metadata
        .map(|m| m.key_id)
        .ok_or(BootstrapError::Incomplete {
            step: "create key",
            what: "key metadata",
        })?;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&key_id)
        .send()
        .await
        .map_err(aws("create key alias"))?;
    Ok(key_id)
}

async fn ensure_table(
    dynamo: &aws_sdk_dynamodb::Client,
    def: &TableDef,
    stage: &str,
    data_key_id: &str,
) -> Result<String, BootstrapError> {
    let name = substitute(&def.name, stage)?;
    match dynamo.describe_table().table_name(&name).send().await {
        Ok(_) => return Ok(name),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(DescribeTableError::ResourceNotFoundException(_))
            ) => {}
        Err(err) => return Err(aws("describe table")(err)),
    }
    let build = aws("build table definition");
    let attributes = def
        .attributes
        .iter()
        .map(|(name, kind)| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(build)?;
    let key_schema = def
        .key_schema
        .iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(aws("build key schema"))?;
    dynamo
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::from(def.billing_mode.as_str()))
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema))
        .sse_specification(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .kms_master_key_id(data_key_id)
                .build(),
        )
        .send()
        .await
        .map_err(aws("create table"))?;
    if let Some(attribute) = &def.ttl_attribute {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(aws("build TTL specification"))?;
        dynamo
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(aws("enable TTL"))?;
    }
    Ok(name)
}

/// Creates the queue (SQS answers with the existing URL when the attributes match).
async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    def: &QueueDef,
    stage: &str,
    data_key_id: &str,
    dead_letter_arn: Option<&str>,
) -> Result<String, BootstrapError> {
    let mut request = sqs
        .create_queue()
        .queue_name(substitute(&def.name, stage)?)
        .attributes(QueueAttributeName::KmsMasterKeyId, data_key_id);
    if let Some(secs) = def.visibility_timeout {
        request = request.attributes(QueueAttributeName::VisibilityTimeout, secs.to_string());
    }
    if let Some(secs) = def.message_retention {
        request = request.attributes(QueueAttributeName::MessageRetentionPeriod, secs.to_string());
    }
    if let (Some(max), Some(arn)) = (def.max_receive_count, dead_letter_arn) {
        let policy = serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": max });
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    request
        .send()
        .await
        .map_err(aws("create queue"))?
        .queue_url
        .ok_or(BootstrapError::Incomplete {
            step: "create queue",
            what: "a queue URL",
        })
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, BootstrapError> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(aws("read queue ARN"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or(BootstrapError::Incomplete {
            step: "read queue ARN",
            what: "QueueArn",
        })
}

/// Creates one app secret with `given` or the template's initial value; a re-run keeps an
/// existing secret and replaces its value only when one was given.
async fn ensure_app_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    def: &SecretDef,
    given: &Option<String>,
    stage: &str,
    data_key_id: &str,
) -> Result<String, BootstrapError> {
    let name = substitute(&def.name, stage)?;
    let value = match (given, &def.initial) {
        (Some(value), _) => value.clone(),
        (None, InitialValue::Literal(value)) => value.clone(),
        // What GenerateSecretString does on deploy, through the same service.
        (
            None,
            InitialValue::Generated {
                length,
                exclude_punctuation,
            },
        ) => secrets
            .get_random_password()
            .password_length(i64::try_from(*length).unwrap_or(64))
            .exclude_punctuation(*exclude_punctuation)
            .include_space(false)
            .send()
            .await
            .map_err(aws("generate app secret"))?
            .random_password
            .ok_or(BootstrapError::Incomplete {
                step: "generate app secret",
                what: "a password",
            })?,
    };
    let created = secrets
        .create_secret()
        .name(&name)
        .kms_key_id(data_key_id)
        .secret_string(value.clone())
        .send()
        .await;
    match created {
        Ok(out) => out.arn.ok_or(BootstrapError::Incomplete {
            step: "create app secret",
            what: "an ARN",
        }),
        Err(err)
            if matches!(
                err.as_service_error(),
                Some(CreateSecretError::ResourceExistsException(_))
            ) =>
        {
            if given.is_some() {
                secrets
                    .put_secret_value()
                    .secret_id(&name)
                    .secret_string(value)
                    .send()
                    .await
                    .map_err(aws("update app secret"))?;
            }
            secrets
                .describe_secret()
                .secret_id(&name)
                .send()
                .await
                .map_err(aws("describe app secret"))?
                .arn
                .ok_or(BootstrapError::Incomplete {
                    step: "describe app secret",
                    what: "an ARN",
                })
        }
        Err(err) => Err(aws("create app secret")(err)),
    }
}
