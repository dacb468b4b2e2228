//! create_all on moto makes what template.yaml describes, and is safe to run twice.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::TimeToLiveStatus;
use aws_sdk_sqs::types::QueueAttributeName;
use bootstrap::{Definitions, Names, create_all};

/// moto's SDK configuration and a prefix no other test uses, or `None` (said loudly) without
/// `AWS_ENDPOINT_URL`.
async fn moto(tag: &str) -> Option<(aws_config::SdkConfig, Names)> {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!(
            "SKIPPED bootstrap moto test: AWS_ENDPOINT_URL is not set \
             (run through scripts/aws-env.sh)"
        );
        return None;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let names = Names::new(format!("{tag}-{}-{nanos}", std::process::id())).unwrap();
    Some((bootstrap::sdk_config(&endpoint).await, names))
}

#[tokio::test]
async fn resources_match_the_template_and_a_rerun_reuses_them() {
    let Some((sdk, names)) = moto("b").await else {
        return;
    };
    let created = create_all(&sdk, &names).await.unwrap();
    let defs = Definitions::from_template().unwrap();

    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = dynamo
        .describe_table()
        .table_name(&created.table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let schema: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name.clone(), k.key_type.as_str().to_owned()))
        .collect();
    assert_eq!(schema, defs.table.key_schema);
    let ttl = dynamo
        .describe_time_to_live()
        .table_name(&created.table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name.as_deref(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status, Some(TimeToLiveStatus::Enabled));

    // The audit table: same keys, no TTL (entries are kept).
    let audit = dynamo
        .describe_table()
        .table_name(&created.audit_table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let audit_schema: Vec<(String, String)> = audit
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name.clone(), k.key_type.as_str().to_owned()))
        .collect();
    assert_eq!(audit_schema, defs.audit_table.key_schema);
    assert!(created.audit_table.ends_with("-audit"));
    let audit_ttl = dynamo
        .describe_time_to_live()
        .table_name(&created.audit_table)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .and_then(|d| d.time_to_live_status);
    assert_ne!(audit_ttl, Some(TimeToLiveStatus::Enabled));
    assert!(
        created
            .env_vars()
            .iter()
            .any(|(k, v)| *k == "AUDIT_TABLE_NAME" && *v == created.audit_table)
    );

    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&created.queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        attributes
            .get(&QueueAttributeName::VisibilityTimeout)
            .map(String::as_str),
        Some(defs.queue.visibility_timeout.unwrap().to_string().as_str())
    );
    let redrive: serde_json::Value =
        serde_json::from_str(attributes.get(&QueueAttributeName::RedrivePolicy).unwrap()).unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].as_u64(),
        defs.queue.max_receive_count
    );
    assert!(
        redrive["deadLetterTargetArn"]
            .as_str()
            .unwrap()
            .ends_with("-jobs-dlq")
    );

    let again = create_all(&sdk, &names).await.unwrap();
    assert_eq!(again, created, "a second run finds the same resources");
}

#[tokio::test]
async fn each_app_secret_is_its_own_secret_with_the_templates_initial_value() {
    let Some((sdk, names)) = moto("s").await else {
        return;
    };
    let created = create_all(&sdk, &names).await.unwrap();
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let value = |arn: String| {
        let secrets = secrets.clone();
        async move {
            secrets
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await
                .unwrap()
                .secret_string
                .unwrap()
        }
    };
    let arns = [
        &created.signing_secret_arn,
        &created.client_secret_arn,
        &created.admin_key_arn,
    ];
    assert_eq!(
        arns.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "three secrets, so IAM can grant each function only its own"
    );
    assert_eq!(
        value(created.signing_secret_arn.clone()).await,
        "replace-me"
    );
    assert_eq!(value(created.client_secret_arn.clone()).await, "replace-me");
    let admin = value(created.admin_key_arn.clone()).await;
    assert!(
        admin.len() >= 32 && admin.chars().all(|c| c.is_ascii_alphanumeric()),
        "the admin key is generated like GenerateSecretString: {} characters",
        admin.len()
    );
    let vars = created.env_vars();
    for name in ["SIGNING_SECRET_ARN", "CLIENT_SECRET_ARN", "ADMIN_KEY_ARN"] {
        assert!(vars.iter().any(|(k, _)| *k == name), "{name} is exported");
    }

    // A re-run with a value replaces it and keeps the others.
    let again = create_all(
        &sdk,
        &names.clone().with_app_secrets(bootstrap::AppSecretValues {
            signing_secret: Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0".into()),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(again, created);
    assert_eq!(
        value(created.signing_secret_arn.clone()).await,
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    );
    assert_eq!(value(created.admin_key_arn.clone()).await, admin);
}
