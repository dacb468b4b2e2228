//! Every bad input gets its documented answer and queues nothing.

use testkit::payloads;
use testkit::signer::{now, sign};

use crate::helpers::{SECRET, TestApp, spawn_app_without_worker};

/// POSTs with explicit signature headers (or none).
async fn post(
    app: &TestApp,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> reqwest::StatusCode {
    let mut req = app.http.post(format!("{}{path}", app.base)).body(body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.expect("request").status()
}

/// A bad request: what it is, its body, its headers, the status it must get.
type Case = (&'static str, Vec<u8>, Vec<(&'static str, String)>, u16);

fn signed(body: &[u8], at: i64, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-slack-request-timestamp", at.to_string()),
        ("x-slack-signature", sign(secret, body, at)),
    ]
}

#[tokio::test]
async fn bad_requests_get_their_status_and_nothing_is_queued() {
    let app = spawn_app_without_worker().await;
    app.install("T0ACME001", "Acme").await;
    let mention = payloads::app_mention(
        "T0ACME001",
        &payloads::event_id(),
        "U0USER001",
        "C0CHAN001",
        "hi",
    )
    .into_bytes();
    let command = payloads::slash_command(
        "T0ACME001",
        "U0USER001",
        "C0CHAN001",
        "/followup",
        "ping",
        &app.fake.response_url("x"),
    )
    .into_bytes();
    let huge = vec![b'a'; app::MAX_BODY_BYTES + 1];
    // The exact 300 s boundary is unit-tested with a fixed clock (shared/slack); here the
    // margin keeps a second ticking over mid-test from changing the answer.
    let t = now();

    for path in ["/slack/events", "/slack/commands", "/slack/interactions"] {
        let good = if path == "/slack/events" {
            &mention
        } else {
            &command
        };
        let cases: Vec<Case> = vec![
            ("no signature headers", good.clone(), vec![], 401),
            (
                "signature but no timestamp",
                good.clone(),
                vec![("x-slack-signature", sign(SECRET, good, t))],
                401,
            ),
            (
                "wrong secret",
                good.clone(),
                signed(good, t, "another-secret"),
                401,
            ),
            (
                "timestamp 6 minutes old",
                good.clone(),
                signed(good, t - 360, SECRET),
                401,
            ),
            (
                "timestamp 6 minutes ahead",
                good.clone(),
                signed(good, t + 360, SECRET),
                401,
            ),
            (
                "body changed after signing",
                [good.as_slice(), b"&x=1"].concat(),
                signed(good, t, SECRET),
                401,
            ),
            (
                "garbage signature",
                good.clone(),
                vec![
                    ("x-slack-request-timestamp", t.to_string()),
                    ("x-slack-signature", "v0=zz".into()),
                ],
                401,
            ),
            (
                "body over 1 MiB",
                huge.clone(),
                signed(&huge, t, SECRET),
                413,
            ),
            (
                "signed garbage",
                b"{not json".to_vec(),
                signed(b"{not json", t, SECRET),
                400,
            ),
            (
                "signed but missing fields",
                b"{\"type\":\"event_callback\"}".to_vec(),
                signed(b"{\"type\":\"event_callback\"}", t, SECRET),
                400,
            ),
        ];
        for (name, body, headers, want) in cases {
            let got = post(&app, path, body, &headers).await;
            assert_eq!(got.as_u16(), want, "{path}: {name}");
        }
    }

    // Form routes: a payload that is not JSON, and a command with a malformed team id.
    let bad_payload = b"payload=%7Bnot-json".to_vec();
    let got = post(
        &app,
        "/slack/interactions",
        bad_payload.clone(),
        &signed(&bad_payload, t, SECRET),
    )
    .await;
    assert_eq!(got.as_u16(), 400, "interaction payload that is not JSON");
    let bad_team = payloads::slash_command(
        "not-a-team",
        "U0USER001",
        "C0CHAN001",
        "/followup",
        "ping",
        "x",
    )
    .into_bytes();
    let got = post(
        &app,
        "/slack/commands",
        bad_team.clone(),
        &signed(&bad_team, t, SECRET),
    )
    .await;
    assert_eq!(got.as_u16(), 400, "malformed team id");

    // Unknown routes and wrong methods.
    let got = post(
        &app,
        "/slack/nope",
        mention.clone(),
        &signed(&mention, t, SECRET),
    )
    .await;
    assert_eq!(got.as_u16(), 404);
    let got = app
        .http
        .get(format!("{}/slack/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 405);
    let got = app.http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 404);

    assert!(
        app.take_queued().await.is_empty(),
        "no bad request queued anything"
    );
    app.stop().await;
}

#[tokio::test]
async fn error_bodies_never_echo_the_request() {
    let app = spawn_app_without_worker().await;
    let body = b"token=xoxb-secret-looking-value&command=%2Ffollowup".to_vec();
    let res = app
        .http
        .post(format!("{}/slack/commands", app.base))
        .header("x-slack-request-timestamp", now().to_string())
        .header("x-slack-signature", "v0=00")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let text = res.text().await.unwrap();
    assert!(!text.contains("xoxb"), "{text}");
    app.stop().await;
}
