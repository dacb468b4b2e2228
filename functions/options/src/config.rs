//! The function's settings: how long the CRM part may take, and the cache's size and TTL.

use std::time::Duration;

/// What the options function is configured with. The defaults fit Slack's 3 s: the CRM part
/// gets 2.5 s, the rest (verify, tenant, answer) the remaining half second. The 3 s is the
/// general interactivity rule; for the Options Load URL itself it is UNCONFIRMED
/// (slack-ui.md §4), so the budget stays inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionsConfig {
    /// `OPTIONS_BUDGET_MS`: the bound on the whole CRM part (waiting for the user's other
    /// search, the connection, the search). Past it the answer is empty options.
    pub budget: Duration,
    /// `OPTIONS_CACHE_TTL_SECS`: how long an answer is reused.
    pub ttl: Duration,
    /// `OPTIONS_CACHE_SIZE`: how many answers are kept (the oldest goes first).
    pub capacity: usize,
}

impl Default for OptionsConfig {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(2500),
            ttl: Duration::from_secs(60),
            capacity: 2000,
        }
    }
}

/// A setting that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a whole number {rule}")]
pub struct BadSetting {
    pub name: &'static str,
    pub rule: &'static str,
}

impl OptionsConfig {
    /// From `lookup` (the environment); unset or blank settings keep their default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, BadSetting> {
        let mut config = Self::default();
        let number = |name: &'static str, min: u64, max: u64, rule: &'static str| match lookup(name)
            .map(|v| v.trim().to_owned())
        {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(BadSetting { name, rule }),
            },
        };
        // Slack closes the request at 3 s: a budget past that only wastes the CRM call.
        if let Some(ms) = number("OPTIONS_BUDGET_MS", 1, 3000, "from 1 to 3000")? {
            config.budget = Duration::from_millis(ms);
        }
        if let Some(secs) = number("OPTIONS_CACHE_TTL_SECS", 0, 3600, "from 0 to 3600")? {
            config.ttl = Duration::from_secs(secs);
        }
        if let Some(n) = number("OPTIONS_CACHE_SIZE", 1, 1_000_000, "from 1 to 1000000")? {
            config.capacity = n as usize;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_and_checked() {
        let none = OptionsConfig::from_lookup(|_| None).unwrap();
        assert_eq!(none, OptionsConfig::default());
        let set = OptionsConfig::from_lookup(|name| match name {
            "OPTIONS_BUDGET_MS" => Some("1200".into()),
            "OPTIONS_CACHE_TTL_SECS" => Some(" 30 ".into()),
            "OPTIONS_CACHE_SIZE" => Some(String::new()),
            _ => None,
        })
        .unwrap();
        assert_eq!(set.budget, Duration::from_millis(1200));
        assert_eq!(set.ttl, Duration::from_secs(30));
        assert_eq!(set.capacity, OptionsConfig::default().capacity);
        let bad = OptionsConfig::from_lookup(|name| {
            (name == "OPTIONS_BUDGET_MS").then(|| "5000".to_owned())
        });
        assert_eq!(bad.unwrap_err().name, "OPTIONS_BUDGET_MS");
    }
}
