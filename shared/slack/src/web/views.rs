//! Modals: views.open on a fresh trigger id and views.update of an open view (slack-ui.md §1).
//!
//! A trigger id lives 3 s and is single use, so `open_view` is the one Web API call an ingress
//! function makes; callers give it a client with a short timeout ([`WebApi::with_timeout`]).

use serde::{Deserialize, Serialize};
use tenant::Secret;

use super::{SlackApiError, WebApi};

/// Where an open view is and which version of it we last saw: `hash` guards a views.update
/// against overwriting a view the user (or another job) changed since (`hash_conflict`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ViewRef {
    pub id: String,
    #[serde(default)]
    pub hash: Option<String>,
}

#[derive(Serialize)]
struct OpenViewBody<'a> {
    trigger_id: &'a str,
    view: &'a serde_json::Value,
}

#[derive(Serialize)]
struct UpdateViewBody<'a> {
    view_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
    view: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct ViewReply {
    view: ViewRef,
}

impl WebApi {
    /// views.open: opens `view` (a modal) for the user whose interaction gave `trigger_id`.
    /// Fails with `Api { error: "expired_trigger_id" | "exchanged_trigger_id" }` once the
    /// trigger is older than 3 s or used.
    #[tracing::instrument(skip_all, fields(method = "views.open"))]
    pub async fn open_view(
        &self,
        token: &Secret,
        trigger_id: &str,
        view: &serde_json::Value,
    ) -> Result<ViewRef, SlackApiError> {
        let reply: ViewReply = self
            .call("views.open", token, &OpenViewBody { trigger_id, view })
            .await?;
        Ok(reply.view)
    }

    /// views.update of the view `view_id`; with `hash`, only if the view is still the version
    /// that hash names (`Api { error: "hash_conflict" }` otherwise).
    #[tracing::instrument(skip_all, fields(method = "views.update"))]
    pub async fn update_view(
        &self,
        token: &Secret,
        view_id: &str,
        hash: Option<&str>,
        view: &serde_json::Value,
    ) -> Result<ViewRef, SlackApiError> {
        let body = UpdateViewBody {
            view_id,
            hash,
            view,
        };
        let reply: ViewReply = self.call("views.update", token, &body).await?;
        Ok(reply.view)
    }
}
