//! Tenant extraction table: payload -> tenant (or error). Payload shapes follow slack.md and
//! bolt-python's `test_internals.py` / scenario-test fixtures.

use tenant::{EnterpriseId, TeamId, TenantId};

use super::*;
use crate::payload::{PayloadError, parse_events_body, parse_form_body};

enum Body {
    /// Events endpoint JSON.
    Events(&'static str),
    /// Slash command form body.
    Command(String),
    /// Interaction JSON, sent as `payload=<urlencoded json>`.
    Interaction(&'static str),
}

fn ws(id: &str) -> Result<TenantId, PayloadError> {
    Ok(TenantId::Workspace(TeamId::parse(id).unwrap()))
}

fn org(id: &str) -> Result<TenantId, PayloadError> {
    Ok(TenantId::Enterprise(EnterpriseId::parse(id).unwrap()))
}

fn tenant_of(body: &Body) -> Result<TenantId, PayloadError> {
    let ctx = match body {
        Body::Events(json) => parse_events_body(json.as_bytes())?.install_context(),
        Body::Command(form) => parse_form_body(form.as_bytes())?.install_context(),
        Body::Interaction(json) => {
            let form = serde_urlencoded::to_string([("payload", json)]).unwrap();
            parse_form_body(form.as_bytes())?.install_context()
        }
    };
    ctx.expect("every row names a tenant-bearing payload")
        .tenant_id()
}

const CMD_TAIL: &str = "&channel_id=C2147483705&user_id=U2147483697&command=/weather&text=94070&response_url=https://hooks.slack.com/commands/1234/5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";

#[test]
fn tenant_extraction_table() {
    // The slash-command rows share a tail; build them once.
    let cmd_enterprise_ws = format!(
        "token=x&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&is_enterprise_install=false{CMD_TAIL}"
    );
    let cmd_org_install =
        format!("token=x&team_id=T0001&enterprise_id=E0001&is_enterprise_install=true{CMD_TAIL}");

    let rows: Vec<(&str, Body, Result<TenantId, PayloadError>)> = vec![
        (
            "workspace app_mention (slack.md 3.5)",
            Body::Events(
                r#"{"token":"Z","team_id":"T123ABC456","api_app_id":"A123ABC456","type":"event_callback",
                "event":{"type":"app_mention","user":"U123ABC456","text":"hi","ts":"1515449522.000016","channel":"C123ABC456"},
                "event_id":"Ev123ABC456","event_time":1515449522,
                "authorizations":[{"team_id":"T123ABC456","user_id":"U123ABC456","is_bot":false,"is_enterprise_install":false}]}"#,
            ),
            ws("T123ABC456"),
        ),
        (
            "org-wide install event: authorizations say enterprise install",
            Body::Events(
                r#"{"team_id":"T111","enterprise_id":"E111","api_app_id":"A1","type":"event_callback",
                "event":{"type":"app_mention","user":"W1","text":"hi","ts":"1.2","channel":"C1"},
                "event_id":"Ev1","event_time":1,
                "authorizations":[{"enterprise_id":"E111","team_id":null,"user_id":"W9","is_bot":true,"is_enterprise_install":true}]}"#,
            ),
            org("E111"),
        ),
        (
            "workspace inside an enterprise, installed per workspace",
            Body::Events(
                r#"{"team_id":"T111","enterprise_id":"E111","type":"event_callback",
                "event":{"type":"message","user":"W1","text":"hi","ts":"1.2","channel":"C1","channel_type":"channel"},
                "event_id":"Ev1","event_time":1,
                "authorizations":[{"enterprise_id":"E111","team_id":"T111","user_id":"W9","is_bot":true,"is_enterprise_install":false}]}"#,
            ),
            ws("T111"),
        ),
        (
            "tokens_revoked with only enterprise_id (bolt-python scenario fixture)",
            Body::Events(
                r#"{"token":"verification-token","enterprise_id":"E111","api_app_id":"A111",
                "event":{"type":"tokens_revoked","tokens":{"oauth":["W111"],"bot":["W222"]}},
                "type":"event_callback","event_id":"Ev111","event_time":1606805974}"#,
            ),
            org("E111"),
        ),
        (
            "app_uninstalled (slack.md 3.3)",
            Body::Events(
                r#"{"token":"XXYYZZ","team_id":"TXXXXXXXX","api_app_id":"AXXXXXXXXX",
                "event":{"type":"app_uninstalled"},"type":"event_callback","event_id":"EvXXXXXXXX","event_time":1234567890}"#,
            ),
            ws("TXXXXXXXX"),
        ),
        (
            "Slack Connect: team_id is the other org's, authorizations name ours",
            Body::Events(
                r#"{"team_id":"T999OTHER","type":"event_callback",
                "event":{"type":"message","user":"U999","text":"hi","ts":"1.2","channel":"C1","channel_type":"channel"},
                "event_id":"Ev1","event_time":1,"is_ext_shared_channel":true,
                "authorizations":[{"team_id":"T111","user_id":"U9","is_bot":true,"is_enterprise_install":false}],
                "context_team_id":"T111","context_enterprise_id":null}"#,
            ),
            ws("T111"),
        ),
        (
            "ext-shared channel without authorizations: context_team_id wins over team_id",
            Body::Events(
                r#"{"team_id":"T999OTHER","type":"event_callback",
                "event":{"type":"reaction_added","user":"U999"},
                "event_id":"Ev1","event_time":1,"is_ext_shared_channel":true,"context_team_id":"T111"}"#,
            ),
            ws("T111"),
        ),
        (
            "Slack Connect into an org-wide install",
            Body::Events(
                r#"{"team_id":"T999OTHER","type":"event_callback",
                "event":{"type":"app_mention","user":"U999","text":"hi","ts":"1.2","channel":"C1"},
                "event_id":"Ev1","event_time":1,"is_ext_shared_channel":true,
                "authorizations":[{"enterprise_id":"E111","team_id":null,"user_id":"W9","is_bot":true,"is_enterprise_install":true}],
                "context_team_id":"T999OTHER","context_enterprise_id":"E111"}"#,
            ),
            org("E111"),
        ),
        (
            "legacy payload with authed_users and no authorizations",
            Body::Events(
                r#"{"token":"x","team_id":"T111","api_app_id":"A1","type":"event_callback",
                "event":{"type":"message","user":"U1","text":"hi","ts":"1.2","channel":"C1"},
                "event_id":"Ev1","event_time":1,"authed_users":["U9"]}"#,
            ),
            ws("T111"),
        ),
        (
            "app_rate_limited (slack.md 3.7)",
            Body::Events(
                r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","type":"app_rate_limited","team_id":"T123ABC456","minute_rate_limited":1518467820,"api_app_id":"A123ABC456"}"#,
            ),
            ws("T123ABC456"),
        ),
        (
            "event naming neither team nor enterprise",
            Body::Events(
                r#"{"type":"event_callback","event":{"type":"app_uninstalled"},"event_id":"Ev1","event_time":1}"#,
            ),
            Err(PayloadError::NoTenant),
        ),
        (
            "org install in authorizations without an enterprise id",
            Body::Events(
                r#"{"team_id":"T111","type":"event_callback","event":{"type":"app_uninstalled"},"event_id":"Ev1","event_time":1,
                "authorizations":[{"team_id":"T111","is_enterprise_install":true}]}"#,
            ),
            Err(PayloadError::OrgInstallWithoutEnterprise),
        ),
        (
            "slash command in a plain workspace (signing vector body)",
            Body::Command(
                "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c".into(),
            ),
            ws("T1DC2JH3J"),
        ),
        (
            "slash command from an org-wide install (\"true\" string)",
            Body::Command(cmd_org_install),
            org("E0001"),
        ),
        (
            "slash command in an enterprise workspace, not org-installed",
            Body::Command(cmd_enterprise_ws),
            ws("T0001"),
        ),
        (
            "block_actions with team object and enterprise (bolt-python fixture)",
            Body::Interaction(crate::payload::form_tests::BLOCK_ACTIONS),
            ws("T111"),
        ),
        (
            "global shortcut (bolt-python fixture)",
            Body::Interaction(crate::payload::form_tests::GLOBAL_SHORTCUT),
            ws("T111"),
        ),
        (
            "shortcut with enterprise object, not org-installed (bolt test_internals)",
            Body::Interaction(
                r#"{"type":"shortcut","token":"xxx","action_ts":"1606983924.521157","team":{"id":"T111","domain":"ddd"},
                "user":{"id":"U111","username":"use","team_id":"T111"},"is_enterprise_install":false,
                "enterprise":{"id":"E111","domain":"eee"},"callback_id":"run-socket-mode","trigger_id":"111.222.xxx"}"#,
            ),
            ws("T111"),
        ),
        (
            "message_action",
            Body::Interaction(
                r#"{"type":"message_action","callback_id":"summarise","trigger_id":"1.2.x","message_ts":"111.222",
                "response_url":"https://hooks.slack.com/app/T222/1/x","message":{"type":"message","user":"U2","ts":"111.222","text":"hi"},
                "channel":{"id":"C9"},"team":{"id":"T222","domain":"d"},"user":{"id":"U1","team_id":"T222"}}"#,
            ),
            ws("T222"),
        ),
        (
            "view_submission opened through Slack Connect: app_installed_team_id wins",
            Body::Interaction(
                r#"{"type":"view_submission","team":{"id":"T999OTHER"},"user":{"id":"U1","team_id":"T999OTHER"},
                "view":{"id":"V1","team_id":"T999OTHER","callback_id":"m","app_installed_team_id":"T222"},
                "is_enterprise_install":false}"#,
            ),
            ws("T222"),
        ),
        (
            "view_submission from an org-wide install: team null, enterprise set",
            Body::Interaction(
                r#"{"type":"view_submission","team":null,"enterprise":{"id":"E111","name":"Org"},
                "user":{"id":"W1","team_id":"T111"},"view":{"id":"V1","team_id":"T111","callback_id":"m"},
                "is_enterprise_install":true}"#,
            ),
            org("E111"),
        ),
        (
            "interaction with team null falls back to user.team_id",
            Body::Interaction(
                r#"{"type":"block_actions","team":null,"enterprise":{"id":"E111"},
                "user":{"id":"W1","team_id":"T333"},"actions":[{"action_id":"a"}],"is_enterprise_install":false}"#,
            ),
            ws("T333"),
        ),
        (
            "view_closed with only view.team_id",
            Body::Interaction(r#"{"type":"view_closed","view":{"id":"V1","team_id":"T444"}}"#),
            ws("T444"),
        ),
        (
            "org-wide interaction without any enterprise id",
            Body::Interaction(
                r#"{"type":"block_actions","team":null,"user":{"id":"W1","team_id":"T1"},"is_enterprise_install":true}"#,
            ),
            Err(PayloadError::OrgInstallWithoutEnterprise),
        ),
    ];

    assert!(rows.len() >= 15);
    for (name, body, expected) in rows {
        assert_eq!(tenant_of(&body), expected, "row: {name}");
    }
}

#[test]
fn install_context_exposes_the_raw_triple() {
    let req = parse_events_body(
        br#"{"team_id":"T999","enterprise_id":"E999","type":"event_callback","event":{"type":"app_uninstalled"},
        "event_id":"Ev1","event_time":1,
        "authorizations":[{"enterprise_id":"E111","team_id":"T111","is_enterprise_install":false}]}"#,
    )
    .unwrap();
    assert_eq!(
        req.install_context(),
        Some(InstallContext {
            enterprise_id: Some(EnterpriseId::parse("E111").unwrap()),
            team_id: Some(TeamId::parse("T111").unwrap()),
            is_enterprise_install: false,
        })
    );
}

#[test]
fn authorizations_decide_alone_even_when_they_hold_nulls() {
    // Bolt returns authorizations[0]'s values even when null; it does not fall back to the
    // top-level ids, which may belong to another org.
    let req = parse_events_body(
        br#"{"team_id":"T999","enterprise_id":"E999","type":"event_callback","event":{"type":"app_uninstalled"},
        "event_id":"Ev1","event_time":1,"authorizations":[{"enterprise_id":"E111","is_enterprise_install":false}]}"#,
    )
    .unwrap();
    let ctx = req.install_context().unwrap();
    assert_eq!(ctx.team_id, None);
    assert_eq!(ctx.tenant_id(), org("E111"));
}

#[test]
fn url_verification_and_ssl_check_have_no_tenant() {
    let v = parse_events_body(br#"{"type":"url_verification","challenge":"c"}"#).unwrap();
    assert_eq!(v.install_context(), None);
    assert_eq!(
        parse_form_body(b"ssl_check=1").unwrap().install_context(),
        None
    );
}
