//! The picker's option texts: `09:30 · QBR with Acme · 45 min`, at most 75 characters (Slack's
//! limit on an option's `text`; longer options are refused with `invalid_blocks`).

use std::time::Duration;

use jiff::Timestamp;

use super::zone::UserZone;
use crate::meeting::Meeting;

/// Slack's limit on an option object's `text` (and `description`), in characters.
pub const OPTION_TEXT_MAX: usize = 75;

const SEPARATOR: &str = " · ";
const ELLIPSIS: char = '…';

/// The local start time, 24-hour `HH:MM`.
pub fn start_time(at: Timestamp, zone: &UserZone) -> String {
    at.to_zoned_datetime(zone.tz().clone())
        .strftime("%H:%M")
        .to_string()
}

/// A duration to the nearest minute: `"45 min"`, `"1 h 05 min"`, `"2 h"`; under a minute is
/// `"1 min"` (a recording that exists lasted something), zero is `"0 min"`.
pub fn duration(length: Duration) -> String {
    let secs = length.as_secs();
    let minutes = match (secs + 30) / 60 {
        0 if secs > 0 => 1,
        m => m,
    };
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut. Counts `char`s (Slack
/// counts characters, not bytes), so a cut never splits a UTF-8 sequence.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push(ELLIPSIS);
    cut
}

/// The option text for a meeting: start, title, real duration (from the recording's own start
/// and end, not the calendar's). The title is what gets cut, so the time and the duration
/// always show. Newlines and tabs in a title become spaces (option text is one line).
pub fn option_text(meeting: &Meeting, zone: &UserZone) -> String {
    let start = start_time(meeting.started_at, zone);
    let length = duration(meeting.duration());
    let fixed = start.chars().count() + length.chars().count() + 2 * SEPARATOR.chars().count();
    let title: String = meeting
        .title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.is_empty() {
        "Untitled meeting".to_owned()
    } else {
        title
    };
    let title = truncate(&title, OPTION_TEXT_MAX.saturating_sub(fixed));
    format!("{start}{SEPARATOR}{title}{SEPARATOR}{length}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RecordingId;
    use crate::testkit::sample_meeting;

    fn at(rfc3339: &str) -> Timestamp {
        rfc3339.parse().unwrap()
    }

    #[test]
    fn durations_read_as_minutes_then_hours_and_minutes() {
        let mins = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(duration(mins(45)), "45 min");
        assert_eq!(duration(mins(65)), "1 h 05 min");
        assert_eq!(duration(mins(120)), "2 h");
        assert_eq!(duration(Duration::from_secs(59 * 60 + 43)), "1 h");
        assert_eq!(duration(Duration::from_secs(20)), "1 min");
        assert_eq!(duration(Duration::ZERO), "0 min");
    }

    #[test]
    fn the_start_is_the_users_local_time() {
        let rome = UserZone::resolve(Some("Europe/Rome"));
        assert_eq!(start_time(at("2025-01-15T08:30:00Z"), &rome), "09:30");
        assert_eq!(start_time(at("2025-07-15T08:30:00Z"), &rome), "10:30");
        assert_eq!(
            start_time(at("2025-07-15T08:30:00Z"), &UserZone::resolve(None)),
            "08:30"
        );
    }

    #[test]
    fn an_option_shows_time_title_and_the_recordings_real_duration() {
        let rome = UserZone::resolve(Some("Europe/Rome"));
        let mut meeting = sample_meeting(RecordingId::new(7), at("2025-01-15T08:30:00Z"), "Acme");
        meeting.ended_at = at("2025-01-15T09:35:00Z");
        assert_eq!(
            option_text(&meeting, &rome),
            "09:30 · QBR Acme · 1 h 05 min"
        );
    }

    #[test]
    fn a_long_title_is_cut_so_the_option_fits_slacks_75_characters() {
        let zone = UserZone::resolve(Some("UTC"));
        let mut meeting = sample_meeting(RecordingId::new(7), at("2025-01-15T08:30:00Z"), "");
        meeting.title = "Quarterly business review with àèìòù and the whole\nteam ".repeat(4);
        let text = option_text(&meeting, &zone);
        assert_eq!(text.chars().count(), OPTION_TEXT_MAX);
        assert!(text.starts_with("08:30 · Quarterly business review"));
        assert!(text.ends_with("… · 45 min"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("short", 75), "short");
        assert_eq!(truncate("àèìòùàèìòù", 5), "àèìò…");
        assert_eq!(truncate("word word", 6), "word…");
        assert_eq!(truncate("anything", 1), "…");
        assert_eq!(truncate("anything", 0), "");
    }
}
