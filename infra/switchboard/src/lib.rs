//! The `switchboard` operator tool.
//!
//! * [`serve`]: every function's handler on one local server over the embedded adapters.
//! * [`demo`]: `serve` with in-process fakes of Slack, Fathom, the AI and Google, and a page
//!   where a person plays the Slack user.
//! * [`tenant_cmd`]: `switchboard tenant add|list|suspend|resume` on the local data directory.
//! * [`sign`]: re-signs an API Gateway event fixture with a fresh timestamp.
//! * [`manifest`]: prints the Slack app manifest for a base URL.
//!
//! `main.rs` only parses the command line and dispatches here, so tests call these directly.

pub mod config;
pub mod demo;
pub mod manifest;
pub mod serve;
pub mod sign;
pub mod tenant_cmd;

/// Wall-clock helpers (no date crate needed for a table column and a log-style timestamp).
pub(crate) mod clock {
    /// The current unix time in seconds.
    pub fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    /// A UTC date and time of day: `(year, month 1-12, day 1-31, hour, minute, second)`.
    pub type Civil = (i64, u32, u32, u32, u32, u32);

    /// The UTC calendar date of a unix time (Howard Hinnant's `civil_from_days`).
    pub fn civil(unix: i64) -> Civil {
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
    }

    #[cfg(test)]
    mod tests {
        use super::civil;

        #[test]
        fn civil_dates_match_known_instants() {
            assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
            // The Slack signing doc's timestamp: 2018-07-12 18:36:58 UTC.
            assert_eq!(civil(1_531_420_618), (2018, 7, 12, 18, 36, 58));
            assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
            assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
        }
    }
}
