//! Gmail `users.drafts.create` (B.2): `POST {GMAIL_API_URL}/users/me/drafts` with
//! `{"message": {"raw": "<base64url of the RFC 5322 message>"}}`, scope `gmail.compose`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use followup::EmailDraft;
use serde::Deserialize;
use tenant::Secret;
use url::Url;

use super::{GoogleApiConfig, PROVIDER, errors, mime};
use crate::http::{self, ConnectorError, Deadline, HttpClient};

/// Gmail's web UI: where a draft's link points. `u/0` is the first signed-in account of the
/// browser, which is the connected one for most users; without the account's address there
/// is no better choice (see `SCOPES` on why we do not ask for it).
const GMAIL_WEB: &str = "https://mail.google.com/mail/u/0/";

/// A created draft (B.2: `{"id": "r-…", "message": {"id", "threadId", "labelIds"}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedDraft {
    /// The draft's id (`r-…`).
    pub id: String,
    /// The draft message's id, when Gmail returned it.
    pub message_id: Option<String>,
}

impl CreatedDraft {
    /// A link that opens the draft. B.2: a deep link needs the message id, and without one
    /// the repo linked the drafts folder. The deep link's form, `#drafts?compose=<message
    /// id>` (what Gmail's address bar shows for an open draft), is not in the reference:
    /// UNCONFIRMED. Without a message id: the drafts folder.
    pub fn link(&self) -> String {
        match &self.message_id {
            Some(id) if id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                format!("{GMAIL_WEB}#drafts?compose={id}")
            }
            _ => format!("{GMAIL_WEB}#drafts"),
        }
    }
}

#[derive(Deserialize)]
struct DraftResponse {
    id: String,
    #[serde(default)]
    message: Option<MessageRef>,
}

/// `users.getProfile`: the mailbox's address (Google's docs; the reference does not cover the
/// call: UNCONFIRMED). Allowed with `gmail.compose` per Google's docs, so it needs no scope
/// beyond what drafts do.
#[derive(Deserialize)]
struct ProfileResponse {
    #[serde(rename = "emailAddress", default)]
    email_address: Option<String>,
}

#[derive(Deserialize)]
struct MessageRef {
    #[serde(default)]
    id: Option<String>,
}

/// The Gmail client. Build once per cold start; share freely.
#[derive(Clone)]
pub struct GmailClient {
    http: HttpClient,
    base: Url,
    budget: std::time::Duration,
}

impl fmt::Debug for GmailClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GmailClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GmailClient {
    pub fn new(config: &GoogleApiConfig) -> Result<Self, ConnectorError> {
        Ok(Self {
            http: HttpClient::new(PROVIDER, &config.http)?,
            base: config.gmail_api_url.clone(),
            budget: config.http.timeout,
        })
    }

    /// Creates a draft of `email` in the mailbox of `token`'s user. Called once, never
    /// retried here: a create that timed out may still have happened, and the worker's
    /// job-level idempotency, not a blind retry, decides whether to try again.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn create_draft(
        &self,
        token: &Secret,
        email: &EmailDraft,
    ) -> Result<CreatedDraft, ConnectorError> {
        let raw = URL_SAFE.encode(mime::draft_message(email)?);
        let url = self
            .base
            .join("users/me/drafts")
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid request path"))?;
        let request = self
            .http
            .post(url)
            .header(
                ::http::header::AUTHORIZATION,
                http::secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?,
            )
            .json(&serde_json::json!({ "message": { "raw": raw } }));
        let response = self
            .http
            .send_any(request, Deadline::after(self.budget))
            .await?;
        if !response.status.is_success() {
            let err = errors::api_error(PROVIDER, &response);
            tracing::debug!(status = response.status.as_u16(), error = %err, "Gmail refused the draft");
            return Err(err);
        }
        let body: DraftResponse = response.json(PROVIDER)?;
        if body.id.is_empty() {
            return Err(ConnectorError::invalid(PROVIDER, "draft without an id"));
        }
        Ok(CreatedDraft {
            id: body.id,
            message_id: body.message.and_then(|m| m.id).filter(|id| !id.is_empty()),
        })
    }

    /// The address of `token`'s mailbox (`GET {GMAIL_API_URL}/users/me/profile`), shown to
    /// the user after they connect ("Google connected as …") so a wrong account is seen at
    /// once. `None` when Google answers without one.
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn profile_email(&self, token: &Secret) -> Result<Option<String>, ConnectorError> {
        let url = self
            .base
            .join("users/me/profile")
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid request path"))?;
        let request = self
            .http
            .get(url)
            .header(
                ::http::header::AUTHORIZATION,
                http::secret_header(&format!("Bearer {}", token.expose()), PROVIDER)?,
            )
            .header(::http::header::ACCEPT, "application/json");
        let response = self
            .http
            .send_any(request, Deadline::after(self.budget))
            .await?;
        if !response.status.is_success() {
            return Err(errors::api_error(PROVIDER, &response));
        }
        let body: ProfileResponse = response.json(PROVIDER)?;
        // An address is short and has an `@`; anything else is not worth showing.
        Ok(body
            .email_address
            .filter(|a| a.len() <= 320 && a.contains('@') && !a.chars().any(char::is_control)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_opens_the_draft_or_falls_back_to_the_drafts_folder() {
        let draft = CreatedDraft {
            id: "r-1".into(),
            message_id: Some("18c2f0a1b2".into()),
        };
        assert_eq!(
            draft.link(),
            "https://mail.google.com/mail/u/0/#drafts?compose=18c2f0a1b2"
        );
        let odd = CreatedDraft {
            id: "r-1".into(),
            message_id: Some("x&y=<z>".into()),
        };
        assert_eq!(odd.link(), "https://mail.google.com/mail/u/0/#drafts");
    }
}
