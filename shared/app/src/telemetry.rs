//! One tracing set-up for every binary: JSON lines on Lambda (CloudWatch parses them), compact
//! text elsewhere; `RUST_LOG` (or `LOG_LEVEL`) filters.
//!
//! The filter is `tracing_subscriber`'s `Targets`: comma-separated `level` or `target=level`
//! directives (`info`, `warn,worker=debug`). That is all a function's log level needs, and unlike
//! `EnvFilter` it links no regex engine into the Lambda binaries.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init() {
    let filter = filter_from(|name| std::env::var(name).ok());
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if on_lambda {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .without_time(), // CloudWatch stamps each line
            )
            .try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init()
    };
}

/// `RUST_LOG`, else `LOG_LEVEL`, else `info`. A value that does not parse falls back to `info`
/// rather than silencing the function (or failing its cold start).
fn filter_from(lookup: impl Fn(&str) -> Option<String>) -> Targets {
    ["RUST_LOG", "LOG_LEVEL"]
        .into_iter()
        .filter_map(&lookup)
        .find(|value| !value.trim().is_empty())
        .and_then(|value| Targets::from_str(&value.trim().to_lowercase()).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    fn filter(vars: &[(&str, &str)]) -> Targets {
        filter_from(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn info_is_the_default() {
        let f = filter(&[]);
        assert!(f.would_enable("worker", &Level::INFO));
        assert!(!f.would_enable("worker", &Level::DEBUG));
    }

    #[test]
    fn rust_log_wins_over_log_level_and_takes_per_target_directives() {
        let f = filter(&[("RUST_LOG", "warn,worker=debug"), ("LOG_LEVEL", "trace")]);
        assert!(f.would_enable("worker::jobs", &Level::DEBUG));
        assert!(!f.would_enable("events", &Level::INFO));
        assert!(f.would_enable("events", &Level::WARN));
    }

    #[test]
    fn the_template_log_level_is_case_insensitive() {
        // An operator may write the level in capitals (LOG_LEVEL=DEBUG).
        let f = filter(&[("LOG_LEVEL", "DEBUG")]);
        assert!(f.would_enable("events", &Level::DEBUG));
        assert!(!f.would_enable("events", &Level::TRACE));
    }

    #[test]
    fn an_unparsable_value_falls_back_to_info() {
        let f = filter(&[("RUST_LOG", "events=loud")]);
        assert!(f.would_enable("events", &Level::INFO));
        assert!(!f.would_enable("events", &Level::DEBUG));
    }
}
