//! Fathom's side of a webhook: POSTing a signed "new meeting content ready" delivery to the
//! `destination_url` a webhook was registered with, the way Standard Webhooks senders do
//! (fathom.md, "Webhooks"): the Meeting object as the body, `webhook-id` (the same on a
//! resend), `webhook-timestamp` and `webhook-signature: v1,<base64>`.
//!
//! Tests also need the deliveries a real sender would never make: resent with the same id,
//! signed with another secret, stale, without a header, a body that is not JSON, too large,
//! or sent to another registration's URL ([`DeliveryOptions`]).

use std::time::SystemTime;

use super::{FakeFathom, SignedDelivery, WebhookSigner};
use crate::server::lock;

/// What one delivery attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The registered webhook it was for.
    pub webhook_id: String,
    /// Its `webhook-id` header (resend it with [`FakeFathom::redeliver`]).
    pub message_id: String,
    pub recording_id: u64,
    /// Where it went.
    pub destination_url: String,
    /// The receiver's answer; 0 when it could not be reached.
    pub status: u16,
}

/// How to deliver: the defaults are what Fathom sends; each option bends one thing.
#[derive(Debug, Clone, Default)]
pub struct DeliveryOptions {
    /// This `webhook-id` instead of a fresh one (a resend).
    pub message_id: Option<String>,
    /// Signed at this unix second instead of now (a stale or future delivery).
    pub timestamp: Option<i64>,
    /// Signed with this `whsec_` secret instead of the webhook's.
    pub secret: Option<String>,
    /// Headers left out (`"webhook-signature"`, ...).
    pub omit: Vec<&'static str>,
    /// This body instead of the meeting (signed like any other).
    pub body: Option<String>,
    /// Sent to this URL instead of the webhook's own destination (another registration's).
    pub destination_url: Option<String>,
    /// Only the webhook with this id (when the recording's owner registered several).
    pub webhook_id: Option<String>,
}

/// A plain-HTTP client for the deliveries (the receiver is on 127.0.0.1).
fn client() -> reqwest::Client {
    crate::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

impl FakeFathom {
    /// Delivers `recording_id` to every webhook its owner registered, as Fathom does when the
    /// meeting's content is ready: one fresh message each. Empty when nobody registered.
    pub async fn deliver(&self, recording_id: u64) -> Vec<Delivered> {
        self.deliver_with(recording_id, DeliveryOptions::default())
            .await
    }

    /// Sends `earlier` again with the same `webhook-id`, freshly timestamped and signed (a
    /// Standard Webhooks resend).
    pub async fn redeliver(&self, earlier: &Delivered) -> Vec<Delivered> {
        let options = DeliveryOptions {
            message_id: Some(earlier.message_id.clone()),
            webhook_id: Some(earlier.webhook_id.clone()),
            destination_url: Some(earlier.destination_url.clone()),
            ..DeliveryOptions::default()
        };
        self.deliver_with(earlier.recording_id, options).await
    }

    /// [`FakeFathom::deliver`] bent by `options`.
    pub async fn deliver_with(
        &self,
        recording_id: u64,
        options: DeliveryOptions,
    ) -> Vec<Delivered> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let timestamp = options.timestamp.unwrap_or(now);
        let hooks: Vec<(String, String)> = {
            let mut inner = lock(&self.shared);
            let owners: Vec<String> = inner
                .data
                .users
                .iter()
                .filter(|u| u.meetings.iter().any(|m| m.recording_id == recording_id))
                .map(|u| u.email.clone())
                .collect();
            let hooks: Vec<String> = inner
                .webhooks
                .iter()
                .filter(|w| owners.contains(&w.owner))
                .filter(|w| options.webhook_id.as_ref().is_none_or(|id| *id == w.id))
                .map(|w| w.id.clone())
                .collect();
            let origin = inner.origin.clone();
            hooks
                .into_iter()
                .map(|id| {
                    let message = options.message_id.clone().unwrap_or_else(|| {
                        let n = inner.next_message;
                        inner.next_message += 1;
                        // Svix-like, unique per fake (its port) and message.
                        let port = origin.rsplit(':').next().unwrap_or("0");
                        format!("msg_{port}x{n}")
                    });
                    (id, message)
                })
                .collect()
        };
        let mut done = Vec::new();
        for (webhook_id, message_id) in hooks {
            let Some(mut delivery) =
                self.signed_delivery(&webhook_id, recording_id, &message_id, timestamp)
            else {
                continue;
            };
            if options.body.is_some() || options.secret.is_some() {
                self.bend(&mut delivery, &webhook_id, &message_id, timestamp, &options);
            }
            if let Some(url) = &options.destination_url {
                delivery.destination_url = url.clone();
            }
            delivery
                .headers
                .retain(|(name, _)| !options.omit.contains(name));
            let status = post(&delivery).await;
            done.push(Delivered {
                webhook_id,
                message_id,
                recording_id,
                destination_url: delivery.destination_url,
                status,
            });
        }
        done
    }

    /// Replaces the body and re-signs, with another secret if asked.
    fn bend(
        &self,
        delivery: &mut SignedDelivery,
        webhook_id: &str,
        message_id: &str,
        timestamp: i64,
        options: &DeliveryOptions,
    ) {
        if let Some(body) = &options.body {
            delivery.body = body.clone();
        }
        let secret = match &options.secret {
            Some(secret) => secret.clone(),
            None => {
                let inner = lock(&self.shared);
                let Some(hook) = inner.webhooks.iter().find(|w| w.id == webhook_id) else {
                    return;
                };
                hook.secret.expose().to_owned()
            }
        };
        let Ok(signer) = WebhookSigner::new(&secret) else {
            return;
        };
        let signature = signer.sign(message_id, timestamp, delivery.body.as_bytes());
        for (name, value) in &mut delivery.headers {
            if *name == "webhook-signature" {
                *value = signature.clone();
            }
        }
    }
}

/// POSTs `delivery`; the status, or 0 when the receiver could not be reached.
async fn post(delivery: &SignedDelivery) -> u16 {
    let mut request = client()
        .post(&delivery.destination_url)
        .body(delivery.body.clone());
    for (name, value) in &delivery.headers {
        request = request.header(*name, value);
    }
    match request.send().await {
        Ok(response) => response.status().as_u16(),
        Err(err) => {
            tracing::warn!(error = %err, "fake Fathom could not deliver a webhook");
            0
        }
    }
}
