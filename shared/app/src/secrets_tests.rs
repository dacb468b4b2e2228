use super::*;
use crate::wiring::SlackSettings;

/// A value of Slack's shape: 32 lowercase hex characters.
const SLACK_SHAPED: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn settings(signing: Option<&str>) -> SlackSettings {
    SlackSettings {
        signing_secret: signing.map(str::to_owned),
        ..SlackSettings::from_env()
    }
}

#[test]
fn the_templates_placeholder_signing_secret_gives_no_verifier() {
    // Before: `replace-me` (the template's initial value) built a verifier, so anyone who read
    // the template could sign requests the functions accepted.
    let err = settings(Some("replace-me")).verifier().unwrap_err();
    assert!(
        err.to_string().contains("placeholder"),
        "the log line says why: {err}"
    );
}

#[test]
fn a_short_or_missing_signing_secret_gives_no_verifier() {
    let short = "0f1e2d3c4b5a69788796a5b4c3d2e1f"; // 31 characters
    let err = settings(Some(short)).verifier().unwrap_err();
    assert!(err.to_string().contains("31 characters"), "{err}");
    let err = settings(None).verifier().unwrap_err();
    assert!(err.to_string().contains("not set"), "{err}");
    assert!(settings(Some(SLACK_SHAPED)).verifier().is_ok());
}

#[test]
fn the_rule_refuses_guessable_values_and_names_no_value() {
    let cases: &[(&str, WeakSecret)] = &[
        ("", WeakSecret::Empty),
        ("replace-me", WeakSecret::Placeholder),
        (
            "REPLACE-ME-with-the-real-one-0123456789",
            WeakSecret::Placeholder,
        ),
        (
            "changeme-changeme-changeme-changeme",
            WeakSecret::Placeholder,
        ),
        (SLACK_EXAMPLE_SECRET, WeakSecret::Placeholder),
        ("short-but-random-Q7x", WeakSecret::TooShort { len: 20 }),
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0\n", WeakSecret::Whitespace),
        (" 0f1e2d3c4b5a69788796a5b4c3d2e1f0", WeakSecret::Whitespace),
        (
            "abababababababababababababababab",
            WeakSecret::TooFewDistinct,
        ),
        (
            "00000000000000000000000000000000",
            WeakSecret::TooFewDistinct,
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(check_strong(value), Err(*expected), "{value:?}");
        // The reason names the rule, never the value (`replace-me` is the rule's own example).
        let text = expected.to_string();
        let echoed = value.len() >= 4 && text.contains(value.trim());
        assert!(!echoed || *value == "replace-me", "{text}");
    }
    for good in [
        SLACK_SHAPED,
        "e2e-signing-secret-0123456789abcdef",
        "tq8dQ2vX9mBfL3kR7wYpZ1sNcH5jG0aE",
    ] {
        assert_eq!(check_strong(good), Ok(()), "{good}");
    }
}

#[test]
fn a_placeholder_client_secret_means_oauth_is_not_configured() {
    let mut slack = settings(Some(SLACK_SHAPED));
    slack.client_id = Some("1000000001.2000000002".into());
    slack.client_secret = Some(Secret::new("replace-me"));
    assert!(slack.oauth_client().unwrap().is_none());
    slack.client_secret = Some(Secret::new("a-real-client-secret-value"));
    assert!(slack.oauth_client().unwrap().is_some());
}

#[test]
fn a_weak_admin_key_counts_as_unset() {
    let mut slack = settings(None);
    slack.admin_api_key = Some(Secret::new("replace-me"));
    assert!(slack.checked_admin_api_key().is_none());
    slack.admin_api_key = Some(Secret::new("admin"));
    assert!(slack.checked_admin_api_key().is_none());
    slack.admin_api_key = Some(Secret::new("e2e-admin-key-0123456789abcdef0123456789"));
    assert!(slack.checked_admin_api_key().is_some());
}

#[test]
fn values_from_a_source_fill_only_what_the_environment_left_unset() {
    let mut env = settings(Some("env-signing-secret-0123456789abcdef"));
    env.admin_api_key = None;
    env.connect_link_key = None;
    env.anthropic_api_key = None;
    let read = SecretValues {
        signing_secret: Some(Secret::new("stored-signing-secret-0123456789ab")),
        client_secret: Some(Secret::new("stored-client-secret")),
        admin_api_key: Some(Secret::new("stored-admin-key")),
        connect_link_key: Some(Secret::new("stored-connect-link-key")),
        anthropic_api_key: Some(Secret::new("stored-anthropic-key")),
        google_client_secret: Some(Secret::new("stored-google-client-secret")),
        fathom_client_secret: Some(Secret::new("replace-me")),
        crm_client_secrets: Some(Secret::new(
            r#"{"HUBSPOT_CLIENT_SECRET": "stored-hubspot-secret", "PIPEDRIVE_CLIENT_SECRET": "replace-me", "OTHER": "x"}"#,
        )),
    };
    let merged = env.with_values(&read);
    assert_eq!(
        merged.signing_secret.as_deref(),
        Some("env-signing-secret-0123456789abcdef")
    );
    assert_eq!(
        merged.admin_api_key.as_ref().map(Secret::expose),
        Some("stored-admin-key")
    );
    assert_eq!(
        merged.connect_link_key.as_ref().map(Secret::expose),
        Some("stored-connect-link-key")
    );
    assert_eq!(
        merged.anthropic_api_key.as_ref().map(Secret::expose),
        Some("stored-anthropic-key")
    );
    // The OAuth client secrets reach the connectors through the provider lookup; the
    // template's placeholder is no secret at all.
    let lookup = merged.provider_lookup();
    assert_eq!(
        lookup("GOOGLE_CLIENT_SECRET").as_deref(),
        Some("stored-google-client-secret")
    );
    assert_eq!(lookup("FATHOM_CLIENT_SECRET"), None);
    // The CRMs' come from their one JSON secret; a placeholder in it is no secret either, and
    // a name that is not a CRM client secret is never read from it.
    assert_eq!(
        lookup("HUBSPOT_CLIENT_SECRET").as_deref(),
        Some("stored-hubspot-secret")
    );
    assert_eq!(lookup("PIPEDRIVE_CLIENT_SECRET"), None);
    assert_eq!(lookup("OTHER"), None);
    let shown = format!("{read:?} {merged:?}");
    assert!(!shown.contains("stored"), "{shown}");
}

#[test]
fn the_templates_placeholder_anthropic_key_counts_as_unset() {
    // template.yaml creates the secret with `replace-me` for the operator to fill: until then
    // follow-ups say "not configured" rather than calling the AI with a placeholder.
    let mut env = settings(None);
    env.anthropic_api_key = None;
    let read = SecretValues {
        anthropic_api_key: Some(Secret::new("replace-me")),
        ..SecretValues::default()
    };
    assert!(env.with_values(&read).anthropic_api_key.is_none());
}

#[test]
fn connect_links_need_a_strong_key_and_the_public_base_url() {
    let mut slack = settings(None);
    slack.install.public_base_url = Some("https://sb.example".into());
    slack.connect_link_key = Some(Secret::new("replace-me"));
    assert!(slack.connect_links().is_none());
    slack.connect_link_key = Some(Secret::new("e2e-connect-link-key-0123456789abcdef"));
    assert!(slack.connect_links().is_some());
    slack.install.public_base_url = None;
    assert!(slack.connect_links().is_none());
    assert!(!format!("{slack:?}").contains("0123456789abcdef"));
}
