//! The fake's OAuth endpoints (salesforce.md § Auth basics): the browser's authorize step
//! (approved at once by the org set with `consent_as`), the token endpoint (code exchange and
//! refresh; answers carry `instance_url` = this fake and no `expires_in`; refresh tokens are
//! not rotated) and revocation. Calls are recorded (the client secret and tokens left out of
//! the record) and take injected failures like the API's.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::{Endpoint, Grant, Inner, Shared};
use crate::script::{Call, CallIndex, Failure, Injected};
use crate::server::lock;

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

fn form(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What the record keeps of a form: every field but the secrets.
fn recorded(form: &[(String, String)]) -> Value {
    let secret = ["client_secret", "code", "refresh_token", "token"];
    Value::Object(
        form.iter()
            .map(|(k, v)| {
                let v = if secret.contains(&k.as_str()) {
                    "[redacted]".to_owned()
                } else {
                    v.clone()
                };
                (k.clone(), Value::String(v))
            })
            .collect(),
    )
}

/// Records the call and applies an injected failure; `Err` is the early answer.
fn admit(
    inner: &mut Inner,
    endpoint: Endpoint,
    method: &'static str,
    path: &str,
    form: &[(String, String)],
) -> Result<(CallIndex, Option<std::time::Duration>), Response> {
    let (at, failure) = inner.script.admit(Call {
        endpoint,
        method,
        path: path.to_owned(),
        query: Vec::new(),
        body: Some(recorded(form)),
        credential: None,
        status: 200,
    });
    match Failure::inject(
        failure,
        |_| {
            oauth_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests",
            )
        },
        |status| oauth_error(status, "server_error", "injected failure"),
    ) {
        Injected::Proceed { slow } => Ok((at, slow)),
        Injected::Refuse(response) => {
            inner.script.answered(at, response.status().as_u16());
            Err(response)
        }
    }
}

async fn after(slow: Option<std::time::Duration>, response: Response) -> Response {
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    response
}

pub(super) async fn authorize(State(shared): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let (slow, response) = authorize_now(&shared, raw);
    after(slow, response).await
}

type Answered = (Option<std::time::Duration>, Response);

fn authorize_now(shared: &Shared, raw: Option<String>) -> Answered {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let mut inner = lock(shared);
    let (at, slow) = match admit(
        &mut inner,
        Endpoint::Authorize,
        "GET",
        "/services/oauth2/authorize",
        &query,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return (None, response),
    };
    let client = field(&query, "client_id").unwrap_or("");
    let redirect = field(&query, "redirect_uri").unwrap_or("");
    let known = inner.clients.iter().any(|(id, _)| id == client);
    let (Some(org), true, Ok(mut target)) = (inner.consenting, known, url::Url::parse(redirect))
    else {
        inner.script.answered(at, StatusCode::BAD_REQUEST.as_u16());
        return (
            None,
            (StatusCode::BAD_REQUEST, "OAUTH_EC_APP_NOT_FOUND").into_response(),
        );
    };
    if field(&query, "response_type") != Some("code") {
        inner.script.answered(at, StatusCode::BAD_REQUEST.as_u16());
        return (
            None,
            (StatusCode::BAD_REQUEST, "unsupported_response_type").into_response(),
        );
    }
    let code = inner.token("code");
    inner.codes.push((code.clone(), org, redirect.to_owned()));
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(state) = field(&query, "state") {
            pairs.append_pair("state", state);
        }
    }
    inner.script.answered(at, StatusCode::FOUND.as_u16());
    (slow, Redirect::to(target.as_str()).into_response())
}

/// The client's credentials: in the form, or HTTP Basic (both allowed by the reference).
fn client_of(headers: &HeaderMap, form: &[(String, String)]) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret")) {
        return Some((id.to_owned(), secret.to_owned()));
    }
    let basic = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn token_answer(inner: &mut Inner, org: usize, access: &str, refresh: Option<&str>) -> Value {
    let issued_at = jiff::Timestamp::now().as_millisecond().to_string();
    let mut body = json!({
        "access_token": access,
        "signature": "ZmFrZS1zaWduYXR1cmU=",
        "scope": "api refresh_token",
        "instance_url": inner.origin,
        "id": format!("{}/id/00DFAKE{org:011}/005FAKE00000001AAA", inner.origin),
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    body
}

pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let (slow, response) = token_now(&shared, &headers, &bytes);
    after(slow, response).await
}

fn token_now(shared: &Shared, headers: &HeaderMap, bytes: &[u8]) -> Answered {
    let form = form(bytes);
    let mut inner = lock(shared);
    let (at, slow) = match admit(
        &mut inner,
        Endpoint::Token,
        "POST",
        "/services/oauth2/token",
        &form,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return (None, response),
    };
    let refuse = |inner: &mut Inner, code: &str, description: &str| {
        inner.script.answered(at, StatusCode::BAD_REQUEST.as_u16());
        (
            None,
            oauth_error(StatusCode::BAD_REQUEST, code, description),
        )
    };
    let Some((id, secret)) = client_of(headers, &form) else {
        return refuse(&mut inner, "invalid_client_id", "client identifier invalid");
    };
    let Some((_, want)) = inner.clients.iter().find(|(c, _)| *c == id) else {
        return refuse(&mut inner, "invalid_client_id", "client identifier invalid");
    };
    if *want != secret {
        return refuse(&mut inner, "invalid_client", "invalid client credentials");
    }
    let answer = match field(&form, "grant_type") {
        Some("authorization_code") => {
            let code = field(&form, "code").unwrap_or("");
            let redirect = field(&form, "redirect_uri").unwrap_or("");
            let Some(found) = inner
                .codes
                .iter()
                .position(|(c, _, r)| c == code && r == redirect)
            else {
                return refuse(&mut inner, "invalid_grant", "authentication failure");
            };
            let (_, org, _) = inner.codes.remove(found);
            let access = inner.token("A");
            let refresh = inner.token("R");
            inner.orgs[org].access_tokens.push(access.clone());
            inner.grants.push(Grant {
                org,
                refresh_token: refresh.clone(),
                access_tokens: vec![access.clone()],
            });
            token_answer(&mut inner, org, &access, Some(&refresh))
        }
        Some("refresh_token") => {
            let refresh = field(&form, "refresh_token").unwrap_or("");
            let Some(found) = inner.grants.iter().position(|g| g.refresh_token == refresh) else {
                return refuse(&mut inner, "invalid_grant", "expired access/refresh token");
            };
            let access = inner.token("A");
            let org = inner.grants[found].org;
            inner.grants[found].access_tokens.push(access.clone());
            inner.orgs[org].access_tokens.push(access.clone());
            token_answer(&mut inner, org, &access, None)
        }
        _ => {
            return refuse(
                &mut inner,
                "unsupported_grant_type",
                "grant type not supported",
            );
        }
    };
    (slow, (StatusCode::OK, axum::Json(answer)).into_response())
}

/// `token=` an access or a refresh token; a refresh token takes its access tokens with it.
pub(super) async fn revoke(State(shared): State<Shared>, bytes: Bytes) -> Response {
    let (slow, response) = revoke_now(&shared, &bytes);
    after(slow, response).await
}

fn revoke_now(shared: &Shared, bytes: &[u8]) -> Answered {
    let form = form(bytes);
    let mut inner = lock(shared);
    let (at, slow) = match admit(
        &mut inner,
        Endpoint::Revoke,
        "POST",
        "/services/oauth2/revoke",
        &form,
    ) {
        Ok(admitted) => admitted,
        Err(response) => return (None, response),
    };
    let token = field(&form, "token").unwrap_or("").to_owned();
    let mut known = false;
    if let Some(found) = inner.grants.iter().position(|g| g.refresh_token == token) {
        let grant = inner.grants.remove(found);
        inner.orgs[grant.org]
            .access_tokens
            .retain(|t| !grant.access_tokens.contains(t));
        known = true;
    }
    for org in &mut inner.orgs {
        let before = org.access_tokens.len();
        org.access_tokens.retain(|t| *t != token);
        known |= org.access_tokens.len() != before;
    }
    if !known {
        // UNCONFIRMED: Salesforce's answer for an unknown token.
        inner.script.answered(at, StatusCode::BAD_REQUEST.as_u16());
        return (
            None,
            oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token"),
        );
    }
    (slow, StatusCode::OK.into_response())
}
