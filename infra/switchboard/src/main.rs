//! `switchboard`: the operator tool. Parses the command line and dispatches to the library.

use std::error::Error;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use switchboard_cli::{config, demo, manifest, serve, sign, tenant_cmd};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Run and administer Switchboard locally"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every function on 127.0.0.1 and run the worker, over the embedded backend (or
    /// `--backend aws`).
    Serve {
        #[arg(long, value_enum, default_value_t = Backend::Local)]
        backend: Backend,
    },
    /// See the product without any account: the app with local fakes of Slack, Fathom, the
    /// AI and Google, and a page at /demo where you play the Slack user.
    Demo(demo::DemoArgs),
    /// Administer tenants in the local data directory (SWITCHBOARD_DATA_DIR).
    #[command(subcommand)]
    Tenant(tenant_cmd::TenantCommand),
    /// Re-sign an API Gateway event fixture with a fresh timestamp.
    Sign(sign::SignArgs),
    /// Print the Slack app manifest (YAML) for a base URL.
    Manifest(manifest::ManifestArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Backend {
    /// SQLite file and local key file in SWITCHBOARD_DATA_DIR.
    Local,
    /// DynamoDB, Secrets Manager + KMS and SQS named by TABLE_NAME, QUEUE_URL, KMS_KEY_ID,
    /// SECRET_PREFIX (and SIGNING_SECRET_ARN, ...); AWS_ENDPOINT_URL points it at a local endpoint.
    Aws,
}

#[tokio::main]
async fn main() -> ExitCode {
    let env_file = dotenvy::dotenv();
    init_tracing();
    if let Err(err) = &env_file
        && !err.not_found()
    {
        tracing::warn!(error = %err, "could not read .env; using the environment only");
    }
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = format!("error: {err}");
            let mut cause = err.source();
            while let Some(inner) = cause {
                message.push_str(&format!("\n  caused by: {inner}"));
                cause = inner.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .compact()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    match cli.command {
        Command::Serve { backend } => {
            let mut config = config::ServeConfig::from_env()?;
            config.backend = match backend {
                Backend::Local => app::wiring::BackendChoice::Local,
                Backend::Aws => app::wiring::BackendChoice::Aws,
            };
            serve::run(config).await?
        }
        Command::Demo(args) => demo::run(args).await?,
        Command::Tenant(command) => {
            let mut out = Vec::new();
            let result = tenant_cmd::run(command, &config::data_dir(), &mut out).await;
            print!("{}", String::from_utf8_lossy(&out));
            result?
        }
        Command::Sign(args) => {
            sign::run(&args)?;
            eprintln!("signed {}", args.file.display());
        }
        Command::Manifest(args) => manifest::run(&args, &mut std::io::stdout().lock())?,
    }
    Ok(())
}
