//! Connecting a CRM by pasted key through the connection modal (Pipedrive, Crono): checked
//! with the CRM before it is kept, never echoed or logged; admins only.

use followup::crm::CrmKind;
use serde_json::{Value, json};
use tenant::UserId;
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::ports::Role;
use testkit::payloads;

use crate::crm::{
    ADMIN, CRONO_PRIVATE, CRONO_PUBLIC, Logs, MEMBER, PIPEDRIVE_TOKEN, TEAM, make_member, tenant_of,
};
use crate::followup::{has_text, modal_until};
use crate::helpers::{TestApp, WAIT};

/// `/followup connect crm` as `user` of [`TEAM`].
async fn connect_command(app: &TestApp, user: &str) -> reqwest::Response {
    let body = payloads::slash_command(
        TEAM,
        user,
        "C0CHAN001",
        "/followup",
        "connect crm",
        &app.fake.response_url("connect"),
    );
    app.post_signed("/slack/commands", &body).await
}

/// A button pressed in the modal `view_id` as the fake Slack shows it now: the payload
/// carries the view's current hash, as Slack's does (the key form replaces the connection
/// modal with that hash, so a stale one would be refused).
fn press_in_modal(app: &TestApp, user: &str, view_id: &str, action: &str, value: &str) -> String {
    let (view, hash) = app
        .fake
        .modal_with_hash(view_id)
        .expect("the modal is open");
    payloads::interaction_form(&json!({
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "fakeworkspace"},
        "user": {"id": user, "username": "fake.user", "name": "fake.user", "team_id": TEAM},
        "api_app_id": payloads::APP_ID,
        "token": payloads::VERIFICATION_TOKEN,
        "trigger_id": "1000000001.2000000002.e2e0crm",
        "container": {"type": "view", "view_id": view_id},
        "view": {"id": view_id, "team_id": TEAM, "type": "modal",
                 "callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
                 "hash": hash, "state": {"values": {}}},
        "actions": [{"action_id": action, "block_id": "b", "type": "button", "value": value,
                     "action_ts": format!("{}.000400", testkit::signer::now())}],
    }))
}

fn key_values(kind: CrmKind, token: &str) -> Value {
    let text = |v: &str| json!({"type": "plain_text_input", "value": v});
    match kind {
        CrmKind::Crono => json!({
            "crm_key_public": {"crm_key_public": text(CRONO_PUBLIC)},
            "crm_key_private": {"crm_key_private": text(token)},
        }),
        _ => json!({"crm_key_token": {"crm_key_token": text(token)}}),
    }
}

async fn stored_connection(app: &TestApp, kind: CrmKind) -> Option<Credential> {
    let id = CredentialId::tenant_wide(tenant_of(TEAM), kind.provider());
    app.backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .map(|v| v.value)
}

async fn pending_key(app: &TestApp, user: &str) -> bool {
    let id = CredentialId::for_user(
        tenant_of(TEAM),
        Provider::CrmPending,
        UserId::parse(user).unwrap(),
    );
    app.backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .is_some()
}

/// An admin connects `kind` by key through the modal: a wrong key is refused inline and kept
/// nowhere, the right one is connected; neither ever reaches Slack or a log line.
async fn connect_by_key(kind: CrmKind, wrong: &str, right: &str) {
    let (logs, _guard) = Logs::capture();
    let app = crate::helpers::spawn_app().await;
    app.install(TEAM, "Acme").await;
    make_member(&app, TEAM, ADMIN, Role::Admin).await;
    match kind {
        CrmKind::Crono => {
            app.crono.add_workspace(CRONO_PUBLIC, CRONO_PRIVATE);
        }
        _ => {
            app.pipedrive.add_company(PIPEDRIVE_TOKEN);
        }
    }

    let res = connect_command(&app, ADMIN).await;
    assert_eq!(res.status(), 200);
    let view_id = app.fake.last_opened_modal().expect("the CRM modal opened");
    let modal = modal_until(&app, &view_id, |v| has_text(v, "crm_key_open")).await;
    assert!(has_text(&modal, kind.name()), "{modal}");

    // "Use an API key": the key form in place.
    let open = press_in_modal(&app, ADMIN, &view_id, "crm_key_open", kind.as_str());
    assert_eq!(
        app.post_signed("/slack/interactions", &open).await.status(),
        200
    );
    let field = if kind == CrmKind::Crono {
        "crm_key_private"
    } else {
        "crm_key_token"
    };
    let form = modal_until(&app, &view_id, |v| has_text(v, field)).await;
    assert_eq!(form["callback_id"], "crm_key");
    assert_eq!(form["private_metadata"], kind.as_str());

    let submit = |key: &str| {
        payloads::view_submission(
            TEAM,
            ADMIN,
            &view_id,
            "crm_key",
            key_values(kind, key),
            kind.as_str(),
        )
    };
    // A wrong key: checked with the CRM, refused in the form, stored nowhere.
    let res = app.post_signed("/slack/interactions", &submit(wrong)).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["response_action"], "update", "{answer}");
    let refused = modal_until(&app, &view_id, |v| has_text(v, "did not accept that key")).await;
    assert_eq!(refused["callback_id"], "crm_key", "the form again");
    assert!(stored_connection(&app, kind).await.is_none());
    assert!(
        !pending_key(&app, ADMIN).await,
        "the refused key is not kept"
    );
    let settings = app.directory.settings(&tenant_of(TEAM)).await.unwrap();
    assert!(settings.is_none_or(|s| s.value.connection(kind).is_none()));

    // The right key: connected, and the connection modal says so.
    let res = app.post_signed("/slack/interactions", &submit(right)).await;
    assert_eq!(res.status(), 200);
    let connected = modal_until(&app, &view_id, |v| {
        has_text(v, &format!("{} is connected", kind.name()))
    })
    .await;
    assert_eq!(connected["callback_id"], "crm_connect");
    assert!(has_text(&connected, "default"), "{connected}");
    let stored = stored_connection(&app, kind).await.expect("connected");
    assert_eq!(stored.access_token.expose(), right);
    assert!(!pending_key(&app, ADMIN).await);
    let settings = app
        .directory
        .settings(&tenant_of(TEAM))
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(settings.default, Some(kind));
    assert_eq!(
        settings.connection(kind).unwrap().connected_by.as_str(),
        ADMIN
    );

    // Neither key was ever sent to Slack or written to a log line.
    for key in [wrong, right] {
        assert!(
            !app.fake
                .calls()
                .iter()
                .any(|c| c.body.to_string().contains(key)),
            "a key reached Slack"
        );
        assert!(!logs.text().contains(key), "a key reached the logs");
    }
    assert!(
        logs.text()
            .contains("pasted CRM key stored pending its check"),
        "the capture sees the app's logs"
    );
}

#[tokio::test]
async fn an_admin_connects_pipedrive_with_a_checked_api_token() {
    connect_by_key(
        CrmKind::Pipedrive,
        "pipedrive-e2e-wrong-token-9876543210",
        PIPEDRIVE_TOKEN,
    )
    .await;
}

#[tokio::test]
async fn an_admin_connects_crono_with_a_checked_key_pair() {
    connect_by_key(CrmKind::Crono, "csk_e2e_wrong_private_987", CRONO_PRIVATE).await;
}

#[tokio::test]
async fn a_member_who_is_not_an_admin_is_told_to_ask_one_and_nothing_is_stored() {
    let app = crate::helpers::spawn_app().await;
    app.install(TEAM, "Acme").await;
    make_member(&app, TEAM, ADMIN, Role::Admin).await;
    make_member(&app, TEAM, MEMBER, Role::Member).await;
    app.pipedrive.add_company(PIPEDRIVE_TOKEN);

    for user in [MEMBER, "U0NOBODY1"] {
        let res = connect_command(&app, user).await;
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["response_type"], "ephemeral", "{answer}");
        assert!(
            answer["text"]
                .as_str()
                .unwrap()
                .contains("ask one of your Slack admins"),
            "{answer}"
        );
    }
    assert!(
        app.fake.calls_to("views.open").is_empty(),
        "no modal opened"
    );

    // A forged key submission from the member: the worker checks the role again and drops
    // the pending key unchecked.
    let forged = payloads::view_submission(
        TEAM,
        MEMBER,
        "V0FORGED01",
        "crm_key",
        key_values(CrmKind::Pipedrive, PIPEDRIVE_TOKEN),
        "pipedrive",
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &forged)
            .await
            .status(),
        200
    );
    let updates = app.fake.wait_for("views.update", 1, WAIT).await;
    assert!(
        updates[0].body["view"]
            .to_string()
            .contains("Only a workspace admin"),
        "{:?}",
        updates[0].body
    );
    assert!(stored_connection(&app, CrmKind::Pipedrive).await.is_none());
    assert!(!pending_key(&app, MEMBER).await);
    assert!(
        app.directory
            .settings(&tenant_of(TEAM))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.pipedrive.calls().is_empty(),
        "the key was not even tried"
    );
}

#[tokio::test]
async fn app_homes_manage_crm_opens_the_connections_for_an_admin_and_a_notice_for_a_member() {
    let app = crate::helpers::spawn_app().await;
    app.install(TEAM, "Acme").await;
    make_member(&app, TEAM, ADMIN, Role::Admin).await;
    make_member(&app, TEAM, MEMBER, Role::Member).await;

    let press =
        |user: &str| payloads::home_block_action(TEAM, user, "V0HOME0001", "home_crm_manage", "");
    assert_eq!(
        app.post_signed("/slack/interactions", &press(MEMBER))
            .await
            .status(),
        200
    );
    let opened = app.fake.calls_to("views.open");
    assert_eq!(opened.len(), 1);
    assert!(
        opened[0].body["view"]
            .to_string()
            .contains("Only a workspace admin"),
        "{:?}",
        opened[0].body
    );

    assert_eq!(
        app.post_signed("/slack/interactions", &press(ADMIN))
            .await
            .status(),
        200
    );
    let view_id = app.fake.last_opened_modal().unwrap();
    let modal = modal_until(&app, &view_id, |v| has_text(v, "crm_key_open")).await;
    assert_eq!(modal["callback_id"], "crm_connect");
    assert!(has_text(&modal, "*Pipedrive* · not connected"), "{modal}");
    assert!(has_text(&modal, "*Crono* · not connected"), "{modal}");
}
