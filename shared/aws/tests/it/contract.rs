//! Every port's contract suite (tenant::testkit::contract) on the AWS adapters, on moto.

use crate::common;

use tenant::testkit::contract;

#[tokio::test]
async fn tenant_directory_keeps_the_contract_on_dynamodb() {
    let Some(env) = common::env("tenant_directory").await else {
        return;
    };
    contract::tenant_directory(env.backend().backend().tenants.as_ref()).await;
}

#[tokio::test]
async fn event_ledger_keeps_the_contract_on_dynamodb() {
    let Some(env) = common::env("event_ledger").await else {
        return;
    };
    contract::event_ledger(env.backend().backend().ledger.as_ref()).await;
}

#[tokio::test]
async fn usage_counters_keep_the_contract_on_dynamodb() {
    let Some(env) = common::env("usage_counters").await else {
        return;
    };
    contract::usage_counters(env.backend().backend().usage.as_ref()).await;
}

#[tokio::test]
async fn vault_keeps_the_contract_on_secrets_manager_and_kms() {
    let Some(env) = common::env("vault").await else {
        return;
    };
    contract::vault(env.backend().backend().vault.as_ref()).await;
}

#[tokio::test]
async fn vault_keeps_the_contract_with_recoverable_deletes() {
    // The production setting: delete schedules deletion (7 days); a later put restores.
    let Some(env) = common::env("vault_recoverable").await else {
        return;
    };
    contract::vault(&env.vault()).await;
}

#[tokio::test]
async fn credentials_keep_the_contract_on_secrets_manager_dynamodb_and_kms() {
    let Some(env) = common::env("credentials").await else {
        return;
    };
    contract::credentials(env.backend().backend().credentials.as_ref()).await;
}

#[tokio::test]
async fn job_queue_keeps_the_contract_on_sqs() {
    let Some(env) = common::env("job_queue").await else {
        return;
    };
    let backend = env.backend();
    contract::job_queue(
        backend.backend().queue.as_ref(),
        backend.consumer().as_ref(),
    )
    .await;
}

#[tokio::test]
async fn oauth_states_keep_the_contract_on_dynamodb() {
    let Some(env) = common::env("oauth_states").await else {
        return;
    };
    contract::oauth_states(env.backend().backend().oauth_states.as_ref()).await;
}

#[tokio::test]
async fn audit_log_keeps_the_contract_on_dynamodb() {
    let Some(env) = common::env("audit_log").await else {
        return;
    };
    contract::audit_log(env.backend().backend().audit.as_ref()).await;
}

#[tokio::test]
async fn members_keep_the_contract_on_dynamodb() {
    let Some(env) = common::env("members").await else {
        return;
    };
    contract::members(env.backend().backend().members.as_ref()).await;
}

#[tokio::test]
async fn tenants_are_isolated_on_aws() {
    let Some(env) = common::env("isolation").await else {
        return;
    };
    contract::isolation(&env.backend().backend()).await;
}

#[tokio::test]
async fn the_lambda_sdk_config_drives_every_adapter() {
    // What the Lambda packages run: credentials and region from the environment alone (no
    // default chain), the SDK's own defaults for retries, timeouts and sleep. The tests build
    // with the full chain (`credential-chain`), so this is where that path meets AWS's wire
    // protocols: tables, KMS, Secrets Manager and SQS through it keep their contracts.
    let Some(env) = common::env("lambda_sdk_config").await else {
        return;
    };
    let sdk = env.config.environment_sdk_config();
    let adapters = aws::AwsBackend::with_vault(&env.config, &sdk, |v| v.with_force_delete(true));
    let backend = adapters.backend();
    contract::tenant_directory(backend.tenants.as_ref()).await;
    contract::vault(backend.vault.as_ref()).await;
    contract::credentials(backend.credentials.as_ref()).await;
    contract::job_queue(backend.queue.as_ref(), adapters.consumer().as_ref()).await;
}

#[tokio::test]
async fn sessions_keep_the_contract_on_dynamodb_and_kms() {
    let Some(env) = common::env("sessions").await else {
        return;
    };
    followup::testkit::contract::sessions(env.backend().sessions().as_ref()).await;
}

#[tokio::test]
async fn sessions_are_isolated_by_tenant_and_user_on_dynamodb() {
    let Some(env) = common::env("sessions_isolation").await else {
        return;
    };
    followup::testkit::contract::sessions_isolation(env.backend().sessions().as_ref()).await;
}
