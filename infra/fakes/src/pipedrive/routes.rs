//! The fake's endpoints, each through [`serve`] (record, authenticate, injected failure:
//! [`crate::script::serve`]) with Pipedrive's credentials and error bodies.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Company, Created, Endpoint, FakeDeal, Inner, Shared};
use crate::script::{self, Refusals, bearer};

type Answer = (StatusCode, Value);

/// Pipedrive's error envelope (pipedrive.md §6; the exact 401 body is not confirmed).
fn error(status: StatusCode, message: &str) -> Answer {
    (status, json!({ "success": false, "error": message }))
}

fn respond((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Answer {
    (StatusCode::OK, json!({ "success": true, "data": data }))
}

type Incoming = script::Incoming<Endpoint>;

/// `x-api-token` (the SDK's header), then `Authorization: Bearer`, then `?api_token=` on v1.
fn credential(headers: &HeaderMap, incoming: &Incoming) -> Option<String> {
    let header = headers
        .get("x-api-token")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    header.or_else(|| bearer(headers)).or_else(|| {
        (incoming.path.starts_with("/v1") || incoming.path.starts_with("/api/v1"))
            .then(|| {
                incoming
                    .query
                    .iter()
                    .find(|(k, _)| k == "api_token")
                    .map(|(_, v)| v.clone())
            })
            .flatten()
    })
}

const REFUSALS: Refusals = Refusals {
    unauthorized: || respond(error(StatusCode::UNAUTHORIZED, "unauthorized access")),
    rate_limited: |retry_after| {
        let mut response = respond(error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"));
        let h = response.headers_mut();
        // The readme's headers; the 2 s window (pipedrive.md §6).
        h.insert("x-ratelimit-limit", HeaderValue::from(80));
        h.insert("x-ratelimit-remaining", HeaderValue::from(0));
        h.insert("x-ratelimit-reset", HeaderValue::from(2));
        if let Some(secs) = retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    },
    failed: |status| respond(error(status, "injected failure")),
};

async fn serve(
    shared: &Shared,
    incoming: Incoming,
    headers: &HeaderMap,
    work: impl FnOnce(&mut Inner, usize) -> Answer,
) -> Response {
    let token = credential(headers, &incoming);
    script::serve(
        shared,
        incoming,
        token,
        |inner: &mut Inner| &mut inner.script,
        |inner, t| {
            inner
                .companies
                .iter()
                .position(|c| c.tokens.iter().any(|x| x == t))
        },
        &REFUSALS,
        work,
    )
    .await
}

/// A call with a JSON object body: recorded with the body (when it parses), answered 400
/// before `work` when it is not an object.
async fn serve_object(
    shared: &Shared,
    headers: &HeaderMap,
    (endpoint, method, path): (Endpoint, &'static str, &'static str),
    query: Vec<(String, String)>,
    bytes: &Bytes,
    work: impl FnOnce(&mut Inner, usize, serde_json::Map<String, Value>) -> Answer,
) -> Response {
    let body: Option<Value> = serde_json::from_slice(bytes).ok();
    let incoming = Incoming::with_body(endpoint, method, path, query, body.clone());
    serve(shared, incoming, headers, |inner, company| {
        let Some(Value::Object(fields)) = body else {
            return error(StatusCode::BAD_REQUEST, "invalid JSON body");
        };
        work(inner, company, fields)
    })
    .await
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

/// `limit` (default 100, max 500) and `cursor` (here the offset, opaque to clients).
fn page(query: &[(String, String)]) -> Result<(usize, usize), Answer> {
    let limit = match param(query, "limit") {
        None => 100,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=500).contains(l))
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "limit must be between 1 and 500"))?,
    };
    let start = match param(query, "cursor") {
        None | Some("") => 0,
        Some(c) => c
            .strip_prefix("c:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid cursor"))?,
    };
    Ok((start, limit))
}

fn paged(items: Vec<Value>, start: usize, limit: usize, wrap_items: bool) -> Answer {
    let end = (start + limit).min(items.len());
    let slice = items.get(start.min(end)..end).unwrap_or_default().to_vec();
    let next = (end < items.len()).then(|| format!("c:{end}"));
    let data = if wrap_items {
        json!({ "items": slice })
    } else {
        json!(slice)
    };
    (
        StatusCode::OK,
        json!({ "success": true, "data": data, "additional_data": { "next_cursor": next } }),
    )
}

/// `term` against a value: exact (case-insensitive) or contained.
fn term_matches(value: &str, term: &str, exact: bool) -> bool {
    let (value, term) = (value.to_lowercase(), term.to_lowercase());
    if exact {
        value == term
    } else {
        value.contains(&term)
    }
}

struct SearchTerms {
    term: String,
    fields: Vec<String>,
    exact: bool,
    start: usize,
    limit: usize,
}

fn search_terms(query: &[(String, String)], all_fields: &[&str]) -> Result<SearchTerms, Answer> {
    let exact = param(query, "exact_match") == Some("true");
    let term = param(query, "term").unwrap_or("").trim().to_owned();
    // `term` min 2 characters, 1 with `exact_match` (pipedrive.md §1).
    if term.chars().count() < if exact { 1 } else { 2 } {
        return Err(error(StatusCode::BAD_REQUEST, "term is too short"));
    }
    let fields = match param(query, "fields") {
        None | Some("") => all_fields.iter().map(|f| (*f).to_owned()).collect(),
        Some(list) => list
            .split(',')
            .map(|f| f.trim().to_owned())
            .collect::<Vec<_>>(),
    };
    if let Some(bad) = fields.iter().find(|f| !all_fields.contains(&f.as_str())) {
        let _ = bad;
        return Err(error(StatusCode::BAD_REQUEST, "invalid fields"));
    }
    let (start, limit) = page(query)?;
    Ok(SearchTerms {
        term,
        fields,
        exact,
        start,
        limit,
    })
}

fn organization_json(o: &super::FakeOrganization) -> Value {
    json!({
        "id": o.id, "type": "organization", "name": o.name, "address": null,
        "visible_to": 3, "owner": { "id": 1 }, "custom_fields": [], "notes": [],
    })
}

fn person_json(company: &Company, p: &super::FakePerson) -> Value {
    let org = p
        .org_id
        .and_then(|id| company.organizations.iter().find(|o| o.id == id))
        .map(|o| json!({ "id": o.id, "name": o.name }));
    json!({
        "id": p.id, "type": "person", "name": p.name, "emails": [p.email], "phones": [],
        "organization": org, "visible_to": 3, "owner": { "id": 1 },
    })
}

fn deal_json(d: &FakeDeal) -> Value {
    json!({
        "id": d.id, "title": d.title, "value": d.value, "currency": d.currency,
        "org_id": d.org_id, "pipeline_id": d.pipeline_id, "stage_id": d.stage_id,
        "status": d.status, "is_deleted": false,
    })
}

pub(super) async fn organizations_search(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let terms = search_terms(&query, &["address", "custom_fields", "notes", "name"]);
    let incoming = Incoming::get(
        Endpoint::OrganizationsSearch,
        "/api/v2/organizations/search",
        query,
    );
    serve(&shared, incoming, &headers, |inner, company| {
        let t = match terms {
            Ok(t) => t,
            Err(answer) => return answer,
        };
        let items: Vec<Value> = inner.companies[company]
            .organizations
            .iter()
            .filter(|o| {
                (t.fields.iter().any(|f| f == "name") && term_matches(&o.name, &t.term, t.exact))
                    || (t.fields.iter().any(|f| f == "custom_fields")
                        && o.domain
                            .as_deref()
                            .is_some_and(|d| term_matches(d, &t.term, t.exact)))
            })
            .map(|o| json!({ "result_score": 1.0, "item": organization_json(o) }))
            .collect();
        paged(items, t.start, t.limit, true)
    })
    .await
}

pub(super) async fn persons_search(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let terms = search_terms(
        &query,
        &["custom_fields", "email", "notes", "phone", "name"],
    );
    let incoming = Incoming::get(Endpoint::PersonsSearch, "/api/v2/persons/search", query);
    serve(&shared, incoming, &headers, |inner, company| {
        let t = match terms {
            Ok(t) => t,
            Err(answer) => return answer,
        };
        let c = &inner.companies[company];
        let items: Vec<Value> = c
            .persons
            .iter()
            .filter(|p| {
                (t.fields.iter().any(|f| f == "name") && term_matches(&p.name, &t.term, t.exact))
                    || (t.fields.iter().any(|f| f == "email")
                        && term_matches(&p.email, &t.term, t.exact))
            })
            .map(|p| json!({ "result_score": 1.0, "item": person_json(c, p) }))
            .collect();
        paged(items, t.start, t.limit, true)
    })
    .await
}

fn not_found(what: &str) -> Answer {
    error(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

pub(super) async fn organization(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let incoming = Incoming::get(Endpoint::Organization, "/api/v2/organizations/{id}", vec![]);
    serve(&shared, incoming, &headers, |inner, company| {
        let id: Option<u64> = id.parse().ok();
        match inner.companies[company]
            .organizations
            .iter()
            .find(|o| Some(o.id) == id)
        {
            Some(o) => ok(organization_json(o)),
            None => not_found("Organization"),
        }
    })
    .await
}

pub(super) async fn person(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let incoming = Incoming::get(Endpoint::Person, "/api/v2/persons/{id}", vec![]);
    serve(&shared, incoming, &headers, |inner, company| {
        let id: Option<u64> = id.parse().ok();
        let c = &inner.companies[company];
        match c.persons.iter().find(|p| Some(p.id) == id) {
            Some(p) => ok(person_json(c, p)),
            None => not_found("Person"),
        }
    })
    .await
}

pub(super) async fn deals(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let incoming = Incoming::get(Endpoint::Deals, "/api/v2/deals", query.clone());
    serve(&shared, incoming, &headers, |inner, company| {
        let (start, limit) = match page(&query) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let org: Option<u64> = param(&query, "org_id").and_then(|o| o.parse().ok());
        let status = param(&query, "status");
        if status.is_some_and(|s| !matches!(s, "open" | "won" | "lost" | "deleted")) {
            return error(StatusCode::BAD_REQUEST, "invalid status");
        }
        let items: Vec<Value> = inner.companies[company]
            .deals
            .iter()
            .filter(|d| org.is_none_or(|o| d.org_id == o))
            .filter(|d| status.is_none_or(|s| d.status == s))
            .map(deal_json)
            .collect();
        paged(items, start, limit, false)
    })
    .await
}

pub(super) async fn update_deal(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (Endpoint::UpdateDeal, "PATCH", "/api/v2/deals/{id}");
    serve_object(
        &shared,
        &headers,
        endpoint,
        vec![],
        &bytes,
        |inner, company, changes| {
            let c = &mut inner.companies[company];
            let stage = match changes.get("stage_id") {
                None => None,
                Some(v) => match v.as_u64().and_then(|s| {
                    c.pipelines
                        .iter()
                        .find(|p| p.stages.iter().any(|(id, _)| *id == s))
                        .map(|p| (s, p.id))
                }) {
                    Some(found) => Some(found),
                    None => return error(StatusCode::BAD_REQUEST, "stage_id is not a stage"),
                },
            };
            // v2 validates numbers strictly (pipedrive.md): a string value is refused.
            let value = match changes.get("value") {
                None => None,
                Some(Value::Number(n)) => n.as_f64(),
                Some(_) => return error(StatusCode::BAD_REQUEST, "value must be a number"),
            };
            let status = match changes.get("status") {
                None => None,
                Some(Value::String(s)) if matches!(s.as_str(), "open" | "won" | "lost") => {
                    Some(s.clone())
                }
                Some(_) => return error(StatusCode::BAD_REQUEST, "invalid status"),
            };
            let id: Option<u64> = id.parse().ok();
            let Some(deal) = c.deals.iter_mut().find(|d| Some(d.id) == id) else {
                return not_found("Deal");
            };
            if let Some((stage, pipeline)) = stage {
                deal.stage_id = stage;
                deal.pipeline_id = pipeline;
            }
            if let Some(v) = value {
                deal.value = Some(v);
            }
            if let Some(s) = status {
                deal.status = s;
            }
            ok(deal_json(deal))
        },
    )
    .await
}

pub(super) async fn pipelines(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let incoming = Incoming::get(Endpoint::Pipelines, "/api/v2/pipelines", vec![]);
    serve(&shared, incoming, &headers, |inner, company| {
        let data: Vec<Value> = inner.companies[company]
            .pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| json!({ "id": p.id, "name": p.name, "order_nr": i, "is_deleted": false }))
            .collect();
        ok(json!(data))
    })
    .await
}

pub(super) async fn stages(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let incoming = Incoming::get(Endpoint::Stages, "/api/v2/stages", query.clone());
    serve(&shared, incoming, &headers, |inner, company| {
        let pipeline: Option<u64> = param(&query, "pipeline_id").and_then(|p| p.parse().ok());
        let data: Vec<Value> = inner.companies[company]
            .pipelines
            .iter()
            .filter(|p| pipeline.is_none_or(|id| p.id == id))
            .flat_map(|p| {
                p.stages.iter().enumerate().map(move |(i, (id, name))| {
                    json!({ "id": id, "name": name, "pipeline_id": p.id, "order_nr": i, "is_deleted": false })
                })
            })
            .collect();
        ok(json!(data))
    })
    .await
}

/// Records a created note or activity under a new id; its `data` as answered (the fields
/// sent, with the id).
fn create(
    inner: &mut Inner,
    company: usize,
    fields: serde_json::Map<String, Value>,
    into: fn(&mut Inner) -> &mut Vec<Created>,
) -> Value {
    let id = inner.allocate();
    let mut data = Value::Object(fields.clone());
    data["id"] = json!(id);
    into(inner).push(Created {
        id,
        company,
        body: Value::Object(fields),
    });
    data
}

fn id_field(body: &serde_json::Map<String, Value>, name: &str) -> Option<u64> {
    body.get(name).and_then(Value::as_u64)
}

pub(super) async fn notes(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let query = parse_query(raw.as_deref());
    let endpoint = (Endpoint::Notes, "POST", "/v1/notes");
    serve_object(
        &shared,
        &headers,
        endpoint,
        query,
        &bytes,
        |inner, company, fields| {
            if fields
                .get("content")
                .and_then(Value::as_str)
                .is_none_or(|c| c.trim().is_empty())
            {
                return error(StatusCode::BAD_REQUEST, "content is required");
            }
            let targets = ["lead_id", "deal_id", "person_id", "org_id", "project_id"];
            if !targets.iter().any(|t| fields.contains_key(*t)) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "one of lead_id, deal_id, person_id, org_id, project_id is required",
                );
            }
            if let Some(add_time) = fields.get("add_time") {
                let valid = add_time.as_str().is_some_and(|t| {
                    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", t).is_ok()
                });
                if !valid {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "add_time must be YYYY-MM-DD HH:MM:SS",
                    );
                }
            }
            let c = &inner.companies[company];
            if let Some(org) = id_field(&fields, "org_id")
                && !c.organizations.iter().any(|o| o.id == org)
            {
                // UNCONFIRMED: Pipedrive's answer for a missing organization.
                return error(StatusCode::BAD_REQUEST, "Organization not found");
            }
            let mut data = create(inner, company, fields, |inner| &mut inner.notes);
            data["active_flag"] = json!(true);
            (
                StatusCode::CREATED,
                json!({ "success": true, "data": data }),
            )
        },
    )
    .await
}

pub(super) async fn list_notes(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = parse_query(raw.as_deref());
    let incoming = Incoming::get(Endpoint::ListNotes, "/v1/notes", query.clone());
    serve(&shared, incoming, &headers, |inner, company| {
        let number = |name: &str, default: usize| -> Option<usize> {
            param(&query, name).map_or(Some(default), |v| v.parse().ok())
        };
        let (Some(start), Some(limit)) = (number("start", 0), number("limit", 100)) else {
            return error(StatusCode::BAD_REQUEST, "start and limit are integers");
        };
        if limit == 0 || limit > 500 {
            return error(StatusCode::BAD_REQUEST, "limit is at most 500");
        }
        let org: Option<u64> = param(&query, "org_id").and_then(|o| o.parse().ok());
        let mine: Vec<Value> = inner
            .notes
            .iter()
            .filter(|n| n.company == company)
            .filter(|n| org.is_none_or(|o| n.body.get("org_id").and_then(Value::as_u64) == Some(o)))
            .map(|n| {
                let mut data = n.body.clone();
                data["id"] = json!(n.id);
                data["active_flag"] = json!(true);
                data
            })
            .collect();
        let page: Vec<Value> = mine.iter().skip(start).take(limit).cloned().collect();
        let more = start + page.len() < mine.len();
        let mut pagination = json!({
            "start": start,
            "limit": limit,
            "more_items_in_collection": more,
        });
        if more {
            pagination["next_start"] = json!(start + page.len());
        }
        let data = if page.is_empty() {
            Value::Null
        } else {
            json!(page)
        };
        (
            StatusCode::OK,
            json!({
                "success": true,
                "data": data,
                "additional_data": { "pagination": pagination },
            }),
        )
    })
    .await
}

pub(super) async fn activities(
    State(shared): State<Shared>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let query = parse_query(raw.as_deref());
    let endpoint = (Endpoint::Activities, "POST", "/v1/activities");
    serve_object(
        &shared,
        &headers,
        endpoint,
        query,
        &bytes,
        |inner, company, fields| {
            let text = |name: &str| fields.get(name).and_then(Value::as_str);
            if text("subject").is_none_or(|s| s.trim().is_empty()) || text("type").is_none() {
                return error(StatusCode::BAD_REQUEST, "subject and type are required");
            }
            let date_ok = text("due_date")
                .is_some_and(|d| jiff::civil::Date::strptime("%Y-%m-%d", d).is_ok());
            let time_ok =
                text("due_time").is_none_or(|t| jiff::civil::Time::strptime("%H:%M", t).is_ok());
            if !date_ok || !time_ok {
                return error(
                    StatusCode::BAD_REQUEST,
                    "due_date is YYYY-MM-DD, due_time HH:MM",
                );
            }
            let c = &inner.companies[company];
            if let Some(person) = id_field(&fields, "person_id")
                && !c.persons.iter().any(|p| p.id == person)
            {
                return error(StatusCode::BAD_REQUEST, "Person not found");
            }
            let data = create(inner, company, fields, |inner| &mut inner.activities);
            (
                StatusCode::CREATED,
                json!({ "success": true, "data": data }),
            )
        },
    )
    .await
}
