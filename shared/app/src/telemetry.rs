//! One tracing set-up for every binary: JSON lines on Lambda (CloudWatch parses them), compact
//! text elsewhere; `RUST_LOG` (or `LOG_LEVEL`) filters.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .ok()
        .or_else(|| {
            let level = std::env::var("LOG_LEVEL").ok()?;
            EnvFilter::try_new(level.to_lowercase()).ok()
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if on_lambda {
        builder
            .json()
            .with_current_span(true)
            .without_time() // CloudWatch stamps each line
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
