//! The handler on the in-memory backend, the memory CRM directory and `MemoryCrm` (in
//! `CountedSearches`, to count calls and hold one open), with requests signed as Slack signs
//! them. The end-to-end tests (tests/tests/e2e/options.rs) run the same through serve's router on FakeHubSpot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use app::ui::ids;
use bytes::Bytes;
use followup::crm::CrmKind;
use followup::ports::{CrmConnection, update_settings};
use followup::testkit::MemoryCrmDirectory;
use followup::testkit::crm::{CountedSearches, CrmFixture, MemoryCrm};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::job::CrmJob;
use tenant::ports::update_credential;
use tenant::testkit::memory::MemoryStores;
use tenant::testkit::{install_sample, random_tenant};
use tenant::{JobKind, Secret, UserId};

use super::*;

const SECRET: &str = "options-test-signing-secret-0123456789";
const ALICE: &str = "U0ALICE01";
const BOB: &str = "U0BOB0001";

struct Setup {
    stores: MemoryStores,
    directory: Arc<MemoryCrmDirectory>,
    probe: Arc<CountedSearches<MemoryCrm>>,
    handler: Arc<OptionsHandler>,
    a: TenantId,
    b: TenantId,
}

/// Two workspaces, each with its own HubSpot portal (A: the standard fixture, B: the other)
/// connected as its default CRM with a tenant-wide credential.
async fn setup_with(config: OptionsConfig, clock: Clock) -> Setup {
    let stores = MemoryStores::new();
    let backend = stores.backend();
    let directory = Arc::new(MemoryCrmDirectory::default());
    let (a, b) = (random_tenant(), random_tenant());
    let crm = MemoryCrm::new()
        .with_portal("token-a", &CrmFixture::standard())
        .with_portal("token-b", &CrmFixture::other());
    for (tenant, token) in [(&a, "token-a"), (&b, "token-b")] {
        install_sample(&backend, tenant, &format!("xoxb-{token}"), 1).await;
        connect(&stores, directory.as_ref(), tenant, token).await;
    }
    let probe = Arc::new(CountedSearches::new(crm));
    let crms = Crms::of(vec![(CrmKind::Hubspot, probe.clone())], vec![]);
    let searcher = OptionsHandler::searcher(backend, directory.clone(), crms, config);
    let verifier = slack::Verifier::new(SECRET).unwrap();
    let handler = Arc::new(OptionsHandler::new(verifier, clock, searcher));
    Setup {
        stores,
        directory,
        probe,
        handler,
        a,
        b,
    }
}

async fn setup() -> Setup {
    setup_with(OptionsConfig::default(), Clock::system()).await
}

async fn connect(
    stores: &MemoryStores,
    directory: &dyn CrmDirectory,
    tenant: &TenantId,
    token: &str,
) {
    let id = CredentialId::tenant_wide(tenant.clone(), Provider::Hubspot);
    update_credential(stores.backend().credentials.as_ref(), &id, |slot| {
        *slot = Some(Credential::new(Secret::new(token)));
    })
    .await
    .unwrap();
    update_settings(directory, tenant, |s| {
        s.connect(CrmConnection {
            kind: CrmKind::Hubspot,
            connected_by: UserId::parse(ALICE).unwrap(),
            connected_at: 1,
            label: None,
            broken_since: None,
        })
    })
    .await
    .unwrap();
}

fn now_secs() -> i64 {
    tenant::time::unix_secs(SystemTime::now())
}

fn payload(tenant: &TenantId, user: &str, action_id: &str, value: &str) -> String {
    let json = serde_json::json!({
        "type": "block_suggestion",
        "user": {"id": user, "team_id": tenant.as_str()},
        "team": {"id": tenant.as_str(), "domain": "acme"},
        "api_app_id": "A0APP0001",
        "action_id": action_id,
        "block_id": "task_contact_block",
        "value": value,
        "container": {"type": "view", "view_id": "V0TASK001"},
        "view": {"id": "V0TASK001", "team_id": tenant.as_str(), "type": "modal", "callback_id": ids::CRM_TASK,
                 "private_metadata": "", "state": {"values": {}}, "hash": "1.x"},
    });
    serde_urlencoded::to_string([("payload", json.to_string())]).unwrap()
}

fn request_at(path: &str, body: &str, secret: &str, at: i64) -> HttpRequest {
    let signature = slack::Verifier::new(secret)
        .unwrap()
        .sign(at, body.as_bytes());
    http::Request::builder()
        .method("POST")
        .uri(path)
        .header(slack::verify::TIMESTAMP_HEADER, at.to_string())
        .header(slack::verify::SIGNATURE_HEADER, signature)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn signed(body: &str) -> HttpRequest {
    request_at(OPTIONS_PATH, body, SECRET, now_secs())
}

fn suggest(tenant: &TenantId, user: &str, action_id: &str, value: &str) -> HttpRequest {
    signed(&payload(tenant, user, action_id, value))
}

/// The answer's status and option (text, value) pairs.
fn options_of(res: &HttpResponse) -> Vec<(String, String)> {
    assert_eq!(res.status(), StatusCode::OK, "body: {}", res.body());
    assert_eq!(
        res.headers()[http::header::CONTENT_TYPE],
        "application/json"
    );
    let json: serde_json::Value = serde_json::from_str(res.body()).unwrap();
    json["options"]
        .as_array()
        .expect("an options array")
        .iter()
        .map(|o| {
            assert_eq!(o["text"]["type"], "plain_text");
            (
                o["text"]["text"].as_str().unwrap().to_owned(),
                o["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn texts(res: &HttpResponse) -> Vec<String> {
    options_of(res).into_iter().map(|(t, _)| t).collect()
}

#[tokio::test]
async fn a_contact_search_answers_name_dot_email_valued_by_id() {
    let s = setup().await;
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "  joh "))
        .await;
    let options = options_of(&res);
    let texts: Vec<_> = options.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "John Smith · john@acme.example",
            "Johanna Berg · johanna@globex.example"
        ]
    );
    assert!(options.iter().all(|(_, v)| !v.is_empty()));
    assert_eq!(s.probe.searches(), 1);
}

#[tokio::test]
async fn an_account_search_answers_name_dot_domain() {
    let s = setup().await;
    let res = s
        .handler
        .handle(suggest(&s.a, BOB, ids::CRM_ACCOUNT_SEARCH, "Globex"))
        .await;
    assert_eq!(texts(&res), ["Globex · globex.example"]);
}

#[tokio::test]
async fn a_wrong_signature_is_401_and_nothing_is_searched() {
    let s = setup().await;
    let body = payload(&s.a, ALICE, ids::TASK_CONTACT, "john");
    let res = s
        .handler
        .handle(request_at(
            OPTIONS_PATH,
            &body,
            "another-signing-secret-0123456789",
            now_secs(),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Signed long ago: a replay.
    let res = s
        .handler
        .handle(request_at(OPTIONS_PATH, &body, SECRET, now_secs() - 3600))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn bad_input_gets_clear_statuses() {
    let s = setup().await;
    let other_path = request_at("/slack/optionz", "payload=%7B%7D", SECRET, now_secs());
    assert_eq!(
        s.handler.handle(other_path).await.status(),
        StatusCode::NOT_FOUND
    );
    let big = "a".repeat(app::MAX_BODY_BYTES + 1);
    assert_eq!(
        s.handler.handle(signed(&big)).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for body in ["payload=%7Bnot-json", "payload=", "nothing=here"] {
        assert_eq!(
            s.handler.handle(signed(body)).await.status(),
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn other_selects_other_kinds_and_short_queries_get_empty_options_without_a_call() {
    let s = setup().await;
    for req in [
        suggest(&s.a, ALICE, "some_other_select", "john"),
        suggest(&s.a, ALICE, ids::TASK_CONTACT, "j"),
        suggest(&s.a, ALICE, ids::TASK_CONTACT, "   "),
        signed("ssl_check=1&token=x"),
    ] {
        assert!(options_of(&s.handler.handle(req).await).is_empty());
    }
    let actions = serde_json::json!({
        "type": "block_actions", "team": {"id": s.a.as_str()}, "user": {"id": ALICE},
        "actions": [{"action_id": ids::TASK_CONTACT, "value": "john"}],
    });
    let body = serde_urlencoded::to_string([("payload", actions.to_string())]).unwrap();
    assert!(options_of(&s.handler.handle(signed(&body)).await).is_empty());
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn a_paused_or_uninstalled_workspace_gets_empty_options() {
    let s = setup().await;
    let backend = s.stores.backend();
    tenant::service::suspend(&backend, &s.a, "operator", now_secs())
        .await
        .unwrap();
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&res).is_empty());
    tenant::service::uninstall(&backend, &s.b, now_secs())
        .await
        .unwrap();
    let res = s
        .handler
        .handle(suggest(&s.b, ALICE, ids::TASK_CONTACT, "rita"))
        .await;
    assert!(options_of(&res).is_empty());
    let unknown = random_tenant();
    let res = s
        .handler
        .handle(suggest(&unknown, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&res).is_empty());
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn no_crm_connected_gets_empty_options() {
    let s = setup().await;
    update_settings(s.directory.as_ref(), &s.a, |settings| {
        settings.disconnect(CrmKind::Hubspot)
    })
    .await
    .unwrap();
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&res).is_empty());
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn a_cache_hit_makes_no_second_crm_call_and_expires() {
    let start = SystemTime::now();
    let offset = Arc::new(AtomicUsize::new(0));
    let clock = {
        let offset = offset.clone();
        Clock::from_fn(move || start + Duration::from_secs(offset.load(Ordering::SeqCst) as u64))
    };
    let s = setup_with(OptionsConfig::default(), clock).await;
    let first = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "John"))
        .await;
    // Another user, another spelling of the same query: the same answer, from the cache.
    let second = s
        .handler
        .handle(suggest(&s.a, BOB, ids::TASK_CONTACT, " john "))
        .await;
    assert_eq!(options_of(&first), options_of(&second));
    assert_eq!(s.probe.searches(), 1);
    // The other select is another key.
    s.handler
        .handle(suggest(&s.a, BOB, ids::CRM_ACCOUNT_SEARCH, "john"))
        .await;
    assert_eq!(s.probe.searches(), 2);
    // 61 s later the entry is stale: the CRM is asked again (the signature's window is
    // the real clock's; only the handler's clock moved... so sign at the moved time).
    offset.store(61, Ordering::SeqCst);
    let body = payload(&s.a, ALICE, ids::TASK_CONTACT, "john");
    let at = tenant::time::unix_secs(start) + 61;
    s.handler
        .handle(request_at(OPTIONS_PATH, &body, SECRET, at))
        .await;
    assert_eq!(s.probe.searches(), 3);
}

#[tokio::test]
async fn tenant_b_never_sees_tenant_as_cached_answers() {
    let s = setup().await;
    let a = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "acme.example"))
        .await;
    assert_eq!(texts(&a), ["John Smith · john@acme.example"]);
    // The same user id and query in workspace B: B's own CRM is called, B's contact answered.
    let b = s
        .handler
        .handle(suggest(&s.b, ALICE, ids::TASK_CONTACT, "acme.example"))
        .await;
    assert_eq!(texts(&b), ["Rita Rival · rita@acme.example"]);
    assert_eq!(s.probe.searches(), 2);
    // And B cannot find A's contact by name.
    let b = s
        .handler
        .handle(suggest(&s.b, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&b).is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_marked_broken_and_the_admins_job_queued_once() {
    let s = setup().await;
    s.probe.inner.revoke("token-a");
    for query in ["john", "johanna", "carla"] {
        let res = s
            .handler
            .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, query))
            .await;
        assert!(options_of(&res).is_empty());
    }
    let settings = s.directory.settings(&s.a).await.unwrap().unwrap().value;
    assert!(
        settings
            .connection(CrmKind::Hubspot)
            .unwrap()
            .broken_since
            .is_some()
    );
    let jobs = s.stores.queue.peek_all();
    assert_eq!(jobs.len(), 1, "one notice for the admins");
    assert_eq!(jobs[0].tenant, s.a);
    assert_eq!(
        jobs[0].kind,
        JobKind::Crm(CrmJob::Refused {
            provider: Provider::Hubspot
        })
    );
    // Once broken, the CRM is not asked again; workspace B is untouched.
    assert_eq!(s.probe.searches(), 1);
    let b = s.directory.settings(&s.b).await.unwrap().unwrap().value;
    assert!(
        b.connection(CrmKind::Hubspot)
            .unwrap()
            .broken_since
            .is_none()
    );
    let res = s
        .handler
        .handle(suggest(&s.b, ALICE, ids::TASK_CONTACT, "rita"))
        .await;
    assert_eq!(options_of(&res).len(), 1);
}

#[tokio::test]
async fn a_missing_credential_is_a_refusal_too() {
    let s = setup().await;
    let id = CredentialId::tenant_wide(s.a.clone(), Provider::Hubspot);
    update_credential(s.stores.backend().credentials.as_ref(), &id, |slot| {
        *slot = None
    })
    .await
    .unwrap();
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&res).is_empty());
    assert_eq!(s.stores.queue.peek_all().len(), 1);
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn a_crm_slower_than_the_budget_gets_empty_options_not_an_error() {
    let config = OptionsConfig {
        budget: Duration::from_millis(50),
        ..OptionsConfig::default()
    };
    let s = setup_with(config, Clock::system()).await;
    // Held until released, which this test never does before the budget is over.
    s.probe.hold_next();
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert!(options_of(&res).is_empty());
    // Nothing cached from the cut-off search, and the user's turn was given back.
    let res = s
        .handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert_eq!(texts(&res), ["John Smith · john@acme.example"]);
    assert!(s.handler.searcher.inflight.is_empty());
}

#[tokio::test]
async fn one_search_in_flight_per_user() {
    let s = setup().await;
    s.probe.hold_next();
    let first = {
        let (handler, req) = (
            s.handler.clone(),
            suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"),
        );
        tokio::spawn(async move { handler.handle(req).await })
    };
    s.probe.held_started().await;
    // Alice again, same query and another one, while her first search is held open.
    let same = {
        let (handler, req) = (
            s.handler.clone(),
            suggest(&s.a, ALICE, ids::TASK_CONTACT, "John"),
        );
        tokio::spawn(async move { handler.handle(req).await })
    };
    let other = {
        let (handler, req) = (
            s.handler.clone(),
            suggest(&s.a, ALICE, ids::TASK_CONTACT, "carla"),
        );
        tokio::spawn(async move { handler.handle(req).await })
    };
    let inflight = s.handler.searcher.inflight.clone();
    let alice = UserId::parse(ALICE).unwrap();
    while inflight.waiting(&s.a, &alice) < 3 {
        tokio::task::yield_now().await;
    }
    // Bob is not held up by Alice.
    let bob = s
        .handler
        .handle(suggest(&s.a, BOB, ids::TASK_CONTACT, "johanna"))
        .await;
    assert_eq!(texts(&bob), ["Johanna Berg · johanna@globex.example"]);
    assert_eq!(s.probe.searches(), 2, "Alice's first and Bob's");
    s.probe.release_held();
    let first = first.await.unwrap();
    let same = same.await.unwrap();
    let other = other.await.unwrap();
    assert_eq!(texts(&first), ["John Smith · john@acme.example"]);
    // The same query waited and was answered from the cache; the other ran its own search.
    assert_eq!(texts(&same), texts(&first));
    assert_eq!(texts(&other), ["Carla Rossi · carla@initech.example"]);
    assert_eq!(s.probe.searches(), 3);
    // Alice's two searches never overlapped: at most Alice's and Bob's ran together.
    assert!(s.probe.most_at_once() <= 2);
    assert!(inflight.is_empty());
}

#[tokio::test]
async fn no_query_name_or_email_in_a_debug_of_what_is_kept() {
    let q = Query::parse("john@acme.example").unwrap();
    assert!(!format!("{q:?}").contains("john"));
}

#[tokio::test]
async fn the_committed_fixture_verifies_and_gets_empty_options_for_a_workspace_not_served() {
    use base64::Engine;
    // events/README.md: signed with Slack's documented example secret at this time.
    const FIXTURE_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const FIXTURE_TIMESTAMP: u64 = 1_531_420_618;
    let raw = include_str!("../../../events/options-block-suggestion.json");
    let event: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert_eq!(event["rawPath"], OPTIONS_PATH);
    let body = base64::engine::general_purpose::STANDARD
        .decode(event["body"].as_str().unwrap())
        .unwrap();
    let mut req = http::Request::builder().method("POST").uri(OPTIONS_PATH);
    for (name, value) in event["headers"].as_object().unwrap() {
        req = req.header(name.as_str(), value.as_str().unwrap());
    }
    let req = req.body(Bytes::from(body)).unwrap();
    let s = setup().await;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(FIXTURE_TIMESTAMP);
    let handler = OptionsHandler::new(
        slack::Verifier::new(FIXTURE_SECRET).unwrap(),
        Clock::fixed(at),
        s.handler.searcher.clone(),
    );
    assert!(options_of(&handler.handle(req).await).is_empty());
    assert_eq!(s.probe.searches(), 0);
}

#[tokio::test]
async fn a_handler_rebuilt_with_new_crm_clients_keeps_the_cache() {
    let s = setup().await;
    s.handler
        .handle(suggest(&s.a, ALICE, ids::TASK_CONTACT, "john"))
        .await;
    assert_eq!(s.probe.searches(), 1);
    // What the Lambda does when a re-read of the secrets finds the CRMs' OAuth secrets changed.
    let rebuilt = OptionsHandler::new(
        slack::Verifier::new(SECRET).unwrap(),
        Clock::system(),
        Arc::new(
            s.handler
                .searcher
                .with_crms(s.handler.searcher.crms().clone()),
        ),
    );
    let res = rebuilt
        .handle(suggest(&s.a, BOB, ids::TASK_CONTACT, "john"))
        .await;
    assert_eq!(texts(&res), ["John Smith · john@acme.example"]);
    assert_eq!(s.probe.searches(), 1, "answered from the shared cache");
}
