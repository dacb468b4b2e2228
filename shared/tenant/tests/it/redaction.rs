//! What `Debug` shows of a job's Slack context: never the `response_url`, a capability that
//! lets its holder post into the conversation (envelopes reach log lines).

use tenant::{JobEnvelope, JobKind, SlackContext, TenantId};

#[test]
fn a_jobs_debug_output_redacts_its_response_url() {
    let slack = SlackContext {
        response_url: Some("https://hooks.slack.com/commands/T1/1/secret-part".into()),
        ..SlackContext::default()
    };
    let job = JobEnvelope::new(TenantId::parse("T1").unwrap(), JobKind::Ping, slack, 0);
    let shown = format!("{job:?} {:#?}", job.slack);
    assert!(!shown.contains("secret-part"), "{shown}");
    assert!(!shown.contains("hooks.slack.com"), "{shown}");
    assert!(shown.contains("response_url: Some("), "{shown}");
    // The URL itself is still there for the worker, and on the wire.
    assert!(job.to_json().contains("secret-part"));
    assert_eq!(
        format!("{:?}", SlackContext::default().response_url),
        "None"
    );
}
