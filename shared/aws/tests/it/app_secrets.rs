//! The app's secrets on moto: one secret per concern, read by ARN, and a rotated value is what
//! the next read returns (what a function's re-read every few minutes relies on).

use crate::common;

use aws::{AppSecretError, read_app_secret};
use tenant::Secret;

#[tokio::test]
async fn each_function_reads_its_own_secret_and_a_put_value_is_the_next_read() {
    let Some(env) = common::env("app_secrets").await else {
        return;
    };
    let client = env.secrets();
    let arns = &env.config.app_secrets;
    let read = |arn: &Option<String>| {
        let (client, arn) = (client.clone(), arn.clone().expect("bootstrap exports it"));
        async move { read_app_secret(&client, &arn).await.unwrap() }
    };
    let exposed = |s: Option<Secret>| s.map(|s| s.expose().to_owned());
    // The template's placeholder: read like any value; the wiring refuses it (app::secrets).
    assert_eq!(
        exposed(read(&arns.signing_secret).await).as_deref(),
        Some("replace-me")
    );
    assert_eq!(
        exposed(read(&arns.client_secret).await).as_deref(),
        Some("replace-me")
    );
    let admin = exposed(read(&arns.admin_api_key).await).unwrap();
    assert!(admin.len() >= 32, "generated admin key");

    // Rotation: the operator puts a new value; the next read sees it.
    client
        .put_secret_value()
        .secret_id(arns.signing_secret.as_deref().unwrap())
        .secret_string("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
        .send()
        .await
        .unwrap();
    assert_eq!(
        exposed(read(&arns.signing_secret).await).as_deref(),
        Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    );
    // And the other secrets are untouched.
    assert_eq!(
        exposed(read(&arns.client_secret).await).as_deref(),
        Some("replace-me")
    );
}

#[tokio::test]
async fn an_unknown_arn_is_an_error_that_names_no_value() {
    let Some(env) = common::env("app_secrets_missing").await else {
        return;
    };
    let missing = format!("{}/no-such-secret", env.created.secret_prefix);
    let err = read_app_secret(&env.secrets(), &missing).await.unwrap_err();
    assert!(matches!(err, AppSecretError::Fetch(_)), "{err:?}");
}
