//! `switchboard-bootstrap --prefix dev`: creates Switchboard's AWS resources on a local endpoint
//! (moto, `AWS_ENDPOINT_URL`) and prints `export NAME=value` lines for the functions' config.
//!
//! eval "$(cargo run -q -p switchboard-bootstrap -- --prefix dev)"

use std::process::ExitCode;

use bootstrap::{AppSecretValues, Names, create_all};
use clap::Parser;

/// Creates the tables, queues, keys and app secrets from template.yaml on a local AWS endpoint.
#[derive(Parser, Debug)]
#[command(name = "switchboard-bootstrap", version)]
struct Args {
    /// Stands for the template's Stage in every name (switchboard-<prefix>, ...).
    #[arg(long, default_value = "dev")]
    prefix: String,
    /// The AWS endpoint; refuses to run without one so it never touches a real account.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: String,
    /// Slack signing secret for the signing-secret secret (the template's placeholder if unset).
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    signing_secret: Option<String>,
    /// Slack OAuth client id: not a secret, printed as SLACK_CLIENT_ID for the functions.
    #[arg(long, env = "SLACK_CLIENT_ID")]
    client_id: Option<String>,
    /// Slack OAuth client secret for the client-secret secret (placeholder if unset).
    #[arg(long, env = "SLACK_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The operator API key for the admin-key secret (a generated one if unset).
    #[arg(long, env = "ADMIN_API_KEY", hide_env_values = true)]
    admin_api_key: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut names = match Names::new(&args.prefix) {
        Ok(names) => names,
        Err(err) => {
            eprintln!("switchboard-bootstrap: {err}");
            return ExitCode::from(2);
        }
    };
    names = names.with_app_secrets(AppSecretValues {
        signing_secret: args.signing_secret,
        client_secret: args.client_secret,
        admin_api_key: args.admin_api_key,
    });
    let sdk = bootstrap::sdk_config(&args.endpoint_url).await;
    match create_all(&sdk, &names).await {
        Ok(created) => {
            println!(
                "export AWS_ENDPOINT_URL={}",
                shell_quote(&args.endpoint_url)
            );
            for (name, value) in created.env_vars() {
                println!("export {name}={}", shell_quote(&value));
            }
            if let Some(client_id) = &args.client_id {
                println!("export SLACK_CLIENT_ID={}", shell_quote(client_id));
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("switchboard-bootstrap: {text}");
            ExitCode::FAILURE
        }
    }
}

/// Single-quotes a value for `eval` in sh.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
