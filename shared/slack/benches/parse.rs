//! Parse + tenant extraction: an event_callback (events endpoint) and a slash command.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use slack::{parse_events_body, parse_form_body};

const EVENT: &str = r#"{"token":"ZZZZZZWSxiZZZ2yIvs3peJ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U123ABC456","text":"What is the hour of the pearl, <@U0LAN0Z89>?","ts":"1515449522.000016","channel":"C123ABC456","event_ts":"1515449522.000016"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1515449522,"authorizations":[{"enterprise_id":null,"team_id":"T123ABC456","user_id":"U123ABC456","is_bot":false,"is_enterprise_install":false}],"is_ext_shared_channel":false,"context_team_id":"T123ABC456","context_enterprise_id":null}"#;

const COMMAND: &str = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20Construct%20Inc&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=/weather&text=94070&response_url=https://hooks.slack.com/commands/1234/5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456&is_enterprise_install=false";

fn event_tenant(body: &[u8]) -> Option<tenant::TenantId> {
    parse_events_body(body)
        .ok()?
        .install_context()?
        .tenant_id()
        .ok()
}

fn command_tenant(body: &[u8]) -> Option<tenant::TenantId> {
    parse_form_body(body)
        .ok()?
        .install_context()?
        .tenant_id()
        .ok()
}

fn bench_parse(c: &mut Criterion) {
    // Guard: the benches must measure the successful path.
    assert_eq!(
        event_tenant(EVENT.as_bytes())
            .map(|t| t.to_string())
            .as_deref(),
        Some("T123ABC456")
    );
    assert_eq!(
        command_tenant(COMMAND.as_bytes())
            .map(|t| t.to_string())
            .as_deref(),
        Some("T0001")
    );
    c.bench_function("parse_event_callback_and_tenant", |b| {
        b.iter(|| event_tenant(black_box(EVENT.as_bytes())))
    });
    c.bench_function("parse_slash_command_and_tenant", |b| {
        b.iter(|| command_tenant(black_box(COMMAND.as_bytes())))
    });
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
