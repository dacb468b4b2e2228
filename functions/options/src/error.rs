//! Why an options request was refused, and the one mapping from that to HTTP. Everything
//! past the signature and the parse is answered 200 with empty options instead (a slow or
//! refusing CRM, a paused workspace, a storage failure): Slack shows "no results", never an
//! error of ours, and nothing is half-done that a retry would need.

use app::IngressError;
use app::http_io::{self, HttpResponse};
use http::StatusCode;
use tracing::warn;

#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// Not /slack/options.
    #[error("no such route")]
    NotFound,
    /// Size (413), signature (401), parse (400), as every Slack ingress maps them.
    #[error(transparent)]
    Ingress(#[from] IngressError),
}

impl OptionsError {
    pub fn into_response(self) -> HttpResponse {
        match self {
            Self::NotFound => {
                warn!(status = 404, "options request to an unknown path");
                http_io::text(StatusCode::NOT_FOUND, "not found")
            }
            Self::Ingress(err) => err.into_response(),
        }
    }
}
