//! The fake's OAuth 2.0 (fathom.md, "OAuth 2.0, for public apps"), on the same port as the API
//! under `/external/v1/oauth2/` (Fathom's real host for it is `fathom.video`):
//!
//! - `GET /oauth2/authorize?client_id&redirect_uri&scope=public_api&state&response_type=code`:
//!   the consent, answered at once with a redirect carrying `code` and `state` for the
//!   consenting user ([`super::FakeFathom::consent_as`], default the first user).
//! - `POST /oauth2/token` (form): `authorization_code` (single-use code, bound to its
//!   `redirect_uri`) and `refresh_token`. Refresh tokens rotate and are single use, as the
//!   third-party guides say (UNCONFIRMED by Fathom); each answer has `access_token`,
//!   `expires_in`, `refresh_token`, `token_type` and `scope`. Access tokens are then accepted as
//!   `Authorization: Bearer` for that user.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Endpoint, Inner, RecordedCall, Shared};
use crate::server::lock;

/// The client the fake accepts.
pub const CLIENT_ID: &str = "fake-fathom-client";
pub const CLIENT_SECRET: &str = "fake-fathom-client-secret";
const EXPIRES_IN: u64 = 3600;

#[derive(Default)]
pub(super) struct OAuthState {
    /// The user (by email) who consents; `None`: the first user.
    pub(super) consenting: Option<String>,
    codes: HashMap<String, Code>,
    /// refresh token → user index, while unused.
    refresh: HashMap<String, usize>,
    seq: u64,
}

struct Code {
    user: usize,
    redirect_uri: String,
    used: bool,
}

fn record(inner: &mut Inner, endpoint: Endpoint, path: &str, params: &[(String, String)]) -> usize {
    let shown = params
        .iter()
        .map(|(k, v)| {
            let secret = matches!(k.as_str(), "code" | "refresh_token" | "client_secret");
            (
                k.clone(),
                if secret {
                    "[redacted]".into()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    inner.calls.push(RecordedCall {
        endpoint,
        path: path.to_owned(),
        query: shown,
        auth: None,
        credential: None,
        status: 200,
    });
    inner.calls.len() - 1
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The consent: the redirect back, or the error Fathom's page would show.
pub(super) fn consent(
    inner: &mut Inner,
    params: &[(String, String)],
) -> Result<String, &'static str> {
    let call = record(
        inner,
        Endpoint::OAuth,
        "/external/v1/oauth2/authorize",
        params,
    );
    let result = decide(inner, params);
    inner.calls[call].status = if result.is_ok() { 302 } else { 400 };
    result
}

fn decide(inner: &mut Inner, params: &[(String, String)]) -> Result<String, &'static str> {
    if get(params, "client_id") != CLIENT_ID {
        return Err("invalid_client");
    }
    if get(params, "response_type") != "code" {
        return Err("unsupported_response_type");
    }
    if !get(params, "scope")
        .split_whitespace()
        .any(|s| s == "public_api")
    {
        return Err("invalid_scope");
    }
    let Ok(mut target) = url::Url::parse(get(params, "redirect_uri")) else {
        return Err("invalid_request");
    };
    let user = match &inner.oauth.consenting {
        Some(email) => inner.data.users.iter().position(|u| &u.email == email),
        None => (!inner.data.users.is_empty()).then_some(0),
    }
    .ok_or("access_denied")?;
    inner.oauth.seq += 1;
    let code = format!("fathom-code-{}", inner.oauth.seq);
    inner.oauth.codes.insert(
        code.clone(),
        Code {
            user,
            redirect_uri: get(params, "redirect_uri").to_owned(),
            used: false,
        },
    );
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", get(params, "state"));
    Ok(target.to_string())
}

pub(super) async fn authorize(State(shared): State<Shared>, uri: Uri) -> Response {
    let params: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    match consent(&mut lock(&shared), &params) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(code) => (StatusCode::BAD_REQUEST, format!("OAuth error: {code}")).into_response(),
    }
}

fn token_error(code: &str) -> Response {
    let status = if code == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, axum::Json(json!({ "error": code }))).into_response()
}

/// New tokens for `user`: the access token is accepted as Bearer from now on.
fn issue(inner: &mut Inner, user: usize) -> Response {
    inner.oauth.seq += 1;
    let n = inner.oauth.seq;
    let (access, refresh) = (
        format!("fathom-oauth-access-{n}"),
        format!("fathom-oauth-refresh-{n}"),
    );
    inner.data.users[user].oauth_tokens.push(access.clone());
    inner.oauth.refresh.insert(refresh.clone(), user);
    axum::Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": EXPIRES_IN,
        "token_type": "Bearer",
        "scope": "public_api",
    }))
    .into_response()
}

pub(super) async fn token(State(shared): State<Shared>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut inner = lock(&shared);
    let call = record(
        &mut inner,
        Endpoint::OAuth,
        "/external/v1/oauth2/token",
        &form,
    );
    if let Some(failure) = inner
        .failures
        .get_mut(&Endpoint::OAuth)
        .and_then(std::collections::VecDeque::pop_front)
    {
        let status = match failure {
            super::Failure::Status(code) => {
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        inner.calls[call].status = status.as_u16();
        return (status, axum::Json(json!({ "error": "server_error" }))).into_response();
    }
    let response =
        if get(&form, "client_id") != CLIENT_ID || get(&form, "client_secret") != CLIENT_SECRET {
            token_error("invalid_client")
        } else {
            match get(&form, "grant_type") {
                "authorization_code" => {
                    let redirect_uri = get(&form, "redirect_uri").to_owned();
                    match inner.oauth.codes.get_mut(get(&form, "code")) {
                        Some(code) if !code.used && code.redirect_uri == redirect_uri => {
                            code.used = true;
                            let user = code.user;
                            issue(&mut inner, user)
                        }
                        _ => token_error("invalid_grant"),
                    }
                }
                "refresh_token" => match inner.oauth.refresh.remove(get(&form, "refresh_token")) {
                    Some(user) => issue(&mut inner, user),
                    None => token_error("invalid_grant"),
                },
                _ => token_error("unsupported_grant_type"),
            }
        };
    inner.calls[call].status = response.status().as_u16();
    response
}
