//! When the follow-up meeting is, and the Calendar event asking for it.
//!
//! The meeting's own local start time (in the user's zone) is the default time of day: a rep
//! who meets a client at 10:00 meets them again at 10:00. A date the meeting agreed on is used
//! at that time; a date and time are used as said; otherwise a week after the meeting.

use std::time::Duration;

use jiff::civil::DateTime;
use jiff::{Timestamp, ToSpan, ZonedDateTime};

use super::zone::UserZone;
use crate::draft::{FollowUpPlan, FollowUpWhen};
use crate::mail::{EventRequest, Mailbox};

/// How long the follow-up meeting is booked for.
pub const FOLLOW_UP_LENGTH: Duration = Duration::from_secs(30 * 60);
/// Without an agreed date, the follow-up is this many days after the meeting.
pub const DEFAULT_GAP_DAYS: i64 = 7;
/// Reminders: an email the day before, a popup half an hour before.
pub const DEFAULT_REMINDERS_MINUTES: [u32; 2] = [24 * 60, 30];

/// Where the start came from, so the UI can say "agreed in the meeting" or "suggested".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartSource {
    AgreedDate,
    AgreedDateTime,
    /// No date agreed: [`DEFAULT_GAP_DAYS`] after the meeting.
    Default,
}

/// The date or time fell off the calendar (a year 9999 answer from the AI, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("follow-up date out of range")]
pub struct OutOfRange;

/// The follow-up's start in the user's zone. A local time that does not exist (in a DST gap)
/// moves forward past the gap; one that exists twice takes the earlier (jiff's "compatible"
/// rule, as Google Calendar does).
pub fn follow_up_start(
    plan: &FollowUpPlan,
    meeting_started_at: Timestamp,
    zone: &UserZone,
) -> Result<(ZonedDateTime, StartSource), OutOfRange> {
    let meeting = meeting_started_at.to_zoned_datetime(zone.tz().clone());
    // To the minute: an invitation for 10:15:42 looks like a bug.
    let time_of_day = jiff::civil::time(meeting.hour(), meeting.minute(), 0, 0);
    let at_meeting_time = |date: jiff::civil::Date| DateTime::from_parts(date, time_of_day);
    let (local, source) = match plan.when {
        Some(FollowUpWhen::Date(date)) if plan.agreed => {
            (at_meeting_time(date), StartSource::AgreedDate)
        }
        Some(FollowUpWhen::DateTime(datetime)) if plan.agreed => {
            (datetime, StartSource::AgreedDateTime)
        }
        _ => {
            let date = meeting
                .date()
                .checked_add(DEFAULT_GAP_DAYS.days())
                .map_err(|_| OutOfRange)?;
            (at_meeting_time(date), StartSource::Default)
        }
    };
    let start = local
        .to_zoned_datetime(zone.tz().clone())
        .map_err(|_| OutOfRange)?;
    Ok((start, source))
}

/// The start the user chose in the calendar form: `date` (`YYYY-MM-DD`) and `time` (`HH:mm`)
/// local to their zone, with the same DST rule as [`follow_up_start`]. `None` for text that
/// is not a date or a time.
pub fn chosen_start(date: &str, time: &str, zone: &UserZone) -> Option<ZonedDateTime> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let time: jiff::civil::Time = time.parse().ok()?;
    DateTime::from_parts(
        date,
        time.with().second(0).subsec_nanosecond(0).build().ok()?,
    )
    .to_zoned_datetime(zone.tz().clone())
    .ok()
}

/// The Calendar event for the follow-up: `Follow-up: <title>`, 30 minutes from `start`, with a
/// Meet link and the default reminders. Invitations go out only if the user asked
/// (`send_invitations`): creating an event that emails a client at once is their call.
pub fn event_request(
    meeting_title: &str,
    start: ZonedDateTime,
    zone: &UserZone,
    attendees: Vec<Mailbox>,
    description: String,
    send_invitations: bool,
) -> EventRequest {
    EventRequest {
        title: format!("Follow-up: {}", meeting_title.trim()),
        start,
        duration: FOLLOW_UP_LENGTH,
        time_zone: zone.iana_name().to_owned(),
        attendees,
        with_meet: true,
        send_invitations,
        reminders_minutes: DEFAULT_REMINDERS_MINUTES.to_vec(),
        description,
    }
}

#[cfg(test)]
#[path = "follow_up_tests.rs"]
mod tests;
