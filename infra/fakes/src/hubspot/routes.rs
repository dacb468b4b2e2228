//! The fake's endpoints. Each goes through [`serve`] ([`crate::script::serve`]: record,
//! authenticate, take an injected failure), then works on the portal's records under the lock, then answers (after an
//! injected delay, with the lock released).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::search::{self, object_json};
use super::{Endpoint, FakeObject, Inner, ObjectType, Shared};
use crate::script::{self, Refusals, bearer};

/// HubSpot's error body (hubspot.md §6; all fields optional there).
pub(super) fn error(status: StatusCode, category: &str, message: &str) -> (StatusCode, Value) {
    (
        status,
        json!({
            "status": "error",
            "message": message,
            "category": category,
            "correlationId": "00000000-0000-4000-8000-000000000000",
        }),
    )
}

type Answer = (StatusCode, Value);

type Incoming = script::Incoming<Endpoint>;

const REFUSALS: Refusals = Refusals {
    unauthorized: || {
        respond(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found.",
        ))
    },
    rate_limited: |retry_after_secs| {
        // The 429 body is "widely observed", not from an official page (hubspot.md §6).
        let mut response = respond((
            StatusCode::TOO_MANY_REQUESTS,
            json!({
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "00000000-0000-4000-8000-000000000000",
                "policyName": "TEN_SECONDLY_ROLLING",
            }),
        ));
        let headers = response.headers_mut();
        headers.insert("x-hubspot-ratelimit-max", HeaderValue::from(100));
        headers.insert("x-hubspot-ratelimit-remaining", HeaderValue::from(0));
        if let Some(secs) = retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    },
    failed: |status| respond(error(status, "INTERNAL_ERROR", "injected failure")),
};

fn respond((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Runs `work` for an admitted call (bearer token → portal) and answers it.
async fn serve(
    shared: &Shared,
    incoming: Incoming,
    headers: &HeaderMap,
    work: impl FnOnce(&mut Inner, u64) -> Answer,
) -> Response {
    script::serve(
        shared,
        incoming,
        bearer(headers),
        |inner: &mut Inner| &mut inner.script,
        |inner, t| {
            inner
                .portals
                .iter()
                .find(|p| p.tokens.iter().any(|x| x == t))
                .map(|p| p.hub_id)
        },
        &REFUSALS,
        work,
    )
    .await
}

#[allow(clippy::result_large_err)]
fn object_type(segment: &str) -> Result<ObjectType, Response> {
    ObjectType::from_path(segment).ok_or_else(|| {
        respond(error(
            StatusCode::NOT_FOUND,
            "OBJECT_NOT_FOUND",
            "unknown object type",
        ))
    })
}

/// A JSON body, or a 400 answer.
fn json_body(bytes: &Bytes) -> Result<Value, Answer> {
    serde_json::from_slice(bytes).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid input JSON",
        )
    })
}

/// A call with a JSON body: recorded with the body (when it parses), answered 400 before
/// `work` when it does not.
async fn serve_json(
    shared: &Shared,
    headers: &HeaderMap,
    (endpoint, method, path): (Endpoint, &'static str, String),
    bytes: &Bytes,
    work: impl FnOnce(&mut Inner, u64, &Value) -> Answer,
) -> Response {
    let parsed = json_body(bytes);
    let incoming = Incoming::with_body(endpoint, method, path, vec![], parsed.clone().ok());
    serve(shared, incoming, headers, |inner, hub| match parsed {
        Ok(request) => work(inner, hub, &request),
        Err(answer) => answer,
    })
    .await
}

pub(super) async fn search(
    State(shared): State<Shared>,
    Path(object): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let t = match object_type(&object) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("/crm/v3/objects/{object}/search");
    serve_json(
        &shared,
        &headers,
        (Endpoint::Search(t), "POST", path),
        &bytes,
        |inner, hub, request| search::run(inner, hub, t, request),
    )
    .await
}

pub(super) async fn get_object(
    State(shared): State<Shared>,
    Path((object, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let t = match object_type(&object) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let properties: Option<Vec<String>> = query
        .iter()
        .find(|(k, _)| k == "properties")
        .map(|(_, v)| v.split(',').map(str::to_owned).collect());
    let path = format!("/crm/v3/objects/{object}/{id}");
    serve(
        &shared,
        Incoming::get(Endpoint::Get(t), path, query.clone()),
        &headers,
        |inner, hub| match find(inner, hub, t, &id) {
            Some(o) => {
                let mut body = object_json(o, properties.as_deref());
                if let Some((_, wanted)) = query.iter().find(|(k, _)| k == "associations") {
                    body["associations"] = associations_json(inner, o, wanted);
                }
                (StatusCode::OK, body)
            }
            None => not_found(),
        },
    )
    .await
}

/// `associations.{type}.results[].{id,type}` of `o` for each type named in `wanted`
/// (comma-separated): records `o` points to and records pointing to `o`, in its portal.
/// UNCONFIRMED: the `type` label (`company_to_note`) and that HubSpot pages nothing here.
fn associations_json(inner: &Inner, o: &FakeObject, wanted: &str) -> Value {
    let mut all = serde_json::Map::new();
    for name in wanted.split(',') {
        let Some(to) = ObjectType::from_path(name.trim()) else {
            continue;
        };
        let mut ids: Vec<u64> = o
            .associations
            .iter()
            .filter(|(t, _, _)| *t == to)
            .map(|(_, id, _)| *id)
            .collect();
        ids.extend(
            inner
                .objects
                .iter()
                .filter(|x| x.hub_id == o.hub_id && x.object_type == to)
                .filter(|x| {
                    x.associations
                        .iter()
                        .any(|(t, id, _)| *t == o.object_type && *id == o.id)
                })
                .map(|x| x.id),
        );
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            continue;
        }
        let label = format!("{}_to_{}", singular(o.object_type), singular(to));
        let results: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "id": id.to_string(), "type": label }))
            .collect();
        all.insert(name.trim().to_owned(), json!({ "results": results }));
    }
    Value::Object(all)
}

fn singular(t: ObjectType) -> &'static str {
    match t {
        ObjectType::Companies => "company",
        ObjectType::Contacts => "contact",
        ObjectType::Deals => "deal",
        ObjectType::Notes => "note",
        ObjectType::Tasks => "task",
    }
}

pub(super) async fn batch_read(
    State(shared): State<Shared>,
    Path(object): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let t = match object_type(&object) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("/crm/v3/objects/{object}/batch/read");
    serve_json(
        &shared,
        &headers,
        (Endpoint::BatchRead(t), "POST", path),
        &bytes,
        |inner, hub, request| {
            let bad = |m: &str| error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", m);
            let Some(inputs) = request.get("inputs").and_then(Value::as_array) else {
                return bad("inputs is required");
            };
            if inputs.len() > 100 {
                return bad("at most 100 inputs");
            }
            let properties: Vec<String> = request
                .get("properties")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let results: Vec<Value> = inputs
                .iter()
                .filter_map(|i| i.get("id").and_then(id_of))
                .filter_map(|id| find(inner, hub, t, &id.to_string()))
                .map(|o| object_json(o, Some(&properties)))
                .collect();
            (
                StatusCode::OK,
                json!({
                    "status": "COMPLETE",
                    "results": results,
                    "startedAt": search::CREATED_AT,
                    "completedAt": search::CREATED_AT,
                }),
            )
        },
    )
    .await
}

fn not_found() -> Answer {
    error(
        StatusCode::NOT_FOUND,
        "OBJECT_NOT_FOUND",
        "resource not found",
    )
}

fn find<'a>(inner: &'a Inner, hub: u64, t: ObjectType, id: &str) -> Option<&'a FakeObject> {
    let id: u64 = id.parse().ok()?;
    inner
        .objects
        .iter()
        .find(|o| o.id == id && o.hub_id == hub && o.object_type == t)
}

/// `hs_timestamp`: ms epoch or ISO-8601 in UTC (hubspot.md §2, §3).
fn valid_timestamp(raw: &str) -> bool {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    raw.ends_with('Z') && raw.parse::<jiff::Timestamp>().is_ok()
}

/// The association type ids of hubspot.md §2 (task→company 192 is UNCONFIRMED there).
fn association_allowed(from: ObjectType, to: ObjectType, type_id: u64) -> bool {
    use ObjectType::*;
    matches!(
        (from, to, type_id),
        (Notes, Companies, 190)
            | (Notes, Deals, 214)
            | (Notes, Contacts, 202)
            | (Tasks, Contacts, 204)
            | (Tasks, Companies, 192)
    )
}

fn id_of(value: &Value) -> Option<u64> {
    // The spec has `to.id` as a string, the docs' examples as a number: both accepted.
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn properties_of(request: &Value) -> Result<std::collections::BTreeMap<String, String>, Answer> {
    let invalid = || {
        error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "properties must be an object of strings",
        )
    };
    let map = request
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(invalid)?;
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            _ => Err(invalid()),
        })
        .collect()
}

pub(super) async fn create(
    State(shared): State<Shared>,
    Path(object): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let t = match object_type(&object) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("/crm/v3/objects/{object}");
    serve_json(
        &shared,
        &headers,
        (Endpoint::Create(t), "POST", path),
        &bytes,
        |inner, hub, request| create_object(inner, hub, t, request).unwrap_or_else(|answer| answer),
    )
    .await
}

fn create_object(
    inner: &mut Inner,
    hub: u64,
    t: ObjectType,
    request: &Value,
) -> Result<Answer, Answer> {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message);
    if !matches!(t, ObjectType::Notes | ObjectType::Tasks) {
        return Err(bad("the fake creates notes and tasks only"));
    }
    let mut properties = properties_of(request)?;
    if !properties
        .get("hs_timestamp")
        .is_some_and(|v| valid_timestamp(v))
    {
        return Err(bad("hs_timestamp is required: ms epoch or ISO-8601 UTC"));
    }
    if t == ObjectType::Notes
        && properties
            .get("hs_note_body")
            .is_some_and(|b| b.chars().count() > 65_536)
    {
        return Err(bad("hs_note_body is longer than 65,536 characters"));
    }
    let mut associations = Vec::new();
    for assoc in request
        .get("associations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let to = assoc.get("to").and_then(|to| to.get("id")).and_then(id_of);
        let types = assoc.get("types").and_then(Value::as_array);
        let (Some(to), Some(types)) = (to, types) else {
            return Err(bad("association needs to.id and types"));
        };
        let Some(target) = inner.objects.iter().find(|o| o.id == to && o.hub_id == hub) else {
            // UNCONFIRMED: what HubSpot answers for an association to a missing record.
            return Err(bad("One or more associations are invalid"));
        };
        for ty in types {
            let category = ty.get("associationCategory").and_then(Value::as_str);
            let type_id = ty.get("associationTypeId").and_then(Value::as_u64);
            match (category, type_id) {
                (Some("HUBSPOT_DEFINED"), Some(id))
                    if association_allowed(t, target.object_type, id) =>
                {
                    associations.push((target.object_type, to, id as u32));
                }
                _ => return Err(bad("invalid association type")),
            }
        }
    }
    let id = inner.allocate();
    properties.insert("hs_object_id".into(), id.to_string());
    let object = FakeObject {
        id,
        object_type: t,
        hub_id: hub,
        properties,
        associations,
    };
    let body = object_json(&object, None);
    inner.objects.push(object);
    Ok((StatusCode::CREATED, body))
}

pub(super) async fn update(
    State(shared): State<Shared>,
    Path((object, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let t = match object_type(&object) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("/crm/v3/objects/{object}/{id}");
    serve_json(
        &shared,
        &headers,
        (Endpoint::Update(t), "PATCH", path),
        &bytes,
        |inner, hub, request| {
            update_object(inner, hub, t, &id, request).unwrap_or_else(|answer| answer)
        },
    )
    .await
}

fn update_object(
    inner: &mut Inner,
    hub: u64,
    t: ObjectType,
    id: &str,
    request: &Value,
) -> Result<Answer, Answer> {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message);
    let changes = properties_of(request)?;
    let Some(current) = find(inner, hub, t, id) else {
        return Err(not_found());
    };
    if t == ObjectType::Deals {
        let pipeline_id = changes
            .get("pipeline")
            .or_else(|| current.properties.get("pipeline"))
            .cloned()
            .unwrap_or_default();
        if let Some(stage) = changes.get("dealstage") {
            let portal = inner.portals.iter().find(|p| p.hub_id == hub);
            let known = portal
                .and_then(|p| p.pipelines.iter().find(|x| x.id == pipeline_id))
                .is_some_and(|p| p.stages.iter().any(|(s, _, _)| s == stage));
            if !known {
                return Err(bad("dealstage is not a stage of the deal's pipeline"));
            }
        }
        if let Some(amount) = changes.get("amount")
            && !amount.is_empty()
            && amount.parse::<f64>().is_err()
        {
            return Err(bad("amount was not a valid number"));
        }
    }
    let current_id = current.id;
    let Some(object) = inner.objects.iter_mut().find(|o| o.id == current_id) else {
        return Err(not_found());
    };
    for (k, v) in changes {
        object.properties.insert(k, v);
    }
    Ok((StatusCode::OK, object_json(object, None)))
}

pub(super) async fn pipelines(
    State(shared): State<Shared>,
    Path(object): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/crm/v3/pipelines/{object}");
    let incoming = Incoming::get(Endpoint::Pipelines, path, vec![]);
    serve(&shared, incoming, &headers, |inner, hub| {
        if ObjectType::from_path(&object) != Some(ObjectType::Deals) {
            return (StatusCode::OK, json!({ "results": [] }));
        }
        let as_bool = inner.closed_as_bool;
        let pipelines: Vec<Value> = inner
            .portals
            .iter()
            .filter(|p| p.hub_id == hub)
            .flat_map(|p| &p.pipelines)
            .enumerate()
            .map(|(order, p)| {
                let stages: Vec<Value> = p
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(i, (id, label, closed))| {
                        let is_closed = if as_bool { json!(closed) } else { json!(closed.to_string()) };
                        json!({
                            "archived": false,
                            "createdAt": search::CREATED_AT,
                            "updatedAt": search::CREATED_AT,
                            "displayOrder": i,
                            "id": id,
                            "label": label,
                            "metadata": { "isClosed": is_closed, "probability": if *closed { "1.0" } else { "0.5" } },
                        })
                    })
                    .collect();
                json!({
                    "archived": false,
                    "createdAt": search::CREATED_AT,
                    "updatedAt": search::CREATED_AT,
                    "displayOrder": order,
                    "id": p.id,
                    "label": p.label,
                    "stages": stages,
                })
            })
            .collect();
        (StatusCode::OK, json!({ "results": pipelines }))
    })
    .await
}
