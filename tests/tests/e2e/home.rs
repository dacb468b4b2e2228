//! App Home per user, end to end through serve's router: each user's own page (their
//! connections, the workspace's month, their own recent follow-ups), "Connect Fathom" opening
//! the connect modal, and "Disconnect" removing only the pressing user's credential.

use std::time::{Duration, Instant};

use fakes::fathom::FathomData;
use tenant::credential::{CredentialId, Provider};
use tenant::{TenantId, UserId};
use testkit::payloads;

use crate::followup::{
    KEY, TEAM, USER, connect_google, fathom_data, key_submission, modal_until, ready_followup,
    seed_fathom,
};
use crate::helpers::{TestApp, WAIT, spawn_with_fathom};

const USER_B: &str = "U0OTHER01";
const OTHER_TEAM: &str = "T0OTHER01";

/// The bot token `TestApp::install` gives `team`.
fn token_of(team: &str) -> String {
    format!("xoxb-e2e-{}", team.to_lowercase())
}

/// `user` opens the Home tab of `team`; returns their Home once it shows `needle`.
async fn open_home(app: &TestApp, team: &str, user: &str, needle: &str) -> String {
    let res = app
        .post_signed("/slack/events", &payloads::app_home_opened(team, user))
        .await;
    assert_eq!(res.status(), 200);
    home_until(app, team, user, needle).await
}

/// `user`'s Home in `team` once it shows `needle`, as the text of its blocks.
async fn home_until(app: &TestApp, team: &str, user: &str, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let home = app.fake.home(&token_of(team), user);
        if let Some(home) = &home {
            let text = home["blocks"].to_string();
            if text.contains(needle) {
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{user}'s Home in {team} never showed {needle:?}: {home:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn credential(team: &str, provider: Provider, user: &str) -> CredentialId {
    CredentialId::for_user(
        TenantId::parse(team).unwrap(),
        provider,
        UserId::parse(user).unwrap(),
    )
}

async fn has_credential(app: &TestApp, id: &CredentialId) -> bool {
    app.backend
        .credentials
        .get_fresh(id)
        .await
        .unwrap()
        .is_some()
}

async fn until_gone(app: &TestApp, id: &CredentialId) {
    let deadline = Instant::now() + WAIT;
    while has_credential(app, id).await {
        assert!(Instant::now() < deadline, "{id} was never deleted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn press(team: &str, user: &str, action: &str, value: &str) -> String {
    payloads::home_block_action(team, user, "V0HOMEVIEW1", action, value)
}

#[tokio::test]
async fn each_user_sees_their_own_connections_and_follow_ups_and_the_months_use() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    // User A connected Fathom with a key and made one follow-up (one of the month's ten).
    ready_followup(&app, TEAM).await;

    let mine = open_home(&app, TEAM, USER, "Globex discovery call").await;
    assert!(mine.contains("connected with an API key"), "{mine}");
    assert!(mine.contains("*1* of 10 follow-ups used"), "{mine}");
    assert!(mine.contains("home_disconnect"));
    assert!(mine.contains("followup_view"), "the ready one opens");
    assert!(mine.contains("Acme"));
    // The reset is shown in A's own zone (Europe/Rome: the 1st at 01:00 or 02:00).
    assert!(
        mine.contains(" at 01:00") || mine.contains(" at 02:00"),
        "{mine}"
    );

    // User B of the same workspace: the workspace's month, but nothing of A's.
    let theirs = open_home(&app, TEAM, USER_B, "No follow-ups yet").await;
    assert!(!theirs.contains("Globex"), "{theirs}");
    assert!(theirs.contains("not connected"));
    assert!(theirs.contains("home_fathom_connect"));
    assert!(theirs.contains("*1* of 10 follow-ups used"));

    // The same user id in another workspace: nothing of the first one's.
    app.install(OTHER_TEAM, "Other").await;
    let elsewhere = open_home(&app, OTHER_TEAM, USER, "No follow-ups yet").await;
    assert!(!elsewhere.contains("Globex"), "{elsewhere}");
    assert!(elsewhere.contains("not connected"));
    assert!(elsewhere.contains("*0* of 10 follow-ups used"));
    // A's Home in the first workspace is still A's.
    let again = app.fake.home(&token_of(TEAM), USER).unwrap().to_string();
    assert!(again.contains("Globex discovery call"));
    // Google is enabled here: "Connect Google" is the user's own signed connect link.
    assert!(mine.contains("home_google_connect"), "{mine}");
    assert!(mine.contains("/connect/google?link="), "{mine}");
}

#[tokio::test]
async fn connect_fathom_on_home_opens_the_modal_and_home_shows_the_connection_after() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "UTC", 0, false);
    open_home(&app, TEAM, USER, "home_fathom_connect").await;

    let res = app
        .post_signed(
            "/slack/interactions",
            &press(TEAM, USER, "home_fathom_connect", ""),
        )
        .await;
    assert_eq!(res.status(), 200);
    let opened = app.fake.calls_to("views.open");
    assert_eq!(opened.len(), 1, "opened inline on the button's trigger");
    assert_eq!(opened[0].body["view"]["callback_id"], "fathom_connect");
    let view_id = app.fake.last_opened_modal().unwrap();

    // The key pasted into that modal is checked and kept; the Home shows it.
    let res = app
        .post_signed("/slack/interactions", &key_submission(&view_id, KEY))
        .await;
    assert_eq!(res.status(), 200);
    modal_until(&app, &view_id, |v| {
        crate::followup::has_text(v, "Globex discovery call")
    })
    .await;
    let home = home_until(&app, TEAM, USER, "connected with an API key").await;
    assert!(home.contains("home_disconnect"));
    assert!(has_credential(&app, &credential(TEAM, Provider::Fathom, USER)).await);
}

#[tokio::test]
async fn disconnect_removes_only_the_pressing_users_credential_and_republishes_their_home() {
    let app = spawn_with_fathom(true, FathomData::new()).await;
    app.install(TEAM, "Acme").await;
    // User A has Fathom and Google; user B has Fathom too.
    seed_fathom(&app, TEAM).await;
    connect_google(&app, TEAM).await;
    let b_fathom = credential(TEAM, Provider::Fathom, USER_B);
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &b_fathom, |slot| {
        *slot = Some(tenant::credential::Credential::new(tenant::Secret::new(
            "fathom-e2e-key-bob",
        )));
    })
    .await
    .unwrap();
    let a_fathom = credential(TEAM, Provider::Fathom, USER);
    let a_google = credential(TEAM, Provider::Google, USER);

    // Forged values naming user A (or a workspace credential) are refused, nothing queued.
    for forged in [
        "fathom:U0USER001",
        "U0USER001",
        "slack",
        "fathom_pending",
        "",
    ] {
        let res = app
            .post_signed(
                "/slack/interactions",
                &press(TEAM, USER_B, "home_disconnect", forged),
            )
            .await;
        assert_eq!(res.status(), 400, "{forged:?}");
    }

    // B disconnects Fathom: B's key goes, A's stays, and B's Home says so.
    let res = app
        .post_signed(
            "/slack/interactions",
            &press(TEAM, USER_B, "home_disconnect", "fathom"),
        )
        .await;
    assert_eq!(res.status(), 200);
    until_gone(&app, &b_fathom).await;
    let b_home = home_until(&app, TEAM, USER_B, "home_fathom_connect").await;
    assert!(b_home.contains("not connected"));
    assert!(has_credential(&app, &a_fathom).await, "A's Fathom is A's");
    assert!(has_credential(&app, &a_google).await);

    // A disconnects Google: only Google goes.
    app.post_signed(
        "/slack/interactions",
        &press(TEAM, USER, "home_disconnect", "google"),
    )
    .await;
    until_gone(&app, &a_google).await;
    let a_home = home_until(&app, TEAM, USER, "Google* · not connected").await;
    assert!(a_home.contains("connected with an API key"), "{a_home}");
    assert!(has_credential(&app, &a_fathom).await);

    // And Fathom: the Home offers to connect again.
    app.post_signed(
        "/slack/interactions",
        &press(TEAM, USER, "home_disconnect", "fathom"),
    )
    .await;
    until_gone(&app, &a_fathom).await;
    home_until(&app, TEAM, USER, "home_fathom_connect").await;
}

#[tokio::test]
async fn the_google_link_button_is_acked_and_does_nothing() {
    let app = spawn_with_fathom(false, FathomData::new()).await;
    app.install(TEAM, "Acme").await;
    let res = app
        .post_signed(
            "/slack/interactions",
            &press(TEAM, USER, "home_google_connect", ""),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        app.take_queued().await.is_empty(),
        "nothing to do for a link"
    );
}
