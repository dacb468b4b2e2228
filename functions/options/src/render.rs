//! CRM records as Slack options (slack-ui.md §4): `text` plain_text at most 75 characters,
//! `value` kept within 150, at most 100 options.
//!
//! UNCONFIRMED (slack-ui.md §4): the `value` limit is 150 in the current docs and 75 in
//! @slack/types and older docs. A CRM id is at most 64 characters (`followup::crm::ids`), under
//! both; `a_crm_id_fits_the_stricter_value_limit` holds that.

use followup::crm::{Account, Contact};
use serde::Serialize;

/// Slack's limit on an option's text, in characters.
pub const MAX_TEXT: usize = 75;
/// Slack's limit on an option's value. A record whose id is longer is left out (a truncated
/// id would name another record, or none).
pub const MAX_VALUE: usize = 150;
/// Slack's limit on options in one answer.
pub const MAX_OPTIONS: usize = 100;

/// One option as Slack wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackOption {
    pub text: PlainText,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlainText {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

/// The answer's body: `{"options": [...]}` (empty is valid).
#[derive(Serialize)]
pub struct OptionsBody<'a> {
    pub options: &'a [SlackOption],
}

fn option(label: &str, detail: Option<&str>, value: &str) -> Option<SlackOption> {
    if value.is_empty() || value.chars().count() > MAX_VALUE {
        return None;
    }
    let label = label.trim();
    let detail = detail.map(str::trim).filter(|d| !d.is_empty());
    let text = match (label.is_empty(), detail) {
        (false, Some(detail)) => format!("{label} · {detail}"),
        (false, None) => label.to_owned(),
        (true, Some(detail)) => detail.to_owned(),
        (true, None) => value.to_owned(),
    };
    Some(SlackOption {
        text: PlainText {
            kind: "plain_text",
            text: truncate(&text, MAX_TEXT),
        },
        value: value.to_owned(),
    })
}

/// `text` in at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Contacts as "Name · email", valued by the contact id.
pub fn contacts(found: &[Contact]) -> Vec<SlackOption> {
    found
        .iter()
        .filter_map(|c| option(&c.name, c.email.as_deref(), c.id.as_str()))
        .take(MAX_OPTIONS)
        .collect()
}

/// Accounts as "Name · domain", valued by the account id.
pub fn accounts(found: &[Account]) -> Vec<SlackOption> {
    found
        .iter()
        .filter_map(|a| option(&a.name, a.domain.as_deref(), a.id.as_str()))
        .take(MAX_OPTIONS)
        .collect()
}

/// The JSON body of an answer.
pub fn body(options: &[SlackOption]) -> String {
    // A list of structs of strings always serializes.
    serde_json::to_string(&OptionsBody { options }).unwrap_or_else(|_| r#"{"options":[]}"#.into())
}

#[cfg(test)]
mod tests {
    use followup::crm::{AccountId, ContactId};

    use super::*;

    fn contact(id: &str, name: &str, email: Option<&str>) -> Contact {
        Contact {
            id: ContactId::parse(id).unwrap(),
            name: name.into(),
            email: email.map(Into::into),
            link: "https://crm.invalid/c".into(),
        }
    }

    #[test]
    fn contacts_read_name_dot_email_and_are_valued_by_id() {
        let options = contacts(&[
            contact("101", "John Smith", Some("john@acme.example")),
            contact("102", "", Some("anon@acme.example")),
            contact("103", "No Mail", None),
        ]);
        let texts: Vec<_> = options.iter().map(|o| o.text.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "John Smith · john@acme.example",
                "anon@acme.example",
                "No Mail"
            ]
        );
        assert_eq!(options[0].value, "101");
        assert_eq!(options[0].text.kind, "plain_text");
    }

    #[test]
    fn texts_are_cut_to_75_characters_and_long_ids_left_out() {
        let name = "Ö".repeat(120);
        let options = contacts(&[contact("7", &name, Some("x@y.example"))]);
        assert_eq!(options[0].text.text.chars().count(), MAX_TEXT);
        assert!(options[0].text.text.ends_with('…'));
        // CRM ids are at most 64 characters (`followup::crm::ids`); the check stays in case
        // that limit moves past Slack's.
        assert!(option("A", None, &"1".repeat(MAX_VALUE + 1)).is_none());
        assert!(option("A", None, &"1".repeat(MAX_VALUE)).is_some());
    }

    #[test]
    fn a_crm_id_fits_the_stricter_value_limit() {
        // The longest id a CRM id newtype takes, and one more.
        assert!(ContactId::parse(&"9".repeat(64)).is_ok());
        assert!(ContactId::parse(&"9".repeat(65)).is_err());
        let options = contacts(&[contact(&"9".repeat(64), "A", None)]);
        assert!(options[0].value.chars().count() <= 75);
    }

    #[test]
    fn at_most_100_options() {
        let many: Vec<_> = (0..150)
            .map(|i| Account {
                id: AccountId::parse(&i.to_string()).unwrap(),
                name: format!("Acme {i}"),
                domain: Some("acme.example".into()),
                link: String::new(),
            })
            .collect();
        let options = accounts(&many);
        assert_eq!(options.len(), MAX_OPTIONS);
        assert_eq!(options[1].text.text, "Acme 1 · acme.example");
    }

    #[test]
    fn the_body_is_slacks_options_shape() {
        let options = contacts(&[contact("1", "Ada", Some("ada@x.example"))]);
        let json: serde_json::Value = serde_json::from_str(&body(&options)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"options": [{"text": {"type": "plain_text", "text": "Ada · ada@x.example"}, "value": "1"}]})
        );
        assert_eq!(body(&[]), r#"{"options":[]}"#);
    }
}
