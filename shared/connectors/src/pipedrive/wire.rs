//! Pipedrive's JSON as the client reads it: `{"success", "data", "additional_data"}`.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub(super) struct Envelope<T> {
    pub data: T,
    #[serde(default)]
    pub additional_data: Option<Additional>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Additional {
    #[serde(default)]
    pub next_cursor: Option<String>,
}

impl<T> Envelope<T> {
    pub fn next_cursor(&self) -> Option<&str> {
        self.additional_data
            .as_ref()
            .and_then(|a| a.next_cursor.as_deref())
            .filter(|c| !c.is_empty())
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchData {
    #[serde(default)]
    pub items: Vec<SearchItem>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchItem {
    pub item: Item,
}

/// An organization or person search hit (§1; persons by analogy, UNCONFIRMED).
#[derive(Debug, Deserialize)]
pub(super) struct Item {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    /// Persons: strings, or `{"value": …}` objects as v1 answers them; both accepted.
    #[serde(default)]
    pub emails: Vec<Value>,
}

impl Item {
    pub fn first_email(&self) -> Option<String> {
        self.emails.iter().find_map(|e| match e {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Id {
    pub id: u64,
}

#[derive(Debug, Deserialize)]
pub(super) struct Deal {
    pub id: u64,
    #[serde(default)]
    pub title: Option<String>,
    /// A number in v2 (strict numeric validation).
    #[serde(default)]
    pub value: Option<serde_json::Number>,
    #[serde(default)]
    pub currency: Option<String>,
    pub pipeline_id: Option<u64>,
    pub stage_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Pipeline {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub order_nr: i64,
    #[serde(default)]
    pub is_deleted: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct Stage {
    pub id: u64,
    pub name: String,
    pub pipeline_id: u64,
    #[serde(default)]
    pub order_nr: i64,
    #[serde(default)]
    pub is_deleted: bool,
}
