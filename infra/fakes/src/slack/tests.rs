use std::time::Duration;

use serde_json::{Value, json};

use super::*;

const TOKEN: &str = "xoxb-test-token";

async fn post_json(
    fake: &FakeSlack,
    method: &str,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = super::test_client()
        .post(format!("{}/{method}", fake.api_base()))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn post_message_answers_with_a_fresh_ts_per_call_and_records_it() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let body = json!({"channel": "C123", "text": "hello"});
    let first =
        json_of(post_json(&fake, "chat.postMessage", Some(TOKEN), body.clone()).await).await;
    let second = json_of(post_json(&fake, "chat.postMessage", Some(TOKEN), body).await).await;

    assert_eq!(first["ok"], true);
    assert_eq!(first["channel"], "C123");
    assert_eq!(first["message"]["text"], "hello");
    assert_eq!(first["message"]["bot_id"], "B0FAKEBOT");
    assert_eq!(first["ts"], first["message"]["ts"]);
    assert_ne!(first["ts"], second["ts"]);

    let calls = fake.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].path, "/api/chat.postMessage");
    assert_eq!(calls[0].body["text"], "hello");
    assert_eq!(calls[0].token.as_ref().map(|t| t.expose()), Some(TOKEN));
}

#[tokio::test]
async fn form_bodies_and_token_parameters_are_accepted_and_the_token_is_not_kept_in_the_body() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let answer: Value = super::test_client()
        .post(format!("{}/chat.postMessage", fake.api_base()))
        .form(&[("token", TOKEN), ("channel", "U42"), ("text", "hi")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], true);
    // A user id as channel posts into the DM with that user.
    assert!(answer["channel"].as_str().unwrap().starts_with('D'));

    let call = &fake.calls_to("chat.postMessage")[0];
    assert_eq!(call.token.as_ref().map(|t| t.expose()), Some(TOKEN));
    assert_eq!(call.body, json!({"channel": "U42", "text": "hi"}));
    assert!(
        !format!("{call:?}").contains(TOKEN),
        "Debug of a call must not show the token"
    );
}

#[tokio::test]
async fn missing_unknown_and_revoked_tokens_get_slacks_auth_errors() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    fake.add_token("xoxb-to-revoke");
    fake.revoke_token("xoxb-to-revoke");
    let body = json!({"channel": "C1", "text": "x"});

    let none = post_json(&fake, "chat.postMessage", None, body.clone()).await;
    assert_eq!(none.status(), 200);
    assert_eq!(
        json_of(none).await,
        json!({"ok": false, "error": "not_authed"})
    );
    let unknown = post_json(&fake, "chat.postMessage", Some("xoxb-nope"), body.clone()).await;
    assert_eq!(
        json_of(unknown).await,
        json!({"ok": false, "error": "invalid_auth"})
    );
    let revoked = post_json(&fake, "chat.postMessage", Some("xoxb-to-revoke"), body).await;
    assert_eq!(
        json_of(revoked).await,
        json!({"ok": false, "error": "token_revoked"})
    );
    assert_eq!(
        fake.calls_to("chat.postMessage").len(),
        3,
        "refused calls are recorded too"
    );
}

#[tokio::test]
async fn rate_limit_failure_answers_429_with_retry_after_once_then_recovers() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    fake.fail_next(
        "chat.postMessage",
        Failure::RateLimited {
            retry_after_secs: 7,
        },
    );
    let body = json!({"channel": "C1", "text": "x"});

    let limited = post_json(&fake, "chat.postMessage", Some(TOKEN), body.clone()).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(json_of(limited).await["error"], "ratelimited");

    let after = post_json(&fake, "chat.postMessage", Some(TOKEN), body).await;
    assert_eq!(after.status(), 200);
    assert_eq!(json_of(after).await["ok"], true);
}

#[tokio::test]
async fn status_and_not_ok_failures_apply_to_the_next_n_calls_of_that_method_only() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    fake.fail_next_n("chat.postMessage", 2, Failure::Status(500));
    fake.fail_next("chat.postMessage", Failure::NotOk("channel_not_found"));
    let body = json!({"channel": "C1", "text": "x"});

    // Another method is unaffected.
    let auth = json_of(post_json(&fake, "auth.test", Some(TOKEN), json!({})).await).await;
    assert_eq!(auth["ok"], true);

    for _ in 0..2 {
        let failed = post_json(&fake, "chat.postMessage", Some(TOKEN), body.clone()).await;
        assert_eq!(failed.status(), 500);
    }
    let not_ok = post_json(&fake, "chat.postMessage", Some(TOKEN), body.clone()).await;
    assert_eq!(not_ok.status(), 200);
    assert_eq!(
        json_of(not_ok).await,
        json!({"ok": false, "error": "channel_not_found"})
    );
    let fine = post_json(&fake, "chat.postMessage", Some(TOKEN), body).await;
    assert_eq!(json_of(fine).await["ok"], true);
}

#[tokio::test]
async fn response_urls_record_their_path_and_body_and_can_fail() {
    let fake = FakeSlack::start().await;
    fake.fail_next(RESPONSE_URL, Failure::Status(503));
    let url = fake.response_url("commands/T1/1/abc");
    let client = super::test_client();

    let failed = client
        .post(&url)
        .json(&json!({"text": "one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 503);
    let ok = client
        .post(&url)
        .json(&json!({"text": "two"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let calls = fake.calls_to(RESPONSE_URL);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].path, "/hooks/commands/T1/1/abc");
    assert_eq!(calls[1].body["text"], "two");
    assert!(calls[1].token.is_none());
}

#[tokio::test]
async fn wait_for_returns_what_arrived_when_the_timeout_passes() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    post_json(&fake, "auth.test", Some(TOKEN), json!({})).await;
    let started = Instant::now();
    let calls = fake
        .wait_for("auth.test", 2, Duration::from_millis(100))
        .await;
    assert_eq!(calls.len(), 1);
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(
        fake.wait_for("chat.update", 1, Duration::from_millis(20))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn conversations_open_gives_one_stable_dm_per_user() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let first = json_of(
        post_json(
            &fake,
            "conversations.open",
            Some(TOKEN),
            json!({"users": "U1"}),
        )
        .await,
    )
    .await;
    let again = json_of(
        post_json(
            &fake,
            "conversations.open",
            Some(TOKEN),
            json!({"users": "U1"}),
        )
        .await,
    )
    .await;
    let other = json_of(
        post_json(
            &fake,
            "conversations.open",
            Some(TOKEN),
            json!({"users": "U2"}),
        )
        .await,
    )
    .await;
    let none = json_of(post_json(&fake, "conversations.open", Some(TOKEN), json!({})).await).await;

    assert_eq!(first["ok"], true);
    assert!(first["channel"]["id"].as_str().unwrap().starts_with('D'));
    assert_eq!(again["channel"]["id"], first["channel"]["id"]);
    assert_eq!(again["already_open"], true);
    assert_ne!(other["channel"]["id"], first["channel"]["id"]);
    assert_eq!(none["error"], "users_list_not_supplied");
}

#[tokio::test]
async fn auth_test_and_views_publish_answer_for_the_tokens_identity() {
    let fake = FakeSlack::start().await;
    let identity = BotIdentity {
        team_id: "T777".into(),
        enterprise_id: Some("E777".into()),
        bot_id: "B777".into(),
        ..BotIdentity::default()
    };
    fake.add_token_for(TOKEN, identity);
    let auth = json_of(post_json(&fake, "auth.test", Some(TOKEN), json!({})).await).await;
    assert_eq!(auth["team_id"], "T777");
    assert_eq!(auth["bot_id"], "B777");
    assert_eq!(auth["enterprise_id"], "E777");

    // views.publish with a form body carries the view as a JSON string.
    let view = json!({"type": "home", "blocks": [{"type": "section"}]}).to_string();
    let published: Value = super::test_client()
        .post(format!("{}/views.publish", fake.api_base()))
        .bearer_auth(TOKEN)
        .form(&[("user_id", "U1"), ("view", view.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(published["ok"], true);
    assert_eq!(published["view"]["type"], "home");
    assert_eq!(published["view"]["blocks"][0]["type"], "section");
    let modal = json!({"user_id": "U1", "view": {"type": "modal"}});
    let refused = json_of(post_json(&fake, "views.publish", Some(TOKEN), modal).await).await;
    assert_eq!(refused["error"], "invalid_arguments");
}

#[tokio::test]
async fn each_users_home_is_kept_per_workspace_token_and_replaced_by_the_next_publish() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    fake.add_token("xoxb-other-workspace");
    let home = |text: &str| json!({"type": "home", "blocks": [{"type": "section", "text": text}]});
    for (token, user, text) in [
        (TOKEN, "U1", "first"),
        (TOKEN, "U1", "second"),
        (TOKEN, "U2", "theirs"),
        ("xoxb-other-workspace", "U1", "elsewhere"),
    ] {
        let body = json!({"user_id": user, "view": home(text)});
        let answer = json_of(post_json(&fake, "views.publish", Some(token), body).await).await;
        assert_eq!(answer["ok"], true);
    }
    assert_eq!(fake.home(TOKEN, "U1"), Some(home("second")));
    assert_eq!(fake.home(TOKEN, "U2"), Some(home("theirs")));
    assert_eq!(
        fake.home("xoxb-other-workspace", "U1"),
        Some(home("elsewhere"))
    );
    assert_eq!(fake.home(TOKEN, "U3"), None);
    // A refused publish changes nothing.
    let modal = json!({"user_id": "U1", "view": {"type": "modal"}});
    post_json(&fake, "views.publish", Some(TOKEN), modal).await;
    assert_eq!(fake.home(TOKEN, "U1"), Some(home("second")));
}

#[tokio::test]
async fn ephemeral_messages_are_shown_to_their_user_only_and_kept_for_tests() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let body = json!({"channel": "C1", "user": "U1", "text": "only you", "thread_ts": "1.2"});
    let answer = json_of(post_json(&fake, "chat.postEphemeral", Some(TOKEN), body).await).await;
    assert_eq!(answer["ok"], true);
    assert!(answer["message_ts"].as_str().is_some());
    let shown = fake.ephemerals("U1");
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["channel"], "C1");
    assert_eq!(shown[0]["text"], "only you");
    assert_eq!(shown[0]["thread_ts"], "1.2");
    assert!(fake.ephemerals("U2").is_empty());
    // Nothing is posted to the channel: it is not in the history.
    assert!(fake.messages("C1").is_empty());
    let no_user = json!({"channel": "C1", "text": "x"});
    let refused = json_of(post_json(&fake, "chat.postEphemeral", Some(TOKEN), no_user).await).await;
    assert_eq!(refused["error"], "user_not_in_channel");
    assert_eq!(fake.ephemerals("U1").len(), 1);
}

#[tokio::test]
async fn bad_json_and_unknown_methods_are_refused_like_slack() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let bad: Value = super::test_client()
        .post(format!("{}/chat.postMessage", fake.api_base()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bad["error"], "invalid_json");
    let unknown = json_of(post_json(&fake, "chat.nope", Some(TOKEN), json!({})).await).await;
    assert_eq!(unknown["error"], "unknown_method");
    let no_text = json_of(
        post_json(
            &fake,
            "chat.postMessage",
            Some(TOKEN),
            json!({"channel": "C1"}),
        )
        .await,
    )
    .await;
    assert_eq!(no_text["error"], "no_text");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let fake = FakeSlack::start().await;
    let base = fake.api_base();
    fake.shutdown().await;
    let result = super::test_client()
        .post(format!("{base}/auth.test"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(result.is_err(), "the port must no longer answer");
}

fn modal(title: &str) -> Value {
    json!({
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Loading…"}}],
    })
}

#[tokio::test]
async fn a_trigger_opens_one_modal_and_updates_follow_its_hash() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let web = slack::WebApi::new(&fake.api_base(), &fake.response_base()).unwrap();
    let token = Secret::new(TOKEN.to_owned());

    let opened = web
        .open_view(&token, "trig.1", &modal("Follow-up"))
        .await
        .unwrap();
    let again = web.open_view(&token, "trig.1", &modal("Follow-up")).await;
    assert!(
        matches!(&again, Err(slack::SlackApiError::Api { error }) if error == "exchanged_trigger_id"),
        "{again:?}"
    );

    let stale = opened.hash.clone();
    let updated = web
        .update_view(
            &token,
            &opened.id,
            stale.as_deref(),
            &modal("Pick a meeting"),
        )
        .await
        .unwrap();
    assert_eq!(updated.id, opened.id);
    assert_ne!(updated.hash, opened.hash);
    assert_eq!(
        fake.modal(&opened.id).unwrap()["title"]["text"],
        "Pick a meeting"
    );

    // The hash of the first version no longer matches: the update would overwrite a newer view.
    let conflict = web
        .update_view(&token, &opened.id, stale.as_deref(), &modal("Old"))
        .await;
    assert!(
        matches!(&conflict, Err(slack::SlackApiError::Api { error }) if error == "hash_conflict"),
        "{conflict:?}"
    );
    let unknown = web.update_view(&token, "V0NOPE", None, &modal("X")).await;
    assert!(matches!(&unknown, Err(slack::SlackApiError::Api { error }) if error == "not_found"));
}

#[tokio::test]
async fn modals_that_break_slacks_limits_are_refused() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let web = slack::WebApi::new(&fake.api_base(), &fake.response_base()).unwrap();
    let token = Secret::new(TOKEN.to_owned());
    let long_title = modal("A title longer than twenty-four");
    let mut input_without_submit = modal("Connect");
    input_without_submit["blocks"] = json!([{"type": "input", "label": {"type": "plain_text", "text": "Key"},
        "element": {"type": "plain_text_input", "action_id": "key"}}]);
    for (n, view) in [long_title, input_without_submit].iter().enumerate() {
        let refused = web.open_view(&token, &format!("trig.{n}"), view).await;
        assert!(
            matches!(&refused, Err(slack::SlackApiError::Api { error }) if error == "invalid_arguments"),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn users_info_reports_the_members_time_zone_and_role() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    fake.add_user("U0ROME", "Europe/Rome", 3600, true);
    let web = slack::WebApi::new(&fake.api_base(), &fake.response_base()).unwrap();
    let token = Secret::new(TOKEN.to_owned());

    let info = web
        .user_info(&token, &tenant::UserId::parse("U0ROME").unwrap())
        .await
        .unwrap();
    assert_eq!(info.tz.as_deref(), Some("Europe/Rome"));
    assert_eq!(info.tz_offset, Some(3600));
    assert!(info.is_admin);
    let missing = web
        .user_info(&token, &tenant::UserId::parse("U0NOBODY").unwrap())
        .await;
    assert!(
        matches!(&missing, Err(slack::SlackApiError::Api { error }) if error == "user_not_found")
    );
    assert_eq!(fake.calls_to("users.info")[0].body["user"], "U0ROME");
}

#[tokio::test]
async fn chat_update_changes_the_posted_message_in_place_and_keeps_its_metadata() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let dm = fake.dm_channel("U0USER001");
    let posted = json_of(
        post_json(
            &fake,
            "chat.postMessage",
            Some(TOKEN),
            json!({"channel": "U0USER001", "text": "Generating…",
                   "metadata": {"event_type": "job", "event_payload": {"id": "j1"}}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        posted["channel"],
        dm.as_str(),
        "a user id posts into their DM"
    );
    let ts = posted["ts"].as_str().unwrap().to_owned();
    let updated = json_of(
        post_json(
            &fake,
            "chat.update",
            Some(TOKEN),
            json!({"channel": dm, "ts": ts, "text": "Ready",
                   "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Ready"}}]}),
        )
        .await,
    )
    .await;
    assert_eq!(updated["ok"], true);

    let messages = fake.messages(&dm);
    assert_eq!(messages.len(), 1, "updated, not posted again: {messages:?}");
    assert_eq!(messages[0]["text"], "Ready");
    assert_eq!(messages[0]["ts"], ts.as_str());
    assert_eq!(messages[0]["blocks"][0]["text"]["text"], "Ready");
    assert_eq!(messages[0]["metadata"]["event_payload"]["id"], "j1");
    assert!(fake.messages("D0OTHER").is_empty());
}

#[tokio::test]
async fn a_modal_replaced_or_closed_as_slack_does_after_a_submission() {
    let fake = FakeSlack::start().await;
    fake.add_token(TOKEN);
    let web = slack::WebApi::new(&fake.api_base(), &fake.response_base()).unwrap();
    let token = Secret::new(TOKEN.to_owned());
    let opened = web
        .open_view(&token, "trig.9", &modal("Follow-up"))
        .await
        .unwrap();
    assert_eq!(fake.opened_modals(), vec![opened.id.clone()]);
    let (_, first_hash) = fake.modal_with_hash(&opened.id).unwrap();

    let new_hash = fake.replace_modal(&opened.id, modal("Connect")).unwrap();
    assert_ne!(new_hash, first_hash);
    let (view, hash) = fake.modal_with_hash(&opened.id).unwrap();
    assert_eq!(view["title"]["text"], "Connect");
    assert_eq!(hash, new_hash);

    fake.close_modal(&opened.id);
    assert!(fake.modal(&opened.id).is_none());
    assert!(fake.replace_modal(&opened.id, modal("Late")).is_none());
    let late = web
        .update_view(&token, &opened.id, None, &modal("Late"))
        .await;
    assert!(
        matches!(&late, Err(slack::SlackApiError::Api { error }) if error == "not_found"),
        "{late:?}"
    );
}
