//! Reading configuration through a lookup closure (`|name| std::env::var(name).ok()` in a
//! function's `main`, a map in tests): no global state, and every value is checked once, at
//! start-up, with an error that names the variable but never echoes its value. Public, so that
//! the functions and later providers read theirs by the same rules.

use std::time::Duration;

use url::Url;

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration {name}: {reason}")]
pub struct ConfigError {
    /// The variable, e.g. `FATHOM_API_URL`.
    pub name: &'static str,
    pub reason: &'static str,
}

/// The lookup closures config constructors take.
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// `name`'s value, trimmed; an empty value counts as unset (a `.env` line `NAME=`).
pub fn string(lookup: &impl Lookup, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A base URL (http or https), with its path ending in `/` so that `join("meetings")` appends.
pub fn base_url(
    lookup: &impl Lookup,
    name: &'static str,
    default: &str,
) -> Result<Url, ConfigError> {
    let raw = string(lookup, name).unwrap_or_else(|| default.to_owned());
    parse_base_url(&raw).ok_or(ConfigError {
        name,
        reason: "not an http(s) base URL",
    })
}

pub fn parse_base_url(raw: &str) -> Option<Url> {
    let mut url = Url::parse(raw).ok()?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    // Credentials in a base URL would end up in every error reqwest prints.
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Some(url)
}

/// An endpoint URL (http or https, no credentials) used as it is, without the trailing `/`
/// of [`base_url`]: an OAuth token endpoint is a resource, not a base to join onto.
pub fn endpoint_url(
    lookup: &impl Lookup,
    name: &'static str,
    default: &str,
) -> Result<Url, ConfigError> {
    let raw = string(lookup, name).unwrap_or_else(|| default.to_owned());
    let invalid = ConfigError {
        name,
        reason: "not an http(s) URL",
    };
    let url = Url::parse(&raw).map_err(|_| invalid.clone())?;
    if url.cannot_be_a_base()
        || !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid);
    }
    Ok(url)
}

/// A value that must be set (a client id); the error names the variable only.
pub fn required(lookup: &impl Lookup, name: &'static str) -> Result<String, ConfigError> {
    string(lookup, name).ok_or(ConfigError {
        name,
        reason: "missing",
    })
}

/// Whole seconds, at least 1, at most `max`.
pub fn seconds(
    lookup: &impl Lookup,
    name: &'static str,
    default: Duration,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = string(lookup, name) else {
        return Ok(default);
    };
    let secs: u64 = raw.parse().map_err(|_| ConfigError {
        name,
        reason: "not a whole number of seconds",
    })?;
    let value = Duration::from_secs(secs);
    if secs == 0 || value > max {
        return Err(ConfigError {
            name,
            reason: "out of range",
        });
    }
    Ok(value)
}

/// A small count (retries, tokens).
pub fn number(
    lookup: &impl Lookup,
    name: &'static str,
    default: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    let Some(raw) = string(lookup, name) else {
        return Ok(default);
    };
    match raw.parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        Ok(_) => Err(ConfigError {
            name,
            reason: "out of range",
        }),
        Err(_) => Err(ConfigError {
            name,
            reason: "not a whole number",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Lookup {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn base_urls_get_a_trailing_slash_and_reject_credentials_and_other_schemes() {
        let url = base_url(&env(&[("U", "http://127.0.0.1:9/external/v1")]), "U", "x").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/external/v1/");
        for bad in ["ftp://x/", "https://user:pw@x/", "not a url"] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([("U", bad)]));
            let err = base_url(&env(pairs), "U", "x").unwrap_err();
            assert_eq!(err.name, "U");
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn endpoint_urls_keep_their_path_and_required_values_name_their_variable() {
        let lookup = env(&[("E", "http://127.0.0.1:9/token"), ("B", "https://u:pw@x/t")]);
        assert_eq!(
            endpoint_url(&lookup, "E", "x").unwrap().as_str(),
            "http://127.0.0.1:9/token"
        );
        let err = endpoint_url(&lookup, "B", "x").unwrap_err();
        assert_eq!(err.name, "B");
        assert!(!err.to_string().contains("pw"), "{err}");
        assert_eq!(
            required(&lookup, "E").as_deref(),
            Ok("http://127.0.0.1:9/token")
        );
        assert_eq!(
            required(&lookup, "MISSING"),
            Err(ConfigError {
                name: "MISSING",
                reason: "missing"
            })
        );
    }

    #[test]
    fn an_empty_value_is_unset_and_numbers_are_range_checked() {
        let lookup = env(&[("T", " "), ("Z", "0"), ("N", "abc")]);
        let max = Duration::from_secs(60);
        assert_eq!(
            seconds(&lookup, "T", Duration::from_secs(10), max),
            Ok(Duration::from_secs(10))
        );
        assert!(seconds(&lookup, "Z", Duration::from_secs(10), max).is_err());
        assert!(number(&lookup, "N", 2, 5).is_err());
        assert_eq!(number(&lookup, "missing", 2, 5), Ok(2));
    }
}
