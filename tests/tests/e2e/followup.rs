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

const TEAM: &str = "T0FOLLOW1";
const USER: &str = "U0USER001";
const KEY: &str = "fathom-e2e-key-alice";
const RECORDING: u64 = 555_000_111;

fn fathom_data() -> FathomData {
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

/// Waits until the modal `view_id` satisfies `done`, returning it.
async fn modal_until(app: &TestApp, view_id: &str, done: impl Fn(&Value) -> bool) -> Value {
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

fn has_text(view: &Value, needle: &str) -> bool {
    view["blocks"].to_string().contains(needle)
}

async fn open_picker(app: &TestApp) -> String {
    let res = app.command(TEAM, "", "cmd-open").await;
    assert_eq!(res.status(), 200);
    let opened = app.fake.calls_to("views.open");
    let view_id = opened.last().expect("views.open was called inline").body["view"].clone();
    assert_eq!(view_id["callback_id"], "followup_pick");
    // The fake numbers modals; the last opened is ours.
    let n = app.fake.calls_to("views.open").len();
    format!("V0MODAL{n:04}")
}

fn key_submission(view_id: &str, key: &str) -> String {
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
    let submit = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "followup_pick",
        json!({"meeting": {"meeting": {"type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": RECORDING.to_string()}}}}),
        &day,
    );
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
    assert_eq!(app.fathom.calls_to(fakes::fathom::Endpoint::Transcript).len(), 1);
    assert_eq!(app.ai.calls().len(), 1);
}

#[tokio::test]
async fn a_replayed_followup_command_opens_no_second_modal_and_queues_nothing() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let body = payloads::slash_command(
        TEAM,
        USER,
        "C0CHAN001",
        "/followup",
        "",
        &app.fake.response_url("r"),
    );
    assert_eq!(
        app.post_signed("/slack/commands", &body).await.status(),
        200
    );
    assert_eq!(
        app.post_signed("/slack/commands", &body).await.status(),
        200
    );
    assert_eq!(
        app.take_queued().await.len(),
        1,
        "the replay's trigger was already used"
    );
}
