use super::*;

fn picker() -> Value {
    json!({
        "type": "modal", "callback_id": "followup_pick", "private_metadata": "0",
        "title": {"type": "plain_text", "text": "Follow-up"},
        "submit": {"type": "plain_text", "text": "Generate"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Today*"}},
            {"type": "input", "block_id": "meeting", "label": {"type": "plain_text", "text": "Meeting"},
             "element": {"type": "static_select", "action_id": "meeting", "options": [
                {"text": {"type": "plain_text", "text": "09:30 · Globex"}, "value": "123"},
                {"text": {"type": "plain_text", "text": "11:00 · Initech"}, "value": "456"}]}},
            {"type": "input", "block_id": "note", "optional": true,
             "label": {"type": "plain_text", "text": "Note"},
             "element": {"type": "plain_text_input", "action_id": "note", "multiline": true,
                         "initial_value": "hi"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "followup_earlier",
             "text": {"type": "plain_text", "text": "Earlier"}, "value": "1"}]}
        ]
    })
}

fn actor() -> Actor {
    Actor {
        team: "T0DEMO001".into(),
        team_domain: "demo".into(),
        user: "U0DEMO001".into(),
        user_name: "alice".into(),
        app_id: "A0FAKEAPP".into(),
        bot_id: "B0FAKEBOT".into(),
    }
}

fn form(pairs: &[(&str, &str, &[&str])]) -> FormValues {
    let mut form = FormValues::new();
    for (block, action, values) in pairs {
        form.entry((*block).to_owned()).or_default().insert(
            (*action).to_owned(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        );
    }
    form
}

#[test]
fn state_values_carry_each_elements_value_field_and_skip_buttons() {
    let view = picker();
    let values = state_values(
        &with_block_ids(&view["blocks"]),
        &form(&[
            ("meeting", "meeting", &["456"]),
            ("note", "note", &["typed"]),
        ]),
        &Offered::new(),
    );
    assert_eq!(
        values["meeting"]["meeting"],
        json!({"type": "static_select", "selected_option":
            {"text": {"type": "plain_text", "text": "11:00 · Initech"}, "value": "456"}})
    );
    assert_eq!(
        values["note"]["note"],
        json!({"type": "plain_text_input", "value": "typed"})
    );
    assert!(values.get("demo-3").is_none(), "a button has no state");
}

#[test]
fn empty_fields_are_null_and_untouched_ones_keep_their_initial_value() {
    let view = picker();
    let blocks = with_block_ids(&view["blocks"]);
    let values = state_values(
        &blocks,
        &form(&[("meeting", "meeting", &[""])]),
        &Offered::new(),
    );
    assert_eq!(values["meeting"]["meeting"]["selected_option"], Value::Null);
    assert!(is_empty_state(&values["meeting"]["meeting"]));
    assert_eq!(values["note"]["note"]["value"], "hi");
    assert!(!is_empty_state(&values["note"]["note"]));
}

#[test]
fn a_submission_names_the_view_its_hash_and_metadata() {
    let payload = view_submission(
        &actor(),
        view_object(
            &actor(),
            "V0MODAL0001",
            &picker(),
            "1700000002.abc",
            &FormValues::new(),
            &Offered::new(),
        ),
    );
    assert_eq!(payload["type"], "view_submission");
    assert_eq!(payload["view"]["id"], "V0MODAL0001");
    assert_eq!(payload["view"]["hash"], "1700000002.abc");
    assert_eq!(payload["view"]["private_metadata"], "0");
    assert_eq!(payload["view"]["callback_id"], "followup_pick");
    assert_eq!(payload["team"]["id"], "T0DEMO001");
    let trigger = payload["trigger_id"].as_str().unwrap();
    assert_eq!(trigger.split('.').count(), 3, "{trigger}");
    let form = interaction_form(&payload);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&form).unwrap();
    assert_eq!(pairs[0].0, "payload");
    assert_eq!(serde_json::from_str::<Value>(&pairs[0].1).unwrap(), payload);
}

#[test]
fn buttons_are_found_by_generated_block_ids_and_sent_as_actions() {
    let view = picker();
    let button = find_element(&view["blocks"], "demo-3", "followup_earlier").unwrap();
    let payload = modal_action(
        &actor(),
        view_object(
            &actor(),
            "V1",
            &view,
            "h",
            &FormValues::new(),
            &Offered::new(),
        ),
        "demo-3",
        &button,
    );
    assert_eq!(
        payload["container"],
        json!({"type": "view", "view_id": "V1"})
    );
    assert_eq!(payload["actions"][0]["action_id"], "followup_earlier");
    assert_eq!(payload["actions"][0]["value"], "1");
    assert_eq!(payload["actions"][0]["block_id"], "demo-3");
    assert!(find_element(&view["blocks"], "demo-3", "other").is_none());

    let message = json!({"ts": "1.000001", "text": "ready", "blocks": []});
    let payload = message_action(
        &actor(),
        "D0FAKE0001",
        Some(&message),
        "1.000001",
        "b",
        &button,
        "http://h/x",
    );
    assert_eq!(payload["container"]["type"], "message");
    assert_eq!(payload["container"]["channel_id"], "D0FAKE0001");
    assert_eq!(payload["container"]["is_ephemeral"], false);
    assert_eq!(payload["message"]["ts"], "1.000001");
    assert_eq!(payload["response_url"], "http://h/x");
}

#[test]
fn slash_commands_are_the_documented_form() {
    let body = slash_command(&actor(), "D0FAKE0001", "/followup", "connect", "http://h/c");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("command"), Some("/followup"));
    assert_eq!(get("text"), Some("connect"));
    assert_eq!(get("channel_id"), Some("D0FAKE0001"));
    assert_eq!(get("user_id"), Some("U0DEMO001"));
    assert_eq!(get("response_url"), Some("http://h/c"));
    assert!(get("trigger_id").is_some());
}

#[test]
fn an_external_selects_chosen_option_is_submitted_as_slack_would() {
    let element = json!({"type": "external_select", "action_id": "task_contact",
        "initial_option": {"text": {"type": "plain_text", "text": "John Smith · john.smith@globex.com"},
                           "value": "301"}});
    let kept = element_state(&element, None, &[]).unwrap();
    assert_eq!(kept["selected_option"]["value"], "301");
    let picked = element_state(&element, Some(&vec!["301".to_owned()]), &[]).unwrap();
    assert_eq!(
        picked["selected_option"]["text"]["text"],
        "John Smith · john.smith@globex.com"
    );
    // One the app offered as the person typed is reported whole; a value it never offered
    // (a forged form) is no choice at all.
    let offered = [
        json!({"text": {"type": "plain_text", "text": "Ada Wong · ada@umbrella.io"},
                          "value": "304"}),
    ];
    let typed = element_state(&element, Some(&vec!["304".to_owned()]), &offered).unwrap();
    assert_eq!(typed["selected_option"], offered[0]);
    let forged = element_state(&element, Some(&vec!["999".to_owned()]), &offered).unwrap();
    assert_eq!(forged["selected_option"], Value::Null);
}

#[test]
fn a_suggestion_request_is_slacks_block_suggestion_of_the_open_view() {
    let view = view_object(
        &actor(),
        "V1",
        &picker(),
        "h",
        &FormValues::new(),
        &Offered::new(),
    );
    let payload = block_suggestion(&actor(), view, "task_contact", "task_contact", "jo");
    assert_eq!(payload["type"], "block_suggestion");
    assert_eq!(payload["action_id"], "task_contact");
    assert_eq!(payload["block_id"], "task_contact");
    assert_eq!(payload["value"], "jo");
    assert_eq!(
        payload["container"],
        json!({"type": "view", "view_id": "V1"})
    );
    assert_eq!(payload["view"]["callback_id"], "followup_pick");
    assert_eq!(payload["team"]["id"], "T0DEMO001");
    assert_eq!(payload["user"]["id"], "U0DEMO001");
    assert!(
        payload.get("trigger_id").is_none(),
        "Slack sends none with it"
    );
}

#[test]
fn offered_options_are_read_from_plain_and_grouped_answers() {
    let option = |v: &str| json!({"text": {"type": "plain_text", "text": v}, "value": v});
    let plain = json!({"options": [option("a"), {"text": "not an object"}, option("b")]});
    assert_eq!(offered_options(&plain), [option("a"), option("b")]);
    let grouped = json!({"option_groups": [{"label": {"type": "plain_text", "text": "G"},
                                             "options": [option("c")]}]});
    assert_eq!(offered_options(&grouped), [option("c")]);
    let many: Vec<Value> = (0..150).map(|n| option(&n.to_string())).collect();
    assert_eq!(
        offered_options(&json!({"options": many})).len(),
        MAX_OFFERED
    );
    assert!(offered_options(&json!({"ok": false})).is_empty());
}
