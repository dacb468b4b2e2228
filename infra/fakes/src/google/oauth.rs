//! The fake's OAuth: consent (authorize), the token endpoint, revocation, and the access
//! tokens the APIs check.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::{Consent, Endpoint, Failure, Inner, RecordedCall, Shared};
use crate::server::lock;

/// Google's codes are short-lived; 10 minutes is RFC 6749 §4.1.2's recommended maximum.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// Form fields whose values are never recorded.
const SECRET_FIELDS: &[&str] = &["code", "refresh_token", "client_secret", "token"];

#[derive(Default)]
pub(crate) struct OAuthState {
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    /// access token → (grant index, expiry).
    access: HashMap<String, (usize, Instant)>,
}

struct Code {
    redirect_uri: String,
    scopes: Vec<String>,
    offline: bool,
    issued: Instant,
    used: bool,
}

struct Grant {
    refresh_token: Option<String>,
    scopes: Vec<String>,
    revoked: bool,
    /// The account that consented (what `users.getProfile` answers for its tokens).
    email: String,
}

/// What an API call's bearer token is worth.
pub(crate) enum Bearer {
    Live {
        scopes: Vec<String>,
        email: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
}

pub(crate) fn bearer(inner: &Inner, token: &str) -> Bearer {
    match inner.oauth.access.get(token) {
        Some((grant, expires)) if *expires > Instant::now() => {
            let grant = &inner.oauth.grants[*grant];
            if grant.revoked {
                Bearer::Invalid
            } else {
                Bearer::Live {
                    scopes: grant.scopes.clone(),
                    email: grant.email.clone(),
                }
            }
        }
        _ => Bearer::Invalid,
    }
}

pub(crate) fn is_revoked(inner: &Inner, token: &str) -> bool {
    grant_of(inner, token).is_some_and(|g| inner.oauth.grants[g].revoked)
}

pub(crate) fn revoked_count(inner: &Inner) -> usize {
    inner.oauth.grants.iter().filter(|g| g.revoked).count()
}

pub(crate) fn expire_all(inner: &mut Inner) {
    let past = Instant::now() - Duration::from_secs(1);
    for (_, expires) in inner.oauth.access.values_mut() {
        *expires = past;
    }
}

fn grant_of(inner: &Inner, token: &str) -> Option<usize> {
    if let Some((grant, _)) = inner.oauth.access.get(token) {
        return Some(*grant);
    }
    inner
        .oauth
        .grants
        .iter()
        .position(|g| g.refresh_token.as_deref() == Some(token))
}

/// A new grant: its first access token and, when `offline`, its refresh token.
pub(crate) fn new_grant(
    inner: &mut Inner,
    scopes: Vec<String>,
    offline: bool,
) -> (String, Option<String>) {
    let n = inner.next();
    let refresh =
        offline.then(|| format!("1//fake-refresh-{n}-{:08x}", n.wrapping_mul(0x9e37_79b9)));
    let email = inner.account_email.clone();
    inner.oauth.grants.push(Grant {
        refresh_token: refresh.clone(),
        scopes,
        revoked: false,
        email,
    });
    let grant = inner.oauth.grants.len() - 1;
    (access_token(inner, grant), refresh)
}

fn access_token(inner: &mut Inner, grant: usize) -> String {
    let n = inner.next();
    let token = format!("ya29.fake-access-{n}-{:08x}", n.wrapping_mul(0x85eb_ca6b));
    let expires = Instant::now() + inner.expires_in;
    inner.oauth.access.insert(token.clone(), (grant, expires));
    token
}

fn record(inner: &mut Inner, endpoint: Endpoint, path: &str, params: &[(String, String)]) -> usize {
    let params = params
        .iter()
        .map(|(k, v)| {
            let shown = if SECRET_FIELDS.contains(&k.as_str()) {
                "[redacted]".to_owned()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect();
    inner.calls.push(RecordedCall {
        endpoint,
        path: path.to_owned(),
        params,
        bearer: None,
        status: 200,
    });
    inner.calls.len() - 1
}

/// The consent step: checks the request as Google's page does and returns the redirect.
pub(crate) fn consent(
    inner: &mut Inner,
    path: &str,
    params: &[(String, String)],
) -> Result<String, &'static str> {
    let call = record(inner, Endpoint::Authorize, path, params);
    let result = decide(inner, params);
    inner.calls[call].status = if result.is_ok() { 302 } else { 400 };
    result
}

fn decide(inner: &mut Inner, params: &[(String, String)]) -> Result<String, &'static str> {
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if get("client_id") != inner.client.0 {
        return Err("invalid_client");
    }
    let Ok(mut target) = url::Url::parse(get("redirect_uri")) else {
        return Err("redirect_uri_mismatch");
    };
    if !matches!(target.scheme(), "http" | "https") || target.fragment().is_some() {
        return Err("redirect_uri_mismatch");
    }
    if get("response_type") != "code" {
        return Err("invalid_request");
    }
    let asked: Vec<String> = get("scope").split_whitespace().map(str::to_owned).collect();
    if asked.is_empty() {
        return Err("invalid_scope");
    }
    let redirect_uri = get("redirect_uri").to_owned();
    let state = get("state").to_owned();
    let granted = match &inner.consent {
        Consent::Deny => {
            target
                .query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("state", &state);
            return Ok(target.to_string());
        }
        Consent::Allow { only: None } => asked,
        Consent::Allow { only: Some(only) } => {
            asked.into_iter().filter(|s| only.contains(s)).collect()
        }
    };
    let n = inner.next();
    let code = format!("4/fake-code-{n}-{:08x}", n.wrapping_mul(0xc2b2_ae35));
    inner.oauth.codes.insert(
        code.clone(),
        Code {
            redirect_uri,
            scopes: granted.clone(),
            offline: get("access_type") == "offline",
            issued: Instant::now(),
            used: false,
        },
    );
    // Google's redirect also names the granted scopes.
    target
        .query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("code", &code)
        .append_pair("scope", &granted.join(" "));
    Ok(target.to_string())
}

pub(super) async fn authorize_page(State(shared): State<Shared>, uri: Uri) -> Response {
    let params: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let result = {
        let mut inner = lock(&shared);
        if let Some(failure) = inner.take_failure(Endpoint::Authorize) {
            let call = record(&mut inner, Endpoint::Authorize, uri.path(), &params);
            let response = super::apis::failure_response(&failure, false);
            inner.calls[call].status = response.status().as_u16();
            return response;
        }
        consent(&mut inner, uri.path(), &params)
    };
    match result {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        // Google shows an error page rather than redirecting to an unverified URI.
        Err(code) => (
            StatusCode::BAD_REQUEST,
            axum::response::Html(format!(
                "<!doctype html><title>Error 400: {code}</title><h1>Access blocked</h1><p>Error 400: {code}</p>"
            )),
        )
            .into_response(),
    }
}

fn token_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

/// The client's credentials: HTTP Basic, else the form's `client_id`/`client_secret`.
fn client_of(headers: &HeaderMap, form: &[(String, String)]) -> (String, String) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    basic.unwrap_or_else(|| {
        let get = |k: &str| {
            form.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        (get("client_id"), get("client_secret"))
    })
}

/// An admitted `/token` or `/revoke` call: its recorded index, its form, an injected delay.
type Admitted = (usize, Vec<(String, String)>, Option<Duration>);

/// Shared start of `/token` and `/revoke`: parse the form, record, take an injected failure.
#[allow(clippy::result_large_err)]
fn admit(
    inner: &mut Inner,
    endpoint: Endpoint,
    path: &str,
    body: &[u8],
) -> Result<Admitted, Response> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let call = record(inner, endpoint, path, &form);
    let slow = match inner.take_failure(endpoint) {
        None => None,
        Some(Failure::Slow(delay)) => Some(delay),
        Some(failure) => {
            let response = super::apis::failure_response(&failure, true);
            inner.calls[call].status = response.status().as_u16();
            return Err(response);
        }
    };
    Ok((call, form, slow))
}

pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (slow, response) = {
        let mut inner = lock(&shared);
        let (call, form, slow) = match admit(&mut inner, Endpoint::Token, "/token", &body) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let response = token_answer(&mut inner, &headers, &form);
        inner.calls[call].status = response.status().as_u16();
        (slow, response)
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    response
}

fn token_answer(inner: &mut Inner, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let get = |k: &str| {
        form.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    };
    let (id, secret) = client_of(headers, form);
    if id != inner.client.0 || secret != inner.client.1 {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let lifetime = inner.expires_in.as_secs();
    match get("grant_type").as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri)) = (get("code"), get("redirect_uri")) else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter",
                );
            };
            let Some(grant) = inner.oauth.codes.get_mut(&code) else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Malformed auth code.",
                );
            };
            if grant.used || grant.issued.elapsed() > CODE_LIFETIME {
                return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request");
            }
            if grant.redirect_uri != redirect_uri {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "redirect_uri_mismatch",
                    "Bad Request",
                );
            }
            grant.used = true;
            let (scopes, offline) = (grant.scopes.clone(), grant.offline);
            let (access, refresh) = new_grant(inner, scopes.clone(), offline);
            let mut answer = json!({
                "access_token": access,
                "expires_in": lifetime,
                "scope": scopes.join(" "),
                "token_type": "Bearer",
            });
            if let Some(refresh) = refresh {
                answer["refresh_token"] = refresh.into();
            }
            axum::Json(answer).into_response()
        }
        Some("refresh_token") => {
            let Some(refresh) = get("refresh_token") else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter: refresh_token",
                );
            };
            let grant =
                inner.oauth.grants.iter().position(|g| {
                    g.refresh_token.as_deref() == Some(refresh.as_str()) && !g.revoked
                });
            let Some(grant) = grant else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            };
            let access = access_token(inner, grant);
            // Google does not rotate refresh tokens: the answer has none (B.1).
            axum::Json(json!({
                "access_token": access,
                "expires_in": lifetime,
                "scope": inner.oauth.grants[grant].scopes.join(" "),
                "token_type": "Bearer",
            }))
            .into_response()
        }
        _ => token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type",
        ),
    }
}

pub(super) async fn revoke(State(shared): State<Shared>, uri: Uri, body: Bytes) -> Response {
    let (slow, response) = {
        let mut inner = lock(&shared);
        let (call, mut form, slow) = match admit(&mut inner, Endpoint::Revoke, "/revoke", &body) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        // Google also takes the token as a query parameter.
        if let Some(q) = uri.query() {
            form.extend(serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default());
        }
        let token = form
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.clone());
        let grant = token.as_deref().and_then(|t| grant_of(&inner, t));
        let response = match grant {
            Some(grant) if !inner.oauth.grants[grant].revoked => {
                // Either token ends the whole grant: its refresh token and every access token.
                inner.oauth.grants[grant].revoked = true;
                axum::Json(json!({})).into_response()
            }
            _ => token_error(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "Token expired or revoked",
            ),
        };
        inner.calls[call].status = response.status().as_u16();
        (slow, response)
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    response
}
