//! FakePipedrive's OAuth token endpoint (pipedrive.md §5): `POST /oauth/token` (so
//! `PIPEDRIVE_OAUTH_URL` is this fake too), the client authenticated by HTTP Basic only,
//! `authorization_code` and `refresh_token` grants, answers with `api_domain` = this fake's
//! origin, comma-separated `scope`, `expires_in`. No revocation endpoint: the reference
//! documents none.
//!
//! UNCONFIRMED: whether a refresh rotates the refresh token (here the same one comes back)
//! and the doc example values (`expires_in: 3599`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Endpoint, Shared};
use crate::oauth_grants::{ClientAuth, admit, after, form, oauth_error};
use crate::server::lock;

pub(super) const PREFIX: &str = "v1u:pipedrive-fake";

/// The scopes the fake's app is registered with (Pipedrive sets them on the app, not in the
/// authorize URL).
const SCOPE: &str = "base,deals:full,contacts:full,activities:full,search:read";

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
            "/oauth/token",
            &form,
        ) {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        match inner
            .grants
            .token(PREFIX, ClientAuth::Basic, &headers, &form)
        {
            Ok(issued) => {
                inner.companies[issued.tenant]
                    .tokens
                    .push(issued.access_token.clone());
                inner.script.answered(at, 200);
                let body = json!({
                    "access_token": issued.access_token,
                    "token_type": "Bearer",
                    "refresh_token": issued.refresh_token,
                    "scope": SCOPE,
                    "expires_in": 3599,
                    "api_domain": inner.origin,
                });
                (slow, (StatusCode::OK, axum::Json(body)).into_response())
            }
            Err(refused) => {
                inner.script.answered(at, refused.status.as_u16());
                (None, oauth_error(&refused, json!({})))
            }
        }
    };
    after(slow, response).await
}
