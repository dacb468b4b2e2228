//! The install handler on the memory backend.

use std::time::{Duration, SystemTime};

use app::wiring::{InstallSettings, SlackSettings};
use app::{Clock, HttpRequest};
use bytes::Bytes;
use http::{StatusCode, header};
use tenant::ports::StateConsumed;
use tenant::testkit::MemoryStores;

use super::*;

const NOW: u64 = 1_800_000_000;

fn settings(client_id: Option<&str>, base: Option<&str>) -> SlackSettings {
    SlackSettings {
        signing_secret: None,
        api_url: "http://127.0.0.1:9/api".into(),
        response_url_base: "http://127.0.0.1:9/hooks/".into(),
        client_id: client_id.map(str::to_owned),
        client_secret: None,
        install: InstallSettings {
            scopes: vec!["commands".into(), "chat:write".into()],
            user_scopes: vec!["users:read".into()],
            authorize_url: "https://slack.example/oauth/v2/authorize".into(),
            public_base_url: base.map(str::to_owned),
        },
        admin_api_key: None,
        connect_link_key: None,
        anthropic_api_key: None,
        google_client_secret: None,
        fathom_client_secret: None,
        crm_client_secrets: None,
    }
}

fn handler(stores: &MemoryStores, slack: &SlackSettings) -> InstallHandler {
    let clock = Clock::fixed(SystemTime::UNIX_EPOCH + Duration::from_secs(NOW));
    InstallHandler::new(stores.backend().oauth_states, slack, clock)
}

fn get(path: &str) -> HttpRequest {
    http::Request::builder()
        .uri(path)
        .body(Bytes::new())
        .unwrap()
}

fn cookie_state(res: &HttpResponse) -> String {
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let value = set.strip_prefix("slack_oauth_state=").unwrap();
    value.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_page_stores_nothing_and_its_button_starts_the_install() {
    let stores = MemoryStores::new();
    let slack = settings(Some("1.2"), Some("https://sb.example/"));
    let h = handler(&stores, &slack);
    // A crawler hammering the page: no state, no cookie.
    for _ in 0..50 {
        let res = h.handle(get("/slack/install")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(header::SET_COOKIE).is_none());
        assert!(
            res.body()
                .contains(r#"id="add-to-slack" rel="nofollow" href="/slack/install?redirect=1""#),
            "{}",
            res.body()
        );
        assert!(res.body().contains("Add to <b>Slack</b>"));
        assert!(res.body().contains("<code>chat:write</code>"));
    }
    assert!(stores.oauth_states.stored_keys().is_empty());
    // A team hint is carried to the button.
    let res = h.handle(get("/slack/install?team=T0ACME")).await;
    assert!(
        res.body()
            .contains("href=\"/slack/install?redirect=1&amp;team=T0ACME\"")
    );

    // Pressing the button: a state bound to the cookie, and off to Slack.
    let res = h.handle(get("/slack/install?redirect=1")).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let state = cookie_state(&res);
    assert_eq!(state.len(), 43);
    let location = res.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(
        location,
        format!(
            "https://slack.example/oauth/v2/authorize?state={state}&client_id=1.2&scope=commands,chat%3Awrite\
             &user_scope=users%3Aread&redirect_uri=https%3A%2F%2Fsb.example%2Fslack%2Foauth_redirect"
        )
    );
    assert_eq!(stores.oauth_states.stored_keys().len(), 1);
    let consumed = stores
        .backend()
        .oauth_states
        .consume(&state, &state::cookie_hash(&state), NOW as i64)
        .await
        .unwrap();
    let StateConsumed::Valid(record) = consumed else {
        panic!("state not stored: {consumed:?}");
    };
    assert_eq!(record.cookie_hash, state::cookie_hash(&state));
    assert_eq!(record.expires_at, NOW as i64 + 600);
    assert_eq!(record.purpose, tenant::ports::StatePurpose::INSTALL);
}

#[tokio::test]
async fn redirect_mode_answers_302_and_passes_the_team_through() {
    let stores = MemoryStores::new();
    let slack = settings(Some("1.2"), Some("https://sb.example"));
    let res = handler(&stores, &slack)
        .handle(get("/slack/install?redirect=1&team=T0ACME"))
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()[header::LOCATION].to_str().unwrap();
    let state = cookie_state(&res);
    assert!(location.starts_with(&format!(
        "https://slack.example/oauth/v2/authorize?state={state}&client_id=1.2&"
    )));
    assert!(location.ends_with("&team=T0ACME"), "{location}");
    let StateConsumed::Valid(record) = stores
        .backend()
        .oauth_states
        .consume(&state, &state::cookie_hash(&state), NOW as i64)
        .await
        .unwrap()
    else {
        panic!("state not stored");
    };
    assert!(
        matches!(record.purpose, tenant::ports::StatePurpose::Install { team: Some(t) } if t.as_str() == "T0ACME")
    );
}

#[tokio::test]
async fn a_team_that_is_not_a_team_id_is_dropped() {
    let stores = MemoryStores::new();
    let slack = settings(Some("1.2"), Some("https://sb.example"));
    let res = handler(&stores, &slack)
        .handle(get("/slack/install?redirect=1&team=%3Cscript%3E"))
        .await;
    let location = res.headers()[header::LOCATION].to_str().unwrap();
    assert!(!location.contains("team="), "{location}");
}

#[tokio::test]
async fn every_visit_gets_its_own_state() {
    let stores = MemoryStores::new();
    let slack = settings(Some("1.2"), Some("https://sb.example"));
    let h = handler(&stores, &slack);
    let a = cookie_state(&h.handle(get("/slack/install?redirect=1")).await);
    let b = cookie_state(&h.handle(get("/slack/install?redirect=1")).await);
    assert_ne!(a, b);
}

#[tokio::test]
async fn without_client_id_or_public_url_the_page_says_not_configured() {
    let stores = MemoryStores::new();
    for slack in [
        settings(None, Some("https://sb.example")),
        settings(Some("1.2"), None),
    ] {
        let res = handler(&stores, &slack).handle(get("/slack/install")).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.body().contains("Not configured yet"));
        assert!(res.headers().get(header::SET_COOKIE).is_none());
    }
    assert!(stores.oauth_states.stored_keys().is_empty());
}

#[tokio::test]
async fn a_state_store_failure_is_a_500_page_without_a_cookie() {
    let stores = MemoryStores::new();
    stores.oauth_states.switch.set_down(true);
    let slack = settings(Some("1.2"), Some("https://sb.example"));
    let res = handler(&stores, &slack)
        .handle(get("/slack/install?redirect=1"))
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert!(res.body().contains("Please try again"));
}
