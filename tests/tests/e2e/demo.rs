//! `switchboard demo` without a browser: the page's own JSON routes drive the real app, which
//! verifies every request it gets; plain `serve` has no demo routes at all.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_cli::demo::{self, Demo, DemoArgs};

use crate::helpers::{WAIT, json as body_json, spawn_app_without_worker};

async fn start_demo() -> Demo {
    demo::start(&DemoArgs {
        port: 0,
        data_dir: None,
    })
    .await
    .expect("the demo starts")
}

async fn post(demo: &Demo, path: &str, body: Value) -> Value {
    let res = testkit::http::client()
        .post(format!("{}{path}", demo.base))
        .json(&body)
        .send()
        .await
        .expect("the demo answers");
    assert_eq!(res.status(), 200, "{path}");
    body_json(res).await
}

/// Polls the page's state until `done` holds for it.
async fn state_until(demo: &Demo, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = body_json(
            reqwest::get(format!("{}/demo/state", demo.base))
                .await
                .expect("state"),
        )
        .await;
        if done(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "never got {what}: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn modal_id(state: &Value) -> String {
    let key = state["modal_key"].as_str().unwrap_or("");
    key.split('/').next().unwrap_or("").to_owned()
}

fn key_form(key: &str) -> Value {
    json!({"fathom_key": {"fathom_key": [key]}})
}

#[tokio::test]
async fn the_demo_page_takes_a_user_from_followup_to_a_ready_dm_through_signed_requests() {
    let demo = start_demo().await;
    let page = reqwest::get(&demo.url).await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("/followup"));

    // A synchronous answer shows as an ephemeral message.
    let state = post(&demo, "/demo/type", json!({"text": "/followup help"})).await;
    let conversation = state["conversation"].as_str().unwrap();
    assert!(
        conversation.contains("Only visible to you"),
        "{conversation}"
    );
    assert!(
        conversation.contains("<code>/followup connect</code>"),
        "{conversation}"
    );

    let state = post(&demo, "/demo/type", json!({"text": "/followup connect"})).await;
    let view = modal_id(&state);
    assert!(
        state["modal"]
            .as_str()
            .unwrap()
            .contains("data-action=\"fathom_key\"")
    );
    assert!(
        state["hint"]
            .as_str()
            .unwrap()
            .contains(fakes::fathom::SAMPLE_KEY_ALICE)
    );

    // Slack refuses an empty required field itself; the app is not asked.
    let state = post(
        &demo,
        "/demo/submit",
        json!({"view_id": view, "values": key_form("")}),
    )
    .await;
    assert!(state["modal"].as_str().unwrap().contains("required field"));

    // A wrong key: the app checks it with Fathom and says so inline; the right one connects.
    post(
        &demo,
        "/demo/submit",
        json!({"view_id": view, "values": key_form("not-a-key")}),
    )
    .await;
    let state = state_until(&demo, "the refused key", |s| {
        s["modal"]
            .as_str()
            .unwrap_or("")
            .contains("did not accept that key")
    })
    .await;
    assert_eq!(modal_id(&state), view, "the same modal, updated");
    post(
        &demo,
        "/demo/submit",
        json!({"view_id": view, "values": key_form(fakes::fathom::SAMPLE_KEY_ALICE)}),
    )
    .await;

    // Connected: the worker turns the same modal into the picker of the sample's day.
    let state = state_until(&demo, "the picker", |s| {
        s["modal"]
            .as_str()
            .unwrap_or("")
            .contains("Globex discovery call")
    })
    .await;
    let picker = modal_id(&state);
    assert_eq!(picker, view);
    let state = post(
        &demo,
        "/demo/submit",
        json!({"view_id": picker, "values": {"meeting": {"meeting": ["123456789"]}}}),
    )
    .await;
    assert_eq!(state["modal"], "", "an empty 200 closes the modal");
    let state = state_until(&demo, "the ready DM", |s| {
        s["conversation"]
            .as_str()
            .unwrap_or("")
            .contains("is ready")
    })
    .await;
    assert!(
        state["panel"]
            .as_str()
            .unwrap()
            .contains("1 transcript read")
    );

    // Every request the page caused was a signed one the app verified: an unsigned copy of
    // a command is refused by the same server.
    let unsigned = testkit::http::client()
        .post(format!("{}/slack/commands", demo.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("command=%2Ffollowup&text=help&team_id=T0DEMO001&user_id=U0DEMO001")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let slack = &demo.fakes().slack;
    assert_eq!(slack.calls_to("chat.postMessage").len(), 1);
    assert_eq!(slack.calls_to("chat.update").len(), 1);
    demo.stop().await;
}

/// The texts of a `/demo/suggest` answer.
fn offered(answer: &Value) -> Vec<&str> {
    answer["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["text"].as_str())
        .collect()
}

#[tokio::test]
async fn typing_in_the_demo_task_modals_contact_search_asks_the_app_and_the_pick_is_submitted() {
    use fakes::hubspot::{Endpoint, ObjectType};
    let demo = start_demo().await;
    let hubspot = &demo.fakes().hubspot;
    let state = post(&demo, "/demo/type", json!({"text": "/followup task"})).await;
    let view = modal_id(&state);
    let state = state_until(&demo, "the task modal", |s| {
        s["modal"]
            .as_str()
            .unwrap_or("")
            .contains("data-suggest=\"task_contact\"")
    })
    .await;
    assert_eq!(modal_id(&state), view);
    let search = |typed: &str| {
        json!({"view_id": view, "block_id": "task_contact", "action_id": "task_contact",
               "value": typed, "values": {}})
    };

    // What is typed reaches the app's options URL as a signed block_suggestion, and the app
    // searches the demo's HubSpot portal.
    let answer = post(&demo, "/demo/suggest", search("ada")).await;
    assert_eq!(offered(&answer), ["Ada Wong · ada@umbrella.io"]);
    assert_eq!(
        hubspot
            .calls_to(Endpoint::Search(ObjectType::Contacts))
            .len(),
        1
    );
    let ada = answer["options"][0]["value"].as_str().unwrap().to_owned();
    let john = post(&demo, "/demo/suggest", search("John")).await;
    assert_eq!(offered(&john), ["John Smith · john.smith@globex.com"]);
    // Slack asks nothing for one letter; neither does the app's options function.
    assert!(offered(&post(&demo, "/demo/suggest", search("a")).await).is_empty());
    // Only the open modal's external selects ask: not a text field, not another view.
    let not_a_select = json!({"view_id": view, "block_id": "task_title",
                              "action_id": "task_title", "value": "ada"});
    assert!(offered(&post(&demo, "/demo/suggest", not_a_select).await).is_empty());
    let other_view = json!({"view_id": "V0NOTOPEN", "block_id": "task_contact",
                            "action_id": "task_contact", "value": "ada"});
    assert!(offered(&post(&demo, "/demo/suggest", other_view).await).is_empty());

    // Ada, found by the first search, is still the pick after the second.
    let values = json!({
        "task_contact": {"task_contact": [ada]},
        "task_title": {"task_title": ["Send the security pack"]},
        "task_kind": {"task_kind": ["call"]},
        "task_date": {"task_date": ["2030-01-15"]},
        "task_time": {"task_time": ["09:00"]},
    });
    post(
        &demo,
        "/demo/submit",
        json!({"view_id": view, "values": values}),
    )
    .await;
    let state = state_until(&demo, "the created task", |s| {
        s["modal"]
            .as_str()
            .unwrap_or("")
            .contains("Task created in HubSpot")
    })
    .await;
    // The side panel says what the app did in the CRM.
    let panel = state["panel"].as_str().unwrap();
    assert!(
        panel.contains("Task \u{201c}Send the security pack\u{201d} for Ada Wong"),
        "{panel}"
    );
    assert!(panel.contains("2 searches"), "{panel}");
    let tasks = hubspot.objects(ObjectType::Tasks);
    assert_eq!(tasks.len(), 1, "one task");
    let ada: u64 = ada.parse().unwrap();
    assert!(
        tasks[0]
            .associations
            .iter()
            .any(|(t, id, _)| *t == ObjectType::Contacts && *id == ada),
        "on the contact picked from the search: {:?}",
        tasks[0]
    );
    assert_eq!(
        tasks[0].properties["hs_task_subject"],
        "Send the security pack"
    );
    demo.stop().await;
}

#[tokio::test]
async fn plain_serve_exposes_no_demo_routes() {
    let app = spawn_app_without_worker().await;
    for path in ["/demo", "/demo/state", "/demo/demo.js"] {
        let res = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    app.stop().await;
}
