//! "Create task" and `/followup task` end to end: a task due 09:00 in the user's zone
//! (Europe/Rome, winter) is stored as 08:00 UTC, for the attendee's contact.

use serde_json::{Value, json};
use testkit::payloads;

use crate::crm::{PIPEDRIVE_TOKEN, RECORDING, TEAM, USER, open_editor, press_until};
use crate::crm::{seed_crono, seed_hubspot, seed_pipedrive};
use crate::followup::{fathom_data, has_text, modal_until, ready_followup};
use crate::helpers::spawn_with_fathom;

fn task_values(contact: &str, date: &str, time: &str) -> Value {
    let option = |v: &str| json!({"text": {"type": "plain_text", "text": v}, "value": v});
    json!({
        "task_contact": {"task_contact": {"type": "external_select", "selected_option": option(contact)}},
        "task_title": {"task_title": {"type": "plain_text_input", "value": "Send the security pack"}},
        "task_kind": {"task_kind": {"type": "radio_buttons", "selected_option": option("call")}},
        "task_date": {"task_date": {"type": "datepicker", "selected_date": date}},
        "task_time": {"task_time": {"type": "timepicker", "selected_time": time, "timezone": "Europe/Rome"}},
        "task_notes": {"task_notes": {"type": "plain_text_input", "value": "Pricing too"}},
    })
}

#[tokio::test]
async fn create_task_from_the_follow_up_stores_nine_in_rome_as_eight_utc() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    // ready_followup gives the fake Slack user tz Europe/Rome.
    ready_followup(&app, TEAM).await;
    let company = seed_pipedrive(&app, TEAM, PIPEDRIVE_TOKEN).await;
    let globex = app
        .pipedrive
        .add_organization(company, "Globex", Some("globex.com"));
    let john =
        app.pipedrive
            .add_person(company, "John Smith", "john.smith@globex.com", Some(globex));

    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let form = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_task", |v| {
        v["callback_id"] == "crm_task"
    })
    .await;
    let element = |block: &str| {
        form["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == block)
            .map(|b| b["element"].clone())
            .unwrap_or_else(|| panic!("no {block} in {form}"))
    };
    assert_eq!(element("task_time")["timezone"], "Europe/Rome");
    assert_eq!(
        element("task_contact")["initial_option"]["value"],
        john.to_string(),
        "the attendee's contact, found by email"
    );
    assert!(
        app.pipedrive.activities().is_empty(),
        "nothing before submit"
    );

    let submit = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_task",
        task_values(&john.to_string(), "2030-01-15", "09:00"),
        &RECORDING.to_string(),
    );
    let res = app.post_signed("/slack/interactions", &submit).await;
    assert_eq!(res.status(), 200);
    let done = modal_until(&app, &view_id, |v| has_text(v, "Task created in Pipedrive")).await;
    assert!(has_text(&done, "Open in Pipedrive"), "{done}");
    assert!(has_text(&done, "2030-01-15 09:00 (Europe/Rome)"), "{done}");
    let activities = app.pipedrive.activities();
    assert_eq!(activities.len(), 1, "one task");
    let body = &activities[0].body;
    // UNCONFIRMED (pipedrive.md has no activities): `due_date`/`due_time` in UTC, as the
    // adapter and the fake assume.
    assert_eq!(body["due_date"], "2030-01-15", "{body}");
    assert_eq!(
        body["due_time"], "08:00",
        "09:00 in Rome in January is 08:00 UTC"
    );
    assert_eq!(body["person_id"], john, "{body}");
    assert_eq!(body["subject"], "Send the security pack");
}

#[tokio::test]
async fn followup_task_opens_the_task_modal_without_a_meeting_and_stores_utc() {
    let app = spawn_with_fathom(true, fathom_data()).await;
    app.install(TEAM, "Acme").await;
    app.fake.add_user(USER, "Europe/Rome", 3600, false);
    let workspace = seed_crono(&app, TEAM).await;
    let globex = app
        .crono
        .add_account(workspace, "Globex", Some("globex.com"));
    let john = app.crono.add_prospect(
        workspace,
        "John",
        "Smith",
        "john.smith@globex.com",
        Some(&globex),
    );

    let res = app.command(TEAM, "task", "task").await;
    assert_eq!(res.status(), 200);
    let view_id = app.fake.last_opened_modal().expect("the task modal opened");
    let form = modal_until(&app, &view_id, |v| has_text(v, "task_contact")).await;
    assert_eq!(form["callback_id"], "crm_task");
    assert_eq!(form["private_metadata"], "", "no meeting");
    assert!(has_text(&form, "Europe/Rome"), "{form}");

    let submit = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_task",
        task_values(&john, "2030-01-15", "09:00"),
        "",
    );
    let res = app.post_signed("/slack/interactions", &submit).await;
    assert_eq!(res.status(), 200);
    modal_until(&app, &view_id, |v| has_text(v, "Task created in Crono")).await;
    let tasks = app.crono.tasks();
    assert_eq!(tasks.len(), 1, "one task");
    let data = &tasks[0].data;
    // crono.md §4.8: `activityDate` in RFC 3339 UTC (the `prospectId` field name is the
    // reference's; what Crono does with a prospect of another account is UNCONFIRMED).
    let due: jiff::Timestamp = data["activityDate"].as_str().unwrap().parse().unwrap();
    assert_eq!(due.to_string(), "2030-01-15T08:00:00Z", "{data}");
    assert_eq!(data["prospectId"], john.as_str(), "{data}");

    // A time already past in the user's zone: the form again with the input kept.
    let past = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_task",
        task_values(&john, "2020-01-15", "09:00"),
        "",
    );
    app.post_signed("/slack/interactions", &past).await;
    let again = modal_until(&app, &view_id, |v| has_text(v, "has passed")).await;
    assert!(has_text(&again, "2020-01-15"), "the chosen date is kept");
    assert_eq!(app.crono.tasks().len(), 1);
}

#[tokio::test]
async fn a_hubspot_task_is_due_at_eight_utc_and_on_the_attendees_contact() {
    use fakes::hubspot::ObjectType;
    let app = spawn_with_fathom(true, fathom_data()).await;
    ready_followup(&app, TEAM).await;
    let hub = crate::crm::HUB_A;
    seed_hubspot(&app, TEAM, hub, crate::crm::HUB_A_TOKEN).await;
    app.hubspot.add_object(
        hub,
        ObjectType::Companies,
        &[("name", "Globex"), ("domain", "globex.com")],
        &[],
    );
    let john = app.hubspot.add_object(
        hub,
        ObjectType::Contacts,
        &[
            ("firstname", "John"),
            ("lastname", "Smith"),
            ("email", "john.smith@globex.com"),
        ],
        &[],
    );
    let view_id = open_editor(&app, TEAM, RECORDING).await;
    let form = press_until(&app, TEAM, &view_id, RECORDING, "followup_crm_task", |v| {
        v["callback_id"] == "crm_task"
    })
    .await;
    assert!(
        form["blocks"].to_string().contains(&john.to_string()),
        "{form}"
    );
    let submit = payloads::view_submission(
        TEAM,
        USER,
        &view_id,
        "crm_task",
        task_values(&john.to_string(), "2030-01-15", "09:00"),
        &RECORDING.to_string(),
    );
    assert_eq!(
        app.post_signed("/slack/interactions", &submit)
            .await
            .status(),
        200
    );
    modal_until(&app, &view_id, |v| has_text(v, "Task created in HubSpot")).await;
    let tasks = app.hubspot.objects(ObjectType::Tasks);
    assert_eq!(tasks.len(), 1);
    let due: jiff::Timestamp = tasks[0].properties["hs_timestamp"].parse().unwrap();
    assert_eq!(due.to_string(), "2030-01-15T08:00:00Z");
    assert!(
        tasks[0]
            .associations
            .iter()
            .any(|(t, id, _)| *t == ObjectType::Contacts && *id == john),
        "{:?}",
        tasks[0]
    );
    assert_eq!(tasks[0].properties["hs_task_type"], "CALL");
}
