//! The CRM flow end to end through serve's router (issue 9), with the fake HubSpot, Pipedrive
//! and Crono: the helpers the `crm_*` modules share (a seeded connection, the edit modal's
//! buttons, a worker run by hand, captured logs). The tests: `crm_connect` (pasted keys,
//! admins only), `crm_note`, `crm_deals`, `crm_task`, `crm_access` (revoked connections,
//! isolation between workspaces).
//!
//! HubSpot connects by OAuth through the `connect` function; that leg is covered by the
//! `connect::` tests, so here its connection is seeded as the connect function stores it (a
//! tenant-wide credential with the portal id, and the connection in the CRM settings).

use std::io::Write;
use std::sync::{Arc, Mutex};

use followup::crm::CrmKind;
use followup::ports::{CrmConnection, update_settings};
use serde_json::Value;
use tenant::credential::{Credential, CredentialId};
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
