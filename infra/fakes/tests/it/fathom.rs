use fakes::fathom::{
    FakeFathom, FakeMeeting, FakeUser, FathomData, SAMPLE_KEY_ALICE, SAMPLE_KEY_MARCO,
    WebhookSigner,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::client;

async fn get(
    fake: &FakeFathom,
    path: &str,
    key: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = client().get(format!("{}{path}", fake.api_url()));
    if let Some(key) = key {
        request = request.header("X-Api-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn the_sample_gives_each_key_its_own_meetings_in_the_documented_shape() {
    let fake = FakeFathom::start(FathomData::sample(Timestamp::now()))
        .await
        .unwrap();

    let (status, headers, page) = get(&fake, "/meetings", Some(SAMPLE_KEY_ALICE)).await;

    assert_eq!(status, 200);
    assert_eq!(page["limit"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_cursor"], "eyJwYWdlX251bSI6Mn0=");
    let meeting = &page["items"][0];
    for field in [
        "title",
        "recording_id",
        "url",
        "share_url",
        "created_at",
        "recording_start_time",
        "recording_end_time",
        "transcript_language",
        "calendar_invitees",
        "recorded_by",
    ] {
        assert!(!meeting[field].is_null(), "{field} missing");
    }
    assert_eq!(
        meeting["transcript"],
        Value::Null,
        "only with include_transcript"
    );
    assert_eq!(headers["ratelimit-limit"], "60");
    assert_eq!(headers["ratelimit-remaining"], "59");
    let (_, _, last) = get(
        &fake,
        "/meetings?cursor=eyJwYWdlX251bSI6Mn0=",
        Some(SAMPLE_KEY_ALICE),
    )
    .await;
    assert_eq!(
        last["items"].as_array().unwrap().len(),
        1,
        "Alice has four meetings"
    );
    assert_eq!(last["next_cursor"], Value::Null);

    let (_, _, marco) = get(
        &fake,
        "/meetings?include_transcript=true",
        Some(SAMPLE_KEY_MARCO),
    )
    .await;
    let items = marco["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|m| m["transcript_language"] == "it"));
    assert!(
        items[0]["calendar_invitees"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["is_external"] == true)
    );
    assert!(
        items[0]["transcript"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Grazie")
    );
}

#[tokio::test]
async fn wrong_keys_bad_cursors_and_foreign_recordings_are_refused() {
    let fake = FakeFathom::start(FathomData::sample(Timestamp::now()))
        .await
        .unwrap();

    assert_eq!(get(&fake, "/meetings", None).await.0, 401);
    assert_eq!(get(&fake, "/meetings", Some("nope")).await.0, 401);
    assert_eq!(
        get(&fake, "/meetings?cursor=%%%", Some(SAMPLE_KEY_ALICE))
            .await
            .0,
        400
    );
    assert_eq!(
        get(
            &fake,
            "/meetings?created_after=yesterday",
            Some(SAMPLE_KEY_ALICE)
        )
        .await
        .0,
        400
    );
    // Marco's recording through Alice's key.
    assert_eq!(
        get(
            &fake,
            "/recordings/223456001/transcript",
            Some(SAMPLE_KEY_ALICE)
        )
        .await
        .0,
        404
    );
    let (status, _, body) = get(
        &fake,
        "/recordings/223456001/transcript",
        Some(SAMPLE_KEY_MARCO),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["transcript"][0]["timestamp"], "00:00:05");
    let (_, _, async_mode) = get(
        &fake,
        "/recordings/223456001/transcript?destination_url=https://example.com/cb",
        Some(SAMPLE_KEY_MARCO),
    )
    .await;
    assert_eq!(
        async_mode,
        json!({"destination_url": "https://example.com/cb"})
    );
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![401, 401, 400, 400, 404, 200, 200]);
}

#[tokio::test]
async fn oauth_tokens_cannot_ask_for_transcripts_in_the_listing() {
    let user = FakeUser::new("Bob", "bob@acme.test")
        .oauth_token("oauth-bob")
        .meeting(FakeMeeting::new(1, "Call", Timestamp::now()));
    let fake = FakeFathom::start(FathomData::new().user(user))
        .await
        .unwrap();
    let get_bearer = |path: &str| {
        client()
            .get(format!("{}{path}", fake.api_url()))
            .bearer_auth("oauth-bob")
            .send()
    };

    assert_eq!(get_bearer("/meetings").await.unwrap().status(), 200);
    assert_eq!(
        get_bearer("/meetings?include_transcript=true")
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn webhooks_register_with_a_secret_that_signs_verifiable_deliveries() {
    let fake = FakeFathom::start(FathomData::sample(Timestamp::now()))
        .await
        .unwrap();
    let post = |body: Value| {
        client()
            .post(format!("{}/webhooks", fake.api_url()))
            .header("X-Api-Key", SAMPLE_KEY_MARCO)
            .json(&body)
            .send()
    };
    let no_includes = json!({"destination_url": "https://app.test/webhooks/fathom", "triggered_for": ["my_recordings"]});
    assert_eq!(post(no_includes).await.unwrap().status(), 400);
    let no_trigger = json!({"destination_url": "https://app.test/webhooks/fathom", "triggered_for": [], "include_transcript": true});
    assert_eq!(post(no_trigger).await.unwrap().status(), 400);

    let response = post(json!({
        "destination_url": "https://app.test/webhooks/fathom",
        "triggered_for": ["my_recordings"],
        "include_transcript": true,
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let id = created["id"].as_str().unwrap();

    let delivery = fake
        .signed_delivery(id, 223_456_001, "msg_test1", 1_764_583_200)
        .unwrap();
    let header = |name: &str| {
        delivery
            .headers
            .iter()
            .find(|(k, _)| *k == name)
            .unwrap()
            .1
            .clone()
    };
    let signer = WebhookSigner::new(secret).unwrap();
    assert!(signer.verify(
        "msg_test1",
        &header("webhook-timestamp"),
        &header("webhook-signature"),
        delivery.body.as_bytes(),
        1_764_583_260
    ));
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["recording_id"], 223_456_001);
    assert!(body["transcript"].is_array());
    assert!(
        fake.signed_delivery(id, 123_456_789, "msg_x", 0).is_none(),
        "Alice's meeting is not Marco's"
    );
    assert!(!format!("{:?}", fake.webhooks()).contains(secret));

    let delete = |id: String| {
        client()
            .delete(format!("{}/webhooks/{id}", fake.api_url()))
            .header("X-Api-Key", SAMPLE_KEY_MARCO)
            .send()
    };
    assert_eq!(delete(id.to_owned()).await.unwrap().status(), 204);
    assert_eq!(delete(id.to_owned()).await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_stopped_fake_refuses_connections() {
    let fake = FakeFathom::start(FathomData::new()).await.unwrap();
    let url = format!("{}/meetings", fake.api_url());
    fake.stop().await;

    let err = client().get(url).send().await.unwrap_err();

    assert!(err.is_connect(), "{err}");
}

/// What a receiver got: the three Standard Webhooks headers and the body.
#[derive(Debug, Clone)]
struct Received {
    id: Option<String>,
    timestamp: Option<String>,
    signature: Option<String>,
    body: String,
}

/// A receiver on 127.0.0.1 that records every POST and answers 204.
async fn receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    tokio::task::JoinHandle<()>,
) {
    use axum::http::HeaderMap;
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = got.clone();
    let app = axum::Router::new().route(
        "/webhooks/fathom",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                store.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body,
                });
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/webhooks/fathom?r=T0ACME.U0MARCO",
        listener.local_addr().unwrap()
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got, task)
}

#[tokio::test]
async fn deliver_posts_a_signed_meeting_to_the_registered_url_and_resends_with_the_same_id() {
    let fake = FakeFathom::start(FathomData::sample(Timestamp::now()))
        .await
        .unwrap();
    let (url, got, task) = receiver().await;
    let created: Value = client()
        .post(format!("{}/webhooks", fake.api_url()))
        .header("X-Api-Key", SAMPLE_KEY_MARCO)
        .json(
            &json!({"destination_url": url, "triggered_for": ["my_recordings"],
                      "include_summary": true, "include_transcript": false}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook = &fake.webhooks()[0];
    assert_eq!(hook.triggered_for, ["my_recordings"]);
    assert!(hook.include_summary && !hook.include_transcript);
    let signer = WebhookSigner::new(created["secret"].as_str().unwrap()).unwrap();
    let now = Timestamp::now().as_second();

    assert!(
        fake.deliver(123_456_789).await.is_empty(),
        "Alice has no webhook"
    );
    let sent = fake.deliver(223_456_001).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status, 204);
    assert_eq!(sent[0].destination_url, url);
    let resent = fake.redeliver(&sent[0]).await;
    assert_eq!(resent[0].message_id, sent[0].message_id);
    let wrong = fake
        .deliver_with(
            223_456_001,
            fakes::fathom::DeliveryOptions {
                secret: Some("whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=".into()),
                omit: vec!["webhook-timestamp"],
                ..Default::default()
            },
        )
        .await;
    assert_ne!(wrong[0].message_id, sent[0].message_id, "a fresh id");

    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    for received in &got[..2] {
        assert_eq!(received.id.as_deref(), Some(sent[0].message_id.as_str()));
        assert!(signer.verify(
            received.id.as_deref().unwrap(),
            received.timestamp.as_deref().unwrap(),
            received.signature.as_deref().unwrap(),
            received.body.as_bytes(),
            now,
        ));
    }
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["recording_id"], 223_456_001);
    assert!(body["transcript"].is_null(), "not asked for");
    assert!(body["default_summary"]["markdown_formatted"].is_string());
    assert_eq!(got[2].timestamp, None, "left out");
    task.abort();
}
