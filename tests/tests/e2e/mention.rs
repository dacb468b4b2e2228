//! Mentions of the bot end to end through serve's router: a question is answered from the
//! asker's own follow-ups, shown to them alone (chat.postEphemeral), once per job; replies
//! that carry nothing of theirs (how to ask, not set up) go into the thread.

use std::time::{Duration, Instant};

use fakes::anthropic::Failure as AiFailure;
use serde_json::{Value, json};
use tenant::{ChannelId, JobEnvelope, JobKind, SlackContext, TenantId, UserId};
use testkit::{Failure, payloads};

use crate::followup::{TEAM, USER, fathom_data, ready_followup, worker_for};
use crate::helpers::{TestApp, WAIT, spawn_with_fathom};

const USER_B: &str = "U0OTHER01";
const CHANNEL: &str = "C0CHAN001";

/// `user` mentions the bot in [`CHANNEL`] with `text` (top level, or in `thread`).
async fn mention(app: &TestApp, user: &str, text: &str, thread: Option<&str>) {
    let ts = format!("{}.{:06}", testkit::signer::now(), rand_micros());
    let mut event = payloads::app_mention_event(user, CHANNEL, text, &ts);
    if let Some(thread) = thread {
        event["thread_ts"] = json!(thread);
    }
    let body = payloads::event_callback(TEAM, &payloads::event_id(), event);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 200);
}

fn rand_micros() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}

/// The ephemeral messages `user` has seen, once there are `n`.
async fn ephemerals(app: &TestApp, user: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let shown = app.fake.ephemerals(user);
        if shown.len() >= n {
            return shown;
        }
        assert!(
            Instant::now() < deadline,
            "{user} never saw {n} ephemeral messages: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn text(message: &Value) -> &str {
    message["text"].as_str().unwrap()
}

#[tokio::test]
async fn a_mention_is_answered_privately_from_the_askers_own_follow_ups_only() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let ai_before = app.ai.calls().len();

    mention(
        &app,
        USER,
        "<@U0FAKEBOT> what did John say about renewals?",
        None,
    )
    .await;
    let shown = ephemerals(&app, USER, 1).await;
    let answer = &shown[0];
    assert_eq!(answer["channel"], CHANNEL);
    assert!(
        answer.get("thread_ts").is_none(),
        "a top-level mention has no active thread to show it in"
    );
    let said = text(answer);
    assert!(
        said.contains("Only you can see this, <@U0USER001>"),
        "{said}"
    );
    assert!(said.contains("your own follow-ups"));
    assert!(
        said.contains("Globex discovery call"),
        "names the meeting: {said}"
    );
    // The question went to the AI without the bot's mention.
    let calls = app.ai.calls();
    assert_eq!(calls.len(), ai_before + 1);
    let prompt = calls.last().unwrap().body.to_string();
    assert!(prompt.contains("what did John say about renewals?"));
    assert!(!prompt.contains("<@U0FAKEBOT>"));
    // Nothing of it in the channel for everyone.
    assert!(app.fake.messages(CHANNEL).is_empty());

    // User B of the same workspace asks in the same channel: nothing of A's, and the AI is
    // not asked at all.
    mention(&app, USER_B, "<@U0FAKEBOT> what did John say?", None).await;
    let theirs = ephemerals(&app, USER_B, 1).await;
    assert!(text(&theirs[0]).contains("no follow-ups of yours"));
    assert!(!text(&theirs[0]).contains("Globex"));
    assert_eq!(app.ai.calls().len(), ai_before + 1);
    assert_eq!(app.fake.ephemerals(USER).len(), 1, "A saw only their own");
}

#[tokio::test]
async fn a_mention_in_a_thread_is_answered_in_that_thread() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    mention(
        &app,
        USER,
        "<@U0FAKEBOT> any next steps with Globex?",
        Some("1700000000.000100"),
    )
    .await;
    let shown = ephemerals(&app, USER, 1).await;
    assert_eq!(shown[0]["thread_ts"], "1700000000.000100");
    assert!(text(&shown[0]).contains("Globex discovery call"));
}

fn mention_job(text: &str) -> JobEnvelope {
    JobEnvelope::new(
        TenantId::parse(TEAM).unwrap(),
        JobKind::AppMention(tenant::job::AppMention {
            channel: ChannelId::parse(CHANNEL).unwrap(),
            ts: "1700000000.000900".into(),
            thread_ts: None,
            user: Some(UserId::parse(USER).unwrap()),
            text: text.into(),
        }),
        SlackContext::default(),
        testkit::signer::now() * 1000,
    )
}

#[tokio::test]
async fn a_redelivered_mention_is_answered_once_and_asks_the_ai_once() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let ai_before = app.ai.calls().len();
    let worker = worker_for(&app);
    let job = mention_job("<@U0FAKEBOT> what did John say about renewals?").to_json();
    assert_eq!(worker.process(&job, 1).await, worker::Outcome::Done);
    assert_eq!(worker.process(&job, 2).await, worker::Outcome::AlreadyDone);
    assert_eq!(app.fake.ephemerals(USER).len(), 1);
    assert_eq!(app.fake.calls_to("chat.postEphemeral").len(), 1);
    assert_eq!(app.ai.calls().len(), ai_before + 1);
}

#[tokio::test]
async fn an_answer_whose_ephemeral_may_have_been_shown_is_not_shown_again() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let worker = worker_for(&app);
    // Slack showed it, but the answer was lost behind a 502: unknown, so not repeated.
    app.fake
        .fail_next("chat.postEphemeral", Failure::AfterEffect(502));
    let job = mention_job("<@U0FAKEBOT> what did John say?").to_json();
    assert!(matches!(
        worker.process(&job, 1).await,
        worker::Outcome::Retry { .. }
    ));
    assert_eq!(worker.process(&job, 2).await, worker::Outcome::Done);
    assert_eq!(app.fake.calls_to("chat.postEphemeral").len(), 1);
}

#[tokio::test]
async fn when_the_asker_cannot_be_shown_it_in_the_channel_the_answer_goes_to_their_dm() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    app.fake
        .fail_next("chat.postEphemeral", Failure::NotOk("user_not_in_channel"));
    let worker = worker_for(&app);
    let job = mention_job("<@U0FAKEBOT> what did John say?").to_json();
    assert_eq!(worker.process(&job, 1).await, worker::Outcome::Done);
    let dm = app.fake.dm_channel(USER);
    let last = app.fake.messages(&dm).last().cloned().unwrap();
    let said = text(&last);
    assert!(said.contains("You asked me in <#C0CHAN001>"), "{said}");
    assert!(said.contains("Globex discovery call"));
    assert!(
        app.fake.messages(CHANNEL).is_empty(),
        "never in the channel"
    );
}

#[tokio::test]
async fn an_ai_failure_tells_the_asker_what_to_do_without_the_providers_words() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    // Every try of both models fails (the client retries once per model, then falls back).
    app.ai.fail_next_n(4, AiFailure::Status(500));
    mention(&app, USER, "<@U0FAKEBOT> what did John say?", None).await;
    let shown = ephemerals(&app, USER, 1).await;
    let said = text(&shown[0]);
    assert!(said.contains("busy right now"), "{said}");
    assert!(said.contains("again in a few minutes"));
    assert!(!said.to_lowercase().contains("internal server error"));
}

#[tokio::test]
async fn an_empty_mention_gets_how_to_ask_in_its_thread() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    let token = app.install(TEAM, "Acme").await;
    mention(&app, USER, "<@U0FAKEBOT>", None).await;
    let posts = app.fake.wait_for("chat.postMessage", 1, WAIT).await;
    let post = &posts[0];
    assert_eq!(
        post.token.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    assert_eq!(post.body["channel"], CHANNEL);
    assert!(post.body["thread_ts"].as_str().is_some());
    let said = post.body["text"].as_str().unwrap();
    assert!(
        said.contains("Hi <@U0USER001>!") && said.contains("Ask me about"),
        "{said}"
    );
    assert_eq!(app.ai.calls().len(), 0);
}

#[tokio::test]
async fn without_the_ai_set_up_a_mention_says_who_can_fix_it() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    // A worker without follow-up providers (no ANTHROPIC_API_KEY).
    let worker = worker::Worker::new(app.backend.clone(), web, app::Clock::system());
    let job = mention_job("<@U0FAKEBOT> what did John say?").to_json();
    assert_eq!(worker.process(&job, 1).await, worker::Outcome::Done);
    let posts = app.fake.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 1);
    let said = posts[0].body["text"].as_str().unwrap();
    assert!(
        said.contains("not set") && said.contains("ask whoever runs Switchboard"),
        "{said}"
    );
    assert_eq!(posts[0].body["thread_ts"], "1700000000.000900");
}
