//! `POST /webhooks` and `DELETE /webhooks/{id}` (fathom.md, "Webhooks"): the webhook that
//! sends one user's new recordings to us, for automatic follow-ups.

use serde::{Deserialize, Deserializer, Serialize};
use tenant::Secret;

use super::{FathomAuth, FathomClient, PROVIDER, auth_header};
use crate::http::{self, ConnectorError, Deadline};

/// `triggered_for`: the recordings of the key's own user. A user's follow-ups are about their
/// own meetings; shared and team recordings would turn a colleague's call into a draft in
/// this user's DM.
pub const MY_RECORDINGS: &str = "my_recordings";

/// The body of `POST /webhooks`. Fathom wants at least one `triggered_for` entry and at least
/// one `include_*` true (fathom.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewWebhook {
    pub destination_url: String,
    pub triggered_for: Vec<String>,
    pub include_transcript: bool,
    pub include_summary: bool,
    pub include_action_items: bool,
    pub include_crm_matches: bool,
}

impl NewWebhook {
    /// What automatic follow-ups register: the user's own recordings, with Fathom's summary
    /// only. The transcript is not asked for (the worker reads it with the user's key when it
    /// drafts, as for a picked meeting), so deliveries carry as little customer text as
    /// Fathom allows: at least one `include_*` must be true.
    pub fn for_followups(destination_url: &str) -> Self {
        Self {
            destination_url: destination_url.to_owned(),
            triggered_for: vec![MY_RECORDINGS.to_owned()],
            include_transcript: false,
            include_summary: true,
            include_action_items: false,
            include_crm_matches: false,
        }
    }
}

/// Fathom's `Webhook` answer, the fields we keep. `Debug` shows the id only.
#[derive(Clone, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    /// The verification secret (`whsec_…`).
    #[serde(deserialize_with = "secret")]
    pub secret: Secret,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A webhook's id. UNCONFIRMED: the reference lists `id` without its type; a string is
/// assumed, and a number is read as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookId(pub String);

impl<'de> Deserialize<'de> for WebhookId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        let id = match Raw::deserialize(d)? {
            Raw::Text(text) => text,
            Raw::Number(n) => n.to_string(),
        };
        let safe = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if safe {
            Ok(Self(id))
        } else {
            Err(serde::de::Error::custom("webhook id is not a plain token"))
        }
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

impl FathomClient {
    /// `POST /webhooks` with `request`: sent once, never retried here (a retry after a lost
    /// answer would register a second webhook; the worker's step decides).
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn create_webhook(
        &self,
        auth: &FathomAuth,
        request: &NewWebhook,
    ) -> Result<Webhook, ConnectorError> {
        let url = self.url("webhooks")?;
        let (name, value) = auth_header(auth)?;
        let deadline = Deadline::after(self.budget);
        let request = self
            .http
            .post(url)
            .header(name, value)
            .header(::http::header::ACCEPT, "application/json")
            .json(request);
        let response = self.http.send(request, deadline, |_| None).await?;
        response.json(PROVIDER)
    }

    /// `DELETE /webhooks/{id}`. `NotFound` when it is gone already (or is another user's).
    #[tracing::instrument(skip_all, fields(provider = PROVIDER))]
    pub async fn delete_webhook(
        &self,
        auth: &FathomAuth,
        id: &WebhookId,
    ) -> Result<(), ConnectorError> {
        let url = self.url(&format!("webhooks/{}", id.0))?;
        let (name, value) = auth_header(auth)?;
        let deadline = Deadline::after(self.budget);
        // Deleting twice is harmless, so this one is retried like a read.
        http::retry(&self.retry, deadline, || {
            let request = self.http.delete(url.clone()).header(name, value.clone());
            self.http.send(request, deadline, |_| None)
        })
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followups_ask_for_the_users_own_recordings_and_the_summary_only() {
        let body = serde_json::to_value(NewWebhook::for_followups(
            "https://app.test/webhooks/fathom?r=T1.U1",
        ))
        .unwrap();
        assert_eq!(body["triggered_for"], serde_json::json!(["my_recordings"]));
        assert_eq!(body["include_summary"], true);
        assert_eq!(body["include_transcript"], false);
        assert_eq!(body["include_action_items"], false);
        assert_eq!(body["include_crm_matches"], false);
        assert_eq!(
            body["destination_url"],
            "https://app.test/webhooks/fathom?r=T1.U1"
        );
    }

    #[test]
    fn the_answer_keeps_the_id_and_a_redacted_secret() {
        let json = r#"{"id": "whk_1", "url": "https://app.test/x", "secret": "whsec_c2VjcmV0",
            "created_at": "2025-03-01T17:01:30Z", "include_transcript": false,
            "include_crm_matches": false, "include_summary": true, "include_action_items": false,
            "triggered_for": ["my_recordings"]}"#;
        let hook: Webhook = serde_json::from_str(json).unwrap();
        assert_eq!(hook.id, WebhookId("whk_1".into()));
        assert_eq!(hook.secret.expose(), "whsec_c2VjcmV0");
        assert!(!format!("{hook:?}").contains("whsec"));
        let numeric: Webhook =
            serde_json::from_str(r#"{"id": 42, "secret": "whsec_eA=="}"#).unwrap();
        assert_eq!(numeric.id.0, "42");
        assert!(serde_json::from_str::<Webhook>(r#"{"id": "../x", "secret": "s"}"#).is_err());
    }
}
