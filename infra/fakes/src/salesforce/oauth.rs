//! The fake's OAuth endpoints (salesforce.md § Auth basics) over the CRM fakes' shared
//! [`crate::oauth_grants`]: the browser's authorize step (approved at once by the org set
//! with `consent_as`), the token endpoint (code exchange and refresh, the client in the form
//! or by HTTP Basic; answers carry `instance_url` = this fake and no `expires_in`; refresh
//! tokens are not rotated) and revocation (`token=` an access token, or a refresh token,
//! which takes its access tokens with it).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{Endpoint, Shared};
use crate::oauth_grants::{ClientAuth, Refused, admit, after, field, form, oauth_error};
use crate::server::lock;

pub(super) const PREFIX: &str = "00DFAKE!session";

pub(super) async fn authorize(State(shared): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let (slow, response) = {
        let mut inner = lock(&shared);
        let path = "/services/oauth2/authorize";
        let (at, slow) = match admit(&mut inner.script, Endpoint::Authorize, "GET", path, &query) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let client_known = inner
            .grants
            .has_client(field(&query, "client_id").unwrap_or(""));
        let redirect = field(&query, "redirect_uri").unwrap_or("").to_owned();
        let target = url::Url::parse(&redirect);
        match (inner.consenting, client_known, target) {
            (Some(org), true, Ok(mut target)) if field(&query, "response_type") == Some("code") => {
                let code = inner.grants.issue_code(PREFIX, org, &redirect);
                {
                    let mut pairs = target.query_pairs_mut();
                    pairs.append_pair("code", &code);
                    if let Some(state) = field(&query, "state") {
                        pairs.append_pair("state", state);
                    }
                }
                inner.script.answered(at, 303);
                (slow, Redirect::to(target.as_str()).into_response())
            }
            _ => {
                inner.script.answered(at, 400);
                (
                    None,
                    (StatusCode::BAD_REQUEST, "OAUTH_EC_APP_NOT_FOUND").into_response(),
                )
            }
        }
    };
    after(slow, response).await
}

pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let form = form(&bytes);
    let (slow, response) = {
        let mut inner = lock(&shared);
        let path = "/services/oauth2/token";
        let (at, slow) = match admit(&mut inner.script, Endpoint::Token, "POST", path, &form) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        match inner
            .grants
            .token(PREFIX, ClientAuth::FormOrBasic, &headers, &form)
        {
            Ok(issued) => {
                let org = issued.tenant;
                inner.orgs[org]
                    .access_tokens
                    .push(issued.access_token.clone());
                inner.script.answered(at, 200);
                let mut body = json!({
                    "access_token": issued.access_token,
                    "signature": "ZmFrZS1zaWduYXR1cmU=",
                    "scope": "api refresh_token",
                    "instance_url": inner.origin,
                    "id": format!("{}/id/00DFAKE{org:011}/005FAKE00000001AAA", inner.origin),
                    "token_type": "Bearer",
                    "issued_at": jiff::Timestamp::now().as_millisecond().to_string(),
                });
                // A refresh answers no new refresh token (no rotation, the reference).
                if issued.exchanged {
                    body["refresh_token"] = json!(issued.refresh_token);
                }
                (slow, (StatusCode::OK, axum::Json(body)).into_response())
            }
            Err(refused) => {
                // Salesforce answers 400 for a bad client too (`invalid_client_id`, …).
                let refused = Refused {
                    status: StatusCode::BAD_REQUEST,
                    ..refused
                };
                inner.script.answered(at, 400);
                (None, oauth_error(&refused, json!({})))
            }
        }
    };
    after(slow, response).await
}

pub(super) async fn revoke(State(shared): State<Shared>, bytes: Bytes) -> Response {
    let form = form(&bytes);
    let (slow, response) = {
        let mut inner = lock(&shared);
        let path = "/services/oauth2/revoke";
        let (at, slow) = match admit(&mut inner.script, Endpoint::Revoke, "POST", path, &form) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let token = field(&form, "token").unwrap_or("").to_owned();
        let mut known = false;
        if let Some((org, access)) = inner.grants.revoke_refresh(&token) {
            inner.orgs[org]
                .access_tokens
                .retain(|t| !access.contains(t));
            known = true;
        }
        for org in &mut inner.orgs {
            let before = org.access_tokens.len();
            org.access_tokens.retain(|t| *t != token);
            known |= org.access_tokens.len() != before;
        }
        if known {
            inner.script.answered(at, 200);
            (slow, StatusCode::OK.into_response())
        } else {
            // UNCONFIRMED: Salesforce's answer for an unknown token.
            inner.script.answered(at, 400);
            let refused = Refused {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_token",
                description: "invalid token",
            };
            (None, oauth_error(&refused, json!({})))
        }
    };
    after(slow, response).await
}
