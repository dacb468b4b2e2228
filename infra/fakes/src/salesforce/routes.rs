//! The fake's REST reads (query, records, describe, picklist values), each through [`serve`]
//! (record, authenticate, injected failure: [`crate::script::serve`]) with Salesforce's
//! bearer tokens and error array (§5); the writes are in [`super::writes`].

use std::cmp::Ordering;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::soql::{self, Select};
use super::{Created, Endpoint, Inner, Org, Shared};
use crate::script::{self, Refusals, bearer};

pub(super) type Answer = (StatusCode, Value);
pub(super) type Incoming = script::Incoming<Endpoint>;

/// The master record type's fixed id.
const MASTER: &str = "012000000000000AAA";

/// Salesforce's error envelope: a JSON array (§5).
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Answer {
    (
        status,
        json!([{ "message": message, "errorCode": code, "fields": [] }]),
    )
}

fn respond((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(super) fn not_found() -> Answer {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

const REFUSALS: Refusals = Refusals {
    unauthorized: || {
        respond(error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        ))
    },
    rate_limited: |retry_after| {
        // UNCONFIRMED: the reference lists no 429; shaped like Salesforce's limit errors.
        let mut response = respond(error(
            StatusCode::TOO_MANY_REQUESTS,
            "REQUEST_LIMIT_EXCEEDED",
            "ConcurrentPerOrgLongTxn Limit exceeded.",
        ));
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    },
    failed: |status| {
        let code = match status.as_u16() {
            403 => "REQUEST_LIMIT_EXCEEDED",
            503 => "SERVER_UNAVAILABLE",
            _ => "UNKNOWN_EXCEPTION",
        };
        respond(error(status, code, "injected failure"))
    },
};

pub(super) async fn serve(
    shared: &Shared,
    incoming: Incoming,
    headers: &HeaderMap,
    version: &str,
    work: impl FnOnce(&mut Inner, usize) -> Answer,
) -> Response {
    let token = bearer(headers);
    let version_ok = valid_version(version);
    script::serve(
        shared,
        incoming,
        token,
        |inner: &mut Inner| &mut inner.script,
        |inner, t| {
            inner
                .orgs
                .iter()
                .position(|o| o.access_tokens.iter().any(|x| x == t))
        },
        &REFUSALS,
        |inner, org| {
            if !version_ok {
                return not_found();
            }
            work(inner, org)
        },
    )
    .await
}

/// `v60.0`.
fn valid_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        })
}

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The fields each object has in this org (names as the API spells them).
fn schema(org: &Org, object: &str) -> Option<Vec<&'static str>> {
    Some(match object {
        "Account" => vec!["Id", "Name", "Website", "OwnerId"],
        "Contact" => vec!["Id", "Name", "FirstName", "LastName", "Email", "AccountId"],
        "Opportunity" => {
            let mut f = vec![
                "Id",
                "Name",
                "AccountId",
                "StageName",
                "Amount",
                "IsClosed",
                "IsWon",
            ];
            if !org.single_currency {
                f.push("CurrencyIsoCode");
            }
            if !org.record_types.is_empty() {
                f.push("RecordTypeId");
            }
            f
        }
        // Created by clients only (UNCONFIRMED as queryable objects: not in the reference).
        "ContentNote" => vec!["Id", "Title"],
        "ContentDocumentLink" => vec![
            "Id",
            "ContentDocumentId",
            "LinkedEntityId",
            "ShareType",
            "Visibility",
        ],
        "OpportunityStage" => vec![
            "Id",
            "ApiName",
            "MasterLabel",
            "IsClosed",
            "IsWon",
            "IsActive",
            "SortOrder",
        ],
        _ => return None,
    })
}

/// Every record of `object` in `org` as a field map (all of [`schema`]'s fields).
pub(super) fn rows(org: &Org, object: &str) -> Vec<Map<String, Value>> {
    let to_map = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    match object {
        "Account" => org
            .accounts
            .iter()
            .map(|a| {
                to_map(json!({
                    "Id": a.id, "Name": a.name, "Website": a.website, "OwnerId": "005FAKE00000001AAA",
                }))
            })
            .collect(),
        "Contact" => org
            .contacts
            .iter()
            .map(|c| {
                to_map(json!({
                    "Id": c.id, "Name": format!("{} {}", c.first_name, c.last_name),
                    "FirstName": c.first_name, "LastName": c.last_name, "Email": c.email,
                    "AccountId": c.account_id,
                }))
            })
            .collect(),
        "Opportunity" => org
            .opportunities
            .iter()
            .map(|o| {
                let stage = org.stages.iter().find(|s| s.api_name == o.stage_name);
                let mut m = to_map(json!({
                    "Id": o.id, "Name": o.name, "AccountId": o.account_id,
                    "StageName": o.stage_name, "Amount": o.amount,
                    "IsClosed": stage.is_some_and(|s| s.closed),
                    "IsWon": stage.is_some_and(|s| s.won),
                }));
                if !org.single_currency {
                    m.insert("CurrencyIsoCode".into(), json!(o.currency));
                }
                if !org.record_types.is_empty() {
                    m.insert("RecordTypeId".into(), json!(o.record_type_id));
                }
                m
            })
            .collect(),
        "OpportunityStage" => org
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                to_map(json!({
                    "Id": s.id, "ApiName": s.api_name, "MasterLabel": s.label,
                    "IsClosed": s.closed, "IsWon": s.won, "IsActive": s.active,
                    "SortOrder": i + 1,
                }))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn attributes(version: &str, object: &str, id: &Value) -> Value {
    json!({
        "type": object,
        "url": format!("/services/data/{version}/sobjects/{object}/{}", id.as_str().unwrap_or("")),
    })
}

fn project(row: &Map<String, Value>, fields: &[String], version: &str, object: &str) -> Value {
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        attributes(version, object, row.get("Id").unwrap_or(&Value::Null)),
    );
    for f in fields {
        // The API's casing, whatever the query's.
        if let Some((k, v)) = row.iter().find(|(k, _)| k.eq_ignore_ascii_case(f)) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        // Nulls first (SOQL's default for ASC).
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// The records clients created in `org` as queryable rows (`ContentNote`: `Id`, `Title`;
/// `ContentDocumentLink`: its fields as sent), at once: SOQL reads are consistent.
fn created_rows(created: &[Created], org: usize, object: &str) -> Vec<Map<String, Value>> {
    created
        .iter()
        .filter(|c| c.org == org && c.object == object)
        .map(|c| {
            let mut row = Map::new();
            row.insert("Id".into(), json!(c.id));
            let fields: &[&str] = match object {
                "ContentNote" => &["Title"],
                "ContentDocumentLink" => &[
                    "ContentDocumentId",
                    "LinkedEntityId",
                    "ShareType",
                    "Visibility",
                ],
                _ => &[],
            };
            for f in fields {
                row.insert((*f).into(), c.body.get(*f).cloned().unwrap_or(Value::Null));
            }
            row
        })
        .collect()
}

/// Runs `select` in org `index`: the matching records, projected, ordered and limited.
fn run(inner: &Inner, index: usize, select: &Select, version: &str) -> Result<Vec<Value>, Answer> {
    let org = &inner.orgs[index];
    let Some(fields) = schema(org, &select.object) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE",
            &format!("sObject type '{}' is not supported.", select.object),
        ));
    };
    let known = |f: &str| fields.iter().any(|k| k.eq_ignore_ascii_case(f));
    let mut used: Vec<&str> = select.fields.iter().map(String::as_str).collect();
    if let Some(filter) = &select.filter {
        used.extend(filter.fields());
    }
    if let Some((f, _)) = &select.order {
        used.push(f);
    }
    if let Some(bad) = used.into_iter().find(|f| !known(f)) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
            &format!("No such column '{bad}' on entity '{}'.", select.object),
        ));
    }
    let canonical = |f: &str| {
        fields
            .iter()
            .find(|k| k.eq_ignore_ascii_case(f))
            .map(|k| (*k).to_owned())
            .unwrap_or_default()
    };
    // Salesforce refuses a ContentDocumentLink query without one of these filters.
    if select.object.eq_ignore_ascii_case("ContentDocumentLink") {
        let filtered = select.filter.as_ref().is_some_and(|f| {
            f.fields().iter().any(|x| {
                x.eq_ignore_ascii_case("ContentDocumentId")
                    || x.eq_ignore_ascii_case("LinkedEntityId")
            })
        });
        if !filtered {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "MALFORMED_QUERY",
                "Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId",
            ));
        }
    }
    let mut all = rows(org, &select.object);
    all.extend(created_rows(&inner.created, index, &select.object));
    let mut matching: Vec<Map<String, Value>> = all
        .into_iter()
        .filter(|row| select.filter.as_ref().is_none_or(|f| f.matches(row)))
        .collect();
    if let Some((field, desc)) = &select.order {
        let field = canonical(field);
        matching.sort_by(|a, b| {
            let o = compare(
                a.get(&field).unwrap_or(&Value::Null),
                b.get(&field).unwrap_or(&Value::Null),
            );
            if *desc { o.reverse() } else { o }
        });
    }
    if let Some(limit) = select.limit {
        matching.truncate(limit);
    }
    Ok(matching
        .iter()
        .map(|row| project(row, &select.fields, version, &select.object))
        .collect())
}

/// One batch of `records`; the rest kept under a new locator.
fn batch(
    inner: &mut Inner,
    org: usize,
    version: &str,
    mut records: Vec<Value>,
    total: usize,
) -> Answer {
    let rest = if records.len() > inner.batch_size {
        records.split_off(inner.batch_size)
    } else {
        Vec::new()
    };
    let next = if rest.is_empty() {
        None
    } else {
        inner.next_id += 1;
        let locator = format!("01gFAKE{:08}-{}", inner.next_id, total - rest.len());
        inner.cursors.insert(locator.clone(), (org, rest));
        Some(format!("/services/data/{version}/query/{locator}"))
    };
    let mut body = json!({ "totalSize": total, "done": next.is_none(), "records": records });
    if let Some(next) = next {
        body["nextRecordsUrl"] = json!(next);
    }
    (StatusCode::OK, body)
}

pub(super) async fn query(
    State(shared): State<Shared>,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let path = format!("/services/data/{version}/query/");
    let incoming = Incoming::get(Endpoint::Query, path, query.clone());
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            let Some(q) = param(&query, "q") else {
                return error(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", "q is required");
            };
            let select = match soql::parse(q) {
                Ok(s) => s,
                Err(soql::Malformed(why)) => {
                    return error(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", &why);
                }
            };
            match run(inner, org, &select, &version) {
                Ok(records) => {
                    let total = records.len();
                    batch(inner, org, &version, records, total)
                }
                Err(answer) => answer,
            }
        },
    )
    .await
}

pub(super) async fn query_more(
    State(shared): State<Shared>,
    Path((version, locator)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/services/data/{version}/query/{locator}");
    let incoming = Incoming::get(Endpoint::Query, path, vec![]);
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            match inner.cursors.remove(&locator) {
                Some((owner, rest)) if owner == org => {
                    let done = locator
                        .rsplit_once('-')
                        .and_then(|(_, n)| n.parse::<usize>().ok())
                        .unwrap_or(0);
                    let total = done + rest.len();
                    batch(inner, org, &version, rest, total)
                }
                Some(other) => {
                    // Another org's locator: put it back, answer as for an unknown one.
                    inner.cursors.insert(locator, other);
                    error(
                        StatusCode::BAD_REQUEST,
                        "INVALID_QUERY_LOCATOR",
                        "invalid query locator",
                    )
                }
                None => error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_QUERY_LOCATOR",
                    "invalid query locator",
                ),
            }
        },
    )
    .await
}

fn describe(org: &Org) -> Answer {
    let fields: Vec<Value> = schema(org, "Opportunity")
        .unwrap_or_default()
        .into_iter()
        .map(|name| {
            let picklist: Vec<Value> = if name == "StageName" {
                org.stages
                    .iter()
                    .map(|s| json!({ "active": s.active, "defaultValue": false, "label": s.label, "validFor": null, "value": s.api_name }))
                    .collect()
            } else {
                Vec::new()
            };
            json!({ "name": name, "picklistValues": picklist })
        })
        .collect();
    let mut types = vec![json!({
        "active": true, "available": true, "defaultRecordTypeMapping": org.record_types.is_empty(),
        "master": true, "name": "Master", "recordTypeId": MASTER,
    })];
    types.extend(org.record_types.iter().enumerate().map(|(i, r)| {
        json!({
            "active": true, "available": true, "defaultRecordTypeMapping": i == 0,
            "master": false, "name": r.name, "recordTypeId": r.id,
        })
    }));
    (
        StatusCode::OK,
        json!({ "name": "Opportunity", "fields": fields, "recordTypeInfos": types }),
    )
}

pub(super) async fn record(
    State(shared): State<Shared>,
    Path((version, object, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let is_describe = id == "describe";
    let (endpoint, path) = if is_describe {
        (
            Endpoint::Describe,
            format!("/services/data/{version}/sobjects/{object}/describe"),
        )
    } else {
        (
            Endpoint::Record,
            format!("/services/data/{version}/sobjects/{object}/{{id}}"),
        )
    };
    let incoming = Incoming::get(endpoint, path, query.clone());
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            let org = &inner.orgs[org];
            if is_describe {
                return if object == "Opportunity" {
                    describe(org)
                } else {
                    not_found()
                };
            }
            if !matches!(object.as_str(), "Account" | "Contact" | "Opportunity") {
                return not_found();
            }
            let Some(row) = rows(org, &object)
                .into_iter()
                .find(|r| r.get("Id").and_then(Value::as_str) == Some(id.as_str()))
            else {
                return not_found();
            };
            let fields: Vec<String> = match param(&query, "fields") {
                Some(list) => list.split(',').map(|f| f.trim().to_owned()).collect(),
                None => row.keys().cloned().collect(),
            };
            let known = schema(org, &object).unwrap_or_default();
            if let Some(bad) = fields
                .iter()
                .find(|f| !known.iter().any(|k| k.eq_ignore_ascii_case(f)))
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_FIELD",
                    &format!("No such column '{bad}'"),
                );
            }
            (StatusCode::OK, project(&row, &fields, &version, &object))
        },
    )
    .await
}

pub(super) async fn picklist(
    State(shared): State<Shared>,
    Path((version, object, record_type, field)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!(
        "/services/data/{version}/ui-api/object-info/{object}/picklist-values/{{recordTypeId}}/{field}"
    );
    let incoming = Incoming::get(Endpoint::Picklist, path, vec![]);
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            let org = &inner.orgs[org];
            if object != "Opportunity" || field != "StageName" {
                return not_found();
            }
            let offered: Vec<&str> = if record_type == MASTER {
                org.stages.iter().map(|s| s.api_name.as_str()).collect()
            } else {
                match org.record_types.iter().find(|r| r.id == record_type) {
                    Some(r) => r.stages.iter().map(String::as_str).collect(),
                    None => return not_found(),
                }
            };
            let values: Vec<Value> = org
                .stages
                .iter()
                .filter(|s| s.active && offered.contains(&s.api_name.as_str()))
                .map(|s| {
                    json!({
                        "attributes": { "closed": s.closed, "won": s.won },
                        "label": s.label, "validFor": [], "value": s.api_name,
                    })
                })
                .collect();
            (
                StatusCode::OK,
                json!({ "controllerValues": {}, "defaultValue": null, "values": values }),
            )
        },
    )
    .await
}
