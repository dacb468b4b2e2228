use super::*;
use crate::ids::RecordingId;
use crate::testkit::sample_meeting;

fn at(rfc3339: &str) -> Timestamp {
    rfc3339.parse().unwrap()
}

fn rome() -> UserZone {
    UserZone::resolve(Some("Europe/Rome"))
}

fn day(n: u8) -> DayOffset {
    DayOffset::new(n).unwrap()
}

#[test]
fn just_after_local_midnight_today_is_the_users_day_not_utcs() {
    // 00:30 in Rome on 15 January is 23:30 UTC on the 14th.
    let now = at("2025-01-14T23:30:00Z");
    let window = DayWindow::of(now, &rome(), DayOffset::TODAY).unwrap();
    assert_eq!(window.date, jiff::civil::date(2025, 1, 15));
    assert_eq!(window.start, at("2025-01-14T23:00:00Z"));
    assert_eq!(window.end, at("2025-01-15T23:00:00Z"));
}

#[test]
fn yesterday_and_earlier_days_are_whole_local_days() {
    let now = at("2025-01-14T23:30:00Z");
    let yesterday = DayWindow::of(now, &rome(), DayOffset::YESTERDAY).unwrap();
    assert_eq!(yesterday.date, jiff::civil::date(2025, 1, 14));
    assert_eq!(yesterday.start, at("2025-01-13T23:00:00Z"));
    assert_eq!(yesterday.end, at("2025-01-14T23:00:00Z"));
    let two_weeks = DayWindow::of(now, &rome(), day(14)).unwrap();
    assert_eq!(two_weeks.date, jiff::civil::date(2025, 1, 1));
}

#[test]
fn dst_days_in_rome_are_23_and_25_hours_long() {
    // Spring forward: Sunday 30 March 2025, 02:00 → 03:00.
    let spring = DayWindow::of(at("2025-03-30T12:00:00Z"), &rome(), DayOffset::TODAY).unwrap();
    assert_eq!(spring.start, at("2025-03-29T23:00:00Z"));
    assert_eq!(spring.end, at("2025-03-30T22:00:00Z"));
    assert_eq!(spring.length(), SignedDuration::from_hours(23));
    // Fall back: Sunday 26 October 2025, 03:00 → 02:00.
    let autumn = DayWindow::of(at("2025-10-27T09:00:00Z"), &rome(), DayOffset::YESTERDAY).unwrap();
    assert_eq!(autumn.date, jiff::civil::date(2025, 10, 26));
    assert_eq!(autumn.start, at("2025-10-25T22:00:00Z"));
    assert_eq!(autumn.end, at("2025-10-26T23:00:00Z"));
    assert_eq!(autumn.length(), SignedDuration::from_hours(25));
}

#[test]
fn an_unknown_zone_gives_utc_days() {
    let zone = UserZone::resolve(Some("Not/AZone"));
    let window = DayWindow::of(at("2025-01-14T23:30:00Z"), &zone, DayOffset::TODAY).unwrap();
    assert!(zone.fell_back());
    assert_eq!(window.start, at("2025-01-14T00:00:00Z"));
    assert_eq!(window.end, at("2025-01-15T00:00:00Z"));
}

#[test]
fn the_query_reaches_past_the_day_for_late_processing_but_only_the_days_meetings_count() {
    let window = DayWindow::of(at("2025-01-15T10:00:00Z"), &rome(), DayOffset::TODAY).unwrap();
    let query = window.query(Some("c2".into()));
    assert_eq!(query.created_after, Some(at("2025-01-14T23:00:00Z")));
    assert_eq!(query.created_before, Some(at("2025-01-16T11:00:00Z")));
    assert_eq!(query.cursor.as_deref(), Some("c2"));
    // 23:40 Rome the evening before, processed after midnight: not today's.
    let late = sample_meeting(RecordingId::new(1), at("2025-01-14T22:40:00Z"), "late");
    let first = sample_meeting(RecordingId::new(2), at("2025-01-14T23:00:00Z"), "first");
    let last = sample_meeting(RecordingId::new(3), at("2025-01-15T22:59:59Z"), "last");
    let next = sample_meeting(RecordingId::new(4), at("2025-01-15T23:00:00Z"), "next");
    assert!(!window.contains(&late));
    assert!(window.contains(&first) && window.contains(&last));
    assert!(!window.contains(&next));
}

#[test]
fn opening_on_an_empty_today_falls_back_to_yesterday_once() {
    assert_eq!(
        next_offset(PickerMove::Open, DayOffset::TODAY, false),
        Some(DayOffset::YESTERDAY)
    );
    assert_eq!(next_offset(PickerMove::Open, DayOffset::TODAY, true), None);
    // Yesterday (the fallback) empty too: show it, with "Earlier".
    assert_eq!(
        next_offset(PickerMove::Open, DayOffset::YESTERDAY, false),
        None
    );
}

#[test]
fn earlier_pages_back_one_day_at_a_time_for_two_weeks_and_stops() {
    let mut shown = DayOffset::TODAY;
    let mut visited = vec![shown.days_back()];
    while let Some(next) = next_offset(PickerMove::Earlier, shown, false) {
        visited.push(next.days_back());
        shown = next;
    }
    assert_eq!(visited, (0..=14).collect::<Vec<u8>>());
    assert_eq!(next_offset(PickerMove::Earlier, day(3), true), Some(day(4)));
    assert_eq!(DayOffset::new(15), None);
}
