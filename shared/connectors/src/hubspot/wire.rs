//! HubSpot's JSON as the client reads it (hubspot.md: SimplePublicObject, search pages,
//! pipelines).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

/// SimplePublicObject: `properties` values are strings or null (the spec).
#[derive(Debug, Deserialize)]
pub(super) struct Object {
    pub id: String,
    #[serde(default)]
    pub properties: HashMap<String, Option<String>>,
    /// Optional in the spec: the record in HubSpot's app.
    #[serde(default)]
    pub url: Option<String>,
}

impl Object {
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .and_then(Option::as_deref)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchPage {
    #[serde(default)]
    pub results: Vec<Object>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Paging {
    #[serde(default)]
    pub next: Option<Next>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Next {
    pub after: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Pipelines {
    #[serde(default)]
    pub results: Vec<Pipeline>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Pipeline {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub stages: Vec<Stage>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Stage {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub metadata: HashMap<String, Value>,
}

impl Stage {
    /// `metadata.isClosed`: "typical, unverified" for deal stages (hubspot.md §4). Seen as
    /// the string `"true"` and as a JSON boolean; anything else (absent included) is open, so
    /// an unknown shape shows a deal rather than hiding it.
    pub fn is_closed(&self) -> bool {
        match self.metadata.get("isClosed") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }
}

/// The error body's `category` and the 429 body's `policyName` (hubspot.md §6): codes
/// written by HubSpot, never the message (which may quote our input).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub policy_name: Option<String>,
}

/// A code is kept only if it looks like one (`VALIDATION_ERROR`), so no text slips through.
pub(super) fn code(raw: Option<String>) -> Option<String> {
    raw.filter(|c| {
        !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(metadata: Value) -> Stage {
        serde_json::from_value(serde_json::json!({
            "id": "s", "label": "Closed won", "displayOrder": 0, "metadata": metadata
        }))
        .unwrap()
    }

    #[test]
    fn closed_stages_come_from_metadata_in_either_seen_shape_and_never_from_the_label() {
        assert!(stage(serde_json::json!({"isClosed": "true", "probability": "1.0"})).is_closed());
        assert!(stage(serde_json::json!({"isClosed": true})).is_closed());
        assert!(!stage(serde_json::json!({"isClosed": "false"})).is_closed());
        // Labelled "Closed won" but without the flag: open (the label decides nothing).
        assert!(!stage(serde_json::json!({"probability": "1.0"})).is_closed());
    }

    #[test]
    fn only_code_shaped_values_are_kept_from_error_bodies() {
        assert_eq!(
            code(Some("VALIDATION_ERROR".into())).as_deref(),
            Some("VALIDATION_ERROR")
        );
        assert_eq!(code(Some("Property acme@x.com is bad".into())), None);
    }
}
