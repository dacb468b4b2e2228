//! What a verified options request asks for: which of our selects, and the text typed so far
//! (slack-ui.md §4: `type: "block_suggestion"`, `action_id`, `value`).

use app::ui::ids;
use serde::Deserialize;

/// The longest query passed to a CRM, in characters: a name or an email address, not a
/// document (Slack sends whatever was typed).
pub const MAX_QUERY: usize = 100;

/// Fewer characters than this: no CRM call (every contact matches one letter).
pub const MIN_QUERY: usize = 2;

/// Which external select asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Select {
    /// The task modal's contact (`ids::TASK_CONTACT`): `Crm::search_contacts`.
    TaskContact,
    /// The account chooser (`ids::CRM_ACCOUNT_SEARCH`): `Crm::search_accounts`.
    AccountSearch,
}

impl Select {
    /// Ours, by the element's `action_id`; `None` for any other.
    pub fn of(action_id: Option<&str>) -> Option<Self> {
        match action_id? {
            ids::TASK_CONTACT => Some(Self::TaskContact),
            ids::CRM_ACCOUNT_SEARCH => Some(Self::AccountSearch),
            _ => None,
        }
    }

    /// For log lines.
    pub fn name(self) -> &'static str {
        match self {
            Self::TaskContact => "task_contact",
            Self::AccountSearch => "account_search",
        }
    }
}

/// A query as sent to the CRM (trimmed, inner runs of whitespace made one space, at most
/// [`MAX_QUERY`] characters) and as the cache keys it (the same, lower-cased). Customer data:
/// `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Query {
    text: String,
    key: String,
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({} chars)", self.text.chars().count())
    }
}

impl Query {
    /// `None` when fewer than [`MIN_QUERY`] characters are left.
    pub fn parse(typed: &str) -> Option<Self> {
        let mut text = String::new();
        for word in typed.split_whitespace() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(word);
        }
        let text: String = text.chars().take(MAX_QUERY).collect();
        let text = text.trim_end().to_owned();
        if text.chars().count() < MIN_QUERY {
            return None;
        }
        let key = text.to_lowercase();
        Some(Self { text, key })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalized form the cache keys on.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[derive(Deserialize)]
struct Form {
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    value: Option<serde_json::Value>,
}

/// The `value` (text typed so far) of a form body's `payload`; empty when absent or not a
/// string. `Err` only for a body that is not a form with a JSON payload (the caller has
/// parsed it once already, so this does not happen for a verified Slack request).
pub fn typed_value(body: &[u8]) -> Result<String, &'static str> {
    let form: Form = serde_urlencoded::from_bytes(body).map_err(|_| "not a form")?;
    let payload = form.payload.ok_or("no payload")?;
    let payload: Payload = serde_json::from_str(&payload).map_err(|_| "payload is not JSON")?;
    Ok(match payload.value {
        Some(serde_json::Value::String(value)) => value,
        _ => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_collapsed_capped_and_keyed_lower_case() {
        let q = Query::parse("  John \t  SMITH \n").unwrap();
        assert_eq!(q.text(), "John SMITH");
        assert_eq!(q.key(), "john smith");
        assert!(Query::parse(" j ").is_none());
        assert!(Query::parse("").is_none());
        assert_eq!(Query::parse("jo").unwrap().text(), "jo");
        let long = "é".repeat(500);
        assert_eq!(
            Query::parse(&long).unwrap().text().chars().count(),
            MAX_QUERY
        );
        // A query's text never reaches a log line through Debug.
        assert_eq!(format!("{q:?}"), "Query(10 chars)");
    }

    #[test]
    fn only_our_two_selects_are_answered() {
        assert_eq!(
            Select::of(Some(ids::TASK_CONTACT)),
            Some(Select::TaskContact)
        );
        assert_eq!(
            Select::of(Some(ids::CRM_ACCOUNT_SEARCH)),
            Some(Select::AccountSearch)
        );
        assert_eq!(Select::of(Some("es_a")), None);
        assert_eq!(Select::of(None), None);
    }

    #[test]
    fn the_typed_value_is_read_from_the_payload() {
        let body = serde_urlencoded::to_string([(
            "payload",
            r#"{"type":"block_suggestion","value":"search word"}"#,
        )])
        .unwrap();
        assert_eq!(typed_value(body.as_bytes()).unwrap(), "search word");
        let body =
            serde_urlencoded::to_string([("payload", r#"{"type":"block_suggestion"}"#)]).unwrap();
        assert_eq!(typed_value(body.as_bytes()).unwrap(), "");
        assert!(typed_value(b"payload=%7Bnot").is_err());
    }
}
