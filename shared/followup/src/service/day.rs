//! The picker's day: "today" is the user's local day, not UTC's, and a local day is 23, 24 or
//! 25 hours long.

use std::time::Duration;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::zone::UserZone;
use crate::meeting::{Meeting, MeetingQuery};

/// How many days back from today (0 = today, 1 = yesterday), at most [`DayOffset::MAX`]:
/// the picker pages back two weeks, no further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayOffset(u8);

impl DayOffset {
    pub const TODAY: DayOffset = DayOffset(0);
    pub const YESTERDAY: DayOffset = DayOffset(1);
    pub const MAX: u8 = 14;

    /// `None` past [`DayOffset::MAX`] (a Slack `value` carrying an offset is user input).
    pub fn new(days_back: u8) -> Option<Self> {
        (days_back <= Self::MAX).then_some(Self(days_back))
    }

    pub fn days_back(self) -> u8 {
        self.0
    }

    /// The day before this one, or `None` at the limit.
    pub fn earlier(self) -> Option<Self> {
        Self::new(self.0 + 1)
    }
}

/// Why the picker is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerMove {
    /// The picker just opened on `shown` (today).
    Open,
    /// The user pressed "Earlier" on `shown`.
    Earlier,
}

/// Which day to fetch next, after `shown` was fetched and had meetings or not; `None`: show
/// `shown` as it is.
///
/// * Opening on today with no meetings falls back to yesterday, once (a rep often follows up
///   the morning after). Opening on a day with meetings stays there.
/// * "Earlier" goes back one day, whatever `shown` held, down to [`DayOffset::MAX`] days ago;
///   after that there is no earlier day (the UI hides the button when `shown.earlier()` is
///   `None`). One day per press keeps each press to one recorder listing.
pub fn next_offset(
    mv: PickerMove,
    shown: DayOffset,
    shown_has_meetings: bool,
) -> Option<DayOffset> {
    match mv {
        PickerMove::Open if shown == DayOffset::TODAY && !shown_has_meetings => {
            Some(DayOffset::YESTERDAY)
        }
        PickerMove::Open => None,
        PickerMove::Earlier => shown.earlier(),
    }
}

/// A local day of the user, as the UTC instants `[start, end)` it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayWindow {
    /// The local calendar date.
    pub date: Date,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A day's window ran off the representable calendar (never for real clocks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("day window out of range")]
pub struct OutOfRange;

/// How long after a meeting starts the recorder may still list it as created: it is created
/// when processing ends, after the recording ends. Three-hour meetings exist; half a day is
/// a safe bound that keeps the listing to about two days.
pub const PROCESSING_LAG: Duration = Duration::from_secs(12 * 3600);

impl DayWindow {
    /// The user's local day `offset` days before the one `now` falls in, in `zone`: from its
    /// first instant (midnight, or the first instant after a DST gap at midnight) to the
    /// next day's first instant.
    pub fn of(now: Timestamp, zone: &UserZone, offset: DayOffset) -> Result<Self, OutOfRange> {
        let today = now.to_zoned_datetime(zone.tz().clone()).date();
        let date = today
            .checked_sub(i64::from(offset.days_back()).days())
            .map_err(|_| OutOfRange)?;
        let first_instant = |d: Date| {
            d.to_zoned_datetime(zone.tz().clone())
                .map(|z| z.timestamp())
                .map_err(|_| OutOfRange)
        };
        let next = date.tomorrow().map_err(|_| OutOfRange)?;
        Ok(Self {
            date,
            start: first_instant(date)?,
            end: first_instant(next)?,
        })
    }

    pub fn length(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }

    /// Whether the meeting started on this day (the recording's start, in the user's zone).
    pub fn contains(&self, meeting: &Meeting) -> bool {
        self.start <= meeting.started_at && meeting.started_at < self.end
    }

    /// The recorder query for this day. The recorder filters on `created_at`, which comes
    /// after the start, so the window reaches [`PROCESSING_LAG`] past the day's end; the
    /// caller keeps the meetings [`DayWindow::contains`] (a meeting from the evening before,
    /// processed after midnight, is not today's).
    pub fn query(&self, cursor: Option<String>) -> MeetingQuery {
        let lag = SignedDuration::try_from(PROCESSING_LAG).unwrap_or(SignedDuration::ZERO);
        MeetingQuery {
            created_after: Some(self.start),
            created_before: Some(self.end.saturating_add(lag).unwrap_or(self.end)),
            cursor,
        }
    }
}

#[cfg(test)]
#[path = "day_tests.rs"]
mod tests;
