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
