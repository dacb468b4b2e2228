use serde_json::Value;

use super::messages::{failed, generating, ready};
use super::modals::{PickerOption, connect_fathom, loading, no_meetings, no_recorder, picker};
use super::*;

fn title_len(view: &Value) -> usize {
    view["title"]["text"].as_str().unwrap().chars().count()
}

/// Every modal we send keeps Slack's rules (slack-ui.md §1.1): a title of at most 24
/// characters, 1-100 blocks, a submit button whenever there is an input.
#[test]
fn every_modal_keeps_slacks_limits() {
    let options: Vec<PickerOption> = (0..150)
        .map(|n| PickerOption {
            label: format!(
                "{n:02}:00 · {} · 30 min",
                "A very long meeting title ".repeat(5)
            ),
            value: n.to_string(),
        })
        .collect();
    let views = [
        loading(),
        picker("Today, Tue 1 Dec", &options, Some(1)),
        no_meetings("Yesterday", Some(2)),
        no_meetings("14 days ago", None),
        no_recorder(),
        connect_fathom(Some("Fathom did not accept that key.")),
        modals::checking_key(),
        modals::notice("A title that is far too long for Slack", "text"),
        calendar::event_form("42", &event_form(150)),
        calendar::event_form("42", &event_form(0)),
        calendar::creating_event("42"),
    ];
    for view in &views {
        assert_eq!(view["type"], "modal");
        assert!(title_len(view) <= 24, "{}", view["title"]);
        let blocks = view["blocks"].as_array().unwrap();
        assert!((1..=100).contains(&blocks.len()));
        if blocks.iter().any(|b| b["type"] == "input") {
            assert!(view["submit"].is_object(), "{view}");
        }
    }
    let select = &views[1]["blocks"][1]["element"];
    let shown = select["options"].as_array().unwrap();
    assert_eq!(shown.len(), 100);
    assert!(
        shown
            .iter()
            .all(|o| o["text"]["text"].as_str().unwrap().chars().count() <= 75)
    );
    assert_eq!(views[1]["blocks"][2]["elements"][0]["value"], "1");
    assert!(
        views[3]["blocks"].as_array().unwrap().len() == 1,
        "no Earlier at 14 days"
    );
}

#[test]
fn titles_cannot_inject_mentions_or_links() {
    let message = generating("<!channel> <https://evil.example|click> & co");
    assert!(!message.text.contains("<!channel>"));
    assert!(message.text.contains("&lt;!channel&gt;"));
    assert!(message.text.contains("&amp; co"));
    let done = ready("Demo", "<@U123> said yes", "42");
    assert!(!done.blocks.to_string().contains("<@U123>"));
    assert_eq!(done.blocks[2]["elements"][0]["value"], "42");
    assert_eq!(done.blocks[2]["elements"][0]["action_id"], ids::VIEW_EDIT);
    let oops = failed("Demo", "Please try again in a minute.", "42");
    assert_eq!(oops.blocks[1]["elements"][0]["action_id"], ids::RETRY);
}

#[test]
fn truncation_counts_characters_not_bytes() {
    assert_eq!(truncate("àèìòù", 5), "àèìòù");
    assert_eq!(truncate("àèìòùà", 5), "àèìò…");
}

#[test]
fn the_editor_shows_every_text_and_keeps_slacks_limits() {
    use super::editor::{Banner, EditorTexts, editor};
    let texts = EditorTexts {
        summary: "We agreed on a pilot.".into(),
        subject: "Next steps".into(),
        body: "x".repeat(5000),
        crm_note: "Pain: renewals <b>".into(),
    };
    let banner = Banner::Done {
        text: "Draft created in Gmail".into(),
        link: Some((
            "Open draft".into(),
            "https://mail.google.com/mail/#drafts/r1".into(),
        )),
    };
    let view = editor("Globex <call>", "42", &texts, Some(&banner));
    assert_eq!(view["callback_id"], ids::EDITOR);
    assert_eq!(view["private_metadata"], "42");
    assert!(title_len(&view) <= 24);
    let blocks = view["blocks"].as_array().unwrap();
    assert!(
        blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("<https://mail.google.com/mail/#drafts/r1|Open draft>")
    );
    assert!(blocks[1].to_string().contains("Globex &lt;call&gt;"));
    let inputs: Vec<&Value> = blocks.iter().filter(|b| b["type"] == "input").collect();
    assert_eq!(inputs.len(), 4);
    for input in &inputs {
        let value = input["element"]["initial_value"].as_str().unwrap();
        assert!(value.chars().count() <= 3000);
        assert_eq!(input["block_id"], input["element"]["action_id"]);
    }
    // Input values are plain text: no escaping, so the user's text comes back as typed.
    assert_eq!(inputs[3]["element"]["initial_value"], "Pain: renewals <b>");
    assert!(
        format!("{texts:?}").find("renewals").is_none(),
        "Debug shows lengths only"
    );
}

fn event_form(guests: usize) -> calendar::EventForm {
    calendar::EventForm {
        meeting_title: "Demo <@U0BOSS> & co".into(),
        date: "2026-12-08".into(),
        time: "09:30".into(),
        zone: "Europe/Rome".into(),
        minutes: 30,
        guests: (0..guests)
            .map(|n| (format!("Guest {n}"), format!("g{n}@client.example")))
            .collect(),
        error: Some("That time has passed <!here>".into()),
    }
}

/// The calendar form is prefilled in the user's zone, starts with every guest chosen and
/// invitations off, keeps within a select's 100 options, and escapes the meeting's title.
#[test]
fn the_calendar_form_is_prefilled_quiet_and_in_the_users_zone() {
    let view = calendar::event_form("42", &event_form(150));
    assert_eq!(view["callback_id"], ids::EVENT_FORM);
    assert_eq!(view["private_metadata"], "42");
    let block = |id: &str| {
        view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        block(ids::EVENT_DATE)["element"]["initial_date"],
        "2026-12-08"
    );
    let time = block(ids::EVENT_TIME)["element"].clone();
    assert_eq!(time["initial_time"], "09:30");
    assert_eq!(time["timezone"], "Europe/Rome");
    let guests = block(ids::EVENT_GUESTS)["element"].clone();
    assert_eq!(guests["type"], "multi_static_select");
    assert_eq!(guests["options"].as_array().unwrap().len(), 100);
    assert_eq!(guests["initial_options"], guests["options"]);
    let invite = block(ids::EVENT_INVITE)["element"].clone();
    assert_eq!(invite["initial_option"]["value"], ids::INVITE_NONE);
    let text = view.to_string();
    assert!(
        !text.contains("<@U0BOSS>") && !text.contains("<!here>"),
        "{text}"
    );

    // A few guests: checkboxes (at most 10), all ticked.
    let few = calendar::event_form("42", &event_form(3));
    let few = few["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["block_id"] == ids::EVENT_GUESTS)
        .unwrap()["element"]
        .clone();
    assert_eq!(few["type"], "checkboxes");
    assert_eq!(few["initial_options"].as_array().unwrap().len(), 3);

    // No external attendee: no guests field (an empty select is not allowed).
    let alone = calendar::event_form("42", &event_form(0));
    assert!(!alone.to_string().contains(ids::EVENT_GUESTS));
}

#[test]
fn a_needs_banner_links_to_its_next_step_and_the_fathom_modal_can_offer_oauth() {
    use super::editor::{Banner, EditorTexts, editor};
    let banner = Banner::Needs {
        text: "Your Google account is not connected <yet>.".into(),
        link: (
            "Connect Google".into(),
            "https://sb.example/connect/google?link=abc.def".into(),
        ),
    };
    let view = editor("Call", "42", &EditorTexts::default(), Some(&banner));
    let text = view["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(text.starts_with(":warning: "), "{text}");
    assert!(text.contains("&lt;yet&gt;"), "{text}");
    assert!(text.contains("<https://sb.example/connect/google?link=abc.def|Connect Google>"));

    let plain = modals::connect_fathom(None);
    assert!(!plain.to_string().contains(ids::CONNECT_LINK));
    let offered =
        modals::connect_fathom_with(None, Some("https://sb.example/connect/fathom?link=x"));
    let button = &offered["blocks"][1]["elements"][0];
    assert_eq!(button["action_id"], ids::CONNECT_LINK);
    assert_eq!(button["url"], "https://sb.example/connect/fathom?link=x");
    assert_eq!(offered["callback_id"], ids::FATHOM_CONNECT);
    assert!(
        offered.to_string().contains(ids::FATHOM_KEY),
        "pasting a key stays possible"
    );
}
