//! Crono's JSON as the client reads it: the `{"data", "isSuccess", "errors"}` envelope (§3)
//! and the records' fields the reference lists. Field names are camelCase in every answer
//! the repo read; PascalCase aliases are accepted since Crono binds names
//! case-insensitively ([inferred], §3).

use followup::crm::CrmError;
use serde::Deserialize;

use crate::crm_http::invalid;

#[derive(Debug, Deserialize)]
pub(super) struct Envelope<T> {
    #[serde(alias = "Data")]
    data: Option<T>,
    /// Absent is taken as success (the repo only ever saw it present).
    #[serde(default, rename = "isSuccess", alias = "IsSuccess")]
    is_success: Option<bool>,
}

impl<T> Envelope<T> {
    /// `data`, unless Crono said it failed (its `errors` are never read: their shape is
    /// unknown and they may quote customer data).
    pub fn into_data(self) -> Result<T, CrmError> {
        if self.is_success == Some(false) {
            return Err(invalid("isSuccess false"));
        }
        self.data.ok_or_else(|| invalid("no data"))
    }
}

impl Envelope<serde_json::Value> {
    /// As [`Self::into_data`], a missing `data` being `null` (a write's answer).
    pub fn into_data_or_null(self) -> Result<serde_json::Value, CrmError> {
        if self.is_success == Some(false) {
            return Err(invalid("isSuccess false"));
        }
        Ok(self.data.unwrap_or_default())
    }
}

/// An object id: `objectId`, falling back to `id` (as the repo reads them, §4.1).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ObjectId {
    #[serde(
        default,
        rename = "objectId",
        alias = "ObjectId",
        deserialize_with = "text_or_number"
    )]
    object_id: Option<String>,
    #[serde(default, alias = "Id", deserialize_with = "text_or_number")]
    id: Option<String>,
}

/// An id as a string, or a number written as one (a numeric `id` is not excluded by the
/// reference).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

impl ObjectId {
    pub fn get(&self) -> Option<&str> {
        self.object_id
            .as_deref()
            .or(self.id.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// An account (§4.1): `website` is free text (`acme.com`, `https://www.acme.com/`).
#[derive(Debug, Deserialize)]
pub(super) struct Account {
    #[serde(flatten)]
    pub id: ObjectId,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    #[serde(default, alias = "Website")]
    pub website: Option<String>,
}

/// A prospect (§4.4). `name` is what the repo reads; first/last names are [n8n] fields.
#[derive(Debug, Deserialize)]
pub(super) struct Prospect {
    #[serde(flatten)]
    pub id: ObjectId,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    #[serde(default, rename = "firstName", alias = "FirstName")]
    pub first_name: Option<String>,
    #[serde(default, rename = "lastName", alias = "LastName")]
    pub last_name: Option<String>,
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
    #[serde(default, rename = "accountId", alias = "AccountId")]
    pub account_id: Option<String>,
}

impl Prospect {
    pub fn display_name(&self) -> Option<String> {
        if let Some(name) = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            return Some(name.to_owned());
        }
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// An opportunity (§4.6). `isClosed`/`isWon` are search filters and update fields in the
/// reference; whether answers carry them is UNCONFIRMED.
#[derive(Debug, Deserialize)]
pub(super) struct Opportunity {
    #[serde(flatten)]
    pub id: ObjectId,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    #[serde(default, rename = "accountId", alias = "AccountId")]
    pub account_id: Option<String>,
    #[serde(default, alias = "Pipeline")]
    pub pipeline: Option<String>,
    /// The underlying CRM's stage id (`presentationscheduled`), not a label (§4.7).
    #[serde(default, alias = "Stage")]
    pub stage: Option<String>,
    #[serde(default, alias = "Amount")]
    pub amount: Option<serde_json::Number>,
    #[serde(default, alias = "Currency")]
    pub currency: Option<String>,
    #[serde(default, rename = "isClosed", alias = "IsClosed")]
    pub is_closed: Option<bool>,
}

/// A pipeline of `GET /Pipelines` (the shape is UNCONFIRMED: never seen, §4.7).
#[derive(Debug, Deserialize)]
pub(super) struct Pipeline {
    #[serde(flatten)]
    pub id: ObjectId,
    #[serde(default, alias = "Label")]
    label: Option<String>,
    #[serde(default, alias = "Name")]
    name: Option<String>,
    #[serde(default, rename = "displayOrder", alias = "DisplayOrder")]
    pub display_order: Option<i64>,
    #[serde(default, alias = "Stages")]
    pub stages: Vec<Stage>,
}

/// A stage (UNCONFIRMED like its pipeline): `isClosed`, and `isWon` (a won stage is closed).
#[derive(Debug, Deserialize)]
pub(super) struct Stage {
    #[serde(flatten)]
    pub id: ObjectId,
    #[serde(default, alias = "Label")]
    label: Option<String>,
    #[serde(default, alias = "Name")]
    name: Option<String>,
    #[serde(default, rename = "displayOrder", alias = "DisplayOrder")]
    pub display_order: Option<i64>,
    #[serde(default, rename = "isClosed", alias = "IsClosed")]
    pub is_closed: Option<bool>,
    #[serde(default, rename = "isWon", alias = "IsWon")]
    pub is_won: Option<bool>,
}

impl Pipeline {
    pub fn label(&self) -> String {
        self.label
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_default()
    }
}

impl Stage {
    pub fn label(&self) -> String {
        self.label
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_default()
    }

    /// Closed by the CRM's own metadata; a stage without it counts as open.
    pub fn closed(&self) -> bool {
        self.is_closed == Some(true) || self.is_won == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_fails_on_is_success_false_and_ids_fall_back_to_id() {
        let failed: Envelope<serde_json::Value> = serde_json::from_str(
            r#"{"data": null, "isSuccess": false, "errors": [{"message": "secret customer"}]}"#,
        )
        .unwrap();
        let err = failed.into_data().unwrap_err();
        assert!(!err.to_string().contains("customer"));
        let ok: Envelope<Vec<Account>> = serde_json::from_str(
            r#"{"Data": [{"id": "1_2", "Name": "Acme", "Website": "acme.com"}], "IsSuccess": true}"#,
        )
        .unwrap();
        let accounts = ok.into_data().unwrap();
        assert_eq!(accounts[0].id.get(), Some("1_2"));
        assert_eq!(accounts[0].name.as_deref(), Some("Acme"));
        let stage: Stage = serde_json::from_str(r#"{"id": "closedwon", "isWon": true}"#).unwrap();
        assert!(stage.closed());
        let written: Envelope<serde_json::Value> =
            serde_json::from_str(r#"{"isSuccess": true, "data": null, "errors": []}"#).unwrap();
        assert_eq!(written.into_data_or_null(), Ok(serde_json::Value::Null));
        let open: Stage = serde_json::from_str(r#"{"id": "x"}"#).unwrap();
        assert!(!open.closed(), "a stage without the flag counts as open");
    }
}
