//! `POST /crm/v3/objects/{type}/search` (hubspot.md §1): filter groups, `query`, paging.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::routes::error;
use super::{FakeObject, Inner, ObjectType};

pub(super) const CREATED_AT: &str = "2026-01-05T09:00:00.000Z";

const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;
const MAX_LIMIT: u64 = 200;
const MAX_QUERY_CHARS: usize = 3_000;

/// Properties answered when none are asked for (the search guide's defaults for companies;
/// the others by analogy).
fn default_properties(t: ObjectType) -> &'static [&'static str] {
    match t {
        ObjectType::Companies => &[
            "name",
            "domain",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Contacts => &[
            "firstname",
            "lastname",
            "email",
            "createdate",
            "lastmodifieddate",
            "hs_object_id",
        ],
        ObjectType::Deals => &[
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "closedate",
            "createdate",
            "hs_object_id",
        ],
        ObjectType::Notes => &["hs_note_body", "hs_timestamp", "hs_object_id"],
        ObjectType::Tasks => &[
            "hs_task_subject",
            "hs_task_body",
            "hs_timestamp",
            "hs_task_type",
            "hs_object_id",
        ],
    }
}

/// Fields `query` searches (companies: the guide's list; contacts and deals: HubSpot's docs'
/// defaults, trimmed to what the fake stores).
fn query_fields(t: ObjectType) -> &'static [&'static str] {
    match t {
        ObjectType::Companies => &["website", "phone", "name", "domain"],
        ObjectType::Contacts => &["firstname", "lastname", "email", "phone", "company"],
        ObjectType::Deals => &["dealname", "pipeline", "dealstage", "description"],
        ObjectType::Notes | ObjectType::Tasks => &[],
    }
}

/// The SimplePublicObject of `o` with `properties` (or the defaults); absent ones are null.
pub(super) fn object_json(o: &FakeObject, properties: Option<&[String]>) -> Value {
    let names: Vec<String> = match properties {
        Some(list) if !list.is_empty() => list.to_vec(),
        _ => default_properties(o.object_type)
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    let mut props = Map::new();
    for name in names
        .iter()
        .chain(std::iter::once(&"hs_object_id".to_owned()))
    {
        let value = match name.as_str() {
            "createdate" | "hs_lastmodifieddate" | "lastmodifieddate" => json!(CREATED_AT),
            _ => o.properties.get(name).map_or(Value::Null, |v| json!(v)),
        };
        props.insert(name.clone(), value);
    }
    json!({
        "id": o.id.to_string(),
        "properties": props,
        "createdAt": CREATED_AT,
        "updatedAt": CREATED_AT,
        "archived": false,
    })
}

fn bad(message: &str) -> (StatusCode, Value) {
    error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether one filter holds for `o`. `Err` for an operator or shape the API refuses.
fn holds(o: &FakeObject, filter: &Value) -> Result<bool, (StatusCode, Value)> {
    let property = filter
        .get("propertyName")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("filter without propertyName"))?;
    let operator = filter
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("filter without operator"))?;
    // Values are compared case-insensitively (the search guide).
    let value = filter.get("value").and_then(text).map(|v| v.to_lowercase());
    let values: Option<Vec<String>> = filter
        .get("values")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().filter_map(text).collect());
    let actual: Vec<String> = if let Some(kind) = property.strip_prefix("associations.") {
        let kind = ObjectType::from_singular(kind).ok_or_else(|| bad("unknown association"))?;
        o.associations
            .iter()
            .filter(|(t, _, _)| *t == kind)
            .map(|(_, id, _)| id.to_string())
            .collect()
    } else {
        o.properties
            .get(property)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_lowercase())
            .into_iter()
            .collect()
    };
    let need_value = || value.clone().ok_or_else(|| bad("filter needs value"));
    Ok(match operator {
        "EQ" => {
            let v = need_value()?;
            actual.contains(&v)
        }
        "NEQ" => {
            let v = need_value()?;
            !actual.contains(&v)
        }
        "IN" | "NOT_IN" => {
            let vs = values.ok_or_else(|| bad("IN needs values"))?;
            // IN on strings needs lowercase values (the guide): others match nothing.
            let hit = actual.iter().any(|a| vs.iter().any(|v| v == a));
            if operator == "IN" { hit } else { !hit }
        }
        "HAS_PROPERTY" => !actual.is_empty(),
        "NOT_HAS_PROPERTY" => actual.is_empty(),
        "CONTAINS_TOKEN" => {
            let v = need_value()?;
            let (prefix, suffix) = (v.strip_suffix('*'), v.strip_prefix('*'));
            actual.iter().any(|a| {
                a.split(|c: char| !c.is_alphanumeric())
                    .any(|token| match (prefix, suffix) {
                        (Some(p), _) => token.starts_with(p.trim_start_matches('*')),
                        (None, Some(s)) => token.ends_with(s),
                        (None, None) => token == v,
                    })
            })
        }
        "LT" | "LTE" | "GT" | "GTE" | "BETWEEN" | "NOT_CONTAINS_TOKEN" => {
            return Err(bad("operator not implemented by the fake"));
        }
        _ => return Err(bad("unknown operator")),
    })
}

pub(super) fn run(inner: &Inner, hub: u64, t: ObjectType, request: &Value) -> (StatusCode, Value) {
    match try_run(inner, hub, t, request) {
        Ok(body) => (StatusCode::OK, body),
        Err(answer) => answer,
    }
}

fn try_run(
    inner: &Inner,
    hub: u64,
    t: ObjectType,
    request: &Value,
) -> Result<Value, (StatusCode, Value)> {
    let groups: Vec<Vec<Value>> = match request.get("filterGroups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(groups)) => groups
            .iter()
            .map(|g| {
                g.get("filters")
                    .and_then(Value::as_array)
                    .cloned()
                    .ok_or_else(|| bad("filterGroup without filters"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("filterGroups must be an array")),
    };
    let total_filters: usize = groups.iter().map(Vec::len).sum();
    if groups.len() > MAX_GROUPS
        || groups.iter().any(|g| g.len() > MAX_FILTERS_PER_GROUP)
        || total_filters > MAX_FILTERS
    {
        return Err(bad("too many filterGroups or filters"));
    }
    let limit = request.get("limit").and_then(Value::as_u64).unwrap_or(10);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad("limit must be between 1 and 200"));
    }
    let after: usize = match request.get("after").and_then(text) {
        None => 0,
        Some(a) if a.is_empty() => 0,
        Some(a) => a.parse().map_err(|_| bad("after must be a number"))?,
    };
    let query = request
        .get("query")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    if query
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(bad("query longer than 3,000 characters"));
    }
    let properties: Option<Vec<String>> =
        request
            .get("properties")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
    let mut matched = Vec::new();
    for o in inner
        .objects
        .iter()
        .filter(|o| o.hub_id == hub && o.object_type == t)
    {
        let mut keep = groups.is_empty();
        for group in &groups {
            let mut all = true;
            for filter in group {
                all &= holds(o, filter)?;
            }
            keep |= all;
        }
        // Full-text: the fake matches the query as a substring of a default field (HubSpot's
        // own tokenised matching is not documented in detail).
        if let Some(q) = query.as_deref().filter(|q| !q.trim().is_empty()) {
            keep &= query_fields(t).iter().any(|f| {
                o.properties
                    .get(*f)
                    .is_some_and(|v| v.to_lowercase().contains(q.trim()))
            }) || {
                let full = format!(
                    "{} {}",
                    o.properties.get("firstname").map_or("", String::as_str),
                    o.properties.get("lastname").map_or("", String::as_str)
                );
                t == ObjectType::Contacts && full.to_lowercase().contains(q.trim())
            };
        }
        if keep {
            matched.push(o);
        }
    }
    let total = matched.len();
    let end = (after + limit as usize).min(total);
    let page: Vec<Value> = matched
        .get(after.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|o| object_json(o, properties.as_deref()))
        .collect();
    let mut body = json!({ "total": total, "results": page });
    if end < total {
        body["paging"] = json!({ "next": { "after": end.to_string() } });
    }
    Ok(body)
}
