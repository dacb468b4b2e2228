//! `switchboard-bootstrap --prefix dev`: creates Switchboard's AWS resources on a local endpoint
//! (moto, `AWS_ENDPOINT_URL`) and prints `export NAME=value` lines for the functions' config.
//!
//! eval "$(cargo run -q -p switchboard-bootstrap -- --prefix dev)"

use std::process::ExitCode;

use bootstrap::{Names, create_all};
use clap::Parser;

/// Creates the table, queues, keys and app secret from template.yaml on a local AWS endpoint.
#[derive(Parser, Debug)]
#[command(name = "switchboard-bootstrap", version)]
struct Args {
    /// Stands for the template's Stage in every name (switchboard-<prefix>, ...).
    #[arg(long, default_value = "dev")]
    prefix: String,
    /// The AWS endpoint; refuses to run without one so it never touches a real account.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: String,
    /// Slack signing secret for the app secret (placeholder if unset).
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    signing_secret: Option<String>,
    /// Slack OAuth client id for the app secret.
    #[arg(long, env = "SLACK_CLIENT_ID")]
    client_id: Option<String>,
    /// Slack OAuth client secret for the app secret.
    #[arg(long, env = "SLACK_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
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
    if args.signing_secret.is_some() || args.client_id.is_some() || args.client_secret.is_some() {
        let placeholder = || "replace-me".to_owned();
        names = names.with_app_secret(
            serde_json::json!({
                "signing_secret": args.signing_secret.unwrap_or_else(placeholder),
                "client_id": args.client_id.unwrap_or_else(placeholder),
                "client_secret": args.client_secret.unwrap_or_else(placeholder),
            })
            .to_string(),
        );
    }
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
