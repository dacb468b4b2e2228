//! FakeHubSpot's OAuth (hubspot.md §5): `POST /oauth/v1/token` (code exchange and refresh,
//! the client's credentials in the form; answers `token_type: bearer`, `expires_in: 1800`,
//! the same refresh token again on a refresh), `GET /oauth/v1/access-tokens/{token}` (the
//! token's `hub_id` and scopes) and `DELETE /oauth/v1/refresh-tokens/{token}` (deletes the
//! refresh token only: its access tokens live on, as the reference says).
//!
//! UNCONFIRMED: the answers for an unknown token at the metadata and delete endpoints (404
//! here), and the `status` values of error answers other than the doc's `BAD_REFRESH_TOKEN`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Endpoint, Shared};
use crate::oauth_grants::{self, ClientAuth, admit, after, form, oauth_error};
use crate::server::lock;

/// Token prefix (HubSpot's access tokens are opaque).
pub(super) const PREFIX: &str = "hubspot-fake";

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(
            json!({ "status": "error", "message": message, "category": "OBJECT_NOT_FOUND" }),
        ),
    )
        .into_response()
}

pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let form = form(&bytes);
    let (slow, response) = {
        let mut inner = lock(&shared);
        let (at, slow) = match admit(
            &mut inner.script,
            Endpoint::Token,
            "POST",
            "/oauth/v1/token",
            &form,
        ) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        match inner
            .grants
            .token(PREFIX, ClientAuth::Form, &headers, &form)
        {
            Ok(issued) => {
                let portal = &mut inner.portals[issued.tenant];
                portal.tokens.push(issued.access_token.clone());
                inner.script.answered(at, 200);
                let body = json!({
                    "token_type": "bearer",
                    "refresh_token": issued.refresh_token,
                    "access_token": issued.access_token,
                    "expires_in": 1800,
                });
                (slow, (StatusCode::OK, axum::Json(body)).into_response())
            }
            Err(refused) => {
                inner.script.answered(at, refused.status.as_u16());
                let status = match (refused.code, oauth_grants::field(&form, "grant_type")) {
                    ("invalid_grant", Some("refresh_token")) => "BAD_REFRESH_TOKEN",
                    ("invalid_grant", _) => "BAD_AUTH_CODE",
                    ("invalid_client", _) => "BAD_CLIENT_ID",
                    _ => "BAD_GRANT_TYPE",
                };
                let extra = json!({ "status": status, "message": refused.description });
                (None, oauth_error(&refused, extra))
            }
        }
    };
    after(slow, response).await
}

pub(super) async fn token_info(
    State(shared): State<Shared>,
    Path(token): Path<String>,
) -> Response {
    let (slow, response) = {
        let mut inner = lock(&shared);
        let path = "/oauth/v1/access-tokens/{token}";
        let (at, slow) = match admit(&mut inner.script, Endpoint::TokenInfo, "GET", path, &[]) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let portal = inner.portals.iter().find(|p| p.tokens.contains(&token));
        match portal {
            Some(p) => {
                let body = json!({
                    "token": token,
                    "user": "user@portal.example",
                    "hub_domain": format!("portal-{}.example", p.hub_id),
                    "scopes": inner.granted_scopes,
                    "hub_id": p.hub_id,
                    "app_id": 1,
                    "expires_in": 1800,
                    "user_id": 1,
                    "token_type": "access",
                });
                inner.script.answered(at, 200);
                (slow, (StatusCode::OK, axum::Json(body)).into_response())
            }
            None => {
                inner.script.answered(at, 404);
                (None, not_found("access token not found"))
            }
        }
    };
    after(slow, response).await
}

pub(super) async fn delete_refresh_token(
    State(shared): State<Shared>,
    Path(token): Path<String>,
) -> Response {
    let (slow, response) = {
        let mut inner = lock(&shared);
        let path = "/oauth/v1/refresh-tokens/{token}";
        let (at, slow) = match admit(
            &mut inner.script,
            Endpoint::RevokeRefreshToken,
            "DELETE",
            path,
            &[],
        ) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        if inner.grants.revoke_refresh(&token).is_some() {
            inner.script.answered(at, 204);
            (slow, StatusCode::NO_CONTENT.into_response())
        } else {
            inner.script.answered(at, 404);
            (None, not_found("refresh token not found"))
        }
    };
    after(slow, response).await
}
