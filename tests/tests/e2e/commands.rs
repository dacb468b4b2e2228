//! Slash commands and interactions, from the signed POST to the answer in Slack.

use testkit::RESPONSE_URL;
use testkit::payloads;

use crate::helpers::{WAIT, json, spawn_app, spawn_app_without_worker};

#[tokio::test]
async fn ping_is_acked_at_once_and_the_worker_answers_on_the_response_url() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme Corp").await;

    let res = app.command("T0ACME001", "ping", "ping-1").await;
    assert_eq!(res.status(), 200);
    let ack = json(res).await;
    assert_eq!(ack["response_type"], "ephemeral");
    assert!(ack["text"].as_str().unwrap().contains("Working on it"));

    let posts = app.fake.wait_for(RESPONSE_URL, 1, WAIT).await;
    assert_eq!(posts.len(), 1, "exactly one answer on the response_url");
    assert_eq!(posts[0].path, "/hooks/ping-1");
    let text = posts[0].body["text"].as_str().unwrap();
    assert!(text.contains("Acme Corp"), "names the tenant: {text}");
    assert!(text.contains("round trip"), "says the round trip: {text}");
    assert_eq!(posts[0].body["response_type"], "ephemeral");
    app.stop().await;
}

#[tokio::test]
async fn help_is_answered_synchronously_and_queues_nothing() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    // (`/followup` alone opens the meeting picker: e2e/followup.rs.)
    for text in ["help", "  HELP  "] {
        let res = app.command("T0ACME001", text, "help").await;
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        assert_eq!(body["response_type"], "ephemeral");
        assert!(body["text"].as_str().unwrap().contains("/followup ping"));
    }
    let res = app.command("T0ACME001", "frobnicate", "x").await;
    assert!(
        json(res).await["text"]
            .as_str()
            .unwrap()
            .contains("/followup help")
    );
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_workspace_is_asked_to_reinstall_and_nothing_is_queued() {
    let app = spawn_app_without_worker().await;
    let res = app.command("T0NOBODY1", "ping", "x").await;
    assert_eq!(res.status(), 200);
    assert!(
        json(res).await["text"]
            .as_str()
            .unwrap()
            .contains("reinstall")
    );
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_workspace_gets_a_notice_and_nothing_is_queued() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let id = tenant::TenantId::parse("T0ACME001").unwrap();
    tenant::service::suspend(&app.backend, &id, "operator", 0)
        .await
        .unwrap();

    let res = app.command("T0ACME001", "ping", "x").await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["response_type"], "ephemeral");
    assert!(body["text"].as_str().unwrap().contains("paused"));
    let click = payloads::block_actions("T0ACME001", "U0USER001", "C0CHAN001", "a", "v", "x");
    assert_eq!(
        app.post_signed("/slack/interactions", &click)
            .await
            .status(),
        200
    );
    assert!(app.take_queued().await.is_empty());

    tenant::service::resume(&app.backend, &id, "operator", 0)
        .await
        .unwrap();
    app.command("T0ACME001", "ping", "x").await;
    assert_eq!(
        app.take_queued().await.len(),
        1,
        "queued again once resumed"
    );
    app.stop().await;
}

#[tokio::test]
async fn commands_over_the_plan_rate_limit_get_a_notice_and_are_not_queued() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let limit = tenant::Plan::Free.commands_per_minute() as usize;
    for _ in 0..limit {
        let res = app.command("T0ACME001", "ping", "x").await;
        assert!(
            json(res).await["text"]
                .as_str()
                .unwrap()
                .contains("Working")
        );
    }
    let res = app.command("T0ACME001", "ping", "x").await;
    assert_eq!(res.status(), 200);
    let text = json(res).await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("faster than its plan allows"), "{text}");
    assert_eq!(app.take_queued().await.len(), limit);

    // The limit is per tenant: another workspace is not affected.
    app.install("T0BETA001", "Beta").await;
    let res = app.command("T0BETA001", "ping", "y").await;
    assert!(
        json(res).await["text"]
            .as_str()
            .unwrap()
            .contains("Working")
    );
    app.stop().await;
}

#[tokio::test]
async fn ssl_check_is_answered_with_an_empty_200() {
    let app = spawn_app_without_worker().await;
    let res = app
        .post_signed("/slack/commands", &payloads::ssl_check())
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "");
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_button_click_is_acked_empty_and_confirmed_on_its_response_url() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme").await;
    let url = app.fake.response_url("click-1");
    let click =
        payloads::block_actions("T0ACME001", "U0USER001", "C0CHAN001", "approve", "1", &url);
    let res = app.post_signed("/slack/interactions", &click).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "");
    let posts = app.fake.wait_for(RESPONSE_URL, 1, WAIT).await;
    assert_eq!(posts.len(), 1);
    assert!(posts[0].body["text"].as_str().unwrap().contains("approve"));
    app.stop().await;
}

#[tokio::test]
async fn a_command_or_interaction_replayed_within_the_signature_window_queues_nothing_new() {
    // Before issue 7 each replay of a signed request made a new job with a random id.
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let hook = app.fake.response_url("replayed");
    let command = payloads::slash_command(
        "T0ACME001",
        "U0USER001",
        "C0CHAN001",
        "/followup",
        "ping",
        &hook,
    );
    let click =
        payloads::block_actions("T0ACME001", "U0USER001", "C0CHAN001", "approve", "1", &hook);
    for (path, body) in [
        ("/slack/commands", &command),
        ("/slack/interactions", &click),
    ] {
        for attempt in 0..3 {
            let res = app.post_signed(path, body).await;
            assert_eq!(res.status(), 200, "{path} attempt {attempt}");
        }
    }
    let queued = app.take_queued().await;
    assert_eq!(queued.len(), 2, "one job per request, not per replay");
    // A new request (a new trigger id) is new work.
    let again = payloads::slash_command(
        "T0ACME001",
        "U0USER001",
        "C0CHAN001",
        "/followup",
        "ping",
        &hook,
    );
    app.post_signed("/slack/commands", &again).await;
    assert_eq!(app.take_queued().await.len(), 1);
    app.stop().await;
}
