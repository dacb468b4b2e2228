//! Salesforce end to end through serve's router: an admin connects it by OAuth (the signed
//! link, the consent, the callback), the worker records the connection and tells the admin,
//! and "Log to CRM" puts the edited note on the account whose website is the attendee's
//! domain, through the org's own `instance_url`. A member's link connects nothing.

use app::connect_link::{self, LinkKey};
use followup::crm::CrmKind;
use http::StatusCode;
use tenant::ports::Role;
use tenant::{CredentialId, Provider, Secret, TenantId, UserId};
use testkit::signer::now;

use serde_json::json;
use testkit::payloads;

use crate::crm::{ADMIN, MEMBER, RECORDING, TEAM, USER, make_member, open_editor, press_until};
use crate::followup::{fathom_data, has_text, modal_until, ready_followup};
use crate::helpers::{LINK_KEY, TestApp, WAIT, spawn_with_fathom};

fn browser() -> reqwest::Client {
    testkit::http::client_builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn link(app: &TestApp, user: &str) -> String {
    connect_link::connect_url(
        &app.base,
        &LinkKey::new(Secret::new(LINK_KEY)).unwrap(),
        &TenantId::parse(TEAM).unwrap(),
        &UserId::parse(user).unwrap(),
        Provider::Salesforce,
        now(),
    )
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows `user`'s link through Salesforce's consent (org `org` approves) and back; the
/// callback's answer.
async fn connect_as(app: &TestApp, user: &str, org: usize) -> reqwest::Response {
    let browser = browser();
    let res = browser.get(link(app, user)).send().await.unwrap();
    if res.status() != StatusCode::FOUND {
        return res;
    }
    let authorize = location(&res);
    assert!(authorize.starts_with(&app.salesforce.url()), "{authorize}");
    app.salesforce.consent_as(org);
    let res = browser.get(&authorize).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let back = location(&res);
    assert!(
        back.starts_with(&format!("{}/connect/salesforce/callback?", app.base)),
        "{back}"
    );
    browser.get(&back).send().await.unwrap()
}

async fn connected(app: &TestApp) -> bool {
    let settings = app
        .directory
        .settings(&TenantId::parse(TEAM).unwrap())
        .await
        .unwrap();
    settings.is_some_and(|s| s.value.connection(CrmKind::Salesforce).is_some())
}

#[tokio::test]
async fn an_admin_connects_salesforce_by_oauth_and_the_note_lands_on_the_account_by_website() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    make_member(&app, TEAM, ADMIN, Role::Admin).await;
    make_member(&app, TEAM, MEMBER, Role::Member).await;
    let org = app.salesforce.add_org("sf-unused-org-token");
    let globex = app
        .salesforce
        .add_account(org, "Globex", Some("https://www.globex.com/"));
    app.salesforce
        .add_account(org, "Globex Holdings", Some("https://globex.com.au"));

    // A member's link: refused before the consent, nothing stored.
    let res = connect_as(&app, MEMBER, org).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let id = CredentialId::tenant_wide(TenantId::parse(TEAM).unwrap(), Provider::Salesforce);
    assert!(
        app.backend
            .credentials
            .get_fresh(&id)
            .await
            .unwrap()
            .is_none()
    );

    // The admin's: connected for the workspace, with the org's instance_url.
    let dms = app.fake.calls_to("chat.postMessage").len();
    let res = connect_as(&app, ADMIN, org).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("connected for your workspace")
    );
    let stored = app
        .backend
        .credentials
        .get_fresh(&id)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert!(stored.refresh_token.is_some());
    assert!(
        stored
            .metadata
            .instance_url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://127.0.0.1")),
        "{:?}",
        stored.metadata
    );
    // The worker records the connection (the default: the only one) and tells the admin.
    let deadline = std::time::Instant::now() + WAIT;
    while !connected(&app).await {
        assert!(std::time::Instant::now() < deadline, "never recorded");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let told = app.fake.wait_for("chat.postMessage", dms + 1, WAIT).await;
    assert!(
        told.iter().any(|c| c.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("*Salesforce* is connected"))),
        "{told:?}"
    );

    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let shown = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_note", |v| {
        has_text(v, "Open in Salesforce")
    })
    .await;
    assert!(
        has_text(&shown, "Note logged on Globex in Salesforce"),
        "{shown}"
    );
    let notes = app.salesforce.created("ContentNote");
    assert_eq!(notes.len(), 1, "one note");
    let links = app.salesforce.created("ContentDocumentLink");
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(
        links[0].body["LinkedEntityId"],
        globex.as_str(),
        "on Globex only"
    );
    // Nothing of the grant in any Slack call.
    let access = stored.access_token.expose();
    assert!(
        app.fake
            .calls()
            .iter()
            .all(|c| !c.body.to_string().contains(access))
    );
}

/// Connected by the admin through OAuth, as above; the org's index.
async fn connected_org(app: &TestApp) -> usize {
    make_member(app, TEAM, ADMIN, Role::Admin).await;
    let org = app.salesforce.add_org("sf-unused-org-token");
    assert_eq!(connect_as(app, ADMIN, org).await.status(), StatusCode::OK);
    let deadline = std::time::Instant::now() + WAIT;
    while !connected(app).await {
        assert!(std::time::Instant::now() < deadline, "never recorded");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    org
}

#[tokio::test]
async fn salesforce_opportunities_move_stage_and_a_task_is_due_in_utc() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let org = connected_org(&app).await;
    let globex = app
        .salesforce
        .add_account(org, "Globex", Some("https://www.globex.com/"));
    let prospecting = app.salesforce.add_stage(org, "Prospecting", false, false);
    let proposal = app.salesforce.add_stage(org, "Proposal", false, false);
    app.salesforce.add_stage(org, "Closed Won", true, true);
    let open = app.salesforce.add_opportunity(
        org,
        "Globex renewal",
        &globex,
        "Prospecting",
        Some(1000.0),
        "EUR",
        None,
    );
    app.salesforce.add_opportunity(
        org,
        "Globex pilot",
        &globex,
        "Closed Won",
        Some(500.0),
        "EUR",
        None,
    );
    let john =
        app.salesforce
            .add_contact(org, "John", "Smith", "john.smith@globex.com", Some(&globex));

    // Deals: the open opportunity only, in Salesforce's own stages; moved and re-priced.
    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let shown = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_deals", |v| {
        v["callback_id"] == "crm_deals"
    })
    .await;
    assert!(has_text(&shown, "Globex renewal"), "{shown}");
    assert!(
        !has_text(&shown, "Globex pilot"),
        "a closed one is not shown"
    );
    assert!(has_text(&shown, &prospecting), "its stage is chosen");
    let stage_block = format!("deal_stage:{open}");
    let amount_block = format!("deal_amount:{open}");
    let save = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_deals",
        json!({
            stage_block.clone(): {stage_block: {"type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Proposal"}, "value": proposal}}},
            amount_block.clone(): {amount_block: {"type": "plain_text_input", "value": "1800,50"}},
        }),
        &RECORDING.to_string(),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &save).await.status(),
        200
    );
    modal_until(&app, &view_id, |v| has_text(v, "Updated in Salesforce")).await;
    let moved = app.salesforce.opportunity(&open).unwrap();
    assert_eq!(moved.stage_name, "Proposal");
    assert_eq!(moved.amount, Some(1800.5));

    // A task for John due 09:00 in Rome on a winter day: 08:00 UTC at Salesforce.
    let task = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_task",
        json!({
            "task_contact": {"task_contact": {"type": "external_select",
                "selected_option": {"text": {"type": "plain_text", "text": "John Smith"}, "value": john}}},
            "task_title": {"task_title": {"type": "plain_text_input", "value": "Send the security pack"}},
            "task_kind": {"task_kind": {"type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": "Call"}, "value": "call"}}},
            "task_date": {"task_date": {"type": "datepicker", "selected_date": "2030-01-15"}},
            "task_time": {"task_time": {"type": "timepicker", "selected_time": "09:00"}},
            "task_notes": {"task_notes": {"type": "plain_text_input", "value": "Pricing too"}},
        }),
        &RECORDING.to_string(),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &task).await.status(),
        200
    );
    modal_until(&app, &view_id, |v| {
        has_text(v, "Task created in Salesforce")
    })
    .await;
    let tasks = app.salesforce.created("Task");
    assert_eq!(tasks.len(), 1, "one task");
    let body = &tasks[0].body;
    assert_eq!(body["WhoId"], john.as_str(), "{body}");
    assert_eq!(body["ActivityDate"], "2030-01-15", "{body}");
    // UNCONFIRMED in salesforce.md: the reminder carries the due instant (UTC).
    assert!(
        body["ReminderDateTime"]
            .as_str()
            .is_some_and(|t| t.starts_with("2030-01-15T08:00:00")),
        "{body}"
    );
}
