//! Connecting Google end to end through serve's router: the edit modal's banner carries the
//! user's signed link, a browser (reqwest with a cookie jar) follows it to the fake Google's
//! consent and back, the callback stores the grant under exactly the link's user, and "Gmail
//! draft" then works with it; replays, other browsers, other users' and other tenants' links
//! are refused; disconnecting revokes at Google and deletes.

use app::connect_link::{self, LinkKey};
use fakes::google::{Endpoint, Failure};
use reqwest::StatusCode;
use tenant::audit::AuditAction;
use tenant::{CredentialId, Provider, Secret, TenantId, UserId};
use testkit::RESPONSE_URL;
use testkit::payloads;
use testkit::signer::now;

use crate::followup::{
    RECORDING, TEAM, USER, edit_values, fathom_data, has_text, modal_until, open_editor_as,
    ready_followup,
};
use crate::helpers::{LINK_KEY, TestApp, WAIT, spawn_with_fathom};

/// A browser of its own: its own cookie jar, redirects shown as they are.
fn browser() -> reqwest::Client {
    testkit::http::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn key() -> LinkKey {
    LinkKey::new(Secret::new(LINK_KEY)).unwrap()
}

fn link(app: &TestApp, team: &str, user: &str) -> String {
    connect_link::connect_url(
        &app.base,
        &key(),
        &TenantId::parse(team).unwrap(),
        &UserId::parse(user).unwrap(),
        Provider::Google,
        now(),
    )
}

fn google_id(team: &str, user: &str) -> CredentialId {
    CredentialId::for_user(
        TenantId::parse(team).unwrap(),
        Provider::Google,
        UserId::parse(user).unwrap(),
    )
}

async fn stored(app: &TestApp, team: &str, user: &str) -> Option<tenant::Credential> {
    app.backend
        .credentials
        .get_fresh(&google_id(team, user))
        .await
        .unwrap()
        .map(|v| v.value)
}

async fn get(browser: &reqwest::Client, url: &str) -> reqwest::Response {
    browser.get(url).send().await.expect("reaches the server")
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows `link` in `browser` to Google's consent and back: the callback URL, not yet
/// opened.
async fn consent(app: &TestApp, browser: &reqwest::Client, link: &str) -> String {
    let res = get(browser, link).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let authorize = location(&res);
    assert!(
        authorize.starts_with(&app.google.oauth_url()),
        "{authorize}"
    );
    // The fake Google approves at once and sends the browser back.
    let res = get(browser, &authorize).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    assert!(
        back.starts_with(&format!("{}/connect/google/callback?", app.base)),
        "{back}"
    );
    back
}

async fn page(res: reqwest::Response, status: StatusCode, needle: &str) {
    assert_eq!(res.status(), status);
    let html = res.text().await.unwrap();
    assert!(html.contains(needle), "`{needle}` not in {html}");
}

/// The link in the edit modal's banner (`<url|Connect Google>`).
fn banner_link(view: &serde_json::Value) -> String {
    let text = view["blocks"][0]["text"]["text"].as_str().unwrap();
    let start = text.find("<http").expect("a link in the banner") + 1;
    let end = start + text[start..].find('|').unwrap();
    text[start..end].to_owned()
}

#[tokio::test]
async fn a_user_connects_google_from_the_editors_link_and_then_makes_a_gmail_draft() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let view_id = open_editor_as(&app, TEAM, USER, RECORDING).await;
    modal_until(&app, &view_id, |v| has_text(v, "email_body")).await;
    let press = |body: &str| {
        payloads::view_block_action(
            TEAM,
            USER,
            &view_id,
            "followup_edit",
            &RECORDING.to_string(),
            edit_values("Summary", "Next steps", body, "Note"),
            "followup_gmail",
            &RECORDING.to_string(),
        )
    };
    assert_eq!(
        app.post_signed("/slack/interactions", &press("Body as edited"))
            .await
            .status(),
        200
    );
    // Not connected yet: the banner says so and links to the user's own connect page.
    let shown = modal_until(&app, &view_id, |v| has_text(v, "Connect Google")).await;
    let link = banner_link(&shown);
    assert!(
        link.starts_with(&format!("{}/connect/google?link=", app.base)),
        "{link}"
    );
    assert!(app.google.drafts().is_empty());

    app.google.set_account_email("alice@globex-customer.test");
    let alice = browser();
    let callback = consent(&app, &alice, &link).await;
    page(
        get(&alice, &callback).await,
        StatusCode::OK,
        "alice@globex-customer.test",
    )
    .await;
    let grant = stored(&app, TEAM, USER).await.expect("the grant is stored");
    assert!(grant.refresh_token.is_some());
    assert_eq!(
        grant.metadata.account_email.as_deref(),
        Some("alice@globex-customer.test")
    );
    // The user is told in Slack which account it was.
    let dm = app.fake.dm_channel(USER);
    let deadline = std::time::Instant::now() + WAIT;
    while !app
        .fake
        .messages(&dm)
        .iter()
        .any(|m| m.to_string().contains("Google is connected"))
    {
        assert!(std::time::Instant::now() < deadline, "no connected DM");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // The same button (pressed again: another request) now makes the draft with that grant.
    assert_eq!(
        app.post_signed("/slack/interactions", &press("Body as edited, again"))
            .await
            .status(),
        200
    );
    modal_until(&app, &view_id, |v| has_text(v, "Open draft")).await;
    let drafts = app.google.drafts();
    assert_eq!(drafts.len(), 1);
    assert!(
        drafts[0]
            .text
            .as_deref()
            .unwrap()
            .contains("Body as edited, again")
    );
    let audit = app
        .backend
        .audit
        .list(&TenantId::parse(TEAM).unwrap())
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == AuditAction::Connected));
    app.stop().await;
}

#[tokio::test]
async fn a_replayed_state_or_another_browsers_cookie_connects_nothing() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let alice = browser();
    let callback = consent(&app, &alice, &link(&app, TEAM, USER)).await;

    // Another browser (never started this connection) brings Alice's callback.
    let mallory = browser();
    page(
        get(&mallory, &callback).await,
        StatusCode::FORBIDDEN,
        "same browser",
    )
    .await;
    // Mallory's own cookie (from a connection of her own) does not match Alice's state.
    consent(&app, &mallory, &link(&app, TEAM, "U0MALLORY")).await;
    page(
        get(&mallory, &callback).await,
        StatusCode::FORBIDDEN,
        "same browser",
    )
    .await;
    assert!(stored(&app, TEAM, USER).await.is_none());
    assert!(stored(&app, TEAM, "U0MALLORY").await.is_none());

    // Alice's browser finishes, once: the refusals did not spend her state.
    page(
        get(&alice, &callback).await,
        StatusCode::OK,
        "Google connected",
    )
    .await;
    // A replay with the very cookie (its value is the state, which is in the URL): spent.
    let replay = browser()
        .get(&callback)
        .header(
            "cookie",
            format!(
                "switchboard_connect_state={}",
                query_param(&callback, "state")
            ),
        )
        .send()
        .await
        .unwrap();
    page(replay, StatusCode::CONFLICT, "already used").await;
    assert_eq!(
        app.google.calls_to(Endpoint::Token).len(),
        1,
        "one code exchange"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_link_connects_only_its_own_user_and_tenant_b_cannot_use_tenant_as_link() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.install("T0OTHERCO", "Other Co").await;
    // User B opens user A's link in their own browser: the grant lands under A (the link's
    // user), never under B; B cannot choose whom it is for.
    let bob = browser();
    let callback = consent(&app, &bob, &link(&app, TEAM, USER)).await;
    assert!(
        !callback.contains(USER),
        "the callback names no user that could be changed"
    );
    page(
        get(&bob, &callback).await,
        StatusCode::OK,
        "Google connected",
    )
    .await;
    assert!(stored(&app, TEAM, USER).await.is_some());
    assert!(stored(&app, TEAM, "U0USER002").await.is_none());
    assert!(stored(&app, "T0OTHERCO", USER).await.is_none());

    // A's link edited to name tenant B (or user B) is not ours any more.
    let good = link(&app, TEAM, USER);
    let token = good.split("link=").nth(1).unwrap();
    let (payload, mac) = token.split_once('.').unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    for edited in [
        text.replace(TEAM, "T0OTHERCO"),
        text.replace(USER, "U0USER002"),
    ] {
        let forged = format!(
            "{}/connect/google?link={}.{mac}",
            app.base,
            b64.encode(edited)
        );
        page(
            get(&browser(), &forged).await,
            StatusCode::UNAUTHORIZED,
            "not made by Switchboard",
        )
        .await;
    }
    assert!(stored(&app, "T0OTHERCO", USER).await.is_none());
    assert!(stored(&app, "T0OTHERCO", "U0USER002").await.is_none());
    assert!(
        !app.backend
            .audit
            .list(&TenantId::parse("T0OTHERCO").unwrap())
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == AuditAction::Connected)
    );
    app.stop().await;
}

#[tokio::test]
async fn disconnect_revokes_the_grant_at_google_and_deletes_it() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let alice = browser();
    let callback = consent(&app, &alice, &link(&app, TEAM, USER)).await;
    page(
        get(&alice, &callback).await,
        StatusCode::OK,
        "Google connected",
    )
    .await;
    let refresh = stored(&app, TEAM, USER)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    assert!(!app.google.is_revoked(refresh.expose()));
    // Google is down for the first attempt (both tries of it): the job is retried, and the
    // credential is kept until Google has ended the grant.
    app.google
        .fail_next_n(Endpoint::Revoke, 2, Failure::Status(503));

    let res = app.command(TEAM, "disconnect google", "bye-1").await;
    assert_eq!(res.status(), 200);
    let ack: serde_json::Value = res.json().await.unwrap();
    assert!(
        ack["text"]
            .as_str()
            .unwrap()
            .contains("Disconnecting Google"),
        "{ack}"
    );
    let answers = app.fake.wait_for(RESPONSE_URL, 1, WAIT).await;
    let answer = answers
        .iter()
        .find(|c| c.path == "/hooks/bye-1")
        .expect("a confirmation");
    assert!(
        answer.body["text"]
            .as_str()
            .unwrap()
            .contains("Google is disconnected"),
        "{}",
        answer.body
    );
    assert_eq!(answer.body["response_type"], "ephemeral");
    assert!(app.google.is_revoked(refresh.expose()), "revoked at Google");
    let revokes = app.google.calls_to(Endpoint::Revoke);
    assert_eq!(
        revokes.iter().map(|c| c.status).collect::<Vec<_>>(),
        [503, 503, 200],
        "retried until Google answered, then not again"
    );
    assert!(stored(&app, TEAM, USER).await.is_none());
    let audit = app
        .backend
        .audit
        .list(&TenantId::parse(TEAM).unwrap())
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == AuditAction::Disconnected));
    app.stop().await;
}

/// `name`'s value in `url`'s query.
fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn a_failing_or_refusing_token_endpoint_gives_a_clear_page_and_stores_nothing() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    let alice = browser();
    // Google's token endpoint is down.
    let callback = consent(&app, &alice, &link(&app, TEAM, USER)).await;
    app.google.fail_next(Endpoint::Token, Failure::Status(503));
    page(
        get(&alice, &callback).await,
        StatusCode::BAD_GATEWAY,
        "reach Google",
    )
    .await;
    assert!(stored(&app, TEAM, USER).await.is_none());

    // invalid_grant: a code that was already exchanged, brought back under a fresh state.
    let spent = consent(&app, &alice, &link(&app, TEAM, USER)).await;
    page(
        get(&alice, &spent).await,
        StatusCode::OK,
        "Google connected",
    )
    .await;
    app.backend
        .credentials
        .delete(&google_id(TEAM, USER), None)
        .await
        .unwrap();
    let fresh = consent(&app, &alice, &link(&app, TEAM, USER)).await;
    let replayed = format!(
        "{}/connect/google/callback?state={}&code={}",
        app.base,
        query_param(&fresh, "state"),
        url::form_urlencoded::byte_serialize(query_param(&spent, "code").as_bytes())
            .collect::<String>()
    );
    page(
        get(&alice, &replayed).await,
        StatusCode::BAD_REQUEST,
        "did not accept",
    )
    .await;
    assert!(stored(&app, TEAM, USER).await.is_none(), "nothing stored");
    app.stop().await;
}

/// Alice connects Fathom with OAuth from the connect modal's link, then the picker reads her
/// meetings with the grant (Bearer), refreshing it when it has expired.
#[tokio::test]
async fn fathom_oauth_from_the_connect_modal_then_the_picker_uses_and_refreshes_the_grant() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "UTC", 0, false);
    assert_eq!(app.command(TEAM, "connect", "c-1").await.status(), 200);
    let opened = app.fake.calls_to("views.open");
    let view = &opened.last().expect("the connect modal").body["view"];
    let button = &view["blocks"][1]["elements"][0];
    assert_eq!(button["action_id"], "connect_link");
    let link = button["url"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/connect/fathom?link=", app.base)),
        "{link}"
    );
    assert!(
        view.to_string().contains("fathom_key"),
        "pasting a key stays"
    );

    let alice = browser();
    let res = get(&alice, &link).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let authorize = location(&res);
    assert!(
        authorize.starts_with(&format!("{}/oauth2/authorize?", app.fathom.oauth_url())),
        "{authorize}"
    );
    assert_eq!(query_param(&authorize, "scope"), "public_api");
    let res = get(&alice, &authorize).await;
    let callback = location(&res);
    assert!(callback.starts_with(&format!("{}/connect/fathom/callback?", app.base)));
    page(
        get(&alice, &callback).await,
        StatusCode::OK,
        "Fathom connected",
    )
    .await;
    let id = CredentialId::for_user(
        TenantId::parse(TEAM).unwrap(),
        Provider::Fathom,
        UserId::parse(USER).unwrap(),
    );
    let grant = app
        .backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .unwrap();
    assert!(grant.value.refresh_token.is_some());
    assert!(grant.value.expires_at.is_some());

    // Expired: the picker refreshes it (one token call) and lists with the new Bearer token.
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &id, |slot| {
        if let Some(c) = slot {
            c.expires_at = Some(std::time::SystemTime::now() - std::time::Duration::from_secs(60));
        }
    })
    .await
    .unwrap();
    let token_calls = app.fathom.calls_to(fakes::fathom::Endpoint::OAuth).len();
    assert_eq!(app.command(TEAM, "", "pick-1").await.status(), 200);
    let view_id = app.fake.last_opened_modal().unwrap();
    modal_until(&app, &view_id, |v| has_text(v, "Globex discovery call")).await;
    assert_eq!(
        app.fathom.calls_to(fakes::fathom::Endpoint::OAuth).len(),
        token_calls + 1,
        "one refresh"
    );
    let listed = app.fathom.calls_to(fakes::fathom::Endpoint::Meetings);
    assert_eq!(
        listed.last().unwrap().auth,
        Some(fakes::fathom::AuthScheme::Bearer)
    );
    let renewed = app
        .backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        renewed.value.refresh_token.as_ref().map(Secret::expose),
        grant.value.refresh_token.as_ref().map(Secret::expose),
        "Fathom's refresh tokens rotate: the new one is kept"
    );
    app.stop().await;
}
