//! What template.yaml grants, checked as a reviewer would: each function reads only its own app
//! secret (the install function none), roles hold only the calls their code makes, the audit
//! table refuses PartiQL and rewrites, the API is throttled, the worker's concurrency reserved,
//! and `sam build` finds each function's crate and binary.

use serde_yaml_ng::Value;

const FUNCTIONS: [(&str, &str); 9] = [
    ("InstallFunction", "install"),
    ("OAuthFunction", "oauth"),
    ("EventsFunction", "events"),
    ("CommandsFunction", "commands"),
    ("AdminFunction", "admin"),
    ("WorkerFunction", "worker"),
    ("WebhooksFunction", "webhooks"),
    ("ConnectFunction", "connect"),
    ("OptionsFunction", "options"),
];

fn template() -> Value {
    serde_yaml_ng::from_str(bootstrap::template::TEMPLATE).expect("template.yaml is YAML")
}

fn resource<'a>(doc: &'a Value, logical: &str) -> &'a Value {
    &doc["Resources"][logical]
}

/// `!Ref X` as written in the template.
fn ref_name(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => None,
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Every (actions, resource) Allow statement of a function's inline policies.
fn statements(doc: &Value, logical: &str) -> Vec<(Vec<String>, Value)> {
    let policies = resource(doc, logical)["Properties"]["Policies"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    policies
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().cloned().unwrap_or_default())
        .map(|s| (strings(&s["Action"]), s["Resource"].clone()))
        .collect()
}

fn actions(doc: &Value, logical: &str) -> Vec<String> {
    statements(doc, logical)
        .into_iter()
        .flat_map(|(a, _)| a)
        .collect()
}

/// The app secrets a function may `GetSecretValue`, by logical id.
fn readable_app_secrets(doc: &Value, logical: &str) -> Vec<String> {
    statements(doc, logical)
        .into_iter()
        .filter(|(a, _)| a.iter().any(|a| a == "secretsmanager:GetSecretValue"))
        .filter_map(|(_, r)| ref_name(&r).map(str::to_owned))
        .collect()
}

#[test]
fn each_function_reads_only_its_own_app_secret_and_install_none() {
    let doc = template();
    // The connect-link key goes to who makes links (commands, the worker) or checks them
    // (connect), and nowhere else; the AI key to the worker alone; the Google and Fathom
    // OAuth client secrets to who exchanges codes (connect) and refreshes or revokes (worker).
    let expected: [(&str, &[&str], &[&str]); 9] = [
        ("InstallFunction", &[], &[]),
        ("WebhooksFunction", &[], &[]),
        ("OAuthFunction", &["ClientSecret"], &["CLIENT_SECRET_ARN"]),
        (
            "EventsFunction",
            &["SigningSecret"],
            &["SIGNING_SECRET_ARN"],
        ),
        (
            "CommandsFunction",
            &["SigningSecret", "ConnectLinkKey"],
            &["SIGNING_SECRET_ARN", "CONNECT_LINK_KEY_ARN"],
        ),
        ("AdminFunction", &["AdminKey"], &["ADMIN_KEY_ARN"]),
        (
            "OptionsFunction",
            &["SigningSecret", "CrmClientSecrets"],
            &["SIGNING_SECRET_ARN", "CRM_CLIENT_SECRETS_ARN"],
        ),
        (
            "WorkerFunction",
            &[
                "ClientSecret",
                "ConnectLinkKey",
                "AnthropicKey",
                "CrmClientSecrets",
                "GoogleClientSecret",
                "FathomClientSecret",
            ],
            &[
                "CLIENT_SECRET_ARN",
                "CONNECT_LINK_KEY_ARN",
                "ANTHROPIC_KEY_ARN",
                "GOOGLE_CLIENT_SECRET_ARN",
                "FATHOM_CLIENT_SECRET_ARN",
                "CRM_CLIENT_SECRETS_ARN",
            ],
        ),
        (
            "ConnectFunction",
            &[
                "ConnectLinkKey",
                "CrmClientSecrets",
                "GoogleClientSecret",
                "FathomClientSecret",
            ],
            &[
                "CONNECT_LINK_KEY_ARN",
                "GOOGLE_CLIENT_SECRET_ARN",
                "FATHOM_CLIENT_SECRET_ARN",
                "CRM_CLIENT_SECRETS_ARN",
            ],
        ),
    ];
    let all = [
        "SIGNING_SECRET_ARN",
        "CLIENT_SECRET_ARN",
        "ADMIN_KEY_ARN",
        "CONNECT_LINK_KEY_ARN",
    ];
    let globals = &doc["Globals"]["Function"]["Environment"]["Variables"];
    for var in all.iter().chain(&["APP_SECRET_ARN"]) {
        assert!(globals.get(var).is_none(), "{var} must not be global");
    }
    for (logical, secrets, vars) in expected {
        assert_eq!(readable_app_secrets(&doc, logical), secrets, "{logical}");
        let env = &resource(&doc, logical)["Properties"]["Environment"]["Variables"];
        for other in all {
            assert_eq!(
                env.get(other).is_some(),
                vars.contains(&other),
                "{logical} {other}"
            );
        }
    }
    let install = actions(&doc, "InstallFunction");
    assert!(
        install
            .iter()
            .all(|a| !a.starts_with("secretsmanager:") && !a.starts_with("kms:")),
        "install holds no secret and no key: {install:?}"
    );
}

#[test]
fn roles_hold_only_the_calls_their_code_makes() {
    let doc = template();
    let commands = actions(&doc, "CommandsFunction");
    // The request ledger (a replayed command is a duplicate) claims with PutItem and releases
    // with DeleteItem; nothing in commands scans.
    for present in ["dynamodb:PutItem", "dynamodb:DeleteItem"] {
        assert!(
            commands.contains(&present.to_owned()),
            "commands: {present}"
        );
    }
    assert!(!commands.contains(&"dynamodb:Scan".to_owned()));
    let worker = actions(&doc, "WorkerFunction");
    for absent in [
        "secretsmanager:CreateSecret",
        "secretsmanager:RestoreSecret",
        "secretsmanager:DeleteSecret",
    ] {
        assert!(!worker.contains(&absent.to_owned()), "worker: {absent}");
    }
    // The worker sends only to the DLQ (an undecodable envelope, with its reason), never jobs.
    for (actions, resource) in statements(&doc, "WorkerFunction") {
        if actions.iter().any(|a| a == "sqs:SendMessage") {
            let resource = format!("{resource:?}");
            assert!(
                resource.contains("DeadLetterQueue"),
                "worker sends to {resource}"
            );
        }
    }
    // Scan reads every partition: only the admin function lists tenants.
    for (logical, _) in FUNCTIONS {
        let has_scan = actions(&doc, logical).contains(&"dynamodb:Scan".to_owned());
        assert_eq!(has_scan, logical == "AdminFunction", "{logical}");
        assert!(
            !actions(&doc, logical)
                .iter()
                .any(|a| a.starts_with("dynamodb:PartiQL")),
            "{logical}"
        );
    }
}

#[test]
fn the_audit_table_refuses_partiql_and_rewrites_to_everyone() {
    let doc = template();
    let policy = &resource(&doc, "AuditTable")["Properties"]["ResourcePolicy"]["PolicyDocument"];
    let unconditional: Vec<String> = policy["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Deny" && s.get("Condition").is_none())
        .flat_map(|s| strings(&s["Action"]))
        .collect();
    for action in [
        "dynamodb:PartiQL*",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ] {
        assert!(unconditional.contains(&action.to_owned()), "{action}");
    }
    // Writers are named function roles, not every role whose name starts with the stack's.
    let text = serde_yaml_ng::to_string(policy).unwrap();
    assert!(!text.contains("${AWS::StackName}-*"), "{text}");
}

#[test]
fn the_api_is_throttled_and_the_worker_keeps_its_concurrency() {
    let doc = template();
    let api = &resource(&doc, "HttpApi")["Properties"];
    let limit = |v: &Value| ref_name(v).map(str::to_owned);
    let default = &api["DefaultRouteSettings"];
    assert_eq!(
        limit(&default["ThrottlingRateLimit"]).as_deref(),
        Some("ApiRateLimit")
    );
    assert_eq!(
        limit(&default["ThrottlingBurstLimit"]).as_deref(),
        Some("ApiBurstLimit")
    );
    for route in [
        "GET /slack/install",
        "GET /slack/oauth_redirect",
        "ANY /admin/{proxy+}",
        "GET /connect/{provider}",
        "GET /connect/{provider}/callback",
    ] {
        assert_eq!(
            limit(&api["RouteSettings"][route]["ThrottlingRateLimit"]).as_deref(),
            Some("BrowserRouteRateLimit"),
            "{route}"
        );
    }
    let worker = &resource(&doc, "WorkerFunction")["Properties"];
    assert!(worker.get("ReservedConcurrentExecutions").is_some());
    assert_eq!(
        ref_name(&worker["Events"]["Jobs"]["Properties"]["ScalingConfig"]["MaximumConcurrency"]),
        Some("WorkerConcurrency"),
        "SQS never invokes more workers than are reserved"
    );
}

#[test]
fn sam_build_finds_each_functions_crate_and_binary() {
    // Before: `Binary` sat directly under Metadata, where SAM's rust-cargolambda builder never
    // looks ("Cargo Lambda failed: unable to find function binary").
    let doc = template();
    for (logical, binary) in FUNCTIONS {
        let function = resource(&doc, logical);
        assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
        assert_eq!(
            function["Metadata"]["BuildProperties"]["Binary"], binary,
            "{logical}"
        );
        assert_eq!(
            function["Properties"]["CodeUri"],
            format!("functions/{binary}").as_str(),
            "{logical}: its own crate, so cargo builds that package alone"
        );
    }
}

/// The KMS `purpose`s a function's direct (non-service) grants allow for `action`.
fn purposes(doc: &Value, logical: &str, action: &str) -> Vec<String> {
    let policies = resource(doc, logical)["Properties"]["Policies"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    policies
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().cloned().unwrap_or_default())
        .filter(|s| strings(&s["Action"]).iter().any(|a| a == action))
        .flat_map(|s| strings(&s["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"]))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn commands_may_read_the_bot_token_and_seal_a_pasted_key_but_read_no_users_credential() {
    let doc = template();
    // views.open needs the bot token; a pasted Fathom or CRM key is sealed into its pending
    // slot.
    assert_eq!(
        purposes(&doc, "CommandsFunction", "kms:Decrypt"),
        ["slack-tokens"]
    );
    assert_eq!(
        purposes(&doc, "CommandsFunction", "kms:Encrypt"),
        ["crm:pending", "recorder:fathom-pending"]
    );
    // The worker checks and moves the pending keys, uses the Fathom and Google grants and
    // the workspace's CRM connections.
    let worker = purposes(&doc, "WorkerFunction", "kms:Decrypt");
    for purpose in [
        "slack-tokens",
        "recorder:fathom",
        "recorder:fathom-pending",
        "google",
        "followup-session",
        "crm:hubspot",
        "crm:salesforce",
        "crm:pipedrive",
        "crm:crono",
        "crm:pending",
    ] {
        assert!(worker.contains(&purpose.to_owned()), "worker: {purpose}");
    }
    // The key policy knows every purpose a role uses.
    let key = format!(
        "{:?}",
        resource(&doc, "TokenKey")["Properties"]["KeyPolicy"]
    );
    for purpose in ["recorder:fathom-pending", "crm:pending", "followup-session"] {
        assert!(key.contains(purpose), "TokenKey policy lacks {purpose}");
    }
}

#[test]
fn webhooks_may_read_only_the_registrations_secrets_and_queue_no_more_than_a_job() {
    let doc = template();
    // Decrypt under the webhook purpose alone: no Fathom key, no Slack token, no session.
    assert_eq!(
        purposes(&doc, "WebhooksFunction", "kms:Decrypt"),
        ["recorder:fathom-webhook"]
    );
    let actions = actions(&doc, "WebhooksFunction");
    for absent in ["kms:Encrypt", "dynamodb:Query", "dynamodb:Scan"] {
        assert!(!actions.contains(&absent.to_owned()), "webhooks: {absent}");
    }
    assert!(
        !actions.iter().any(|a| a.starts_with("secretsmanager:")),
        "no Secrets Manager at all: {actions:?}"
    );
    for (actions, resource) in statements(&doc, "WebhooksFunction") {
        let resource = format!("{resource:?}");
        if actions.iter().any(|a| a.starts_with("dynamodb:")) {
            // The table, never the audit table (nothing here is audited).
            assert!(!resource.contains("AuditTable"), "{resource}");
        }
        if actions.iter().any(|a| a == "sqs:SendMessage") {
            assert!(resource.contains("JobQueue"), "sends to {resource}");
        }
        if actions.iter().any(|a| a == "kms:GenerateDataKey") {
            assert!(resource.contains("DataKey"), "{resource}");
        }
    }
    // The worker registers and deletes the webhooks, so it seals and opens that purpose too;
    // the key policy knows it; the table lets the webhooks role write (its ledger, counter).
    let worker = purposes(&doc, "WorkerFunction", "kms:Encrypt");
    assert!(
        worker.contains(&"recorder:fathom-webhook".to_owned()),
        "{worker:?}"
    );
    let key = format!(
        "{:?}",
        resource(&doc, "TokenKey")["Properties"]["KeyPolicy"]
    );
    assert!(key.contains("recorder:fathom-webhook"));
    let table = format!(
        "{:?}",
        resource(&doc, "Table")["Properties"]["ResourcePolicy"]
    );
    assert!(table.contains("WebhooksFunctionRole"));
    let route =
        &resource(&doc, "WebhooksFunction")["Properties"]["Events"]["Webhooks"]["Properties"];
    assert_eq!(route["Method"], "POST");
    assert_eq!(route["Path"], "/webhooks/{provider}");
    // Fathom is given {PublicBaseUrl}/webhooks/fathom: the worker knows the base.
    let env = &resource(&doc, "WorkerFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(ref_name(&env["PUBLIC_BASE_URL"]), Some("PublicBaseUrl"));
}

#[test]
fn connect_may_seal_a_users_grant_but_read_no_credential_and_appends_to_the_audit_log() {
    let doc = template();
    assert_eq!(
        purposes(&doc, "ConnectFunction", "kms:Encrypt"),
        [
            "crm:hubspot",
            "crm:pipedrive",
            "crm:salesforce",
            "google",
            "recorder:fathom"
        ]
    );
    assert!(purposes(&doc, "ConnectFunction", "kms:Decrypt").is_empty());
    let connect = actions(&doc, "ConnectFunction");
    assert!(
        !connect
            .iter()
            .any(|a| a.starts_with("secretsmanager:") && a != "secretsmanager:GetSecretValue"),
        "{connect:?}"
    );
    // Its role may write the table and append (and seal) audit entries.
    for (logical, path) in [
        ("Table", "OnlyAppRolesWrite"),
        ("AuditTable", "OnlyAppRolesAppend"),
    ] {
        let policy =
            serde_yaml_ng::to_string(&resource(&doc, logical)["Properties"]["ResourcePolicy"])
                .unwrap();
        assert!(
            policy.contains(path) && policy.contains("ConnectFunctionRole"),
            "{logical}"
        );
    }
    let key = serde_yaml_ng::to_string(&resource(&doc, "AuditKey")["Properties"]).unwrap();
    assert!(key.contains("ConnectFunctionRole"));
}

#[test]
fn options_may_open_the_workspaces_crm_connection_but_no_slack_token_and_no_users_credential() {
    let doc = template();
    // It searches the CRM with the workspace's connection: the four CRM purposes, nothing
    // else (no bot token: it never calls Slack; no user's grant; no pending key).
    assert_eq!(
        purposes(&doc, "OptionsFunction", "kms:Decrypt"),
        [
            "crm:crono",
            "crm:hubspot",
            "crm:pipedrive",
            "crm:salesforce"
        ]
    );
    // A refreshed OAuth grant is resealed in place; Crono's key pair is never refreshed.
    assert_eq!(
        purposes(&doc, "OptionsFunction", "kms:Encrypt"),
        ["crm:hubspot", "crm:pipedrive", "crm:salesforce"]
    );
    let actions = actions(&doc, "OptionsFunction");
    for absent in [
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:BatchWriteItem",
        "kms:GenerateDataKeyWithoutPlaintext",
    ] {
        assert!(!actions.contains(&absent.to_owned()), "options: {absent}");
    }
    for (actions, value) in statements(&doc, "OptionsFunction") {
        if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
            // Its signing secret and the CRMs' OAuth client secrets (to refresh a grant): no
            // tenant secret (bot tokens live there).
            assert!(
                matches!(ref_name(&value), Some("SigningSecret" | "CrmClientSecrets")),
                "{value:?}"
            );
        }
        let resource = format!("{value:?}");
        if actions.iter().any(|a| a.starts_with("dynamodb:")) {
            // The table, never the audit table.
            assert!(
                resource.contains("Table") && !resource.contains("AuditTable"),
                "{resource}"
            );
        }
        if actions.iter().any(|a| a == "sqs:SendMessage") {
            assert!(resource.contains("JobQueue"), "sends to {resource}");
        }
        if actions.iter().any(|a| a == "kms:GenerateDataKey") {
            assert!(resource.contains("DataKey"), "{resource}");
        }
    }
    assert!(
        !format!("{:?}", statements(&doc, "OptionsFunction")).contains("tenants/"),
        "no tenant secret (bot tokens)"
    );
    let table = format!(
        "{:?}",
        resource(&doc, "Table")["Properties"]["ResourcePolicy"]
    );
    assert!(table.contains("OptionsFunctionRole"));
    let route = &resource(&doc, "OptionsFunction")["Properties"]["Events"]["Options"]["Properties"];
    assert_eq!(route["Method"], "POST");
    assert_eq!(route["Path"], "/slack/options");
    let env = &resource(&doc, "OptionsFunction")["Properties"]["Environment"]["Variables"];
    assert_eq!(env["OPTIONS_BUDGET_MS"], "2500");
    assert_eq!(ref_name(&env["HUBSPOT_CLIENT_ID"]), Some("HubSpotClientId"));
}
