//! Which failed CRM calls may be repeated inside one operation (HubSpot's and Pipedrive's
//! clients share it): reads and `PATCH`es always, creates only after a 429, which the CRM
//! refused before doing anything. A create that timed out or got a 5xx may have happened;
//! the worker's step decides whether to look for it.

use crate::http::{ConnectorError, Retryable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Reads and `PATCH`es: the same request twice leaves the same state.
    Idempotent,
    /// Creates.
    Create,
}

/// A failed attempt and whether [`crate::http::retry`] may repeat it.
pub(crate) struct Attempt {
    pub error: ConnectorError,
    retryable: bool,
}

impl Attempt {
    /// The request may have reached the CRM (timeout, dropped connection).
    pub fn after_sending(kind: Kind, error: ConnectorError) -> Self {
        Self {
            retryable: kind == Kind::Idempotent,
            error,
        }
    }

    /// The CRM answered `error`; `exhausted` when its quota is spent for the day.
    pub fn refused(kind: Kind, error: ConnectorError, exhausted: bool) -> Self {
        let limited = matches!(error, ConnectorError::RateLimited { .. });
        Self {
            retryable: !exhausted && (limited || kind == Kind::Idempotent),
            error,
        }
    }
}

impl Retryable for Attempt {
    fn connector_error(&self) -> Option<&ConnectorError> {
        self.retryable.then_some(&self.error)
    }
}
