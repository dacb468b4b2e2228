//! The fake's endpoints, each through [`serve`] (record, authenticate, injected failure:
//! [`crate::script::serve`]) with Crono's two key headers and its envelope.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Created, Endpoint, FakeAccount, FakeOpportunity, FakeProspect, Inner, Shared};
use crate::script::{self, Refusals};

type Answer = (StatusCode, Value);
type Incoming = script::Incoming<Endpoint>;

/// Crono's envelope on failure (§3: `isSuccess=false`, a non-empty `errors`; the element
/// shape is unknown, `{"message"}` here).
fn error(status: StatusCode, message: &str) -> Answer {
    (
        status,
        json!({ "data": null, "isSuccess": false, "errors": [{ "message": message }] }),
    )
}

fn respond((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Answer {
    (
        StatusCode::OK,
        json!({ "data": data, "isSuccess": true, "errors": [] }),
    )
}

fn not_found(what: &str) -> Answer {
    error(StatusCode::NOT_FOUND, &format!("{what} not found"))
}

fn bad_request(message: &str) -> Answer {
    error(StatusCode::BAD_REQUEST, message)
}

/// Both headers, joined by a newline (no header value holds one) so that the shared
/// [`script::serve`] sees one credential.
fn credential(headers: &HeaderMap) -> Option<String> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Some(format!(
        "{}\n{}",
        value("x-api-key")?,
        value("x-api-secret")?
    ))
}

const REFUSALS: Refusals = Refusals {
    unauthorized: || respond(error(StatusCode::UNAUTHORIZED, "Unauthorized")),
    // No rate-limit headers were observed (§6.8): only `Retry-After`, when asked.
    rate_limited: |retry_after| {
        let mut response = respond(error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"));
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
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
    script::serve(
        shared,
        incoming,
        credential(headers),
        |inner: &mut Inner| &mut inner.script,
        |inner, pair| {
            let (public, private) = pair.split_once('\n')?;
            inner
                .workspaces
                .iter()
                .position(|w| w.keys.iter().any(|(p, s)| p == public && s == private))
        },
        &REFUSALS,
        work,
    )
    .await
}

/// A call with a JSON object body (400 before `work` when it is not one).
async fn serve_object(
    shared: &Shared,
    headers: &HeaderMap,
    (endpoint, method, path): (Endpoint, &'static str, &'static str),
    bytes: &Bytes,
    work: impl FnOnce(&mut Inner, usize, Map<String, Value>) -> Answer,
) -> Response {
    let body: Option<Value> = serde_json::from_slice(bytes).ok();
    let incoming = Incoming::with_body(endpoint, method, path, vec![], body.clone());
    serve(shared, incoming, headers, |inner, workspace| {
        let Some(Value::Object(fields)) = body else {
            return bad_request("invalid JSON body");
        };
        work(inner, workspace, fields)
    })
    .await
}

/// A write: the payload must be wrapped in `data` (any case); without it, the 400 commit
/// `5274f21` met ("requiring 'Data' field").
async fn serve_write(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: (Endpoint, &'static str, &'static str),
    bytes: &Bytes,
    work: impl FnOnce(&mut Inner, usize, &Map<String, Value>) -> Answer,
) -> Response {
    serve_object(
        shared,
        headers,
        endpoint,
        bytes,
        |inner, workspace, body| match field(&body, "data") {
            Some(Value::Object(data)) => work(inner, workspace, data),
            _ => bad_request("The Data field is required."),
        },
    )
    .await
}

/// A property by name, case-insensitively (ASP.NET binding, [inferred] §3); `null` is absent.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn text<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    field(object, name).and_then(Value::as_str)
}

/// `pagination{limit, offset}` (§3), `limit` at most `max`.
fn pagination(body: &Map<String, Value>, max: u64) -> Result<(usize, usize), Answer> {
    let Some(page) = field(body, "pagination") else {
        return Ok((0, max.min(50) as usize));
    };
    let Value::Object(page) = page else {
        return Err(bad_request("pagination must be an object"));
    };
    let limit = match field(page, "limit") {
        None => 50.min(max),
        Some(l) => l
            .as_u64()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| bad_request("limit out of range"))?,
    };
    let offset = match field(page, "offset") {
        None => 0,
        Some(o) => o.as_u64().ok_or_else(|| bad_request("offset"))?,
    };
    Ok((offset as usize, limit as usize))
}

fn paged(items: Vec<Value>, (offset, limit): (usize, usize)) -> Answer {
    ok(json!(
        items
            .into_iter()
            .skip(offset)
            .take(limit)
            .collect::<Vec<_>>()
    ))
}

fn contains(value: &str, needle: &str) -> bool {
    value.to_lowercase().contains(&needle.to_lowercase())
}

/// `objectIds`: absent or empty means no filter.
fn object_ids(body: &Map<String, Value>) -> Option<Vec<String>> {
    let ids: Vec<String> = field(body, "objectIds")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    (!ids.is_empty()).then_some(ids)
}

fn account_json(a: &FakeAccount) -> Value {
    json!({ "objectId": a.object_id, "name": a.name, "website": a.website })
}

fn prospect_json(p: &FakeProspect) -> Value {
    json!({
        "objectId": p.object_id, "name": format!("{} {}", p.first_name, p.last_name),
        "firstName": p.first_name, "lastName": p.last_name, "email": p.email,
        "accountId": p.account_id,
    })
}

fn opportunity_json(o: &FakeOpportunity) -> Value {
    json!({
        "objectId": o.object_id, "name": o.name, "accountId": o.account_id,
        "pipeline": o.pipeline, "stage": o.stage, "amount": o.amount, "currency": o.currency,
        "isClosed": o.is_closed, "isWon": o.is_won, "closeDate": null,
    })
}

pub(super) async fn accounts_search(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (Endpoint::AccountsSearch, "POST", "/api/v1/Accounts/search");
    serve_object(&shared, &headers, endpoint, &bytes, |inner, ws, body| {
        // "Max 200 per GET request" (§4.1); the search's own cap is not known.
        let page = match pagination(&body, 200) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let name = text(&body, "name");
        let has_website = field(&body, "hasWebsite").and_then(Value::as_bool);
        let items = inner.workspaces[ws]
            .accounts
            .iter()
            .filter(|a| name.is_none_or(|n| contains(&a.name, n)))
            .filter(|a| {
                has_website.is_none_or(|want| {
                    a.website.as_deref().is_some_and(|w| !w.trim().is_empty()) == want
                })
            })
            .map(account_json)
            .collect();
        paged(items, page)
    })
    .await
}

pub(super) async fn account(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let incoming = Incoming::get(Endpoint::Account, "/api/v1/Accounts/{id}", vec![]);
    serve(&shared, incoming, &headers, |inner, ws| {
        match inner.workspaces[ws]
            .accounts
            .iter()
            .find(|a| a.object_id == id)
        {
            Some(a) => ok(account_json(a)),
            None => not_found("Account"),
        }
    })
    .await
}

pub(super) async fn prospects_search(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (
        Endpoint::ProspectsSearch,
        "POST",
        "/api/v1/Prospects/search",
    );
    serve_object(&shared, &headers, endpoint, &bytes, |inner, ws, body| {
        // "the API maximum is 50 per request" (§4.4).
        let page = match pagination(&body, 50) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let name = text(&body, "name");
        let account = text(&body, "accountId");
        let ids = object_ids(&body);
        let items = inner.workspaces[ws]
            .prospects
            .iter()
            .filter(|p| {
                name.is_none_or(|n| {
                    contains(&format!("{} {}", p.first_name, p.last_name), n)
                        || contains(&p.email, n)
                })
            })
            .filter(|p| account.is_none_or(|a| p.account_id.as_deref() == Some(a)))
            .filter(|p| ids.as_ref().is_none_or(|ids| ids.contains(&p.object_id)))
            .map(prospect_json)
            .collect();
        paged(items, page)
    })
    .await
}

pub(super) async fn opportunities_search(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (
        Endpoint::OpportunitiesSearch,
        "POST",
        "/api/v1/Opportunities/search",
    );
    serve_object(&shared, &headers, endpoint, &bytes, |inner, ws, body| {
        let page = match pagination(&body, 100) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let account = text(&body, "accountId");
        let ids = object_ids(&body);
        let closed = field(&body, "isClosed").and_then(Value::as_bool);
        let won = field(&body, "isWon").and_then(Value::as_bool);
        let items = inner.workspaces[ws]
            .opportunities
            .iter()
            .filter(|o| account.is_none_or(|a| o.account_id == a))
            .filter(|o| ids.as_ref().is_none_or(|ids| ids.contains(&o.object_id)))
            .filter(|o| closed.is_none_or(|c| o.is_closed == c))
            .filter(|o| won.is_none_or(|w| o.is_won == w))
            .map(opportunity_json)
            .collect();
        paged(items, page)
    })
    .await
}

/// `PATCH /Opportunities` with the id in the body (§4.7): `OpportunityId` and `AccountId`
/// both required; `stage` one of the workspace's stage ids; `amount` a number.
pub(super) async fn update_opportunity(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (
        Endpoint::UpdateOpportunity,
        "PATCH",
        "/api/v1/Opportunities",
    );
    serve_write(&shared, &headers, endpoint, &bytes, |inner, ws, data| {
        let (Some(id), Some(account)) = (text(data, "opportunityId"), text(data, "accountId"))
        else {
            return bad_request("OpportunityId and AccountId are required");
        };
        let w = &mut inner.workspaces[ws];
        let stage = match text(data, "stage") {
            None => None,
            Some(s) => match w.pipelines.iter().find_map(|p| {
                p.stages
                    .iter()
                    .find(|x| x.id == s)
                    .map(|x| (p.id.clone(), x.clone()))
            }) {
                Some(found) => Some(found),
                None => return bad_request("stage is not a stage of a pipeline"),
            },
        };
        let amount = match field(data, "amount") {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => return bad_request("amount must be a number"),
        };
        let Some(deal) = w.opportunities.iter_mut().find(|o| o.object_id == id) else {
            return not_found("Opportunity");
        };
        if deal.account_id != account {
            return bad_request("the opportunity is not on this account");
        }
        if let Some((pipeline, stage)) = stage {
            deal.pipeline = pipeline;
            deal.stage = stage.id;
            deal.is_closed = stage.is_closed;
            deal.is_won = stage.is_won;
        }
        if let Some(a) = amount {
            deal.amount = Some(a);
        }
        ok(opportunity_json(deal))
    })
    .await
}

/// `PUT /Opportunities/{id}` answered 405 and `PATCH /Opportunities/{id}` failed (§4.7).
pub(super) async fn opportunity_by_id(
    State(shared): State<Shared>,
    headers: HeaderMap,
) -> Response {
    let incoming = Incoming::get(
        Endpoint::OpportunityById,
        "/api/v1/Opportunities/{id}",
        vec![],
    );
    serve(&shared, incoming, &headers, |_, _| {
        error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    })
    .await
}

pub(super) async fn pipelines(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let incoming = Incoming::get(Endpoint::Pipelines, "/api/v1/Pipelines", vec![]);
    serve(&shared, incoming, &headers, |inner, ws| {
        let data: Vec<Value> = inner.workspaces[ws]
            .pipelines
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let stages: Vec<Value> = p
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(j, s)| {
                        json!({
                            "id": s.id, "label": s.label, "displayOrder": j,
                            "isClosed": s.is_closed, "isWon": s.is_won,
                        })
                    })
                    .collect();
                json!({ "id": p.id, "label": p.label, "displayOrder": i, "stages": stages })
            })
            .collect();
        ok(json!(data))
    })
    .await
}

/// `POST /Notes` (§4.5): `accountId` and `description` required; answers only the account id.
pub(super) async fn notes(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (Endpoint::Notes, "POST", "/api/v1/Notes");
    serve_write(&shared, &headers, endpoint, &bytes, |inner, ws, data| {
        let (Some(account), Some(description)) =
            (text(data, "accountId"), text(data, "description"))
        else {
            return bad_request("AccountId and Description are required");
        };
        if description.trim().is_empty() {
            return bad_request("Description is required");
        }
        // The answer for a missing account is not known (UNCONFIRMED): 404 here.
        if !inner.workspaces[ws]
            .accounts
            .iter()
            .any(|a| a.object_id == account)
        {
            return not_found("Account");
        }
        let account = account.to_owned();
        inner.notes.push(Created {
            object_id: None,
            workspace: ws,
            data: Value::Object(data.clone()),
        });
        ok(json!({ "accountId": account }))
    })
    .await
}

/// `POST /Tasks` (§4.8): `accountId`, `prospectId`, `type`, `activityDate` required [n8n];
/// `type` a name (`Call`, `Email`, `Generic`, `InMail`, `Linkedin`, [n8n]) or the repo's
/// integer; `activityDate` RFC 3339 in UTC (`Z`).
pub(super) async fn tasks(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let endpoint = (Endpoint::Tasks, "POST", "/api/v1/Tasks");
    serve_write(&shared, &headers, endpoint, &bytes, |inner, ws, data| {
        let (Some(account), Some(prospect), Some(kind), Some(date)) = (
            text(data, "accountId"),
            text(data, "prospectId"),
            field(data, "type"),
            text(data, "activityDate"),
        ) else {
            return bad_request("AccountId, ProspectId, Type and ActivityDate are required");
        };
        let kind_ok = match kind {
            Value::String(s) => ["Call", "Email", "Generic", "InMail", "Linkedin"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(s)),
            Value::Number(n) => n.as_u64().is_some_and(|n| n <= 3),
            _ => false,
        };
        if !kind_ok {
            return bad_request("invalid Type");
        }
        if !date.ends_with('Z') || date.parse::<jiff::Timestamp>().is_err() {
            return bad_request("ActivityDate must be an RFC 3339 UTC time");
        }
        let w = &inner.workspaces[ws];
        let Some(p) = w.prospects.iter().find(|p| p.object_id == prospect) else {
            return not_found("Prospect");
        };
        if p.account_id.as_deref() != Some(account) {
            return bad_request("the prospect is not on this account");
        }
        let object_id = inner.object_id(ws);
        let mut task = data.clone();
        task.insert("objectId".into(), json!(object_id));
        inner.tasks.push(Created {
            object_id: Some(object_id),
            workspace: ws,
            data: Value::Object(data.clone()),
        });
        ok(Value::Object(task))
    })
    .await
}

/// `GET /Users`: the cheap credential check [n8n]; the key owner.
pub(super) async fn users(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let incoming = Incoming::get(Endpoint::Users, "/api/v1/Users", vec![]);
    serve(&shared, incoming, &headers, |inner, ws| {
        let portal = inner.workspaces[ws].portal;
        ok(json!([{ "objectId": format!("{portal}_1"), "name": "Key Owner" }]))
    })
    .await
}
