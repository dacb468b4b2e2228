//! The follow-up flow end to end through serve's router: `/followup` opens the picker at once,
//! the worker fills it from Fathom in the user's time zone, a pasted key is checked before it
//! is kept, and picking a meeting gives a DM that turns into a ready draft, once.

use std::time::{Duration, Instant};

use fakes::fathom::{FakeMeeting, FakeUser, FathomData};
use followup::{RecordingId, SessionKey, SessionStatus};
use serde_json::{Value, json};
use tenant::credential::{CredentialId, Provider};
use tenant::{TenantId, UserId};
use testkit::payloads;

use crate::helpers::{TestApp, WAIT, spawn_with_fathom};

pub(crate) const TEAM: &str = "T0FOLLOW1";
pub(crate) const USER: &str = "U0USER001";
pub(crate) const KEY: &str = "fathom-e2e-key-alice";
pub(crate) const RECORDING: u64 = 555_000_111;

pub(crate) fn fathom_data() -> FathomData {
    // Ended a minute ago: today's or (just after midnight) yesterday's, which the picker falls
    // back to, so the test holds at any hour.
    let ended = jiff::Timestamp::now() - Duration::from_secs(60);
    FathomData::new().user(
        FakeUser::new("Alice Johnson", "alice.johnson@acme.com")
            .api_key(KEY)
            .meeting(
                FakeMeeting::new(RECORDING, "Globex discovery call", ended)
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
                    ),
            ),
    )
}

/// The picker's day offset of [`fathom_data`]'s meeting for a user in UTC: the day it started
/// on, so "1" (yesterday) in the first 46 minutes after midnight, when the 45-minute meeting
/// that ended a minute ago began before midnight.
pub(crate) fn fathom_day() -> &'static str {
    let started = jiff::Timestamp::now() - Duration::from_secs(60 + 45 * 60);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    if started.to_zoned_datetime(jiff::tz::TimeZone::UTC).date() < today {
        "1"
    } else {
        "0"
    }
}

/// Waits until the modal `view_id` satisfies `done`, returning it.
pub(crate) async fn modal_until(
    app: &TestApp,
    view_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(view) = app.fake.modal(view_id)
            && done(&view)
        {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "modal {view_id} never got there: {:?}",
            app.fake.modal(view_id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn has_text(view: &Value, needle: &str) -> bool {
    view["blocks"].to_string().contains(needle)
}

async fn open_picker(app: &TestApp) -> String {
    let res = app.command(TEAM, "", "cmd-open").await;
    assert_eq!(res.status(), 200);
    let opened = app.fake.calls_to("views.open");
    let view = opened.last().expect("views.open was called inline").body["view"].clone();
    assert_eq!(view["callback_id"], "followup_pick");
    app.fake.last_opened_modal().unwrap()
}

pub(crate) fn key_submission(view_id: &str, key: &str) -> String {
    payloads::view_submission(
        TEAM,
        USER,
        view_id,
        "fathom_connect",
        json!({"fathom_key": {"fathom_key": {"type": "plain_text_input", "value": key}}}),
        "",
    )
}

#[tokio::test]
async fn from_followup_to_a_ready_draft_with_a_checked_fathom_key() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "UTC", 0, false);

    // No Fathom yet: the picker says how to connect.
    let view_id = open_picker(&app).await;
    modal_until(&app, &view_id, |v| has_text(v, "fathom_connect_open")).await;

    // A wrong key: checked, refused inline, and not kept.
    let res = app
        .post_signed(
            "/slack/interactions",
            &key_submission(&view_id, "not-a-real-key"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["response_action"], "update", "{answer}");
    modal_until(&app, &view_id, |v| has_text(v, "did not accept that key")).await;
    let tenant = TenantId::parse(TEAM).unwrap();
    let user = UserId::parse(USER).unwrap();
    let fathom_id = CredentialId::for_user(tenant.clone(), Provider::Fathom, user.clone());
    let pending_id = CredentialId::for_user(tenant.clone(), Provider::FathomPending, user.clone());
    assert!(
        app.backend
            .credentials
            .get_fresh(&fathom_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.backend
            .credentials
            .get_fresh(&pending_id)
            .await
            .unwrap()
            .is_none()
    );
    // The key never comes back to Slack.
    assert!(
        !app.fake
            .calls()
            .iter()
            .any(|c| c.body.to_string().contains("not-a-real-key"))
    );

    // The right key: kept, and the modal becomes the picker with the meeting.
    let res = app
        .post_signed("/slack/interactions", &key_submission(&view_id, KEY))
        .await;
    assert_eq!(res.status(), 200);
    let picker = modal_until(&app, &view_id, |v| has_text(v, "Globex discovery call")).await;
    assert_eq!(picker["submit"]["text"], "Generate");
    let stored = app
        .backend
        .credentials
        .get_fresh(&fathom_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.value.access_token.expose(), KEY);
    assert!(
        app.backend
            .credentials
            .get_fresh(&pending_id)
            .await
            .unwrap()
            .is_none()
    );
    let option = &picker["blocks"][1]["element"]["options"][0];
    assert_eq!(option["value"], RECORDING.to_string());
    assert!(
        option["text"]["text"].as_str().unwrap().ends_with(" min"),
        "{option}"
    );

    // Submitting the picker: a DM "Generating…", then the same message ready.
    let day = picker["private_metadata"].as_str().unwrap().to_owned();
    let submit = pick_in(TEAM, &view_id, RECORDING, &day);
    let res = app.post_signed("/slack/interactions", &submit).await;
    assert_eq!(res.status(), 200);
    let updates = app.fake.wait_for("chat.update", 1, WAIT).await;
    let posted = app.fake.calls_to("chat.postMessage");
    assert_eq!(posted.len(), 1, "one DM");
    assert!(
        posted[0].body["text"]
            .as_str()
            .unwrap()
            .contains("Generating a follow-up for *Globex discovery call*")
    );
    assert!(
        posted[0].body["channel"].as_str().unwrap().starts_with('D'),
        "a DM, never a channel"
    );
    let ready = &updates[0].body;
    assert!(
        ready["text"].as_str().unwrap().contains("is ready"),
        "{ready}"
    );
    assert_eq!(ready["channel"], posted[0].body["channel"]);
    assert!(ready["blocks"].to_string().contains("followup_view"));

    // The session is the user's, with the draft; the transcript is not kept.
    let key = SessionKey::new(tenant.clone(), user.clone(), RecordingId::new(RECORDING));
    let session = app
        .sessions
        .get(&key, jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.value.status, SessionStatus::Ready);
    assert!(session.value.draft.is_some());
    // (The fake AI quotes the transcript in its draft, as a real one may; what is stored is
    // the draft: there is no transcript field.)
    let stored = serde_json::to_value(&session.value).unwrap();
    assert!(stored.get("transcript").is_none(), "{stored}");
    // Another user of the same workspace has no session for that meeting.
    let other = SessionKey::new(
        tenant,
        UserId::parse("U0OTHER01").unwrap(),
        RecordingId::new(RECORDING),
    );
    assert!(
        app.sessions
            .get(&other, jiff::Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    // One transcript read and one AI call for one generation.
    assert_eq!(
        app.fathom
            .calls_to(fakes::fathom::Endpoint::Transcript)
            .len(),
        1
    );
    assert_eq!(app.ai.calls().len(), 1);
}

#[tokio::test]
async fn a_replayed_followup_command_opens_no_second_modal_and_queues_nothing() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    // The same signed body twice: one trigger id, as a replay carries it.
    let body = payloads::slash_command(
        TEAM,
        USER,
        "C0CHAN001",
        "/followup",
        "",
        &app.fake.response_url("r"),
    );
    for _ in 0..2 {
        assert_eq!(
            app.post_signed("/slack/commands", &body).await.status(),
            200
        );
    }
    assert_eq!(
        app.take_queued().await.len(),
        1,
        "the replay's trigger was already used"
    );
}

/// User A's session key for [`RECORDING`] in [`TEAM`].
fn user_a_key() -> SessionKey {
    SessionKey::new(
        TenantId::parse(TEAM).unwrap(),
        UserId::parse(USER).unwrap(),
        RecordingId::new(RECORDING),
    )
}

/// The stored session under `key` (it must exist).
async fn stored_session(app: &TestApp, key: &SessionKey) -> followup::Session {
    app.sessions
        .get(key, jiff::Timestamp::now())
        .await
        .unwrap()
        .expect("the session is stored")
        .value
}

/// User A's Fathom key, stored as the connect flow stores it once checked.
pub(crate) async fn seed_fathom(app: &TestApp, team: &str) {
    let id = CredentialId::for_user(
        TenantId::parse(team).unwrap(),
        Provider::Fathom,
        UserId::parse(USER).unwrap(),
    );
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &id, |slot| {
        *slot = Some(tenant::credential::Credential::new(tenant::Secret::new(
            KEY,
        )));
    })
    .await
    .unwrap();
}

/// A workspace whose user connected Fathom and has a ready follow-up for [`RECORDING`].
pub(crate) async fn ready_followup(app: &TestApp, team: &str) {
    app.install(team, "Acme").await;
    app.fake.add_user(USER, "Europe/Rome", 3600, false);
    seed_fathom(app, team).await;
    let before = app.fake.calls_to("chat.update").len();
    assert_eq!(app.command(team, "", "r").await.status(), 200);
    let view_id = app.fake.last_opened_modal().unwrap();
    let picker = modal_until(app, &view_id, |v| has_text(v, "Globex discovery call")).await;
    let day = picker["private_metadata"].as_str().unwrap().to_owned();
    let submit = pick_in(team, &view_id, RECORDING, &day);
    assert_eq!(
        app.post_signed("/slack/interactions", &submit)
            .await
            .status(),
        200
    );
    app.fake.wait_for("chat.update", before + 1, WAIT).await;
}

/// Presses "View & edit" on the DM as `user` of `team`; returns the modal's id.
pub(crate) async fn open_editor_as(
    app: &TestApp,
    team: &str,
    user: &str,
    recording: u64,
) -> String {
    let press = payloads::block_actions(
        team,
        user,
        "D0FAKE0001",
        "followup_view",
        &recording.to_string(),
        &app.fake.response_url("b"),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &press)
            .await
            .status(),
        200
    );
    app.fake.last_opened_modal().unwrap()
}

pub(crate) fn edit_values(summary: &str, subject: &str, body: &str, note: &str) -> Value {
    let text = |v: &str| json!({"type": "plain_text_input", "value": v});
    json!({
        "summary": {"summary": text(summary)},
        "email_subject": {"email_subject": text(subject)},
        "email_body": {"email_body": text(body)},
        "crm_note": {"crm_note": text(note)},
    })
}

#[tokio::test]
async fn view_and_edit_shows_the_draft_and_saves_the_users_text() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;

    let view_id = open_editor_as(&app, TEAM, USER, RECORDING).await;
    let editor = modal_until(&app, &view_id, |v| {
        v["callback_id"] == "followup_edit" && has_text(v, "email_body")
    })
    .await;
    assert_eq!(editor["private_metadata"], RECORDING.to_string());
    let key = user_a_key();
    let stored = stored_session(&app, &key).await;
    let draft = stored.draft.clone().unwrap();
    assert!(editor["blocks"].to_string().contains(
        &serde_json::to_string(&draft.email.subject).unwrap()[1..draft.email.subject.len()]
    ));

    // Save with edited text: the session keeps the edit and the first draft.
    let save = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "followup_edit",
        edit_values(
            "Edited summary",
            "Edited subject è",
            "Edited body",
            "Edited note",
        ),
        &RECORDING.to_string(),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &save).await.status(),
        200
    );
    let deadline = Instant::now() + WAIT;
    let session = loop {
        let s = app
            .sessions
            .get(&key, jiff::Timestamp::now())
            .await
            .unwrap()
            .unwrap()
            .value;
        if s.edited.is_some() {
            break s;
        }
        assert!(Instant::now() < deadline, "the edit was never saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let edit = session.edited.unwrap();
    assert_eq!(edit.email.subject, "Edited subject è");
    assert_eq!(edit.crm_note, "Edited note");
    assert_eq!(session.draft.unwrap(), draft, "the first draft is kept");

    // Opened again, the modal shows the edited text, not the first draft.
    let again = open_editor_as(&app, TEAM, USER, RECORDING).await;
    modal_until(&app, &again, |v| has_text(v, "Edited subject è")).await;

    // An action without Google: the banner says so, and the text in the modal is kept.
    let press = payloads::view_block_action(
        TEAM,
        USER,
        &again,
        "followup_edit",
        &RECORDING.to_string(),
        edit_values(
            "Edited summary",
            "Pressed subject",
            "Edited body",
            "Edited note",
        ),
        "followup_gmail",
        &RECORDING.to_string(),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &press)
            .await
            .status(),
        200
    );
    let shown = modal_until(&app, &again, |v| has_text(v, "banner")).await;
    assert!(has_text(&shown, "not connected"), "{shown}");
    // What was in the modal when the button was pressed is what the session holds now.
    let s = app
        .sessions
        .get(&key, jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(s.edited.unwrap().email.subject, "Pressed subject");
    assert!(
        has_text(&shown, "Pressed subject"),
        "the user's text stays in the modal"
    );
}

#[tokio::test]
async fn another_user_or_workspace_cannot_open_a_users_follow_up() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    const OTHER_TEAM: &str = "T0OTHER01";
    app.install(OTHER_TEAM, "Other").await;

    // User B of the same workspace forges the button with user A's recording id.
    let view_b = open_editor_as(&app, TEAM, "U0OTHER01", RECORDING).await;
    let shown = modal_until(&app, &view_b, |v| has_text(v, "no longer available")).await;
    assert!(!has_text(&shown, "email_body"));
    // The same user id and recording in another workspace: nothing either.
    let view_t = open_editor_as(&app, OTHER_TEAM, USER, RECORDING).await;
    modal_until(&app, &view_t, |v| has_text(v, "no longer available")).await;
    // And user A still gets theirs.
    let view_a = open_editor_as(&app, TEAM, USER, RECORDING).await;
    modal_until(&app, &view_a, |v| has_text(v, "email_body")).await;
}

#[tokio::test]
async fn a_redelivered_generation_posts_one_dm_and_asks_the_ai_once() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "UTC", 0, false);
    seed_fathom(&app, TEAM).await;
    open_picker_queued(&app).await;
    let submit = pick_in(TEAM, "V0MODAL0001", RECORDING, fathom_day());
    assert_eq!(
        app.post_signed("/slack/interactions", &submit)
            .await
            .status(),
        200
    );
    let queued = app.take_queued().await;
    let generate = queued
        .iter()
        .find(|d| d.body.contains("\"generate\""))
        .expect("a generate job")
        .body
        .clone();
    let worker = worker_for(&app);
    // The same message delivered twice (a redelivery after a lost ack): once in effect.
    let first = worker.process(&generate, 1).await;
    let second = worker.process(&generate, 2).await;
    assert_eq!(first, worker::Outcome::Done, "{first:?}");
    assert_eq!(second, worker::Outcome::AlreadyDone);
    assert_eq!(app.fake.calls_to("chat.postMessage").len(), 1);
    assert_eq!(app.ai.calls().len(), 1);
}

/// `/followup` with no worker: the picker opens and its job waits in the queue (dropped here).
async fn open_picker_queued(app: &TestApp) -> Vec<tenant::ports::Delivery> {
    assert_eq!(app.command(TEAM, "", "r").await.status(), 200);
    app.take_queued().await
}

/// A worker like serve's, on the app's backend and fakes, run by hand.
pub(crate) fn worker_for(app: &TestApp) -> worker::Worker {
    worker_at(app, app::Clock::system())
}

/// [`worker_for`] on `clock` (a fixed hour of the user's day, say).
pub(crate) fn worker_at(app: &TestApp, clock: app::Clock) -> worker::Worker {
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let urls = [
        ("FATHOM_API_URL", app.fathom.api_url()),
        ("ANTHROPIC_API_URL", app.ai.api_url()),
    ];
    let lookup = move |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let followup = worker::Followup::from_lookup(
        lookup,
        Some(tenant::Secret::new(crate::helpers::AI_KEY)),
        Some(app.sessions.clone()),
    )
    .unwrap()
    .unwrap();
    worker::Worker::new(app.backend.clone(), web, clock).with_followup(followup)
}

fn pick(view_id: &str, recording: u64) -> String {
    pick_in(TEAM, view_id, recording, "0")
}

/// The picker submitted in `team` with `recording` chosen, on the day offset `day`.
pub(crate) fn pick_in(team: &str, view_id: &str, recording: u64, day: &str) -> String {
    payloads::view_submission(
        team,
        USER,
        view_id,
        "followup_pick",
        json!({"meeting": {"meeting": {"type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": recording.to_string()}}}}),
        day,
    )
}

#[tokio::test]
async fn the_free_plan_gets_ten_follow_ups_a_month_then_the_picker_says_when_they_return() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let tenant = TenantId::parse(TEAM).unwrap();
    let admin = UserId::parse("U0ADMIN01").unwrap();
    app.backend
        .members
        .put_member(
            &tenant,
            &tenant::ports::Member {
                user: admin,
                role: tenant::ports::Role::Admin,
                added_at: 0,
            },
        )
        .await
        .unwrap();
    let mut accepted = Vec::new();
    for n in 0..10u64 {
        let body = pick("V0MODAL0001", RECORDING + n);
        let res = app.post_signed("/slack/interactions", &body).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "", "accepted: the modal closes");
        // A replay of an accepted submission is a duplicate and is not counted again.
        assert_eq!(
            app.post_signed("/slack/interactions", &body).await.status(),
            200
        );
        accepted.push(body);
    }
    let over = app
        .post_signed("/slack/interactions", &pick("V0MODAL0001", RECORDING + 99))
        .await;
    let answer: Value = over.json().await.unwrap();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    let text = answer["errors"]["meeting"].as_str().unwrap();
    assert!(text.contains("all 10 follow-ups"), "{text}");
    assert!(text.contains(" 20"), "names the reset date: {text}");
    let queued = app.take_queued().await;
    assert_eq!(
        queued.len(),
        10,
        "nothing queued over the quota, nothing twice"
    );

    // The job accepted as the 8th tells the admin once, even when delivered twice.
    let eighth = queued
        .iter()
        .find(|d| d.body.contains("\"used\":8"))
        .expect("the 8th generation carries its count")
        .body
        .clone();
    let worker = worker_for(&app);
    let _ = worker.process(&eighth, 1).await;
    let _ = worker.process(&eighth, 2).await;
    let notices: Vec<_> = app
        .fake
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c.body["text"]
                .as_str()
                .unwrap_or("")
                .contains("8 of its 10 follow-ups")
        })
        .collect();
    assert_eq!(notices.len(), 1, "one DM at 80%");
}

/// Seeds user A's Google grant as the connect flow stores it, with an access token that has
/// already expired, so the first action refreshes it under the shared lease.
pub(crate) async fn connect_google(app: &TestApp, team: &str) {
    let (_access, refresh) = app.google.issue_tokens(&[
        connectors::google::GMAIL_COMPOSE,
        connectors::google::CALENDAR_EVENTS,
    ]);
    let id = CredentialId::for_user(
        TenantId::parse(team).unwrap(),
        Provider::Google,
        UserId::parse(USER).unwrap(),
    );
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &id, |slot| {
        let mut grant =
            tenant::credential::Credential::new(tenant::Secret::new("expired-access-token"));
        grant.refresh_token = Some(refresh.clone());
        grant.expires_at = Some(std::time::SystemTime::now() - Duration::from_secs(60));
        *slot = Some(grant);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn gmail_draft_and_calendar_event_use_the_text_as_edited_and_link_back() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    connect_google(&app, TEAM).await;
    let view_id = open_editor_as(&app, TEAM, USER, RECORDING).await;
    modal_until(&app, &view_id, |v| has_text(v, "email_body")).await;

    let values = edit_values(
        "Summary as edited",
        "Riepilogo: prossimi passi è già",
        "Body as edited\nSecond line",
        "Note",
    );
    let press = |action: &str| {
        payloads::view_block_action(
            TEAM,
            USER,
            &view_id,
            "followup_edit",
            &RECORDING.to_string(),
            values.clone(),
            action,
            &RECORDING.to_string(),
        )
    };
    assert_eq!(
        app.post_signed("/slack/interactions", &press("followup_gmail"))
            .await
            .status(),
        200
    );
    let shown = modal_until(&app, &view_id, |v| has_text(v, "Open draft")).await;
    let drafts = app.google.drafts();
    assert_eq!(drafts.len(), 1, "one draft");
    assert_eq!(
        drafts[0].subject.as_deref(),
        Some("Riepilogo: prossimi passi è già")
    );
    assert!(
        drafts[0]
            .text
            .as_deref()
            .unwrap()
            .contains("Body as edited")
    );
    assert!(drafts[0].html.is_some(), "multipart with an HTML part");
    assert_eq!(
        drafts[0].to,
        vec!["john.smith@globex.com".to_owned()],
        "the external attendee only"
    );
    assert!(
        has_text(&shown, "Riepilogo: prossimi passi è già"),
        "the user's text stays in the modal"
    );

    // "Calendar event" saves the text and turns the modal into the form: prefilled in the
    // user's zone, the external attendee chosen, invitations off.
    assert_eq!(
        app.post_signed("/slack/interactions", &press("followup_calendar"))
            .await
            .status(),
        200
    );
    let form = modal_until(&app, &view_id, |v| has_text(v, "event_date")).await;
    assert_eq!(form["callback_id"], "followup_event");
    let element = |block: &str| {
        form["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == block)
            .map(|b| b["element"].clone())
            .unwrap()
    };
    assert_eq!(element("event_time")["timezone"], "Europe/Rome");
    assert!(element("event_date")["initial_date"].is_string());
    assert_eq!(
        element("event_guests")["initial_options"][0]["value"],
        "john.smith@globex.com"
    );
    assert_eq!(element("event_invite")["initial_option"]["value"], "none");
    assert!(
        app.google.events().is_empty(),
        "nothing is created before submit"
    );

    // A time in the past: the form again, saying why, with the user's choice kept.
    let submit_event = |date: &str, guests: &[&str], invite: &str| {
        let option = |v: &str| json!({"text": {"type": "plain_text", "text": v}, "value": v});
        let values = json!({
            "event_date": {"event_date": {"type": "datepicker", "selected_date": date}},
            "event_time": {"event_time": {"type": "timepicker", "selected_time": "10:30",
                                          "timezone": "Europe/Rome"}},
            "event_guests": {"event_guests": {"type": "multi_static_select",
                "selected_options": guests.iter().map(|g| option(g)).collect::<Vec<_>>()}},
            "event_invite": {"event_invite": {"type": "radio_buttons",
                "selected_option": option(invite)}},
        });
        payloads::view_submission(
            TEAM,
            USER,
            &view_id,
            "followup_event",
            values,
            &RECORDING.to_string(),
        )
    };
    let res = app
        .post_signed(
            "/slack/interactions",
            &submit_event("2020-01-15", &["john.smith@globex.com"], "send"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again = modal_until(&app, &view_id, |v| has_text(v, "already passed")).await;
    assert!(has_text(&again, "2020-01-15"), "the chosen date is kept");
    assert!(app.google.events().is_empty());

    // A future time, an address the meeting did not have slipped in, invitations on.
    let res = app
        .post_signed(
            "/slack/interactions",
            &submit_event(
                "2030-01-15",
                &["john.smith@globex.com", "someone@elsewhere.example"],
                "send",
            ),
        )
        .await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(
        answer["response_action"], "update",
        "the form says it is working"
    );
    let shown = modal_until(&app, &view_id, |v| has_text(v, "Open event")).await;
    assert!(
        has_text(&shown, "Summary as edited"),
        "the follow-up is back, as edited"
    );
    let events = app.google.events();
    assert_eq!(events.len(), 1);
    let event = &events[0].body;
    assert_eq!(event["start"]["timeZone"], "Europe/Rome", "{event}");
    assert_eq!(
        event["start"]["dateTime"], "2030-01-15T10:30:00+01:00",
        "{event}"
    );
    let invited: Vec<&str> = event["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["email"].as_str())
        .collect();
    assert_eq!(
        invited,
        ["john.smith@globex.com"],
        "only the meeting's own attendees"
    );
    assert!(events[0].meet_link.is_some(), "a Meet link was asked for");
    assert_eq!(events[0].send_updates.as_deref(), Some("all"));

    // "Back to the follow-up" from the form shows the follow-up as saved.
    let back = payloads::view_block_action(
        TEAM,
        USER,
        &view_id,
        "followup_event",
        &RECORDING.to_string(),
        json!({}),
        "followup_event_back",
        &RECORDING.to_string(),
    );
    app.fake.replace_modal(&view_id, form.clone());
    assert_eq!(
        app.post_signed("/slack/interactions", &back).await.status(),
        200
    );
    modal_until(&app, &view_id, |v| has_text(v, "Summary as edited")).await;

    // User B forging the form's submit with user A's recording creates nothing.
    let view_b = open_editor_as(&app, TEAM, "U0OTHER01", RECORDING).await;
    modal_until(&app, &view_b, |v| has_text(v, "no longer available")).await;
    let forged = payloads::view_submission(
        TEAM,
        "U0OTHER01",
        &view_b,
        "followup_event",
        json!({
            "event_date": {"event_date": {"type": "datepicker", "selected_date": "2030-01-16"}},
            "event_time": {"event_time": {"type": "timepicker", "selected_time": "10:30"}},
        }),
        &RECORDING.to_string(),
    );
    let updates = app.fake.calls_to("views.update").len();
    assert_eq!(
        app.post_signed("/slack/interactions", &forged)
            .await
            .status(),
        200
    );
    // The worker ran the job: it answered user B's view, and made nothing.
    app.fake.wait_for("views.update", updates + 1, WAIT).await;
    let answered = app.fake.calls_to("views.update").pop().unwrap();
    assert_eq!(answered.body["view_id"], view_b.as_str());
    assert!(
        answered.body["view"]
            .to_string()
            .contains("no longer available")
    );
    assert_eq!(app.google.events().len(), 1, "user B made no event");

    // Both are recorded on the session, with their links.
    let key = user_a_key();
    let session = stored_session(&app, &key).await;
    assert_eq!(session.artifacts.len(), 2);
}

#[tokio::test]
async fn ask_answers_from_the_askers_own_follow_ups_only() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;

    let res = app
        .command(TEAM, "ask what did John say about renewals?", "ask-a")
        .await;
    assert_eq!(res.status(), 200);
    let replies = app
        .fake
        .wait_for(testkit::fake_slack::RESPONSE_URL, 1, WAIT)
        .await;
    let mine = replies
        .iter()
        .find(|c| c.path.ends_with("ask-a"))
        .expect("an answer to A");
    let text = mine.body["text"].as_str().unwrap();
    assert!(!text.contains("no follow-ups of yours"), "{text}");
    assert!(
        text.contains("Globex discovery call"),
        "names the meeting it drew on: {text}"
    );
    assert_eq!(app.ai.calls().len(), 2, "the draft and the answer");

    // Another user of the same workspace has none: told so, and the AI is not asked.
    let body = payloads::slash_command(
        TEAM,
        "U0OTHER01",
        "C0CHAN001",
        "/followup",
        "ask what did John say?",
        &app.fake.response_url("ask-b"),
    );
    assert_eq!(
        app.post_signed("/slack/commands", &body).await.status(),
        200
    );
    let replies = app
        .fake
        .wait_for(testkit::fake_slack::RESPONSE_URL, 2, WAIT)
        .await;
    let theirs = replies
        .iter()
        .find(|c| c.path.ends_with("ask-b"))
        .expect("an answer to B");
    assert!(
        theirs.body["text"]
            .as_str()
            .unwrap()
            .contains("no follow-ups of yours")
    );
    assert_eq!(app.ai.calls().len(), 2);
}
