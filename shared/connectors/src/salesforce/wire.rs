//! Salesforce's JSON as the client reads it (§1–§5): selected fields are top-level keys with
//! their API names' casing; nulls are JSON null.

use serde::Deserialize;

/// A query answer (§1), paged by `nextRecordsUrl` while `done` is false.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Query<T> {
    #[serde(default = "yes")]
    pub done: bool,
    pub records: Vec<T>,
    #[serde(default)]
    pub next_records_url: Option<String>,
}

fn yes() -> bool {
    true
}

/// One element of the error array (§5).
#[derive(Debug, Deserialize)]
pub(super) struct ErrorItem {
    #[serde(rename = "errorCode", default)]
    pub error_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AccountRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ContactRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OpportunityRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub stage_name: Option<String>,
    /// A currency field: a JSON number.
    #[serde(default)]
    pub amount: Option<serde_json::Number>,
    /// Multi-currency orgs only (UNCONFIRMED, see the module).
    #[serde(default)]
    pub currency_iso_code: Option<String>,
    #[serde(default)]
    pub record_type_id: Option<String>,
}

/// `OpportunityStage` (UNCONFIRMED: not in the reference), the stage metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StageRecord {
    pub id: String,
    /// The `StageName` picklist value.
    pub api_name: String,
    pub master_label: String,
    pub is_closed: bool,
}

/// `GET /sobjects/Opportunity/describe` (§4): which fields exist, and the record types.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Describe {
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub record_type_infos: Vec<RecordTypeInfo>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Field {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RecordTypeInfo {
    pub name: String,
    pub record_type_id: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub available: bool,
    #[serde(default)]
    pub master: bool,
}

/// The UI API's picklist values of one record type (UNCONFIRMED).
#[derive(Debug, Deserialize)]
pub(super) struct PicklistValues {
    #[serde(default)]
    pub values: Vec<PicklistValue>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PicklistValue {
    pub value: String,
}

/// A create's answer (§2): `{"id", "success", "errors"}`.
#[derive(Debug, Deserialize)]
pub(super) struct Created {
    pub id: String,
    #[serde(default = "yes")]
    pub success: bool,
}

/// `GET /sobjects/{type}/{id}?fields=Id`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Record {
    #[allow(dead_code)]
    pub id: String,
}
