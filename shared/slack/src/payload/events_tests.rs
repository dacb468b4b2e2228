//! Events endpoint parsing, on the payloads of slack.md section 3 (doc elisions `...` and
//! trailing commas removed, as the file instructs) and bolt-python fixtures.

use tenant::{AppId, BotId, ChannelId, EnterpriseId, TeamId, UserId};

use super::*;

fn callback(json: &str) -> EventCallback {
    match parse_events_body(json.as_bytes()) {
        Ok(EventsRequest::EventCallback(cb)) => *cb,
        other => panic!("expected an event_callback, got {other:?}"),
    }
}

#[test]
fn url_verification_yields_the_challenge() {
    let body = r#"{
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification"
    }"#;
    assert_eq!(
        parse_events_body(body.as_bytes()).unwrap(),
        EventsRequest::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        }
    );
}

#[test]
fn envelope_example_parses_with_an_unknown_inner_event() {
    // slack.md 3.2, with the `...` line and the trailing comma removed.
    let body = r#"{    "type": "event_callback",    "token": "XXYYZZ",    "team_id": "T123ABC456",    "api_app_id": "A123ABC456",    "event": {        "type": "name_of_event",        "event_ts": "1234567890.123456",        "user": "U123ABC456"    },    "event_context": "EC123ABC456",    "event_id": "Ev123ABC456",    "event_time": 1234567890,    "authorizations": [        {            "enterprise_id": "E123ABC456",            "team_id": "T123ABC456",            "user_id": "U123ABC456",            "is_bot": false,            "is_enterprise_install": false        }    ],    "is_ext_shared_channel": false,    "context_team_id": "T123ABC456",    "context_enterprise_id": null}"#;
    let cb = callback(body);
    assert_eq!(cb.team_id, Some(TeamId::parse("T123ABC456").unwrap()));
    assert_eq!(cb.api_app_id, Some(AppId::parse("A123ABC456").unwrap()));
    assert_eq!(cb.event_id, "Ev123ABC456");
    assert_eq!(cb.event_time, 1_234_567_890);
    assert_eq!(
        cb.context_team_id,
        Some(TeamId::parse("T123ABC456").unwrap())
    );
    assert_eq!(cb.context_enterprise_id, None);
    assert!(!cb.is_ext_shared_channel);
    assert_eq!(
        cb.authorizations,
        vec![Authorization {
            enterprise_id: Some(EnterpriseId::parse("E123ABC456").unwrap()),
            team_id: Some(TeamId::parse("T123ABC456").unwrap()),
            user_id: Some(UserId::parse("U123ABC456").unwrap()),
            is_bot: false,
            is_enterprise_install: false,
        }]
    );
    assert_eq!(cb.event.kind(), "name_of_event");
    assert_eq!(
        cb.event,
        Event::Other {
            event_type: "name_of_event".into(),
            user: Some(UserId::parse("U123ABC456").unwrap()),
            bot_id: None,
        }
    );
}

#[test]
fn app_uninstalled_parses() {
    let body = r#"{
        "token": "XXYYZZ",
        "team_id": "TXXXXXXXX",
        "api_app_id": "AXXXXXXXXX",
        "event": {
            "type": "app_uninstalled"
        },
        "type": "event_callback",
        "event_id": "EvXXXXXXXX",
        "event_time": 1234567890
    }"#;
    let cb = callback(body);
    assert_eq!(cb.event, Event::AppUninstalled);
    assert_eq!(cb.event.sender(), (None, None));
    assert_eq!(cb.team_id, Some(TeamId::parse("TXXXXXXXX").unwrap()));
    assert!(cb.authorizations.is_empty());
}

#[test]
fn tokens_revoked_lists_user_ids() {
    let body = r#"{
"token": "XXYYZZ",
"team_id": "TXXXXXXXX",
"api_app_id": "AXXXXXXXXX",
"event": {
"type": "tokens_revoked",
"tokens": {
"oauth": [
"UXXXXXXXX"
],
"bot": [
"UXXXXXXXX"
]
}
},
"type": "event_callback",
"event_id": "EvXXXXXXXX",
"event_time": 1234567890
}"#;
    let u = UserId::parse("UXXXXXXXX").unwrap();
    assert_eq!(
        callback(body).event,
        Event::TokensRevoked {
            oauth: vec![u.clone()],
            bot: vec![u]
        }
    );
}

#[test]
fn tokens_revoked_with_only_bot_tokens() {
    let body = r#"{"type":"event_callback","enterprise_id":"E111","api_app_id":"A111","event_id":"Ev111","event_time":1606805974,
        "event":{"type":"tokens_revoked","tokens":{"bot":["W222"]}}}"#;
    assert_eq!(
        callback(body).event,
        Event::TokensRevoked {
            oauth: vec![],
            bot: vec![UserId::parse("W222").unwrap()]
        }
    );
}

#[test]
fn app_mention_example_parses() {
    // slack.md 3.5 with trailing commas removed.
    let body = r#"{
        "token": "ZZZZZZWSxiZZZ2yIvs3peJ",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {
            "type": "app_mention",
            "user": "U123ABC456",
            "text": "What is the hour of the pearl, <@U0LAN0Z89>?",
            "ts": "1515449522.000016",
            "channel": "C123ABC456",
            "event_ts": "1515449522000016"
        },
        "type": "event_callback",
        "event_id": "Ev123ABC456",
        "event_time": 1515449522000016,
        "authorizations": [
            {
                "team_id": "T123ABC456",
                "user_id": "U123ABC456",
                "is_bot": false,
                "is_enterprise_install": false
            }
        ]
    }"#;
    let cb = callback(body);
    assert_eq!(cb.event_time, 1_515_449_522_000_016);
    assert_eq!(
        cb.event,
        Event::AppMention {
            user: Some(UserId::parse("U123ABC456").unwrap()),
            text: "What is the hour of the pearl, <@U0LAN0Z89>?".into(),
            ts: "1515449522.000016".into(),
            channel: ChannelId::parse("C123ABC456").unwrap(),
            thread_ts: None,
            bot_id: None,
        }
    );
    assert_eq!(cb.event.kind(), "app_mention");
}

#[test]
fn message_channels_example_parses() {
    let body = r#"{
        "token": "one-long-verification-token",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {
            "type": "message",
            "channel": "C123ABC456",
            "user": "U123ABC456",
            "text": "Live long and prospect.",
            "ts": "1355517523.000005",
            "event_ts": "1355517523.000005",
            "channel_type": "channel"
        },
        "type": "event_callback",
        "authorizations": [
            {
                "team_id": "T123ABC456",
                "user_id": "U123ABC456",
                "is_bot": false,
                "is_enterprise_install": false
            }
        ],
        "event_id": "Ev123ABC456",
        "event_time": 1355517523
    }"#;
    let cb = callback(body);
    assert_eq!(
        cb.event,
        Event::Message {
            user: Some(UserId::parse("U123ABC456").unwrap()),
            text: Some("Live long and prospect.".into()),
            ts: "1355517523.000005".into(),
            channel: ChannelId::parse("C123ABC456").unwrap(),
            channel_type: Some("channel".into()),
            thread_ts: None,
            bot_id: None,
            subtype: None,
        }
    );
}

#[test]
fn bot_message_exposes_its_bot_id_as_sender() {
    let body = r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1,
        "event":{"type":"message","subtype":"bot_message","bot_id":"B123","text":"hi",
                 "ts":"1.2","channel":"D123","channel_type":"im","thread_ts":"1.1"}}"#;
    let cb = callback(body);
    let bot = BotId::parse("B123").unwrap();
    assert_eq!(cb.event.sender(), (None, Some(&bot)));
    match cb.event {
        Event::Message {
            subtype, thread_ts, ..
        } => {
            assert_eq!(subtype.as_deref(), Some("bot_message"));
            assert_eq!(thread_ts.as_deref(), Some("1.1"));
        }
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn app_home_opened_parses() {
    let body = r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1,
        "event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home","event_ts":"1.2"}}"#;
    assert_eq!(
        callback(body).event,
        Event::AppHomeOpened {
            user: UserId::parse("U1").unwrap(),
            channel: ChannelId::parse("D1").unwrap(),
            tab: Some("home".into()),
        }
    );
}

#[test]
fn unknown_events_with_object_shaped_fields_still_parse() {
    // user_change carries `user` as an object, channel_created carries `channel` as one.
    let body = r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1,
        "event":{"type":"user_change","user":{"id":"U1","name":"x"},"channel":{"id":"C1"},
                 "ts":123,"tokens":"whatever","event_ts":"1.2"}}"#;
    assert_eq!(
        callback(body).event,
        Event::Other {
            event_type: "user_change".into(),
            user: None,
            bot_id: None
        }
    );
}

#[test]
fn app_rate_limited_parses() {
    let body = "{\t\"token\": \"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\t\"type\": \"app_rate_limited\",\t\"team_id\": \"T123ABC456\",\t\"minute_rate_limited\": 1518467820,\t\"api_app_id\": \"A123ABC456\"}";
    assert_eq!(
        parse_events_body(body.as_bytes()).unwrap(),
        EventsRequest::AppRateLimited {
            team_id: Some(TeamId::parse("T123ABC456").unwrap()),
            minute_rate_limited: 1_518_467_820
        }
    );
}

#[test]
fn unknown_top_level_type_is_an_error() {
    let err = parse_events_body(br#"{"type":"block_actions"}"#).unwrap_err();
    assert_eq!(err, PayloadError::UnknownType("block_actions".into()));
}

#[test]
fn missing_top_level_type_is_an_error() {
    let err = parse_events_body(br#"{"team_id":"T1"}"#).unwrap_err();
    assert_eq!(err, PayloadError::MissingField("type"));
}

#[test]
fn event_callback_without_event_id_or_event_is_an_error() {
    let no_id = br#"{"type":"event_callback","team_id":"T1","event_time":1,"event":{"type":"app_uninstalled"}}"#;
    assert_eq!(
        parse_events_body(no_id).unwrap_err(),
        PayloadError::MissingField("event_id")
    );
    let no_event = br#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1}"#;
    assert_eq!(
        parse_events_body(no_event).unwrap_err(),
        PayloadError::MissingField("event")
    );
}

#[test]
fn known_event_with_missing_channel_is_an_error() {
    let body = br#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event_time":1,
        "event":{"type":"app_mention","user":"U1","text":"hi","ts":"1.2"}}"#;
    assert_eq!(
        parse_events_body(body).unwrap_err(),
        PayloadError::MissingField("event.channel")
    );
}

#[test]
fn malformed_ids_are_rejected_with_the_field_name() {
    let body = br#"{"type":"event_callback","team_id":"U1","event_id":"Ev1","event_time":1,
        "event":{"type":"app_uninstalled"}}"#;
    match parse_events_body(body).unwrap_err() {
        PayloadError::InvalidId { field, .. } => assert_eq!(field, "team_id"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn invalid_json_is_an_error_that_does_not_echo_values() {
    let err = parse_events_body(br#"{"type":"event_callback","event_time":"xoxb-123-secret"}"#)
        .unwrap_err();
    assert!(matches!(err, PayloadError::Json { .. }), "{err:?}");
    assert!(!err.to_string().contains("xoxb"), "{err}");
    assert!(matches!(
        parse_events_body(b"not json").unwrap_err(),
        PayloadError::Json { .. }
    ));
}
