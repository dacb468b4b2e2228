//! The handler on the in-memory backend, with requests signed as Fathom signs them. The
//! end-to-end tests (tests/tests/e2e/webhooks.rs) run the same through serve's router.

use std::time::SystemTime;

use bytes::Bytes;
use fakes::fathom::WebhookSigner;
use tenant::credential::Credential;
use tenant::ports::update_credential;
use tenant::service::{self, NewInstall};
use tenant::testkit::memory::MemoryStores;
use tenant::testkit::{self, sample_installation};
use tenant::{BotToken, JobKind, Secret, TenantId, UserId};

use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=";
const USER: &str = "U0ALICE01";
const BODY: &str = r#"{"title": "Globex call", "recording_id": 555, "url": "https://fathom.video/x",
  "recording_start_time": "2025-03-01T16:01:12Z", "default_summary": {"markdown_formatted": "Summary: budget risks"}}"#;

struct Setup {
    stores: MemoryStores,
    handler: WebhooksHandler,
    tenant: TenantId,
}

async fn setup() -> Setup {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let tenant = testkit::random_tenant();
    service::install(
        &backend,
        NewInstall {
            installation: sample_installation(&tenant, 1),
            name: "Acme".into(),
            bot: BotToken {
                token: Secret::new("xoxb-webhooks-test"),
                bot_user_id: None,
                bot_id: None,
                scopes: vec![],
                refresh_token: None,
                expires_at: None,
            },
        },
        1,
    )
    .await
    .unwrap();
    let id = CredentialId::for_user(
        tenant.clone(),
        Provider::FathomWebhook,
        UserId::parse(USER).unwrap(),
    );
    update_credential(backend.credentials.as_ref(), &id, |slot| {
        let mut credential = Credential::new(Secret::new(SECRET));
        credential.metadata.webhook_id = Some("whk_1".into());
        *slot = Some(credential);
    })
    .await
    .unwrap();
    let handler = WebhooksHandler::new(backend, Clock::system(), FollowupQuotas::default());
    Setup {
        stores,
        handler,
        tenant,
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A delivery to `registration`'s URL, signed with `secret` at `at`.
fn delivery(registration: &str, secret: &str, id: &str, at: i64, body: &str) -> HttpRequest {
    let signature = WebhookSigner::new(secret)
        .unwrap()
        .sign(id, at, body.as_bytes());
    http::Request::post(format!("/webhooks/fathom?r={registration}"))
        .header("webhook-id", id)
        .header("webhook-timestamp", at.to_string())
        .header("webhook-signature", signature)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn registration(setup: &Setup) -> String {
    format!("{}.{USER}", setup.tenant)
}

#[tokio::test]
async fn a_signed_delivery_queues_one_generation_for_its_user_and_a_resend_none() {
    let s = setup().await;
    let r = registration(&s);
    let first = s
        .handler
        .handle(delivery(&r, SECRET, "msg_1", now_secs(), BODY))
        .await;
    assert_eq!(first.status(), 200);
    let resent = s
        .handler
        .handle(delivery(&r, SECRET, "msg_1", now_secs(), BODY))
        .await;
    assert_eq!(resent.status(), 200);
    let jobs = s.stores.queue.peek_all();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].tenant, s.tenant);
    let JobKind::Generate(generate) = &jobs[0].kind else {
        panic!("{:?}", jobs[0].kind);
    };
    assert_eq!((generate.user.as_str(), generate.recording), (USER, 555));
    assert_eq!(
        generate.meeting_started_at.unwrap().to_string(),
        "2025-03-01T16:01:12Z"
    );
    assert_eq!(generate.usage.map(|u| u.used), Some(1));
    // The job carries no customer text from the body.
    let body = jobs[0].to_json();
    assert!(
        !body.contains("Globex") && !body.contains("budget risks"),
        "{body}"
    );
}

#[tokio::test]
async fn unsigned_or_unknown_deliveries_are_401_and_leave_nothing_behind() {
    let s = setup().await;
    let r = registration(&s);
    let now = now_secs();
    let mut missing = delivery(&r, SECRET, "msg_2", now, BODY);
    missing.headers_mut().remove("webhook-signature");
    let cases = [
        (
            "another secret",
            delivery(&r, OTHER_SECRET, "msg_2", now, BODY),
        ),
        ("stale", delivery(&r, SECRET, "msg_2", now - 301, BODY)),
        (
            "from the future",
            delivery(&r, SECRET, "msg_2", now + 301, BODY),
        ),
        ("no signature", missing),
        (
            "unknown user",
            delivery(
                &format!("{}.U0NOBODY1", s.tenant),
                SECRET,
                "msg_2",
                now,
                BODY,
            ),
        ),
        (
            "unknown tenant",
            delivery("T0NOBODY1.U0ALICE01", SECRET, "msg_2", now, BODY),
        ),
        ("no registration", {
            let mut req = delivery(&r, SECRET, "msg_2", now, BODY);
            *req.uri_mut() = "/webhooks/fathom".parse().unwrap();
            req
        }),
    ];
    for (what, req) in cases {
        let res = s.handler.handle(req).await;
        assert_eq!(res.status(), 401, "{what}");
        assert_eq!(res.body(), "invalid webhook signature", "{what}");
    }
    assert!(s.stores.queue.peek_all().is_empty());
    // Nothing was claimed either: the same id, signed properly, is still accepted.
    let ok = s
        .handler
        .handle(delivery(&r, SECRET, "msg_2", now, BODY))
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(s.stores.queue.peek_all().len(), 1);
}

#[tokio::test]
async fn bad_input_gets_its_own_status_and_queues_nothing() {
    let s = setup().await;
    let r = registration(&s);
    let now = now_secs();
    let big = "x".repeat(app::MAX_BODY_BYTES + 1);
    let cases = [
        (413, delivery(&r, SECRET, "msg_3", now, &big)),
        (400, delivery(&r, SECRET, "msg_3", now, "{not json")),
        (
            400,
            delivery(&r, SECRET, "msg_3", now, r#"{"title": "no id"}"#),
        ),
        (400, delivery(&r, SECRET, "msg 3", now, BODY)),
        (404, {
            let mut req = delivery(&r, SECRET, "msg_3", now, BODY);
            *req.uri_mut() = format!("/webhooks/zoom?r={r}").parse().unwrap();
            req
        }),
    ];
    for (status, req) in cases {
        let res = s.handler.handle(req).await;
        assert_eq!(res.status(), status);
        assert!(
            !res.body().contains("no id"),
            "nothing of the body is echoed"
        );
    }
    assert!(s.stores.queue.peek_all().is_empty());
}

#[tokio::test]
async fn a_store_or_queue_failure_is_a_500_so_the_sender_resends() {
    let s = setup().await;
    let r = registration(&s);
    s.stores.credentials.switch.set_down(true);
    let res = s
        .handler
        .handle(delivery(&r, SECRET, "msg_4", now_secs(), BODY))
        .await;
    assert_eq!(res.status(), 500);
    s.stores.credentials.switch.set_down(false);
    s.stores.queue.switch.set_down(true);
    let res = s
        .handler
        .handle(delivery(&r, SECRET, "msg_4", now_secs(), BODY))
        .await;
    assert_eq!(res.status(), 500);
    s.stores.queue.switch.set_down(false);
    let res = s
        .handler
        .handle(delivery(&r, SECRET, "msg_4", now_secs(), BODY))
        .await;
    assert_eq!(res.status(), 200, "the resend is accepted");
    assert_eq!(s.stores.queue.peek_all().len(), 1);
}

#[tokio::test]
async fn a_suspended_tenant_is_acked_without_work() {
    let s = setup().await;
    let backend = s.stores.backend();
    service::suspend(&backend, &s.tenant, "operator", 2)
        .await
        .unwrap();
    let res = s
        .handler
        .handle(delivery(
            &registration(&s),
            SECRET,
            "msg_5",
            now_secs(),
            BODY,
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert!(s.stores.queue.peek_all().is_empty());
}
