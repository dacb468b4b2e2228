//! What the CRM fakes' OAuth token endpoints share: registered clients, one-time codes,
//! grants (a refresh token and the access tokens issued with it), and one token endpoint
//! handler that records the call (secrets left out), takes injected failures, checks the
//! client, and runs the `authorization_code` or `refresh_token` grant. Each fake says how its
//! client authenticates and shapes its answers (Salesforce's `instance_url`, Pipedrive's
//! `api_domain`, HubSpot's `expires_in`).

use std::hash::Hash;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::script::{Call, CallIndex, Failure, Injected, Script};

/// An issued grant.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// The fake's tenant (org, portal, company) index.
    pub tenant: usize,
    pub refresh_token: String,
    pub access_tokens: Vec<String>,
}

/// Clients, codes and grants of one fake.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    clients: Vec<(String, String)>,
    /// (code, tenant, redirect_uri)
    codes: Vec<(String, usize, String)>,
    pub grants: Vec<Grant>,
    next: u64,
}

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// `client_id`/`client_secret` in the form, or HTTP Basic (Salesforce allows both).
    FormOrBasic,
    /// HTTP Basic only (Pipedrive).
    Basic,
    /// In the form only (HubSpot).
    Form,
}

/// A successful grant: what the fake adds to its tenant and answers.
pub(crate) struct Issued {
    pub tenant: usize,
    pub access_token: String,
    pub refresh_token: String,
    /// Whether this was a code exchange (the refresh token is new).
    pub exchanged: bool,
}

pub(crate) struct Refused {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: &'static str,
}

fn refused(code: &'static str, description: &'static str) -> Refused {
    Refused {
        status: StatusCode::BAD_REQUEST,
        code,
        description,
    }
}

pub(crate) fn form(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The form as recorded: every field but the secrets.
pub(crate) fn recorded(form: &[(String, String)]) -> Value {
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

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    // RFC 6749 §2.3.1: form-encoded before base64.
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

impl Grants {
    pub fn add_client(&mut self, id: &str, secret: &str) {
        self.clients.push((id.to_owned(), secret.to_owned()));
    }

    pub fn has_client(&self, id: &str) -> bool {
        self.clients.iter().any(|(c, _)| c == id)
    }

    fn mint(&mut self, prefix: &str, kind: &str) -> String {
        self.next += 1;
        format!("{prefix}-{kind}-{:012}", self.next)
    }

    pub fn issue_code(&mut self, prefix: &str, tenant: usize, redirect_uri: &str) -> String {
        let code = self.mint(prefix, "code");
        self.codes
            .push((code.clone(), tenant, redirect_uri.to_owned()));
        code
    }

    /// Runs the grant of `form`, after checking the client as `auth` says.
    pub fn token(
        &mut self,
        prefix: &str,
        auth: ClientAuth,
        headers: &HeaderMap,
        form: &[(String, String)],
    ) -> Result<Issued, Refused> {
        let in_form = match (field(form, "client_id"), field(form, "client_secret")) {
            (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
            _ => None,
        };
        let client = match auth {
            ClientAuth::Form => in_form,
            ClientAuth::Basic => basic(headers),
            ClientAuth::FormOrBasic => in_form.or_else(|| basic(headers)),
        };
        let Some((id, secret)) = client else {
            return Err(Refused {
                status: StatusCode::UNAUTHORIZED,
                code: "invalid_client",
                description: "client authentication missing",
            });
        };
        match self.clients.iter().find(|(c, _)| *c == id) {
            Some((_, want)) if *want == secret => {}
            _ => return Err(refused("invalid_client", "invalid client credentials")),
        }
        match field(form, "grant_type") {
            Some("authorization_code") => {
                let code = field(form, "code").unwrap_or("");
                let redirect = field(form, "redirect_uri").unwrap_or("");
                let at = self
                    .codes
                    .iter()
                    .position(|(c, _, r)| c == code && r == redirect)
                    .ok_or_else(|| refused("invalid_grant", "authentication failure"))?;
                let (_, tenant, _) = self.codes.remove(at);
                let access_token = self.mint(prefix, "access");
                let refresh_token = self.mint(prefix, "refresh");
                self.grants.push(Grant {
                    tenant,
                    refresh_token: refresh_token.clone(),
                    access_tokens: vec![access_token.clone()],
                });
                Ok(Issued {
                    tenant,
                    access_token,
                    refresh_token,
                    exchanged: true,
                })
            }
            Some("refresh_token") => {
                let refresh = field(form, "refresh_token").unwrap_or("");
                let at = self
                    .grants
                    .iter()
                    .position(|g| g.refresh_token == refresh)
                    .ok_or_else(|| {
                        refused(
                            "invalid_grant",
                            "refresh token is invalid, expired or revoked",
                        )
                    })?;
                let access_token = self.mint(prefix, "access");
                let grant = &mut self.grants[at];
                grant.access_tokens.push(access_token.clone());
                Ok(Issued {
                    tenant: grant.tenant,
                    access_token,
                    refresh_token: grant.refresh_token.clone(),
                    exchanged: false,
                })
            }
            _ => Err(refused(
                "unsupported_grant_type",
                "grant type not supported",
            )),
        }
    }

    /// Ends the grant of refresh token `token`: its tenant and the access tokens to drop.
    pub fn revoke_refresh(&mut self, token: &str) -> Option<(usize, Vec<String>)> {
        let at = self.grants.iter().position(|g| g.refresh_token == token)?;
        let grant = self.grants.remove(at);
        Some((grant.tenant, grant.access_tokens))
    }
}

/// An OAuth error answer (RFC 6749 §5.2), with the provider's `extra` fields.
pub(crate) fn oauth_error(refused: &Refused, extra: Value) -> Response {
    let mut body = json!({ "error": refused.code, "error_description": refused.description });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    (refused.status, axum::Json(body)).into_response()
}

/// Records an OAuth call (its form without secrets) and applies an injected failure: `Err`
/// is the early answer to send as it is.
#[allow(clippy::result_large_err)] // a response, built only when refusing a test's call
pub(crate) fn admit<E: Copy + Eq + Hash>(
    script: &mut Script<E>,
    endpoint: E,
    method: &'static str,
    path: &str,
    form: &[(String, String)],
) -> Result<(CallIndex, Option<Duration>), Response> {
    let (at, failure) = script.admit(Call {
        endpoint,
        method,
        path: path.to_owned(),
        query: Vec::new(),
        body: Some(recorded(form)),
        credential: None,
        status: 200,
    });
    let refuse = |status: StatusCode, code: &'static str| {
        oauth_error(
            &Refused {
                status,
                code,
                description: "injected failure",
            },
            json!({}),
        )
    };
    match Failure::inject(
        failure,
        |_| refuse(StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        |status| refuse(status, "server_error"),
    ) {
        Injected::Proceed { slow } => Ok((at, slow)),
        Injected::Refuse(response) => {
            script.answered(at, response.status().as_u16());
            Err(response)
        }
    }
}

/// Answers after an injected delay.
pub(crate) async fn after(slow: Option<Duration>, response: Response) -> Response {
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    response
}
