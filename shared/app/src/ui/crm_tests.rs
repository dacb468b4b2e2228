use super::*;

fn choice(value: &str, label: &str) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
    }
}

fn all_text(view: &Value) -> String {
    view.to_string()
}

#[test]
fn the_chooser_offers_the_candidates_and_a_search_and_says_what_happens_to_the_pick() {
    let view = account_chooser(
        "42",
        "note",
        "HubSpot",
        "Two accounts in HubSpot use acme.com.",
        &[
            choice("1", "Acme · acme.com"),
            choice("2", "Acme Labs · acme.com"),
        ],
    );
    assert_eq!(view["callback_id"], ids::CRM_ACCOUNT);
    assert_eq!(view["private_metadata"], "42:note");
    let blocks = view["blocks"].as_array().unwrap();
    let pick = blocks
        .iter()
        .find(|b| b["block_id"] == ids::CRM_ACCOUNT_PICK)
        .unwrap();
    assert_eq!(pick["element"]["options"].as_array().unwrap().len(), 2);
    let search = blocks
        .iter()
        .find(|b| b["block_id"] == ids::CRM_ACCOUNT_SEARCH)
        .unwrap();
    assert_eq!(search["element"]["type"], "external_select");
    assert_eq!(search["optional"], true);
    // Nothing matched: the search is the only (required) way.
    let none = account_chooser("42", "deals", "HubSpot", "No account.", &[]);
    let blocks = none["blocks"].as_array().unwrap();
    assert!(
        !blocks
            .iter()
            .any(|b| b["block_id"] == ids::CRM_ACCOUNT_PICK)
    );
    assert_eq!(none["submit"]["text"], "Show deals");
}

#[test]
fn deals_show_each_deals_own_stages_with_its_current_one_chosen() {
    let row = DealRow {
        id: "d1".into(),
        name: "Acme renewal <script>".into(),
        pipeline: "Sales".into(),
        stage: "s2".into(),
        stages: vec![choice("s1", "Qualified"), choice("s2", "Proposal")],
        amount: Some("1500.00".into()),
        currency: Some("EUR".into()),
        link: "https://crm.example/d1".into(),
    };
    let view = deals(
        "42",
        "HubSpot",
        ("Acme", "https://crm.example/a"),
        &[row],
        None,
    );
    let blocks = view["blocks"].as_array().unwrap();
    let stage = blocks
        .iter()
        .find(|b| b["block_id"] == "deal_stage:d1")
        .unwrap();
    assert_eq!(stage["element"]["initial_option"]["value"], "s2");
    let amount = blocks
        .iter()
        .find(|b| b["block_id"] == "deal_amount:d1")
        .unwrap();
    assert_eq!(amount["element"]["initial_value"], "1500.00");
    assert_eq!(amount["label"]["text"], "Amount (EUR)");
    assert!(!all_text(&view).contains("<script>"));
    let empty = deals(
        "42",
        "HubSpot",
        ("Acme", "https://crm.example/a"),
        &[],
        None,
    );
    assert!(empty.get("submit").is_none());
    assert!(all_text(&empty).contains("no open deals"));
}

#[test]
fn the_task_keeps_what_was_typed_and_shows_the_zone() {
    let view = TaskView {
        recording: String::new(),
        crm: "Pipedrive".into(),
        contact: Some(choice("p1", "Ada Lovelace · ada@acme.example")),
        title: "Call Ada".into(),
        kind: "email".into(),
        date: "2026-01-15".into(),
        time: "09:00".into(),
        zone: "Europe/Rome".into(),
        notes: "pricing".into(),
    };
    let modal = task(&view, Some(&Banner::Error("Pipedrive is busy".into())));
    let text = all_text(&modal);
    assert!(text.contains("Europe/Rome"));
    assert!(text.contains(":warning: Pipedrive is busy"));
    let blocks = modal["blocks"].as_array().unwrap();
    let kind = blocks
        .iter()
        .find(|b| b["block_id"] == ids::TASK_KIND)
        .unwrap();
    assert_eq!(kind["element"]["initial_option"]["value"], "email");
    let contact = blocks
        .iter()
        .find(|b| b["block_id"] == ids::TASK_CONTACT)
        .unwrap();
    assert_eq!(contact["element"]["initial_option"]["value"], "p1");
    // No meeting: no "Back to the follow-up".
    assert!(!text.contains(ids::EVENT_BACK));
}

#[test]
fn connections_offer_what_each_crm_takes_and_never_a_key() {
    let rows = vec![
        ConnectionRow {
            value: "hubspot".into(),
            name: "HubSpot".into(),
            state: ConnectionState::Connected {
                default: true,
                label: Some("Acme portal".into()),
                broken: true,
            },
            connect_url: Some("https://sb.example/connect/hubspot?link=x".into()),
            takes_key: false,
        },
        ConnectionRow {
            value: "crono".into(),
            name: "Crono".into(),
            state: ConnectionState::NotConnected,
            connect_url: None,
            takes_key: true,
        },
    ];
    let view = connections(&rows, None);
    let text = all_text(&view);
    assert!(text.contains("connect it again"));
    assert!(text.contains("Connect HubSpot"));
    assert!(text.contains(ids::CRM_DISCONNECT));
    assert!(text.contains("Use an API key"));
    // The default is not offered as default again.
    assert!(!text.contains("\"value\":\"hubspot\",\"action_id\":\"crm_default\""));
    let pair = key_form(
        "crono",
        "Crono",
        true,
        Some("Crono did not accept that key pair."),
    );
    let text = all_text(&pair);
    assert!(text.contains(ids::CRM_KEY_PUBLIC) && text.contains(ids::CRM_KEY_PRIVATE));
    assert_eq!(pair["private_metadata"], "crono");
}
