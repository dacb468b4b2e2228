//! Form endpoint parsing, on slack.md section 4 and bolt-python fixtures.

use tenant::{AppId, ChannelId, EnterpriseId, TeamId, UserId};

use super::*;

/// How Slack sends an interaction: one `payload` field holding URL-encoded JSON.
pub(crate) fn form_payload(json: &str) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", json)])
        .unwrap()
        .into_bytes()
}

fn interaction(json: &str) -> Interaction {
    match parse_form_body(&form_payload(json)) {
        Ok(FormRequest::Interaction(i)) => *i,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

pub(crate) const BLOCK_ACTIONS: &str = r#"{
    "type": "block_actions",
    "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
    "api_app_id": "A111",
    "token": "verification_token",
    "container": {"type": "message", "message_ts": "111.222", "channel_id": "C111", "is_ephemeral": true},
    "trigger_id": "111.222.valid",
    "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
    "channel": {"id": "C111", "name": "test-channel"},
    "response_url": "https://hooks.slack.com/actions/T111/111/random-value",
    "actions": [
        {"action_id": "a", "block_id": "b", "text": {"type": "plain_text", "text": "Button", "emoji": true},
         "value": "click_me_123", "type": "button", "action_ts": "1596530385.194939"}
    ]
}"#;

pub(crate) const GLOBAL_SHORTCUT: &str = r#"{"type": "shortcut", "token": "verification_token", "action_ts": "111.111",
 "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Org Name"},
 "user": {"id": "W111", "username": "primary-owner", "team_id": "T111"},
 "callback_id": "test-shortcut", "trigger_id": "111.111.xxxxxx"}"#;

#[test]
fn doc_slash_command_parses() {
    // slack.md 4.1 doc example, verbatim.
    let body = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=/weather&text=94070&response_url=https://hooks.slack.com/commands/1234/5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";
    assert_eq!(
        parse_form_body(body.as_bytes()).unwrap(),
        FormRequest::Command(SlashCommand {
            team_id: TeamId::parse("T0001").unwrap(),
            team_domain: Some("example".into()),
            enterprise_id: Some(EnterpriseId::parse("E0001").unwrap()),
            is_enterprise_install: false,
            channel_id: ChannelId::parse("C2147483705").unwrap(),
            user_id: UserId::parse("U2147483697").unwrap(),
            command: "/weather".into(),
            text: "94070".into(),
            response_url: "https://hooks.slack.com/commands/1234/5678".into(),
            trigger_id: "13345224609.738474920.8088930838d88f008e0".into(),
            api_app_id: Some(AppId::parse("A123456").unwrap()),
        })
    );
}

#[test]
fn signing_vector_body_is_a_command_with_empty_text() {
    // The body of the official signing vector (slack.md section 1).
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let FormRequest::Command(cmd) = parse_form_body(body.as_bytes()).unwrap() else {
        panic!("not a command");
    };
    assert_eq!(cmd.command, "/webhook-collect");
    assert_eq!(cmd.text, "");
    assert_eq!(cmd.channel_id.as_str(), "G8PSS9T3V");
    assert_eq!(cmd.enterprise_id, None);
    assert_eq!(cmd.api_app_id, None);
    assert_eq!(
        cmd.response_url,
        "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"
    );
}

#[test]
fn is_enterprise_install_string_is_read() {
    let base = "team_id=T1&channel_id=C1&user_id=U1&command=%2Ff&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=1.2";
    for (flag, expected) in [
        ("true", true),
        ("false", false),
        ("TRUE", false),
        ("", false),
    ] {
        let body = format!("{base}&is_enterprise_install={flag}&enterprise_id=E1");
        let FormRequest::Command(cmd) = parse_form_body(body.as_bytes()).unwrap() else {
            panic!("not a command");
        };
        assert_eq!(cmd.is_enterprise_install, expected, "flag {flag:?}");
    }
}

#[test]
fn empty_enterprise_id_counts_as_absent() {
    let body = "team_id=T1&enterprise_id=&channel_id=C1&user_id=U1&command=%2Ff&response_url=u&trigger_id=t";
    let FormRequest::Command(cmd) = parse_form_body(body.as_bytes()).unwrap() else {
        panic!("not a command");
    };
    assert_eq!(cmd.enterprise_id, None);
}

#[test]
fn command_without_user_is_an_error() {
    let body = "team_id=T1&channel_id=C1&command=%2Ff&response_url=u&trigger_id=t";
    assert_eq!(
        parse_form_body(body.as_bytes()).unwrap_err(),
        PayloadError::MissingField("user_id")
    );
}

#[test]
fn ssl_check_is_recognised() {
    assert_eq!(
        parse_form_body(b"ssl_check=1&token=abc").unwrap(),
        FormRequest::SslCheck
    );
}

#[test]
fn unrecognised_form_is_an_error() {
    assert_eq!(
        parse_form_body(b"token=abc&team_id=T1").unwrap_err(),
        PayloadError::UnrecognisedForm
    );
    assert_eq!(
        parse_form_body(b"").unwrap_err(),
        PayloadError::UnrecognisedForm
    );
}

#[test]
fn block_actions_fixture_parses() {
    let i = interaction(BLOCK_ACTIONS);
    assert_eq!(i.kind, InteractionKind::BlockActions);
    assert_eq!(i.team_id, Some(TeamId::parse("T111").unwrap()));
    assert_eq!(
        i.team_enterprise_id,
        Some(EnterpriseId::parse("E111").unwrap())
    );
    assert_eq!(i.user_id, Some(UserId::parse("W111").unwrap()));
    assert_eq!(i.api_app_id, Some(AppId::parse("A111").unwrap()));
    assert_eq!(i.channel_id, Some(ChannelId::parse("C111").unwrap()));
    assert_eq!(i.trigger_id.as_deref(), Some("111.222.valid"));
    assert_eq!(i.action_id.as_deref(), Some("a"));
    assert_eq!(i.action_value.as_deref(), Some("click_me_123"));
    assert_eq!(
        i.response_url.as_deref(),
        Some("https://hooks.slack.com/actions/T111/111/random-value")
    );
    assert!(!i.is_enterprise_install);
}

#[test]
fn global_shortcut_fixture_has_no_channel_or_response_url() {
    let i = interaction(GLOBAL_SHORTCUT);
    assert_eq!(i.kind, InteractionKind::Shortcut);
    assert_eq!(i.callback_id.as_deref(), Some("test-shortcut"));
    assert_eq!(i.channel_id, None);
    assert_eq!(i.response_url, None);
    assert_eq!(i.user_team_id, Some(TeamId::parse("T111").unwrap()));
}

#[test]
fn message_action_parses() {
    let json = r#"{"type":"message_action","callback_id":"summarise","trigger_id":"1.2.x",
        "message_ts":"111.222","response_url":"https://hooks.slack.com/app/T1/1/x",
        "message":{"type":"message","user":"U2","ts":"111.222","text":"hi"},
        "channel":{"id":"C9","name":"general"},"team":{"id":"T1","domain":"d"},
        "user":{"id":"U1","team_id":"T1"},"action_ts":"1.3"}"#;
    let i = interaction(json);
    assert_eq!(i.kind, InteractionKind::MessageAction);
    assert_eq!(i.callback_id.as_deref(), Some("summarise"));
    assert_eq!(i.channel_id, Some(ChannelId::parse("C9").unwrap()));
    assert_eq!(
        i.response_url.as_deref(),
        Some("https://hooks.slack.com/app/T1/1/x")
    );
}

#[test]
fn view_submission_takes_response_urls_and_view_fields() {
    let json = r#"{"type":"view_submission","team":{"id":"T1","domain":"d"},
        "user":{"id":"U1","team_id":"T1"},"api_app_id":"A1","trigger_id":"1.2.x",
        "view":{"id":"V1","team_id":"T1","type":"modal","callback_id":"followup-modal",
                "private_metadata":"job=42","app_installed_team_id":"T1",
                "state":{"values":{"b":{"a":{"type":"plain_text_input","value":"note"}}}}},
        "response_urls":[{"block_id":"b","action_id":"a","channel_id":"C5",
                          "response_url":"https://hooks.slack.com/app/T1/2/y"}],
        "is_enterprise_install":false}"#;
    let i = interaction(json);
    assert_eq!(i.kind, InteractionKind::ViewSubmission);
    assert_eq!(i.callback_id.as_deref(), Some("followup-modal"));
    assert_eq!(
        i.response_url.as_deref(),
        Some("https://hooks.slack.com/app/T1/2/y")
    );
    assert_eq!(i.channel_id, Some(ChannelId::parse("C5").unwrap()));
    assert_eq!(i.private_metadata.as_deref(), Some("job=42"));
    assert_eq!(
        i.view_state.as_ref().and_then(|s| s.pointer("/b/a/value")),
        Some(&serde_json::json!("note"))
    );
}

#[test]
fn other_interaction_types_are_kept_by_name() {
    let i = interaction(r#"{"type":"dialog_submission","team":{"id":"T1"},"user":{"id":"U1"}}"#);
    assert_eq!(i.kind, InteractionKind::Other("dialog_submission".into()));
    let i = interaction(r#"{"type":"view_closed","team":null,"user":{"id":"U1","team_id":"T1"}}"#);
    assert_eq!(i.kind, InteractionKind::ViewClosed);
    let i = interaction(
        r#"{"type":"block_suggestion","action_id":"pick","team":{"id":"T1"},"user":{"id":"U1"}}"#,
    );
    assert_eq!(i.kind, InteractionKind::BlockSuggestion);
    assert_eq!(i.action_id.as_deref(), Some("pick"));
}

#[test]
fn payload_that_is_not_json_is_an_error() {
    let err = parse_form_body(&form_payload("{not json")).unwrap_err();
    assert!(matches!(err, PayloadError::Json { .. }), "{err:?}");
}

#[test]
fn debug_output_shows_no_response_url() {
    // A response URL lets its holder post into the conversation: a capability, never logged.
    let body = "team_id=T1&channel_id=C1&user_id=U1&command=%2Ff&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F9%2Fsecret-part&trigger_id=1.2";
    let FormRequest::Command(cmd) = parse_form_body(body.as_bytes()).unwrap() else {
        panic!("not a command");
    };
    let shown = format!("{:?} {:#?}", cmd, FormRequest::Command(cmd.clone()));
    assert!(
        !shown.contains("secret-part") && !shown.contains("hooks.slack.com"),
        "{shown}"
    );
    assert!(
        shown.contains("response_url") && shown.contains("/f"),
        "{shown}"
    );

    let i = interaction(BLOCK_ACTIONS);
    let shown = format!("{i:?} {:?}", FormRequest::Interaction(Box::new(i.clone())));
    assert!(!shown.contains("random-value"), "{shown}");
    assert!(
        shown.contains("click_me_123"),
        "other fields still show: {shown}"
    );
}

#[test]
fn a_view_submission_gives_its_view_id_hash_and_the_values_the_user_entered() {
    // slack-ui.md §2, trimmed: a text input and a static select in the submitted view.
    let parsed = interaction(
        r#"{"type": "view_submission", "team": {"id": "T111"}, "user": {"id": "U111", "team_id": "T111"},
        "trigger_id": "111.222.x",
        "view": {"id": "V0MODAL1", "hash": "156663117.cd33ad1f", "team_id": "T111", "type": "modal",
          "callback_id": "followup_pick", "private_metadata": "",
          "state": {"values": {
            "key": {"key": {"type": "plain_text_input", "value": "fathom-key-123"}},
            "meeting": {"meeting": {"type": "static_select",
               "selected_option": {"text": {"type": "plain_text", "text": "09:30 Demo"}, "value": "123456789"}}},
            "empty": {"empty": {"type": "plain_text_input", "value": null}},
            "date": {"date": {"type": "datepicker", "selected_date": "2026-12-08"}},
            "time": {"time": {"type": "timepicker", "selected_time": "09:30", "timezone": "Europe/Rome"}},
            "guests": {"guests": {"type": "multi_static_select", "selected_options": [
               {"text": {"type": "plain_text", "text": "Ana"}, "value": "ana@client.example"},
               {"text": {"type": "plain_text", "text": "Bo"}, "value": "bo@client.example"}]}},
            "none": {"none": {"type": "checkboxes", "selected_options": []}}
          }}}}"#,
    );
    assert_eq!(parsed.view_id.as_deref(), Some("V0MODAL1"));
    assert_eq!(parsed.view_hash.as_deref(), Some("156663117.cd33ad1f"));
    assert_eq!(parsed.state_value("meeting", "meeting"), Some("123456789"));
    assert_eq!(parsed.state_value("key", "key"), Some("fathom-key-123"));
    assert_eq!(parsed.state_value("empty", "empty"), None);
    assert_eq!(parsed.state_value("nope", "nope"), None);
    assert_eq!(parsed.state_value("date", "date"), Some("2026-12-08"));
    assert_eq!(parsed.state_value("time", "time"), Some("09:30"));
    assert_eq!(
        parsed.state_values("guests", "guests"),
        ["ana@client.example", "bo@client.example"]
    );
    assert!(parsed.state_values("none", "none").is_empty());
    assert!(parsed.state_values("nope", "nope").is_empty());
    // What the user typed (a pasted key here) never reaches a log line through Debug.
    assert!(!format!("{parsed:?}").contains("fathom-key-123"));
}
