use jiff::civil::{date, datetime};

use super::*;

fn at(rfc3339: &str) -> Timestamp {
    rfc3339.parse().unwrap()
}

fn rome() -> UserZone {
    UserZone::resolve(Some("Europe/Rome"))
}

fn plan(agreed: bool, when: Option<FollowUpWhen>) -> FollowUpPlan {
    FollowUpPlan { agreed, when }
}

#[test]
fn an_agreed_date_is_used_at_the_meetings_local_start_time() {
    // The meeting started 10:15:42 in Rome (09:15:42 UTC, winter).
    let (start, source) = follow_up_start(
        &plan(true, Some(FollowUpWhen::Date(date(2025, 1, 22)))),
        at("2025-01-15T09:15:42Z"),
        &rome(),
    )
    .unwrap();
    assert_eq!(source, StartSource::AgreedDate);
    assert_eq!(start.datetime(), datetime(2025, 1, 22, 10, 15, 0, 0));
    assert_eq!(start.time_zone().iana_name(), Some("Europe/Rome"));
}

#[test]
fn an_agreed_date_and_time_is_used_as_said_in_the_users_zone() {
    let (start, source) = follow_up_start(
        &plan(
            true,
            Some(FollowUpWhen::DateTime(datetime(2025, 1, 20, 15, 0, 0, 0))),
        ),
        at("2025-01-15T09:15:00Z"),
        &rome(),
    )
    .unwrap();
    assert_eq!(source, StartSource::AgreedDateTime);
    assert_eq!(start.timestamp(), at("2025-01-20T14:00:00Z"));
}

#[test]
fn without_an_agreed_date_it_is_a_week_later_at_the_same_local_time_across_dst() {
    // 10:00 in Rome on 27 March (CET, 09:00 UTC); a week later is CEST: 10:00 is 08:00 UTC.
    for no_date in [
        plan(false, None),
        plan(true, None),
        plan(false, Some(FollowUpWhen::Date(date(2025, 5, 1)))),
    ] {
        let (start, source) =
            follow_up_start(&no_date, at("2025-03-27T09:00:00Z"), &rome()).unwrap();
        assert_eq!(source, StartSource::Default, "{no_date:?}");
        assert_eq!(start.datetime(), datetime(2025, 4, 3, 10, 0, 0, 0));
        assert_eq!(start.timestamp(), at("2025-04-03T08:00:00Z"));
    }
}

#[test]
fn a_local_start_in_a_dst_gap_moves_past_the_gap() {
    // 02:30 on 30 March 2025 does not exist in Rome.
    let (start, _) = follow_up_start(
        &plan(
            true,
            Some(FollowUpWhen::DateTime(datetime(2025, 3, 30, 2, 30, 0, 0))),
        ),
        at("2025-03-20T09:00:00Z"),
        &rome(),
    )
    .unwrap();
    assert_eq!(start.datetime(), datetime(2025, 3, 30, 3, 30, 0, 0));
}

#[test]
fn the_users_fallback_zone_gives_utc_times_and_the_event_says_utc() {
    let zone = UserZone::resolve(Some("Nowhere/Special"));
    let (start, _) =
        follow_up_start(&plan(false, None), at("2025-01-15T09:15:00Z"), &zone).unwrap();
    assert_eq!(start.timestamp(), at("2025-01-22T09:15:00Z"));
    let event = event_request(
        "  QBR ",
        start.clone(),
        &zone,
        vec![],
        "summary".into(),
        false,
    );
    assert_eq!(event.title, "Follow-up: QBR");
    assert_eq!(event.time_zone, "UTC");
    assert_eq!(event.duration, Duration::from_secs(1800));
    assert_eq!(event.start, start);
    assert!(event.with_meet && !event.send_invitations);
    assert_eq!(event.reminders_minutes, vec![1440, 30]);
}

#[test]
fn a_chosen_date_and_time_are_local_to_the_user_and_skip_a_dst_gap() {
    let start = chosen_start("2026-12-08", "09:30", &rome()).unwrap();
    assert_eq!(start.datetime(), datetime(2026, 12, 8, 9, 30, 0, 0));
    assert_eq!(start.timestamp(), at("2026-12-08T08:30:00Z"));
    // 02:30 on 29 March 2026 does not exist in Rome: it moves past the gap.
    let gap = chosen_start("2026-03-29", "02:30", &rome()).unwrap();
    assert_eq!(gap.datetime(), datetime(2026, 3, 29, 3, 30, 0, 0));
    for (date, time) in [
        ("2026-02-30", "09:30"),
        ("2026-12-08", "25:00"),
        ("soon", "09:30"),
    ] {
        assert!(chosen_start(date, time, &rome()).is_none(), "{date} {time}");
    }
}
