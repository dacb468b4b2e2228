//! Automatic follow-ups end to end through serve's router: `/followup auto on` registers a
//! webhook at the fake Fathom, whose signed deliveries to `/webhooks/fathom?r=…` become the
//! user's "ready" DM without a command, once per delivery id, counted once; anything unsigned,
//! stale, unknown, oversized or malformed is refused with nothing queued or counted; one user's
//! (or one workspace's) registration cannot be used for another's; `auto off` deletes it.

use std::time::SystemTime;

use fakes::fathom::{
    Delivered, DeliveryOptions, FakeMeeting, FakeUser, FathomData, RegisteredWebhook,
};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::ports::{Delivery, WindowSpan};
use tenant::service::ingress::FOLLOWUP_COUNTER;
use tenant::{TenantId, UserId};
use testkit::payloads;

use crate::helpers::{AI_KEY, TestApp, WAIT, spawn_with_fathom};

const TEAM: &str = "T0HOOKS01";
const OTHER_TEAM: &str = "T0HOOKS02";
const ALICE: &str = "U0ALICE01";
const BOB: &str = "U0BOBBY01";
const ALICE_KEY: &str = "fathom-e2e-hooks-alice";
const BOB_KEY: &str = "fathom-e2e-hooks-bob";
/// Tenant B's user has the same Slack user id as Alice, in another workspace.
const CAROL_KEY: &str = "fathom-e2e-hooks-carol";
const ALICE_REC: u64 = 777_000_001;
const BOB_REC: u64 = 777_000_002;
const CAROL_REC: u64 = 777_000_003;

fn meeting(id: u64, title: &str) -> FakeMeeting {
    let ended = jiff::Timestamp::now() - std::time::Duration::from_secs(60);
    FakeMeeting::new(id, title, ended)
        .invitee("Alice Johnson", "alice.johnson@acme.com", false)
        .invitee("John Smith", "john.smith@globex.com", true)
        .line("00:00:04", "Alice Johnson", "How do you handle renewals?")
        .line("00:00:15", "John Smith", "Spreadsheets, and we miss some.")
}

fn fathom_data() -> FathomData {
    FathomData::new()
        .user(
            FakeUser::new("Alice Johnson", "alice.johnson@acme.com")
                .api_key(ALICE_KEY)
                .meeting(meeting(ALICE_REC, "Globex discovery call")),
        )
        .user(
            FakeUser::new("Bob Stone", "bob.stone@acme.com")
                .api_key(BOB_KEY)
                .meeting(meeting(BOB_REC, "Initech pricing call")),
        )
        .user(
            FakeUser::new("Carol Diaz", "carol@other.example")
                .api_key(CAROL_KEY)
                .meeting(meeting(CAROL_REC, "Umbrella onboarding")),
        )
}

fn tenant(team: &str) -> TenantId {
    TenantId::parse(team).unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

/// `user`'s Fathom key, stored as the connect flow stores it once checked.
async fn seed_fathom(app: &TestApp, team: &str, user_id: &str, key: &str) {
    let id = CredentialId::for_user(tenant(team), Provider::Fathom, user(user_id));
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &id, |slot| {
        *slot = Some(Credential::new(tenant::Secret::new(key)));
    })
    .await
    .unwrap();
}

async fn webhook_credential(app: &TestApp, team: &str, user_id: &str) -> Option<Credential> {
    let id = CredentialId::for_user(tenant(team), Provider::FathomWebhook, user(user_id));
    app.backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .map(|v| v.value)
}

/// This month's follow-ups of `team` (a probe with limit 0 counts nothing).
async fn followups_used(app: &TestApp, team: &str) -> u64 {
    let at = SystemTime::now();
    app.backend
        .usage
        .consume_in(
            &tenant(team),
            FOLLOWUP_COUNTER,
            0,
            WindowSpan::month(at),
            at,
        )
        .await
        .unwrap()
        .used
}

/// `/followup <text>` from `user_id` of `team`, answered to a fake response_url named `hook`.
async fn command_as(
    app: &TestApp,
    team: &str,
    user_id: &str,
    text: &str,
    hook: &str,
) -> reqwest::Response {
    let body = payloads::slash_command(
        team,
        user_id,
        "C0CHAN001",
        "/followup",
        text,
        &app.fake.response_url(hook),
    );
    app.post_signed("/slack/commands", &body).await
}

/// A worker like serve's (same backend, fakes and public base URL), run by hand on what a
/// test took from the queue.
fn worker_for(app: &TestApp) -> worker::Worker {
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
        Some(tenant::Secret::new(AI_KEY)),
        Some(app.sessions.clone()),
    )
    .unwrap()
    .unwrap();
    worker::Worker::new(app.backend.clone(), web, app::Clock::system())
        .with_followup(followup)
        .with_public_base_url(Some(app.base.clone()))
}

/// Runs every queued job once with `worker`; returns what ran.
async fn run_queued(app: &TestApp, worker: &worker::Worker) -> Vec<Delivery> {
    let queued = app.take_queued().await;
    for job in &queued {
        let outcome = worker.process(&job.body, 1).await;
        assert_eq!(outcome, worker::Outcome::Done, "{}", job.body);
    }
    queued
}

/// The last response_url answer to `hook`.
fn answer_to(app: &TestApp, hook: &str) -> String {
    app.fake
        .calls_to(testkit::fake_slack::RESPONSE_URL)
        .iter()
        .rev()
        .find(|c| c.path.ends_with(hook))
        .map(|c| c.body["text"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default()
}

/// `auto on` for `user_id` of `team`, run by `worker`; returns the webhook Fathom now has.
async fn turn_on(
    app: &TestApp,
    worker: &worker::Worker,
    team: &str,
    user_id: &str,
) -> RegisteredWebhook {
    let before = app.fathom.webhooks().len();
    let hook = format!("on-{team}-{user_id}");
    let res = command_as(app, team, user_id, "auto on", &hook).await;
    assert_eq!(res.status(), 200);
    let ack: serde_json::Value = res.json().await.unwrap();
    assert!(
        ack["text"].as_str().unwrap().contains("Turning automatic"),
        "{ack}"
    );
    run_queued(app, worker).await;
    assert!(
        answer_to(app, &hook).contains("Automatic follow-ups are on"),
        "{}",
        answer_to(app, &hook)
    );
    let hooks = app.fathom.webhooks();
    assert_eq!(hooks.len(), before + 1);
    hooks.last().unwrap().clone()
}

/// The only delivery of `sent`, checked to have been answered `status`.
fn one(sent: Vec<Delivered>, status: u16) -> Delivered {
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].status, status, "{sent:?}");
    sent.into_iter().next().unwrap()
}

/// A two-workspace app, no worker: Alice and Bob in TEAM, and in OTHER_TEAM a user with
/// Alice's Slack id, each with their own Fathom key.
async fn three_users() -> (TestApp, worker::Worker) {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.install(OTHER_TEAM, "Other").await;
    app.fake.add_user(ALICE, "UTC", 0, false);
    app.fake.add_user(BOB, "UTC", 0, false);
    seed_fathom(&app, TEAM, ALICE, ALICE_KEY).await;
    seed_fathom(&app, TEAM, BOB, BOB_KEY).await;
    seed_fathom(&app, OTHER_TEAM, ALICE, CAROL_KEY).await;
    let worker = worker_for(&app);
    (app, worker)
}

#[tokio::test]
async fn auto_on_registers_a_webhook_whose_delivery_becomes_the_ready_dm_counted_once() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(ALICE, "Europe/Rome", 3600, false);
    seed_fathom(&app, TEAM, ALICE, ALICE_KEY).await;

    let res = command_as(&app, TEAM, ALICE, "auto on", "on").await;
    assert_eq!(res.status(), 200);
    app.fake
        .wait_for(testkit::fake_slack::RESPONSE_URL, 1, WAIT)
        .await;
    assert!(answer_to(&app, "on").contains("Automatic follow-ups are on"));

    // Registered at Fathom with the body automatic follow-ups ask for, and its secret kept.
    let hooks = app.fathom.webhooks();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(
        hook.destination_url,
        format!("{}/webhooks/fathom?r={TEAM}.{ALICE}", app.base)
    );
    assert_eq!(hook.owner, "alice.johnson@acme.com");
    assert_eq!(hook.triggered_for, ["my_recordings"]);
    assert!(hook.include_summary && !hook.include_transcript);
    let stored = webhook_credential(&app, TEAM, ALICE).await.expect("kept");
    assert_eq!(stored.access_token.expose(), hook.secret.expose());
    assert_eq!(
        stored.metadata.webhook_id.as_deref(),
        Some(hook.id.as_str())
    );

    // Fathom delivers: the DM says "Generating…", then becomes "ready", nothing typed.
    let sent = one(app.fathom.deliver(ALICE_REC).await, 200);
    let updates = app.fake.wait_for("chat.update", 1, WAIT).await;
    let posted = app.fake.calls_to("chat.postMessage");
    assert_eq!(posted.len(), 1, "one DM");
    assert!(
        posted[0].body["text"]
            .as_str()
            .unwrap()
            .contains("Generating a follow-up for *Globex discovery call*")
    );
    assert!(posted[0].body["channel"].as_str().unwrap().starts_with('D'));
    assert!(
        updates[0].body["text"]
            .as_str()
            .unwrap()
            .contains("is ready")
    );
    assert_eq!(updates[0].body["channel"], posted[0].body["channel"]);
    assert_eq!(followups_used(&app, TEAM).await, 1);

    // Fathom resends the same delivery: acked, and nothing is queued or counted again.
    one(app.fathom.redeliver(&sent).await, 200);
    assert_eq!(followups_used(&app, TEAM).await, 1);
    assert_eq!(app.ai.calls().len(), 1);
}

#[tokio::test]
async fn a_resent_delivery_queues_nothing_and_a_redelivered_job_generates_once() {
    let (app, worker) = three_users().await;
    turn_on(&app, &worker, TEAM, ALICE).await;

    let sent = one(app.fathom.deliver(ALICE_REC).await, 200);
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 1);
    assert!(
        queued[0].body.contains("\"generate\""),
        "{}",
        queued[0].body
    );
    one(app.fathom.redeliver(&sent).await, 200);
    one(app.fathom.redeliver(&sent).await, 200);
    assert!(
        app.take_queued().await.is_empty(),
        "a resend queues nothing"
    );
    assert_eq!(followups_used(&app, TEAM).await, 1);

    // The queue redelivering the job itself: posted and drafted once.
    assert_eq!(
        worker.process(&queued[0].body, 1).await,
        worker::Outcome::Done
    );
    assert_eq!(
        worker.process(&queued[0].body, 2).await,
        worker::Outcome::AlreadyDone
    );
    assert_eq!(app.fake.calls_to("chat.postMessage").len(), 1);
    assert_eq!(app.ai.calls().len(), 1);
    let dm = &app.fake.calls_to("chat.update")[0].body;
    assert!(dm["text"].as_str().unwrap().contains("is ready"), "{dm}");
}

#[tokio::test]
async fn unsigned_stale_unknown_oversized_or_malformed_deliveries_are_refused_and_leave_nothing() {
    let (app, worker) = three_users().await;
    let hook = turn_on(&app, &worker, TEAM, ALICE).await;
    let now = jiff::Timestamp::now().as_second();
    let refused = [
        (
            "another secret",
            401,
            DeliveryOptions {
                secret: Some("whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=".into()),
                ..Default::default()
            },
        ),
        (
            "six minutes old",
            401,
            DeliveryOptions {
                timestamp: Some(now - 360),
                ..Default::default()
            },
        ),
        (
            "from the future",
            401,
            DeliveryOptions {
                timestamp: Some(now + 360),
                ..Default::default()
            },
        ),
        (
            "no signature",
            401,
            DeliveryOptions {
                omit: vec!["webhook-signature"],
                ..Default::default()
            },
        ),
        (
            "no id",
            401,
            DeliveryOptions {
                omit: vec!["webhook-id"],
                ..Default::default()
            },
        ),
        (
            "no timestamp",
            401,
            DeliveryOptions {
                omit: vec!["webhook-timestamp"],
                ..Default::default()
            },
        ),
        (
            "an unknown user's registration",
            401,
            DeliveryOptions {
                destination_url: Some(format!("{}/webhooks/fathom?r={TEAM}.U0NOBODY1", app.base)),
                ..Default::default()
            },
        ),
        (
            "no registration",
            401,
            DeliveryOptions {
                destination_url: Some(format!("{}/webhooks/fathom", app.base)),
                ..Default::default()
            },
        ),
        (
            "over 1 MiB, signed",
            413,
            DeliveryOptions {
                body: Some(format!(
                    "{{\"recording_id\": {ALICE_REC}, \"title\": \"x\", \"pad\": \"{}\"}}",
                    "x".repeat(1024 * 1024 + 10)
                )),
                ..Default::default()
            },
        ),
        (
            "not JSON, signed",
            400,
            DeliveryOptions {
                body: Some("{\"recording_id\": 77".into()),
                ..Default::default()
            },
        ),
        (
            "not a meeting, signed",
            400,
            DeliveryOptions {
                body: Some("{\"title\": \"no recording id\"}".into()),
                ..Default::default()
            },
        ),
    ];
    for (what, status, options) in refused {
        let sent = app.fathom.deliver_with(ALICE_REC, options).await;
        assert_eq!(sent.len(), 1, "{what}");
        assert_eq!(sent[0].status, status, "{what}");
    }
    assert!(app.take_queued().await.is_empty(), "nothing queued");
    assert_eq!(followups_used(&app, TEAM).await, 0, "nothing counted");
    // Nothing was claimed by the refused ones: a good delivery is still accepted.
    one(app.fathom.deliver(ALICE_REC).await, 200);
    assert_eq!(app.take_queued().await.len(), 1);
    assert_eq!(app.fathom.webhooks()[0].id, hook.id);
}

#[tokio::test]
async fn one_users_or_one_workspaces_registration_cannot_be_used_for_anothers() {
    let (app, worker) = three_users().await;
    let alice = turn_on(&app, &worker, TEAM, ALICE).await;
    let bob = turn_on(&app, &worker, TEAM, BOB).await;
    let carol = turn_on(&app, &worker, OTHER_TEAM, ALICE).await;
    assert_ne!(alice.secret.expose(), bob.secret.expose());
    assert_eq!(carol.owner, "carol@other.example");
    assert!(
        carol
            .destination_url
            .ends_with(&format!("r={OTHER_TEAM}.{ALICE}"))
    );

    // Bob's delivery, signed with Bob's secret, sent to Alice's URL: refused.
    let into_alice = app
        .fathom
        .deliver_with(
            BOB_REC,
            DeliveryOptions {
                destination_url: Some(alice.destination_url.clone()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(one(into_alice, 401).webhook_id, bob.id);
    // Tenant B's delivery (same Slack user id), signed with B's secret, to tenant A's URL.
    let across = app
        .fathom
        .deliver_with(
            CAROL_REC,
            DeliveryOptions {
                destination_url: Some(alice.destination_url.clone()),
                ..Default::default()
            },
        )
        .await;
    one(across, 401);
    assert!(app.take_queued().await.is_empty());
    assert_eq!(followups_used(&app, TEAM).await, 0);

    // Each delivery to its own registration is its own user's, in its own workspace.
    one(app.fathom.deliver(BOB_REC).await, 200);
    one(app.fathom.deliver(CAROL_REC).await, 200);
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 2);
    let jobs: Vec<tenant::JobEnvelope> = queued
        .iter()
        .map(|d| tenant::JobEnvelope::from_json(&d.body).unwrap())
        .collect();
    let of = |recording: u64| {
        jobs.iter()
            .find(|j| matches!(&j.kind, tenant::JobKind::Generate(g) if g.recording == recording))
            .expect("a generation")
    };
    let bobs = of(BOB_REC);
    assert_eq!(bobs.tenant, tenant(TEAM));
    assert_eq!(bobs.slack.user, Some(user(BOB)));
    let carols = of(CAROL_REC);
    assert_eq!(carols.tenant, tenant(OTHER_TEAM));
    assert_eq!(carols.slack.user, Some(user(ALICE)));
    assert_eq!(followups_used(&app, TEAM).await, 1);
    assert_eq!(followups_used(&app, OTHER_TEAM).await, 1);
}

#[tokio::test]
async fn auto_off_deletes_the_webhook_at_fathom_and_a_later_delivery_is_refused() {
    let (app, worker) = three_users().await;
    let hook = turn_on(&app, &worker, TEAM, ALICE).await;
    // A delivery Fathom signed before the webhook was deleted, arriving after.
    let now = jiff::Timestamp::now().as_second();
    let late = app
        .fathom
        .signed_delivery(&hook.id, ALICE_REC, "msg_late_1", now)
        .expect("signed while registered");

    let res = command_as(&app, TEAM, ALICE, "auto off", "off").await;
    assert_eq!(res.status(), 200);
    run_queued(&app, &worker).await;
    assert!(
        answer_to(&app, "off").contains("Automatic follow-ups are off."),
        "{}",
        answer_to(&app, "off")
    );
    assert!(app.fathom.webhooks().is_empty(), "deleted at Fathom");
    let deletes: Vec<_> = app
        .fathom
        .calls_to(fakes::fathom::Endpoint::Webhooks)
        .into_iter()
        .filter(|c| c.path == format!("/webhooks/{}", hook.id))
        .collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].status, 204);
    assert!(webhook_credential(&app, TEAM, ALICE).await.is_none());

    let mut request = app.http.post(&late.destination_url).body(late.body.clone());
    for (name, value) in &late.headers {
        request = request.header(*name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
    assert!(app.take_queued().await.is_empty());

    // Off again: says so, and asks Fathom for nothing.
    command_as(&app, TEAM, ALICE, "auto off", "off-again").await;
    run_queued(&app, &worker).await;
    assert!(answer_to(&app, "off-again").contains("were not on"));
    assert_eq!(
        app.fathom.calls_to(fakes::fathom::Endpoint::Webhooks).len(),
        2,
        "one POST, one DELETE"
    );
}

#[tokio::test]
async fn over_the_quota_a_delivery_dms_the_limit_and_reset_date_and_generates_nothing() {
    let (app, worker) = three_users().await;
    turn_on(&app, &worker, TEAM, ALICE).await;
    // The free plan's 10 follow-ups of the month are used.
    let at = SystemTime::now();
    for _ in 0..10 {
        app.backend
            .usage
            .consume_in(
                &tenant(TEAM),
                FOLLOWUP_COUNTER,
                10,
                WindowSpan::month(at),
                at,
            )
            .await
            .unwrap();
    }

    let sent = one(app.fathom.deliver(ALICE_REC).await, 200);
    one(app.fathom.redeliver(&sent).await, 200);
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 1, "one notice, no generation");
    assert!(
        queued[0].body.contains("\"quota_reached\""),
        "{}",
        queued[0].body
    );
    assert_eq!(
        worker.process(&queued[0].body, 1).await,
        worker::Outcome::Done
    );
    assert_eq!(
        worker.process(&queued[0].body, 2).await,
        worker::Outcome::AlreadyDone
    );

    let posted = app.fake.calls_to("chat.postMessage");
    assert_eq!(posted.len(), 1, "one DM");
    let text = posted[0].body["text"].as_str().unwrap();
    assert!(text.contains("all 10 follow-ups"), "{text}");
    assert!(text.contains("Globex discovery call"), "{text}");
    assert!(text.contains("They come back on"), "{text}");
    assert!(posted[0].body["channel"].as_str().unwrap().starts_with('D'));
    assert!(app.ai.calls().is_empty(), "nothing generated");
    assert_eq!(followups_used(&app, TEAM).await, 10, "nothing more counted");
}

#[tokio::test]
async fn auto_on_without_fathom_says_to_connect_first_and_registers_nothing() {
    let app = spawn_with_fathom(false, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let worker = worker_for(&app);
    assert_eq!(
        command_as(&app, TEAM, ALICE, "auto on", "no-fathom")
            .await
            .status(),
        200
    );
    run_queued(&app, &worker).await;
    assert!(answer_to(&app, "no-fathom").contains("Connect Fathom first"));
    assert!(app.fathom.webhooks().is_empty());
    assert!(webhook_credential(&app, TEAM, ALICE).await.is_none());
    // `/followup auto` alone says how to use it.
    let res = command_as(&app, TEAM, ALICE, "auto", "how").await;
    let answer: serde_json::Value = res.json().await.unwrap();
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("/followup auto on")
    );
}
