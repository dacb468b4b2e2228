//! The fake's writes: creates of `ContentNote`, `ContentDocumentLink` and `Task` (§2, §3) and
//! the Opportunity `PATCH` (§4), validated as Salesforce does what the reference shows
//! (base64 content, references inside the org, restricted picklists, UTC datetimes, no `Id`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::routes::{Answer, Incoming, error, not_found, rows, serve};
use super::{Created, Endpoint, Inner, Org, Shared};

fn bad(code: &str, message: &str) -> Answer {
    error(StatusCode::BAD_REQUEST, code, message)
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Value::as_str)
}

/// Only `allowed` may be set; `Id` never (§2's error example).
fn check_fields(fields: &Map<String, Value>, allowed: &[&str]) -> Result<(), Answer> {
    if fields.contains_key("Id") {
        return Err(bad(
            "INVALID_FIELD",
            "The Id field should not be specified in the sobject data.",
        ));
    }
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            &format!("Unable to create/update fields: {k}."),
        )),
        None => Ok(()),
    }
}

fn record_in(org: &Org, id: &str, objects: &[&str]) -> bool {
    objects.iter().any(|o| {
        rows(org, o)
            .iter()
            .any(|r| r.get("Id").and_then(Value::as_str) == Some(id))
    })
}

fn validate_create(
    inner: &Inner,
    org: usize,
    object: &str,
    fields: &Map<String, Value>,
) -> Result<&'static str, Answer> {
    let o = &inner.orgs[org];
    match object {
        "ContentNote" => {
            check_fields(fields, &["Title", "Content"])?;
            if text(fields, "Title").is_none_or(|t| t.trim().is_empty()) {
                return Err(bad(
                    "REQUIRED_FIELD_MISSING",
                    "Required fields are missing: [Title]",
                ));
            }
            // Content is base64 (§3).
            let decoded = text(fields, "Content")
                .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
                .and_then(|b| String::from_utf8(b).ok());
            if decoded.is_none() {
                return Err(bad("INVALID_FIELD", "Content must be base64"));
            }
            Ok("069")
        }
        "ContentDocumentLink" => {
            check_fields(
                fields,
                &[
                    "ContentDocumentId",
                    "LinkedEntityId",
                    "ShareType",
                    "Visibility",
                ],
            )?;
            let doc = text(fields, "ContentDocumentId");
            let note_here = inner
                .created
                .iter()
                .any(|c| c.org == org && c.object == "ContentNote" && Some(c.id.as_str()) == doc);
            let linked = text(fields, "LinkedEntityId")
                .is_some_and(|id| record_in(o, id, &["Account", "Contact", "Opportunity"]));
            if !note_here || !linked {
                return Err(bad(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                ));
            }
            if !matches!(text(fields, "ShareType"), Some("V" | "C" | "I")) {
                return Err(bad(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    "bad value for restricted picklist field: ShareType",
                ));
            }
            Ok("06A")
        }
        "Task" => {
            check_fields(
                fields,
                &[
                    "Subject",
                    "Description",
                    "WhoId",
                    "WhatId",
                    "ActivityDate",
                    "ReminderDateTime",
                    "IsReminderSet",
                    "Status",
                    "Priority",
                    "TaskSubtype",
                    "OwnerId",
                ],
            )?;
            if text(fields, "Subject").is_some_and(|s| s.chars().count() > 255)
                || text(fields, "Description").is_some_and(|s| s.chars().count() > 32_000)
            {
                return Err(bad("STRING_TOO_LONG", "data value too large"));
            }
            if let Some(who) = fields.get("WhoId")
                && !who
                    .as_str()
                    .is_some_and(|id| record_in(o, id, &["Contact"]))
            {
                return Err(bad(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                ));
            }
            if let Some(what) = fields.get("WhatId")
                && !what
                    .as_str()
                    .is_some_and(|id| record_in(o, id, &["Account", "Opportunity"]))
            {
                return Err(bad(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                ));
            }
            if let Some(d) = fields.get("ActivityDate")
                && d.as_str()
                    .is_none_or(|d| jiff::civil::Date::strptime("%Y-%m-%d", d).is_err())
            {
                return Err(bad(
                    "JSON_PARSER_ERROR",
                    "Cannot deserialize instance of date",
                ));
            }
            // A datetime in UTC (`…Z`), as the client must send it.
            if let Some(r) = fields.get("ReminderDateTime")
                && !r
                    .as_str()
                    .is_some_and(|r| r.ends_with('Z') && r.parse::<jiff::Timestamp>().is_ok())
            {
                return Err(bad(
                    "JSON_PARSER_ERROR",
                    "Cannot deserialize instance of datetime",
                ));
            }
            let picklists: [(&str, &[&str]); 3] = [
                (
                    "Status",
                    &[
                        "Not Started",
                        "In Progress",
                        "Completed",
                        "Waiting on someone else",
                        "Deferred",
                    ],
                ),
                ("Priority", &["High", "Normal", "Low"]),
                (
                    "TaskSubtype",
                    &["Task", "Email", "Call", "ListEmail", "Cadence", "LinkedIn"],
                ),
            ];
            for (field, values) in picklists {
                if let Some(v) = fields.get(field)
                    && !v.as_str().is_some_and(|v| values.contains(&v))
                {
                    return Err(bad(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        &format!("bad value for restricted picklist field: {field}"),
                    ));
                }
            }
            Ok("00T")
        }
        _ => Err(not_found()),
    }
}

pub(super) async fn create(
    State(shared): State<Shared>,
    Path((version, object)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let body: Option<Value> = serde_json::from_slice(&bytes).ok();
    let path = format!("/services/data/{version}/sobjects/{object}/");
    let incoming = Incoming::with_body(Endpoint::Create, "POST", path, vec![], body.clone());
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            let Some(Value::Object(fields)) = body else {
                return bad("JSON_PARSER_ERROR", "The request body is not a JSON object");
            };
            let prefix = match validate_create(inner, org, &object, &fields) {
                Ok(p) => p,
                Err(answer) => return answer,
            };
            let id = inner.id(prefix);
            inner.created.push(Created {
                id: id.clone(),
                org,
                object: object.clone(),
                body: Value::Object(fields),
            });
            (
                StatusCode::CREATED,
                json!({ "id": id, "errors": [], "success": true }),
            )
        },
    )
    .await
}

pub(super) async fn update(
    State(shared): State<Shared>,
    Path((version, object, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let body: Option<Value> = serde_json::from_slice(&bytes).ok();
    let path = format!("/services/data/{version}/sobjects/{object}/{{id}}");
    let incoming = Incoming::with_body(Endpoint::Update, "PATCH", path, vec![], body.clone());
    serve(
        &shared,
        incoming,
        &headers,
        &version.clone(),
        |inner, org| {
            let Some(Value::Object(fields)) = body else {
                return bad("JSON_PARSER_ERROR", "The request body is not a JSON object");
            };
            if object != "Opportunity" {
                return not_found();
            }
            if let Err(answer) = check_fields(&fields, &["StageName", "Amount", "Name"]) {
                return answer;
            }
            let o = &mut inner.orgs[org];
            let Some(index) = o.opportunities.iter().position(|x| x.id == id) else {
                return not_found();
            };
            if let Some(stage) = fields.get("StageName") {
                let record_type = o.opportunities[index].record_type_id.clone();
                let offered = |name: &str| match &record_type {
                    Some(rt) => o
                        .record_types
                        .iter()
                        .find(|r| r.id == *rt)
                        .is_some_and(|r| r.stages.iter().any(|s| s == name)),
                    None => true,
                };
                let valid = stage.as_str().is_some_and(|name| {
                    o.stages.iter().any(|s| s.active && s.api_name == name) && offered(name)
                });
                if !valid {
                    return bad(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        "bad value for restricted picklist field: StageName",
                    );
                }
            }
            let amount = match fields.get("Amount") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::Number(n)) => Some(n.as_f64()),
                Some(_) => return bad("JSON_PARSER_ERROR", "Amount must be a number"),
            };
            let opportunity = &mut o.opportunities[index];
            if let Some(Value::String(stage)) = fields.get("StageName") {
                opportunity.stage_name = stage.clone();
            }
            if let Some(amount) = amount {
                opportunity.amount = amount;
            }
            if let Some(Value::String(name)) = fields.get("Name") {
                opportunity.name = name.clone();
            }
            (StatusCode::NO_CONTENT, Value::Null)
        },
    )
    .await
}
