//! The meeting picker and generation's failure paths end to end through serve's router: the
//! user's own local day (not UTC's), Fathom's cursor pages and "Earlier" back through two
//! weeks, no Fathom connection, and the AI failing over to the fallback model or for good.
//!
//! The picker tests run the worker by hand on a fixed clock (the hour of the user's day is the
//! point of them); the others use serve's own worker.

use std::time::{Duration, SystemTime};

use fakes::anthropic::Failure;
use fakes::fathom::{Endpoint, FakeMeeting, FakeUser, FathomData};
use followup::{RecordingId, SessionKey, SessionStatus};
use serde_json::{Value, json};
use tenant::{TenantId, UserId};
use testkit::payloads;

use crate::followup::{
    KEY, RECORDING, TEAM, USER, fathom_data, has_text, modal_until, pick_in, ready_followup,
    seed_fathom, worker_at,
};
use crate::helpers::{TestApp, WAIT, spawn_with_fathom};

/// The fallback model serve is configured with (helpers.rs: `ANTHROPIC_FALLBACK_MODEL`).
const FALLBACK_MODEL: &str = "claude-fallback-e2e";

fn at(rfc3339: &str) -> jiff::Timestamp {
    rfc3339.parse().unwrap()
}

fn clock_at(rfc3339: &str) -> app::Clock {
    let secs = u64::try_from(at(rfc3339).as_second()).unwrap();
    app::Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// A meeting scheduled at `start` for `minutes`; Fathom creates it when it ends.
fn meeting(id: u64, title: &str, start: &str, minutes: u64) -> FakeMeeting {
    let length = Duration::from_secs(minutes * 60);
    FakeMeeting::new(id, title, at(start) + length)
        .length(length)
        .invitee("Alice Johnson", "alice.johnson@acme.com", false)
        .invitee("John Smith", "john.smith@globex.com", true)
        .line(
            "00:00:04",
            "Alice Johnson",
            "How do you handle renewals today?",
        )
        .line(
            "00:00:15",
            "John Smith",
            "Spreadsheets, and we miss follow-ups.",
        )
        .line(
            "00:04:20",
            "Alice Johnson",
            "I will send the security pack.",
        )
}

fn alice(meetings: Vec<FakeMeeting>) -> FakeUser {
    meetings.into_iter().fold(
        FakeUser::new("Alice Johnson", "alice.johnson@acme.com").api_key(KEY),
        FakeUser::meeting,
    )
}

/// `/followup` typed with no worker running: returns the modal's id and the queued picker job.
async fn open_queued(app: &TestApp) -> (String, String) {
    let res = app.command(TEAM, "", "picker").await;
    assert_eq!(res.status(), 200);
    let view_id = app
        .fake
        .last_opened_modal()
        .expect("the picker opened inline");
    (view_id, only_job(app, "meeting_picker").await)
}

/// The one job queued since the last look, which must be of `kind`.
async fn only_job(app: &TestApp, kind: &str) -> String {
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 1, "one job queued");
    let body = queued[0].body.clone();
    assert!(body.contains(kind), "a {kind} job: {body}");
    body
}

/// Presses "Earlier" (its value, as the modal shows it) in the picker `view_id`.
async fn press_earlier(app: &TestApp, view_id: &str, shown: &Value) -> String {
    let value = earlier_value(shown).expect("the modal has an Earlier button");
    let press = payloads::view_block_action(
        TEAM,
        USER,
        view_id,
        "followup_pick",
        shown["private_metadata"].as_str().unwrap_or(""),
        json!({}),
        "followup_earlier",
        &value,
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &press)
            .await
            .status(),
        200
    );
    only_job(app, "meeting_picker").await
}

/// The "Earlier" button's value (the day offset it shows), if the modal has one.
fn earlier_value(view: &Value) -> Option<String> {
    view["blocks"]
        .as_array()?
        .iter()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action_id"] == "followup_earlier")
        .and_then(|e| e["value"].as_str().map(str::to_owned))
}

/// The picker's options as (value, label).
fn options(view: &Value) -> Vec<(String, String)> {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["element"]["options"].as_array())
        .flatten()
        .map(|o| {
            (
                o["value"].as_str().unwrap().to_owned(),
                o["text"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `payload` carrying the modal's current `view.hash`, as Slack sends it (the builders put a
/// placeholder, which the fake Slack refuses as stale on a views.update naming it).
fn with_current_hash(app: &TestApp, view_id: &str, payload: String) -> String {
    let (_, hash) = app
        .fake
        .modal_with_hash(view_id)
        .expect("the modal is open");
    // Both hashes are digits, a dot and hex digits: the same in the form encoding.
    payload.replace("1700000000.abcdef12", &hash)
}

async fn run(worker: &worker::Worker, job: &str) {
    let outcome = worker.process(job, 1).await;
    assert_eq!(outcome, worker::Outcome::Done, "{outcome:?}");
}

#[tokio::test]
async fn a_user_in_rome_at_half_past_midnight_sees_that_days_meetings_then_yesterdays() {
    const AFTER_MIDNIGHT: u64 = 700_000_001;
    const LATE_EVENING: u64 = 700_000_002;
    // 00:10 on Wed 2 Dec in Rome (UTC+1 in winter) is still 1 Dec in UTC; the evening one
    // started at 23:40 on 1 Dec in Rome and ended (so Fathom created it) after midnight, at
    // 00:25: today's listing returns it, and it is still yesterday's meeting.
    let data = FathomData::new().user(alice(vec![
        meeting(
            AFTER_MIDNIGHT,
            "Espresso kickoff",
            "2026-12-01T23:10:00Z",
            15,
        ),
        meeting(LATE_EVENING, "Late night demo", "2026-12-01T22:40:00Z", 45),
    ]));
    let app = spawn_with_fathom(false, data).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "Europe/Rome", 3600, false);
    seed_fathom(&app, TEAM).await;
    // 00:30 on 2 Dec in Rome.
    let worker = worker_at(&app, clock_at("2026-12-01T23:30:00Z"));

    let (view_id, job) = open_queued(&app).await;
    run(&worker, &job).await;
    let today = app.fake.modal(&view_id).unwrap();
    assert!(has_text(&today, "Today · Wed 2 Dec"), "{today}");
    let listed = options(&today);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, AFTER_MIDNIGHT.to_string());
    assert!(
        listed[0].1.starts_with("00:1") && listed[0].1.contains("Espresso kickoff"),
        "local start time and title: {listed:?}"
    );
    assert!(!has_text(&today, "Late night demo"));
    assert_eq!(today["private_metadata"], "0");

    // "Earlier": yesterday in Rome, with the evening meeting and not the one after midnight.
    let job = press_earlier(&app, &view_id, &today).await;
    run(&worker, &job).await;
    let yesterday = app.fake.modal(&view_id).unwrap();
    assert!(has_text(&yesterday, "Yesterday · Tue 1 Dec"), "{yesterday}");
    let listed = options(&yesterday);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, LATE_EVENING.to_string());
    assert!(listed[0].1.starts_with("23:4"), "{listed:?}");
    assert!(!has_text(&yesterday, "Espresso kickoff"));
    assert_eq!(yesterday["private_metadata"], "1");

    // Picking today's meeting at that hour generates it (the worker finds it in the same day).
    let submit = pick_in(TEAM, &view_id, AFTER_MIDNIGHT, "0");
    assert_eq!(
        app.post_signed("/slack/interactions", &submit)
            .await
            .status(),
        200
    );
    let job = only_job(&app, "generate").await;
    run(&worker, &job).await;
    let updates = app.fake.calls_to("chat.update");
    let ready = &updates.last().expect("the DM was updated").body;
    assert!(
        ready["text"].as_str().unwrap().contains("is ready"),
        "{ready}"
    );
    assert!(
        app.fake.calls_to("chat.postMessage")[0].body["text"]
            .as_str()
            .unwrap()
            .contains("Espresso kickoff")
    );
}

#[tokio::test]
async fn the_picker_follows_fathoms_pages_and_earlier_goes_back_a_day_at_a_time_for_two_weeks() {
    let day = |n: u64| 800_000_000 + n * 100;
    // Five meetings today, more than Fathom's page of two here; then a meeting two days back,
    // one thirteen days back, and one fifteen days back (past the picker's reach).
    let mut meetings: Vec<FakeMeeting> = (0..5)
        .map(|i| {
            meeting(
                day(0) + i,
                &format!("Today meeting {i}"),
                &format!("2026-12-01T{:02}:00:00Z", 8 + i),
                30,
            )
        })
        .collect();
    meetings.push(meeting(day(2), "Two days back", "2026-11-29T10:00:00Z", 30));
    meetings.push(meeting(
        day(13),
        "Thirteen days back",
        "2026-11-18T10:00:00Z",
        30,
    ));
    meetings.push(meeting(
        day(15),
        "Fifteen days back",
        "2026-11-16T10:00:00Z",
        30,
    ));
    let data = FathomData::new().page_size(2).user(alice(meetings));
    let app = spawn_with_fathom(false, data).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "UTC", 0, false);
    seed_fathom(&app, TEAM).await;
    let worker = worker_at(&app, clock_at("2026-12-01T15:00:00Z"));

    let (view_id, job) = open_queued(&app).await;
    run(&worker, &job).await;
    let today = app.fake.modal(&view_id).unwrap();
    let listed: Vec<String> = options(&today).into_iter().map(|(v, _)| v).collect();
    let expected: Vec<String> = (0..5).map(|i| (day(0) + i).to_string()).collect();
    assert_eq!(listed, expected, "all of today's, earliest first");
    // Three pages of two, the later two asked for with Fathom's cursor.
    let listings = app.fathom.calls_to(Endpoint::Meetings);
    assert_eq!(listings.len(), 3, "{listings:?}");
    let cursors: Vec<bool> = listings
        .iter()
        .map(|c| c.query.iter().any(|(k, _)| k == "cursor"))
        .collect();
    assert_eq!(cursors, [false, true, true]);

    // "Earlier" pages back one day per press, down to 14 days ago, then is gone.
    let mut shown = today;
    let mut seen = Vec::new();
    for back in 1..=14u8 {
        let before = app.fathom.calls_to(Endpoint::Meetings).len();
        let job = press_earlier(&app, &view_id, &shown).await;
        run(&worker, &job).await;
        shown = app.fake.modal(&view_id).unwrap();
        let listed: Vec<String> = options(&shown).into_iter().map(|(v, _)| v).collect();
        match back {
            2 => assert_eq!(listed, [day(2).to_string()], "day {back}"),
            13 => assert_eq!(listed, [day(13).to_string()], "day {back}"),
            _ => assert!(
                listed.is_empty() && has_text(&shown, "No recorded meetings"),
                "day {back}: {shown}"
            ),
        }
        assert!(
            !has_text(&shown, "Fifteen days back"),
            "day {back} shows a meeting from past the limit"
        );
        // Each press asks Fathom for that day (a page or two: the listing reaches half a
        // day past the day's end, for meetings processed after midnight).
        assert!(app.fathom.calls_to(Endpoint::Meetings).len() > before);
        seen.push(earlier_value(&shown));
    }
    assert_eq!(shown["blocks"].to_string().matches("Earlier").count(), 0);
    // The last day is named, not "nothing in 14 days" (there were meetings 2 and 13 back).
    assert!(has_text(&shown, "Tue 17 Nov"), "14 days back: {shown}");
    assert!(has_text(&shown, "goes back 14 days"), "{shown}");
    let expected: Vec<Option<String>> = (2..=14u8)
        .map(|d| Some(d.to_string()))
        .chain([None])
        .collect();
    assert_eq!(
        seen, expected,
        "each day offers the one before it, the 14th none"
    );

    // A forged "Earlier" past the limit changes nothing and lists nothing.
    let listings = app.fathom.calls_to(Endpoint::Meetings).len();
    let mut forged = shown.clone();
    forged["blocks"] = json!([{"type": "actions", "elements": [
        {"type": "button", "action_id": "followup_earlier", "value": "15"}]}]);
    let job = press_earlier(&app, &view_id, &forged).await;
    let outcome = worker.process(&job, 1).await;
    assert!(
        matches!(outcome, worker::Outcome::Failed { .. }),
        "{outcome:?}"
    );
    assert_eq!(app.fake.modal(&view_id).unwrap(), shown);
    assert_eq!(app.fathom.calls_to(Endpoint::Meetings).len(), listings);
}

#[tokio::test]
async fn without_fathom_the_picker_says_to_connect_and_nothing_is_generated() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "Europe/Rome", 3600, false);

    let res = app.command(TEAM, "", "no-fathom").await;
    assert_eq!(res.status(), 200);
    let view_id = app.fake.last_opened_modal().unwrap();
    let shown = modal_until(&app, &view_id, |v| has_text(v, "fathom_connect_open")).await;
    assert!(has_text(&shown, "Connect your Fathom account"), "{shown}");
    assert!(shown["submit"].is_null(), "nothing to submit: {shown}");
    assert!(!has_text(&shown, "Globex discovery call"));

    // The button turns the modal into the connect modal (OAuth offered, or a key).
    let press = with_current_hash(
        &app,
        &view_id,
        payloads::view_block_action(
            TEAM,
            USER,
            &view_id,
            "followup_pick",
            "",
            json!({}),
            "fathom_connect_open",
            "",
        ),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &press)
            .await
            .status(),
        200
    );
    let connect = modal_until(&app, &view_id, |v| v["callback_id"] == "fathom_connect").await;
    assert!(has_text(&connect, "fathom_key"), "{connect}");
    assert!(has_text(&connect, "Connect with Fathom"), "{connect}");

    // A forged picker submission anyway: the user is told to connect; nothing is generated.
    let submit = pick_in(TEAM, &view_id, RECORDING, "0");
    assert_eq!(
        app.post_signed("/slack/interactions", &submit)
            .await
            .status(),
        200
    );
    let posted = app.fake.wait_for("chat.postMessage", 1, WAIT).await;
    let text = posted[0].body["text"].as_str().unwrap();
    assert!(text.contains("Connect Fathom first"), "{text}");
    assert!(app.ai.calls().is_empty(), "the AI was not asked");
    assert!(
        app.fathom.calls().is_empty(),
        "Fathom was not called without a credential"
    );
    assert!(app.fake.calls_to("chat.update").is_empty());
    let key = SessionKey::new(
        TenantId::parse(TEAM).unwrap(),
        UserId::parse(USER).unwrap(),
        RecordingId::new(RECORDING),
    );
    assert!(
        app.sessions
            .get(&key, jiff::Timestamp::now())
            .await
            .unwrap()
            .is_none(),
        "no session"
    );
}

fn user_key() -> SessionKey {
    SessionKey::new(
        TenantId::parse(TEAM).unwrap(),
        UserId::parse(USER).unwrap(),
        RecordingId::new(RECORDING),
    )
}

#[tokio::test]
async fn an_overloaded_or_throttled_model_falls_back_and_the_dm_still_ends_ready() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    // The primary model: throttled (with retry-after), then overloaded on its retry.
    app.ai.fail_next(Failure::RateLimited {
        retry_after_secs: 1,
    });
    app.ai.fail_next(Failure::Overloaded);
    ready_followup(&app, TEAM).await;

    let updates = app.fake.calls_to("chat.update");
    let ready = &updates.last().unwrap().body;
    assert!(
        ready["text"].as_str().unwrap().contains("is ready"),
        "{ready}"
    );
    assert!(ready["blocks"].to_string().contains("followup_view"));
    let calls = app.ai.calls();
    let seen: Vec<(String, u16)> = calls.iter().map(|c| (c.model.clone(), c.status)).collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].0, seen[1].0, "the primary model was retried");
    assert_ne!(seen[0].0, FALLBACK_MODEL);
    assert_eq!((seen[0].1, seen[1].1), (429, 529));
    assert_eq!(
        seen[2],
        (FALLBACK_MODEL.to_owned(), 200),
        "then the fallback"
    );
    let session = app
        .sessions
        .get(&user_key(), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(session.status, SessionStatus::Ready);
    assert!(session.draft.is_some());
}

/// Runs a generation while the AI fails with `failure` on every call it gets (up to `n`),
/// and returns the DM's final update.
async fn generation_failing(failure: Failure, n: usize) -> (TestApp, Value) {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.ai.fail_next_n(n, failure);
    ready_followup(&app, TEAM).await;
    let update = app
        .fake
        .calls_to("chat.update")
        .last()
        .expect("the Generating… DM was updated (not left for redeliveries)")
        .body
        .clone();
    (app, update)
}

/// The DM says it failed and offers "Try again", with none of the provider's words, and the
/// session holds no draft.
async fn assert_failed_cleanly(app: &TestApp, update: &Value) {
    let text = update["text"].as_str().unwrap();
    assert!(text.contains("could not prepare the follow-up"), "{text}");
    let blocks = update["blocks"].to_string();
    assert!(blocks.contains("followup_retry") && blocks.contains("Try again"));
    assert!(
        !blocks.contains("followup_view"),
        "no View & edit: {blocks}"
    );
    let shown = update.to_string();
    for provider_words in [
        "Internal server error",
        "api_error",
        "overloaded_error",
        "req_fake",
        "required",
        "schema",
        "tool",
    ] {
        assert!(!shown.contains(provider_words), "{provider_words}: {shown}");
    }
    let session = app
        .sessions
        .get(&user_key(), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap()
        .value;
    assert!(
        matches!(session.status, SessionStatus::Failed { .. }),
        "{:?}",
        session.status
    );
    assert!(session.draft.is_none(), "nothing of a draft is kept");
}

#[tokio::test]
async fn an_ai_failing_with_5xx_every_time_ends_the_dm_in_try_again_without_its_error_text() {
    // More failures than the client's retries and fallback can use up, for this job and any
    // redelivery of it.
    let (app, update) = generation_failing(Failure::Status(500), 100).await;
    assert_failed_cleanly(&app, &update).await;
    assert!(
        app.ai.models_called().iter().any(|m| m == FALLBACK_MODEL),
        "the fallback was tried before giving up"
    );
}

#[tokio::test]
async fn invalid_ai_output_twice_ends_the_dm_in_try_again_without_its_error_text() {
    let (app, update) = generation_failing(Failure::InvalidToolOutput, 2).await;
    assert_failed_cleanly(&app, &update).await;
    assert_eq!(app.ai.calls().len(), 2, "asked once more, then reported");
}
