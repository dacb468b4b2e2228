//! The CRM flow end to end through serve's router (issue 9), with the fake HubSpot, Pipedrive
//! and Crono: connecting by pasted key (admins only), and the helpers the `crm_*` modules
//! share (a seeded connection, the edit modal's buttons, a worker run by hand, captured logs).
//!
//! HubSpot connects by OAuth through the `connect` function; that leg is covered by the
//! `connect::` tests, so here its connection is seeded as the connect function stores it (a
//! tenant-wide credential with the portal id, and the connection in the CRM settings).

use std::io::Write;
use std::sync::{Arc, Mutex};

use followup::crm::CrmKind;
use followup::ports::{CrmConnection, update_settings};
use serde_json::{Value, json};
use tenant::credential::{Credential, CredentialId, Provider};
use tenant::ports::{Member, Role};
use tenant::{Secret, TenantId, UserId};
use testkit::payloads;

use crate::followup::{edit_values, has_text, modal_until};
use crate::helpers::{TestApp, WAIT};

pub(crate) use crate::followup::{RECORDING, TEAM, USER};

/// HubSpot portals (one per workspace) and their tokens.
pub(crate) const HUB_A: u64 = 4_000_001;
pub(crate) const HUB_A_TOKEN: &str = "hubspot-e2e-access-token-a";
pub(crate) const HUB_B: u64 = 4_000_002;
pub(crate) const HUB_B_TOKEN: &str = "hubspot-e2e-access-token-b";
pub(crate) const PIPEDRIVE_TOKEN: &str = "pipedrive-e2e-api-token-0123456789";
pub(crate) const CRONO_PUBLIC: &str = "cpk_e2e_public_0123456789";
pub(crate) const CRONO_PRIVATE: &str = "csk_e2e_private_0123456789";
/// An admin of the workspace (the follow-up's user, [`USER`], is a plain member unless a
/// test makes them one).
pub(crate) const ADMIN: &str = "U0ADMIN01";
pub(crate) const MEMBER: &str = "U0MEMBER1";
/// The note as the user edits it in the modal (HTML-special characters and two paragraphs,
/// to see it formatted for each CRM).
pub(crate) const EDITED_NOTE: &str = "Renewals & <security> pack promised\n\nNext: pricing call";

pub(crate) fn tenant_of(team: &str) -> TenantId {
    TenantId::parse(team).unwrap()
}

pub(crate) async fn make_member(app: &TestApp, team: &str, user: &str, role: Role) {
    app.backend
        .members
        .put_member(
            &tenant_of(team),
            &Member {
                user: UserId::parse(user).unwrap(),
                role,
                added_at: 0,
            },
        )
        .await
        .unwrap();
}

/// `credential` stored as the workspace's connection to `kind`, as a connect stores it.
pub(crate) async fn seed_connection(
    app: &TestApp,
    team: &str,
    kind: CrmKind,
    credential: Credential,
) {
    let id = CredentialId::tenant_wide(tenant_of(team), kind.provider());
    tenant::ports::update_credential(app.backend.credentials.as_ref(), &id, |slot| {
        *slot = Some(credential.clone());
    })
    .await
    .unwrap();
    let connection = CrmConnection {
        kind,
        connected_by: UserId::parse(ADMIN).unwrap(),
        connected_at: testkit::signer::now(),
        label: None,
        broken_since: None,
    };
    update_settings(app.directory.as_ref(), &tenant_of(team), |s| {
        s.connect(connection.clone())
    })
    .await
    .unwrap();
}

/// A HubSpot portal `hub` reached with `token`, connected for `team` (the OAuth leg is the
/// `connect::` tests'; the access token is not about to expire, so nothing refreshes).
pub(crate) async fn seed_hubspot(app: &TestApp, team: &str, hub: u64, token: &str) {
    app.hubspot.add_portal(hub, token);
    let mut credential = Credential::new(Secret::new(token));
    credential.metadata.portal_id = Some(hub.to_string());
    seed_connection(app, team, CrmKind::Hubspot, credential).await;
}

/// A Pipedrive company reached with `token`, connected for `team` by that API token; the
/// company's index in the fake.
pub(crate) async fn seed_pipedrive(app: &TestApp, team: &str, token: &str) -> usize {
    let company = app.pipedrive.add_company(token);
    seed_connection(
        app,
        team,
        CrmKind::Pipedrive,
        Credential::new(Secret::new(token)),
    )
    .await;
    company
}

/// A Crono workspace reached with the key pair, connected for `team`; its index.
pub(crate) async fn seed_crono(app: &TestApp, team: &str) -> usize {
    let workspace = app.crono.add_workspace(CRONO_PUBLIC, CRONO_PRIVATE);
    let mut credential = Credential::new(Secret::new(CRONO_PRIVATE));
    credential.metadata.public_key = Some(CRONO_PUBLIC.to_owned());
    seed_connection(app, team, CrmKind::Crono, credential).await;
    workspace
}

/// The edit modal of [`USER`]'s follow-up of `recording` in `team`, open and filled.
pub(crate) async fn open_editor(app: &TestApp, team: &str, recording: u64) -> String {
    let view_id = crate::followup::open_editor_as(app, team, USER, recording).await;
    modal_until(app, &view_id, |v| {
        v["callback_id"] == "followup_edit" && has_text(v, "email_body")
    })
    .await;
    view_id
}

/// A button of the edit modal pressed with the texts as edited (the note: [`EDITED_NOTE`]).
pub(crate) fn editor_press(team: &str, view_id: &str, recording: u64, action: &str) -> String {
    payloads::view_block_action(
        team,
        USER,
        view_id,
        "followup_edit",
        &recording.to_string(),
        edit_values("Summary", "Subject", "Body", EDITED_NOTE),
        action,
        &recording.to_string(),
    )
}

/// Presses `action` in the edit modal and waits for the modal to satisfy `done`.
pub(crate) async fn press_until(
    app: &TestApp,
    team: &str,
    view_id: &str,
    recording: u64,
    action: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let before = app.fake.calls_to("views.update").len();
    let res = app
        .post_signed(
            "/slack/interactions",
            &editor_press(team, view_id, recording, action),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Something new is shown (not the state an earlier press left).
    app.fake.wait_for("views.update", before + 1, WAIT).await;
    modal_until(app, view_id, done).await
}

/// The views `views.update` showed in `view_id`, in order.
pub(crate) fn shown_in(app: &TestApp, view_id: &str) -> Vec<Value> {
    app.fake
        .calls_to("views.update")
        .into_iter()
        .filter(|c| c.body["view_id"] == view_id)
        .map(|c| c.body["view"].clone())
        .collect()
}

/// The DMs that say a CRM refused the workspace's connection.
pub(crate) fn broken_dms(app: &TestApp) -> Vec<Value> {
    app.fake
        .calls_to("chat.postMessage")
        .into_iter()
        .map(|c| c.body)
        .filter(|b| {
            b["text"]
                .as_str()
                .unwrap_or("")
                .contains("no longer accepts Switchboard's connection")
        })
        .collect()
}

/// Every log line of this test's thread (serve, the worker and the fakes all run on the
/// test's single-threaded runtime), from now until the guard drops.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub(crate) fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A worker like serve's, with the CRMs, run by hand (redelivery tests).
pub(crate) fn crm_worker(app: &TestApp) -> worker::Worker {
    let web = slack::WebApi::new(&app.fake.api_base(), &app.fake.response_base()).unwrap();
    let urls = [
        ("FATHOM_API_URL", app.fathom.api_url()),
        ("ANTHROPIC_API_URL", app.ai.api_url()),
        ("ANTHROPIC_MAX_RETRIES", "1".to_owned()),
        ("HUBSPOT_API_URL", app.hubspot.api_url()),
        ("PIPEDRIVE_API_URL", app.pipedrive.api_url()),
        ("CRONO_API_URL", app.crono.api_url()),
    ];
    let lookup = move |name: &str| {
        urls.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    let followup = worker::Followup::from_lookup(
        lookup.clone(),
        Some(Secret::new(crate::helpers::AI_KEY)),
        Some(app.sessions.clone()),
    )
    .unwrap()
    .unwrap()
    .with_crm(lookup, app.directory.clone())
    .unwrap();
    worker::Worker::new(app.backend.clone(), web, app::Clock::system()).with_followup(followup)
}

// --- Connecting by pasted key -------------------------------------------------------------

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
