//! The user's time zone: Slack's `users.info` `tz` (an IANA name), resolved against the tz
//! database bundled into the binary (Lambda has no /usr/share/zoneinfo).

use jiff::tz::TimeZone;

/// A user's time zone, and whether it is a fallback.
#[derive(Debug, Clone)]
pub struct UserZone {
    tz: TimeZone,
    fell_back: bool,
}

impl UserZone {
    /// The zone Slack named, or UTC when it named none or one the tz database does not know
    /// (`fell_back()` then says so, so the UI can show "times in UTC").
    pub fn resolve(slack_tz: Option<&str>) -> Self {
        match slack_tz.map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => match TimeZone::get(name) {
                Ok(tz) => Self {
                    tz,
                    fell_back: false,
                },
                Err(_) => Self::utc_fallback(),
            },
            None => Self::utc_fallback(),
        }
    }

    fn utc_fallback() -> Self {
        Self {
            tz: TimeZone::UTC,
            fell_back: true,
        }
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether the user's own zone was unknown and this is UTC instead.
    pub fn fell_back(&self) -> bool {
        self.fell_back
    }

    /// The IANA name to hand to providers (Google Calendar's `timeZone`): `"UTC"` for the
    /// fallback.
    pub fn iana_name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_zone_resolves_from_the_bundled_database() {
        let zone = UserZone::resolve(Some("Europe/Rome"));
        assert!(!zone.fell_back());
        assert_eq!(zone.iana_name(), "Europe/Rome");
    }

    #[test]
    fn a_missing_or_unknown_zone_falls_back_to_utc_and_says_so() {
        for tz in [
            None,
            Some(""),
            Some("  "),
            Some("Mars/Olympus_Mons"),
            Some("../etc/passwd"),
        ] {
            let zone = UserZone::resolve(tz);
            assert!(zone.fell_back(), "{tz:?}");
            assert_eq!(zone.iana_name(), "UTC");
        }
    }
}
