//! Events API: url_verification, the thread reply to a mention, dedupe of Slack's retries.

use serde_json::json;
use testkit::payloads;

use crate::helpers::{WAIT, json, spawn_app, spawn_app_without_worker};

#[tokio::test]
async fn url_verification_is_answered_with_the_challenge() {
    let app = spawn_app_without_worker().await;
    let res = app
        .post_signed(
            "/slack/events",
            &payloads::url_verification("3eZbrw1aBm2rZgRN"),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["challenge"], "3eZbrw1aBm2rZgRN");
    app.stop().await;
}

#[tokio::test]
async fn a_mention_gets_a_reply_in_its_thread_with_the_tenants_bot_token() {
    let app = spawn_app().await;
    let token = app.install("T0ACME001", "Acme").await;
    let ts = "1700000000.000100";
    // A mention with no question: how to ask, in its thread (the answer to a question is the
    // asker's alone: e2e/mention.rs).
    let event = payloads::app_mention_event("U0USER001", "C0CHAN001", "<@U0FAKEBOT>", ts);
    let body = payloads::event_callback("T0ACME001", &payloads::event_id(), event);
    let res = app.post_signed("/slack/events", &body).await;
    assert_eq!(res.status(), 200);

    let posts = app.fake.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(
        post.token.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    assert_eq!(post.body["channel"], "C0CHAN001");
    assert_eq!(post.body["thread_ts"], ts);
    assert!(post.body["text"].as_str().unwrap().contains("<@U0USER001>"));
    app.stop().await;
}

#[tokio::test]
async fn a_mention_inside_a_thread_is_answered_in_that_thread() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme").await;
    let mut event =
        payloads::app_mention_event("U0USER001", "C0CHAN001", "hi", "1700000001.000200");
    event["thread_ts"] = json!("1700000000.000100");
    let body = payloads::event_callback("T0ACME001", &payloads::event_id(), event);
    app.post_signed("/slack/events", &body).await;
    // "hi" is a question: answered to the asker alone, in that thread.
    let shown = app.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(shown[0].body["thread_ts"], "1700000000.000100");
    assert_eq!(shown[0].body["user"], "U0USER001");
    app.stop().await;
}

#[tokio::test]
async fn slack_retries_of_one_event_are_acked_and_queued_once() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let body = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    for retry in 0..4 {
        let mut req = app
            .http
            .post(format!("{}/slack/events", app.base))
            .headers(testkit::signer::signed_headers(
                crate::helpers::SECRET,
                body.as_bytes(),
                testkit::signer::now(),
            ))
            .body(body.clone());
        if retry > 0 {
            req = req
                .header("x-slack-retry-num", retry.to_string())
                .header("x-slack-retry-reason", "http_timeout");
        }
        assert_eq!(req.send().await.unwrap().status(), 200, "delivery {retry}");
    }
    assert_eq!(app.take_queued().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_post_once() {
    let app = spawn_app().await;
    app.install("T0ACME001", "Acme").await;
    let body = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    let sends = (0..8).map(|_| app.post_signed("/slack/events", &body));
    let statuses: Vec<u16> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    // One delivery wins; the others are acked as duplicates or told to retry (503) while the
    // winner is still accepting: never queued twice.
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200));
    let shown = app.fake.wait_for("chat.postEphemeral", 1, WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.fake.calls_to("chat.postEphemeral").len(),
        1,
        "{shown:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn events_of_unknown_or_suspended_workspaces_are_acked_and_dropped() {
    let app = spawn_app_without_worker().await;
    let unknown = payloads::app_mention(
        "T0NOBODY1",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    assert_eq!(
        app.post_signed("/slack/events", &unknown).await.status(),
        200
    );

    app.install("T0ACME001", "Acme").await;
    let id = tenant::TenantId::parse("T0ACME001").unwrap();
    tenant::service::suspend(&app.backend, &id, "operator", 0)
        .await
        .unwrap();
    let mention = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    assert_eq!(
        app.post_signed("/slack/events", &mention).await.status(),
        200
    );
    assert!(app.take_queued().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_bots_own_events_are_ignored() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    // A mention written by our own bot user (e.g. it quoted itself).
    let own = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        payloads::BOT_USER_ID,
        "C0CHAN001",
        "hi",
    );
    assert_eq!(app.post_signed("/slack/events", &own).await.status(), 200);
    // A message event carrying our bot id.
    let event = json!({"type": "app_mention", "bot_id": "B0FAKEBOT", "text": "hi", "ts": "1.2",
        "channel": "C0CHAN001", "event_ts": "1.2"});
    let body = payloads::event_callback("T0ACME001", &payloads::event_id(), event);
    assert_eq!(app.post_signed("/slack/events", &body).await.status(), 200);
    assert!(app.take_queued().await.is_empty());

    // Someone else's mention is queued.
    let other = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    );
    app.post_signed("/slack/events", &other).await;
    assert_eq!(app.take_queued().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn opening_the_home_tab_publishes_the_workspaces_home_view() {
    let app = spawn_app().await;
    let token = app.install("T0ACME001", "Acme Corp").await;
    let res = app
        .post_signed(
            "/slack/events",
            &payloads::app_home_opened("T0ACME001", "U0USER001"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let calls = app.fake.wait_for("views.publish", 1, WAIT).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].token.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    assert_eq!(calls[0].body["user_id"], "U0USER001");
    let view = calls[0].body["view"].to_string();
    assert!(
        view.contains("Acme Corp") && view.contains("Active") && view.contains("Free"),
        "{view}"
    );
    app.stop().await;
}
