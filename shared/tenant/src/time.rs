//! Unix time of a `SystemTime`: the one conversion the adapters, the services and the
//! functions' clock share (so that milliseconds here and there agree, saturation included).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Unix milliseconds of `t`: 0 before the epoch, saturating at `i64::MAX`.
pub fn unix_ms(t: SystemTime) -> i64 {
    i64::try_from(since_epoch(t).as_millis()).unwrap_or(i64::MAX)
}

/// Unix seconds of `t`: 0 before the epoch, saturating at `i64::MAX`.
pub fn unix_secs(t: SystemTime) -> i64 {
    i64::try_from(since_epoch(t).as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_floor_before_the_epoch_and_agree_with_each_other() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(unix_ms(t), 1_700_000_000_123);
        assert_eq!(unix_secs(t), 1_700_000_000);
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!((unix_ms(before), unix_secs(before)), (0, 0));
    }
}

/// The UTC calendar (year, month 1-12) of unix seconds `secs`.
pub fn year_month(secs: u64) -> (u64, u64) {
    let at = jiff::Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(jiff::Timestamp::MAX)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC);
    (
        u64::try_from(at.year()).unwrap_or(0),
        u64::try_from(at.month()).unwrap_or(1),
    )
}

/// Unix seconds of the first instant of `month` (1-12) of `year`, UTC.
pub fn month_start(year: u64, month: u64) -> u64 {
    let (Ok(year), Ok(month)) = (i16::try_from(year), i8::try_from(month)) else {
        return u64::MAX;
    };
    jiff::civil::date(year, month, 1)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| u64::try_from(z.timestamp().as_second()).unwrap_or(0))
        .unwrap_or(u64::MAX)
}

/// Unix seconds as a day people read, UTC: "1 January 2027".
pub fn day_label(secs: u64) -> String {
    jiff::Timestamp::from_second(i64::try_from(secs).unwrap_or(i64::MAX))
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .strftime("%-d %B %Y")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod month_tests {
    use super::*;

    #[test]
    fn months_start_on_the_first_at_midnight_utc_whatever_their_length() {
        // 2026-12-01T00:00:00Z and 2027-01-01T00:00:00Z.
        assert_eq!(month_start(2026, 12), 1_796_083_200);
        assert_eq!(month_start(2027, 1), 1_798_761_600);
        assert_eq!(year_month(1_796_083_200), (2026, 12));
        assert_eq!(year_month(1_796_083_199), (2026, 11));
        assert_eq!(day_label(1_798_761_600), "1 January 2027");
        // February of a leap year.
        assert_eq!(month_start(2028, 3) - month_start(2028, 2), 29 * 86_400);
    }
}
